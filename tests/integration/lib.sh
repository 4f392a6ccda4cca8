# Shared helpers for integration tests; sourced by each test_*.sh.
# Each test runs as: SCRIPT BUILD_DIR SOURCE_DIR, inside its own network
# namespace (run-in-netns.sh). Exit 0 pass, 1 fail, 77 skipped.
set -eu

BUILD=$(cd "$1" && pwd)
SRC=$(cd "$2" && pwd)
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
