#!/bin/sh
# The teacher sees who has left the broadcast within 3 s (`ctl class`), on a
# private 4-host LAN (netlab.sh): a teacher, a student with a full-screen
# window on its own Xvfb (w1) and two headless students (s2, s3).
#  a. s2 stopped (SIGSTOP): "not responding"; continued: responding again;
#  b. s2's cable pulled: "not responding"; plugged back: responding again;
#  c. s3 killed (SIGKILL): online false; started again: online, responding;
#  d. w1's window unmapped (what minimizing does), shrunk, or without the
#     focus: "left_broadcast": true; restored: false again;
#  e. w1 killed while it had left and started again: fresh, not "left";
#  f. the broadcast stopped (`ctl broadcast off`): w1's full-screen window
#     steps aside to the desktop with its small "no broadcast" banner, and
#     nobody counts as having left; started again: w1 full-screen, watching.
# Each delay is measured by polling `ctl class` every 0.2 s and printed;
# detection must take at most 3 s (times CAST_TIMING_SLACK).
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/netlab.sh"

command -v Xvfb >/dev/null || skip "Xvfb not installed (scripts/install-deps.sh)"
command -v xdotool >/dev/null || skip "xdotool not installed"
ip netns add "$LAB_ID-probe" 2>/dev/null || skip "cannot create named network namespaces"
ip netns del "$LAB_ID-probe"

SLACK=${CAST_TIMING_SLACK:-1}
LIMIT_MS=$(python3 -c "print(int(3000 * $SLACK))")
CH=31
"$TEACHER" keygen "$WORK/class.key" >/dev/null
SOCK=$WORK/teacher.sock

lab_up 4

# Xvfb inside host 1: its abstract socket belongs to that namespace.
: >"$WORK/displayfd"
lab_bg 1 Xvfb -displayfd 3 -screen 0 640x360x24 -nolisten tcp -nolisten unix \
	3>"$WORK/displayfd" >"$WORK/xvfb.log" 2>&1
i=0
while [ ! -s "$WORK/displayfd" ] && [ $i -lt 100 ]; do sleep 0.1; i=$((i + 1)); done
[ -s "$WORK/displayfd" ] || skip "Xvfb did not start: $(cat "$WORK/xvfb.log")"
DISP=:$(head -n 1 "$WORK/displayfd")
X() { lab_exec 1 env DISPLAY="$DISP" "$@"; }

lab_bg 0 "$TEACHER" --headless --key "$WORK/class.key" --ctl-socket "$SOCK" \
	--source testpattern --size 320x180 --fps 15 --bitrate 200 \
	--channel $CH --duration 120 2>"$WORK/teacher.err"

# student HOST ID [--headless]: starts a student on its host; STUDENT_PID.
student() {
	_h=$1
	_id=$2
	shift 2
	lab_bg "$_h" env DISPLAY="$DISP" "$STUDENT" --key "$WORK/class.key" \
		--channel $CH --id "$_id" --state-dir "$WORK/$_id" \
		--local-socket "$WORK/$_id.sock" --inbox "$WORK/$_id/inbox" \
		--duration 120 "$@" 2>>"$WORK/$_id.err"
	STUDENT_PID=$LAB_PID
}
student 1 w1
W1=$STUDENT_PID
student 2 s2 --headless
S2=$STUDENT_PID
student 3 s3 --headless
S3=$STUDENT_PID

# until ID EXPR WHAT [LIMIT_MS]: polls `ctl class` every 0.2 s until EXPR
# (python, `s` the student's object) holds; prints the delay since T0 (ms,
# set just before the action) and fails past LIMIT_MS (default LIMIT_MS).
until_class() {
	python3 - "$TEACHER" "$SOCK" "$1" "$2" "$3" "$T0" "${4:-$LIMIT_MS}" <<'PY'
import json, subprocess, sys, time
teacher, sock, sid, expr, what, t0, limit = sys.argv[1:8]
t0, limit = int(t0), int(limit)
last = None
while True:
    out = subprocess.run([teacher, "ctl", "--socket", sock, "class"],
                         capture_output=True, text=True).stdout
    now = int(time.time() * 1000)
    try:
        last = next((s for s in json.loads(out)["students"]
                     if s["id"] == sid), None)
    except (ValueError, KeyError):
        last = None
    if last is not None and eval(expr, {}, {"s": last}):
        print("%-44s %5d ms" % (what, now - t0))
        sys.exit(0)
    if now - t0 > limit:
        print("FAIL: %s: not within %d ms; %s: %s" % (what, limit, sid,
              json.dumps(last)))
        sys.exit(1)
    time.sleep(0.2)
PY
}
now_ms() { date +%s%3N; }

T0=$(now_ms)
until_class w1 "s['state'] == 'watching'" "w1 joined, full-screen with a picture" 20000 ||
	fail "w1 never watched the broadcast: $(tail -n 3 "$WORK/w1.err")"
until_class s2 "s['state'] == 'online' and s['view'] == {'headless': True}" "s2 joined (headless)" 5000 ||
	fail "s2 did not join"
until_class s3 "s['state'] == 'online'" "s3 joined" 5000 || fail "s3 did not join"

echo "--- a. s2 stopped, then continued"
sleep 1
T0=$(now_ms)
kill -STOP $S2
until_class s2 "s['state'] == 'not responding' and s['online']" "s2 stopped: not responding" ||
	fail "stopped student still shown as responding"
"$TEACHER" ctl --socket "$SOCK" students | python3 -c '
import json, sys
s = [s for s in json.load(sys.stdin)["students"] if s["id"] == "s2"][0]
assert s["online"] and not s["responding"] and s["silent_s"] > 2.5, s' ||
	fail "ctl students does not show s2 as not responding"
T0=$(now_ms)
kill -CONT $S2
until_class s2 "s['responding'] and s['state'] == 'online'" "s2 continued: responding" ||
	fail "continued student not responding again"

echo "--- b. s2's cable pulled, then plugged back"
sleep 1
T0=$(now_ms)
lab_link_down 2
until_class s2 "s['state'] == 'not responding' and s['online']" "s2 cable pulled: not responding" ||
	fail "cut-off student still shown as responding"
sleep 1
T0=$(now_ms)
lab_link_up 2
# TCP retransmits on its own backoff (doubling from 200 ms): a few seconds.
until_class s2 "s['responding']" "s2 cable back: responding" 12000 ||
	fail "student did not respond again after its cable came back"

echo "--- c. s3 killed, then started again"
T0=$(now_ms)
kill -KILL $S3
until_class s3 "not s['online'] and s['state'] == 'offline'" "s3 killed: offline" ||
	fail "killed student still online"
T0=$(now_ms)
student 3 s3 --headless
S3=$STUDENT_PID
until_class s3 "s['online'] and s['responding'] and s['state'] == 'online'" "s3 restarted: online" 8000 ||
	fail "restarted student did not come back"

echo "--- d. w1's window leaves the screen, then comes back"
WIN=$(X xdotool search --name "libcast student" | head -n 1)
[ -n "$WIN" ] || fail "no student window on $DISP"
ROOT=$(X xwininfo -root | awk '/Window id:/ {print $4}')
T0=$(now_ms)
X xdotool windowunmap --sync "$WIN"
until_class w1 "s['left_broadcast'] and s['state'] == 'left broadcast'" "w1 window unmapped: left broadcast" ||
	fail "hidden window not reported"
T0=$(now_ms)
X xdotool windowmap --sync "$WIN"
X xdotool windowfocus --sync "$WIN"
until_class w1 "not s['left_broadcast'] and s['state'] == 'watching'" "w1 window mapped again: watching" ||
	fail "restored window still reported as left"

T0=$(now_ms)
X xdotool windowsize --sync "$WIN" 320 180
until_class w1 "s['left_broadcast'] and not s['view']['fullscreen']" "w1 window shrunk: left broadcast" ||
	fail "shrunk window not reported"
T0=$(now_ms)
X xdotool windowsize --sync "$WIN" 640 360
until_class w1 "not s['left_broadcast'] and s['view']['fullscreen']" "w1 window full-screen again: watching" ||
	fail "full-screen window still reported as left"

T0=$(now_ms)
X xdotool windowfocus --sync "$ROOT"
until_class w1 "s['left_broadcast'] and not s['view']['focused']" "w1 window lost the focus: left broadcast" ||
	fail "window without the focus not reported"
T0=$(now_ms)
X xdotool windowfocus --sync "$WIN"
until_class w1 "not s['left_broadcast'] and s['view']['focused']" "w1 window focused again: watching" ||
	fail "focused window still reported as left"

echo "--- e. w1 killed while it had left, and started again"
X xdotool windowunmap --sync "$WIN"
T0=$(now_ms)
until_class w1 "s['left_broadcast']" "w1 window unmapped again: left broadcast" ||
	fail "hidden window not reported"
kill -KILL $W1
T0=$(now_ms)
until_class w1 "not s['online'] and not s['left_broadcast']" "w1 killed: offline" ||
	fail "killed student still online"
T0=$(now_ms)
student 1 w1
W1=$STUDENT_PID
until_class w1 "s['online'] and not s['left_broadcast'] and s['view'] is not None" "w1 restarted: reports fresh" 10000 ||
	fail "restarted student stuck as left"
until_class w1 "s['state'] == 'watching'" "w1 restarted: watching" 15000 ||
	fail "restarted student does not watch"

echo "--- f. the broadcast stopped, then started again"
WIN=$(X xdotool search --name "libcast student" | head -n 1)
T0=$(now_ms)
"$TEACHER" ctl --socket "$SOCK" broadcast off >/dev/null || fail "broadcast off refused"
i=0
until X xdotool search --onlyvisible --name "libcast status" >/dev/null 2>&1 &&
	X xwininfo -id "$WIN" | grep -q IsUnMapped; do
	i=$((i + 1))
	[ $i -lt $((50 * SLACK)) ] || fail "w1 did not step aside: $(X xwininfo -id "$WIN" | grep 'Map State')"
	sleep 0.1
done
echo "w1 stepped aside, its status banner shown    $(($(now_ms) - T0)) ms"
until_class w1 "not s['left_broadcast'] and s['state'] == 'online' and not s['view']['visible']" "broadcast off: w1 away, not left" ||
	fail "a seat stepping aside counted as having left"
"$TEACHER" ctl --socket "$SOCK" class | grep -q '"broadcasting":false' ||
	fail "ctl class does not say the broadcast is stopped"
T0=$(now_ms)
"$TEACHER" ctl --socket "$SOCK" broadcast on >/dev/null || fail "broadcast on refused"
until_class w1 "s['state'] == 'watching' and s['view']['fullscreen'] and s['view']['focused']" "broadcast on: w1 watching again" 10000 ||
	fail "w1 did not come back to the broadcast"
X xdotool search --onlyvisible --name "libcast status" >/dev/null 2>&1 &&
	fail "the status banner stayed after the broadcast came back"

grep -q "not responding" "$WORK/teacher.err" ||
	fail "the teacher did not log a student not responding"
echo "PASS"
