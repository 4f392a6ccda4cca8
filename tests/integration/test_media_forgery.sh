#!/bin/sh
# A student that holds the media key cannot put frames on other students'
# screens. cast_forge joins the class as a student (the class key file a
# student PC holds), receives the SRTP media key in WELCOME like any
# student, and sends H.264 frames of its own on the class's group, validly
# SRTP-protected, with auth packets signed by a key of its own. The honest
# students show only the teacher's frames (the test pattern's frame numbers
# read back in order, the picture size never changes), count the forgery
# (auth_packets_bad, frames_unauthenticated, auth_sigs_bad), and keep
# showing the broadcast (at least 90 % of the teacher's frames).
. "$(dirname "$0")/lib.sh"

FORGE=$BUILD/tests/cast_forge
[ -x "$FORGE" ] || fail "cast_forge not built"
CH=31
"$TEACHER" keygen "$WORK/class.key" >/dev/null
K="--key $WORK/class.key"
bg "$TEACHER" --headless $K --ctl-socket "$WORK/t.sock" --source testpattern \
	--size 1280x720 --fps 30 --bitrate 3000 --channel $CH --duration 14 \
	--stats "$WORK/t.json"
for i in 1 2; do
	bg "$STUDENT" --headless $K --id s$i --check-stamp --channel $CH \
		--duration 12 --stats "$WORK/s$i.json"
done
sleep 2
"$FORGE" --key "$WORK/class.key" --channel $CH --duration 7 --fps 15 --sign \
	>"$WORK/forge.json" 2>"$WORK/forge.log" || {
	cat "$WORK/forge.log"
	fail "the forger did not run"
}
wait

check "$WORK/forge.json" "s['key_obtained'] and s['frames_sent'] >= 50 and s['auth_sent'] >= 50" \
	"the forger sent no forged frames (or got no media key)"
check "$WORK/t.json" "s['frames_sent'] >= 300 and s['auth_packets'] >= s['frames_sent']" \
	"the teacher did not sign its frames"
for f in s1 s2; do
	check "$WORK/$f.json" "s['stamp']['bad'] == 0 and s['stamp']['disorder'] == 0" \
		"$f showed a forged picture"
	check "$WORK/$f.json" "s['size_changes'] == 0 and s['width'] == 1280" \
		"$f showed a picture of another size"
	check "$WORK/$f.json" "s['auth_packets_bad'] >= 100 and s['frames_unauthenticated'] >= 30" \
		"$f did not count the forged packets"
	check "$WORK/$f.json" "s['auth_sigs_bad'] >= 30 and s['auth_sigs_ok'] >= 250" \
		"$f did not tell the forged signatures from the teacher's"
	# The broadcast goes on: at least 90 % of the frames sent while the
	# student watched were shown, in order.
	check "$WORK/$f.json" "s['stamp']['ok'] >= 250 and s['stamp']['ok'] >= 0.9 * (s['stamp']['ok'] + s['stamp']['skipped'])" \
		"$f lost the broadcast under forgery"
done
python3 -c "import json,sys; s=json.loads(sys.argv[1]); print('s1: shown %d, forged packets dropped %d (frames %d), bad signatures %d, auth wait p50 %.2f ms p99 %.2f ms' % (s['stamp']['ok'], s['auth_packets_bad'], s['frames_unauthenticated'], s['auth_sigs_bad'], s['auth_wait_ms']['p50'], s['auth_wait_ms']['p99']))" "$(final_stats "$WORK/s1.json")"
echo "PASS"
