#!/bin/sh
# Network cinema from URLs: `--source file:http://…` (python3's http.server
# in this test's namespace serving an H.264+AAC Matroska film) and a live
# MPEG-TS stream that ffmpeg -re sends to udp://127.0.0.1 (H.264 + MP2,
# received once and shared by the picture and the sound). Each plays to a
# student with picture and sound (pictures decoded, its tone's pitch in
# what it played); `ctl cinema status` says live for the UDP stream (no
# duration) and not for the HTTP film; `ctl cinema seek` answers a clear
# error for both (the live stream; a server without byte ranges).
# An RTP stream described by an SDP file (ffmpeg -re: the film's H.264 as
# it is, its sound as Opus) plays the same way (`--source file:film.sdp`):
# received once, demuxed once, its picture passed through. An RTSP film
# (GStreamer's RTSP server, rtsp_serve.py: H.264 + Opus, its pitch telling
# the film's second) plays to one student with `ctl cinema play rtsp://…
# --to ID` while the teacher broadcasts its test pattern: one RTSP session,
# pictures and the sound; the server gives the film's length, so the status
# has it and `seek 40.5` moves the film: the status and the pitch of what the
# student plays after it say 39-41 s. A live RTSP source (no length) is
# live in the status and cannot seek. Then the server is killed mid-film:
# the film ends by itself, the student returns to the broadcast, the
# teacher keeps running.
# The RTP sender killed too: the want of packets ends that film, and its
# teacher's broadcast ends cleanly as at a file's end.
. "$(dirname "$0")/lib.sh"

command -v ffmpeg >/dev/null || skip "ffmpeg not installed"
S=$CAST_SLACK
mkdir -p "$WORK/www"
ffmpeg -loglevel error -y -f lavfi -i testsrc=s=320x240:r=15:d=8 \
	-f lavfi -i "sine=frequency=660:sample_rate=48000:duration=8" \
	-c:v libx264 -preset ultrafast -bf 0 -g 15 -c:a aac -b:a 96k \
	-shortest "$WORK/www/film.mkv" || fail "ffmpeg could not make the film"
HTTP_PORT=18080 UDP_PORT=19000 RTP_PORT=19100 RTSP_PORT=18554
# The RTP and RTSP films: 60 s, so they are still going when killed.
ffmpeg -loglevel error -y -f lavfi -i testsrc=s=320x240:r=15:d=60 \
	-f lavfi -i "sine=frequency=770:sample_rate=48000:duration=60" \
	-pix_fmt yuv420p -c:v libx264 -preset ultrafast -bf 0 -g 15 \
	-c:a aac -b:a 96k -shortest "$WORK/rtp.mkv" ||
	fail "ffmpeg could not make the RTP film"
# The RTSP film's pitch tells its second: 300 Hz + 50 Hz a second.
ffmpeg -loglevel error -y -f lavfi -i testsrc=s=320x240:r=15:d=60 \
	-f lavfi -i "aevalsrc='0.5*sin(2*PI*(300+50*floor(t))*t)':s=48000:d=60" \
	-pix_fmt yuv420p -c:v libx264 -preset ultrafast -bf 0 -g 15 \
	-c:a libopus -b:a 64k -shortest "$WORK/rtsp.mkv" ||
	fail "ffmpeg could not make the RTSP film"
# GStreamer's RTSP server runs under Debian's python3 (python3-gi).
RTSP=1
GIPY=/usr/bin/python3
[ -x $GIPY ] || GIPY=python3
$GIPY "$SRC/tests/integration/rtsp_serve.py" "$WORK/rtsp.mkv" $RTSP_PORT \
	>"$WORK/rtsp.log" 2>&1 &
RTSP_PID=$!
PIDS="$PIDS $RTSP_PID"
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
# The RTP stream: the film's H.264 as it is and its sound in Opus, and the
# SDP that describes them.
ffmpeg -loglevel error -re -i "$WORK/rtp.mkv" -map 0:v -c:v copy \
	-f rtp "rtp://127.0.0.1:$RTP_PORT" -map 0:a -c:a libopus -b:a 64k \
	-f rtp "rtp://127.0.0.1:$((RTP_PORT + 2))" -sdp_file "$WORK/film.sdp" \
	2>"$WORK/rtp.log" &
RTP_PID=$!
PIDS="$PIDS $RTP_PID"
i=0
until [ -s "$WORK/film.sdp" ] && grep -q "m=audio" "$WORK/film.sdp"; do
	i=$((i + 1))
	[ $i -le 50 ] || fail "ffmpeg wrote no SDP: $(cat "$WORK/rtp.log")"
	sleep 0.1
done
i=0
until grep -q serving "$WORK/rtsp.log"; do
	if ! kill -0 $RTSP_PID 2>/dev/null; then
		wait $RTSP_PID && rc=0 || rc=$?
		[ "$rc" = 77 ] || fail "the RTSP server failed: $(cat "$WORK/rtsp.log")"
		echo "RTSP part skipped: $(cat "$WORK/rtsp.log")"
		RTSP=0
		break
	fi
	i=$((i + 1))
	[ $i -le $((50 * S)) ] || fail "the RTSP server did not start: $(cat "$WORK/rtsp.log")"
	sleep 0.1
done
i=0
until python3 -c "import urllib.request as u; u.urlopen('http://127.0.0.1:$HTTP_PORT/film.mkv')" 2>/dev/null; do
	i=$((i + 1))
	[ $i -le 50 ] || fail "the HTTP server did not start: $(cat "$WORK/http.log")"
	sleep 0.1
done

"$TEACHER" keygen "$WORK/class.key" >/dev/null
K="--key $WORK/class.key"
SP=""
for n in http udp sdp rtsp; do
	case $n in http) CH=75 ;; udp) CH=76 ;; sdp) CH=77 ;; rtsp) CH=78 ;; esac
	D=$([ $n = rtsp ] && echo 55 || echo 16)
	bg "$STUDENT" --headless $K --id "s$n" --channel $CH \
		--duration $((D * S)) --state-dir "$WORK/st$n" \
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
bg "$TEACHER" --headless $K --source "file:$WORK/film.sdp" \
	--size 320x240 --channel 77 --duration $((40 * S)) \
	--ctl-socket "$WORK/tsdp.sock" --stats "$WORK/tsdp.json" \
	2>"$WORK/tsdp.log"
T3=$!
bg "$TEACHER" --headless $K --source testpattern --size 320x240 --fps 10 \
	--channel 78 --duration $((50 * S)) \
	--ctl-socket "$WORK/trtsp.sock" --stats "$WORK/trtsp.json" \
	2>"$WORK/trtsp.log"
T4=$!

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
		[ $i -le $((200 * S)) ] || fail "$1: ctl cinema status: $(cat "$WORK/reply")"
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
up sdp
cinema sdp status
expect "r['live'] and r['duration_s'] == 0 and r['passthrough']" \
	"the RTP stream is not reported live and passed through"
cinema sdp seek 3
expect "not r['ok'] and 'live' in r['error']" "seek on the RTP stream"
if [ $RTSP = 1 ]; then
	TSOCK=$WORK/trtsp.sock
	wait_online 1
	cinema rtsp play "rtsp://127.0.0.1:$RTSP_PORT/film" --to srtsp
	expect "r['ok'] and r['playing'] and r['sound'] and r['passthrough']" \
		"cinema play rtsp://"
	wait_last srtsp "s['showing'].startswith('film:') and s['demo_shown']['frames_decoded'] > 15 and s['demo_shown']['sound']" 150
	cinema rtsp status
	expect "not r['live'] and r['seekable'] and 59 <= r['duration_s'] <= 61 and r['viewers'] == 'srtsp'" \
		"the RTSP film is not a film of 60 s that can seek"
	# The server plays from the keyframe before 40.5 s (one a second),
	# where the picture settles the film's clock and the sound follows.
	W0=$(date +%s.%N)
	cinema rtsp seek 40.5
	expect "r['ok']" "seek on the RTSP film"
	sleep 3
	cinema rtsp status
	W1=$(date +%s.%N)
	expect "39 <= r['position_s'] <= 41 + ($W1 - $W0)" \
		"the RTSP film is not near 40 s after the seek"
	cinema rtsp stop
	expect "r['ok']" "cinema stop"
	# A live source on the server: no length, no seek.
	cinema rtsp play "rtsp://127.0.0.1:$RTSP_PORT/live" --to srtsp
	expect "r['ok'] and r['playing']" "cinema play rtsp://…/live"
	cinema rtsp status
	expect "r['live'] and r['duration_s'] == 0 and r['viewers'] == 'srtsp'" \
		"the live RTSP source is not reported live"
	cinema rtsp seek 3
	expect "not r['ok'] and 'live' in r['error']" "seek on the live RTSP source"
	# The film again, for its server's death below.
	cinema rtsp stop
	cinema rtsp play "rtsp://127.0.0.1:$RTSP_PORT/film" --to srtsp
	expect "r['ok'] and r['playing']" "cinema play rtsp:// again"
fi
# Long enough to hear the tones (the HTTP film ends by itself at 8 s),
# then the live ones and their students are stopped.
sleep $((6 * S))
kill -INT $T2 2>/dev/null || true
# The RTP sender stops (killed) and the RTSP server dies, mid-film.
kill -KILL $RTP_PID 2>/dev/null || true
[ $RTSP = 0 ] || kill -KILL $RTSP_PID 2>/dev/null || true
t0=$(date +%s)
wait $T1 || fail "the HTTP teacher failed: $(tail -n 5 "$WORK/thttp.log")"
wait $T2 || fail "the UDP teacher failed: $(tail -n 5 "$WORK/tudp.log")"
if [ $RTSP = 1 ]; then
	# The server's end closes the session: the film ends, the student
	# returns to the broadcast.
	wait_last srtsp "s['showing'] == 'teacher'" 200
	echo "RTSP server killed: the student back to the broadcast after $(($(date +%s) - t0)) s"
	kill -0 $T4 || fail "the teacher ended with the RTSP server"
	cinema rtsp status
	expect "not r['ok'] and 'no film' in r['error']" \
		"the film did not end with its server"
	kill -INT $T4
	wait $T4 || fail "the RTSP teacher failed: $(tail -n 5 "$WORK/trtsp.log")"
	[ "$(grep -c "received once" "$WORK/trtsp.log")" = 3 ] ||
		fail "each RTSP source was not received once: $(grep media "$WORK/trtsp.log")"
else
	kill -INT $T4
	wait $T4 || true
fi
# Nothing more comes from the RTP stream: its film ends (5-10 s),
# and so has the broadcast of that film (as at a file's end), cleanly.
wait $T3 || fail "the SDP teacher failed: $(tail -n 5 "$WORK/tsdp.log")"
echo "RTP sender killed: its film and broadcast ended after $(($(date +%s) - t0)) s"
grep -q "ended: nothing received for 5 s" "$WORK/tsdp.log" ||
	fail "the RTP film did not end for want of packets: $(tail -n 5 "$WORK/tsdp.log")"
sleep 1
# shellcheck disable=SC2086
kill -INT $SP 2>/dev/null || true
for p in $SP; do wait "$p" || true; done

for n in http sdp; do
	grep -q "passed through" "$WORK/t$n.log" ||
		fail "the $n film was not passed through: $(cat "$WORK/t$n.log")"
done
grep -q "received once" "$WORK/tsdp.log" ||
	fail "the RTP stream was not received once: $(cat "$WORK/tsdp.log")"
for n in http udp sdp; do
	check "$WORK/t$n.json" "s['audio_frames_sent'] >= 200 and s['audio_source_errors'] == 0" \
		"$n: the teacher did not send the sound"
	check "$WORK/s$n.json" "s['frames_decoded'] >= 60" \
		"$n: the student decoded too few pictures"
	check "$WORK/s$n.json" "s['audio_frames_played'] >= 200" \
		"$n: the student played too little sound"
done

# Each student played its source's tone (660 Hz from HTTP, 990 Hz from
# UDP, 770 Hz from RTP).
python3 - "$WORK" <<'PY' || fail "a student did not play its source's sound"
import sys
from tone import frames, loud, share
work = sys.argv[1]

ok = True
tones = (("http", 660), ("udp", 990), ("sdp", 770))
for name, f0 in tones:
    snd = loud(frames("%s/%s.wav" % (work, name)))
    sh = share(snd, f0, [f for _, f in tones])
    print("%s: %.1f s of sound, %d Hz carries %.0f%%"
          % (name, len(snd) * 0.02, f0, 100 * sh))
    ok = ok and len(snd) * 0.02 >= 4 and sh > 0.9
sys.exit(0 if ok else 1)
PY
# The RTSP film's student played its first seconds, then from the seek on
# the film's 39th to 41st second and later ones, never the seconds between
# (until the film plays again from its start).
[ $RTSP = 0 ] || python3 - "$WORK/rtsp.wav" <<'PY' || fail "the RTSP student did not play the film's part after the seek"
import sys
from tone import frames, loud
snd = loud(frames(sys.argv[1]))
# The film's second in each 200 ms of sound (10 frames): a pure tone's
# pitch from its zero crossings (a Goertzel filter per candidate would
# cost the machine seconds).
secs = []
for i in range(0, len(snd) - 9, 10):
    block = [v for f in snd[i:i + 10] for v in f]
    zc = sum(1 for a, b in zip(block, block[1:]) if (a < 0) != (b < 0))
    secs.append(round((zc / (2 * 0.2) - 300) / 50))
jump = next((i for i in range(1, len(secs)) if secs[i] - secs[i - 1] > 5), None)
print("RTSP film: seconds played %s" % secs)
after = []
# From the block after the one the seek falls in (it may hold the sound
# of both sides of it), until the film plays again from its start (the
# block before that may hold both, too).
for k in (secs[jump + 1:] if jump is not None else []):
    if after and k < after[-1] - 1:
        break
    after.append(k)
ok = (jump is not None and secs[jump - 1] < 20 and len(after) >= 7
      and 39 <= after[0] <= 41 and min(after) >= 39)
print("RTSP film: from second %s to %s at the seek, %.1f s of it since"
      % (secs[jump - 1] if jump else None, after[0] if after else None,
         len(after) * 0.2))
sys.exit(0 if ok else 1)
PY
echo "PASS"
