#!/bin/sh
# bench/record.sh — what recording the lesson costs the teacher.
#
# The same headless broadcast (test pattern, SIZE at FPS, insecure so no
# student is needed) runs RUNS times without and RUNS times with --record,
# each for SECONDS, inside a private network namespace. For each run: the
# teacher's CPU time (user + system, from getrusage of the child) per second
# of broadcast, its peak RSS, frames and bytes sent, and the file's size.
#
# Usage (root): bench/record.sh [BUILD_DIR]
# Environment: SIZE (1920x1080), FPS (30), SECONDS (15), RUNS (3).
# Prints a table and one JSON line ("record_bench") at the end. Not part of
# CI (about 2 minutes).
set -eu

SRC=$(cd "$(dirname "$0")/.." && pwd)
BUILD=$(cd "${1:-$SRC/build}" && pwd)
SIZE=${SIZE:-1920x1080}
FPS=${FPS:-30}
SECONDS_=${SECONDS:-15}
RUNS=${RUNS:-3}

[ "$(id -u)" = 0 ] || { echo "record.sh: run as root (namespaces)"; exit 1; }
WORK=$(mktemp -d /tmp/cast-record-bench.XXXXXX)
trap 'rm -rf "$WORK"' EXIT

exec unshare -n sh -c '
	ip link set lo up && echo 21000-49999 >/proc/sys/net/ipv4/ip_local_reserved_ports && ip route add 224.0.0.0/4 dev lo src 127.0.0.1 &&
	exec python3 - "$@"' sh "$BUILD/teacher/cast-teacher" "$WORK" "$SIZE" \
	"$FPS" "$SECONDS_" "$RUNS" <<'PY'
import json, os, resource, subprocess, sys

teacher, work, size, fps, secs, runs = sys.argv[1:7]
secs, runs = float(secs), int(runs)
env = dict(os.environ, HOME=work)
rows = []
for i in range(runs * 2):
    rec = i % 2 == 1
    path = os.path.join(work, "lesson-%d.mkv" % i)
    stats = os.path.join(work, "t-%d.json" % i)
    cmd = [teacher, "--headless", "--insecure", "--source", "testpattern",
           "--size", size, "--fps", fps, "--channel", "13",
           "--duration", str(secs), "--stats", stats]
    if rec:
        cmd += ["--record", path]
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    subprocess.run(cmd, env=env, stderr=subprocess.DEVNULL, check=True)
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    final = [json.loads(l) for l in open(stats) if '"final":true' in l][-1]
    rows.append({
        "record": rec,
        "cpu_pct": 100 * cpu / final["t"],
        "max_rss_mb": after.ru_maxrss / 1024,
        "frames_sent": final["frames_sent"],
        "bytes_sent": final["bytes_sent"],
        "file_bytes": os.path.getsize(path) if rec else 0,
        "record_frames": final.get("record_frames", 0),
        "record_error": final.get("record_error", ""),
    })

def mean(key, rec):
    v = [r[key] for r in rows if r["record"] == rec]
    return sum(v) / len(v)

print("%-10s %8s %10s %12s %12s %10s" % ("recording", "cpu %", "frames", "wire bytes",
                                          "file bytes", "file/wire"))
for rec in (False, True):
    wire = mean("bytes_sent", rec)
    fileb = mean("file_bytes", rec)
    print("%-10s %8.1f %10.0f %12.0f %12.0f %10s" % (
        "yes" if rec else "no", mean("cpu_pct", rec), mean("frames_sent", rec),
        wire, fileb, "%.3f" % (fileb / wire) if rec else "-"))
out = {
    "record_bench": {
        "size": size, "fps": int(fps), "seconds": secs, "runs": runs,
        "cpu_pct_without": round(mean("cpu_pct", False), 2),
        "cpu_pct_with": round(mean("cpu_pct", True), 2),
        "cpu_pct_cost": round(mean("cpu_pct", True) - mean("cpu_pct", False), 2),
        "file_bytes_per_s": round(mean("file_bytes", True) / secs),
        "file_to_wire": round(mean("file_bytes", True) / mean("bytes_sent", True), 4),
        "frames_recorded_share": round(mean("record_frames", True) / mean("frames_sent", True), 4),
        "errors": [r["record_error"] for r in rows if r["record_error"]],
    }
}
print(json.dumps(out))
PY
