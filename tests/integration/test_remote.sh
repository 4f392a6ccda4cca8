#!/bin/sh
# Remote control (F20) with the real programs on a private Xvfb: s1 shows
# and sends that display (--source x11:DISPLAY); tests/xevents, a window
# over its whole screen, prints what reaches it. Before `ctl control s1`
# input is refused; under control the teacher receives s1's screen at its
# full size, and `ctl input s1 …` clicks, keys and text reach the display
# in order; `control stop` ends it (input refused again). s2 forbids remote
# control (--no-remote-control) and refuses it. An impostor teacher holding
# every file of a student PC (the students' key file, its own signing key
# for the same class code) gets no student and injects nothing.
. "$(dirname "$0")/lib.sh"

xevents=$BUILD/tests/xevents
command -v Xvfb >/dev/null || skip "Xvfb not installed"
[ -x "$xevents" ] || skip "tests/xevents not built"
CH=35
TSOCK=$WORK/t.sock

xvfb_start 1280x720x24
DISP=$XVFB_DISPLAY
DISPLAY=$DISP "$xevents" >"$WORK/events" 2>"$WORK/xevents.err" &
PIDS="$PIDS $!"
i=0
until grep -q '^ready' "$WORK/events"; do
	i=$((i + 1))
	[ $i -le $((100 * CAST_SLACK)) ] || fail "xevents never ready: $(cat "$WORK/xevents.err")"
	sleep 0.1
done

"$TEACHER" keygen "$WORK/class.key" >/dev/null
T() {
	"$TEACHER" ctl --socket "$TSOCK" "$@" >"$WORK/reply" 2>&1 || true
	cat "$WORK/reply"
}
# events N: until xevents printed N lines after "ready".
events() {
	i=0
	while [ "$(($(wc -l <"$WORK/events") - 1))" -lt "$1" ] && [ $i -lt $((80 * CAST_SLACK)) ]; do
		sleep 0.1
		i=$((i + 1))
	done
	sleep 0.3
	tail -n +2 "$WORK/events"
}

student s1 --source "x11:$DISP"
student s2 --source "x11:$DISP" --no-remote-control
bg "$TEACHER" --headless --key "$WORK/class.key" --ctl-socket "$TSOCK" \
	--source testpattern --size 640x360 --fps 5 --channel $CH \
	--duration $((150 * CAST_SLACK)) --stats "$WORK/t.json"
TPID=$!
wait_online 2

T input s1 key=a | grep -q '"ok":false' || fail "input without control was not refused"
T control nosuch | grep -q '"ok":false' || fail "control of an unknown student was not refused"
T control s1 | grep -q '"ok":true' || fail "control s1: $(cat "$WORK/reply")"
wait_last s1 "s['remote_control'] and s['sending_wall']" 100
i=0
until T wall status | python3 -c "import json,sys; w=json.load(sys.stdin)['screens']; s=[s for s in w['students'] if s['id']=='s1']; sys.exit(0 if w['control']=='s1' and s and s[0]['width']==1280 and s[0]['height']==720 and s[0]['frames']>3 else 1)" 2>/dev/null; do
	i=$((i + 1))
	[ $i -lt $((150 * CAST_SLACK)) ] || fail "the teacher never saw s1's screen at full size: $(cat "$WORK/reply")"
	sleep 0.1
done
echo "control s1: the teacher sees s1's 1280x720 screen"
T input s1 click=100,200 click=640,360,right key=Return key=ctrl+c type=Hi | \
	grep -q '"ok":true' || fail "input: $(cat "$WORK/reply")"
T input s1 click=abc | grep -q '"ok":false' || fail "a bad input word was not refused"
T input s1 "type=rm -rf ~" key=bogus_key_name | grep -q '"ok":false' ||
	fail "a word list with a bad word was not refused whole"
events 8 >"$WORK/got"
cat >"$WORK/want" <<'W'
click 100 200 1
click 640 360 3
key Return
key Control_L
key c
key Shift_L
key H
key i
W
diff -u "$WORK/want" "$WORK/got" || fail "the teacher's input did not reach s1's display as sent"
echo "clicks, keys and text reached s1's display in order"
wait_last s1 "s['remote_inputs'] == 5" 50

T control s2 | grep -q '"ok":true' || fail "control s2 was not sent: $(cat "$WORK/reply")"
wait_last s2 "s['remote_control'] == False" 30
sleep 1
T input s2 key=z >/dev/null
sleep 1
[ "$(last s2 "s['remote_control']")" = False ] || fail "s2 accepted remote control it forbids"
grep -q "^key z" "$WORK/events" && fail "input reached a student that forbids remote control"
echo "s2 (--no-remote-control) refused"

T control stop | grep -q '"ok":true' || fail "control stop: $(cat "$WORK/reply")"
wait_last s1 "not s['remote_control'] and not s['sending_wall']" 50
T input s1 key=x | grep -q '"ok":false' || fail "input after control stop was not refused"

# An impostor with a student PC's files: its own signing key for the class
# code, the students' key file. No student joins it; nothing is injected.
cp "$WORK/class.key" "$WORK/stolen.key"
code=$(sed -n 's/^code = //p' "$WORK/stolen.key")
"$TEACHER" keygen "$WORK/rogue.key" --code "$code" >/dev/null
kill "$TPID" 2>/dev/null || true
sleep 1
RSOCK=$WORK/rogue.sock
bg "$TEACHER" --headless --key "$WORK/rogue.key" --ctl-socket "$RSOCK" \
	--source testpattern --size 320x180 --channel $CH \
	--duration $((60 * CAST_SLACK))
sleep 4
"$TEACHER" ctl --socket "$RSOCK" control s1 >"$WORK/rogue1" 2>&1 || true
"$TEACHER" ctl --socket "$RSOCK" input s1 key=q "type=pwned" >"$WORK/rogue2" 2>&1 || true
grep -q '"ok":true' "$WORK/rogue1" && fail "the impostor took control: $(cat "$WORK/rogue1")"
sleep 1
grep -q "^key q" "$WORK/events" && fail "the impostor's input reached s1's display"
[ "$(last s1 "s['remote_control']")" = False ] || fail "s1 obeyed the impostor"
echo "the impostor got no student and injected nothing"
echo "PASS"
