#!/bin/sh
# File distribution over NORM: a 20 MB file and a small folder to three
# receivers with 1 % loss on the files port; then the attacks a stranger on
# the LAN can try (no offer, wrong size, too big, "../" name) and a resend.
. "$(dirname "$0")/lib.sh"

TOOL=$BUILD/tests/cast_files_tool
[ -x "$TOOL" ] || skip "no $TOOL (build the cast_files_tool target)"
command -v nft >/dev/null || skip "no nft (nftables) for loss injection"
command -v sha256sum >/dev/null || skip "no sha256sum"

CH=7
PORT=$((40000 + 10 * CH + 7))
NODES="11 12 13"
cd "$WORK"

# ---- the files -------------------------------------------------------------
head -c 20000000 /dev/urandom >big.bin
mkdir -p lesson/作业 lesson/img
echo "read chapter 3" >lesson/readme.txt
head -c 70000 /dev/urandom >lesson/img/diagram.png
printf 'homework\n' >"lesson/作业/作业.docx"
head -c 1000000 /dev/urandom >small.bin
head -c 2000000 /dev/urandom >big2.bin
head -c 300000 /dev/urandom >stranger.bin
truncate -s 40000000 huge.bin

"$TOOL" offer --id 100 big.bin lesson >offers.txt ||
	fail "could not build the offers"
NFILES=$(wc -l <offers.txt)
# Offers a stranger could not have made us expect (but we test the checks):
# id 300 offers small.bin's 1 MB, the sender will push 2 MB under that id;
# id 301 is larger than the receivers' --max-size; id 400 names "../".
"$TOOL" offer --id 300 small.bin >>offers.txt
"$TOOL" offer --id 301 huge.bin >>offers.txt
sum=$(sha256sum lesson/readme.txt | cut -d' ' -f1)
echo "400 15 $sum 0 ../evil.txt" >>offers.txt

# ---- receivers ------------------------------------------------------------
for n in $NODES; do
	bg "$TOOL" recv --channel $CH --iface lo --inbox "in$n" --node-id "$n" \
		--offers offers.txt --max-size 30000000 --timeout 240 \
		>"r$n.log" 2>"r$n.err"
done
for n in $NODES; do
	i=0
	until grep -q '^ready' "r$n.log" 2>/dev/null; do
		i=$((i + 1))
		[ $i -gt 100 ] && fail "receiver $n not ready: $(cat "r$n.err")"
		sleep 0.1
	done
	grep -q "refused offer 301 .*too large\|refused offer 301" "r$n.log" ||
		fail "receiver $n accepted an offer over --max-size"
	grep -q "refused offer 400 (../evil.txt)" "r$n.log" ||
		fail "receiver $n accepted the offer named ../evil.txt"
done

# ---- 1 % loss on the files port (every NORM packet into this host) ---------
nft -f - <<EOF || skip "nftables unusable here"
table inet castfiles {
	chain in {
		type filter hook input priority filter; policy accept;
		udp dport $PORT counter
		udp dport $PORT numgen random mod 1000 < 10 counter drop
	}
}
EOF

# ---- the transfer ---------------------------------------------------------
"$TOOL" send --channel $CH --iface lo --id 100 --nodes 11,12,13 \
	--timeout 120 big.bin lesson >send.json 2>send.err ||
	fail "sender: $(cat send.json) $(tail -n 5 send.err)"
echo "sender: $(cat send.json)"
nft list chain inet castfiles in | grep -o 'packets [0-9]*' | tr '\n' ' '
echo "(arrived, dropped)"

# A receiver acks an object once NORM holds it whole, then moves it into
# its inbox: the sender may end a moment before the last move.
check_same() {
	i=0
	while [ ! -f "$2" ] && [ $i -lt $((100 * CAST_SLACK)) ]; do
		i=$((i + 1))
		sleep 0.1
	done
	[ -f "$2" ] || fail "$2 missing"
	a=$(sha256sum <"$1" | cut -d' ' -f1)
	b=$(sha256sum <"$2" | cut -d' ' -f1)
	[ "$a" = "$b" ] || fail "$2 differs from $1"
}
for n in $NODES; do
	check_same big.bin "in$n/big.bin"
	check_same lesson/readme.txt "in$n/lesson/readme.txt"
	check_same lesson/img/diagram.png "in$n/lesson/img/diagram.png"
	check_same "lesson/作业/作业.docx" "in$n/lesson/作业/作业.docx"
done

# ---- what a stranger (or a confused sender) can try ------------------------
# No offer at all for id 500.
"$TOOL" send --channel $CH --iface lo --id 500 --linger 3 --timeout 20 \
	stranger.bin >/dev/null 2>>send.err || fail "forged sender failed"
# A 2 MB object under id 300, which was offered as 1 MB.
"$TOOL" send --channel $CH --iface lo --id 300 --linger 3 --timeout 20 \
	big2.bin >/dev/null 2>>send.err || fail "oversize sender failed"
# Id 400, whose offer ("../evil.txt") every receiver refused.
"$TOOL" send --channel $CH --iface lo --id 400 --linger 3 --timeout 20 \
	lesson/readme.txt >/dev/null 2>>send.err || fail "../ sender failed"
# The teacher sends big.bin again (a late joiner): everyone else drops it.
"$TOOL" send --channel $CH --iface lo --id 100 --nodes 11,12,13 \
	--timeout 60 big.bin >/dev/null 2>>send.err || fail "resend failed"

for p in $PIDS; do kill -TERM "$p" 2>/dev/null || true; done
wait
PIDS=""

for n in $NODES; do
	stats=$(grep '^{' "r$n.log" | tail -n 1)
	[ -n "$stats" ] || fail "receiver $n: no summary ($(tail -n 3 "r$n.err"))"
	echo "receiver $n: $stats"
	python3 - "$stats" "$NFILES" <<'PY' || fail "receiver $n: wrong counters"
import json, sys
s = json.loads(sys.argv[1]); n = int(sys.argv[2])
ok = (s["completed"] == n and s["failed"] == 0 and s["rejected"] >= 3
      and s["duplicate"] >= 1)
sys.exit(0 if ok else 1)
PY
	left=$(find "in$n" -name '*.partial' -o -name 'normTemp*' | head -n 1)
	[ -z "$left" ] || fail "receiver $n left $left"
	[ ! -e "in$n/.cast-incoming" ] || fail "receiver $n left .cast-incoming"
	got=$(cd "in$n" && find . -type f | sort | tr '\n' ' ')
	want="./big.bin ./lesson/img/diagram.png ./lesson/readme.txt ./lesson/作业/作业.docx "
	[ "$got" = "$want" ] || fail "receiver $n inbox holds: $got"
done
[ ! -e evil.txt ] || fail "../evil.txt was written outside the inbox"
echo "PASS: $NFILES files to 3 receivers at 1 % loss; forged, oversize," \
	"too big and ../ transfers refused; duplicate dropped"
