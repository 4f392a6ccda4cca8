#!/bin/sh
# Student demo (F4): four students with test-pattern screens; s2's pattern is
# 640x360, the teacher's 1280x720. `ctl demo from=s2` puts s2's screen on
# s1, s3 and s4 (picture size and frame numbers from s2's pattern, input
# locked) and on the teacher; `demo stop` gives everyone the teacher's
# again; a viewer that restarts mid-demo gets the demo again; a
# demonstrator killed mid-demo returns the class to the teacher by itself. Bad words and unknown students are refused.
. "$(dirname "$0")/lib.sh"

CH=31
TSOCK=$WORK/t.sock
"$TEACHER" keygen "$WORK/class.key" >/dev/null
T() {
	"$TEACHER" ctl --socket "$TSOCK" "$@" >"$WORK/reply" 2>&1 || true
	cat "$WORK/reply"
}

STUDENT_FLAGS="--source testpattern --size 320x240 --check-stamp"
for i in 1 3 4; do student s$i; done
STUDENT_FLAGS="--source testpattern --size 640x360 --check-stamp"
student s2
bg "$TEACHER" --headless --key "$WORK/class.key" --ctl-socket "$TSOCK" \
	--source testpattern --size 1280x720 --fps 10 --channel $CH \
	--duration $((150 * CAST_SLACK)) --stats "$WORK/t.json"
wait_online 4
for i in 1 2 3 4; do wait_last s$i "s['showing'] == 'teacher' and s['width'] == 1280" 300; done

T demo | grep -q '"ok":false' || fail "demo without from= was not refused"
T demo from=nosuch | grep -q '"ok":false' || fail "an unknown demonstrator was not refused"
T demo stop | grep -q '"ok":false' || fail "demo stop without a demo was not refused"

# The demo: s2's screen on every other student, and on the teacher.
T demo from=s2 | grep -q '"ok":true' || fail "demo from=s2: $(cat "$WORK/reply")"
for i in 1 3 4; do
	wait_last s$i "s['showing'] == 'demo:s2' and s['width'] == 640 and s['height'] == 360 and s['input_locked']" 150
done
wait_last s2 "s['sending_demo'] and s['demo_frames_sent'] > 10" 100
wait_last s2 "s['showing'] == 'teacher'" 10
sleep 2
for i in 1 3 4; do
	wait_last s$i "s['demo_shown']['stamp_ok'] > 10 and s['demo_shown']['last_stamp'] > 0" 50
done
python3 - "$WORK" <<'PY' || fail "the demo's frame numbers are not s2's"
import json, sys
w = sys.argv[1]
last = lambda n: json.loads(open("%s/%s.json" % (w, n)).readlines()[-1])
sent = last("s2")["demo_frames_sent"]
for n in ("s1", "s3", "s4"):
    d = last(n)["demo_shown"]
    # Frame numbers count s2's pattern: never past what s2 has sent.
    print("%s shows s2's frame %d (s2 sent %d), %d read back in order" % (
        n, d["last_stamp"], sent, d["stamp_ok"]))
    if not (0 < d["last_stamp"] <= sent + 30):
        sys.exit(1)
PY
# A viewer that restarts during the demo is shown it again on its return.
kill "$PID_s4"
wait "$PID_s4" 2>/dev/null || true
STUDENT_FLAGS="--source testpattern --size 320x240 --check-stamp"
student s4
wait_last s4 "s['showing'] == 'demo:s2' and s['width'] == 640" 150
echo "s4 restarted mid-demo: shown s2's demo again"
tf=$(T demo status | python3 -c "import json,sys; print(json.load(sys.stdin)['screens']['demo_frames'])" 2>/dev/null || echo 0)
T demo stop | grep -q '"ok":true' || fail "demo stop: $(cat "$WORK/reply")"
echo "the teacher received $tf of s2's demo frames"
for i in 1 3 4; do
	wait_last s$i "s['showing'] == 'teacher' and s['width'] == 1280 and not s['input_locked']" 50
done
wait_last s2 "not s['sending_demo']" 50
echo "demo stop: everyone back on the teacher's screen"

# A demonstrator that drops off: back to the teacher by itself.
T demo from=s2 --to s1,s3 | grep -q '"ok":true' || fail "demo --to: $(cat "$WORK/reply")"
for i in 1 3; do wait_last s$i "s['showing'] == 'demo:s2'" 150; done
[ "$(last s4 "s['showing']")" = teacher ] || fail "s4 was shown a demo it was not chosen for"
kill "$PID_s2"
for i in 1 3; do wait_last s$i "s['showing'] == 'teacher' and s['width'] == 1280" 60; done
T class >/dev/null
python3 - "$TSOCK" "$TEACHER" <<'PY' || fail "the teacher still runs a demo of a student that left"
import json, subprocess, sys, time
for _ in range(50):
    out = subprocess.run([sys.argv[2], "ctl", "--socket", sys.argv[1], "demo", "status"],
                         capture_output=True, text=True).stdout
    try:
        if json.loads(out)["screens"]["demo"] == "":
            sys.exit(0)
    except Exception:
        pass
    time.sleep(0.2)
sys.exit(1)
PY
echo "s2 killed mid-demo: s1 and s3 back on the teacher's screen"
[ "$tf" -gt 0 ] || fail "the teacher received none of the demo"
echo "PASS"
