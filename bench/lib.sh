# Shared by the benchmarks; sourced right after `set -eu`.

# bench_netns SCRIPT ARGS…: unless already inside one, runs SCRIPT again
# with ARGS inside a private network namespace (loopback up, multicast
# routed to it), so no benchmark traffic leaves this machine.
bench_netns() {
	[ "${CAST_IN_NETNS:-}" = 1 ] && return 0
	exec unshare -n sh -c '
		ip link set lo up && echo 21000-49999 >/proc/sys/net/ipv4/ip_local_reserved_ports &&
		ip route add 224.0.0.0/4 dev lo src 127.0.0.1 &&
		CAST_IN_NETNS=1 exec "$0" "$@"' "$@"
}
