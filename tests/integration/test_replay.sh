#!/bin/sh
# Broadcast replay: a lesson recording sent to the class as it is.
# A recording of the test pattern goes out with --source file:: no encode
# on the teacher, every frame of the file sent at its pace, and a student
# shows the recorded pictures in order without a corrupt one (the pattern's
# frame numbers read back). A file that does not fit the class (larger
# than --size) is encoded again instead.
. "$(dirname "$0")/lib.sh"

command -v ffprobe >/dev/null || skip "ffprobe missing"
REC="$WORK/lesson.mkv"
"$TEACHER" --headless --insecure --source testpattern --size 640x360 --fps 30 \
	--channel 14 --duration 8 --record "$REC" 2>"$WORK/rec.log" ||
	fail "recording: $(tail -2 "$WORK/rec.log")"
N=$(ffprobe -v error -select_streams v:0 -count_frames \
	-show_entries stream=nb_read_frames -of csv=p=0 "$REC")

CH=15
"$TEACHER" keygen "$WORK/class.key" >/dev/null
K="--key $WORK/class.key"
bg "$TEACHER" --headless $K --ctl-socket "$WORK/t.sock" --source "file:$REC" \
	--channel $CH --duration 12 --record "$WORK/again.mkv" \
	--stats "$WORK/t.json" 2>"$WORK/t.log"
bg "$STUDENT" --headless $K --check-stamp --channel $CH --duration 11 \
	--stats "$WORK/s.json" 2>"$WORK/s.log"
wait
grep -q "passed through" "$WORK/t.log" || fail "the recording was not passed through: $(cat "$WORK/t.log")"
check "$WORK/t.json" "s['frames_sent'] == $N" \
	"the teacher did not send the file's $N frames"
check "$WORK/t.json" "s['encode_ms']['count'] == 0" "the teacher encoded pictures"
# The pace: 8 s of lesson takes 8 s.
check "$WORK/t.json" "7.5 <= s['t'] <= 10" "the replay did not keep the file's pace"
check "$WORK/s.json" "s['stamp']['bad'] == 0 and s['stamp']['disorder'] == 0" \
	"the student showed corrupt or disordered pictures"
# It joins a second in and waits for a refresh wave (no keyframe on
# request while replaying); a loaded machine drops some more.
check "$WORK/s.json" "s['stamp']['ok'] >= $N // 3" "the student showed too few of the pictures"
# Recorded again while replayed: the same frames.
M=$(ffprobe -v error -select_streams v:0 -count_frames \
	-show_entries stream=nb_read_frames -of csv=p=0 "$WORK/again.mkv")
[ "$M" -eq "$N" ] || fail "the replay recorded again has $M frames, not $N"
echo "replay: $N frames sent as recorded, student showed $(python3 -c 'import json,sys; print([json.loads(l) for l in open(sys.argv[1]) if "final" in l][-1]["stamp"]["ok"])' "$WORK/s.json") in order"

# Larger than the class asks: encoded again (the file capture).
"$TEACHER" --headless --insecure --source "file:$REC" --size 320x180 --channel 16 \
	--duration 3 --stats "$WORK/t2.json" 2>"$WORK/t2.log" || fail "re-encode: $(tail -2 "$WORK/t2.log")"
grep -q "does not fit the class" "$WORK/t2.log" || fail "no reason given for re-encoding"
check "$WORK/t2.json" "s['encode_ms']['count'] > 0 and s['width'] == 320" \
	"the larger file was not encoded again at the class size"
echo "PASS"
