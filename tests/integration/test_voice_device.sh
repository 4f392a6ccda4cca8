#!/bin/sh
# Voice through real sound devices: the teacher's `--voice mic` (SDL2
# capture) and the student's `--audio-out default` (SDL2 playback) on a
# PulseAudio server of this test's own (its socket in the work dir; two
# null sinks, "room" and "speaker", each with a monitor). Speech
# (espeak-ng) played into "room" is the microphone: the room's monitor is
# the teacher's default source. The student plays into "speaker", whose
# monitor parec records. The teacher must have sent from the device and
# the student played to it, with the delay (capture on the teacher's clock
# → handed to the device) measured, and the speaker must have sounded
# through the speech; its correlation with the speech is reported.
. "$(dirname "$0")/lib.sh"

for t in pulseaudio pactl paplay parec espeak-ng ffmpeg; do
	command -v $t >/dev/null || skip "$t not installed"
done
CMP=$BUILD/tests/audio_compare
CH=31
espeak-ng -w "$WORK/speech.wav" "Good morning class. Today we will learn \
how sound travels across the network to every computer in the room. Please \
listen carefully and take notes." || fail "espeak-ng made no speech"
ffmpeg -loglevel error -y -i "$WORK/speech.wav" -ar 48000 -ac 1 \
	"$WORK/src.wav" || fail "ffmpeg could not convert the speech"

# The sound server: private (its socket under this test's runtime dir),
# no D-Bus, no shared memory, never exiting while idle.
export XDG_RUNTIME_DIR=$WORK/xdg SDL_AUDIODRIVER=pulseaudio
mkdir -m 700 "$XDG_RUNTIME_DIR"
bg pulseaudio -n --daemonize=no --exit-idle-time=-1 --system=false \
	--realtime=yes --high-priority=yes \
	--disable-shm=yes -L module-native-protocol-unix \
	-L "module-null-sink sink_name=room" \
	-L "module-null-sink sink_name=speaker" 2>"$WORK/pa.log"
i=0
until pactl info >/dev/null 2>&1; do
	i=$((i + 1))
	[ $i -le $((50 * CAST_SLACK)) ] || fail "pulseaudio did not start: $(tail -3 "$WORK/pa.log")"
	sleep 0.1
done
pactl set-default-source room.monitor
pactl set-default-sink speaker

"$TEACHER" keygen "$WORK/class.key" >/dev/null
K="--key $WORK/class.key"
bg parec -d speaker.monitor --rate=48000 --channels=1 --format=s16le \
	--file-format=wav "$WORK/played.wav"
REC=$!
bg "$STUDENT" --headless $K --id s1 --channel $CH --duration $((30 * CAST_SLACK)) \
	--audio-out default --stats "$WORK/s.json" 2>"$WORK/s.log"
SP=$!
sleep 1
bg "$TEACHER" --headless $K --source testpattern --size 320x240 --fps 10 \
	--voice mic --channel $CH --duration $((30 * CAST_SLACK)) \
	--stats "$WORK/t.json" 2>"$WORK/t.log"
TP=$!
# Speech once both ends run: the student has joined.
i=0
until grep -q '"audio_frames_played":[1-9]' "$WORK/s.json" 2>/dev/null; do
	i=$((i + 1))
	[ $i -le $((100 * CAST_SLACK)) ] ||
		fail "the student played nothing from the microphone: $(tail -3 "$WORK/s.log") / $(tail -3 "$WORK/t.log")"
	sleep 0.1
done
paplay -d room --latency-msec=20 "$WORK/speech.wav" || fail "paplay could not play into the room"
sleep 1
kill -INT $TP $SP
wait $TP $SP || fail "the teacher or the student failed"
kill -INT $REC
wait $REC 2>/dev/null || true

check "$WORK/t.json" "s['audio_frames_sent'] >= 300" "teacher sent too little from the microphone"
check "$WORK/s.json" "s['audio_frames_played'] >= 300" "the student played too little"
check "$WORK/s.json" "s['audio_latency_ms']['count'] > 0 and 0 < s['audio_latency_ms']['p50'] < 1000" \
	"the student measured no delay"
"$CMP" "$WORK/src.wav" "$WORK/played.wav" >"$WORK/c.json" ||
	fail "no comparable recording of the speaker"
# The speaker sounded through the speech: 4 s or more of its 8 s in 100 ms
# windows at speech level (5.3-5.9 s seen; nothing played gives none). How closely it matched is reported, not asserted: through two
# null sinks on a loaded machine most runs correlate 0.93, an occasional
# one far less (docs/voice.md), which test_voice bounds without devices.
python3 - "$WORK/c.json" "$WORK/s.json" "$WORK/played.wav" <<'PY' || fail "the student's speaker did not sound the speech"
import json, math, struct, sys, wave
c = json.load(open(sys.argv[1]))
s = json.loads([l for l in open(sys.argv[2]) if '"final":true' in l][-1])
w = wave.open(sys.argv[3])
n = w.getnframes()
pcm = struct.unpack("<%dh" % n, w.readframes(n))
win = w.getframerate() // 10
loud = sum(1 for i in range(0, n - win, win)
           if math.sqrt(sum(v * v for v in pcm[i:i + win]) / win) > 300)
lat = s['audio_latency_ms']
print("device to device: %.1f s at speech level; correlation %.3f (1 s windows; whole %.3f), longest gap %d ms, delay p50 %.1f ms, concealed %d"
      % (loud / 10.0, c['peak'], c['whole'], c['max_gap_ms'], lat['p50'], s['audio_concealed']))
sys.exit(0 if loud >= 40 else 1)
PY
echo "PASS"
