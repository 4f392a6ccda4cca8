#!/bin/sh
# The student agent as the system runs it (assets/systemd): the unit the
# build makes is valid for systemd (systemd-analyze verify, with its paths
# pointed at this build), restarts the agent whenever it ends (Restart=always,
# no start limit), and its command line, run as systemd runs it, joins the
# class. Killed (SIGKILL) and started again by the same line, the agent is
# online again and shows the lock the teacher had set, by itself.
. "$(dirname "$0")/lib.sh"

UNIT=$BUILD/systemd/cast-student.service
[ -f "$UNIT" ] || fail "the build made no $UNIT"
grep -qx 'Restart=always' "$UNIT" || fail "the unit does not restart the agent"
grep -qx 'StartLimitIntervalSec=0' "$UNIT" || fail "the unit gives up after a few kills"
grep -q '^ExecStart=.*/cast-student --config ' "$UNIT" || fail "ExecStart: $(grep ExecStart "$UNIT")"
conf=$(sed -n 's/^ExecStart=.* --config //p' "$UNIT")

# The same unit with this build's program and a settings file of the test's.
CONF=$WORK/student.conf
sed -e "s|^ExecStart=[^ ]*|ExecStart=$STUDENT|" -e "s|$conf|$CONF|g" \
	"$UNIT" >"$WORK/cast-student.service"
: >"$CONF"
if command -v systemd-analyze >/dev/null; then
	(cd "$WORK" && systemd-analyze verify ./cast-student.service) \
		>"$WORK/verify.out" 2>&1 || fail "systemd-analyze: $(cat "$WORK/verify.out")"
	# It reports problems it ignores on stderr, with a zero status.
	grep -v "RuntimeDirectory\|initialize manager" "$WORK/verify.out" | grep -q . &&
		fail "systemd-analyze: $(cat "$WORK/verify.out")"
else
	echo "systemd-analyze not installed: unit syntax not checked"
fi

CH=31
"$TEACHER" keygen "$WORK/class.key" >/dev/null
TSOCK=$WORK/teacher.sock
T() { "$TEACHER" ctl --socket "$TSOCK" "$@"; }
cat >"$CONF" <<CONF
# as a lab image holds it
key = $WORK/class.key
channel = $CH
id = seat7
headless = true
state-dir = $WORK/seat7
local-socket = $WORK/seat7.sock
CONF
bg "$TEACHER" --headless --key "$WORK/class.key" --ctl-socket "$TSOCK" \
	--source testpattern --size 320x180 --fps 5 --channel $CH \
	--duration $((90 * CAST_SLACK))
exec_line=$(sed -n 's/^ExecStart=//p' "$WORK/cast-student.service")

online() {
	T class 2>/dev/null | python3 -c "
import json,sys
c = {s['id']: s for s in json.load(sys.stdin)['students']}
sys.exit(0 if c.get('seat7', {}).get('online') else 1)"
}
locked() {
	"$STUDENT" ctl --socket "$WORK/seat7.sock" state 2>/dev/null |
		python3 -c "import json,sys; sys.exit(0 if json.load(sys.stdin)['class']['locked'] else 1)"
}
wait_for() { # WHAT TRIES COMMAND...
	what=$1 n=$2
	shift 2
	i=0
	until "$@"; do
		i=$((i + 1))
		[ $i -lt $((n * CAST_SLACK)) ] || fail "$what"
		sleep 0.2
	done
}

# shellcheck disable=SC2086
$exec_line >"$WORK/agent1.log" 2>&1 &
A=$!
PIDS="$PIDS $A"
wait_for "the agent never joined: $(cat "$WORK/agent1.log")" 75 online
T lock notice=eyes-front >/dev/null || fail "lock refused"
wait_for "the agent did not lock" 50 locked

kill -KILL "$A"
wait "$A" 2>/dev/null || true
offline() { ! online; }
wait_for "the teacher still shows the killed agent online" 50 offline
sleep 1 # RestartSec=1
start=$(date +%s)
# shellcheck disable=SC2086
$exec_line >"$WORK/agent2.log" 2>&1 &
PIDS="$PIDS $!"
wait_for "the restarted agent never came back: $(cat "$WORK/agent2.log")" 75 online
wait_for "the restarted agent does not show the teacher's lock" 50 locked
echo "restarted agent online and locked again in $(($(date +%s) - start)) s"
echo "PASS"
