#!/bin/sh
# What source authentication costs: the same broadcast signed (the default)
# and unsigned (--unsigned-media on both sides), side by side in one run, on
# the bench's sources at 1080p30: the test pattern, and (when Xvfb and xterm
# are here) an Xvfb desktop with a scrolling log captured by x11. One
# teacher, one decoding student and one --no-decode student, inside a
# private network namespace. Measured: the teacher's and students' CPU (% of
# one core, from /proc over the steady 10 s), the stream's bytes and the
# auth packets' share of them, the teacher's hashing + signing time per
# frame, the students' capture → shown latency and the gate's added wait
# (arrival → signed). Prints a table and writes one JSON object.
# Usage: bench/auth.sh [--json FILE] [--build DIR] [--secs N]
# Child shells' scripts are in single quotes on purpose:
# shellcheck disable=SC2016
set -eu
cd "$(dirname "$0")/.."

BUILD=build-bench
JSON=""
SECS=14
while [ $# -gt 0 ]; do
	case $1 in
	--json) JSON=$2; shift 2 ;;
	--build) BUILD=$2; shift 2 ;;
	--secs) SECS=$2; shift 2 ;;
	-h|--help) sed -n '2,12s/^# \{0,1\}//p' "$0"; exit 0 ;;
	*) echo "auth.sh: unknown option $1" >&2; exit 2 ;;
	esac
done
[ "$SECS" -ge 8 ] || { echo "auth.sh: --secs at least 8" >&2; exit 2; }

if [ "${CAST_IN_NETNS:-}" != 1 ]; then
	for t in python3 unshare ip cmake; do
		command -v $t >/dev/null 2>&1 || {
			echo "auth.sh: missing $t (scripts/install-deps.sh installs it)" >&2
			exit 1
		}
	done
	cmake -S . -B "$BUILD" >/dev/null
	cmake --build "$BUILD" -j2 --target cast-teacher cast-student >/dev/null
	unshare -n true 2>/dev/null || {
		echo "auth.sh: cannot create a network namespace" >&2
		exit 1
	}
	exec unshare -n sh -c 'ip link set lo up && echo 21000-49999 >/proc/sys/net/ipv4/ip_local_reserved_ports &&
		ip route add 224.0.0.0/4 dev lo src 127.0.0.1 &&
		CAST_IN_NETNS=1 exec "$0" "$@"' "$0" --json "${JSON:-}" \
		--build "$BUILD" --secs "$SECS"
fi

T=$BUILD/teacher/cast-teacher
S=$BUILD/student/cast-student
OUT=$(mktemp -d /tmp/cast-auth.XXXXXX)
[ -n "$JSON" ] || JSON=$OUT/auth.json
PIDS=""
cleanup() {
	for p in $PIDS; do kill "$p" 2>/dev/null || true; done
	wait 2>/dev/null || true
}
trap cleanup EXIT
bg() {
	"$@" &
	PIDS="$PIDS $!"
}
ticks() { # PID: utime + stime, 0 when gone
	awk '{print $14 + $15}' "/proc/$1/stat" 2>/dev/null || echo 0
}

"$T" keygen "$OUT/class.key" >/dev/null
K="--key $OUT/class.key"

SOURCES="testpattern"
if command -v Xvfb >/dev/null 2>&1 && command -v xterm >/dev/null 2>&1 &&
	command -v xdpyinfo >/dev/null 2>&1; then
	DPY=:93
	if [ ! -e "/tmp/.X${DPY#:}-lock" ]; then
		bg Xvfb "$DPY" -screen 0 1920x1080x24 -nolisten tcp -br -noreset
		for _ in $(seq 50); do
			DISPLAY=$DPY xdpyinfo >/dev/null 2>&1 && break
			sleep 0.1
		done
		DISPLAY=$DPY bg xterm -geometry 200x80+0+0 -bg white -fg black \
			-e sh -c 'i=0; while :; do i=$((i + 1)); echo "$(date +%T.%N) [build] $i: cc -O2 -c src/module_$((i % 37)).c"; sleep 0.05; done'
		sleep 1
		SOURCES="$SOURCES x11"
	fi
fi

CH=40
# run SOURCE MODE: one broadcast; files $OUT/SOURCE.MODE.{t,d,n}.json, .cpu
run() {
	src=$1
	mode=$2
	CH=$((CH + 1))
	flag=""
	[ "$mode" = unsigned ] && flag=--unsigned-media
	source=$src
	[ "$src" = x11 ] && source="x11:$DPY"
	pre=$OUT/$src.$mode
	# shellcheck disable=SC2086
	bg "$T" --headless $K --ctl-socket "$pre.sock" --source "$source" \
		--size 1920x1080 --fps 30 --channel $CH --duration $((SECS + 2)) \
		--stats "$pre.t.json" $flag 2>"$pre.t.err"
	tp=$!
	# shellcheck disable=SC2086
	bg "$S" --headless $K --channel $CH --duration $((SECS + 1)) \
		--stats "$pre.d.json" $flag 2>/dev/null
	dp=$!
	# shellcheck disable=SC2086
	bg "$S" --headless $K --channel $CH --no-decode --duration $((SECS + 1)) \
		--stats "$pre.n.json" $flag 2>/dev/null
	np=$!
	sleep 3
	t0=$(date +%s.%N)
	c0="$(ticks $tp) $(ticks $dp) $(ticks $np)"
	sleep $((SECS - 4))
	t1=$(date +%s.%N)
	c1="$(ticks $tp) $(ticks $dp) $(ticks $np)"
	echo "$t0 $t1 $c0 $c1" >"$pre.cpu"
	wait $tp $dp $np || true
}

for src in $SOURCES; do
	for mode in signed unsigned; do
		echo "auth.sh: $src, $mode" >&2
		run "$src" "$mode"
	done
done

python3 - "$OUT" "$JSON" "$(getconf CLK_TCK)" "$SOURCES" <<'PY'
import json, sys
out, path, hz, sources = sys.argv[1], sys.argv[2], float(sys.argv[3]), sys.argv[4].split()

def final(p):
    lines = [l for l in open(p) if '"final":true' in l]
    return json.loads(lines[-1]) if lines else {}

res = {"bench": "auth", "fps": 30, "size": "1920x1080", "sources": {}}
for src in sources:
    r = {}
    for mode in ("signed", "unsigned"):
        pre = "%s/%s.%s" % (out, src, mode)
        t, d, n = (final(pre + x) for x in (".t.json", ".d.json", ".n.json"))
        f = open(pre + ".cpu").read().split()
        t0, t1 = float(f[0]), float(f[1])
        c0, c1 = [float(x) for x in f[2:5]], [float(x) for x in f[5:8]]
        cpu = [100.0 * (b - a) / hz / (t1 - t0) for a, b in zip(c0, c1)]
        secs = t.get("t", 1) or 1
        sign = t.get("sign_ms", {})
        r[mode] = {
            "teacher_cpu_pct": round(cpu[0], 2),
            "student_cpu_pct": round(cpu[1], 2),
            "student_nodecode_cpu_pct": round(cpu[2], 2),
            "frames_sent": t.get("frames_sent", 0),
            "bytes_sent": t.get("bytes_sent", 0),
            "kbps": round(t.get("bytes_sent", 0) * 8 / 1000 / secs, 1),
            "auth_bytes": t.get("auth_bytes", 0),
            "auth_share_pct": round(100.0 * t.get("auth_bytes", 0) /
                                    max(1, t.get("bytes_sent", 1)), 2),
            "sign_ms_p50": sign.get("p50", 0),
            "sign_ms_p99": sign.get("p99", 0),
            # Hashing + signing, from the per-frame times (mean ≈ p50:
            # every frame costs about the same): % of one core.
            "sign_cpu_pct": round(100.0 * sign.get("count", 0) *
                                  sign.get("p50", 0) / 1000 / secs, 3),
            "student_frames_decoded": d.get("frames_decoded", 0),
            "latency_ms_p50": d.get("latency_ms", {}).get("p50", 0),
            "latency_ms_p95": d.get("latency_ms", {}).get("p95", 0),
            "auth_wait_ms_p50": d.get("auth_wait_ms", {}).get("p50", 0),
            "auth_wait_ms_p95": d.get("auth_wait_ms", {}).get("p95", 0),
            "auth_wait_ms_p99": d.get("auth_wait_ms", {}).get("p99", 0),
            "auth_packets_bad": d.get("auth_packets_bad", 0),
            # The gate's own time (hash per packet, verify per auth
            # packet) over the student's run: % of one core.
            "verify_cpu_pct": round(d.get("auth_cpu_ms", 0) / 10.0 /
                                    max(1e-3, d.get("t", 1)), 3),
        }
    s, u = r["signed"], r["unsigned"]
    r["delta"] = {
        "teacher_cpu_pct": round(s["teacher_cpu_pct"] - u["teacher_cpu_pct"], 2),
        "student_cpu_pct": round(s["student_cpu_pct"] - u["student_cpu_pct"], 2),
        "student_nodecode_cpu_pct": round(s["student_nodecode_cpu_pct"] -
                                          u["student_nodecode_cpu_pct"], 2),
        "latency_ms_p50": round(s["latency_ms_p50"] - u["latency_ms_p50"], 2),
    }
    res["sources"][src] = r
with open("/proc/loadavg") as f:
    res["loadavg"] = f.read().split()[:3]
json.dump(res, open(path, "w"), indent=1)

print("source authentication at 1080p30 (signed vs --unsigned-media)")
print("%-12s %-9s %7s %7s %7s %8s %7s %8s %8s %8s %8s" % (
    "source", "mode", "teach%", "stud%", "nodec%", "kbit/s", "auth%",
    "sign p50", "lat p50", "wait p50", "wait p99"))
for src, r in res["sources"].items():
    for mode in ("signed", "unsigned"):
        m = r[mode]
        print("%-12s %-9s %7.2f %7.2f %7.2f %8.0f %7.2f %8.3f %8.1f %8.2f %8.2f" % (
            src, mode, m["teacher_cpu_pct"], m["student_cpu_pct"],
            m["student_nodecode_cpu_pct"], m["kbps"], m["auth_share_pct"],
            m["sign_ms_p50"], m["latency_ms_p50"], m["auth_wait_ms_p50"],
            m["auth_wait_ms_p99"]))
    d = r["delta"]
    print("%-12s %-9s %7.2f %7.2f %7.2f   (measured in place: teacher hash+sign %.3f %%, student hash+verify %.3f %% of a core)" % (
        src, "delta", d["teacher_cpu_pct"], d["student_cpu_pct"],
        d["student_nodecode_cpu_pct"], r["signed"]["sign_cpu_pct"],
        r["signed"]["verify_cpu_pct"]))
print("json: %s" % path)
PY
