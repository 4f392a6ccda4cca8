#!/bin/sh
# bench/dos.sh [BUILD_DIR] — what hostile traffic from a student host costs.
#
# On a private bridged LAN of network namespaces (tests/integration/netlab.sh;
# nothing leaves this machine): host 0 runs a test-pattern teacher, hosts 1
# and 2 honest students, host 3 the attacker (bench/dos_attack.py), host 4 a
# student started 3 s into each phase. Phases of $DOS_S seconds each:
#   idle     no attack (the reference)
#   hold     $DOS_CONNS TCP connections to the control port, opened and held
#            without a byte (reopened when the teacher closes them)
#   trickle  $DOS_CONNS TCP connections, each trickling a TLS ClientHello one
#            byte every 300 ms
#   udp      garbage datagrams at 10 x the stream's packet rate (measured in
#            idle) to every UDP port the teacher listens on (ss -lun)
#   oldrep   a student asking for old repairs: tests/cast_forge joins as a
#            student (the media key) and sends valid feedback 50 times a
#            second, each asking for 128 packets sent 4000 packets ago
#   repflood the same asking for the newest 128 packets each time (more
#            repair than anyone needs: held to that student's budget)
# Per phase: the late student's time to first picture (first_picture_ms),
# the honest students' share of the frames sent (frames_decoded delta over
# the teacher's frames_sent delta), the teacher's CPU (/proc ticks over the
# phase, and its own cpu_pct), its peak RSS (VmRSS, sampled each second),
# and the lines it logged, and the repairs it sent and refused. Targets:
# first picture <= 2000 ms, share >= 0.90.
# Prints a table and writes bench/out/dos.json.
# Environment: DOS_S (12), DOS_CONNS (1000), DOS_PHASES ("idle hold trickle
# udp oldrep repflood"), DOS_UDP_FACTOR (10). Needs root (network
# namespaces).
set -eu
HERE=$(cd "$(dirname "$0")" && pwd)
SRC=$(dirname "$HERE")
BUILD=$(cd "${1:-$SRC/build}" && pwd)
if [ "${CAST_IN_NETNS:-}" != 1 ]; then
	unshare -n true 2>/dev/null || { echo "dos.sh: cannot create network namespaces (root?)"; exit 77; }
	exec unshare -n env CAST_IN_NETNS=1 "$0" "$BUILD"
fi
set -- "$BUILD" "$SRC"
. "$SRC/tests/integration/lib.sh"
. "$SRC/tests/integration/netlab.sh"

S=${DOS_S:-12}
NCONN=${DOS_CONNS:-1000}
PHASES=${DOS_PHASES:-idle hold trickle udp oldrep repflood}
FORGE=$BUILD/tests/cast_forge
FACTOR=${DOS_UDP_FACTOR:-10}
CH=7
[ "$S" -ge 8 ] || S=8
[ -x "$TEACHER" ] && [ -x "$STUDENT" ] || { echo "dos.sh: build $BUILD first"; exit 1; }
command -v ss >/dev/null || { echo "dos.sh: needs ss (iproute2)"; exit 77; }
NPH=$(echo $PHASES | wc -w)
TOTAL=$((NPH * (S + 2) + 10))

"$TEACHER" keygen "$WORK/class.key" >/dev/null
CAST_AUTH="--key $WORK/class.key"
TEACHER_CMD="$TEACHER --headless $CAST_AUTH --ctl-socket $WORK/teacher.sock --source testpattern --size 320x180 --fps 30 --bitrate 300 --channel $CH"
STUDENT_CMD="$STUDENT --headless $CAST_AUTH --channel $CH"

lab_up 5
TIP=$(lab_addr 0)
CPORT=$((40000 + 10 * CH + 5))

# shellcheck disable=SC2086
lab_bg 0 $TEACHER_CMD --duration $TOTAL --stats "$WORK/teacher.json" 2>"$WORK/teacher.err"
TPID=$LAB_PID
for i in 1 2; do
	# shellcheck disable=SC2086
	lab_bg $i $STUDENT_CMD --id "s$i" --state-dir "$WORK/st$i" --local-socket "$WORK/st$i.sock" --duration $TOTAL --stats "$WORK/s$i.json" 2>"$WORK/s$i.err"
done
sleep 3
# On a loaded machine the first stats lines may take longer.
for _ in $(seq 100); do
	[ -s "$WORK/teacher.json" ] && [ -s "$WORK/s1.json" ] && [ -s "$WORK/s2.json" ] && break
	sleep 0.2
done
UDP_PORTS=$(lab_exec 0 ss -Hlun | awk '{n = split($4, a, ":"); print a[n]}' | sort -un | paste -sd, -)
echo "dos.sh: teacher $TIP, control port $CPORT, UDP ports $UDP_PORTS; $S s per phase, $NCONN connections"

snap() { # snap PHASE WHEN: last stats lines, log lines, CPU ticks
	{
		echo "teacher $(tail -n 1 "$WORK/teacher.json")"
		echo "s1 $(tail -n 1 "$WORK/s1.json")"
		echo "s2 $(tail -n 1 "$WORK/s2.json")"
		echo "log $(wc -l <"$WORK/teacher.err")"
		echo "ticks $(awk '{print $14 + $15}' /proc/$TPID/stat)"
		echo "ms $(lab_now_ms)"
	} >"$WORK/snap.$1.$2"
}

PPS=0
for ph in $PHASES; do
	snap "$ph" start
	apid=""
	case $ph in
	idle) ;;
	hold | trickle)
		lab_bg 3 python3 "$HERE/dos_attack.py" "$ph" "$TIP" $CPORT "$NCONN" "$S" >"$WORK/attack.$ph" 2>&1
		apid=$LAB_PID ;;
	udp)
		[ "$PPS" -gt 0 ] || PPS=150
		lab_bg 3 python3 "$HERE/dos_attack.py" udp "$TIP" "$UDP_PORTS" $((PPS * FACTOR)) "$S" >"$WORK/attack.$ph" 2>&1
		apid=$LAB_PID ;;
	oldrep | repflood)
		[ -x "$FORGE" ] || { echo "dos.sh: build cast_forge (tests) first"; exit 1; }
		how=old
		[ $ph = repflood ] && how=live
		lab_bg 3 "$FORGE" --key "$WORK/class.key" --channel $CH --nack $how --duration $((S - 2)) >"$WORK/attack.$ph" 2>"$WORK/attack.$ph.err"
		apid=$LAB_PID ;;
	*) echo "dos.sh: unknown phase $ph"; exit 1 ;;
	esac
	rss=0 k=0
	while [ $k -lt "$S" ]; do
		if [ $k -eq 3 ]; then
			# shellcheck disable=SC2086
			lab_bg 4 $STUDENT_CMD --id "late-$ph" --state-dir "$WORK/late.$ph" --local-socket "$WORK/late.$ph.sock" --duration $((S - 4)) --stats "$WORK/late.$ph.json" 2>"$WORK/late.$ph.err"
		fi
		r=$(awk '/^VmRSS/ {print $2}' /proc/$TPID/status)
		[ "$r" -le "$rss" ] || rss=$r
		sleep 1
		k=$((k + 1))
	done
	snap "$ph" end
	echo "rss_kb $rss" >>"$WORK/snap.$ph.end"
	[ -z "$apid" ] || wait "$apid" || true
	if [ "$ph" = idle ]; then
		PPS=$(python3 - "$WORK/snap.idle.start" "$WORK/snap.idle.end" <<'PY'
import json, sys
def t(p):
    d = dict(l.split(" ", 1) for l in open(p).read().splitlines())
    return json.loads(d["teacher"]).get("packets_sent", 0), int(d["ms"])
(a, ta), (b, tb) = t(sys.argv[1]), t(sys.argv[2])
print(max(1, int((b - a) * 1000 / max(1, tb - ta))))
PY
)
		echo "dos.sh: the stream sends $PPS packets/s"
	fi
	printf '  %-8s done\n' "$ph"
	sleep 1
done
kill -INT $TPID 2>/dev/null || true
wait $TPID 2>/dev/null || true

mkdir -p "$SRC/bench/out"
python3 - "$WORK" "$(getconf CLK_TCK)" "$SRC/bench/out/dos.json" "$NCONN" "$FACTOR" "$PPS" $PHASES <<'PY'
import json, sys
work, hz, out, nconn, factor, pps = sys.argv[1], int(sys.argv[2]), sys.argv[3], int(sys.argv[4]), int(sys.argv[5]), int(sys.argv[6])
phases = sys.argv[7:]
def snap(ph, when):
    d = {}
    for l in open("%s/snap.%s.%s" % (work, ph, when)).read().splitlines():
        k, _, v = l.partition(" ")
        try:
            d[k] = json.loads(v) if v.startswith("{") else int(v)
        except ValueError:
            d[k] = {}
    return d
def final(path):
    try:
        lines = [l for l in open(path) if '"final":true' in l]
        return json.loads(lines[-1]) if lines else {}
    except (OSError, ValueError):
        return {}
res = {}
for ph in phases:
    a, b = snap(ph, "start"), snap(ph, "end")
    sent = b["teacher"].get("frames_sent", 0) - a["teacher"].get("frames_sent", 0)
    dec = [b[s].get("frames_decoded", 0) - a[s].get("frames_decoded", 0) for s in ("s1", "s2")]
    secs = (b["ms"] - a["ms"]) / 1000.0
    late = final("%s/late.%s.json" % (work, ph))
    try:
        att = json.loads(open("%s/attack.%s" % (work, ph)).read().strip().splitlines()[-1])
    except (OSError, ValueError, IndexError):
        att = {}
    fp = late.get("first_picture_ms")
    res[ph] = {"seconds": secs, "frames_sent": sent, "students_frames_decoded": dec,
               "share_min": min(dec) / sent if sent else None,
               "late_first_picture_ms": fp if fp is not None and fp >= 0 else None,
               "teacher_cpu_pct": 100.0 * (b["ticks"] - a["ticks"]) / hz / secs,
               "teacher_cpu_pct_self": b["teacher"].get("cpu_pct"),
               "teacher_rss_kb_max": b.get("rss_kb"),
               "teacher_log_lines": b["log"] - a["log"], "attack": att}
    for k in ("packets_retransmitted", "repairs_refused_stale",
              "repairs_refused_rate", "keyframes_forced"):
        res[ph][k] = b["teacher"].get(k, 0) - a["teacher"].get(k, 0)
def f(v, fmt):
    return "-" if v is None else fmt % v
print()
print("%-28s" % "" + "".join("%12s" % p for p in phases))
for label, key, fmt in (("late student 1st picture ms", "late_first_picture_ms", "%.0f"),
                        ("students' share of frames", "share_min", "%.3f"),
                        ("teacher CPU % (/proc)", "teacher_cpu_pct", "%.1f"),
                        ("teacher CPU % (own stats)", "teacher_cpu_pct_self", "%.1f"),
                        ("teacher RSS max, KiB", "teacher_rss_kb_max", "%d"),
                        ("teacher log lines", "teacher_log_lines", "%d"),
                        ("frames sent", "frames_sent", "%d"),
                        ("repairs sent", "packets_retransmitted", "%d"),
                        ("refused: stale", "repairs_refused_stale", "%d"),
                        ("refused: over budget", "repairs_refused_rate", "%d"),
                        ("keyframes forced", "keyframes_forced", "%d")):
    print("%-28s" % label + "".join("%12s" % f(res[p].get(key), fmt) for p in phases))
for p in phases:
    if res[p]["attack"]:
        print("  %s attack: %s" % (p, json.dumps(res[p]["attack"])))
ok = all((res[p]["late_first_picture_ms"] or 99999) <= 2000 and (res[p]["share_min"] or 0) >= 0.9 for p in phases)
print("targets (first picture <= 2000 ms, share >= 0.90 in every phase): %s" % ("ok" if ok else "MISSED"))
doc = {"bench": "dos", "connections": nconn, "udp_factor": factor, "stream_pps": pps, "ok": ok, "phases": res}
with open(out, "w") as fh:
    json.dump(doc, fh, indent=1)
print("wrote %s" % out)
PY
