#!/bin/sh
# Network cinema with a film whose sound cannot be decoded: the picture goes
# on to the end, silent, with one warning and a counter in the stats.
# From an H.264+AAC Matroska film and a VP9+Opus WebM one (a 880 Hz tone
# each, 8 s), mkv_damage.py makes three: the AAC frames from 4 s on
# overwritten (the decoder refuses them; passed through), the Opus frames
# from 4 to 6 s (the demuxer's parser drops them; transcoded), and an audio
# track whose codec no decoder knows. Each plays to its own student:
# pictures to the film's end; the tone until the damage, silence in its
# place (the Opus film's tone comes back at 6 s, in time); the teacher ends
# with the film (exit 0), logs the damage once and counts it
# (audio_decode_errors, audio_missing_ms; audio_source_errors for the
# unknown codec).
. "$(dirname "$0")/lib.sh"

command -v ffmpeg >/dev/null || skip "ffmpeg not installed"
V="-f lavfi -i testsrc=s=320x240:r=15:d=8"
A="-f lavfi -i sine=frequency=880:sample_rate=48000:duration=8"
ffmpeg -loglevel error -y $V $A -c:v libx264 -preset ultrafast -bf 0 -g 15 \
	-c:a aac -b:a 96k -shortest "$WORK/film.mkv" ||
	fail "ffmpeg could not make film.mkv"
ffmpeg -loglevel error -y $V $A -c:v libvpx-vp9 -deadline realtime \
	-cpu-used 8 -g 15 -c:a libopus -b:a 64k -shortest "$WORK/film.webm" ||
	fail "ffmpeg could not make film.webm"
D="$SRC/tests/integration/mkv_damage.py"
python3 "$D" "$WORK/film.mkv" "$WORK/broke.mkv" --from 4 >/dev/null ||
	fail "could not damage film.mkv"
python3 "$D" "$WORK/film.webm" "$WORK/broke.webm" --from 4 6 >/dev/null ||
	fail "could not damage film.webm"
python3 "$D" "$WORK/film.mkv" "$WORK/nocodec.mkv" --codec >/dev/null ||
	fail "could not rename the audio codec"

"$TEACHER" keygen "$WORK/class.key" >/dev/null
K="--key $WORK/class.key"
S=$CAST_SLACK
SP=""
CH=70
for f in broke.mkv broke.webm nocodec.mkv; do
	bg "$STUDENT" --headless $K --id "s$CH" --channel $CH \
		--duration $((16 * S)) --state-dir "$WORK/st$CH" \
		--local-socket "$WORK/s$CH.sock" \
		--audio-out "file:$WORK/$CH.wav" --stats "$WORK/s$CH.json" \
		2>"$WORK/s$CH.log"
	SP="$SP $!"
	CH=$((CH + 1))
done
sleep 1
CH=70
T=""
for f in broke.mkv broke.webm nocodec.mkv; do
	# The film ends the teacher; --duration is only a cap.
	"$TEACHER" --headless $K --source "file:$WORK/$f" --size 320x240 \
		--channel $CH --duration $((14 * S)) \
		--ctl-socket "$WORK/t$CH.sock" --stats "$WORK/t$CH.json" \
		2>"$WORK/t$CH.log" &
	T="$T $!"
	CH=$((CH + 1))
done
CH=70
for p in $T; do
	wait "$p" || fail "the teacher of channel $CH stopped: $(cat "$WORK/t$CH.log")"
	CH=$((CH + 1))
done
# The films have ended: the students' last pictures and sound are in.
sleep 1
# shellcheck disable=SC2086
kill -INT $SP 2>/dev/null || true
wait

grep -q "passed through" "$WORK/t70.log" ||
	fail "broke.mkv was not passed through: $(cat "$WORK/t70.log")"
# The passed-through films went out whole (8 s at 15 fps); the transcoded
# one may skip pictures on a loaded machine.
for CH in 70 72; do
	check "$WORK/t$CH.json" "s['frames_sent'] == 120" \
		"channel $CH: the teacher did not send the whole film"
done
for CH in 70 71 72; do
	check "$WORK/s$CH.json" "s['frames_decoded'] >= 40" \
		"channel $CH: the student decoded too few pictures"
	# Pictures kept coming to the film's end: decoded over 5 s or more (a
	# loaded machine may take seconds to let the student join).
	python3 - "$WORK/s$CH.json" <<'EOF' ||
import json, sys
t = [(s["t"], s["frames_decoded"]) for s in map(json.loads, open(sys.argv[1]))]
moved = [b[0] for a, b in zip(t, t[1:]) if b[1] > a[1]]
first = next(x for x in t if x[1] > 0)[0] - 1 if moved else 0
span = moved[-1] - first if moved else 0
print("pictures decoded over %.1f s" % span)
sys.exit(0 if span >= 5 else 1)
EOF
		fail "channel $CH: the pictures stopped before the film's end"
done
check "$WORK/t70.json" "s['audio_decode_errors'] >= 100 and s['audio_missing_ms'] >= 3000 and s['audio_frames_sent'] >= 350" \
	"broke.mkv: the damaged sound was not counted, or not sent as silence"
check "$WORK/t71.json" "s['audio_missing_ms'] >= 1500 and s['audio_frames_sent'] >= 350" \
	"broke.webm: the dropped sound was not counted, or not sent as silence"
check "$WORK/t72.json" "s['audio_source_errors'] == 1 and s['audio_frames_sent'] == 0" \
	"nocodec.mkv: the sound no decoder knows was not counted"
for CH in 70 71 72; do
	n=$(grep -c "cannot be decoded" "$WORK/t$CH.log" || true)
	[ "$n" = 1 ] ||
		fail "channel $CH: $n warnings about the sound: $(cat "$WORK/t$CH.log")"
done

# What each student played: the AAC film's tone for (at most) its first
# 4 s, nothing loud after; the Opus film's until 4 s, about 2 s of silence,
# then its last 2 s; nothing at all for the unknown codec. A student that
# joined late (a loaded machine) missed the start: lower bounds are loose.
python3 - "$WORK" <<'EOF' || fail "a student's sound was not the film's"
import math, os, struct, sys, wave
work = sys.argv[1]

def loud(name):
    path = "%s/%s.wav" % (work, name)
    if not os.path.exists(path):
        return []
    w = wave.open(path)
    n = w.getnframes()
    pcm = struct.unpack("<%dh" % n, w.readframes(n))
    return [math.sqrt(sum(v * v for v in pcm[i:i + 960]) / 960) > 1000
            for i in range(0, n - 959, 960)]

def longest_quiet(frames):
    on = [i for i, x in enumerate(frames) if x]
    return max((b - a - 1 for a, b in zip(on, on[1:])), default=0) * 0.02

ok = True
for name, lo, hi, gap in (("70", 1.0, 4.4, (0, 0.2)),
                          ("71", 2.5, 6.4, (1.6, 2.5)), ("72", 0, 0, (0, 0))):
    f = loud(name)
    secs, quiet = sum(f) * 0.02, longest_quiet(f)
    print("channel %s: %.2f s of sound, %.2f s quiet inside it"
          % (name, secs, quiet))
    ok = ok and lo <= secs <= hi and gap[0] <= quiet <= gap[1]
sys.exit(0 if ok else 1)
EOF
echo "PASS"
