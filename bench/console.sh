#!/bin/sh
# The teacher's console with a full class: a teacher (320x180 test pattern at
# 5 fps, so the broadcast costs little) and N headless students (--no-decode)
# on loopback, inside a private network namespace, the console under Xvfb at
# each window size. Measures, against the same teacher run --headless:
#   - idle: the console's own CPU (process CPU with the console minus without,
#     over SECS seconds with nobody touching it; target <= 2 % of a core);
#   - redraw: the time to draw the whole window (cairo: tiles, toolbar,
#     status bar; the console's draw_ms) and to show it (texture upload and
#     present: present_ms), p50/p95/p99 over the redraws the pointer causes
#     while it sweeps along the toolbar (target: <= 8 ms with 50 students).
#     Under Xvfb, showing is software rendering (no GPU);
#   - stroke: a whiteboard stroke on the teacher's own screen, from SDL's
#     queueing of a pointer move to the end of the present that shows it
#     (stroke_ms p50/p95/p99; target: within one display frame, 16.7 ms).
# With --wall the students send 640x360 test patterns and the monitor wall
# is on (`ctl wall on`: 320x180 thumbnails at 2 fps, each picture new) in
# every run, the headless one included: the console's figure is then what
# the wall's pictures cost it (copying them, redrawing the tiles), beyond
# what receiving them costs the teacher.
# Each row also counts the redraws over the idle seconds, all and by kind:
# the whole window (full), a tile's rectangle (tiles: each tile repainted
# alone when only its picture or state changed) and the status bar's.
# Prints a table and one JSON object.
# Usage: bench/console.sh [--json FILE] [--secs N] [--students N] [--wall]
#        [--sizes "1920x1080 1366x768"] [--build DIR]
set -eu
. "$(dirname "$0")/lib.sh"
bench_netns "$0" "$@"
cd "$(dirname "$0")/.."
BUILD=build
SECS=10
N=50
JSON=""
WALL=0
SIZES="1920x1080 1366x768"
while [ $# -gt 0 ]; do
	case $1 in
	--json) JSON=$2; shift 2 ;;
	--secs) SECS=$2; shift 2 ;;
	--students) N=$2; shift 2 ;;
	--build) BUILD=$2; shift 2 ;;
	--wall) WALL=1; shift ;;
	--sizes) SIZES=$2; shift 2 ;;
	-h|--help) sed -n '2,26s/^# \{0,1\}//p' "$0"; exit 0 ;;
	*) echo "console.sh: unknown option $1" >&2; exit 2 ;;
	esac
done
for t in Xvfb xdotool python3 unshare ip; do
	command -v $t >/dev/null || { echo "console.sh: needs $t" >&2; exit 1; }
done
SFLAGS=""
[ "$WALL" = 1 ] && SFLAGS="--source testpattern --size 640x360"
T=$(cd "$BUILD" && pwd)/teacher/cast-teacher
S=$(cd "$BUILD" && pwd)/student/cast-student
W=$(mktemp -d /tmp/cast-console-bench.XXXXXX)
PIDS=""
trap 'for p in $PIDS; do kill $p 2>/dev/null || true; done; wait 2>/dev/null; rm -rf "$W"' EXIT
export HOME=$W/home
mkdir -p "$HOME"
"$T" keygen "$W/class.key" >/dev/null

# cpu_s PID: the process's user + system CPU seconds so far.
cpu_s() {
	awk -v hz="$(getconf CLK_TCK)" '{print ($14 + $15) / hz}' "/proc/$1/stat"
}

online() { # SOCK: students online
	"$T" ctl --socket "$1" class 2>/dev/null | python3 -c "
import json,sys
print(sum(1 for s in json.load(sys.stdin)['students'] if s['online']))" 2>/dev/null || echo 0
}

# run NAME WxH|headless: one teacher, N students; prints "cpu_seconds".
run() {
	name=$1 size=$2
	sock=$W/$name.sock
	ch=$((40 + $(printf %s "$name" | wc -c)))
	disp=""
	if [ "$size" != headless ]; then
		: >"$W/$name.dfd"
		Xvfb -displayfd 3 -screen 0 "${size}x24" -nolisten tcp -nolisten unix \
			3>"$W/$name.dfd" >"$W/$name.xvfb.log" 2>&1 &
		xp=$!
		PIDS="$PIDS $xp"
		i=0
		while [ ! -s "$W/$name.dfd" ]; do
			i=$((i + 1))
			[ $i -lt 100 ] || { echo "Xvfb did not start" >&2; exit 1; }
			sleep 0.1
		done
		disp=:$(head -n 1 "$W/$name.dfd")
		DISPLAY=$disp "$T" --key "$W/class.key" --ctl-socket "$sock" \
			--source testpattern --size 320x180 --fps 5 --bitrate 200 \
			--channel $ch --console-size "$size" --console-lang en \
			--stats "$W/$name.t.json" --duration 600 2>"$W/$name.t.err" &
	else
		"$T" --headless --key "$W/class.key" --ctl-socket "$sock" \
			--source testpattern --size 320x180 --fps 5 --bitrate 200 \
			--channel $ch --stats "$W/$name.t.json" --duration 600 \
			2>"$W/$name.t.err" &
	fi
	tp=$!
	PIDS="$PIDS $tp"
	spids=""
	i=1
	while [ $i -le "$N" ]; do
		"$S" --headless --no-decode --key "$W/class.key" --channel $ch \
			--id "s$i" --name "Student $i" --state-dir "$W/$name.st$i" \
			--local-socket "$W/$name.$i.sock" --duration 600 \
			$SFLAGS 2>/dev/null &
		spids="$spids $!"
		i=$((i + 1))
	done
	PIDS="$PIDS $spids"
	i=0
	while [ "$(online "$sock")" -lt "$N" ]; do
		i=$((i + 1))
		[ $i -lt 300 ] || { echo "$name: not all $N students joined" >&2; exit 1; }
		sleep 0.2
	done
	if [ "$WALL" = 1 ]; then
		"$T" ctl --socket "$sock" wall on >/dev/null
		sleep 8 # every thumbnail stream started
	fi
	sleep 2 # the joins' redraws settle
	c0=$(cpu_s $tp)
	cp "$W/$name.t.json" "$W/$name.ui0"
	sleep "$SECS"
	c1=$(cpu_s $tp)
	cp "$W/$name.t.json" "$W/$name.ui1"
	echo "$c0 $c1" >"$W/$name.idle"
	if [ -n "$disp" ]; then
		# Sweep the pointer along the toolbar: each button entered
		# redraws the whole window (hover), as a tile state change does.
		w=${size%x*} h=${size#*x}
		y=$((h * 45 / 1080))
		k=0
		while [ $k -lt 4 ]; do
			x=$((w / 60))
			while [ $x -lt $((w * 59 / 60)) ]; do
				DISPLAY=$disp xdotool mousemove $x $y
				sleep 0.05
				x=$((x + w / 40))
			done
			k=$((k + 1))
		done
		# The whiteboard on the own screen: F5 enters drawing mode;
		# three strokes across the middle, a pointer move every ~16 ms
		# (a 60 Hz mouse), each shown by the present after it
		# (stroke_ms: from SDL's queueing of the move to the end of
		# that present).
		DISPLAY=$disp xdotool key F5
		sleep 1
		k=0
		while [ $k -lt 3 ]; do
			y=$((h * (40 + 10 * k) / 100))
			x=$((w * 30 / 100))
			DISPLAY=$disp xdotool mousemove $x $y mousedown 1
			while [ $x -lt $((w * 70 / 100)) ]; do
				x=$((x + w / 100))
				DISPLAY=$disp xdotool mousemove $x $y sleep 0.016
			done
			DISPLAY=$disp xdotool mouseup 1
			k=$((k + 1))
		done
		sleep 1.5 # one more stats line
	fi
	# shellcheck disable=SC2086
	kill $spids $tp 2>/dev/null || true
	# shellcheck disable=SC2086
	wait $spids $tp 2>/dev/null || true
	[ -n "$disp" ] && kill "$xp" 2>/dev/null
	wait 2>/dev/null || true
}

run headless headless
for size in $SIZES; do
	run "c$size" "$size"
done

python3 - "$W" "$SECS" "$N" "$JSON" "$WALL" "$SIZES" <<'PY'
import json, sys
w, secs, n, out = sys.argv[1], float(sys.argv[2]), int(sys.argv[3]), sys.argv[4]
def idle(name):
    c0, c1 = map(float, open("%s/%s.idle" % (w, name)).read().split())
    return 100.0 * (c1 - c0) / secs
def ui(name):
    last = None
    for l in open("%s/%s.t.json" % (w, name)):
        if '"ui"' in l:
            last = json.loads(l)
    return last["ui"] if last else {}
base = idle("headless")
wall = sys.argv[5] == "1"
res = {"students": n, "secs": secs, "wall": wall,
       "teacher_headless_cpu_pct": round(base, 2)}
print("console with %d students (16 tiles a page)%s, %.0f s idle each; teacher --headless: %.2f %% of a core" % (
    n, ", wall on" if wall else "", secs, base))
print("%-10s %10s %10s %8s %18s %21s %22s %18s" % ("window", "teacher %", "console %", "redraws", "full/tiles/status", "draw ms p50/p95/p99", "present ms p50/p95/p99", "stroke ms p50/p95/p99"))
for size in sys.argv[6].split():
    name = "c" + size
    u = ui(name)
    d, p, k = u.get("draw_ms", {}), u.get("present_ms", {}), u.get("stroke_ms", {})
    t = idle(name)
    row = {"teacher_cpu_pct": round(t, 2), "console_idle_cpu_pct": round(t - base, 2),
           "redraws": u.get("redraws", 0)}
    # Over the idle seconds (stats lines a second apart).
    def last_ui(path):
        lines = [l for l in open(path) if l.endswith("\n") and '"ui"' in l]
        return json.loads(lines[-1])["ui"] if lines else {}
    u0, u1 = (last_ui("%s/%s.ui%d" % (w, name, i)) for i in (0, 1))
    for key in ("redraws", "full_redraws", "tile_redraws", "status_redraws"):
        row["idle_" + key] = u1.get(key, 0) - u0.get(key, 0)
    row.update({
           "draw_ms": d, "present_ms": p, "stroke_ms": k})
    res[size] = row
    print("%-10s %10.2f %10.2f %8d %18s %21s %22s %18s" % (size, t, t - base, row["idle_redraws"],
          "%d/%d/%d" % (row["idle_full_redraws"], row["idle_tile_redraws"], row["idle_status_redraws"]),
          "%.2f/%.2f/%.2f" % (d.get("p50", 0), d.get("p95", 0), d.get("p99", 0)),
          "%.2f/%.2f/%.2f" % (p.get("p50", 0), p.get("p95", 0), p.get("p99", 0)),
          "%.0f/%.0f/%.0f (%d)" % (k.get("p50", 0), k.get("p95", 0), k.get("p99", 0), k.get("count", 0))))
print(json.dumps(res))
if out:
    json.dump(res, open(out, "w"), indent=1)
PY
