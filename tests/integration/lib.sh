# Shared helpers for integration tests; sourced by each test_*.sh.
# Each test runs as: SCRIPT BUILD_DIR SOURCE_DIR, inside its own network
# namespace (run-in-netns.sh). Exit 0 pass, 1 fail, 77 skipped.
set -eu

BUILD=$(cd "$1" && pwd)
SRC=$(cd "$2" && pwd)
# The tests' Python helpers (tone.py: what a student played, read back).
export PYTHONPATH="$SRC/tests/integration${PYTHONPATH:+:$PYTHONPATH}"
TEACHER=$BUILD/teacher/cast-teacher
STUDENT=$BUILD/student/cast-student
WORK=$(mktemp -d /tmp/cast-it.XXXXXX)
# Programs keep keys, state and settings under HOME: never the real one.
export HOME="$WORK/home"
mkdir -p "$HOME"
unset XDG_RUNTIME_DIR
PIDS=""

cleanup() {
	for p in $PIDS; do kill "$p" 2>/dev/null || true; done
	wait 2>/dev/null || true
	if [ "${KEEP_WORK:-}" = 1 ]; then
		echo "work dir kept: $WORK"
	else
		rm -rf "$WORK"
	fi
}
trap cleanup EXIT

if [ "${CAST_IN_NETNS:-}" != 1 ]; then
	echo "FAIL: run through run-in-netns.sh so multicast stays on this machine"
	exit 1
fi

skip() {
	echo "skipped: $*"
	exit 77
}

fail() {
	echo "FAIL: $*"
	exit 1
}

bg() {
	"$@" &
	PIDS="$PIDS $!"
}

# final_stats FILE: the line with "final":true of a --stats file.
final_stats() {
	grep '"final":true' "$1" | tail -n 1
}

# check FILE PYTHON-EXPR MESSAGE: evaluates EXPR with `s` bound to the final
# stats object of FILE; fails with MESSAGE and the stats when false.
check() {
	python3 - "$1" "$2" "$3" <<'PY'
import json, sys
path, expr, msg = sys.argv[1:4]
lines = [l for l in open(path) if '"final":true' in l]
if not lines:
    print("FAIL: %s: no final stats line" % path); sys.exit(1)
s = json.loads(lines[-1])
if not eval(expr, {}, {"s": s}):
    print("FAIL: %s (%s)\n  stats: %s" % (msg, expr, lines[-1].strip()))
    sys.exit(1)
PY
}

# ---- A class run through `ctl` (test_classroom, test_ctl_commands) ------
# The test sets CH (channel) and TSOCK (the teacher's ctl socket) and makes
# $WORK/class.key. Times scale with CAST_TIMING_SLACK: a busy machine or
# instrumented code takes longer for the same steps.
CAST_SLACK=${CAST_TIMING_SLACK:-1}

# S ID: student ID's own state, as its local socket reports it.
S() { "$STUDENT" ctl --socket "$WORK/$1.sock" state; }

# field EXPR: evaluates a Python expression with `s` bound to the JSON on
# standard input.
field() { python3 -c "import json,sys; s=json.load(sys.stdin); print(eval(sys.argv[1]))" "$1"; }

# stats_until FILE EXPR: waits until EXPR (as for field) holds on the last
# line of a --stats FILE, at most 30 s × slack; 1 if it never did.
stats_until() {
	i=0
	until tail -n 1 "$1" 2>/dev/null | field "$2" 2>/dev/null | grep -q True; do
		i=$((i + 1))
		[ $i -lt $((300 * CAST_SLACK)) ] || return 1
		sleep 0.1
	done
}

# student ID [FLAGS…]: a headless student signed in as ID ("学生ID", class
# 3A) with its own folder, state, local socket ($WORK/ID.sock), inbox and
# stats; PID_ID is its pid. It stops by itself after STUDENT_S seconds
# (default 150) × slack, a cap for a test killed outright: a loaded machine
# takes far longer than an idle one for the same steps, and cleanup stops
# it anyway.
# STUDENT_FLAGS adds the test's own flags to every student (expanded when
# the student starts, so it may name $id).
student() {
	id=$1
	shift
	mkdir -p "$WORK/$id"
	flags=$(eval "echo ${STUDENT_FLAGS:-}")
	# shellcheck disable=SC2086 # the flags are words
	(cd "$WORK/$id" && exec "$STUDENT" --headless --key "$WORK/class.key" \
		--channel "$CH" --id "$id" --name "学生$id" --class 3A \
		--state-dir "$WORK/$id" --local-socket "$WORK/$id.sock" \
		--inbox "$WORK/$id/inbox" \
		--duration $((${STUDENT_S:-150} * CAST_SLACK)) \
		--stats "$WORK/$id.json" $flags "$@") &
	PIDS="$PIDS $!"
	eval "PID_$id=$!"
}

# wait_until PYTHON-CONDITION ID TENTHS: until the condition holds on
# student ID's state (`s`), at most TENTHS tenths of a second × slack.
wait_until() {
	i=0
	while [ $i -lt $(($3 * CAST_SLACK)) ]; do
		if S "$2" 2>/dev/null | field "$1" 2>/dev/null | grep -q True; then
			return 0
		fi
		sleep 0.1
		i=$((i + 1))
	done
	fail "$2: never $1; state: $(S "$2" 2>&1 | head -c 600)"
}

# online: how many students the teacher has online (0 when it cannot say).
online() {
	"$TEACHER" ctl --socket "$TSOCK" students 2>/dev/null | python3 -c "import json,sys; print(sum(1 for s in json.load(sys.stdin)['students'] if s['online']))" 2>/dev/null || echo 0
}

# wait_online COUNT: until COUNT students are online, at most 30 s × slack.
wait_online() {
	i=0
	while [ "$(online)" -lt "$1" ] && [ $i -lt $((150 * CAST_SLACK)) ]; do
		sleep 0.2
		i=$((i + 1))
		# A teacher that did not start has no control socket.
		[ $i -lt 50 ] || [ -S "$TSOCK" ] || fail "the teacher is not running (no $TSOCK)"
	done
	[ "$(online)" -ge "$1" ] || fail "$1 students did not sign in: $("$TEACHER" ctl --socket "$TSOCK" students 2>&1 | head -c 600)"
}

# xvfb_start WxHxD: a private X server. Xvfb picks a free display number
# itself (-displayfd) and listens only on the abstract socket, which is
# private to this network namespace: with -displayfd it takes no lock file,
# so a path socket would replace (and on exit delete) /tmp/.X11-unix/X0 of
# the host's own display. Sets XVFB_DISPLAY (":N"); skips the test when it
# does not start; cleanup stops it.
xvfb_start() {
	: >"$WORK/displayfd"
	Xvfb -displayfd 3 -screen 0 "$1" -nolisten tcp -nolisten unix \
		3>"$WORK/displayfd" >"$WORK/xvfb.log" 2>&1 &
	PIDS="$PIDS $!"
	i=0
	while [ ! -s "$WORK/displayfd" ]; do
		i=$((i + 1))
		[ $i -le 100 ] || skip "Xvfb did not start: $(cat "$WORK/xvfb.log")"
		sleep 0.1
	done
	XVFB_DISPLAY=:$(head -n 1 "$WORK/displayfd")
}

# last ID EXPR: EXPR on student ID's newest stats line (`s`); "?" if none.
last() {
	tail -n 1 "$WORK/$1.json" 2>/dev/null | field "$2" 2>/dev/null || echo "?"
}

# wait_last ID EXPR TENTHS: until EXPR is True on ID's newest stats line, at
# most TENTHS tenths of a second x slack.
wait_last() {
	i=0
	while [ "$(last "$1" "$2")" != True ]; do
		i=$((i + 1))
		[ $i -lt $(($3 * CAST_SLACK)) ] || fail "$1: never $2: $(tail -n 1 "$WORK/$1.json" | head -c 900)"
		sleep 0.1
	done
}
