#!/bin/sh
# Interop: ffmpeg opens the SDP that cast-teacher --sdp writes, receives the
# multicast RTP stream and decodes at least 90 % of the frames sent while it
# listened (frame numbers read back from ffmpeg's decoded pictures). With a
# voice (a 1 kHz tone, --voice file:) the SDP describes the sound too (Opus,
# RFC 7587): ffprobe finds both streams from it, and ffmpeg decodes the
# tone from the same SDP while it decodes the pictures.
. "$(dirname "$0")/lib.sh"
command -v ffmpeg >/dev/null || skip "ffmpeg is not installed (scripts/install-deps.sh)"

CH=11 SIZE=640x360
ffmpeg -loglevel error -y -f lavfi \
	-i "sine=frequency=1000:sample_rate=48000:duration=20" "$WORK/tone.wav" ||
	fail "ffmpeg could not make the tone"
VOICE="--voice file:$WORK/tone.wav"
# The SDP depends only on the settings, so write it first and let ffmpeg
# listen before the broadcast starts.
"$TEACHER" --headless --insecure --source testpattern --size $SIZE --channel $CH \
	$VOICE --duration 0.2 --sdp "$WORK/cast.sdp" >/dev/null
grep -q 'sprop-parameter-sets=' "$WORK/cast.sdp" || fail "SDP has no sprop-parameter-sets"
grep -q 'c=IN IP4 239.255.0.11/1' "$WORK/cast.sdp" || fail "SDP has the wrong group: $(cat "$WORK/cast.sdp")"
grep -q '^m=audio [0-9]* RTP/AVP 111' "$WORK/cast.sdp" &&
	grep -q '^a=rtpmap:111 opus/48000/2' "$WORK/cast.sdp" &&
	grep -q '^a=fmtp:111 .*useinbandfec=1' "$WORK/cast.sdp" ||
	fail "SDP does not describe the sound: $(cat "$WORK/cast.sdp")"

W="-protocol_whitelist file,udp,rtp"
ffmpeg -hide_banner -loglevel error -nostdin $W -i "$WORK/cast.sdp" \
	-map 0:v -vsync passthrough -f rawvideo -pix_fmt yuv420p -y "$WORK/ff.yuv" \
	-map 0:a -ac 1 -ar 48000 -y "$WORK/ff.wav" \
	2>"$WORK/ffmpeg.log" &
FF=$!
PIDS="$PIDS $FF"
# ffprobe reads the SDP's streams and the first packets of each.
ffprobe -v error $W -analyzeduration 3000000 -show_entries \
	stream=codec_type,codec_name,sample_rate,width,height -of json \
	"$WORK/cast.sdp" >"$WORK/probe.json" 2>"$WORK/ffprobe.log" &
FP=$!
PIDS="$PIDS $FP"
sleep 1
"$TEACHER" --headless --insecure --source testpattern --size $SIZE --fps 30 \
	$VOICE --channel $CH --duration 8 --stats "$WORK/t.json"
sleep 1
kill -INT $FF 2>/dev/null || true
wait $FF || true
wait $FP || fail "ffprobe could not read the SDP: $(cat "$WORK/ffprobe.log")"

"$BUILD/tests/stampcheck" "$WORK/ff.yuv" $SIZE | tee "$WORK/ff.json"
check "$WORK/ff.json" "s['frames'] >= 200" "ffmpeg decoded too few frames"
check "$WORK/ff.json" "s['bad'] == 0 and s['disorder'] == 0" "ffmpeg's pictures are corrupt or out of order"
check "$WORK/ff.json" "s['frames'] >= 0.9 * s['span'] and s['first'] <= 15" \
	"ffmpeg decoded under 90 % of the frames"

python3 - "$WORK/probe.json" <<'PY' || fail "ffprobe did not find the picture and the sound: $(cat "$WORK/probe.json")"
import json, sys
st = json.load(open(sys.argv[1]))["streams"]
v = [s for s in st if s["codec_type"] == "video" and s["codec_name"] == "h264"]
a = [s for s in st if s["codec_type"] == "audio" and s["codec_name"] == "opus"]
print("ffprobe: %s" % ", ".join("%s %s" % (s["codec_type"], s["codec_name"])
                                for s in st))
sys.exit(0 if v and a and v[0].get("width") == 640 and
         a[0].get("sample_rate") == "48000" else 1)
PY
# ffmpeg's sound: seconds of the tone (1 kHz carries the power).
python3 - "$WORK/ff.wav" <<'PY' || fail "ffmpeg did not decode the sound: $(cat "$WORK/ffmpeg.log")"
import sys
from tone import frames, loud, share
frs = frames(sys.argv[1])
snd = loud(frs)
sh = share(snd, 1000, (500, 1000, 1500))
print("ffmpeg decoded %.1f s of sound, %.1f s of the tone (%.0f%% at 1 kHz)"
      % (len(frs) * 0.02, len(snd) * 0.02, 100 * sh))
sys.exit(0 if len(snd) * 0.02 >= 5 and sh > 0.9 else 1)
PY
echo "PASS"
