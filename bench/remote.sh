#!/bin/sh
# Remote control: input → visible on the teacher. A private Xvfb (1280x720)
# with tests/xevents over it is the student's screen (--source x11); the
# teacher takes control of it (`ctl control s1`: its screen at full size,
# 15 fps) and moves the pointer ROUNDS times (`ctl input s1 move=X,Y`, the
# cursor is drawn into the picture). Each round times the `ctl input` call
# to the first new picture of s1 at the teacher (its frame count, polled
# through `wall status` every 5 ms; a still screen also sends one picture a
# second, so a round can end early by chance: the median is the figure).
# Also times `ctl input` to the event at the X client (xevents prints it).
# Requests go straight to the control socket, as the console's would.
# Prints a table and one JSON object.
# Usage: bench/remote.sh [--json FILE] [--rounds N] [--build DIR]
set -eu
. "$(dirname "$0")/lib.sh"
bench_netns "$0" "$@"
cd "$(dirname "$0")/.."
BUILD=build
ROUNDS=30
JSON=""
while [ $# -gt 0 ]; do
	case $1 in
	--json) JSON=$2; shift 2 ;;
	--rounds) ROUNDS=$2; shift 2 ;;
	--build) BUILD=$2; shift 2 ;;
	-h|--help) sed -n '2,13s/^# \{0,1\}//p' "$0"; exit 0 ;;
	*) echo "remote.sh: unknown option $1" >&2; exit 2 ;;
	esac
done
W=$(mktemp -d /tmp/cast-remote-bench.XXXXXX)
PIDS=""
trap 'kill $PIDS 2>/dev/null; wait 2>/dev/null; rm -rf "$W"' EXIT
export HOME=$W/home
mkdir -p "$HOME"
: >"$W/displayfd"
Xvfb -displayfd 3 -screen 0 1280x720x24 -nolisten tcp -nolisten unix \
	3>"$W/displayfd" >"$W/xvfb.log" 2>&1 &
PIDS="$PIDS $!"
while [ ! -s "$W/displayfd" ]; do sleep 0.1; done
DISP=:$(head -n 1 "$W/displayfd")
DISPLAY=$DISP "$BUILD/tests/xevents" --motion >"$W/events" 2>/dev/null &
PIDS="$PIDS $!"
until grep -q '^ready' "$W/events"; do sleep 0.1; done
T=$BUILD/teacher/cast-teacher
"$T" keygen "$W/class.key" >/dev/null
"$BUILD/student/cast-student" --headless --key "$W/class.key" --channel 43 \
	--id s1 --state-dir "$W/s1" --local-socket "$W/s1.sock" \
	--inbox "$W/s1/inbox" --source "x11:$DISP" >/dev/null 2>&1 &
PIDS="$PIDS $!"
"$T" --headless --key "$W/class.key" --ctl-socket "$W/t.sock" \
	--source testpattern --size 640x360 --fps 5 --channel 43 \
	>/dev/null 2>&1 &
PIDS="$PIDS $!"
python3 - "$T" "$W" "$ROUNDS" "$JSON" <<'PY'
import json, socket, statistics, struct, sys, time
T, w, rounds, out = sys.argv[1], sys.argv[2], int(sys.argv[3]), sys.argv[4]
def ctl(*a):
    # The teacher's control socket (docs/classroom.md): a length and the
    # words, NUL-terminated; the answer until the socket closes. Spoken
    # here directly: starting `cast-teacher ctl` itself takes longer than
    # what is measured.
    body = b"".join(x.encode() + b"\0" for x in a)
    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    try:
        s.connect(w + "/t.sock")
        s.sendall(struct.pack(">I", len(body)) + body)
        got = b""
        while True:
            b = s.recv(65536)
            if not b:
                break
            got += b
        return got.decode(errors="replace")
    except OSError:
        return ""
    finally:
        s.close()
def frames():
    try:
        st = json.loads(ctl("wall", "status"))["screens"]["students"]
        return next(s["frames"] for s in st if s["id"] == "s1")
    except Exception:
        return -1
for _ in range(300):
    if '"ok":true' in ctl("control", "s1"):
        break
    time.sleep(0.2)
for _ in range(300):
    if frames() > 10:
        break
    time.sleep(0.1)
seen, shown, calls = [], [], []
for r in range(rounds):
    time.sleep(0.4)
    before, lines = frames(), sum(1 for _ in open(w + "/events"))
    x, y = 100 + 30 * r, 100 + 15 * r
    t0 = time.monotonic()
    ctl("input", "s1", "move=%d,%d" % (x, y))
    t_ctl = time.monotonic()
    calls.append((t_ctl - t0) * 1e3)
    got_ev = None
    while time.monotonic() - t0 < 2:
        if got_ev is None and sum(1 for _ in open(w + "/events")) > lines:
            got_ev = time.monotonic()
        if frames() > before:
            shown.append((time.monotonic() - t0) * 1e3)
            break
        time.sleep(0.005)
    if got_ev is None and sum(1 for _ in open(w + "/events")) > lines:
        got_ev = time.monotonic()
    if got_ev is not None:
        seen.append((got_ev - t0) * 1e3)
ctl("control", "stop")
res = {"rounds": rounds,
       "input_to_display_ms_p50": round(statistics.median(seen), 1) if seen else None,
       "input_to_teacher_picture_ms_p50": round(statistics.median(shown), 1) if shown else None,
       "input_to_teacher_picture_ms_max": round(max(shown), 1) if shown else None,
       "pictures_seen": len(shown),
       "ctl_call_ms_p50": round(statistics.median(calls), 1)}
print("| what | figure | target |")
print("| --- | --- | --- |")
print("| one `input` request on the control socket, p50 | %s ms | |" % res["ctl_call_ms_p50"])
print("| `ctl input` → event at the student's X client, p50 | %s ms | |" % res["input_to_display_ms_p50"])
print("| `ctl input` → new picture of s1 at the teacher, p50 (max) | %s ms (%s ms) | <= 100 ms p50 |" % (
    res["input_to_teacher_picture_ms_p50"], res["input_to_teacher_picture_ms_max"]))
print(json.dumps(res))
if out:
    json.dump(res, open(out, "w"), indent=1)
PY
