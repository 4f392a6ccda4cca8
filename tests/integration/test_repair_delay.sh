#!/bin/sh
# Repair rounds (--repair-delay) on a lossy LAN: 20 students on a private
# bridged LAN (netlab.sh), each losing 5 % of what arrives, of the teacher's
# default stream, a 1920x1080 test pattern at 2 Mbit/s (~230 packets/s, in
# 128-packet blocks of ~0.56 s; answered at once its repair costs ~500
# kbit/s, clearly above the 250 kbit/s where rounds start). The same 12 s
# are run twice: requests answered at once (--repair-delay 6), and gathered
# until each block is sent, with an earlier round for most students after
# 300 ms (--repair-delay 300). Two students decode and check every picture
# (correct, in order; no freeze over 1 s at once, 1.5 s in rounds, which
# wait for the block); the others receive and repair only (--no-decode) and
# must lose next to nothing: at most 2.5 % of what they received (one of 18
# such students once lost 1.7 % in rounds, 54 packets, on the 2-core build
# machine; the earlier 1 % bound failed there one run in six). Rounds must cost clearly less repair
# (retransmit_bytes / bytes_sent): a round costs only the worst student's
# losses in it, and a repair lost on the way is replaced (the students'
# repair-state reports), never waited for.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/netlab.sh"

command -v nft >/dev/null || skip "nft (nftables) not installed"
ip netns add "$LAB_ID-probe" 2>/dev/null || skip "cannot create named network namespaces"
ip netns del "$LAB_ID-probe"

N=20
CH=7
"$TEACHER" keygen "$WORK/class.key" >/dev/null
CAST_AUTH="--key $WORK/class.key"
TEACHER_CMD="$TEACHER --headless $CAST_AUTH --source testpattern --size 1920x1080 --fps 30 --bitrate 2000 --channel $CH"
STUDENT_CMD="$STUDENT --headless $CAST_AUTH --channel $CH"

lab_up $((N + 1))
lab_exec 1 nft list tables >/dev/null 2>&1 || skip "nft does not work inside a network namespace"
i=1
while [ $i -le $N ]; do
	lab_loss $i 50
	i=$((i + 1))
done

# run NAME [TEACHER OPTIONS]
run() {
	name=$1
	gap=$2
	shift 2
	spids=""
	i=1
	while [ $i -le $N ]; do
		if [ $i -le 2 ]; then how=--check-stamp; else how=--no-decode; fi
		# shellcheck disable=SC2086
		lab_bg $i $STUDENT_CMD $how --id "s$i" --state-dir "$WORK/$name.st$i" \
			--local-socket "$WORK/$name.st$i.sock" --duration 13 \
			--stats "$WORK/$name.s$i.json" 2>/dev/null
		spids="$spids $LAB_PID"
		i=$((i + 1))
	done
	# shellcheck disable=SC2086
	lab_bg 0 $TEACHER_CMD "$@" --duration 12 --stats "$WORK/$name.t.json" \
		2>"$WORK/$name.t.err"
	# shellcheck disable=SC2086
	wait $LAB_PID $spids || true
	for i in 1 2; do
		check "$WORK/$name.s$i.json" \
			"s['stamp']['ok'] >= 200 and s['stamp']['bad'] == 0 and s['stamp']['disorder'] == 0" \
			"$name: student s$i did not show correct frames in order"
		check "$WORK/$name.s$i.json" "s['max_gap_ms'] <= $gap" \
			"$name: student s$i froze longer than $gap ms"
	done
	i=3
	while [ $i -le $N ]; do
		check "$WORK/$name.s$i.json" \
			"s['frames_decoded'] >= 200 and s['packets_lost'] <= 0.025 * s['packets_received'] and s['max_gap_ms'] <= $gap" \
			"$name: student s$i lost too much or froze"
		i=$((i + 1))
	done
	python3 - "$WORK/$name.t.json" "$name" <<'PY'
import json, sys
s = [json.loads(l) for l in open(sys.argv[1]) if '"final":true' in l][-1]
print("%s: repair %.1f %% of the stream (%d repairs, %d of %d bytes)" % (
    sys.argv[2], 100.0 * s["retransmit_bytes"] / s["bytes_sent"], s["packets_retransmitted"],
    s["retransmit_bytes"], s["bytes_sent"]))
PY
}

# Rounds wait for the block (128 packets, ~0.56 s here), and a repair lost
# on the way costs one more round: up to ~1 s on a loaded machine. Under
# the sanitizers (CAST_TIMING_SLACK) everything takes longer.
slack=${CAST_TIMING_SLACK:-1}
run atonce $((1000 * slack)) --repair-delay 6
run delayed $((1500 * slack)) --repair-delay 300
# Rounds cost 0.48-0.63 of answering at once in CI runs, once 0.80 (a
# run where one more round per block went out): the bound is where rounds
# that saved nothing (about 1.0) fail and such a run does not.
python3 - "$WORK/atonce.t.json" "$WORK/delayed.t.json" <<'PY' || fail "repair rounds did not save repair bandwidth"
import json, sys
def final(p):
    return [json.loads(l) for l in open(p) if '"final":true' in l][-1]
a, b = final(sys.argv[1]), final(sys.argv[2])
oa = a["retransmit_bytes"] / a["bytes_sent"]
ob = b["retransmit_bytes"] / b["bytes_sent"]
print("repair overhead: at once %.3f, in rounds %.3f (ratio %.2f)" % (oa, ob, ob / oa))
sys.exit(0 if ob < 0.9 * oa else 1)
PY
echo "PASS"
