#!/bin/sh
# Unicast fallback, on a private 3-host LAN (netlab.sh): host 2's network
# drops the class's multicast video (a switch without IGMP, Wi-Fi), while
# discovery and control still work. Within a few seconds that student asks
# for a unicast copy and keeps showing the broadcast, in order; the student
# whose multicast works stays on multicast; the teacher reports one unicast
# target. Also on this LAN: Wake-on-LAN goes to the MAC address the teacher
# learned when the student signed in, as a broadcast on the lab subnet.
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
	--size 320x180 --bitrate 300 --channel $CH --duration 16 --stats "$WORK/t.json" \
	--wol-addr 10.77.255.255 --wol-port 40999
TPID=$LAB_PID
for i in 1 2; do
	# shellcheck disable=SC2086
	lab_bg $i "$STUDENT" --headless $K --check-stamp --channel $CH --id "s$i" \
		--state-dir "$WORK/st$i" --local-socket "$WORK/st$i.sock" \
		--duration 14 --stats "$WORK/s$i.json"
	eval "P$i=\$LAB_PID"
done
# Wake-on-LAN: host 2 listens for the broadcast magic packet for s1.
lab_exec 2 python3 - "$WORK/wol.bin" <<'PY' &
import socket, sys
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.setsockopt(socket.SOL_SOCKET, socket.SO_BROADCAST, 1)
s.bind(("0.0.0.0", 40999))
open(sys.argv[1] + ".ready", "w").close()
s.settimeout(20)
open(sys.argv[1], "wb").write(s.recv(200))
PY
WOL=$!
sleep 4
i=0
while [ ! -e "$WORK/wol.bin.ready" ] && [ $i -lt 50 ]; do sleep 0.1; i=$((i + 1)); done
MAC1=$(lab_exec 1 cat /sys/class/net/eth0/address)
"$TEACHER" ctl --socket "$WORK/t.sock" wake --to s1 >"$WORK/wake.json" || fail "wake refused: $(cat "$WORK/wake.json")"
wait $WOL || fail "no magic packet reached the LAN: $(cat "$WORK/wake.json")"
python3 -c "
import sys
p = open(sys.argv[1], 'rb').read()
mac = bytes.fromhex(sys.argv[2].replace(':', ''))
assert len(p) == 102 and p[:6] == b'\xff' * 6 and p[6:] == mac * 16, (p.hex(), sys.argv[2])
" "$WORK/wol.bin" "$MAC1" || fail "the magic packet is not for s1's MAC $MAC1"

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
