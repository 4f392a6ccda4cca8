#!/bin/sh
# Network cinema: a film given as --source file:PATH plays to the class with
# its own sound (no --voice), through the voice's Opus/SRTP/signed path.
# Four films the test makes with ffmpeg, each with a tone of its own pitch,
# play at once on four channels: mpeg4+mp3 in AVI (3 s, with --loop: the
# sound loops with the picture), wmv2+wmav2 in ASF, h264+aac in Matroska
# (passed through without encoding) and vp9+opus in WebM. Each student must
# decode pictures and write (--audio-out file:) its film's tone: its pitch
# stands far above the other films' in what it played, for longer than the
# film when it loops. A fifth teacher plays the AVI with --voice none: its
# student hears nothing. A sixth plays an MP3 with a cover (a red square)
# and no moving picture: the class is sent the cover on a dark card (the
# teacher's recording of what it sent, read back by ffmpeg), its student
# decodes it and plays its tone; the song's end ends the broadcast. Lip sync of a film's own sound: test_voice_sync.
. "$(dirname "$0")/lib.sh"

command -v ffmpeg >/dev/null || skip "ffmpeg not installed"
V="-f lavfi -i testsrc=s=320x240:r=15"
# name  seconds  video codec  audio codec  pitch (Hz)
make_film() {
	ffmpeg -loglevel error -y $V:d=$2 \
		-f lavfi -i "sine=frequency=$5:sample_rate=44100:duration=$2" \
		$3 $4 -shortest "$WORK/$1" || fail "ffmpeg could not make $1"
}
make_film film.avi 3 "-c:v mpeg4 -g 15" "-c:a libmp3lame -b:a 96k" 440
make_film film.asf 6 "-c:v wmv2 -g 15" "-c:a wmav2 -b:a 96k" 660
make_film film.mkv 6 "-c:v libx264 -preset ultrafast -bf 0 -g 15" \
	"-c:a aac -b:a 96k" 880
make_film film.webm 6 "-c:v libvpx-vp9 -deadline realtime -cpu-used 8 -g 15" \
	"-c:a libopus -b:a 64k" 1100
ffmpeg -loglevel error -y -f lavfi -i "sine=frequency=1320:duration=6" \
	-f lavfi -i "color=red:s=200x200:d=1" -map 0 -map 1 -frames:v 1 \
	-c:a libmp3lame -b:a 96k -c:v png -disposition:v attached_pic \
	"$WORK/film.mp3" || fail "ffmpeg could not make film.mp3"

"$TEACHER" keygen "$WORK/class.key" >/dev/null
K="--key $WORK/class.key"
CH=60
for f in avi asf mkv webm none; do
	bg "$STUDENT" --headless $K --id s$f --channel $CH --duration 12 \
		--state-dir "$WORK/st$f" --local-socket "$WORK/s$f.sock" \
		--audio-out "file:$WORK/$f.wav" --stats "$WORK/s$f.json" \
		2>"$WORK/s$f.log"
	CH=$((CH + 1))
done
sleep 1
CH=60
for f in avi asf mkv webm none; do
	src=$f extra=""
	[ $f = avi ] && extra="--loop"
	[ $f = none ] && src=avi extra="--loop --voice none"
	bg "$TEACHER" --headless $K --source "file:$WORK/film.$src" $extra \
		--size 320x240 --channel $CH --duration 9 \
		--ctl-socket "$WORK/t$f.sock" --stats "$WORK/t$f.json" \
		2>"$WORK/t$f.log"
	CH=$((CH + 1))
done
wait

# The song afterwards, on its own: a sixth pair beside the five films
# starved them under the sanitizers. What the class is sent is recorded
# as it is (no second encode).
bg "$STUDENT" --headless $K --id smp3 --channel $CH --duration 15 \
	--state-dir "$WORK/stmp3" --local-socket "$WORK/smp3.sock" \
	--audio-out "file:$WORK/mp3.wav" --stats "$WORK/smp3.json" \
	2>"$WORK/smp3.log"
SPID=$!
sleep 1
"$TEACHER" --headless $K --source "file:$WORK/film.mp3" \
	--record "$WORK/mp3.mkv" --size 320x240 --channel $CH --duration 12 \
	--ctl-socket "$WORK/tmp3.sock" --stats "$WORK/tmp3.json" \
	2>"$WORK/tmp3.log" || fail "the song's teacher failed: $(tail -n 3 "$WORK/tmp3.log")"
sleep 0.5
kill -INT $SPID 2>/dev/null || true
wait $SPID || true

grep -q "passed through" "$WORK/tmkv.log" ||
	fail "the H.264 film was not passed through: $(cat "$WORK/tmkv.log")"
check "$WORK/tmkv.json" "s['encode_ms']['count'] == 0" \
	"the H.264 film was encoded again"
for f in avi asf mkv webm; do
	check "$WORK/t$f.json" "s['audio_frames_sent'] >= 250 and s['audio_signed_packets'] > 0" \
		"$f: the teacher did not send the film's sound, signed"
	# 8 s of pictures at 15 fps or more; a loaded machine loses some.
	check "$WORK/s$f.json" "s['frames_decoded'] >= 40" \
		"$f: the student decoded too few pictures"
	check "$WORK/s$f.json" "s['audio_auth_failures'] == 0" \
		"$f: the student refused the film's sound"
done
check "$WORK/tnone.json" "'audio_frames_sent' not in s" \
	"--voice none: the teacher still sent the film's sound"
check "$WORK/snone.json" "s['frames_decoded'] >= 40" \
	"--voice none: the student decoded too few pictures"
# The song: its cover, encoded (a still every 0.5 s), and its sound.
grep -q "sound without a picture: showing its cover" "$WORK/tmp3.log" ||
	fail "the MP3's cover was not shown: $(cat "$WORK/tmp3.log")"
check "$WORK/tmp3.json" "s['audio_frames_sent'] >= 250 and s['frames_sent'] >= 8" \
	"mp3: the teacher did not send the song's sound and still"
check "$WORK/smp3.json" "s['frames_decoded'] >= 8" \
	"mp3: the student decoded too few pictures"
ffmpeg -loglevel error -y -ss 2 -i "$WORK/mp3.mkv" -frames:v 1 "$WORK/mp3.ppm" ||
	fail "ffmpeg could not read the MP3's broadcast"
python3 - "$WORK/mp3.ppm" <<'PY' || fail "the class was not sent the MP3's cover on its card"
import sys
d = open(sys.argv[1], "rb").read()
parts = d.split(b"\n", 3)
w, h = map(int, parts[1].split())
px = parts[3]
at = lambda x, y: tuple(px[3 * (y * w + x):3 * (y * w + x) + 3])
mid, corner = at(w // 2, int(h * 0.4)), at(4, 4)
print("mp3: %dx%d, red cover in the middle %s, card at the corner %s" % (w, h, mid, corner))
sys.exit(0 if mid[0] > 180 and mid[1] < 70 and mid[2] < 70 and
         max(corner) < 90 and corner[2] > corner[0] else 1)
PY

# The pitch of each film's tone in what its student played, by the Goertzel
# filter over its loud 20 ms frames: the film's own pitch must carry most
# of the power the four pitches share, for long enough.
python3 - "$WORK" <<'PY' || fail "a student did not play its film's sound"
import sys
from tone import frames, loud, share
work = sys.argv[1]
pitch = {"avi": 440, "asf": 660, "mkv": 880, "webm": 1100, "mp3": 1320}

def loud_frames(name):
    return loud(frames("%s/%s.wav" % (work, name)))

ok = True
for name, f0 in pitch.items():
    snd = loud_frames(name)
    secs = len(snd) * 0.02
    # Up to 150 frames of it, spread over the whole play.
    sh = share(snd, f0, pitch.values(), 150)
    need = 4.0 if name == "avi" else 3.0   # the 3 s AVI loops
    print("%s: %.1f s of sound, %d Hz carries %.0f%% of the films' pitches"
          % (name, secs, f0, 100 * sh))
    if secs < need or sh < 0.9:
        ok = False
silent = loud_frames("none")
print("none: %.1f s of sound" % (len(silent) * 0.02))
ok = ok and not silent
sys.exit(0 if ok else 1)
PY
echo "PASS"
