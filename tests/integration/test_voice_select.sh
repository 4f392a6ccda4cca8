#!/bin/sh
# Choosing who hears the teacher (`ctl voice on|off [--to IDS]`): three
# students, the teacher's voice from a file. `voice on --to s1,s3` silences
# s2 only; `voice off` stops the sending (the source is read on); `voice on`
# gives it back to everyone. Each student's played frames and the teacher's
# sent frames must show exactly that; bad words are refused in JSON.
. "$(dirname "$0")/lib.sh"

command -v espeak-ng >/dev/null || skip "espeak-ng not installed"
CH=25
TSOCK=$WORK/t.sock
espeak-ng -w "$WORK/speech.wav" "One. Two. Three. Four. Five. Six. Seven. \
Eight. Nine. Ten. Eleven. Twelve. Thirteen. Fourteen. Fifteen. Sixteen. \
Seventeen. Eighteen. Nineteen. Twenty. Twenty one. Twenty two. Twenty \
three. Twenty four. Twenty five." || fail "espeak-ng made no speech"
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
	bg "$STUDENT" --headless $K --id s$i --channel $CH --duration 24 \
		--state-dir "$WORK/st$i" --local-socket "$WORK/st$i.sock" \
		--audio-out "file:$WORK/s$i.wav" --stats "$WORK/s$i.json"
done
sleep 1
bg "$TEACHER" --headless $K --ctl-socket "$TSOCK" --source testpattern \
	--size 320x240 --fps 10 --voice "file:$WORK/speech.wav" --channel $CH \
	--duration 22 --stats "$WORK/t.json"
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
sleep 4
a1=$(frames s1)
a2=$(frames s2)
T voice off | grep -q '"ok":true' || fail "voice off: $(cat "$WORK/reply")"
sleep 3
b1=$(frames s1)
T voice on | grep -q '"ok":true' || fail "voice on: $(cat "$WORK/reply")"
sleep 4
c2=$(frames s2)
wait
echo "s1 played $a1 frames after the selection, $b1 after off; s2 $a2, then $c2 after on"
# s2 stopped within a second of the selection while s1 went on; a second
# after `off`, s1 no longer grew by more than the buffered tail.
python3 - "$WORK" "$a1" "$a2" "$b1" "$c2" <<'PY' || fail "who played what is wrong"
import json, sys
w, a1, a2, b1, c2 = sys.argv[1], *map(int, sys.argv[2:])
fin = lambda n: json.loads([l for l in open("%s/%s.json" % (w, n)) if '"final":true' in l][-1])
s1, s2, s3, t = fin("s1"), fin("s2"), fin("s3"), fin("t")
ok = True
def need(c, msg):
    global ok
    if not c:
        print("FAIL:", msg); ok = False
need(s1["voice_on"] and s2["voice_on"] and s3["voice_on"], "voice is not on everywhere at the end")
need(a2 <= 100, "s2 played %d frames though not chosen" % a2)
need(a1 >= 150, "s1 played only %d frames" % a1)
need(c2 - a2 >= 100, "s2 did not play again after voice on (%d -> %d)" % (a2, c2))
need(s1["audio_frames_played"] - s2["audio_frames_played"] >= 150,
     "s2 heard as much as s1 (%d, %d)" % (s1["audio_frames_played"], s2["audio_frames_played"]))
need(abs(s1["audio_frames_played"] - s3["audio_frames_played"]) < 100, "s1 and s3 differ")
need(t["audio_frames_read"] - t["audio_frames_sent"] >= 100,
     "voice off sent on (%d read, %d sent)" % (t["audio_frames_read"], t["audio_frames_sent"]))
sys.exit(0 if ok else 1)
PY
echo "PASS"
