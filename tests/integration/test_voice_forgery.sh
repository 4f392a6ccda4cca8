#!/bin/sh
# A student that holds the media key cannot speak through the other
# students' loudspeakers. cast_forge --audio joins the class as a student,
# gets the SRTP media key in WELCOME and sends a loud 1 kHz tone as Opus on
# the channel's audio port, validly SRTP-protected, each packet signed by a
# key of its own (payload type 112, as the teacher's). The honest students play only the teacher's speech
# (their WAV matches the source as in test_voice, and no 20 ms of it is
# dominated by the tone) and count the forgery (audio_unauthenticated,
# audio_auth_sigs_bad), also once the speech has ended and the tone is
# the only sound sent. A student told --unsigned-media (no source
# authentication) plays the tone then: the check can see it.
. "$(dirname "$0")/lib.sh"

command -v espeak-ng >/dev/null || skip "espeak-ng not installed"
command -v ffmpeg >/dev/null || skip "ffmpeg not installed"
FORGE=$BUILD/tests/cast_forge
CMP=$BUILD/tests/audio_compare
[ -x "$FORGE" ] || fail "cast_forge not built"
CH=33
espeak-ng -w "$WORK/speech.wav" "Good morning class. Today we will learn \
how sound travels across the network to every computer in the room. Please \
listen carefully and take notes. The quick brown fox jumps over the lazy \
dog, while the teacher explains the lesson slowly and clearly." ||
	fail "espeak-ng made no speech"
ffmpeg -loglevel error -y -i "$WORK/speech.wav" -ar 48000 -ac 1 \
	"$WORK/src.wav" || fail "ffmpeg could not convert the speech"

"$TEACHER" keygen "$WORK/class.key" >/dev/null
K="--key $WORK/class.key"
for i in 1 2; do
	bg "$STUDENT" --headless $K --id s$i --channel $CH --duration 19 \
		--audio-out "file:$WORK/s$i.wav" --stats "$WORK/s$i.json"
done
bg "$STUDENT" --headless $K --id s3 --channel $CH --duration 19 \
	--unsigned-media --audio-out "file:$WORK/s3.wav" --stats "$WORK/s3.json"
sleep 1
bg "$TEACHER" --headless $K --ctl-socket "$WORK/t.sock" --source testpattern \
	--size 320x240 --fps 10 --voice "file:$WORK/speech.wav" --channel $CH \
	--duration 16 --stats "$WORK/t.json"
sleep 2
# The forger goes on after the speech ends (about 14 s in): then its tone
# is the only sound on the port.
"$FORGE" --key "$WORK/class.key" --channel $CH --duration 14 --audio --sign \
	>"$WORK/forge.json" 2>"$WORK/forge.log" || {
	cat "$WORK/forge.log"
	fail "the forger did not run"
}
wait

# The share of 20 ms windows the forger's 1 kHz tone dominates (Goertzel).
tone() {
	python3 - "$1" <<'PY'
import math, struct, sys, wave
w = wave.open(sys.argv[1])
rate, n = w.getframerate(), w.getnframes()
x = struct.unpack('<%dh' % n, w.readframes(n))
win = rate // 50
c = 2 * math.cos(2 * math.pi * 1000 / rate)
hits = 0
for o in range(0, n - win, win):
    s1 = s2 = e = 0.0
    for v in x[o:o + win]:
        s1, s2 = v + c * s1 - s2, s1
        e += v * v
    p = (s1 * s1 + s2 * s2 - c * s1 * s2) * 2 / win
    if e > win * 1e6 and p > 0.5 * e:
        hits += 1
print(hits)
PY
}

check "$WORK/forge.json" "s['key_obtained'] and s['frames_sent'] >= 400 and s['auth_sent'] >= 120" \
	"the forger sent no forged voice (or got no media key)"
check "$WORK/t.json" "s['audio_frames_sent'] >= 600 and s['audio_signed_packets'] == s['audio_frames_sent']" \
	"the teacher did not sign its voice"
# Speech may have a few windows of its own there: the source's count is
# the baseline.
base=$(tone "$WORK/src.wav") || fail "no readable source WAV"
for i in 1 2; do
	f=$WORK/s$i.json
	check "$f" "s['audio_unauthenticated'] >= 150 and s['audio_auth_sigs_bad'] >= 50" \
		"s$i did not count the forged voice"
	check "$f" "s['audio_auth_sigs_ok'] >= 150" "s$i verified no teacher signature"
	hits=$(tone "$WORK/s$i.wav") || fail "s$i: no readable WAV"
	[ "$hits" -le $((base + 2)) ] ||
		fail "s$i played the forged tone ($hits windows of 20 ms, the source $base)"
	"$CMP" "$WORK/src.wav" "$WORK/s$i.wav" >"$WORK/c$i.json" ||
		fail "s$i: no comparable WAV"
	python3 - "$WORK/c$i.json" "$f" s$i <<'PY' || fail "s$i's audio does not match the source"
import json, sys
c = json.load(open(sys.argv[1]))
s = json.loads([l for l in open(sys.argv[2]) if '"final":true' in l][-1])
v = s['audio_verify_ms'] * 1000 / max(1, s['audio_auth_sigs_ok'] + s['audio_auth_sigs_bad'])
print("%s: correlation %.3f, longest gap %d ms, forged packets dropped %d, bad signatures %d, %.0f us a check"
      % (sys.argv[3], c['peak'], c['max_gap_ms'], s['audio_unauthenticated'], s['audio_auth_sigs_bad'], v))
sys.exit(0 if c['peak'] > 0.8 and c['overlap_s'] > 10 and c['max_gap_ms'] <= 60 else 1)
PY
done
# Without source authentication the same forgery is heard.
hits=$(tone "$WORK/s3.wav") || fail "s3: no readable WAV"
echo "s3 (--unsigned-media): $hits windows of 20 ms of forged tone"
[ "$hits" -ge $((base + 5)) ] || fail "the tone check saw nothing where the forgery was played"
echo "PASS"
