#!/bin/sh
# Choosing who hears the teacher (`ctl voice on|off [--to IDS]`): three
# students, the teacher's voice from a file. `voice on --to s1,s3` silences
# s2 only; `voice off` stops the sending (the source is read on); `voice on`
# gives it back to everyone; `voice on --to s1 --lock` locks s1 (and only
# s1) while it speaks, `voice off` unlocks it. Each student's played frames and the teacher's
# sent frames must show exactly that; bad words are refused in JSON.
. "$(dirname "$0")/lib.sh"

command -v espeak-ng >/dev/null || skip "espeak-ng not installed"
CH=25
TSOCK=$WORK/t.sock
# Counting to 120: about a minute of speech, longer than the run.
espeak-ng -w "$WORK/speech.wav" "$(seq -s ". " 1 120)" || fail "espeak-ng made no speech"
"$TEACHER" keygen "$WORK/class.key" >/dev/null
K="--key $WORK/class.key"
T() {
	"$TEACHER" ctl --socket "$TSOCK" "$@" >"$WORK/reply" 2>&1 || true
	cat "$WORK/reply"
}
# frames STUDENT: audio frames it played so far (its newest stats line).
frames() {
	tail -n 1 "$WORK/$1.json" 2>/dev/null | python3 -c \
		"import json,sys; print(json.load(sys.stdin).get('audio_frames_played', 0))" \
		2>/dev/null || echo 0
}

for i in 1 2 3; do
	bg "$STUDENT" --headless $K --id s$i --channel $CH --duration 90 \
		--state-dir "$WORK/st$i" --local-socket "$WORK/st$i.sock" \
		--audio-out "file:$WORK/s$i.wav" --stats "$WORK/s$i.json"
done
sleep 1
bg "$TEACHER" --headless $K --ctl-socket "$TSOCK" --source testpattern \
	--size 320x240 --fps 10 --voice "file:$WORK/speech.wav" --channel $CH \
	--duration 88 --stats "$WORK/t.json"
n=0
while [ "$(T students | python3 -c "import json,sys; print(sum(1 for s in json.load(sys.stdin)['students'] if s['online']))" 2>/dev/null || echo 0)" -lt 3 ]; do
	n=$((n + 1))
	[ $n -lt 100 ] || fail "the students did not join"
	sleep 0.1
done

T voice maybe | grep -q '"ok":false' || fail "voice maybe was not refused"
T voice off --to s1 | grep -q '"ok":false' || fail "voice off --to was not refused"
T voice on --to nosuch | grep -q '"ok":false' || fail "an unknown student was not refused"
T voice on --to s1,s3 | grep -q '"ok":true' || fail "voice on --to s1,s3: $(cat "$WORK/reply")"
# Each window starts 1.5 s after the command (the stats are written once a
# second, the buffer plays out) and lasts 2.5 s (~125 frames).
sleep 1.5
a1=$(frames s1) a2=$(frames s2)
sleep 2.5
b1=$(frames s1) b2=$(frames s2)
T voice off | grep -q '"ok":true' || fail "voice off: $(cat "$WORK/reply")"
sleep 1.5
c1=$(frames s1)
sleep 2.5
d1=$(frames s1)
T voice on | grep -q '"ok":true' || fail "voice on: $(cat "$WORK/reply")"
sleep 1.5
e2=$(frames s2)
sleep 2.5
f2=$(frames s2)
# --lock: the listeners are locked while the voice is on; off unlocks.
locked() { # STUDENT: True or False
	"$STUDENT" ctl --socket "$WORK/st$1.sock" state 2>/dev/null | python3 -c \
		"import json,sys; print(json.load(sys.stdin)['class']['locked'])" \
		2>/dev/null || echo "?"
}
wait_locked() { # STUDENT WANT
	n=0
	while [ "$(locked "$1")" != "$2" ]; do
		n=$((n + 1))
		[ $n -lt 50 ] || fail "s$1: locked is not $2"
		sleep 0.2
	done
}
T voice on --to s1 --lock | grep -q '"ok":true' || fail "voice on --lock: $(cat "$WORK/reply")"
wait_locked 1 True
[ "$(locked 2)" = False ] || fail "s2 was locked though not chosen"
T voice off | grep -q '"ok":true' || fail "voice off: $(cat "$WORK/reply")"
wait_locked 1 False
echo "--lock locked s1 only, voice off unlocked it"
kill $PIDS 2>/dev/null || true
wait
echo "chosen: s1 played $((b1 - a1)) frames, s2 $((b2 - a2)); off: s1 $((d1 - c1)); on again: s2 $((f2 - e2))"
[ $((b2 - a2)) -le 5 ] || fail "s2 played though not chosen"
[ $((b1 - a1)) -ge 80 ] || fail "s1 did not play though chosen"
[ $((d1 - c1)) -le 5 ] || fail "s1 played while the voice was off"
[ $((f2 - e2)) -ge 80 ] || fail "s2 did not play again after voice on"
python3 - "$WORK" <<'PY' || fail "the final state is wrong"
import json, sys
w = sys.argv[1]
fin = lambda n: json.loads([l for l in open("%s/%s.json" % (w, n)) if '"final":true' in l][-1])
s1, s2, s3, t = fin("s1"), fin("s2"), fin("s3"), fin("t")
ok = not t["voice_on"] and not s1["voice_on"] and not s2["voice_on"]
ok = ok and t["audio_frames_read"] - t["audio_frames_sent"] >= 100
print("teacher read %d frames, sent %d; played s1 %d s2 %d s3 %d" % (
    t["audio_frames_read"], t["audio_frames_sent"], s1["audio_frames_played"],
    s2["audio_frames_played"], s3["audio_frames_played"]))
sys.exit(0 if ok else 1)
PY
echo "PASS"
