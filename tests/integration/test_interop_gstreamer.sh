#!/bin/sh
# Interop: GStreamer's stock RTP/H.264 elements (udpsrc ! rtph264depay !
# avdec_h264) receive and decode the teacher's multicast stream.
. "$(dirname "$0")/lib.sh"
command -v gst-launch-1.0 >/dev/null || skip "gst-launch-1.0 is not installed (scripts/install-deps.sh)"
gst-inspect-1.0 avdec_h264 >/dev/null 2>&1 || skip "gstreamer1.0-libav (avdec_h264) is not installed"

CH=12 SIZE=640x360
GROUP=239.255.0.12 PORT=40120
timeout -s INT 12 gst-launch-1.0 -q -e udpsrc address=$GROUP port=$PORT \
	caps="application/x-rtp,media=video,encoding-name=H264,clock-rate=90000,payload=96" \
	! rtph264depay ! avdec_h264 ! videoconvert ! video/x-raw,format=I420 \
	! filesink location="$WORK/gst.yuv" >"$WORK/gst.log" 2>&1 &
GST=$!
PIDS="$PIDS $GST"
sleep 1
"$TEACHER" --headless --insecure --source testpattern --size $SIZE --fps 30 \
	--channel $CH --duration 8 --stats "$WORK/t.json"
wait $GST || true

"$BUILD/tests/stampcheck" "$WORK/gst.yuv" $SIZE | tee "$WORK/gst.json"
check "$WORK/gst.json" "s['frames'] >= 200" "GStreamer decoded too few frames"
check "$WORK/gst.json" "s['bad'] == 0 and s['disorder'] == 0" "GStreamer's pictures are corrupt or out of order"
check "$WORK/gst.json" "s['frames'] >= 0.9 * s['span']" "GStreamer decoded under 90 % of the frames"
echo "PASS"
