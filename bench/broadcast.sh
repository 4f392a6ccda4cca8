#!/bin/sh
# bench/broadcast.sh — what a stopped broadcast costs, and how fast it comes
# back.
#
# One teacher (test pattern, SIZE at FPS, signed and encrypted as in a
# lesson) and one headless student, inside a private network namespace.
# The broadcast runs PHASE seconds, is stopped (`ctl broadcast off`) for
# PHASE seconds, and so on, CYCLES times. For each phase: the teacher's CPU
# (user + system from /proc, % of one core) and the frames it sent; after
# each start, the student's `broadcast_resume_ms` (told the broadcast runs
# again → its first picture decoded).
#
# Usage (root): bench/broadcast.sh [BUILD_DIR]
# Environment: SIZE (1920x1080), FPS (30), PHASE (6), CYCLES (3).
# Prints a table and one JSON line ("broadcast_bench") at the end. Not part
# of CI (about 40 s).
set -eu

SRC=$(cd "$(dirname "$0")/.." && pwd)
BUILD=$(cd "${1:-$SRC/build}" && pwd)
SIZE=${SIZE:-1920x1080}
FPS=${FPS:-30}
PHASE=${PHASE:-6}
CYCLES=${CYCLES:-3}

[ "$(id -u)" = 0 ] || { echo "broadcast.sh: run as root (namespaces)"; exit 1; }
WORK=$(mktemp -d /tmp/cast-broadcast-bench.XXXXXX)
trap 'rm -rf "$WORK"' EXIT

exec unshare -n sh -c '
	ip link set lo up && echo 21000-49999 >/proc/sys/net/ipv4/ip_local_reserved_ports && ip route add 224.0.0.0/4 dev lo src 127.0.0.1 &&
	exec python3 - "$@"' sh "$BUILD" "$WORK" "$SIZE" "$FPS" "$PHASE" \
	"$CYCLES" <<'PY'
import json, os, subprocess, sys, time

build, work, size, fps, phase, cycles = sys.argv[1:7]
phase, cycles = float(phase), int(cycles)
teacher = os.path.join(build, "teacher", "cast-teacher")
student = os.path.join(build, "student", "cast-student")
env = dict(os.environ, HOME=work)
key = os.path.join(work, "class.key")
sock = os.path.join(work, "t.sock")
subprocess.run([teacher, "keygen", key], env=env, check=True,
               stdout=subprocess.DEVNULL)
tstats, sstats = os.path.join(work, "t.json"), os.path.join(work, "s.json")
dur = str(int(phase * 2 * cycles + 30))
t = subprocess.Popen([teacher, "--headless", "--key", key, "--ctl-socket",
                      sock, "--source", "testpattern", "--size", size,
                      "--fps", fps, "--channel", "14", "--duration", dur,
                      "--stats", tstats], env=env, stderr=subprocess.DEVNULL)
s = subprocess.Popen([student, "--headless", "--key", key, "--channel", "14",
                      "--id", "s1", "--state-dir", os.path.join(work, "s1"),
                      "--local-socket", os.path.join(work, "s1.sock"),
                      "--inbox", os.path.join(work, "in"), "--duration", dur,
                      "--stats", sstats], env=env, stderr=subprocess.DEVNULL)

def cpu(pid):
    f = open("/proc/%d/stat" % pid).read().rsplit(")", 1)[1].split()
    return (int(f[11]) + int(f[12])) / os.sysconf("SC_CLK_TCK")

def last(path):
    lines = [l for l in open(path) if l.endswith("\n")]
    return json.loads(lines[-1]) if lines else {}

def ctl(*args):
    return json.loads(subprocess.run([teacher, "ctl", "--socket", sock] +
                                     list(args), env=env, check=True,
                                     capture_output=True, text=True).stdout)

end = time.time() + 30
while time.time() < end:
    try:
        if last(sstats).get("frames_decoded", 0) > 0:
            break
    except (OSError, ValueError):
        pass
    time.sleep(0.2)
else:
    sys.exit("broadcast.sh: the student shows no picture")
rows = []
for c in range(cycles):
    for on in (True, False):
        if c or not on:
            ctl("broadcast", "on" if on else "off")
        time.sleep(1.0)  # settle: what was in flight, the keyframe
        c0, f0, w0 = cpu(t.pid), ctl("broadcast", "status")["frames_sent"], time.time()
        time.sleep(phase - 1.0)
        c1, f1, w1 = cpu(t.pid), ctl("broadcast", "status")["frames_sent"], time.time()
        row = {"cycle": c + 1, "broadcasting": on,
               "teacher_cpu_pct": 100 * (c1 - c0) / (w1 - w0),
               "frames_sent": f1 - f0}
        if on and c:
            row["resume_ms"] = last(sstats).get("broadcast_resume_ms", -1)
        rows.append(row)
for p in (t, s):
    p.terminate()
    p.wait()

print("%-6s %-13s %18s %12s %10s" % ("cycle", "broadcast", "teacher CPU %",
                                      "frames", "resume ms"))
for r in rows:
    print("%-6d %-13s %18.1f %12d %10s" % (
        r["cycle"], "on" if r["broadcasting"] else "stopped",
        r["teacher_cpu_pct"], r["frames_sent"],
        r.get("resume_ms", "")))
on = [r["teacher_cpu_pct"] for r in rows if r["broadcasting"]]
off = [r["teacher_cpu_pct"] for r in rows if not r["broadcasting"]]
res = [r["resume_ms"] for r in rows if "resume_ms" in r]
print(json.dumps({"broadcast_bench": {
    "size": size, "fps": int(fps), "phase_s": phase, "rows": rows,
    "teacher_cpu_on_pct": sum(on) / len(on),
    "teacher_cpu_stopped_pct": sum(off) / len(off),
    "frames_while_stopped": sum(r["frames_sent"] for r in rows
                                if not r["broadcasting"]),
    "resume_ms": res}}))
PY
