#!/bin/sh
# Lip sync: a source whose picture flashes white at the same instants its
# sound clicks (once a second; an ffmpeg-made film given as --source file:
# alone: its own sound is the class's, network cinema). Each student (--check-av) times every flash it
# shows and every click it plays on its own clock; once the lip sync has
# settled (the second half of the pairs) a flash and its click are within
# ±40 ms (ITU-R BT.1359: +45 / -125 ms is where people notice) for at least
# three pairs in four and in the median, and the student's own estimate
# (av_offset_ms: shown picture delay - sound delay, from both streams'
# sender reports) is within 40 ms too. The sound here is the later stream
# (its jitter buffer): the student holds each picture for it.
. "$(dirname "$0")/lib.sh"

command -v ffmpeg >/dev/null || skip "ffmpeg not installed"
CH=26
ffmpeg -loglevel error -y \
	-f lavfi -i "color=c=black:s=320x240:r=30:d=16,drawbox=x=0:y=0:w=iw:h=ih:color=white:t=fill:enable='between(mod(t\,1)\,0.5\,0.566)'" \
	-f lavfi -i "aevalsrc='if(between(mod(t\,1)\,0.5\,0.51)\,0.8*sin(2*PI*1000*t)\,0)':s=48000:d=16" \
	-c:v libx264 -preset ultrafast -g 30 -c:a pcm_s16le -shortest \
	"$WORK/av.mkv" || fail "ffmpeg could not make the flash/click file"
"$TEACHER" keygen "$WORK/class.key" >/dev/null
K="--key $WORK/class.key"
for i in 1 2; do
	bg "$STUDENT" --headless $K --id s$i --channel $CH --duration 19 \
		--state-dir "$WORK/st$i" --local-socket "$WORK/st$i.sock" \
		--check-av --stats "$WORK/s$i.json"
done
sleep 1
bg "$TEACHER" --headless $K --source "file:$WORK/av.mkv" \
	--channel $CH --duration 17 \
	--stats "$WORK/t.json"
wait
for i in 1 2; do
	python3 - "$WORK/s$i.json" s$i <<'PY' || fail "s$i: picture and sound out of step"
import json, sys
s = json.loads([l for l in open(sys.argv[1]) if '"final":true' in l][-1])
a = s.get("av_check", {})
print("%s: %d flashes, %d clicks, %d pairs; click - flash first %.1f ms, "
      "settled %.1f .. %.1f ms (p50 %.1f); av_offset_ms %.1f (audio held "
      "back %d ms); picture delay p50 %.1f ms, sound delay p50 %.1f ms"
      % (sys.argv[2], a.get("flashes", 0), a.get("clicks", 0), a.get("pairs", 0),
         a.get("first_ms", 0), a.get("settled_min_ms", 0),
         a.get("settled_max_ms", 0), a.get("settled_p50_ms", 0),
         s["av_offset_ms"], s["av_extra_delay_ms"],
         s["latency_ms"]["p50"], s["audio_latency_ms"]["p50"]))
settled = a.get("offsets_ms", [])[a.get("pairs", 0) // 2:]
inside = sum(1 for o in settled if abs(o) <= 40)
print("  settled pairs within 40 ms: %d of %d" % (inside, len(settled)))
# A loaded machine may stall one picture or one click: most pairs, and
# their median, must be in step.
ok = (a.get("pairs", 0) >= 10 and abs(a["settled_p50_ms"]) <= 40 and
      inside >= 0.75 * len(settled) and abs(s["av_offset_ms"]) <= 40)
sys.exit(0 if ok else 1)
PY
done
echo "PASS"
