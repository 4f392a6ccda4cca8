#!/bin/sh
# Runs one integration test inside a fresh network namespace so multicast
# never leaves this machine: loopback up, 224.0.0.0/4 routed to lo. The
# teacher and its students share this one host, so the product's ports
# (21000-49999, docs/protocol.md) are kept out of the ephemeral range: a
# student's socket bound to port 0 must not take the teacher's feedback port.
# Usage: run-in-netns.sh SCRIPT BUILD_DIR SOURCE_DIR. Exit 77 means skipped.
set -eu
# The tools the project installs from Debian come first: a per-user version
# manager's shims in PATH (pyenv's python3) cost up to 2 s a call on a busy
# machine, and tests call python3 in loops.
PATH=/usr/sbin:/usr/bin:/sbin:/bin:$PATH
export PATH
script=$1
shift
if [ "${CAST_IN_NETNS:-}" = 1 ]; then
	exec "$script" "$@"
fi
if ! unshare -n true 2>/dev/null; then
	echo "skipped: this kernel or user may not create network namespaces"
	exit 77
fi
exec unshare -n sh -c '
	ip link set lo up &&
	echo 21000-49999 >/proc/sys/net/ipv4/ip_local_reserved_ports &&
	ip route add 224.0.0.0/4 dev lo src 127.0.0.1 &&
	CAST_IN_NETNS=1 exec "$0" "$@"' "$script" "$@"
