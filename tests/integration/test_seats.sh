#!/bin/sh
# Cloned seats on a private 11-host LAN (netlab.sh): every student starts
# from a copy of ONE home folder (same state dir, and the same
# /etc/machine-id: the namespaces share this machine's), as a lab restored
# from one image does.
#  a. no --id: the 10 seats present 10 distinct ids, each "seat-" and its
#     own eth0 MAC, none flagged as a conflict;
#  b. all with the same --id (clones presenting one identity): all 10 stay
#     online, named "clone", "clone#2" … "clone#10", each flagged as a
#     conflict; over ~8 s no connection replaces another (the teacher's
#     joins stay 10, leaves 0) and every seat shows the broadcast; a
#     command to "clone#N" reaches that seat only.
# Timeouts scale with CAST_TIMING_SLACK.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/netlab.sh"

T_START=$(lab_now_ms)
ip netns add "$LAB_ID-probe" 2>/dev/null || skip "cannot create named network namespaces"
ip netns del "$LAB_ID-probe"

SLACK=${CAST_TIMING_SLACK:-1}
N=10
CH=9
TSOCK="$WORK/teacher.sock"
"$TEACHER" keygen "$WORK/class.key" >/dev/null
T() { "$TEACHER" ctl --socket "$TSOCK" "$@"; }
# locked HOST: whether that seat's student says it is locked.
# locked HOST: whether that seat shows the lock. A student too busy to
# answer its local socket at once is asked again, not counted unlocked.
locked() {
	_st=""
	for _try in 1 2 3 4 5; do
		_st=$("$STUDENT" ctl --socket "$WORK/b$1/s.sock" state 2>/dev/null) && break
		sleep 0.3
	done
	echo "$_st" |
		python3 -c "import json,sys; sys.exit(0 if json.load(sys.stdin)['class']['locked'] else 1)" 2>/dev/null
}

lab_up $((N + 1))
echo "lab_up $((N + 1)) hosts: $LAB_UP_MS ms"

lab_bg 0 "$TEACHER" --headless --key "$WORK/class.key" --ctl-socket "$TSOCK" \
	--source testpattern --size 320x180 --fps 15 --bitrate 200 \
	--channel $CH --duration $((60 * SLACK)) --stats "$WORK/t.json" \
	2>"$WORK/teacher.err"
TPID=$LAB_PID

# The image every seat is cloned from: one home with the student's state.
mkdir -p "$WORK/image/.local/state/libcast/ch$CH" "$WORK/image/libcast/inbox"

# seats PHASE DURATION [flags]: N students, each in its own host, each from
# a fresh copy of the image as its HOME (state dir and inbox inside it).
seats() {
	phase=$1 dur=$2
	shift 2
	SPIDS=""
	i=1
	while [ $i -le $N ]; do
		rm -rf "$WORK/$phase$i"
		cp -a "$WORK/image" "$WORK/$phase$i"
		lab_bg $i env HOME="$WORK/$phase$i" "$STUDENT" --headless \
			--key "$WORK/class.key" --channel $CH \
			--local-socket "$WORK/$phase$i/s.sock" --duration "$dur" \
			--stats "$WORK/$phase$i.json" "$@" 2>"$WORK/$phase$i.err"
		SPIDS="$SPIDS $LAB_PID"
		i=$((i + 1))
	done
}

# wait_online COUNT TIMEOUT_S: until the teacher has COUNT students online.
wait_online() {
	k=0
	while [ $k -lt $(($2 * 5 * SLACK)) ]; do
		n=$(T stats 2>/dev/null | python3 -c "import json,sys; print(json.load(sys.stdin)['students_online'])" 2>/dev/null || echo 0)
		[ "$n" = "$1" ] && return 0
		sleep 0.2
		k=$((k + 1))
	done
	T stats >"$WORK/stats.fail" 2>&1 || true
	fail "$1 students never online (have $n): $(cat "$WORK/stats.fail")"
}

# The MAC of each host's eth0, "host mac" per line.
i=1
while [ $i -le $N ]; do
	echo "$i $(lab_exec $i cat /sys/class/net/eth0/address)"
	i=$((i + 1))
done >"$WORK/macs"

FAILED=0
echo "--- a. ten clones without --id"
seats a $((10 * SLACK))
wait_online $N 10
T students >"$WORK/a.students"
python3 - "$WORK/a.students" "$WORK/macs" <<'PY' || FAILED=1
import json, sys
st = [s for s in json.load(open(sys.argv[1]))["students"] if s["online"]]
macs = dict(l.split() for l in open(sys.argv[2]))
want = {"10.77.0.%d" % (int(h) + 1): "seat-" + m.replace(":", "") for h, m in macs.items()}
ids = sorted(s["id"] for s in st)
print("ids: %s" % " ".join(ids))
bad = []
if len(set(ids)) != len(want): bad.append("%d distinct ids for %d seats" % (len(set(ids)), len(want)))
for s in st:
    if want.get(s["ip"]) != s["id"]: bad.append("%s presents %s, its MAC says %s" % (s["ip"], s["id"], want.get(s["ip"])))
    if s["conflict"]: bad.append("%s flagged as a conflict" % s["id"])
if len({s["machine_id"] for s in st}) != 1: bad.append("the seats do not share one machine id: not clones")
for b in bad: print("FAIL: " + b)
sys.exit(1 if bad else 0)
PY
# Stopped once every seat has shown a picture (their stats, each second),
# not by the clock; the verdict is on their final stats.
k=0
until python3 - "$WORK" $N <<'PY'
import json, sys
def shown(p):
    try:
        lines = [l for l in open(p) if l.endswith("\n")]
        return bool(lines) and json.loads(lines[-1]).get("frames_decoded", 0) > 0
    except (OSError, ValueError):
        return False
sys.exit(0 if all(shown("%s/a%d.json" % (sys.argv[1], i)) for i in range(1, int(sys.argv[2]) + 1)) else 1)
PY
do
	k=$((k + 1))
	[ $k -lt $((50 * SLACK)) ] || break
	sleep 0.2
done
# shellcheck disable=SC2086
kill -INT $SPIDS 2>/dev/null || true
# shellcheck disable=SC2086
wait $SPIDS || { echo "FAIL: a student of phase a exited with an error"; FAILED=1; }
i=1
while [ $i -le $N ]; do
	check "$WORK/a$i.json" "s['frames_decoded'] > 0" "seat $i (phase a) showed no picture" || FAILED=1
	i=$((i + 1))
done

echo "--- b. ten clones all with --id clone"
wait_online 0 5
T stats >"$WORK/b0.stats"
# Long enough for every check on a loaded machine; stopped after them.
seats b $((60 * SLACK)) --id clone
wait_online $N 10
T stats >"$WORK/b1.stats"
sleep 8
T stats >"$WORK/b2.stats"
T class >"$WORK/b.class"
T students >"$WORK/b.students"
python3 - "$WORK/b0.stats" "$WORK/b1.stats" "$WORK/b2.stats" "$WORK/b.class" <<'PY' || FAILED=1
import json, sys
s0, s1, s2, cl = (json.load(open(p)) for p in sys.argv[1:5])
joins = s2["joins"] - s0["joins"]
leaves = s2["leaves"] - s0["leaves"]
online = [s for s in cl["students"] if s["online"]]
ids = sorted(s["id"] for s in online)
print("over %s: joins %d, leaves %d; online: %s" % ("~8 s", joins, leaves, " ".join(ids)))
bad = []
if joins != 10: bad.append("joins %d != 10 (connections replaced each other?)" % joins)
if leaves != 0: bad.append("leaves %d != 0" % leaves)
if s2["students_online"] != 10: bad.append("%d online" % s2["students_online"])
if set(ids) != {"clone"} | {"clone#%d" % k for k in range(2, 11)}: bad.append("roster ids %s" % ids)
for s in online:
    if not s.get("conflict") or not s.get("conflict_ip") or s.get("conflict_ip") == s["ip"]:
        bad.append("%s not flagged with another seat's address: %s" % (s["id"], s))
    # One identity per seat: its seat id, the id it presented, its MAC.
    if s.get("presented_id") != "clone": bad.append("%s presented %r" % (s["id"], s.get("presented_id")))
macs_seen = [s.get("mac") for s in online]
if len(set(macs_seen)) != 10 or "" in macs_seen: bad.append("class MACs %s" % macs_seen)
for b in bad: print("FAIL: " + b)
sys.exit(1 if bad else 0)
PY
grep -c "replaced by a new connection" "$WORK/teacher.err" >"$WORK/replaced" || true
[ "$(cat "$WORK/replaced")" = 0 ] || { echo "FAIL: the teacher replaced $(cat "$WORK/replaced") connections"; FAILED=1; }

# A command to "clone#2" reaches the seat the roster shows under that name.
H2=$(python3 -c "import json,sys; print([int(s['ip'].split('.')[3]) - 1 for s in json.load(open(sys.argv[1]))['students'] if s['id'] == 'clone#2' and s['online']][0])" "$WORK/b.students")
T lock --to 'clone#2' "notice=seat check" >"$WORK/lock.reply" || { echo "FAIL: lock --to clone#2: $(cat "$WORK/lock.reply")"; FAILED=1; }
k=0
until locked "$H2"; do
	k=$((k + 1))
	[ $k -lt $((25 * SLACK)) ] || { echo "FAIL: clone#2 (host $H2) never locked"; FAILED=1; break; }
	sleep 0.2
done
nlocked=0
i=1
while [ $i -le $N ]; do
	if locked $i; then
		nlocked=$((nlocked + 1))
	fi
	i=$((i + 1))
done
echo "lock --to clone#2: host $H2 locked, $nlocked seat(s) locked in all"
[ $nlocked = 1 ] || { echo "FAIL: $nlocked seats locked, want only clone#2"; FAILED=1; }
T unlock --to 'clone#2' >/dev/null || true

# shellcheck disable=SC2086
kill -INT $SPIDS 2>/dev/null || true
# shellcheck disable=SC2086
wait $SPIDS || { echo "FAIL: a student of phase b exited with an error"; FAILED=1; }
i=1
while [ $i -le $N ]; do
	check "$WORK/b$i.json" "s['frames_decoded'] > 0" "seat $i (phase b) showed no picture" || FAILED=1
	i=$((i + 1))
done
python3 -c "import json,sys; print('frames decoded per seat (phase b): ' + ' '.join(str(json.loads([l for l in open(p) if '\"final\":true' in l][-1])['frames_decoded']) for p in sys.argv[1:]))" \
	"$WORK"/b*.json || true

kill -INT $TPID 2>/dev/null || true
wait $TPID || true
echo "whole test: $(($(lab_now_ms) - T_START)) ms"
[ $FAILED = 0 ] || fail "see above"
echo "PASS"
