#!/bin/sh
# A student demo on a lossy LAN (netlab.sh): the teacher on host 0, the
# demonstrator s1 on host 1 (a 640x360 test pattern), viewers s2-s4 on hosts
# 2-4, each losing 5 % of the UDP arriving at it. The demo is repaired like
# the teacher's broadcast: the viewers ask the demonstrator (NACKs to its
# own sender) and show s1's frames correct and in order, with next to
# nothing left lost after repair and no long freeze.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/netlab.sh"

command -v nft >/dev/null || skip "nft (nftables) not installed"
ip netns add "$LAB_ID-probe" 2>/dev/null || skip "cannot create named network namespaces"
ip netns del "$LAB_ID-probe"

CH=37
TSOCK=$WORK/t.sock
"$TEACHER" keygen "$WORK/class.key" >/dev/null
lab_up 5
lab_exec 1 nft list tables >/dev/null 2>&1 || skip "nft does not work inside a network namespace"
for i in 2 3 4; do lab_loss $i 50; done

lab_bg 0 "$TEACHER" --headless --key "$WORK/class.key" --ctl-socket "$TSOCK" \
	--source testpattern --size 320x180 --fps 5 --channel $CH \
	--duration $((90 * CAST_SLACK)) 2>"$WORK/t.err"
TPID=$LAB_PID
SPIDS=""
for i in 1 2 3 4; do
	size=320x240
	[ $i = 1 ] && size=640x360
	lab_bg $i "$STUDENT" --headless --key "$WORK/class.key" --channel $CH \
		--id s$i --state-dir "$WORK/s$i" --local-socket "$WORK/s$i.sock" \
		--inbox "$WORK/s$i/inbox" --source testpattern --size $size \
		--check-stamp --duration $((90 * CAST_SLACK)) \
		--stats "$WORK/s$i.json" 2>"$WORK/s$i.err"
	SPIDS="$SPIDS $LAB_PID"
done
wait_online 4
"$TEACHER" ctl --socket "$TSOCK" demo from=s1 >"$WORK/reply" 2>&1 ||
	fail "demo from=s1: $(cat "$WORK/reply")"
grep -q '"ok":true' "$WORK/reply" || fail "demo from=s1: $(cat "$WORK/reply")"
for i in 2 3 4; do wait_last s$i "s['showing'] == 'demo:s1'" 200; done
sleep 10
for i in 2 3 4; do
	wait_last s$i "s['demo_shown']['packets_received'] > 1000" 100
done
# shellcheck disable=SC2086
kill -INT $SPIDS $TPID 2>/dev/null || true
# shellcheck disable=SC2086
wait $SPIDS 2>/dev/null || true
for i in 2 3 4; do
	check "$WORK/s$i.json" "s['showing'] == 'demo:s1'" "s$i was not showing the demo at the end"
	check "$WORK/s$i.json" \
		"s['demo_shown']['stamp_ok'] >= 100 and s['demo_shown']['stamp_bad'] == 0 and s['demo_shown']['stamp_disorder'] == 0" \
		"s$i did not show s1's frames correct and in order"
	check "$WORK/s$i.json" \
		"s['demo_shown']['packets_recovered'] > 0 and s['demo_shown']['nacks_sent'] > 0" \
		"s$i's demo was not repaired"
	check "$WORK/s$i.json" \
		"s['demo_shown']['packets_lost'] <= 0.025 * s['demo_shown']['packets_received'] and s['demo_shown']['max_gap_ms'] <= 1500 * $CAST_SLACK" \
		"s$i lost too much of the demo or froze"
	tail -n 1 "$WORK/s$i.json" | field "'s%d: %d frames read back in order, %d packets, %d recovered, %d left lost, longest freeze %.0f ms' % ($i, s['demo_shown']['stamp_ok'], s['demo_shown']['packets_received'], s['demo_shown']['packets_recovered'], s['demo_shown']['packets_lost'], s['demo_shown']['max_gap_ms'])"
done
echo "PASS"
