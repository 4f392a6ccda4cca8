#!/bin/sh
# A class of 50: one teacher and 50 real students, each on its own host
# (network namespace) of a private bridged LAN (netlab.sh), all on one
# channel. Three phases, each with a fresh set of 50 students running
# $PHASE_S seconds against the same running teacher:
#   clean  no loss: every student decodes nearly every frame, in order, no
#          corrupt picture, and measures latency;
#   loss1  1 % of the UDP arriving at every student dropped (nftables): no
#          freeze over 1 s, frames in order, none corrupt;
#   loss5  5 %: frames keep coming (no freeze over 2 s), in order, none
#          corrupt. In every phase the median student decodes >= 95 % of the
#          frames; max_gap_ms and the fraction decoded are reported.
# Every phase runs even when an earlier one failed; the verdict comes last.
# Knobs (environment): LAB_STUDENTS (50), LAB_FPS (20), LAB_PHASE_S (10), LAB_PHASES
# ("clean loss1 loss5"), KEEP_WORK=1 keeps the stats files.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/netlab.sh"

T_START=$(lab_now_ms)
command -v nft >/dev/null || skip "nft (nftables) not installed"
ip netns add "$LAB_ID-probe" 2>/dev/null || skip "cannot create named network namespaces"
ip netns del "$LAB_ID-probe"

NSTUD=${LAB_STUDENTS:-50}
PHASE_S=${LAB_PHASE_S:-10}
PHASES=${LAB_PHASES:-clean loss1 loss5}
CH=7
# 20 fps, a usual rate for a screen broadcast. Every frame also carries the
# teacher's signature in a packet of its own: at this bitrate a frame is one
# or two packets, so signing adds ~60 % packets, and this harness delivers
# each packet into 50 namespaces on one machine (at 30 fps the kernel's share
# starved the teacher, which then sent fewer frames: a test-bed limit, not
# the LAN's, where the switch copies multicast).
FPS=${LAB_FPS:-20}

# --- command lines: authenticated and encrypted, as deployed ---------------
"$TEACHER" keygen "$WORK/class.key" >/dev/null
CAST_AUTH="--key $WORK/class.key"
TEACHER_CMD="$TEACHER --headless $CAST_AUTH --ctl-socket $WORK/teacher.sock --source testpattern --size 320x180 --fps $FPS --bitrate 300 --channel $CH"
STUDENT_CMD="$STUDENT --headless $CAST_AUTH --check-stamp --channel $CH"

# Targets per phase: loss (per mille); the longest frozen period allowed for
# any student and for the median student (ms); the smallest fraction of the
# teacher's frames decoded. 51 hosts on two cores are noisy: over 7 runs
# (signed media, 20 and 30 fps) the median student's longest freeze was
# 83-196 ms clean, 105-241 ms at 1 % and 327-658 ms at 5 %, the worst
# student's 264, 568 and 1008 ms. The bounds leave ~2x over that, so a
# regression (repair not answered: frozen until the next intra refresh
# cycle, or corrupt pictures, which fail at once) still shows.
phase_loss() { case $1 in clean) echo 0 ;; loss1) echo 10 ;; loss5) echo 50 ;; esac; }
phase_max_gap() { case $1 in clean) echo 1000 ;; loss1) echo 1000 ;; loss5) echo 2000 ;; esac; }
phase_med_gap() { case $1 in clean) echo 400 ;; loss1) echo 500 ;; loss5) echo 1200 ;; esac; }
# The fraction of frames decoded: the worst student's bound leaves room for
# one freeze within the bound above (at 5 % a 1.2 s freeze in a 10 s phase,
# of which ~8 s are shown, is 13 % of the frames; seen once in CI); the
# median student's bound (0.95 in every phase) catches frames lost to all.
phase_min_frac() { case $1 in clean) echo 0.95 ;; loss1) echo 0.85 ;; loss5) echo 0.75 ;; esac; }
MED_FRAC=0.95

lab_up $((NSTUD + 1))
echo "lab_up $((NSTUD + 1)) hosts: $LAB_UP_MS ms"
lab_exec 1 nft list tables >/dev/null 2>&1 || skip "nft does not work inside a network namespace"

nphases=$(echo $PHASES | wc -w)
# shellcheck disable=SC2086
# Stopped by SIGINT after the last phase; its own limit is only a backstop
# (starting 50 students takes a few seconds of each phase).
lab_bg 0 $TEACHER_CMD --duration $((nphases * (PHASE_S + 60) + 60)) \
	--stats "$WORK/teacher.json" 2>"$WORK/teacher.err"
TPID=$LAB_PID
sleep 1
kill -0 $TPID 2>/dev/null || { cat "$WORK/teacher.err"; fail "teacher did not start"; }

cat >"$WORK/analyze.py" <<'PY'
import json, sys, statistics as st
phase, dur, permille, max_gap, min_frac, med_gap, med_frac = sys.argv[1], float(sys.argv[2]), int(sys.argv[3]), float(sys.argv[4]), float(sys.argv[5]), float(sys.argv[6]), float(sys.argv[7])
files, drops = sys.argv[8:-1:2], sys.argv[9:-1:2]
fps = float(sys.argv[-1])
fails, rows = [], []
for path, dropped in zip(files, drops):
    name = path.rsplit("/", 1)[-1].split(".")[1]
    lines = [l for l in open(path) if '"final":true' in l]
    if not lines:
        fails.append("%s: no final stats line (crashed?)" % name); continue
    s = json.loads(lines[-1])
    stamp = s.get("stamp", {"ok": 0, "bad": 0, "disorder": 0, "skipped": 0})
    fp = s.get("first_picture_ms", -1)
    # Frames the teacher sent while this student was showing pictures.
    shown = stamp["ok"] + stamp["skipped"]
    frac = stamp["ok"] / shown if shown else 0.0
    expect = fps * (dur - max(fp, 0) / 1000.0)
    lat = s.get("latency_ms", {})
    r = dict(name=name, ok=stamp["ok"], bad=stamp["bad"], dis=stamp["disorder"],
             skip=stamp["skipped"], frac=frac, expect=expect, gap=s.get("max_gap_ms", -1),
             fp=fp, p50=lat.get("p50", 0), p99=lat.get("p99", 0), latn=lat.get("count", 0),
             lost=s.get("packets_lost", 0), rec=s.get("packets_recovered", 0),
             rx=s.get("packets_received", 0), dmg=s.get("frames_damaged", 0),
             arrived=int(dropped.split(":")[0]), dropped=int(dropped.split(":")[1]))
    rows.append(r)
    why = []
    if stamp["bad"]: why.append("%d corrupt pictures (stamp.bad)" % stamp["bad"])
    if stamp["disorder"]: why.append("%d frames out of order" % stamp["disorder"])
    if r["latn"] <= 0 or r["p50"] <= 0: why.append("no latency measured")
    if fp < 0: why.append("never showed a picture")
    if r["gap"] > max_gap: why.append("frozen %.0f ms > %.0f ms" % (r["gap"], max_gap))
    if frac < min_frac: why.append("decoded %.1f%% of frames < %.0f%%" % (100 * frac, 100 * min_frac))
    if permille == 0:
        # The fraction above already says every frame sent arrived; this
        # only catches a student that showed pictures for far less of the
        # phase than it ran. The teacher itself sends fewer than FPS when
        # 51 hosts share two cores (140-156 of ~160 once in CI, every one
        # decoded).
        if stamp["ok"] < 0.85 * expect: why.append("only %d frames decoded, expected ~%.0f" % (stamp["ok"], expect))
        if r["lost"]: why.append("%d packets lost on a loss-free LAN" % r["lost"])
    if why: fails.append("%s: %s" % (name, "; ".join(why)))

def summ(key, fmt="%.0f"):
    v = [r[key] for r in rows]
    if not v: return "-"
    return (fmt + " / " + fmt + " / " + fmt) % (min(v), st.median(v), max(v))

ar = sum(r["arrived"] for r in rows); dr = sum(r["dropped"] for r in rows)
print("phase %s: %d students, %.0f s, loss %.1f%% (nft dropped %d of %d UDP packets = %.2f%%)" % (
    phase, len(files), dur, permille / 10.0, dr, ar, 100.0 * dr / ar if ar else 0))
print("  %-26s %s" % ("", "min / median / max"))
for label, key, fmt in [("frames decoded (stamp.ok)", "ok", "%.0f"), ("fraction decoded", "frac", "%.3f"),
                        ("max_gap_ms", "gap", "%.0f"), ("first_picture_ms", "fp", "%.0f"),
                        ("latency p50 ms", "p50", "%.1f"), ("latency p99 ms", "p99", "%.1f"),
                        ("packets_lost", "lost", "%.0f"), ("packets_recovered", "rec", "%.0f"),
                        ("frames_damaged", "dmg", "%.0f"), ("stamp.bad", "bad", "%.0f"),
                        ("stamp.disorder", "dis", "%.0f")]:
    print("  %-26s %s" % (label, summ(key, fmt)))
over = sum(1 for r in rows if r["gap"] > max_gap)
print("  students frozen > %.0f ms: %d of %d; with a corrupt picture: %d; out of order: %d" % (
    max_gap, over, len(files), sum(1 for r in rows if r["bad"]), sum(1 for r in rows if r["dis"])))
print("RESULT %s" % json.dumps({"phase": phase, "students": len(files), "loss_permille": permille,
      "failed_students": len(fails),
      "frac_min": round(min([r["frac"] for r in rows] or [0]), 4),
      "frac_median": round(st.median([r["frac"] for r in rows] or [0]), 4),
      "max_gap_ms_max": max([r["gap"] for r in rows] or [0]),
      "max_gap_ms_median": st.median([r["gap"] for r in rows] or [0]),
      "bad_total": sum(r["bad"] for r in rows), "disorder_total": sum(r["dis"] for r in rows),
      "recovered_total": sum(r["rec"] for r in rows), "lost_total": sum(r["lost"] for r in rows)}))
gaps = [r["gap"] for r in rows]
if gaps and st.median(gaps) > med_gap:
    fails.append("the median student's longest freeze %.0f ms > %.0f ms" % (st.median(gaps), med_gap))
fracs = [r["frac"] for r in rows]
if fracs and st.median(fracs) < med_frac:
    fails.append("the median student decoded %.1f%% of frames < %.0f%%" % (100 * st.median(fracs), 100 * med_frac))
for f in fails[:12]:
    print("  FAIL " + f)
if len(fails) > 12:
    print("  ... and %d more students failed" % (len(fails) - 12))
sys.exit(1 if fails else 0)
PY

FAILED=""
for phase in $PHASES; do
	p=$(phase_loss $phase)
	i=1
	while [ $i -le "$NSTUD" ]; do
		lab_loss $i "$p"
		i=$((i + 1))
	done
	spids=""
	i=1
	while [ $i -le "$NSTUD" ]; do
		# shellcheck disable=SC2086
		lab_bg $i $STUDENT_CMD --id "s$i" --state-dir "$WORK/st$i" --local-socket "$WORK/st$i.sock" --duration "$PHASE_S" \
			--stats "$WORK/$phase.s$i.json" 2>"$WORK/$phase.s$i.err"
		spids="$spids $LAB_PID"
		i=$((i + 1))
	done
	t0=$(lab_now_ms)
	# shellcheck disable=SC2086
	wait $spids || true
	args=""
	i=1
	while [ $i -le "$NSTUD" ]; do
		args="$args $WORK/$phase.s$i.json $(lab_loss_count $i | tr ' ' :)"
		i=$((i + 1))
	done
	echo "--- phase $phase: students ran $(($(lab_now_ms) - t0)) ms"
	# shellcheck disable=SC2086
	python3 "$WORK/analyze.py" $phase "$PHASE_S" "$p" "$(phase_max_gap $phase)" \
		"$(phase_min_frac $phase)" "$(phase_med_gap $phase)" "$MED_FRAC" $args "$FPS" || FAILED="$FAILED $phase"
	kill -0 $TPID 2>/dev/null || { FAILED="$FAILED teacher-died"; break; }
done

kill -INT $TPID 2>/dev/null || true
wait $TPID || FAILED="$FAILED teacher-exit"
check "$WORK/teacher.json" "s['frames_sent'] >= $FPS * $nphases * $PHASE_S * 0.9" \
	"teacher sent too few frames" || FAILED="$FAILED teacher-frames"
python3 -c "import json,sys; s=json.loads(sys.argv[1]); print('teacher: frames_sent %d, packets_sent %d, bytes_sent %d, cpu_pct %.1f; retransmit keys: %s' % (s['frames_sent'], s['packets_sent'], s['bytes_sent'], s['cpu_pct'], {k: v for k, v in s.items() if 'retrans' in k or 'nack' in k or 'pli' in k} or 'none'))" \
	"$(final_stats "$WORK/teacher.json")" || true
echo "whole test: $(($(lab_now_ms) - T_START)) ms (lab_up $LAB_UP_MS ms)"
[ -z "$FAILED" ] || fail "phases failed:$FAILED"
echo "PASS"
