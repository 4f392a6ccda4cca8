#!/bin/sh
# Voice broadcast (F2) end to end: the teacher's voice from a file (speech
# made by espeak-ng) to three students over SRTP multicast, each writing
# what it plays to a WAV (--audio-out file:). What each wrote must match
# the source (normalised cross-correlation peak > 0.8), continuously (no
# gap over 60 ms while the source speaks), and each measures its delay
# (capture on the teacher's clock → played, via the audio sender reports).
. "$(dirname "$0")/lib.sh"

command -v espeak-ng >/dev/null || skip "espeak-ng not installed"
command -v ffmpeg >/dev/null || skip "ffmpeg not installed"
CMP=$BUILD/tests/audio_compare
CH=23
espeak-ng -w "$WORK/speech.wav" "Good morning class. Today we will learn \
how sound travels across the network to every computer in the room. Please \
listen carefully and take notes. The quick brown fox jumps over the lazy \
dog, while the teacher explains the lesson slowly and clearly." ||
	fail "espeak-ng made no speech"
# The source at the class's rate, as the comparison reads it.
ffmpeg -loglevel error -y -i "$WORK/speech.wav" -ar 48000 -ac 1 \
	"$WORK/src.wav" || fail "ffmpeg could not convert the speech"

"$TEACHER" keygen "$WORK/class.key" >/dev/null
K="--key $WORK/class.key"
for i in 1 2 3; do
	bg "$STUDENT" --headless $K --id s$i --channel $CH --duration 19 \
		--audio-out "file:$WORK/s$i.wav" --stats "$WORK/s$i.json"
done
sleep 1
bg "$TEACHER" --headless $K --ctl-socket "$WORK/t.sock" --source testpattern \
	--size 320x240 --fps 10 --voice "file:$WORK/speech.wav" --channel $CH \
	--duration 16 --stats "$WORK/t.json"
wait

check "$WORK/t.json" "s['audio_frames_sent'] >= 600" "teacher sent too little audio"
for i in 1 2 3; do
	f=$WORK/s$i.json
	check "$f" "s['audio_frames_played'] >= 600" "s$i played too little"
	check "$f" "s['audio_latency_ms']['count'] > 0 and 0 < s['audio_latency_ms']['p50'] < 1000" \
		"s$i measured no delay"
	check "$f" "s['audio_auth_failures'] == 0" "s$i refused the teacher's audio"
	"$CMP" "$WORK/src.wav" "$WORK/s$i.wav" >"$WORK/c$i.json" ||
		fail "s$i: no comparable WAV"
	python3 - "$WORK/c$i.json" "$f" s$i <<'PY' || fail "s$i's audio does not match the source"
import json, sys
c = json.load(open(sys.argv[1]))
s = json.loads([l for l in open(sys.argv[2]) if '"final":true' in l][-1])
lat = s['audio_latency_ms']
print("%s: correlation %.3f (1 s windows; whole file %.3f) over %.1f s, longest gap %d ms, delay p50 %.1f ms p95 %.1f ms, concealed %d"
      % (sys.argv[3], c['peak'], c['whole'], c['overlap_s'], c['max_gap_ms'], lat['p50'], lat['p95'], s['audio_concealed']))
ok = c['peak'] > 0.8 and c['overlap_s'] > 10 and c['max_gap_ms'] <= 60
sys.exit(0 if ok else 1)
PY
done
echo "PASS"
