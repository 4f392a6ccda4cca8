#!/bin/sh
# Screen broadcast end to end: a 1080p test-pattern teacher and three
# students on loopback multicast; every student decodes frames in order with
# no corrupt picture (frame numbers read back from the decoded image) and
# reports latency. A fourth student starts 5 s late and must show a correct
# picture quickly (intra refresh, SPS/PPS in-band). All of it authenticated
# and encrypted: the students find the teacher by its signed beacon, get the
# media key over TLS, and decode SRTP. The sequence numbers start just short
# of the wrap, so the first students see them wrap and the late one joins
# after it: it must learn SRTP's rollover counter.
. "$(dirname "$0")/lib.sh"

CH=7
"$TEACHER" keygen "$WORK/class.key" >/dev/null
K="--key $WORK/class.key"
bg "$TEACHER" --headless $K --ctl-socket "$WORK/t.sock" --source testpattern --size 1920x1080 \
	--fps 30 --bitrate 4000 --first-seq 65000 --channel $CH --duration 13 \
	--stats "$WORK/t.json"
for i in 1 2 3; do
	bg "$STUDENT" --headless $K --id s$i --check-stamp --channel $CH \
		--duration 11 --stats "$WORK/s$i.json"
done
sleep 5
bg "$STUDENT" --headless $K --id late --check-stamp --channel $CH --duration 5 \
	--stats "$WORK/late.json" 2>"$WORK/late.log"
wait

check "$WORK/t.json" "s['frames_sent'] >= 150" "teacher sent too few frames"
check "$WORK/t.json" "s['control']['joins'] == 4 and s['control']['auth_failures'] == 0" \
	"not every student joined the teacher"
for f in s1 s2 s3 late; do
	check "$WORK/$f.json" "s['frames_decoded'] > 0" "$f decoded nothing"
	check "$WORK/$f.json" "s['stamp']['bad'] == 0" "$f showed a corrupt picture"
	check "$WORK/$f.json" "s['stamp']['disorder'] == 0" "$f showed frames out of order"
	check "$WORK/$f.json" "s['latency_ms']['count'] > 0 and s['latency_ms']['p50'] > 0" \
		"$f measured no latency"
done
for f in s1 s2 s3; do
	# Loopback drops nothing: every frame sent while the student ran
	# reaches its screen, none skipped (however fast this machine is).
	check "$WORK/$f.json" "s['stamp']['ok'] >= 100 and s['stamp']['skipped'] == 0" \
		"$f missed frames"
	check "$WORK/$f.json" "s['packets_lost'] == 0" "$f lost packets on loopback"
done
# The late joiner: a full picture within the refresh period (1 s of frames),
# allowing for a loaded CI machine running four decoders next to the encoder.
check "$WORK/late.json" "0 <= s['first_picture_ms'] <= 2500" \
	"late student waited too long for its first picture"
check "$WORK/late.json" "s['stamp']['ok'] >= 40 and s['stamp']['skipped'] == 0" \
	"late student missed frames after its first picture"
grep -q "joined a running stream: rollover 1" "$WORK/late.log" || {
	cat "$WORK/late.log"
	fail "late student did not learn the rollover counter"
}
for f in s1 late; do
	python3 -c "import json,sys; s=json.loads(sys.argv[1]); print('$f: decoded %d, latency p50 %.1f ms p99 %.1f ms, first picture %.0f ms' % (s['frames_decoded'], s['latency_ms']['p50'], s['latency_ms']['p99'], s['first_picture_ms']))" "$(final_stats "$WORK/$f.json")"
done
echo "PASS"
