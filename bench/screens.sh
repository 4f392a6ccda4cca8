#!/bin/sh
# Students on screen, measured inside a private network namespace:
#  - the monitor wall: N students (default 50, headless, test-pattern
#    "desktops" of 1280x720 with a moving box and a ticker) send 320x180
#    thumbnails at 2 fps; the teacher's CPU receiving them (% of one core:
#    process CPU with the wall on minus with it off, over SECS each; the
#    teacher broadcasts a small 320x180 pattern so its own encoding stays
#    out of the difference) and a student's (the median of the students'
#    own difference);
#  - a running demo: the demonstrator's CPU and the teacher's (receiving it
#    as any viewer does) against the same time without a demo;
#  - the demo switch: a demo of s2 to the others, stopped, five times; each
#    viewer reports how long it showed the old picture after the command
#    (switch_ms: command → first picture of the new source), median and max.
# Prints a table and one JSON object.
# Usage: bench/screens.sh [--json FILE] [--secs N] [--students N] [--build DIR]
set -eu
. "$(dirname "$0")/lib.sh"
bench_netns "$0" "$@"
cd "$(dirname "$0")/.."
BUILD=build
SECS=10
N=50
JSON=""
while [ $# -gt 0 ]; do
	case $1 in
	--json) JSON=$2; shift 2 ;;
	--secs) SECS=$2; shift 2 ;;
	--students) N=$2; shift 2 ;;
	--build) BUILD=$2; shift 2 ;;
	-h|--help) sed -n '2,13s/^# \{0,1\}//p' "$0"; exit 0 ;;
	*) echo "screens.sh: unknown option $1" >&2; exit 2 ;;
	esac
done
T=$BUILD/teacher/cast-teacher
S=$BUILD/student/cast-student
W=$(mktemp -d /tmp/cast-screens-bench.XXXXXX)
PIDS=""
trap 'kill $PIDS 2>/dev/null; wait 2>/dev/null; rm -rf "$W"' EXIT
export HOME=$W/home
mkdir -p "$HOME"
CH=41
"$T" keygen "$W/class.key" >/dev/null
TS=$W/t.sock
ctl() { "$T" ctl --socket "$TS" "$@" 2>/dev/null; }

k=1
while [ $k -le "$N" ]; do
	# The demo's viewers decode (their switch is timed by the picture).
	nd=--no-decode
	[ $k -le 6 ] && nd=
	"$S" --headless --key "$W/class.key" --channel $CH --id s$k \
		--state-dir "$W/s$k" --local-socket "$W/s$k.sock" \
		--inbox "$W/s$k/inbox" $nd --source testpattern \
		--size 1280x720 --stats "$W/s$k.json" >/dev/null 2>&1 &
	PIDS="$PIDS $!"
	echo $! >"$W/s$k.pid"
	k=$((k + 1))
done
"$T" --headless --key "$W/class.key" --ctl-socket "$TS" --source testpattern \
	--size 320x180 --fps 5 --channel $CH --stats "$W/t.json" \
	>/dev/null 2>"$W/t.err" &
TPID=$!
PIDS="$PIDS $TPID"
i=0
until [ "$(ctl students | python3 -c "import json,sys; print(sum(1 for s in json.load(sys.stdin)['students'] if s['online']))" 2>/dev/null || echo 0)" -ge "$N" ]; do
	i=$((i + 1))
	[ $i -lt 600 ] || { echo "screens.sh: the students did not join" >&2; exit 1; }
	sleep 0.2
done
sleep 3

# cpu PID…: their CPU seconds so far (utime + stime), one per line.
cpu() {
	for p in "$@"; do
		awk -v hz="$(getconf CLK_TCK)" '{print ($14 + $15) / hz}' "/proc/$p/stat"
	done
}
spids=$(cat "$W"/s*.pid)
window() { # OUT: teacher and students' CPU over SECS
	cpu $TPID $spids >"$W/$1.a"
	sleep "$SECS"
	cpu $TPID $spids >"$W/$1.b"
}
window off
ctl wall on >/dev/null
sleep 4
if [ -n "${SCREENS_PERF:-}" ]; then
	# Where the teacher's time goes with the wall on (perf report -i FILE).
	perf record -q -g -o "$SCREENS_PERF" -p $TPID -- sleep "$SECS" >/dev/null 2>&1 || true
fi
window on
frames=$(ctl wall status | python3 -c "
import json,sys
w = json.load(sys.stdin)['screens']['students']
print(' '.join('%.2f' % s['fps'] for s in w))")
ctl wall off >/dev/null

# What a running demo costs: the demonstrator (s2, sending its 1280x720
# screen at 30 fps) and the teacher (receiving it, as a viewer does; a relay
# would also send it again). Against the same window without a demo.
s2=$(cat "$W/s2.pid")
cpu $TPID "$s2" >"$W/nodemo.a"
sleep "$SECS"
cpu $TPID "$s2" >"$W/nodemo.b"
ctl demo from=s2 >/dev/null
sleep 3
cpu $TPID "$s2" >"$W/demo.a"
sleep "$SECS"
cpu $TPID "$s2" >"$W/demo.b"
ctl demo stop >/dev/null
sleep 2

# Demo switches: s2 to everyone else, five times.
for r in 1 2 3 4 5; do
	ctl demo from=s2 >/dev/null
	sleep 3
	for k in 1 3 4 5 6; do
		tail -n 1 "$W/s$k.json" | python3 -c "import json,sys; s=json.load(sys.stdin); print(s['switch_ms'] if s['showing']=='demo:s2' else -1)" >>"$W/to_demo"
	done
	ctl demo stop >/dev/null
	sleep 3
	for k in 1 3 4 5 6; do
		tail -n 1 "$W/s$k.json" | python3 -c "import json,sys; s=json.load(sys.stdin); print(s['switch_ms'] if s['showing']=='teacher' else -1)" >>"$W/to_teacher"
	done
done

python3 - "$W" "$SECS" "$N" "$JSON" "$frames" <<'PY'
import json, statistics, sys
w, secs, n, out, fps = sys.argv[1], float(sys.argv[2]), int(sys.argv[3]), sys.argv[4], sys.argv[5]
def load(name):
    return [float(x) for x in open("%s/%s" % (w, name))]
a0, b0, a1, b1 = load("off.a"), load("off.b"), load("on.a"), load("on.b")
pct = lambda a, b: [(y - x) / secs * 100 for x, y in zip(a, b)]
off, on = pct(a0, b0), pct(a1, b1)
teacher = on[0] - off[0]
students = sorted(y - x for x, y in zip(off[1:], on[1:]))
rates = sorted(float(x) for x in fps.split()) if fps else [0]
d0, d1 = pct(load("nodemo.a"), load("nodemo.b")), pct(load("demo.a"), load("demo.b"))
demo_teacher, demo_sender = d1[0] - d0[0], d1[1] - d0[1]
td = [float(x) for x in open(w + "/to_demo")]
tt = [float(x) for x in open(w + "/to_teacher")]
r = {
    "students": n,
    "teacher_cpu_wall_pct": round(teacher, 2),
    "teacher_cpu_off_pct": round(off[0], 2),
    "student_cpu_wall_pct_median": round(statistics.median(students), 2),
    "student_cpu_wall_pct_max": round(students[-1], 2),
    "thumbnail_fps_min": rates[0],
    "thumbnail_fps_median": statistics.median(rates),
    "switch_to_demo_ms_median": statistics.median(td), "switch_to_demo_ms_max": max(td),
    "switch_to_teacher_ms_median": statistics.median(tt), "switch_to_teacher_ms_max": max(tt),
    "switch_failures": sum(1 for x in td + tt if x < 0),
    "demo_sender_cpu_pct": round(demo_sender, 1),
    "demo_teacher_cpu_pct": round(demo_teacher, 1),
}
print("| what | figure | target |")
print("| --- | --- | --- |")
print("| teacher CPU receiving %d thumbnail streams | %.1f %% of a core | <= 20 %% |" % (n, teacher))
print("| a student sending one (median, max) | %.2f %%, %.2f %% | <= 3 %% |" % (r["student_cpu_wall_pct_median"], r["student_cpu_wall_pct_max"]))
print("| thumbnails per student (min, median) | %.2f, %.2f fps | 2 fps |" % (rates[0], r["thumbnail_fps_median"]))
print("| demo switch: old picture shown (median, max) | %.0f ms, %.0f ms | <= 500 ms, <= 1 s |" % (r["switch_to_demo_ms_median"], r["switch_to_demo_ms_max"]))
print("| back to the teacher (median, max) | %.0f ms, %.0f ms | <= 500 ms, <= 1 s |" % (r["switch_to_teacher_ms_median"], r["switch_to_teacher_ms_max"]))
print("| a running demo: the demonstrator sending 1280x720 at 30 fps | %.1f %% of a core | |" % demo_sender)
print("| a running demo: the teacher receiving it (as a viewer) | %.1f %% of a core | |" % demo_teacher)
print(json.dumps(r))
if out:
    json.dump(r, open(out, "w"), indent=1)
PY
