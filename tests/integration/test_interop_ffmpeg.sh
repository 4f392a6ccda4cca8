#!/bin/sh
# Interop: ffmpeg opens the SDP that cast-teacher --sdp writes, receives the
# multicast RTP stream and decodes at least 90 % of the frames sent while it
# listened (frame numbers read back from ffmpeg's decoded pictures).
. "$(dirname "$0")/lib.sh"
command -v ffmpeg >/dev/null || skip "ffmpeg is not installed (scripts/install-deps.sh)"

CH=11 SIZE=640x360
# The SDP depends only on the settings, so write it first and let ffmpeg
# listen before the broadcast starts.
"$TEACHER" --headless --insecure --source testpattern --size $SIZE --channel $CH \
	--duration 0.2 --sdp "$WORK/cast.sdp" >/dev/null
grep -q 'sprop-parameter-sets=' "$WORK/cast.sdp" || fail "SDP has no sprop-parameter-sets"
grep -q 'c=IN IP4 239.255.0.11/1' "$WORK/cast.sdp" || fail "SDP has the wrong group: $(cat "$WORK/cast.sdp")"

ffmpeg -hide_banner -loglevel error -nostdin -protocol_whitelist file,udp,rtp \
	-i "$WORK/cast.sdp" -vsync passthrough -f rawvideo -pix_fmt yuv420p -y "$WORK/ff.yuv" \
	2>"$WORK/ffmpeg.log" &
FF=$!
PIDS="$PIDS $FF"
sleep 1
"$TEACHER" --headless --insecure --source testpattern --size $SIZE --fps 30 \
	--channel $CH --duration 8 --stats "$WORK/t.json"
sleep 1
kill -INT $FF 2>/dev/null || true
wait $FF || true

"$BUILD/tests/stampcheck" "$WORK/ff.yuv" $SIZE | tee "$WORK/ff.json"
check "$WORK/ff.json" "s['frames'] >= 200" "ffmpeg decoded too few frames"
check "$WORK/ff.json" "s['bad'] == 0 and s['disorder'] == 0" "ffmpeg's pictures are corrupt or out of order"
check "$WORK/ff.json" "s['frames'] >= 0.9 * s['span'] and s['first'] <= 15" \
	"ffmpeg decoded under 90 % of the frames"
echo "PASS"
