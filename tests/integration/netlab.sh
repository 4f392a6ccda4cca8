# netlab.sh — a private many-host LAN for integration tests and benchmarks.
# Sourced (POSIX sh) after lib.sh, or on its own by bench scripts.
#
# Topology (every piece exists only inside namespaces this file creates):
#
#   switch namespace "$LAB_ID-sw":  br0 (Linux bridge, multicast snooping OFF,
#                                   STP off) with ports p0 … p(N-1)
#   host namespace "$LAB_ID-hI":    lo, eth0 = 10.77.x.y/16 (veth peer of pI),
#                                   route 224.0.0.0/4 dev eth0
#
# Host 0 is the teacher. Host I has address $(lab_addr I) (10.77.0.1 for
# host 0). With snooping off the bridge floods multicast to every port, so a
# membership can never expire and the only way traffic stops is what the test
# does on purpose (lab_loss, lab_link_down). No namespace has a route or an
# interface that leads out of the lab: nothing can leave this machine.
#
# Helpers:
#   lab_up N               create the lab with hosts 0 … N-1 (sets LAB_UP_MS)
#   lab_ns I               name of host I's namespace
#   lab_addr I             host I's address
#   lab_exec I CMD...      run CMD in host I (ip netns exec)
#   lab_bg I CMD...        the same in the background; LAB_PID = its pid
#   lab_loss I PERMILLE    drop PERMILLE/1000 of the UDP arriving on host I's
#                          eth0 (nftables numgen; 0 removes the rule)
#   lab_loss_count I       "ARRIVED DROPPED" UDP packets since lab_loss
#   lab_link_down I        pull host I's cable (its switch port goes down:
#   lab_link_up I          eth0 loses carrier, keeps address and routes)
#   lab_down               delete everything this run made (also on EXIT)
#
# Namespace names start with "$LAB_PREFIX-<pid of the shell>-", so parallel
# runs do not collide; lab_up removes namespaces of the same prefix whose
# owning shell is gone (a run that was killed before it could clean up).

LAB_PREFIX=${LAB_PREFIX:-castlab}
LAB_ID="$LAB_PREFIX-$$"
LAB_SW="$LAB_ID-sw"
LAB_N=0
LAB_UP_MS=0

lab_ns() { echo "$LAB_ID-h$1"; }

lab_addr() { echo "10.77.$(($1 / 250)).$(($1 % 250 + 1))"; }

lab_exec() {
	_lab_i=$1
	shift
	ip netns exec "$LAB_ID-h$_lab_i" "$@"
}

# lab_bg I CMD...: CMD in host I in the background. Sets LAB_PID to its pid
# (the real program's: ip netns exec execs it) and adds it to lib.sh's PIDS so
# cleanup stops it. Use this rather than `lab_exec ... &`: a backgrounded
# shell function is a subshell, and its pid is not the program's.
lab_bg() {
	_lab_i=$1
	shift
	ip netns exec "$LAB_ID-h$_lab_i" "$@" &
	LAB_PID=$!
	PIDS="${PIDS:-} $LAB_PID"
}

# Prints milliseconds since the epoch (for timings).
lab_now_ms() { date +%s%3N; }

# Kills the processes left in namespace $1 and deletes it.
lab__del_ns() {
	_lab_pids=$(ip netns pids "$1" 2>/dev/null || true)
	if [ -n "$_lab_pids" ]; then
		# shellcheck disable=SC2086
		kill -KILL $_lab_pids 2>/dev/null || true
	fi
	ip netns del "$1" 2>/dev/null || true
}

# Removes namespaces "$LAB_PREFIX-PID-*" whose PID is no longer running.
lab_clean_stale() {
	for _lab_ns in $(ip netns list 2>/dev/null | awk '{print $1}'); do
		case $_lab_ns in
		"$LAB_PREFIX"-*-*) ;;
		*) continue ;;
		esac
		_lab_owner=${_lab_ns#"$LAB_PREFIX"-}
		_lab_owner=${_lab_owner%%-*}
		case $_lab_owner in
		'' | *[!0-9]*) continue ;;
		esac
		if [ "$_lab_owner" != $$ ] && ! kill -0 "$_lab_owner" 2>/dev/null; then
			echo "netlab: removing stale namespace $_lab_ns"
			lab__del_ns "$_lab_ns"
		fi
	done
}

lab_down() {
	for _lab_ns in $(ip netns list 2>/dev/null | awk '{print $1}'); do
		case $_lab_ns in
		"$LAB_ID"-*) lab__del_ns "$_lab_ns" ;;
		esac
	done
	LAB_N=0
}

# EXIT trap: first the sourcing test's own cleanup (lib.sh kills the
# processes it started), then the lab. INT/TERM turn into a normal exit so
# the EXIT trap runs.
lab__on_exit() {
	_lab_rc=$?
	if command -v cleanup >/dev/null 2>&1; then
		cleanup || true
	fi
	lab_down
	exit $_lab_rc
}
trap lab__on_exit EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

# lab_up N: switch + N hosts. Everything is done with three `ip -batch`
# runs (one per namespace kind) so 50 hosts take well under a second.
lab_up() {
	_lab_n=$1
	_lab_t0=$(lab_now_ms)
	command -v ip >/dev/null || { echo "netlab: no ip(8)"; return 1; }
	lab_clean_stale
	lab_down
	_lab_b=$(mktemp /tmp/netlab.XXXXXX)
	{
		echo "netns add $LAB_SW"
		_lab_i=0
		while [ "$_lab_i" -lt "$_lab_n" ]; do
			echo "netns add $LAB_ID-h$_lab_i"
			_lab_i=$((_lab_i + 1))
		done
	} >"$_lab_b"
	ip -batch "$_lab_b" || { rm -f "$_lab_b"; return 1; }
	{
		echo "link add br0 netns $LAB_SW type bridge mcast_snooping 0 stp_state 0"
		_lab_i=0
		while [ "$_lab_i" -lt "$_lab_n" ]; do
			echo "link add p$_lab_i netns $LAB_SW type veth peer name eth0 netns $LAB_ID-h$_lab_i"
			_lab_i=$((_lab_i + 1))
		done
	} >"$_lab_b"
	ip -batch "$_lab_b" || { rm -f "$_lab_b"; return 1; }
	{
		echo "link set lo up"
		_lab_i=0
		while [ "$_lab_i" -lt "$_lab_n" ]; do
			echo "link set p$_lab_i master br0"
			echo "link set p$_lab_i up"
			_lab_i=$((_lab_i + 1))
		done
		echo "link set br0 up"
	} >"$_lab_b"
	ip -n "$LAB_SW" -batch "$_lab_b" || { rm -f "$_lab_b"; return 1; }
	_lab_i=0
	while [ "$_lab_i" -lt "$_lab_n" ]; do
		# addrgenmode none: no IPv6 link-local address, so no DAD, router
		# solicitation or MLD chatter on the lab's wire.
		printf '%s\n' "link set lo up" \
			"link set eth0 addrgenmode none" \
			"addr add $(lab_addr "$_lab_i")/16 dev eth0" \
			"link set eth0 up" \
			"route add 224.0.0.0/4 dev eth0" >"$_lab_b"
		ip -n "$LAB_ID-h$_lab_i" -batch "$_lab_b" ||
			{ rm -f "$_lab_b"; return 1; }
		_lab_i=$((_lab_i + 1))
	done
	rm -f "$_lab_b"
	# Multicast snooping must really be off: with it on, a membership the
	# bridge has not heard refreshed by an IGMP querier would expire.
	if ! ip -n "$LAB_SW" -d link show br0 | grep -q 'mcast_snooping 0'; then
		echo "netlab: br0 still snoops multicast"
		return 1
	fi
	LAB_N=$_lab_n
	LAB_UP_MS=$(($(lab_now_ms) - _lab_t0))
}

# nftables table "castlab", chain "loss" on the input hook. Multicast and
# unicast UDP delivered to the host both pass there; ARP and IGMP do not
# (not UDP), so only the media and feedback are thinned.
lab_loss() {
	_lab_p=$2
	# First rule counts every UDP packet arriving, second drops a share.
	_lab_rule="add rule inet castlab loss iifname \"eth0\" meta l4proto udp counter"
	if [ "$_lab_p" -gt 0 ]; then
		_lab_rule="$_lab_rule
add rule inet castlab loss iifname \"eth0\" meta l4proto udp numgen random mod 1000 < $_lab_p counter drop"
	fi
	lab_exec "$1" nft -f - <<EOF
table inet castlab {
	chain loss {
		type filter hook input priority filter; policy accept;
	}
}
flush chain inet castlab loss
$_lab_rule
EOF
}

# lab_loss_count I: "ARRIVED DROPPED" — UDP packets that reached host I's
# eth0 and how many of them the loss rule dropped, since the last lab_loss.
lab_loss_count() {
	lab_exec "$1" nft list chain inet castlab loss 2>/dev/null |
		sed -n 's/.*counter packets \([0-9]*\) .*/\1/p' |
		awk '{ v[NR] = $1 } END { print (v[1] + 0) " " (v[2] + 0) }'
}

lab_link_down() { ip -n "$LAB_SW" link set "p$1" down; }

lab_link_up() {
	ip -n "$LAB_SW" link set "p$1" up
	# Carrier loss keeps routes; should anything have removed the multicast
	# route meanwhile, put it back (no-op otherwise).
	ip -n "$LAB_ID-h$1" route replace 224.0.0.0/4 dev eth0
}
