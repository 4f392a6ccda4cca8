#!/bin/sh
# End-to-end benchmark: a real Xvfb desktop with scripted activity broadcast
# by cast-teacher (x11 capture, 1080p30) to cast-student processes, inside a
# private network namespace so no multicast leaves this machine; the same
# desktop through the ffmpeg CLI (x11grab + libx264) as the yardstick; and
# cast-bench stages on the same desktop. Prints a table and writes one JSON
# object with every figure (docs/performance.md explains them).
# Usage: bench/run.sh [--json FILE] [--secs N] [--display :N] [--build DIR]
#                     [--seed N] [--quick]
# Takes about 2.5 minutes (--quick: about 1.5 minutes, fewer samples).
# Child shells' scripts are in single quotes on purpose:
# shellcheck disable=SC2016
set -eu
cd "$(dirname "$0")/.."

BUILD=build-bench
DPY=:97
VIEW_DPY=:98
SECS=20
SEED=$(date +%s)
JSON=""
QUICK=0
while [ $# -gt 0 ]; do
	case $1 in
	--json) JSON=$2; shift 2 ;;
	--secs) SECS=$2; shift 2 ;;
	--display) DPY=$2; shift 2 ;;
	--build) BUILD=$2; shift 2 ;;
	--seed) SEED=$2; shift 2 ;;
	--quick) QUICK=1; shift ;;
	-h|--help) sed -n '2,10s/^# \{0,1\}//p' "$0"; exit 0 ;;
	*) echo "run.sh: unknown option $1" >&2; exit 2 ;;
	esac
done
[ "$QUICK" = 1 ] && SECS=8

if [ "${CAST_IN_NETNS:-}" != 1 ]; then
	missing=""
	for t in Xvfb xterm xclock xdpyinfo ffmpeg python3 unshare ip cmake; do
		command -v $t >/dev/null 2>&1 || missing="$missing $t"
	done
	if [ -n "$missing" ]; then
		echo "run.sh: missing:$missing (scripts/install-deps.sh installs them)" >&2
		exit 1
	fi
	command -v xdotool >/dev/null 2>&1 ||
		echo "run.sh: no xdotool: typing is simulated and the pointer stays still" >&2
	cmake -S . -B "$BUILD" >/dev/null
	cmake --build "$BUILD" -j"$(nproc 2>/dev/null || echo 2)" \
		--target cast-teacher cast-student cast-bench >/dev/null
	if ! unshare -n true 2>/dev/null; then
		echo "run.sh: cannot create a network namespace (needs root or user namespaces)" >&2
		exit 1
	fi
	set -- --json "${JSON:-}" --secs "$SECS" --display "$DPY" --build "$BUILD" --seed "$SEED"
	[ "$QUICK" = 1 ] && set -- "$@" --quick
	# Multicast stays on this machine: a namespace of our own, loopback only.
	exec unshare -n sh -c 'ip link set lo up && echo 21000-49999 >/proc/sys/net/ipv4/ip_local_reserved_ports &&
		ip route add 224.0.0.0/4 dev lo src 127.0.0.1 &&
		CAST_IN_NETNS=1 exec "$0" "$@"' "$0" "$@"
fi

T=$BUILD/teacher/cast-teacher
S=$BUILD/student/cast-student
B=$BUILD/bench/cast-bench
OUT=$(mktemp -d /tmp/cast-bench.XXXXXX)
[ -n "$JSON" ] || JSON=$OUT/bench.json
CH=7
# Measured as deployed: authenticated control, SRTP media.
"$T" keygen "$OUT/class.key" >/dev/null
SEC="--key $OUT/class.key --ctl-socket $OUT/teacher.sock"
FLAG=$OUT/activity-on
PIDS=""
HZ=$(getconf CLK_TCK)

cleanup() {
	rm -f "$FLAG"
	for p in $PIDS; do kill "$p" 2>/dev/null || true; done
	wait 2>/dev/null || true
}
trap cleanup EXIT
trap 'exit 130' INT TERM

bg() {
	"$@" &
	PIDS="$PIDS $!"
}

log() {
	echo "run.sh: $*" >&2
}

# sample LABEL PID: appends "LABEL wall_s cpu_ticks" (utime + stime).
sample() {
	if [ -r "/proc/$2/stat" ]; then
		echo "$1 $(date +%s.%N) $(awk '{print $14 + $15}' "/proc/$2/stat")" \
			>>"$OUT/cpu.txt"
	fi
}

start_x() {
	if [ -e "/tmp/.X${1#:}-lock" ]; then
		log "display $1 is in use (/tmp/.X${1#:}-lock); pick another with --display"
		exit 1
	fi
	bg Xvfb "$1" -screen 0 1920x1080x24 -nolisten tcp -br -noreset
	for _ in $(seq 50); do
		DISPLAY=$1 xdpyinfo >/dev/null 2>&1 && return 0
		sleep 0.1
	done
	log "Xvfb $1 did not start"
	exit 1
}

# The desktop: an editor-like xterm with source code, a scrolling build log,
# an xterm where text is typed, and a clock with a second hand. Activity runs
# while $FLAG exists; without it everything stands still.
start_desktop() {
	export DISPLAY="$DPY"
	bg xterm -geometry 158x82+0+0 -bg white -fg black -title editor -e sh -c \
		'cat libcast/src/pipeline/sender.c; exec sleep 100000'
	bg xterm -geometry 158x40+960+0 -bg '#1e1e1e' -fg '#d0d0d0' -title log \
		-e sh -c 'i=0; while :; do
			if [ -e "$0" ]; then
				i=$((i + 1)); m=$((i % 37))
				echo "$(date +%T) [build] $i: cc -O2 -c src/module_$m.c -o obj/module_$m.o ($((i * 7 % 1000)) ms)"
			fi
			sleep 0.3
		done' "$FLAG"
	if command -v xdotool >/dev/null 2>&1; then
		bg xterm -geometry 110x40+960+545 -bg white -fg black -title notes \
			-e cat
		bg sh -c 'while :; do
			for line in "The encoder sees only the rows that changed" \
				"Intra refresh replaces keyframes with a moving column" \
				"Students join the group and wait for the next wave"; do
				[ -e "$0" ] || { sleep 0.3; continue; }
				xdotool mousemove 1300 800
				xdotool type --delay 110 "$line"
				xdotool key Return
				for x in 300 420 540 660 780; do
					[ -e "$0" ] && xdotool mousemove $x $((x / 2 + 200))
					sleep 0.08
				done
			done
		done' "$FLAG"
	else
		bg xterm -geometry 110x40+960+545 -bg white -fg black -title notes \
			-e sh -c 'while :; do
				for w in The encoder sees only the rows that changed,; do
					[ -e "$0" ] || { sleep 0.3; continue; }
					for c in $(echo "$w" | sed "s/./& /g"); do
						printf %s "$c"; sleep 0.11
					done
					printf " "
				done
				echo
			done' "$FLAG"
	fi
	start_clock
	sleep 1
}

start_clock() {
	DISPLAY=$DPY xclock -update 1 -geometry 200x200+1690+600 &
	CLOCK=$!
	PIDS="$PIDS $CLOCK"
}

activity_on() {
	touch "$FLAG"
	[ -n "${CLOCK:-}" ] || start_clock
}

activity_off() {
	rm -f "$FLAG"
	if [ -n "${CLOCK:-}" ]; then
		kill "$CLOCK" 2>/dev/null || true
		wait "$CLOCK" 2>/dev/null || true
		CLOCK=""
	fi
	sleep 1.5
}

# offsets N LO HI: N random start offsets in seconds (from --seed), sorted.
offsets() {
	python3 -c 'import random, sys
n, lo, hi, seed = int(sys.argv[1]), float(sys.argv[2]), float(sys.argv[3]), sys.argv[4]
r = random.Random(seed + ":" + sys.argv[1] + ":" + sys.argv[3])
for v in sorted(lo + r.random() * (hi - lo) for _ in range(n)):
    print("%.2f" % v)' "$1" "$2" "$3" "$SEED"
}

# late_joiners PHASE N LO HI DUR: starts N students at random offsets (s)
# after now, each for DUR seconds; returns when they have all started.
late_joiners() {
	t0=$(date +%s.%N)
	k=0
	for off in $(offsets "$2" "$3" "$4"); do
		k=$((k + 1))
		now=$(date +%s.%N)
		d=$(awk -v a="$t0" -v o="$off" -v n="$now" 'BEGIN { d = a + o - n; print (d > 0 ? d : 0) }')
		sleep "$d"
		bg "$S" --headless --key "$OUT/class.key" --channel $CH --duration "$5" \
			--stats "$OUT/$1-late$k.json" 2>>"$OUT/$1-late.log"
		JPIDS="$JPIDS $!"
		echo "$1 $k $off" >>"$OUT/offsets.txt"
	done
}

# broadcast PHASE SECS: teacher + one headless student (+ one windowed on
# the view display in the active phase); CPU sampled over the steady part.
broadcast() {
	phase=$1
	secs=$2
	# Students first, so they see the stream from its first frame.
	bg "$S" --headless --key "$OUT/class.key" --channel $CH --duration "$secs" \
		--stats "$OUT/$phase-student.json" 2>"$OUT/$phase-student.log"
	sp=$!
	vp=""
	if [ "$phase" = active ]; then
		bg env DISPLAY=$VIEW_DPY ${SDL_RENDER_DRIVER:+SDL_RENDER_DRIVER=$SDL_RENDER_DRIVER} \
			"$S" --key "$OUT/class.key" --channel $CH \
			--windowed 1920x1080+0+0 --duration "$secs" \
			--stats "$OUT/$phase-view.json" 2>"$OUT/$phase-view.log"
		vp=$!
	fi
	sleep 0.5
	bg "$T" --headless $SEC --source "x11:$DPY" --fps 30 --channel $CH \
		--duration $((secs + 1)) --stats "$OUT/$phase-teacher.json" \
		2>"$OUT/$phase-teacher.log"
	tp=$!
	sleep 3
	sample "$phase-teacher-a" $tp
	sample "$phase-student-a" $sp
	[ -n "$vp" ] && sample "$phase-view-a" "$vp"
	sleep $((secs - 5))
	sample "$phase-teacher-b" $tp
	sample "$phase-student-b" $sp
	[ -n "$vp" ] && sample "$phase-view-b" "$vp"
	# shellcheck disable=SC2086
	wait $tp $sp $vp 2>/dev/null || true
}

# late_phase PHASE SECS N DUR: a teacher and N late joiners.
late_phase() {
	bg "$T" --headless $SEC --source "x11:$DPY" --fps 30 --channel $CH \
		--duration "$2" --stats "$OUT/$1-teacher.json" 2>"$OUT/$1-teacher.log"
	tp=$!
	JPIDS=""
	late_joiners "$1" "$3" 1 $(($2 - $4 - 1)) "$4"
	# shellcheck disable=SC2086
	wait $tp $JPIDS 2>/dev/null || true
}

# ffmpeg_phase PHASE SECS: the ffmpeg CLI's own pipeline on the same desktop.
ffmpeg_phase() {
	bg ffmpeg -hide_banner -nostdin -loglevel info -stats \
		-f x11grab -framerate 30 -video_size 1920x1080 -i "$DPY" \
		-c:v libx264 -preset veryfast -tune zerolatency -b:v 2M \
		-t "$2" -f null - 2>"$OUT/$1-ffmpeg.log"
	fp=$!
	sleep 3
	sample "$1-ffmpeg-a" $fp
	sleep $(($2 - 5))
	sample "$1-ffmpeg-b" $fp
	wait $fp 2>/dev/null || true
}

log "work dir $OUT, seed $SEED, $(nproc) cores, load $(cut -d' ' -f1-3 /proc/loadavg)"
cat /proc/loadavg >"$OUT/load-start.txt"
start_x "$DPY"
start_x "$VIEW_DPY"
touch "$FLAG"
start_desktop
sleep 2
# What the desktop looks like, for the record.
if command -v xwd >/dev/null && command -v convert >/dev/null; then
	xwd -root -display "$DPY" 2>/dev/null |
		convert xwd:- "$OUT/desktop.png" 2>/dev/null || true
fi

FRAMES=150
[ "$QUICK" = 1 ] && FRAMES=60
log "stages on the active desktop ($FRAMES frames per size)"
"$B" stages --display "$DPY" --frames $FRAMES --json "$OUT/stages.json" \
	>"$OUT/stages.txt" 2>"$OUT/stages.log"
log "stages on the test pattern (full motion, every frame changes)"
"$B" stages --frames $FRAMES --json "$OUT/stages-testpattern.json" \
	>"$OUT/stages-testpattern.txt" 2>"$OUT/stages-testpattern.log"

log "active desktop: teacher + 2 students, ${SECS} s"
broadcast active "$SECS"

N_LATE=5
[ "$QUICK" = 1 ] && N_LATE=3
log "late joiners on the active desktop ($N_LATE)"
late_phase active-join 14 $N_LATE 4

log "ffmpeg CLI on the active desktop, ${SECS} s"
ffmpeg_phase active "$SECS"

log "still desktop"
activity_off
broadcast still 12
log "late joiners on the still desktop ($N_LATE)"
late_phase still-join 16 $N_LATE 6
log "ffmpeg CLI on the still desktop"
ffmpeg_phase still 10
cat /proc/loadavg >"$OUT/load-end.txt"

python3 bench/summarize.py "$OUT" "$JSON" "$SEED" "$HZ"
log "all files in $OUT; JSON in $JSON"
