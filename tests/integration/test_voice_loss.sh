#!/bin/sh
# Voice on a lossy link: a teacher and two students on a private bridged
# LAN (netlab.sh); student 1 loses 5 % of the UDP arriving at it (nftables),
# student 2 nothing. The teacher's voice (espeak-ng speech, --voice file:)
# must still play continuously at student 1: no gap over 60 ms while the
# source speaks (what is lost is rebuilt by the coded repair packets or the
# next frame's in-band FEC, or concealed by Opus), the losses counted
# (concealed, FEC or repaired frames), the WAV still matching the source
# (correlation > 0.8). Student 2 is the control: nothing
# concealed for loss, correlation > 0.8.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/netlab.sh"

command -v espeak-ng >/dev/null || skip "espeak-ng not installed"
command -v ffmpeg >/dev/null || skip "ffmpeg not installed"
command -v nft >/dev/null || skip "nft (nftables) not installed"
ip netns add "$LAB_ID-probe" 2>/dev/null || skip "cannot create named network namespaces"
ip netns del "$LAB_ID-probe"
CMP=$BUILD/tests/audio_compare
CH=24
espeak-ng -w "$WORK/speech.wav" "Please open the worksheet on your desk. \
Read the first question aloud with your neighbour, then write down three \
ideas before we discuss them together. Remember that every answer counts, \
and that mistakes are how we learn. We will start the experiment after the \
break, so keep your notes ready." || fail "espeak-ng made no speech"
ffmpeg -loglevel error -y -i "$WORK/speech.wav" -ar 48000 -ac 1 \
	"$WORK/src.wav" || fail "ffmpeg could not convert the speech"
"$TEACHER" keygen "$WORK/class.key" >/dev/null
K="--key $WORK/class.key"

lab_up 3
lab_exec 1 nft list tables >/dev/null 2>&1 || skip "nft does not work inside a network namespace"
lab_loss 1 50
spids=""
for i in 1 2; do
	lab_bg $i "$STUDENT" --headless $K --id s$i --channel $CH --duration 20 \
		--state-dir "$WORK/st$i" --local-socket "$WORK/st$i.sock" \
		--audio-out "file:$WORK/s$i.wav" --stats "$WORK/s$i.json"
	spids="$spids $LAB_PID"
done
sleep 1
lab_bg 0 "$TEACHER" --headless $K --source testpattern --size 320x240 --fps 10 \
	--voice "file:$WORK/speech.wav" --channel $CH --duration 17 \
	--stats "$WORK/t.json"
# shellcheck disable=SC2086
wait $LAB_PID $spids || true
set -- $(lab_loss_count 1)
echo "student 1: $2 of $1 UDP packets dropped"
[ "${2:-0}" -gt 0 ] || fail "the loss rule dropped nothing"

check "$WORK/t.json" "s['audio_frames_sent'] >= 600" "teacher sent too little audio"
# Two repairs after each block of 4 packets.
check "$WORK/t.json" "s['audio_repairs_sent'] >= 0.45 * s['audio_packets_sent']" \
	"the teacher did not send two repairs per block"
for i in 1 2; do
	f=$WORK/s$i.json
	check "$f" "s['audio_frames_played'] >= 600" "s$i played too little"
	"$CMP" "$WORK/src.wav" "$WORK/s$i.wav" >"$WORK/c$i.json" ||
		fail "s$i: no comparable WAV"
	python3 - "$WORK/c$i.json" "$f" s$i <<'PY' || fail "s$i's audio has gaps or does not match"
import json, sys
c = json.load(open(sys.argv[1]))
s = json.loads([l for l in open(sys.argv[2]) if '"final":true' in l][-1])
lat = s['audio_latency_ms']
print("%s: correlation %.3f over %.1f s, longest gap %d ms; concealed %d "
      "(longest run %d ms), rebuilt from FEC %d, repaired %d, late %d, "
      "underruns %d, unauthenticated %d; delay p50 %.1f ms p95 %.1f ms"
      % (sys.argv[3], c['peak'], c['overlap_s'], c['max_gap_ms'],
         s['audio_concealed'], s['audio_max_concealed_ms'], s['audio_fec'],
         s['audio_repairs_recovered'], s['audio_late'], s['audio_underruns'],
         s['audio_unauthenticated'], lat['p50'], lat['p95']))
# Both must match the source closely, with no gap over 60 ms: student 1
# despite its 5 % loss (each packet is signed on its own, so a loss costs
# one frame, rebuilt from the next one's FEC or the block's repair).
ok = c['peak'] > 0.8 and c['overlap_s'] > 10 and c['max_gap_ms'] <= 60
sys.exit(0 if ok else 1)
PY
done
# Losses at student 1 were seen and made up for, one way or another.
check "$WORK/s1.json" \
	"s['audio_concealed'] + s['audio_fec'] + s['audio_repairs_recovered'] >= 10" \
	"student 1 counted no lost audio"
check "$WORK/s1.json" "s['audio_repairs_recovered'] > 0" \
	"no lost audio packet was rebuilt from the coded repair"
echo "PASS"
