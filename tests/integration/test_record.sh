#!/bin/sh
# Lesson recording end to end, with a student receiving all along:
# 1. --record: ffprobe reads an H.264 Matroska file with the lesson's title
#    whose frame count is the teacher's frames_sent and whose length is the
#    broadcast's; ffmpeg decodes it whole without an error and seeks in it.
#    The first file, handed out (ctl send), reaches the student whole.
# 1b. --record with --voice: an H.264 + Opus file, the sound as long as the
#    picture and carrying the voice's tone; every frame sent is in it.
# 2. ctl record stop / record start path=…: a second, whole file.
# 3. kill -9 while recording: the file decodes to within 2 s of the kill.
# 4. a full disk (a 256 KiB tmpfs in a mount namespace): the recording stops
#    with "disk full" in the stats while the student keeps receiving.
. "$(dirname "$0")/lib.sh"

command -v ffprobe >/dev/null || skip "ffprobe missing"
CH=11
"$TEACHER" keygen "$WORK/class.key" >/dev/null
K="--key $WORK/class.key"
REC="$WORK/rec"
T="$TEACHER --headless $K --source testpattern --size 640x360 --fps 30 --channel $CH"

# frames FILE: decoded video frames (ffprobe counts them).
frames() {
	ffprobe -v error -select_streams v:0 -count_frames \
		-show_entries stream=nb_read_frames -of csv=p=0 "$1"
}
# last_pts FILE: the last video packet's time in seconds.
last_pts() {
	ffprobe -v error -select_streams v:0 -show_entries packet=pts_time \
		-of csv=p=0 "$1" | tail -n 1
}
# stat_of FILE KEY: a key of the final stats line.
stat_of() {
	python3 -c 'import json,sys; print(json.loads(sys.argv[1])[sys.argv[2]])' \
		"$(final_stats "$1")" "$2"
}

# --- 1 and 2: --record, then ctl stop and start ---------------------------
# Long durations, ended by SIGTERM once done: a loaded machine may take
# its time between the steps.
bg $T --ctl-socket "$WORK/t.sock" --record-dir "$REC" --record first \
	--lesson "Maths 7B" --duration 120 --stats "$WORK/t.json" 2>"$WORK/t.log"
TP=$!
bg "$STUDENT" --headless $K --channel $CH --duration 120 --stats "$WORK/s.json"
SP=$!
for _ in $(seq 100); do
	grep -q '"t":[3-9]' "$WORK/t.json" 2>/dev/null && break
	sleep 0.1
done
"$TEACHER" ctl --socket "$WORK/t.sock" record >"$WORK/r0.json"
grep -q '"recording":true' "$WORK/r0.json" || fail "not recording: $(cat "$WORK/r0.json")"
if "$TEACHER" ctl --socket "$WORK/t.sock" record start >"$WORK/r1.json"; then
	fail "a second start while recording was accepted"
fi
"$TEACHER" ctl --socket "$WORK/t.sock" record stop >"$WORK/r2.json" ||
	fail "record stop: $(cat "$WORK/r2.json")"
grep -q '"recording":false' "$WORK/r2.json" || fail "still recording after stop"
"$TEACHER" ctl --socket "$WORK/t.sock" record start path=second.mkv >"$WORK/r3.json" ||
	fail "record start: $(cat "$WORK/r3.json")"
F1="$REC/first.mkv"
[ -s "$F1" ] || fail "no first recording"
N1=$(frames "$F1")
grep -q "\"record_path\":\"$REC/second.mkv\"" "$WORK/r3.json" ||
	fail "second recording elsewhere: $(cat "$WORK/r3.json")"
# Handed out: a recording is a file like any other.
"$TEACHER" ctl --socket "$WORK/t.sock" send "path=$F1" >"$WORK/send.json" ||
	fail "send the recording: $(cat "$WORK/send.json")"
for _ in $(seq $((300 * CAST_SLACK))); do
	cmp -s "$F1" "$HOME/libcast/inbox/first.mkv" && break
	sleep 0.1
done
cmp -s "$F1" "$HOME/libcast/inbox/first.mkv" ||
	fail "the recording handed out did not reach the student whole"
echo "first.mkv handed out: the student's copy is the same file"
for _ in $(seq 300); do
	"$TEACHER" ctl --socket "$WORK/t.sock" record | grep -q '"record_frames":[1-9][0-9][0-9]' && break
	sleep 0.1
done
kill -TERM $TP $SP
wait
F2="$REC/second.mkv"
[ -s "$F2" ] || fail "no second recording"
N2=$(frames "$F2")
SENT=$(stat_of "$WORK/t.json" frames_sent)
echo "first: $N1 frames, second: $N2 frames, sent $SENT"
[ "$N1" -ge 30 ] || fail "first recording has $N1 frames"
[ "$N2" -ge 100 ] || fail "second recording has $N2 frames"
# The first file holds what the recorder said when it stopped.
python3 -c 'import json,sys; sys.exit(json.load(open(sys.argv[1]))["record_frames"] != int(sys.argv[2]))' \
	"$WORK/r2.json" "$N1" || fail "the first file has $N1 frames, not what stop reported"
# Every frame sent is in one of the files, but those between the stop and
# the second file's first IDR (two ctl commands: under 2 s of frames on a
# loaded machine, CAST_TIMING_SLACK times that under the sanitizers).
[ $((SENT - N1 - N2)) -ge 0 ] && [ $((SENT - N1 - N2)) -le $((60 * CAST_SLACK)) ] ||
	fail "recorded $N1 + $N2 frames of $SENT sent"
check "$WORK/t.json" "s['record_frames'] == $N2 and s['record_error'] == ''" \
	"the stats disagree with the file"
ffprobe -v error -show_entries stream=codec_name -of csv=p=0 "$F1" | grep -qx h264 ||
	fail "first recording is not H.264"
ffprobe -v error -show_entries format_tags=title -of csv=p=0 "$F1" | grep -qx "Maths 7B" ||
	fail "the lesson's title is not in the file"
ffprobe -v error -show_entries format_tags=DATE -of csv=p=0 "$F1" | grep -q "^20" ||
	fail "the date is not in the file"
ffmpeg -v error -xerror -i "$F2" -fps_mode passthrough -f null - 2>"$WORK/dec.log" ||
	fail "the recording does not decode: $(head -3 "$WORK/dec.log")"
# Decoder errors only (the null muxer's notes on the frames' variable
# spacing, e.g. keyframes on request, are not about the file).
decode_errors() {
	grep -v "non monotonically increasing dts\|Last message repeated" "$1" || true
}
[ -z "$(decode_errors "$WORK/dec.log")" ] || fail "decoding the recording: $(head -3 "$WORK/dec.log")"
ffmpeg -v error -ss 2.5 -i "$F2" -frames:v 1 -f null - 2>"$WORK/seek.log" ||
	fail "cannot seek in the recording"
grep -q "Maths-7B" "$WORK/t.log" && fail "a given name was replaced by the default"

# --- 1b: a recording from the start, frame for frame ----------------------
ffmpeg -loglevel error -y -f lavfi -i "sine=f=440:r=48000:d=10" "$WORK/tone.wav" ||
	fail "ffmpeg could not make the voice"
bg $T --record "$WORK/whole.mkv" --duration 5 --ctl-socket "$WORK/t2.sock" \
	--voice "file:$WORK/tone.wav" --stats "$WORK/t2.json" 2>"$WORK/t2.log"
wait
SENT=$(stat_of "$WORK/t2.json" frames_sent)
N=$(frames "$WORK/whole.mkv")
DUR=$(last_pts "$WORK/whole.mkv")
echo "whole: $N frames of $SENT sent, $DUR s"
[ "$N" -eq "$SENT" ] || fail "recorded $N frames of $SENT sent"
python3 -c "import sys; d=float(sys.argv[1]); sys.exit(not 4.0 <= d <= 5.2)" "$DUR" ||
	fail "a 5 s broadcast recorded as $DUR s"
# The voice's own Opus packets, as long as the picture, with its tone.
ffprobe -v error -show_entries stream=codec_name -of csv=p=0 "$WORK/whole.mkv" |
	sort | tr '\n' ' ' | grep -qx "h264 opus " ||
	fail "not H.264 and Opus: $(ffprobe -v error -show_entries stream=codec_name -of csv=p=0 "$WORK/whole.mkv")"
ffmpeg -loglevel error -y -i "$WORK/whole.mkv" -map 0:a -ac 1 -ar 48000 "$WORK/whole.wav" ||
	fail "ffmpeg could not decode the recording's sound"
python3 - "$WORK/whole.wav" "$DUR" <<'PY' || fail "the recording's sound is not the voice"
import sys
from tone import frames, loud, share
frs = frames(sys.argv[1])
snd = loud(frs)
sh = share(snd, 440, (220, 440, 880))
secs = len(frs) * 0.02
print("whole: %.1f s of sound (%.1f s loud), 440 Hz carries %.0f%%" % (secs, len(snd) * 0.02, 100 * sh))
sys.exit(0 if abs(secs - float(sys.argv[2])) < 0.6 and len(snd) * 0.02 > 3.5 and sh > 0.9 else 1)
PY

# --- 3: kill -9 --------------------------------------------------------------
$T --record "$WORK/killed.mkv" --duration 30 --ctl-socket "$WORK/t3.sock" \
	--stats "$WORK/t3.json" 2>"$WORK/t3.log" &
TP=$!
PIDS="$PIDS $TP"
for _ in $(seq 100); do
	grep -q '"t":[4-9]' "$WORK/t3.json" 2>/dev/null && break
	sleep 0.1
done
# The stats line just written: what had been sent by then (< 1 s ago).
LINE=$(grep '"t":[4-9]' "$WORK/t3.json" | head -n 1)
kill -9 $TP
wait $TP 2>/dev/null || true
T_KILL=$(python3 -c 'import json,sys; print(json.loads(sys.argv[1])["t"])' "$LINE")
N=$(frames "$WORK/killed.mkv")
DUR=$(last_pts "$WORK/killed.mkv")
echo "killed at $T_KILL s: the file decodes $N frames, to $DUR s"
python3 -c "import sys; sys.exit(not float(sys.argv[1]) >= float(sys.argv[2]) - 2)" \
	"$DUR" "$T_KILL" || fail "the killed recording ends at $DUR s, killed after $T_KILL s"
ffmpeg -v error -xerror -i "$WORK/killed.mkv" -fps_mode passthrough -f null - \
	2>"$WORK/kdec.log" || fail "the killed recording does not decode"
[ -z "$(decode_errors "$WORK/kdec.log")" ] ||
	fail "the killed recording decodes with errors: $(head -3 "$WORK/kdec.log")"

# --- 4: a full disk --------------------------------------------------------
if ! unshare -m true 2>/dev/null; then
	skip "cannot make a mount namespace for the full-disk case"
fi
mkdir -p "$WORK/small"
export SMALL="$WORK/small" WORK
bg "$STUDENT" --headless $K --channel $CH --duration 10 --stats "$WORK/s4.json"
unshare -m sh -c '
	mount -t tmpfs -o size=256k tmpfs "$1" || exit 3
	shift
	"$@"
	ffprobe -v error -select_streams v:0 -count_frames \
		-show_entries stream=nb_read_frames -of csv=p=0 "$SMALL/full.mkv" \
		>"$WORK/full.frames"
' sh "$WORK/small" $T --bitrate 3000 --record "$WORK/small/full.mkv" --duration 11 \
	--ctl-socket "$WORK/t4.sock" --stats "$WORK/t4.json" 2>"$WORK/t4.log" &
TP=$!
wait $TP || fail "the teacher failed with a full disk: $(tail -3 "$WORK/t4.log")"
wait
check "$WORK/t4.json" "not s['recording'] and 'disk full' in s['record_error']" \
	"a full disk did not stop the recording with a clear error"
grep -q "disk full" "$WORK/t4.log" || fail "no log line for the full disk"
echo "full disk: $(grep -o 'recorder.*disk full[^"]*' "$WORK/t4.log" | head -n 1)"
FULL=$(cat "$WORK/full.frames")
[ "${FULL:-0}" -gt 0 ] || fail "nothing readable was kept on the full disk"
# The disk filled early; the broadcast went on to the end, and the student
# received at least 90 % of the frame rate sent from its first picture on.
check "$WORK/t4.json" "s['record_seconds'] < 7" "the disk filled too late to tell"
SENT=$(stat_of "$WORK/t4.json" frames_sent)
check "$WORK/s4.json" \
	"s['frames_decoded'] / (s['t'] - s['first_picture_ms'] / 1000) >= 0.9 * $SENT / 11" \
	"the student stopped receiving when the disk filled ($SENT sent)"
echo "full disk: $FULL frames kept ($(stat_of "$WORK/t4.json" record_seconds) s), student decoded $(stat_of "$WORK/s4.json" frames_decoded) of $SENT sent"
echo "PASS"
