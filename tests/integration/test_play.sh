#!/bin/sh
# Recorded-lesson playback (cast-student --play) of a teacher's recording:
# headless at 1x and 2x (the pictures decoded follow the speed: counted in
# frames, against the player's own clock), a seek, the end of the file; a
# file that is not a lesson is refused with a clear reason. The window:
# test_play_window.sh.
. "$(dirname "$0")/lib.sh"

command -v ffprobe >/dev/null || skip "ffprobe missing"
REC="$WORK/lesson.mkv"
"$TEACHER" --headless --insecure --source testpattern --size 640x360 --fps 30 \
	--channel 12 --duration 6 --lesson "Replay" --record "$REC" \
	2>"$WORK/t.log" || fail "teacher: $(tail -2 "$WORK/t.log")"
N=$(ffprobe -v error -select_streams v:0 -count_frames \
	-show_entries stream=nb_read_frames -of csv=p=0 "$REC")
echo "recording: $N frames"
[ "$N" -ge 60 ] || fail "the recording has $N frames"

# The whole file at 1x and at 2x: every frame decoded, the end reached in
# the file's time divided by the speed (by the player's clock).
for sp in 1 2; do
	"$STUDENT" --play "$REC" --headless --speed $sp --stats "$WORK/p$sp.json" \
		2>"$WORK/p$sp.log" || fail "play at ${sp}x: $(tail -2 "$WORK/p$sp.log")"
	check "$WORK/p$sp.json" "s['ended'] and s['frames_decoded'] == $N and s['errors'] == 0" \
		"at ${sp}x not every frame was decoded ($N)"
	check "$WORK/p$sp.json" "s['title'] == 'Replay' and s['video_codec'] == 'h264'" \
		"the player does not see the recording's title and codec"
	check "$WORK/p$sp.json" "abs(s['t'] * $sp - s['duration']) < 0.15 * s['duration']" \
		"at ${sp}x the lesson did not take its length / $sp"
done
# For 2 s of play: the pictures decoded are 2 s x speed x fps.
for sp in 1 2; do
	"$STUDENT" --play "$REC" --headless --speed $sp --duration 2 \
		--stats "$WORK/d$sp.json" 2>>"$WORK/p.log"
	# The file's own rate (frames over its length): a recording is
	# variable frame rate, at what the teacher managed to send.
	check "$WORK/d$sp.json" \
		"abs(s['frames_decoded'] - s['t'] * $sp * $N / s['duration']) <= 0.12 * s['t'] * $sp * $N / s['duration'] + 3" \
		"at ${sp}x the frames decoded do not follow the speed"
	check "$WORK/d$sp.json" "abs(s['position'] - s['t'] * $sp) < 0.1 * s['t'] * $sp + 0.3" \
		"at ${sp}x the position does not follow the speed"
	python3 -c "import json,sys; s=[json.loads(l) for l in open(sys.argv[1]) if 'final' in l][-1]; print('%sx: %.2f s played, position %.2f s, %d frames decoded' % (sys.argv[2], s['t'], s['position'], s['frames_decoded']))" \
		"$WORK/d$sp.json" "$sp"
done
# A seek: from 4 s, 1 s of play ends near 5 s with 30 pictures shown.
"$STUDENT" --play "$REC" --headless --seek 4 --duration 1 --stats "$WORK/seek.json" \
	2>>"$WORK/p.log"
check "$WORK/seek.json" "s['seeks'] == 1 and 4.8 <= s['position'] <= 5.3" \
	"the seek did not start at 4 s"
# Pictures from 4 s on, each shown or (on a loaded machine) overtaken by
# the clock; none from before the seek.
check "$WORK/seek.json" "25 <= s['frames_shown'] + s['frames_late'] <= 36 and s['frames_shown'] >= 10" \
	"after the seek the pictures from 4 s on were not shown"

# Not a lesson: refused with the reason.
echo "hello" >"$WORK/notes.mkv"
if "$STUDENT" --play "$WORK/notes.mkv" --headless 2>"$WORK/bad.log"; then
	fail "a text file was played"
fi
grep -q "not a video or sound file" "$WORK/bad.log" || fail "no clear reason: $(cat "$WORK/bad.log")"

echo "PASS"
