#!/bin/sh
# Runs one integration test inside a fresh network namespace so multicast
# never leaves this machine: loopback up, 224.0.0.0/4 routed to lo.
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
	ip route add 224.0.0.0/4 dev lo src 127.0.0.1 &&
	CAST_IN_NETNS=1 exec "$0" "$@"' "$script" "$@"
