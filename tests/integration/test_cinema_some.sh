#!/bin/sh
# Network cinema to some students (F9, `ctl cinema play PATH --to IDS`): a
# teacher broadcasts its 640x360 test pattern with a 440 Hz voice to three
# students. `cinema play film.mkv --to s1,s2` (320x240 H.264 with an 880 Hz
# tone, passed through): s1 and s2 show the film (its size, its pictures
# decoded) and play its tone instead of the voice; s3 keeps the teacher's
# pattern (its frame numbers read back) and its voice, never the film's
# tone. Pause holds the film's clock, seek moves it; s2 restarted while the
# film plays is shown it again; `cinema stop` brings s1 and s2 back to the
# broadcast and the voice. A silent MPEG-4 film (encoded again) to
# everyone reaches s3 too, whose voice goes on, and its end returns
# everyone to the broadcast. A path that does not open, an unknown
# student, a second play and bad words get clear errors and change
# nothing.
. "$(dirname "$0")/lib.sh"

command -v ffmpeg >/dev/null || skip "ffmpeg not installed"
ffmpeg -loglevel error -y -f lavfi -i testsrc=s=320x240:r=15:d=60 \
	-f lavfi -i "sine=f=880:r=48000:d=60" -c:v libx264 -preset ultrafast \
	-bf 0 -g 15 -c:a aac -b:a 64k -shortest "$WORK/film.mkv" ||
	fail "ffmpeg could not make the film"
ffmpeg -loglevel error -y -f lavfi -i testsrc=s=320x240:r=15:d=3 \
	-c:v mpeg4 "$WORK/short.avi" || fail "ffmpeg could not make the short film"
ffmpeg -loglevel error -y -f lavfi -i "sine=f=440:r=48000:d=60" \
	"$WORK/voice.wav" || fail "ffmpeg could not make the voice"

CH=71
TSOCK=$WORK/t.sock
"$TEACHER" keygen "$WORK/class.key" >/dev/null
T() {
	"$TEACHER" ctl --socket "$TSOCK" "$@" >"$WORK/reply" 2>&1 || true
}
# expect PYTHON-EXPR MESSAGE: on the last answer, bound to `r`.
expect() {
	python3 -c "import json,sys; r=json.load(open(sys.argv[1])); sys.exit(0 if eval(sys.argv[2]) else 1)" \
		"$WORK/reply" "$1" || fail "$2: $(head -c 900 "$WORK/reply")"
}

STUDENT_S=60
STUDENT_FLAGS="--check-stamp --audio-out file:$WORK/\$id.wav"
for i in 1 2 3; do student s$i; done
bg "$TEACHER" --headless --key "$WORK/class.key" --ctl-socket "$TSOCK" \
	--source testpattern --size 640x360 --fps 10 --channel $CH \
	--voice "file:$WORK/voice.wav" --duration $((60 * CAST_SLACK)) \
	--stats "$WORK/t.json" 2>"$WORK/t.log"
TPID=$!
wait_online 3
for i in 1 2 3; do wait_last s$i "s['showing'] == 'teacher' and s['width'] == 640" 150; done

# Refusals first: nothing may change.
T cinema play "$WORK/nosuch.mkv" --to s1,s2
expect "not r['ok'] and 'nosuch.mkv' in r['error']" "a film that does not exist"
T cinema play "$WORK/film.mkv" --to s1,s9
expect "not r['ok'] and 's9' in r['error']" "an unknown student"
T cinema stop
expect "not r['ok'] and 'no film' in r['error']" "stop without a film"
T cinema status
expect "not r['ok'] and 'no film' in r['error']" "status without a film"
for i in 1 2 3; do
	[ "$(last s$i "s['showing']")" = teacher ] || fail "s$i changed after refused commands"
done

T cinema play "$WORK/film.mkv" --to s1,s2
T_PLAY=$(date +%s.%N)
expect "r['ok'] and r['playing'] and r['to'] == 's1,s2' and r['passthrough'] and r['sound']" "cinema play --to s1,s2"
T cinema play "$WORK/film.mkv"
expect "not r['ok'] and 'cinema stop first' in r['error']" "a second film"
for i in 1 2; do
	wait_last s$i "s['showing'] == 'film:film.mkv' and s['width'] == 320 and s['demo_shown']['kind'] == 'film' and s['demo_shown']['sound'] and s['demo_shown']['frames_decoded'] > 15" 150
done
S3_STAMP=$(last s3 "s['stamp']['ok']")
wait_last s3 "s['showing'] == 'teacher' and s['width'] == 640 and s['stamp']['ok'] > $S3_STAMP + 10" 30
echo "s1, s2 show the film (320x240); s3 the teacher's pattern (frame numbers read back)"

T cinema pause
expect "r['ok'] and r['paused']" "pause"
P=$(python3 -c "import json,sys; print(json.load(open(sys.argv[1]))['position_s'])" "$WORK/reply")
sleep 1
T cinema status
expect "r['ok'] and r['paused'] and abs(r['position_s'] - $P) < 0.05 and r['to'] == 's1,s2'" "the paused film moved"
# Paused, the film's sender reports keep its viewers on it.
wait_last s1 "s['showing'] == 'film:film.mkv'" 10
T cinema resume
expect "r['ok'] and not r['paused']" "resume"
T cinema seek 20
expect "r['ok'] and 19 <= r['position_s'] <= 20.5" "seek 20"

# s2 restarted while the film plays is shown it again.
kill "$PID_s2"
wait "$PID_s2" 2>/dev/null || true
mv "$WORK/s2.wav" "$WORK/s2-first.wav"
mv "$WORK/s2.json" "$WORK/s2-first.json"
student s2
wait_last s2 "s['showing'] == 'film:film.mkv' and s['demo_shown']['frames_decoded'] > 5" 150
echo "s2 restarted during the film: shown it again"
# Its sound for a while (checked at the end).
sleep 1
T cinema status
expect "r['ok'] and not r['paused'] and r['position_s'] >= 19 and r['film_frames_sent'] > 30" "status while playing"

T cinema stop
T_STOP=$(date +%s.%N)
expect "r['ok'] and not r['playing']" "cinema stop"
for i in 1 2; do wait_last s$i "s['showing'] == 'teacher' and s['width'] == 640" 50; done
echo "cinema stop: s1, s2 back on the teacher's broadcast"

# A silent MPEG-4 film (decoded and encoded again, at the class's --size)
# to everyone: s3 shows it too and keeps the voice; at its end everyone is
# back by itself.
T cinema play "$WORK/short.avi" --to all
expect "r['ok'] and r['to'] == 'all' and not r['passthrough'] and not r['sound']" "cinema play --to all"
for i in 1 2 3; do
	wait_last s$i "s['showing'] == 'film:short.avi' and s['demo_shown']['frames_decoded'] > 0 and not s['demo_shown']['sound']" 60
done
for i in 1 2 3; do wait_last s$i "s['showing'] == 'teacher' and s['width'] == 640" 80; done
echo "a silent film to everyone, back to the broadcast at its end"
# The teacher's stats (a line a second) say so by the next line.
i=0
until tail -n 1 "$WORK/t.json" | grep -q '"cinema":{[^}]*"playing":false'; do
	i=$((i + 1))
	[ $i -lt $((30 * CAST_SLACK)) ] || break
	sleep 0.1
done
tail -n 1 "$WORK/t.json" | python3 -c "
import json, sys
c = json.load(sys.stdin)['cinema']
print('teacher: %d films, %d film pictures sent' % (c['films'], c['frames_sent']))
sys.exit(0 if c['films'] == 2 and not c['playing'] and c['frames_sent'] > 50 else 1)" ||
	fail "the teacher's cinema stats: $(tail -n 1 "$WORK/t.json" | head -c 600)"
for i in 1 2 3; do kill -INT "$(eval echo \$PID_s$i)" 2>/dev/null || true; done
for i in 1 2 3; do wait "$(eval echo \$PID_s$i)" 2>/dev/null || true; done
kill -INT "$TPID" 2>/dev/null || true
wait "$TPID" 2>/dev/null || true

# The sound: 20 ms frames by which of the two pitches carries them.
python3 - "$WORK" <<'PY' || fail "the students' sound did not follow the film"
import sys
from tone import frames, power, rms
w = sys.argv[1]

def pitches(name):
    out = []
    # The first 8 ms of each 20 ms frame: 440 and 880 Hz still fall in
    # bins apart, at a third of the cost.
    for fr in frames("%s/%s.wav" % (w, name)):
        f = fr[:384]
        if rms(f) < 500:
            out.append("-")
            continue
        a, b = power(f, 440), power(f, 880)
        out.append("v" if a > 10 * b else "f" if b > 10 * a else "?")
    return "".join(out)

ok = True
for name in ("s1", "s2-first", "s2", "s3"):
    p = pitches(name)
    film, voice = p.count("f"), p.count("v")
    # Where the film's sound is: after the voice, and the voice again after.
    first_f, last_f = p.find("f"), p.rfind("f")
    print("%s: %.1f s of the film's tone, %.1f s of the voice" % (
        name, film * 0.02, voice * 0.02))
    if name == "s3":
        ok &= film == 0 and voice * 0.02 >= 8
    elif name == "s2":
        ok &= film * 0.02 >= 1
    else:
        ok &= film * 0.02 >= 2 and first_f > 0 and "v" in p[:first_f]
        # No voice in the film's time, and its pause silent.
        ok &= p[first_f:last_f].count("v") <= 10
        ok &= max(len(r) for r in p[first_f:last_f].split("f")) >= 40
    if name == "s1":
        ok &= "v" in p[last_f:]
sys.exit(0 if ok else 1)
PY
echo "PASS"
