#!/bin/sh
# A 4K teacher screen goes out at the class size: on a 3840x2160 Xvfb,
# cast-teacher --source x11 without --size sends 1920x1080 (its stats, and
# ffprobe reading the stream through the --sdp file), scaled on the teacher
# while the screen changes; --size 1280x720 still overrides.
. "$(dirname "$0")/lib.sh"
command -v Xvfb >/dev/null || skip "Xvfb not installed"
command -v ffprobe >/dev/null || skip "ffprobe not installed"

CH=13
xvfb_start 3840x2160x24
display=$XVFB_DISPLAY

# Something changing on the screen, so damaged regions are scaled too.
if command -v xdotool >/dev/null; then
	(
		i=0
		while [ $i -lt 100 ]; do
			i=$((i + 1))
			DISPLAY=$display xdotool mousemove $((100 + i * 31)) \
				$((100 + i * 17)) 2>/dev/null || true
			sleep 0.1
		done
	) &
	PIDS="$PIDS $!"
fi

# The SDP depends only on the settings (and the size the teacher chose).
"$TEACHER" --headless --insecure --source "x11:$display" --channel $CH \
	--duration 0.5 --sdp "$WORK/cast.sdp" >/dev/null 2>"$WORK/sdp.err" ||
	fail "teacher (SDP): $(cat "$WORK/sdp.err")"
timeout 30 ffprobe -v error -protocol_whitelist file,udp,rtp \
	-show_entries stream=codec_name,width,height -of json \
	"$WORK/cast.sdp" >"$WORK/probe.json" 2>"$WORK/probe.err" &
FP=$!
PIDS="$PIDS $FP"
sleep 1
"$TEACHER" --headless --insecure --source "x11:$display" --channel $CH \
	--duration 6 --stats "$WORK/t.json" 2>"$WORK/t.err" ||
	fail "teacher: $(cat "$WORK/t.err")"
wait $FP || fail "ffprobe: $(cat "$WORK/probe.err")"
check "$WORK/t.json" "s['width'] == 1920 and s['height'] == 1080" \
	"a 3840x2160 screen is not sent as 1920x1080"
check "$WORK/t.json" "s['frames_sent'] >= 30" "too few frames sent"
python3 - "$WORK/probe.json" <<'PY' || fail "ffprobe: $(cat "$WORK/probe.json")"
import json, sys
st = json.load(open(sys.argv[1]))["streams"][0]
assert st["codec_name"] == "h264", st
assert (st["width"], st["height"]) == (1920, 1080), st
PY

"$TEACHER" --headless --insecure --source "x11:$display" --channel $CH \
	--size 1280x720 --duration 2 --stats "$WORK/t720.json" \
	2>"$WORK/t720.err" || fail "teacher --size: $(cat "$WORK/t720.err")"
check "$WORK/t720.json" "s['width'] == 1280 and s['height'] == 720" \
	"--size 1280x720 does not override"
check "$WORK/t720.json" "s['frames_sent'] >= 10" "too few frames sent at 720p"
echo "PASS"
