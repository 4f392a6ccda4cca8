#!/bin/sh
# Students come back by themselves, on a private 3-host LAN (netlab.sh):
#  1. a student killed (SIGKILL, like a crash) and started again shows a
#     picture within 2 s (first_picture_ms);
#  2. a student whose cable is pulled for 5 s (its switch port down) shows
#     pictures again within 2 s of the link coming back. The receiver leaves
#     and joins its group again after 2 s without media.
# The resume time after the restore is measured two ways:
#   - precisely from max_gap_ms: the longest freeze spans the outage, from
#     the last picture before the cable pull to the first one after the
#     restore, so resume = max_gap_ms - (restore time - pull time);
#   - coarsely from the per-second stats lines: the first line after the
#     restore whose frames_decoded grew (up to one stats period late).
# Pass: precise resume <= 2000 ms and line-based <= 3000 ms (2 s + 1 period).
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/netlab.sh"

T_START=$(lab_now_ms)
ip netns add "$LAB_ID-probe" 2>/dev/null || skip "cannot create named network namespaces"
ip netns del "$LAB_ID-probe"

CH=7
FPS=30
OUTAGE_S=5
# --- command lines: authenticated and encrypted, as deployed ---------------
"$TEACHER" keygen "$WORK/class.key" >/dev/null
CAST_AUTH="--key $WORK/class.key"
TEACHER_CMD="$TEACHER --headless $CAST_AUTH --ctl-socket $WORK/teacher.sock --source testpattern --size 320x180 --fps $FPS --bitrate 300 --channel $CH"
STUDENT_CMD="$STUDENT --headless $CAST_AUTH --check-stamp --channel $CH"

lab_up 3
echo "lab_up 3 hosts: $LAB_UP_MS ms"

# shellcheck disable=SC2086
lab_bg 0 $TEACHER_CMD --duration $((60 * CAST_SLACK)) --stats "$WORK/teacher.json" 2>"$WORK/teacher.err"
TPID=$LAB_PID
sleep 1

# Student 1 (will be killed) and student 2 (will lose its link).
# shellcheck disable=SC2086
lab_bg 1 $STUDENT_CMD --id s1 --state-dir "$WORK/st1" --local-socket "$WORK/st1.sock" --duration 30 --stats "$WORK/s1.json" 2>"$WORK/s1.err"
S1=$LAB_PID
T_S2=$(lab_now_ms)
# shellcheck disable=SC2086
lab_bg 2 $STUDENT_CMD --id s2 --state-dir "$WORK/st2" --local-socket "$WORK/st2.sock" --duration $((60 * CAST_SLACK)) --stats "$WORK/s2.json" 2>"$WORK/s2.err"
S2=$LAB_PID
sleep 3

# 1. Kill and restart.
kill -KILL $S1
wait $S1 2>/dev/null || true
# shellcheck disable=SC2086
lab_bg 1 $STUDENT_CMD --id s1 --state-dir "$WORK/st1" --local-socket "$WORK/st1.sock" --duration 5 --stats "$WORK/s1b.json" 2>"$WORK/s1b.err"
S1B=$LAB_PID

# 2. Pull student 2's cable for OUTAGE_S seconds, once it shows the
# broadcast (a loaded machine may take seconds to start it).
sleep 1
i=0
until python3 - "$WORK/s2.json" <<'PY' 2>/dev/null; do
import json, sys
lines = open(sys.argv[1]).read().splitlines()
sys.exit(0 if lines and json.loads(lines[-1])["frames_decoded"] >= 30 else 1)
PY
	i=$((i + 1))
	[ $i -lt $((100 * CAST_SLACK)) ] || fail "student 2 never showed the broadcast"
	sleep 0.2
done
T_DOWN=$(lab_now_ms)
lab_link_down 2
sleep $OUTAGE_S
lab_link_up 2
T_UP=$(lab_now_ms)

wait $S1B || fail "restarted student exited with an error: $(tail -n 2 "$WORK/s1b.err")"
# Student 2 runs on a few seconds after the restore, then stops (SIGINT,
# final stats).
sleep 4
kill -INT $S2 2>/dev/null || true
wait $S2 || fail "student 2 exited with an error: $(tail -n 2 "$WORK/s2.err")"
kill -INT $TPID 2>/dev/null || true
wait $TPID || true

FAILED=0
echo "--- 1. student killed and restarted"
check "$WORK/s1b.json" "0 <= s['first_picture_ms'] <= 2000" \
	"restarted student took more than 2 s to show a picture" || FAILED=1
check "$WORK/s1b.json" "s['stamp']['bad'] == 0 and s['stamp']['disorder'] == 0" \
	"restarted student showed a corrupt or out-of-order picture" || FAILED=1
python3 -c "import json,sys; s=json.loads(sys.argv[1]); print('restarted student: first_picture_ms %.0f, frames decoded %d, max_gap_ms %.0f' % (s['first_picture_ms'], s['frames_decoded'], s['max_gap_ms']))" \
	"$(final_stats "$WORK/s1b.json")"

echo "--- 2. link down ${OUTAGE_S} s, then up"
python3 - "$WORK/s2.json" "$T_S2" "$T_DOWN" "$T_UP" "$FPS" \
	"$(grep -c 'joining .* again' "$WORK/s2.err" || true)" <<'PY' || FAILED=1
import json, sys
path, t_s2, t_down, t_up, fps, rejoins = sys.argv[1], *map(float, sys.argv[2:6]), sys.argv[6]
lines = [json.loads(l) for l in open(path) if l.strip()]
final = [s for s in lines if s.get("final")]
if not final:
    print("FAIL: student 2 wrote no final stats"); sys.exit(1)
final = final[-1]
outage = t_up - t_down
# Precise: the longest freeze covers the outage.
precise = final["max_gap_ms"] - outage
# Coarse: stats lines, placed on the wall clock from the student's start.
before = [s for s in lines if t_s2 + 1000 * s["t"] <= t_up]
after = [s for s in lines if t_s2 + 1000 * s["t"] > t_up]
base = before[-1]["frames_decoded"] if before else 0
grew = [s for s in after if s["frames_decoded"] > base]
line_ms = (t_s2 + 1000 * grew[0]["t"] - t_up) if grew else None
print("student 2: outage %.0f ms, longest freeze %.0f ms -> pictures back %.0f ms after restore; "
      "first stats line with new pictures %s after restore; rejoins logged %s; "
      "packets_lost %d, stamp ok %d bad %d disorder %d" % (
      outage, final["max_gap_ms"], precise,
      "%.0f ms" % line_ms if line_ms is not None else "never", rejoins,
      final.get("packets_lost", 0), final["stamp"]["ok"], final["stamp"]["bad"],
      final["stamp"]["disorder"]))
print("RESULT " + json.dumps({"outage_ms": outage, "resume_ms": round(precise),
      "resume_line_ms": round(line_ms) if line_ms is not None else None}))
bad = []
if line_ms is None: bad.append("pictures never came back after the link did")
elif line_ms > 3000: bad.append("first stats line with new pictures %.0f ms after restore > 3000" % line_ms)
if precise > 2000: bad.append("pictures back %.0f ms after restore > 2000" % precise)
if precise < -100: bad.append("freeze %.0f ms shorter than the outage: link down had no effect?" % final["max_gap_ms"])
if final["stamp"]["bad"] or final["stamp"]["disorder"]: bad.append("corrupt or out-of-order pictures")
for b in bad: print("FAIL: " + b)
sys.exit(1 if bad else 0)
PY
echo "whole test: $(($(lab_now_ms) - T_START)) ms"
[ $FAILED = 0 ] || fail "see above"
echo "PASS"
