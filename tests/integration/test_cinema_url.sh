#!/bin/sh
# Network cinema from URLs: `--source file:http://…` (python3's http.server
# in this test's namespace serving an H.264+AAC Matroska film) and a live
# MPEG-TS stream that ffmpeg -re sends to udp://127.0.0.1 (H.264 + MP2,
# received once and shared by the picture and the sound). Each plays to a
# student with picture and sound (pictures decoded, its tone's pitch in
# what it played); `ctl cinema status` says live for the UDP stream (no
# duration) and not for the HTTP film; `ctl cinema seek` answers a clear
# error for both (the live stream; a server without byte ranges).
. "$(dirname "$0")/lib.sh"

command -v ffmpeg >/dev/null || skip "ffmpeg not installed"
S=$CAST_SLACK
mkdir -p "$WORK/www"
ffmpeg -loglevel error -y -f lavfi -i testsrc=s=320x240:r=15:d=8 \
	-f lavfi -i "sine=frequency=660:sample_rate=48000:duration=8" \
	-c:v libx264 -preset ultrafast -bf 0 -g 15 -c:a aac -b:a 96k \
	-shortest "$WORK/www/film.mkv" || fail "ffmpeg could not make the film"
HTTP_PORT=18080 UDP_PORT=19000
(cd "$WORK/www" && exec python3 -m http.server $HTTP_PORT --bind 127.0.0.1) \
	>"$WORK/http.log" 2>&1 &
PIDS="$PIDS $!"
# The live stream: 30 s at its own pace, from before the teacher starts.
ffmpeg -loglevel error -re -f lavfi -i testsrc=s=320x240:r=15:d=30 \
	-f lavfi -i "sine=frequency=990:sample_rate=48000:duration=30" \
	-c:v libx264 -preset ultrafast -tune zerolatency -bf 0 -g 15 \
	-c:a mp2 -b:a 128k -f mpegts \
	"udp://127.0.0.1:$UDP_PORT?pkt_size=1316" 2>"$WORK/live.log" &
PIDS="$PIDS $!"
i=0
until python3 -c "import urllib.request as u; u.urlopen('http://127.0.0.1:$HTTP_PORT/film.mkv')" 2>/dev/null; do
	i=$((i + 1))
	[ $i -le 50 ] || fail "the HTTP server did not start: $(cat "$WORK/http.log")"
	sleep 0.1
done

"$TEACHER" keygen "$WORK/class.key" >/dev/null
K="--key $WORK/class.key"
SP=""
for n in http udp; do
	CH=$([ $n = http ] && echo 75 || echo 76)
	bg "$STUDENT" --headless $K --id "s$n" --channel $CH \
		--duration $((16 * S)) --state-dir "$WORK/st$n" \
		--local-socket "$WORK/s$n.sock" \
		--audio-out "file:$WORK/$n.wav" --stats "$WORK/s$n.json" \
		2>"$WORK/s$n.log"
	SP="$SP $!"
done
sleep 1
bg "$TEACHER" --headless $K --source "file:http://127.0.0.1:$HTTP_PORT/film.mkv" \
	--size 320x240 --channel 75 --duration $((14 * S)) \
	--ctl-socket "$WORK/thttp.sock" --stats "$WORK/thttp.json" \
	2>"$WORK/thttp.log"
T1=$!
bg "$TEACHER" --headless $K --source "file:udp://127.0.0.1:$UDP_PORT" \
	--size 320x240 --channel 76 --duration $((12 * S)) \
	--ctl-socket "$WORK/tudp.sock" --stats "$WORK/tudp.json" \
	2>"$WORK/tudp.log"
T2=$!

# cinema N ARGS…: the answer of teacher N in $WORK/reply.
cinema() {
	n=$1
	shift
	"$TEACHER" ctl --socket "$WORK/t$n.sock" cinema "$@" >"$WORK/reply" 2>&1 || true
}
expect() {
	python3 -c "import json,sys; r=json.load(open(sys.argv[1])); sys.exit(0 if eval(sys.argv[2]) else 1)" \
		"$WORK/reply" "$1" || fail "$2: $(cat "$WORK/reply")"
}
# up N: until teacher N answers `ctl cinema status`.
up() {
	i=0
	until cinema "$1" status && python3 -c "import json,sys; sys.exit(0 if json.load(open(sys.argv[1])).get('ok') else 1)" "$WORK/reply" 2>/dev/null; do
		i=$((i + 1))
		[ $i -le $((100 * S)) ] || fail "$1: ctl cinema status: $(cat "$WORK/reply")"
		sleep 0.1
	done
}
# The HTTP film first: it lasts 8 s, and a slow machine must still ask
# while it plays.
up http
cinema http status
expect "not r['live'] and not r['seekable'] and 7 <= r['duration_s'] <= 9" \
	"the HTTP film is not a film of 8 s that cannot seek"
# python3's http.server answers no byte ranges: that film cannot seek, and
# says so; it plays on.
cinema http seek 1
expect "not r['ok'] and 'cannot seek' in r['error']" "seek on the HTTP film"
up udp
cinema udp status
expect "r['live'] and r['duration_s'] == 0" "the UDP stream is not reported live"
cinema udp seek 3
expect "not r['ok'] and 'live' in r['error']" "seek on a live stream"
# Long enough to hear both tones (the HTTP film ends by itself at 8 s),
# then the live one and the students are stopped.
sleep $((6 * S))
kill -INT $T2 2>/dev/null || true
wait $T1 || fail "the HTTP teacher failed: $(tail -n 5 "$WORK/thttp.log")"
wait $T2 || fail "the UDP teacher failed: $(tail -n 5 "$WORK/tudp.log")"
sleep 1
# shellcheck disable=SC2086
kill -INT $SP 2>/dev/null || true
for p in $SP; do wait "$p" || true; done

grep -q "passed through" "$WORK/thttp.log" ||
	fail "the HTTP film was not passed through: $(cat "$WORK/thttp.log")"
for n in http udp; do
	check "$WORK/t$n.json" "s['audio_frames_sent'] >= 200 and s['audio_source_errors'] == 0" \
		"$n: the teacher did not send the sound"
	check "$WORK/s$n.json" "s['frames_decoded'] >= 60" \
		"$n: the student decoded too few pictures"
	check "$WORK/s$n.json" "s['audio_frames_played'] >= 200" \
		"$n: the student played too little sound"
done

# Each student played its source's tone (660 Hz from HTTP, 990 Hz live).
python3 - "$WORK" <<'PY' || fail "a student did not play its source's sound"
import math, struct, sys, wave
work = sys.argv[1]

def power(x, f):
    k = 2 * math.cos(2 * math.pi * f / 48000)
    s1 = s2 = 0.0
    for v in x:
        s1, s2 = v + k * s1 - s2, s1
    return s1 * s1 + s2 * s2 - k * s1 * s2

ok = True
for name, f0 in (("http", 660), ("udp", 990)):
    w = wave.open("%s/%s.wav" % (work, name))
    n = w.getnframes()
    pcm = struct.unpack("<%dh" % n, w.readframes(n))
    frames = [pcm[i:i + 960] for i in range(0, n - 959, 960)]
    loud = [f for f in frames
            if math.sqrt(sum(v * v for v in f) / 960) > 1000]
    step = max(1, len(loud) // 100)
    p = {f: sum(power(x, f) for x in loud[::step]) for f in (660, 990)}
    share = p[f0] / sum(p.values()) if loud else 0
    print("%s: %.1f s of sound, %d Hz carries %.0f%%"
          % (name, len(loud) * 0.02, f0, 100 * share))
    ok = ok and len(loud) * 0.02 >= 4 and share > 0.9
sys.exit(0 if ok else 1)
PY
echo "PASS"
