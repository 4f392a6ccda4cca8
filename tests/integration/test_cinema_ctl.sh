#!/bin/sh
# Network cinema, `ctl cinema pause|resume|seek|status`, on two 60 s films
# at once whose sound's pitch tells their time (300 Hz + 50 Hz a second):
# H.264+AAC in Matroska (passed through) and VP9+Opus in WebM (decoded and
# encoded again). Paused, the clock holds (status) and the student plays no
# sound: the passed-through film sends no new pictures, the encoded one
# keeps sending its last; a student joining the passed-through film during
# the pause shows the paused picture within 2 s; resumed, it goes on from
# there; the broadcast stopped (`ctl broadcast off`) sends nothing of the
# passed-through film, started again its pictures come back; moved back to
# 2 s, the status says so and the student's sound at the end has the pitch
# of the film's second it reached since, not of the later one it would
# have reached without the seek.
# Bad arguments get clear errors.
. "$(dirname "$0")/lib.sh"

command -v ffmpeg >/dev/null || skip "ffmpeg not installed"
# 60 s: a loaded machine under the sanitizers took 40 s and more for the
# steps before the seek, and the film's end would end the teacher.
T="aevalsrc='0.5*sin(2*PI*(300+50*floor(t))*t)':s=48000:d=60"
ffmpeg -loglevel error -y -f lavfi -i testsrc=s=320x240:r=15:d=60 \
	-f lavfi -i "$T" -c:v libx264 -preset ultrafast -bf 0 -g 15 \
	-c:a aac -b:a 96k -shortest "$WORK/film.mkv" ||
	fail "ffmpeg could not make the Matroska film"
ffmpeg -loglevel error -y -f lavfi -i testsrc=s=320x240:r=15:d=60 \
	-f lavfi -i "$T" -c:v libvpx-vp9 -deadline realtime -cpu-used 8 \
	-g 15 -c:a libopus -shortest "$WORK/film.webm" ||
	fail "ffmpeg could not make the WebM film"
"$TEACHER" keygen "$WORK/class.key" >/dev/null
K="--key $WORK/class.key"

# play FILM CHANNEL: the whole check for one film ($F: its name).
play() {
F=$1
CH=$2
TSOCK=$WORK/t$F.sock
bg "$STUDENT" --headless $K --id s$F --channel $CH --duration $((40 * CAST_SLACK)) \
	--state-dir "$WORK/st$F" --local-socket "$WORK/s$F.sock" \
	--audio-out "file:$WORK/s$F.wav" --stats "$WORK/s$F.json" 2>"$WORK/s$F.log"
SPID=$!
sleep 1
bg "$TEACHER" --headless $K --source "file:$WORK/film.$F" --channel $CH \
	--duration $((36 * CAST_SLACK)) --ctl-socket "$TSOCK" --stats "$WORK/t$F.json" \
	2>"$WORK/t$F.log"
TPID=$!

# cinema ARGS...: the teacher's JSON answer in $WORK/reply$F.
cinema() {
	"$TEACHER" ctl --socket "$TSOCK" cinema "$@" >"$WORK/reply$F" 2>&1 || true
}
# expect PYTHON-EXPR MESSAGE: on the last answer, bound to `r`.
expect() {
	python3 -c "import json,sys; r=json.load(open(sys.argv[1])); sys.exit(0 if eval(sys.argv[2]) else 1)" \
		"$WORK/reply$F" "$1" || fail "$2: $(cat "$WORK/reply$F")"
}
# decoded: the student's pictures decoded so far (its last stats line).
decoded() {
	tail -n 1 "$WORK/s$F.json" | python3 -c \
		"import json,sys; print(json.load(sys.stdin)['frames_decoded'])"
}

for i in $(seq 50); do
	cinema status
	python3 -c "import json,sys; sys.exit(0 if json.load(open(sys.argv[1])).get('ok') else 1)" \
		"$WORK/reply$F" 2>/dev/null && break
	sleep 0.2
done
expect "r['ok'] and r['passthrough'] == ('$F' == 'mkv') and 59 <= r['duration_s'] <= 61 and r['file'].endswith('film.$F')" \
	"status of a film passed through"
# The film runs on the wall clock: between two answers its position moves
# at most as far as the time from before the first question to after the
# second (a busy machine answers late, never early).
W0=$(date +%s.%N)
cinema status
P0=$(python3 -c "import json,sys; print(json.load(open(sys.argv[1]))['position_s'])" "$WORK/reply$F")
sleep 3
cinema status
W1=$(date +%s.%N)
expect "not r['paused'] and 2 <= r['position_s'] - $P0 <= ($W1 - $W0) + 0.5" "the film does not run"

cinema pause
expect "r['ok'] and r['paused']" "pause"
P=$(python3 -c "import json,sys; print(json.load(open(sys.argv[1]))['position_s'])" "$WORK/reply$F")
cinema pause
expect "not r['ok'] and 'already paused' in r['error']" "a second pause"
sleep 1.5
D0=$(decoded)
# Encoded, the still goes out 10 times a second until a whole refresh
# has (3 s), then once a second: 3 s hold two at least, however late
# this shell got here.
if [ $F = mkv ]; then sleep 2; else sleep 3; fi
D1=$(decoded)
cinema status
expect "r['paused'] and abs(r['position_s'] - $P) < 0.05" "the paused film moved"
# Passed through, nothing new is sent while paused (a picture already on
# its way may come); encoded, the still picture keeps going out.
if [ $F = mkv ]; then
	[ $((D1 - D0)) -le 3 ] ||
		fail "$F: the student decoded $((D1 - D0)) pictures while paused"
else
	[ $((D1 - D0)) -ge 2 ] ||
		fail "$F: the paused picture did not keep going out"
fi
# A student that joins during the pause gets the paused picture: passed
# through, its keyframe request has the access units from the last
# keyframe to the paused one sent again.
if [ $F = mkv ]; then
	bg "$STUDENT" --headless $K --id late$F --channel $CH \
		--duration $((30 * CAST_SLACK)) --state-dir "$WORK/stl$F" \
		--local-socket "$WORK/l$F.sock" --stats "$WORK/l$F.json" \
		2>"$WORK/l$F.log"
	LPID=$!
	i=0
	until grep -q '"first_picture_ms":[0-9]' "$WORK/l$F.json" 2>/dev/null; do
		i=$((i + 1))
		[ $i -le $((40 * CAST_SLACK)) ] ||
			fail "$F: a student joining during the pause got no picture: $(tail -n 1 "$WORK/l$F.json" 2>/dev/null | head -c 600)"
		sleep 0.1
	done
	FP=$(grep -o '"first_picture_ms":[0-9][0-9.]*' "$WORK/l$F.json" | head -n 1 | cut -d: -f2)
	echo "$F: a student joining during the pause showed a picture after $FP ms"
	python3 -c "import sys; sys.exit(0 if float(sys.argv[1]) <= 2000 * $CAST_SLACK else 1)" "$FP" ||
		fail "$F: the late student waited $FP ms for the paused picture"
	cinema status
	expect "r['paused'] and abs(r['position_s'] - $P) < 0.05" "the paused film moved for the late student"
	kill "$LPID" 2>/dev/null || true
fi
cinema resume
expect "r['ok'] and not r['paused'] and abs(r['position_s'] - $P) < 0.5" "resume"
sleep 2
cinema status
expect "1.2 <= r['position_s'] - $P <= 2 + 2 * $CAST_SLACK" "the film did not go on after resume"
[ "$(decoded)" -gt "$D1" ] || fail "no pictures after resume"
# The broadcast stopped during a film passed through: its clock goes on,
# nothing is sent; started again, pictures from its next keyframe.
if [ $F = mkv ]; then
	"$TEACHER" ctl --socket "$TSOCK" broadcast off >/dev/null ||
		fail "broadcast off refused"
	sleep 1.2
	D2=$(decoded)
	sleep 1.5
	D3=$(decoded)
	[ $((D3 - D2)) -le 3 ] ||
		fail "$F: the student decoded $((D3 - D2)) pictures while stopped"
	"$TEACHER" ctl --socket "$TSOCK" broadcast on >/dev/null ||
		fail "broadcast on refused"
	i=0
	until [ "$(decoded)" -gt "$D3" ]; do
		i=$((i + 1))
		[ $i -le $((40 * CAST_SLACK)) ] ||
			fail "$F: no pictures after the broadcast started again"
		sleep 0.1
	done
	tail -n 1 "$WORK/s$F.json" | python3 -c "import json,sys; s=json.load(sys.stdin); sys.exit(0 if s['frames_damaged'] == 0 else 1)" ||
		fail "$F: damaged pictures after the broadcast started again"
	echo "$F: stopped and started during the film, pictures again"
fi

cinema seek 2
T_SEEK=$(date +%s.%N)
expect "r['ok'] and 1 <= r['position_s'] <= 2.2" "seek 2"
sleep 0.5
cinema status
# Passed through, it lands on the keyframe before 2 s (one a second).
expect "1 <= r['position_s'] <= 2.5 + 2 * $CAST_SLACK" "the film is not near 2 s after the seek"
cinema seek abc
expect "not r['ok'] and 'number of seconds' in r['error']" "seek abc"
cinema seek 999
expect "not r['ok'] and 'end' in r['error']" "seek past the end"
cinema rewind
expect "not r['ok'] and 'usage' in r['error']" "an unknown cinema verb"
echo "$F: paused at $P s; cinema answers checked"
# The film plays on from about 2 s for 3 s more, then the class ends.
sleep 3
T_END=$(date +%s.%N)
kill "$TPID" 2>/dev/null || true
sleep 1
kill "$SPID" 2>/dev/null || true
wait

# The student's sound: a gap of the pause's length between the film's
# sound, and at its end the pitch of the film's second since the seek.
python3 - "$WORK/s$F.wav" "$T_SEEK" "$T_END" <<'PY' || fail "$F: the student's sound did not follow the film's clock"
import sys
from tone import frames as read_frames, power, rms
frames = read_frames(sys.argv[1])
loud = [rms(f) > 1000 for f in frames]
idx = [i for i, l in enumerate(loud) if l]
if not idx:
    print("no sound"); sys.exit(1)
gap = run = 0
for l in loud[idx[0]:idx[-1] + 1]:
    run = 0 if l else run + 1
    gap = max(gap, run)

# The film's pitch in the last second of sound, by 20 ms frames.
tail = [frames[i] for i in idx[-50:]]
cands = list(range(300, 3300, 50))
p = {f: sum(power(fr, f) for fr in tail) for f in cands}
best = max(p, key=p.get)
# Moved to 1-2 s (the keyframe), it played on until the end; without the
# seek it would be the paused time (2 s at least) later still.
second = (best - 300) // 50
at = 1.0 + float(sys.argv[3]) - float(sys.argv[2])
print("longest silence inside the film: %.2f s; pitch at the end %d Hz "
      "(film second %d, %.1f s expected)" % (gap * 0.02, best, second, at))
sys.exit(0 if gap * 0.02 >= 2.5 and at - 2 <= second <= at + 1.5 else 1)
PY
}

PIDS=""
play mkv 65 >"$WORK/mkv.out" 2>&1 &
M=$!
play webm 66 >"$WORK/webm.out" 2>&1 &
W=$!
PIDS="$M $W"
rc=0
wait $M || rc=1
wait $W || rc=1
cat "$WORK/mkv.out" "$WORK/webm.out" | grep -v '^\[' || true
[ $rc = 0 ] || fail "a film did not follow ctl cinema"
echo "PASS"
