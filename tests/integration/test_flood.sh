#!/bin/sh
# A student host floods the teacher's control port, on a private 4-host LAN
# (netlab.sh): 300 TCP connections opened and held without a byte (reopened
# when closed). A student started 2 s into the flood must show a picture
# within 2 s (x CAST_TIMING_SLACK), the student already watching keeps
# >= 90 % of the frames, and the teacher logs at most a few lines.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/netlab.sh"

ip netns add "$LAB_ID-probe" 2>/dev/null || skip "cannot create named network namespaces"
ip netns del "$LAB_ID-probe"
slack=${CAST_TIMING_SLACK:-1}
CH=7
"$TEACHER" keygen "$WORK/class.key" >/dev/null
CAST_AUTH="--key $WORK/class.key"
STUDENT_CMD="$STUDENT --headless $CAST_AUTH --channel $CH"

lab_up 4
# shellcheck disable=SC2086
lab_bg 0 "$TEACHER" --headless $CAST_AUTH --ctl-socket "$WORK/teacher.sock" --source testpattern --size 320x180 --fps 30 --bitrate 300 --channel $CH --duration 20 --stats "$WORK/teacher.json" 2>"$WORK/teacher.err"
TPID=$LAB_PID
# shellcheck disable=SC2086
lab_bg 1 $STUDENT_CMD --id s1 --state-dir "$WORK/st1" --local-socket "$WORK/st1.sock" --duration 18 --stats "$WORK/s1.json" 2>"$WORK/s1.err"
S1=$LAB_PID
sleep 2
lab_bg 2 python3 "$SRC/bench/dos_attack.py" hold "$(lab_addr 0)" $((40000 + 10 * CH + 5)) 300 12 >"$WORK/attack.json" 2>&1
APID=$LAB_PID
sleep 2
# shellcheck disable=SC2086
lab_bg 3 $STUDENT_CMD --id late --state-dir "$WORK/st3" --local-socket "$WORK/st3.sock" --duration 6 --stats "$WORK/late.json" 2>"$WORK/late.err"
LATE=$LAB_PID
wait $LATE || fail "late student exited with an error: $(tail -n 2 "$WORK/late.err")"
wait $APID || true
wait $S1 || fail "student 1 exited with an error: $(tail -n 2 "$WORK/s1.err")"
kill -INT $TPID 2>/dev/null || true
wait $TPID || true

echo "attacker: $(cat "$WORK/attack.json")"
FAILED=0
check "$WORK/late.json" "0 <= s['first_picture_ms'] <= 2000 * $slack" \
	"a student joining during the flood took more than 2 s to show a picture" || FAILED=1
python3 - "$WORK/teacher.json" "$WORK/s1.json" <<'PY' || FAILED=1
import json, sys
def final(p):
    return json.loads([l for l in open(p) if '"final":true' in l][-1])
t, s = final(sys.argv[1]), final(sys.argv[2])
share = s["frames_decoded"] / max(1, t["frames_sent"])
print("student 1 decoded %d of %d frames (%.3f)" % (s["frames_decoded"], t["frames_sent"], share))
if share < 0.90:
    print("FAIL: student 1 decoded under 90 % of the frames sent while it ran"); sys.exit(1)
PY
lines=$(wc -l <"$WORK/teacher.err")
echo "late student: $(final_stats "$WORK/late.json" | python3 -c 'import json,sys; print("first_picture_ms %.0f" % json.load(sys.stdin)["first_picture_ms"])'); teacher log lines: $lines"
[ "$lines" -le 20 ] || { echo "FAIL: the teacher wrote $lines log lines"; tail -n 5 "$WORK/teacher.err"; FAILED=1; }
[ $FAILED = 0 ] || exit 1
echo "PASS"
