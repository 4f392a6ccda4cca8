#!/bin/sh
# Unicast fallback, on a private 3-host LAN (netlab.sh): host 2's network
# drops the class's multicast video (a switch without IGMP, Wi-Fi), while
# discovery and control still work. Within a few seconds that student asks
# for a unicast copy and keeps showing the broadcast, in order; the student
# whose multicast works stays on multicast; the teacher reports one unicast
# target.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/netlab.sh"

ip netns add "$LAB_ID-probe" 2>/dev/null || skip "cannot create named network namespaces"
ip netns del "$LAB_ID-probe"
command -v nft >/dev/null || skip "nft not installed (scripts/install-deps.sh)"

CH=7
VIDEO=$((40000 + 10 * CH))
"$TEACHER" keygen "$WORK/class.key" >/dev/null
K="--key $WORK/class.key"
lab_up 3

# Host 2 never receives the video group's packets (RTP, RTCP and repairs).
lab_exec 2 nft add table inet nomcast
lab_exec 2 nft add chain inet nomcast in '{ type filter hook input priority 0; }'
lab_exec 2 nft add rule inet nomcast in ip daddr 239.255.0.$CH udp dport "{ $VIDEO, $((VIDEO + 1)) }" drop

# shellcheck disable=SC2086
lab_bg 0 "$TEACHER" --headless $K --ctl-socket "$WORK/t.sock" --source testpattern \
	--size 320x180 --bitrate 300 --channel $CH --duration 16 --stats "$WORK/t.json"
TPID=$LAB_PID
for i in 1 2; do
	# shellcheck disable=SC2086
	lab_bg $i "$STUDENT" --headless $K --check-stamp --channel $CH --id "s$i" \
		--state-dir "$WORK/st$i" --local-socket "$WORK/st$i.sock" \
		--duration 14 --stats "$WORK/s$i.json"
	eval "P$i=\$LAB_PID"
done
wait "$P1" "$P2" "$TPID" 2>/dev/null || true

check "$WORK/s1.json" "s['unicast_packets'] == 0 and s['multicast_packets'] > 200" \
	"the student with working multicast used unicast"
check "$WORK/s2.json" "s['multicast_packets'] == 0" "host 2 received multicast video: the drop rule did not work"
check "$WORK/s2.json" "s['unicast_wanted'] and s['unicast_packets'] > 100" \
	"the student without multicast got no unicast copy"
check "$WORK/s2.json" "s['stamp']['ok'] > 100 and s['stamp']['bad'] == 0 and s['stamp']['disorder'] == 0" \
	"the unicast student did not show the broadcast in order"
check "$WORK/t.json" "s['unicast_targets'] == 1 and s['unicast_refused'] == 0" \
	"the teacher does not report exactly one unicast target"
python3 -c "import json,sys; s=json.loads([l for l in open(sys.argv[1]) if 'final' in l][-1]); print('unicast student: %d frames shown, first picture %.0f ms' % (s['stamp']['ok'], s['first_picture_ms']))" "$WORK/s2.json"
echo "PASS"
