#!/bin/sh
# A live classroom on this machine: one teacher broadcasting to three
# students over multicast, inside a private network namespace so no packet
# leaves the machine. With a display ($DISPLAY), the teacher's console opens
# beside three student windows (the broadcast is a test pattern, so the
# students' windows are never in the picture); without one, a 1080p test
# pattern is broadcast and the students print a live stats line.
# Usage: scripts/demo.sh [SECONDS]   (default 30; 0 runs until Ctrl-C)
set -eu
cd "$(dirname "$0")/.."
SECS=${1:-30}

if [ "${CAST_IN_NETNS:-}" != 1 ]; then
	./scripts/install-deps.sh
	cmake -S . -B build >/dev/null
	cmake --build build -j"$(nproc 2>/dev/null || echo 2)" \
		--target cast-teacher cast-student
	exec unshare -n sh -c 'ip link set lo up && echo 21000-49999 >/proc/sys/net/ipv4/ip_local_reserved_ports &&
		ip route add 224.0.0.0/4 dev lo src 127.0.0.1 &&
		CAST_IN_NETNS=1 exec "$0" "$@"' "$0" "$@"
fi

T=build/teacher/cast-teacher
S=build/student/cast-student
# A class key for this demo (a real lab keeps one per class: cast-teacher
# keygen, then --key FILE or --key-code CODE on every student).
KEYFILE=$(mktemp /tmp/cast-demo-key.XXXXXX)
rm -f "$KEYFILE"
$T keygen "$KEYFILE" >/dev/null
K="--key $KEYFILE --channel 1"
# Each student keeps its own state, inbox and local socket, as on its own PC.
seat() { echo "--id s0$1 --state-dir $KEYFILE.seat$1 --local-socket $KEYFILE.seat$1.sock --inbox $KEYFILE.seat$1/inbox"; }
SOCK="--ctl-socket ${KEYFILE}.sock"
DUR=""
[ "$SECS" -gt 0 ] && DUR="--duration $SECS"
pids=""
trap 'kill $pids 2>/dev/null || true; wait 2>/dev/null || true; rm -rf "$KEYFILE" "$KEYFILE".*' EXIT INT TERM

if [ -n "${DISPLAY:-}" ] && xdpyinfo >/dev/null 2>&1; then
	# The teacher's console on the left, three student windows on the
	# right showing what they receive: a moving 720p test pattern. The
	# broadcast is the pattern, not this screen, so the students' windows
	# are never in the picture (no hall of mirrors).
	SIZE=$(xdpyinfo | awk '/dimensions:/ { print $2; exit }')
	SW=${SIZE%x*}
	SH=${SIZE#*x}
	STH=$(((SH - 40) / 3))
	STW=$((STH * 16 / 9))
	CW=$((SW - STW - 16))
	CH=$((SH - 40))
	echo "demo: the teacher's console and 3 student windows (channel 1)"
	# shellcheck disable=SC2086
	$T --source testpattern --size 1280x720 --fps 25 $K $SOCK $DUR \
		--console-size ${CW}x${CH} --stats /tmp/cast-demo-teacher.json &
	pids="$pids $!"
	i=0
	for name in 李雷 韩梅梅 张伟; do
		i=$((i + 1))
		# shellcheck disable=SC2086
		$S $K $(seat $i) --name "$name" $DUR \
			--windowed ${STW}x${STH}+$((SW - STW))+$(((i - 1) * (STH + 8))) \
			--stats /tmp/cast-demo-student$i.json &
		pids="$pids $!"
	done
	wait
	exit 0
fi

echo "demo: no display; 1080p30 test pattern to 3 headless students (channel 1)"
# shellcheck disable=SC2086
$T --headless --source testpattern --size 1920x1080 $K $SOCK \
	$DUR --stats /tmp/cast-demo-teacher.json &
pids="$pids $!"
for i in 2 3; do
	# shellcheck disable=SC2086
	$S --headless $K $(seat $i) --check-stamp $DUR \
		--stats /tmp/cast-demo-student$i.json &
	pids="$pids $!"
done
# Student 1's stats become the live line.
# shellcheck disable=SC2086
$S --headless $K $(seat 1) --check-stamp $DUR --stats - |
	python3 -u -c '
import json, sys
for line in sys.stdin:
    s = json.loads(line)
    print("\rstudent 1: %5.1f fps  %6.0f kbit/s  latency p50 %5.1f ms p99 %5.1f ms  frames %6d  lost %d  cpu %4.1f%%   "
          % (s["fps"], s["bitrate_kbps"], s["latency_ms"]["p50"], s["latency_ms"]["p99"],
             s["frames_decoded"], s["packets_lost"], s["cpu_pct"]), end="", flush=True)
print()'
wait
