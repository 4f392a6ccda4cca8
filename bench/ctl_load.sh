#!/bin/sh
# bench/ctl_load.sh — the teacher's control loop under classroom load.
#
# One teacher (headless, 640x360 test pattern) and 3 headless students on
# this machine, in a network namespace of their own (loopback only). A
# listener records the arrival time of every discovery beacon, and a client
# sends `ctl class` every 50 ms (one at a time, the next 50 ms after the
# previous one started, or at once when it answered later) and times each
# answer from connect to the end of the reply. First an idle phase, then
# the load phase: `ctl send path=FILE` of a 2 GiB file and, 0.1 s later,
# `ctl roster import=FILE.csv` of 10 000 rows, each timed to its answer;
# the load phase lasts until both answered plus a tail. At the end `ctl
# clock` gives the students' clock offsets (all on this machine: the true
# offset is 0). Prints a table and appends one JSON line to
# bench/out/ctl_load.json.
#
# Usage (root, or a user allowed `unshare -n`): bench/ctl_load.sh [BUILD_DIR]
# Environment:
#   CTL_LOAD_IDLE      idle phase, s                      default 5
#   CTL_LOAD_MB        size of the file sent, MiB         default 2048
#   CTL_LOAD_FILL      random (head -c of /dev/urandom, real blocks)
#                      or sparse (truncate: no blocks, reads cost no I/O)
#                                                         default random
#   CTL_LOAD_CACHE     cold (the file's pages are dropped from the page
#                      cache before the send, so the hash reads the disk)
#                      or warm                            default cold
#   CTL_LOAD_ROWS      roster rows                        default 10000
#   CTL_LOAD_TAIL      load phase after both answered, s  default 2
#   CTL_LOAD_LIMIT     longest load phase, s              default 120
#   CTL_LOAD_CLOCK_WAIT  `ctl clock` at least this long after the load
#                      began (students are pinged every 15 s)  default 16
#   CTL_LOAD_CH        channel                            default 41
#   CTL_LOAD_STUDENT_ARGS  extra student flags (e.g. --no-decode)
#   KEEP_WORK=1        keep the work folder (the big file is deleted anyway)
# The file, the CSV and every log live in /tmp/cast-ctlload.XXXXXX, removed
# on exit. Takes about 45 s plus the time to write the file (2 GiB of
# random bytes: about 10 s here).
set -eu

SRC=$(cd "$(dirname "$0")/.." && pwd)
BUILD=$(cd "${1:-$SRC/build}" && pwd)
TEACHER=$BUILD/teacher/cast-teacher
STUDENT=$BUILD/student/cast-student
[ -x "$TEACHER" ] && [ -x "$STUDENT" ] || {
	echo "ctl_load.sh: build $BUILD first"
	exit 1
}
command -v python3 >/dev/null || { echo "ctl_load.sh: needs python3"; exit 1; }
# Multicast stays on this machine: re-run inside a fresh network namespace.
if [ "${CAST_IN_NETNS:-}" != 1 ]; then
	exec "$SRC/tests/integration/run-in-netns.sh" "$0" "$BUILD"
fi

IDLE=${CTL_LOAD_IDLE:-5}
MB=${CTL_LOAD_MB:-2048}
FILL=${CTL_LOAD_FILL:-random}
CACHE=${CTL_LOAD_CACHE:-cold}
ROWS=${CTL_LOAD_ROWS:-10000}
TAIL=${CTL_LOAD_TAIL:-2}
LIMIT=${CTL_LOAD_LIMIT:-120}
CLOCK_WAIT=${CTL_LOAD_CLOCK_WAIT:-16}
CH=${CTL_LOAD_CH:-41}
NSTUD=3
# Every program stops by itself even if this script is killed -9.
DUR=$((IDLE + LIMIT + 90))
case $FILL in random | sparse) ;; *) echo "ctl_load.sh: CTL_LOAD_FILL=random|sparse"; exit 1 ;; esac
case $CACHE in cold | warm) ;; *) echo "ctl_load.sh: CTL_LOAD_CACHE=cold|warm"; exit 1 ;; esac

WORK=$(mktemp -d /tmp/cast-ctlload.XXXXXX)
BIG=$WORK/lesson.bin
PIDS=""
cleanup() {
	for p in $PIDS; do kill "$p" 2>/dev/null || true; done
	wait 2>/dev/null || true
	rm -f "$BIG"
	if [ "${KEEP_WORK:-}" = 1 ]; then
		echo "work folder kept: $WORK"
	else
		rm -rf "$WORK"
	fi
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

export HOME="$WORK/home"
mkdir -p "$HOME"
unset XDG_RUNTIME_DIR

# --- the load: a big file and a class list ----------------------------------
t0=$(date +%s)
if [ "$FILL" = random ]; then
	head -c "${MB}M" /dev/urandom >"$BIG"
else
	truncate -s "${MB}M" "$BIG"
fi
python3 - "$BIG" "$CACHE" <<'PY'
import os, sys
fd = os.open(sys.argv[1], os.O_RDONLY)
os.fsync(fd)
if sys.argv[2] == "cold":
    # Only this file's pages leave the cache: the hash reads the disk.
    os.posix_fadvise(fd, 0, 0, os.POSIX_FADV_DONTNEED)
os.close(fd)
PY
echo "ctl_load.sh: $MB MiB $FILL file ($CACHE cache) written in $(($(date +%s) - t0)) s: $BIG"
python3 - "$WORK/roster.csv" "$ROWS" <<'PY'
import sys
# docs/roster.md: the header names id, name, class, ip and mac; an empty
# cell keeps what the database has.
with open(sys.argv[1], "w", encoding="utf-8", newline="") as f:
    f.write("id,name,class,ip,mac\r\n")
    for i in range(1, int(sys.argv[2]) + 1):
        f.write("r%05d,学生 %d,%s,,\r\n" % (i, i, "高一(%d)班" % (i % 12 + 1)))
PY

# --- listener: every beacon's arrival (CLOCK_MONOTONIC, like the driver) ----
GROUP=$(python3 -c "c=$CH; print('239.255.%d.%d' % (c // 256, c % 256))")
BPORT=$((40000 + 10 * CH + 4))
cat >"$WORK/beacons.py" <<'PY'
import socket, struct, sys, time
group, port, path, limit = sys.argv[1], int(sys.argv[2]), sys.argv[3], float(sys.argv[4])
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind((group, port))
s.setsockopt(socket.IPPROTO_IP, socket.IP_ADD_MEMBERSHIP,
             socket.inet_aton(group) + socket.inet_aton("127.0.0.1"))
s.settimeout(1.0)
end = time.monotonic() + limit
with open(path, "w") as out:
    while time.monotonic() < end:
        try:
            d = s.recv(2048)
        except socket.timeout:
            continue
        t = time.monotonic()
        # protocol.md: 70 bytes, "LCB1", version, flags, channel, ...,
        # counter at 22. Anything else is not a beacon.
        if len(d) != 70 or d[:4] != b"LCB1":
            continue
        out.write("%.6f %d\n" % (t, struct.unpack(">Q", d[22:30])[0]))
        out.flush()
PY
python3 "$WORK/beacons.py" "$GROUP" "$BPORT" "$WORK/beacons.txt" "$DUR" &
PIDS="$PIDS $!"

# --- the class ---------------------------------------------------------------
"$TEACHER" keygen "$WORK/class.key" >/dev/null
TSOCK=$WORK/teacher.sock
"$TEACHER" --headless --key "$WORK/class.key" --ctl-socket "$TSOCK" \
	--source testpattern --size 640x360 --channel "$CH" --duration "$DUR" \
	--stats "$WORK/teacher.json" 2>"$WORK/teacher.err" &
PIDS="$PIDS $!"
i=1
while [ $i -le $NSTUD ]; do
	mkdir -p "$WORK/s$i"
	# shellcheck disable=SC2086
	(cd "$WORK/s$i" && exec "$STUDENT" --headless --key "$WORK/class.key" \
		--channel "$CH" --id "s$i" --name "Student $i" --class 3A \
		--state-dir "$WORK/s$i" --local-socket "$WORK/s$i.sock" \
		--inbox "$WORK/s$i/inbox" --duration "$DUR" \
		--stats "$WORK/s$i.json" ${CTL_LOAD_STUDENT_ARGS:-} 2>"$WORK/s$i.err") &
	PIDS="$PIDS $!"
	i=$((i + 1))
done

# --- the driver: phases, probes, analysis -------------------------------------
mkdir -p "$SRC/bench/out"
python3 - "$TSOCK" "$WORK" "$BIG" "$MB" "$FILL" "$CACHE" "$ROWS" "$IDLE" \
	"$TAIL" "$LIMIT" "$CLOCK_WAIT" "$NSTUD" "$SRC/bench/out/ctl_load.json" <<'PY'
import json, os, socket, statistics, struct, sys, threading, time

(sock, work, big, mb, fill, cache, rows, idle, tail, limit, clock_wait,
 nstud, out_json) = sys.argv[1:14]
mb, rows, nstud = int(mb), int(rows), int(nstud)
idle, tail, limit = float(idle), float(tail), float(limit)
clock_wait = float(clock_wait)
now = time.monotonic

def ctl(args, timeout=limit + 30):
    """One framed request (u32 BE length, NUL-terminated arguments), the
    answer read to EOF. Returns (start, end, reply text or None)."""
    body = b"".join(a.encode() + b"\0" for a in args)
    t0 = now()
    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    s.settimeout(timeout)
    try:
        s.connect(sock)
        s.sendall(struct.pack(">I", len(body)) + body)
        chunks = []
        while True:
            d = s.recv(65536)
            if not d:
                break
            chunks.append(d)
        return t0, now(), b"".join(chunks).decode("utf-8", "replace")
    except OSError:
        return t0, now(), None
    finally:
        s.close()

def jget(reply):
    try:
        return json.loads(reply) if reply else None
    except ValueError:
        return None

def die(msg):
    print("ctl_load.sh: " + msg)
    sys.exit(1)

# The teacher up and every student online (bounded: 30 s).
deadline = now() + 30
online = 0
while now() < deadline:
    r = jget(ctl(["students"], 2)[2])
    if r:
        online = sum(1 for s in r.get("students", []) if s.get("online"))
        if online >= nstud:
            break
    time.sleep(0.2)
if online < nstud:
    die("only %d of %d students online after 30 s" % (online, nstud))
time.sleep(1.0)  # the joins' clock bursts settle

probes = []          # (start, end, ok)
stop_probe = threading.Event()

def prober():
    nxt = now()
    while not stop_probe.is_set():
        t = now()
        if t < nxt:
            time.sleep(min(nxt - t, 0.05))
            continue
        t0, t1, rep = ctl(["class"])
        ok = rep is not None and '"students"' in rep
        probes.append((t0, t1, ok))
        nxt = t0 + 0.05

def stats():
    return jget(ctl(["stats"], 10)[2]) or {}

st_idle = stats()
th = threading.Thread(target=prober)
idle0 = now()
th.start()
time.sleep(idle)
idle1 = now()
clock_idle = jget(ctl(["clock"], 10)[2])

res = {}
def timed(name, args):
    t0, t1, rep = ctl(args)
    res[name] = (t0, t1, rep)

load0 = now()
ts = threading.Thread(target=timed, args=("send", ["send", "path=" + big]))
ts.start()
time.sleep(0.1)
ti = threading.Thread(target=timed,
                      args=("import", ["roster", "import=" + work + "/roster.csv"]))
ti.start()
ts.join(limit)
ti.join(max(0.1, limit - (now() - load0)))
done = now()
left = load0 + limit - done
if left > 0:
    time.sleep(min(tail, left))
load1 = now()
stop_probe.set()
th.join(limit + 30)
st_load = stats()
# The teacher pings each student every 15 s: read the clocks once every
# student had a ping since the load began (bounded by the limit).
wait = min(clock_wait - (now() - load0), load0 + limit - now())
if wait > 0:
    time.sleep(wait)
clock_end = jget(ctl(["clock"], 10)[2])
end = now()

# --- analysis -----------------------------------------------------------------
beacons = []
with open(work + "/beacons.txt") as f:
    for line in f:
        p = line.split()
        if len(p) == 2:
            beacons.append((float(p[0]), int(p[1])))
gaps = [(b[0] - a[0], b[0], b[1] - a[1]) for a, b in zip(beacons, beacons[1:])]

def pct(v, q):
    if not v:
        return None
    v = sorted(v)
    return v[min(len(v) - 1, int(round(q / 100.0 * (len(v) - 1))))]

def gap_stats(a, b):
    g = [x[0] * 1000 for x in gaps if a < x[1] <= b]
    skipped = sum(x[2] - 1 for x in gaps if a < x[1] <= b)
    return g, skipped

idle_g, idle_skip = gap_stats(idle0, idle1)
load_g, load_skip = gap_stats(load0, load1)
period = statistics.median(idle_g) if idle_g else None

def phase(g, skipped, a, b):
    lat = [(p[1] - p[0]) * 1000 for p in probes if a <= p[0] < b]
    bad = sum(1 for p in probes if a <= p[0] < b and not p[2])
    # Longest time without any answer: what a teacher's console sees.
    # From the last answer before the phase on.
    before = [p[1] for p in probes if p[0] < a]
    ends = sorted(([max(before)] if before else []) +
                  [p[1] for p in probes if a <= p[0] < b])
    silent = max([(y - x) * 1000 for x, y in zip(ends, ends[1:])] or [0])
    return {
        "seconds": round(b - a, 3),
        "beacons": len(g),
        "beacon_gap_p50_ms": pct(g, 50),
        "beacon_gap_max_ms": max(g) if g else None,
        "beacon_max_over_period": (max(g) / period) if g and period else None,
        "beacons_missing_by_counter": skipped,
        "class_answers": len(lat),
        "class_failed": bad,
        "class_p50_ms": pct(lat, 50),
        "class_p95_ms": pct(lat, 95),
        "class_max_ms": max(lat) if lat else None,
        "class_longest_silence_ms": silent,
    }

ph_idle = phase(idle_g, idle_skip, idle0, idle1)
ph_load = phase(load_g, load_skip, load0, load1)

def answer(name):
    if name not in res:
        return None, None
    t0, t1, rep = res[name]
    return (t1 - t0) * 1000, jget(rep)

send_ms, send_rep = answer("send")
imp_ms, imp_rep = answer("import")
# The import waits behind the hash (one loop): its own time is from when
# the loop was free for it to its answer.
imp_own_ms = None
if "send" in res and "import" in res:
    imp_own_ms = (res["import"][1] - max(res["send"][1], res["import"][0])) * 1000

def clock_max(c):
    v = [x for x in (c or {}).get("clocks", []) if "offset_ms" in x]
    return (max(abs(x["offset_ms"]) for x in v) if v else None,
            sum(x.get("samples", 0) for x in v),
            max(x.get("rtt_ms", 0) for x in v) if v else None)

clk_idle, samp_idle, rtt_idle = clock_max(clock_idle)
clk_end, samp_end, rtt_end = clock_max(clock_end)

def delta(k):
    a, b = st_idle.get(k), st_load.get(k)
    return b - a if isinstance(a, int) and isinstance(b, int) else None

# The beacons' own stall: the longest gap and where it falls.
worst = max(gaps, key=lambda x: x[0]) if gaps else None

def f(v, fmt="%.1f"):
    return "-" if v is None else fmt % v

print()
print("%-34s %12s %12s" % ("", "idle", "under load"))
rows_ = [("seconds", "seconds", "%.1f"),
         ("beacons received", "beacons", "%d"),
         ("beacon gap p50 ms", "beacon_gap_p50_ms", "%.1f"),
         ("beacon gap max ms", "beacon_gap_max_ms", "%.1f"),
         ("beacon gap max / period", "beacon_max_over_period", "%.2f"),
         ("beacons missing (counter)", "beacons_missing_by_counter", "%d"),
         ("ctl class answers", "class_answers", "%d"),
         ("ctl class failed", "class_failed", "%d"),
         ("ctl class p50 ms", "class_p50_ms", "%.1f"),
         ("ctl class p95 ms", "class_p95_ms", "%.1f"),
         ("ctl class max ms", "class_max_ms", "%.1f"),
         ("longest time without answer ms", "class_longest_silence_ms", "%.0f")]
for label, k, fmt in rows_:
    print("%-34s %12s %12s" % (label, f(ph_idle[k], fmt), f(ph_load[k], fmt)))
print("%-34s %12s %12s" % ("student clock |offset| max ms (*)",
                           f(clk_idle, "%.3f"), f(clk_end, "%.3f")))
print("%-34s %12s %12s" % ("clock samples (all students)",
                           f(samp_idle, "%d"), f(samp_end, "%d")))
print("%-34s %12s %12s" % ("clock: rtt of the offset's ping ms",
                           f(rtt_idle, "%.3f"), f(rtt_end, "%.3f")))
print()
print("(*) under load: `ctl clock` %.0f s after the load began" % (end - load0))
print("beacon period (idle median): %s ms" % f(period))
ok_send = bool(send_rep and send_rep.get("ok"))
print("send path=%d MiB (%s, %s cache): answered in %s ms%s" % (
    mb, fill, cache, f(send_ms, "%.0f"),
    "" if ok_send else " NOT ok: %s" % (res.get("send", (0, 0, "no answer"))[2] or "no answer")[:200]))
if send_ms:
    print("  = %.0f MiB/s hashed before the answer" % (mb / (send_ms / 1000)))
imported = imp_rep.get("imported") if imp_rep else None
print("roster import=%d rows: answered in %s ms from its request, %s ms after the send's answer (%s imported)%s" % (
    rows, f(imp_ms, "%.0f"), f(imp_own_ms, "%.0f"), f(imported, "%d"),
    "" if imported == rows else " NOT ok: %s" % (res.get("import", (0, 0, "no answer"))[2] or "no answer")[:200]))
print("students during the load: joins %s, leaves %s, timeouts %s; online at the end %s" % (
    f(delta("joins"), "%d"), f(delta("leaves"), "%d"), f(delta("timeouts"), "%d"),
    f(st_load.get("students_online"), "%d")))
if worst:
    print("longest beacon gap of the run: %.0f ms, ending %.1f s after the load began" % (
        worst[0] * 1000, worst[1] - load0))

rec = {"bench": "ctl_load", "date": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
       "students": nstud, "file_mib": mb, "fill": fill, "cache": cache,
       "roster_rows": rows, "beacon_period_ms": period,
       "idle": ph_idle, "load": ph_load,
       "send_answer_ms": send_ms, "send_ok": ok_send,
       "import_answer_ms": imp_ms, "import_own_ms": imp_own_ms,
       "imported": imported,
       "clock_abs_offset_max_ms": {"idle": clk_idle, "end": clk_end},
       "clock_samples": {"idle": samp_idle, "end": samp_end},
       "students_joins": delta("joins"), "students_leaves": delta("leaves"),
       "students_timeouts": delta("timeouts"),
       "loadavg": os.getloadavg()[0]}
line = json.dumps(rec, separators=(",", ":"))
print(line)
with open(out_json, "a") as f_:
    f_.write(line + "\n")
PY
