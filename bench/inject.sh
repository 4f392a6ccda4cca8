#!/bin/sh
# Remote control injection (F20): what one input word costs on the student,
# from cast_injector_send's call to its return (the server has then
# processed the events: a round trip), on a private Xvfb with tests/xevents
# receiving. Kinds: move, click, key (plain and ctrl+c: each re-reads the
# server's keymap), type (17 characters). Also checks every event arrived.
# Prints a table (p50/p95/max in ms) and one JSON object.
# Usage: bench/inject.sh [--json FILE] [--n N] [--build DIR]
set -eu
cd "$(dirname "$0")/.."
BUILD=build
N=200
JSON=""
while [ $# -gt 0 ]; do
	case $1 in
	--json) JSON=$2; shift 2 ;;
	--n) N=$2; shift 2 ;;
	--build) BUILD=$2; shift 2 ;;
	-h|--help) sed -n '2,8s/^# \{0,1\}//p' "$0"; exit 0 ;;
	*) echo "inject.sh: unknown option $1" >&2; exit 2 ;;
	esac
done
command -v Xvfb >/dev/null || { echo "inject.sh: needs Xvfb" >&2; exit 1; }
B=$(cd "$BUILD" && pwd)
[ -x "$B/tests/inject" ] && [ -x "$B/tests/xevents" ] ||
	{ echo "inject.sh: build tests/inject and tests/xevents first" >&2; exit 1; }
# Its own network namespace: Xvfb's abstract socket stays private.
if [ "${CAST_IN_NETNS:-}" != 1 ]; then
	exec unshare -n sh -c 'CAST_IN_NETNS=1 exec "$0" "$@"' "$0" \
		--json "$JSON" --n "$N" --build "$BUILD"
fi
W=$(mktemp -d /tmp/cast-inject-bench.XXXXXX)
PIDS=""
trap 'for p in $PIDS; do kill $p 2>/dev/null; done; wait 2>/dev/null; rm -rf "$W"' EXIT
: >"$W/displayfd"
Xvfb -displayfd 3 -screen 0 1920x1080x24 -nolisten tcp -nolisten unix \
	3>"$W/displayfd" >"$W/xvfb.log" 2>&1 &
PIDS="$PIDS $!"
while [ ! -s "$W/displayfd" ]; do sleep 0.1; done
DISPLAY=:$(head -n 1 "$W/displayfd")
export DISPLAY
"$B/tests/xevents" --motion >"$W/events" &
PIDS="$PIDS $!"
until grep -q '^ready' "$W/events"; do sleep 0.1; done

python3 - "$B/tests/inject" "$N" "$W" "$JSON" <<'PY'
import json, subprocess, sys, time
inject, n, work, out = sys.argv[1], int(sys.argv[2]), sys.argv[3], sys.argv[4]
words = {
    "move": ["move=%d,%d" % (10 + i % 1900, 10 + (i * 7) % 1060) for i in range(n)],
    "click": ["click=%d,%d" % (10 + (i * 13) % 1900, 10 + (i * 3) % 1060) for i in range(n)],
    "key": ["key=a"] * n,
    "key ctrl+c": ["key=ctrl+c"] * n,
    "type (17 chars)": ["type=Hello, world! 123"] * max(1, n // 10),
}
# Events each word makes reach the window (motion, click; key presses).
per = {"move": 1, "click": 2, "key": 1, "key ctrl+c": 2, "type (17 chars)": 19}
res = {}
before = sum(1 for _ in open(work + "/events"))
sent = 0
for kind, ws in words.items():
    p = subprocess.run([inject, "--time"] + ws, capture_output=True, text=True)
    if p.returncode:
        sys.exit("inject failed: " + p.stdout[-300:] + p.stderr[-300:])
    us = sorted(int(l.rsplit(" ", 1)[1]) for l in p.stdout.splitlines() if l.startswith("ok "))
    q = lambda f: us[min(len(us) - 1, int(f * len(us)))] / 1000
    res[kind] = {"n": len(us), "p50_ms": q(0.5), "p95_ms": q(0.95), "max_ms": us[-1] / 1000}
    sent += per[kind] * len(ws)
# Consecutive moves to one place make no motion; the sweeps above never repeat.
time.sleep(0.5)
got = sum(1 for _ in open(work + "/events")) - before
print("%-16s %6s %8s %8s %8s" % ("word", "n", "p50 ms", "p95 ms", "max ms"))
for k, r in res.items():
    print("%-16s %6d %8.3f %8.3f %8.3f" % (k, r["n"], r["p50_ms"], r["p95_ms"], r["max_ms"]))
print("events received: %d of %d" % (got, sent))
doc = {"bench": "inject", "screen": "1920x1080 Xvfb", "words": res,
       "events_sent": sent, "events_received": got}
print(json.dumps(doc))
if out:
    open(out, "w").write(json.dumps(doc) + "\n")
PY
