#!/bin/sh
# Repair is for what is still live, and no student can make the class pay
# for more. Three students on a private bridged LAN (netlab.sh) watch a
# 1080p test pattern (2 Mbit/s, ~230 packets/s). Student s1's cable is
# pulled for 5 s and put back: it asks for nothing from back then (the gap
# is older than anyone waits), skips to the live picture with a refresh,
# and shows it again within 2.5 s, never a frame seconds old. Then a
# student-side attacker (cast_forge, holding the media key) floods the
# teacher with feedback: first asking for packets 4000 back (refused, a
# refresh instead, coalesced), then for the newest 128 packets 50 times a
# second (held to its budget: 20 % of the stream's packets a second plus
# two 128-packet blocks). All links are clean otherwise, so every repair
# the teacher sends is theirs: fewer than the bound, where unbounded the
# flood alone would cost thousands. The other students keep over 90 % of
# the frames throughout.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/netlab.sh"

command -v nft >/dev/null || skip "nft (nftables) not installed"
ip netns add "$LAB_ID-probe" 2>/dev/null || skip "cannot create named network namespaces"
ip netns del "$LAB_ID-probe"
FORGE=$BUILD/tests/cast_forge
[ -x "$FORGE" ] || fail "cast_forge not built"

CH=9
"$TEACHER" keygen "$WORK/class.key" >/dev/null
K="--key $WORK/class.key"
lab_up 5
slack=${CAST_TIMING_SLACK:-1}

lab_bg 0 "$TEACHER" --headless $K --source testpattern --size 1920x1080 --fps 30 \
	--bitrate 2000 --channel $CH --duration $((60 * slack)) --stats "$WORK/t.json" 2>"$WORK/t.err"
tpid=$LAB_PID
spids=""
for i in 1 2 3; do
	lab_bg $i "$STUDENT" --headless $K --check-stamp --channel $CH --id "s$i" \
		--state-dir "$WORK/st$i" --local-socket "$WORK/st$i.sock" --duration $((58 * slack)) \
		--stats "$WORK/s$i.json" 2>"$WORK/s$i.err"
	spids="$spids $LAB_PID"
done
# The attackers join now (a handshake may take seconds on a loaded
# machine) and start when told.
lab_bg 4 "$FORGE" --key "$WORK/class.key" --channel $CH --nack old --duration 2 \
	--wait-file "$WORK/go-old" >"$WORK/old.json" 2>"$WORK/old.err"
opid=$LAB_PID
lab_bg 4 "$FORGE" --key "$WORK/class.key" --channel $CH --nack live --duration 3 \
	--wait-file "$WORK/go-live" >"$WORK/live.json" 2>"$WORK/live.err"
lpid=$LAB_PID
# Cut only once every student shows the broadcast (the lab and three
# handshakes take a while on a loaded machine).
ready=0
for _ in $(seq 40); do
	if python3 - "$WORK" <<'PY' 2>/dev/null; then
import json, sys
for i in (1, 2, 3):
    lines = open("%s/s%d.json" % (sys.argv[1], i)).read().splitlines()
    if not lines or json.loads(lines[-1])["frames_decoded"] < 30:
        sys.exit(1)
PY
		ready=1
		break
	fi
	sleep 0.5
done
[ $ready = 1 ] || fail "the students did not show the broadcast within 20 s"
sleep 1
lab_link_down 1
sleep 5
lab_link_up 1
sleep 3
touch "$WORK/go-old"
wait $opid || { cat "$WORK/old.err"; fail "the old-repair attacker did not run"; }
touch "$WORK/go-live"
wait $lpid || { cat "$WORK/live.err"; fail "the repair flooder did not run"; }
# A little more broadcast after the flood, then the students and the
# teacher stop on SIGINT with their final stats (--duration is a backstop).
sleep 2
# shellcheck disable=SC2086
kill -INT $spids 2>/dev/null || true
# shellcheck disable=SC2086
wait $spids || true
kill -INT $tpid 2>/dev/null || true
wait $tpid || true

check "$WORK/old.json" "s['feedback_sent'] >= 50" "the old-repair attacker sent nothing"
check "$WORK/live.json" "s['feedback_sent'] >= 75" "the repair flooder sent nothing"
grep -q "skipping to the live picture" "$WORK/s1.err" || {
	tail -n 20 "$WORK/s1.err"
	fail "s1 did not skip to the live picture when its link came back"
}
check "$WORK/s1.json" "s['stale_skips'] >= 1" "s1 counted no skip"
# Back within 2.5 s of the 5 s cut, and never a picture seconds old.
check "$WORK/s1.json" "s['max_gap_ms'] <= 5000 + 2500 * $slack" \
	"s1 took too long to show the live picture again"
check "$WORK/s1.json" "s['latency_ms']['p99'] <= 1000 * $slack" \
	"s1 showed old frames (replayed the past)"
check "$WORK/s1.json" "s['stamp']['bad'] == 0 and s['stamp']['disorder'] == 0" \
	"s1 showed a broken picture"
for i in 2 3; do
	check "$WORK/s$i.json" "s['stamp']['ok'] >= 200 and s['stamp']['ok'] >= 0.9 * (s['stamp']['ok'] + s['stamp']['skipped'])" \
		"s$i lost the broadcast"
done
check "$WORK/t.json" "s['repairs_refused_stale'] >= 1000 and s['refreshes_for_stale'] >= 50" \
	"the teacher repaired (or did not count) requests for long-gone packets"
check "$WORK/t.json" "s['keyframes_forced'] <= 20" \
	"refresh requests were not coalesced"
check "$WORK/t.json" "s['repairs_refused_rate'] >= 1000" \
	"the flooder's requests were not held to its budget"
# The bound: s1's episode and the flooder's 3 s, each one burst (256) plus
# 20 % of ~230 packets/s over its time, with room for the refresh.
check "$WORK/t.json" "s['packets_retransmitted'] <= 256 + 256 + 0.2 * 240 * 8" \
	"repair traffic went over the per-student bound"
python3 -c "import json,sys; t=json.loads(sys.argv[1]); s=json.loads(sys.argv[2]); print('repairs sent %d (refused: %d stale, %d over budget; %d refreshes for stale asks, %d keyframes forced); s1 gap %.0f ms, latency p99 %.0f ms' % (t['packets_retransmitted'], t['repairs_refused_stale'], t['repairs_refused_rate'], t['refreshes_for_stale'], t['keyframes_forced'], s['max_gap_ms'], s['latency_ms']['p99']))" "$(final_stats "$WORK/t.json")" "$(final_stats "$WORK/s1.json")"
echo "PASS"
