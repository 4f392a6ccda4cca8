#!/bin/sh
# bench/files.sh — file distribution: libcast (NORM) against uftp/uftpd.
#
# The same file (default 200 MB of random bytes) goes from one teacher host
# to N receiver hosts, each in its own network namespace on a private
# bridge of veth pairs (nothing can leave this machine: no namespace has a
# route or an interface out of the lab). Optional loss: nftables on every
# receiver's eth0 drops PERMILLE/1000 of the UDP it receives.
#
# Usage (root): bench/files.sh [BUILD_DIR]
# Environment:
#   SCENARIOS  "N:PERMILLE ..."   default "10:0 50:0 10:10 50:10"
#   SIZE_MB    file size          default 200
#   RATE_KBPS  rate for both      default 100000 (uftp -R, libcast --rate)
#   TOOLS      "libcast uftp"     which to run
#   WORKDIR    where files go     default a fresh /tmp/cast-files-bench.*
# Prints a table and one JSON line ("files_bench") at the end. Not part of
# CI: one full run takes about 8–10 minutes on a 2-CPU machine.
set -eu

SRC=$(cd "$(dirname "$0")/.." && pwd)
BUILD=$(cd "${1:-$SRC/build}" && pwd)
TOOL=$BUILD/tests/cast_files_tool
SCENARIOS=${SCENARIOS:-"10:0 50:0 10:10 50:10"}
SIZE_MB=${SIZE_MB:-200}
RATE_KBPS=${RATE_KBPS:-100000}
TOOLS=${TOOLS:-"libcast uftp"}
CH=7
GROUP=239.255.0.7

[ "$(id -u)" = 0 ] || { echo "files.sh: run as root (namespaces)"; exit 1; }
[ -x "$TOOL" ] || { echo "files.sh: no $TOOL; build target cast_files_tool"; exit 1; }
for t in $TOOLS; do
	if [ "$t" = uftp ] && ! command -v uftp >/dev/null; then
		echo "files.sh: uftp not installed (apt-get install uftp)"
		exit 1
	fi
done
command -v nft >/dev/null || { echo "files.sh: needs nft"; exit 1; }

WORK=${WORKDIR:-$(mktemp -d /tmp/cast-files-bench.XXXXXX)}
mkdir -p "$WORK"
PIDS=""

# ---- a private LAN (the approach of tests/integration/netlab.sh) -----------
LAB_ID="castfb-$$"
LAB_SW="$LAB_ID-sw"
ns() { echo "$LAB_ID-h$1"; }
addr() { echo "10.78.$(($1 / 250)).$(($1 % 250 + 1))"; }

lab_down() {
	for _ns in $(ip netns list 2>/dev/null | awk '{print $1}'); do
		case $_ns in
		"$LAB_ID"-*)
			_p=$(ip netns pids "$_ns" 2>/dev/null || true)
			# shellcheck disable=SC2086
			[ -n "$_p" ] && kill -KILL $_p 2>/dev/null
			ip netns del "$_ns" 2>/dev/null || true
			;;
		esac
	done
}

cleanup() {
	for p in $PIDS; do kill "$p" 2>/dev/null || true; done
	wait 2>/dev/null || true
	lab_down
	[ -n "${WORKDIR:-}" ] || rm -rf "$WORK"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

# lab_up N: the switch and hosts 0 (teacher) … N.
lab_up() {
	lab_down
	b=$WORK/ip.batch
	{
		echo "netns add $LAB_SW"
		i=0
		while [ $i -le "$1" ]; do echo "netns add $(ns $i)"; i=$((i + 1)); done
	} >"$b"
	ip -batch "$b"
	{
		echo "link add br0 netns $LAB_SW type bridge mcast_snooping 0 stp_state 0"
		i=0
		while [ $i -le "$1" ]; do
			echo "link add p$i netns $LAB_SW type veth peer name eth0 netns $(ns $i)"
			i=$((i + 1))
		done
	} >"$b"
	ip -batch "$b"
	{
		echo "link set lo up"
		i=0
		while [ $i -le "$1" ]; do
			echo "link set p$i master br0"
			echo "link set p$i up"
			i=$((i + 1))
		done
		echo "link set br0 up"
	} >"$b"
	ip -n "$LAB_SW" -batch "$b"
	i=0
	while [ $i -le "$1" ]; do
		printf '%s\n' "link set lo up" "link set eth0 addrgenmode none" \
			"addr add $(addr $i)/16 dev eth0" "link set eth0 up" \
			"route add 224.0.0.0/4 dev eth0" >"$b"
		ip -n "$(ns $i)" -batch "$b"
		i=$((i + 1))
	done
}

# loss I PERMILLE: drop a share of the UDP arriving on host I's eth0.
loss() {
	[ "$2" -gt 0 ] || return 0
	ip netns exec "$(ns "$1")" nft -f - <<EOF
table inet castfb {
	chain in {
		type filter hook input priority filter; policy accept;
		iifname "eth0" meta l4proto udp numgen random mod 1000 < $2 drop
	}
}
EOF
}

now_ms() { date +%s%3N; }

# ---- one run of each tool --------------------------------------------------
# run_libcast N: prints seconds, or "fail".
run_libcast() {
	n=$1
	nodes=""
	i=1
	while [ $i -le "$n" ]; do
		rm -rf "$WORK/in$i"
		ip netns exec "$(ns $i)" "$TOOL" recv --channel $CH --iface eth0 \
			--inbox "$WORK/in$i" --node-id $((100 + i)) \
			--offers "$WORK/offers.txt" --timeout 900 \
			>"$WORK/r$i.log" 2>"$WORK/r$i.err" &
		PIDS="$PIDS $!"
		nodes="$nodes${nodes:+,}$((100 + i))"
		i=$((i + 1))
	done
	i=1
	while [ $i -le "$n" ]; do
		k=0
		until grep -q '^ready' "$WORK/r$i.log" 2>/dev/null; do
			k=$((k + 1))
			[ $k -gt 200 ] && { echo fail; return; }
			sleep 0.05
		done
		i=$((i + 1))
	done
	t0=$(now_ms)
	ok=1
	ip netns exec "$(ns 0)" "$TOOL" send --channel $CH --iface eth0 \
		--id 1 --nodes "$nodes" --rate "$RATE_KBPS" --timeout 900 \
		"$WORK/bench.bin" >"$WORK/send.json" 2>"$WORK/send.err" || ok=0
	t1=$(now_ms)
	for p in $PIDS; do kill "$p" 2>/dev/null || true; done
	wait 2>/dev/null || true
	PIDS=""
	# Each receiver verified the SHA-256 of the offer before the rename.
	good=$(grep -l '^file 1 ok' "$WORK"/r*.log 2>/dev/null | wc -l)
	i=1
	while [ $i -le "$n" ]; do rm -rf "$WORK/in$i" "$WORK/r$i.log" "$WORK/r$i.err"; i=$((i + 1)); done
	if [ $ok = 1 ] && [ "$good" = "$n" ]; then
		echo "$(((t1 - t0) / 1000)).$(((t1 - t0) % 1000 / 100))"
	else
		echo "fail($good/$n)"
	fi
}

# run_uftp N: prints seconds, or "fail".
run_uftp() {
	n=$1
	i=1
	while [ $i -le "$n" ]; do
		rm -rf "$WORK/u$i"
		mkdir -p "$WORK/u$i"
		ip netns exec "$(ns $i)" uftpd -d -B 4194304 -I eth0 \
			-D "$WORK/u$i" >"$WORK/u$i.log" 2>&1 &
		PIDS="$PIDS $!"
		i=$((i + 1))
	done
	sleep 1
	t0=$(now_ms)
	ok=1
	ip netns exec "$(ns 0)" uftp -I eth0 -R "$RATE_KBPS" -B 4194304 \
		"$WORK/bench.bin" >"$WORK/uftp.log" 2>&1 || ok=0
	t1=$(now_ms)
	for p in $PIDS; do kill "$p" 2>/dev/null || true; done
	wait 2>/dev/null || true
	PIDS=""
	good=0
	i=1
	while [ $i -le "$n" ]; do
		f="$WORK/u$i/bench.bin"
		if [ -f "$f" ] && [ "$(stat -c %s "$f")" = "$SIZE" ]; then
			# Bytes are compared on the first receiver (uftp checks
			# sizes and sequence, not a hash of the whole file).
			if [ $i -gt 1 ] || cmp -s "$f" "$WORK/bench.bin"; then
				good=$((good + 1))
			fi
		fi
		rm -rf "$WORK/u$i" "$WORK/u$i.log"
		i=$((i + 1))
	done
	if [ $ok = 1 ] && [ "$good" = "$n" ]; then
		echo "$(((t1 - t0) / 1000)).$(((t1 - t0) % 1000 / 100))"
	else
		echo "fail($good/$n)"
	fi
}

# ---- main ------------------------------------------------------------------
echo "files.sh: ${SIZE_MB} MB, rate $RATE_KBPS kbit/s, work dir $WORK"
head -c $((SIZE_MB * 1000000)) /dev/urandom >"$WORK/bench.bin"
SIZE=$(stat -c %s "$WORK/bench.bin")
(cd "$WORK" && "$TOOL" offer --id 1 bench.bin >offers.txt)

ROWS=""
JSON=""
for sc in $SCENARIOS; do
	n=${sc%%:*}
	pm=${sc#*:}
	lab_up "$n"
	i=1
	while [ $i -le "$n" ]; do loss $i "$pm"; i=$((i + 1)); done
	lc="-"
	uf="-"
	for t in $TOOLS; do
		sync
		echo 3 >/proc/sys/vm/drop_caches 2>/dev/null || true
		case $t in
		libcast) lc=$(run_libcast "$n") && r=$lc ;;
		uftp) uf=$(run_uftp "$n") && r=$uf ;;
		esac
		echo "  $n receivers, loss $pm/1000: $t $r s"

	done
	ratio=$(awk -v a="$lc" -v b="$uf" 'BEGIN {
		if (a + 0 > 0 && b + 0 > 0) printf "%.2f", a / b; else print "-" }')
	ROWS="$ROWS$n $pm $lc $uf $ratio
"
	js=$(awk -v a="$lc" 'BEGIN { if (a + 0 > 0) print a; else print "null" }')
	ju=$(awk -v a="$uf" 'BEGIN { if (a + 0 > 0) print a; else print "null" }')
	JSON="$JSON${JSON:+,}{\"receivers\":$n,\"loss_permille\":$pm,\"libcast_s\":$js,\"uftp_s\":$ju}"
	lab_down
done

echo
printf '%-10s %-8s %-12s %-12s %s\n' receivers loss libcast_s uftp_s "libcast/uftp"
printf '%s' "$ROWS" | while read -r n pm lc uf ratio; do
	printf '%-10s %-8s %-12s %-12s %s\n' "$n" "$(awk -v p="$pm" 'BEGIN{printf "%.1f%%", p/10}')" "$lc" "$uf" "$ratio"
done
echo "{\"files_bench\":{\"size_mb\":$SIZE_MB,\"rate_kbps\":$RATE_KBPS,\"runs\":[$JSON]}}"
