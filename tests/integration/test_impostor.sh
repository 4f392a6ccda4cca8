#!/bin/sh
# A student PC is not a teacher: a host holding a copy of everything a
# student PC holds (its class key file: the class code and the teachers'
# fingerprints) runs its own teacher on the class's channel, before the real
# one. No honest student connects to it or obeys it: its beacons are not a
# listed teacher's, and a student pointed at it directly refuses its
# WELCOME (no media key, no command, no file, no page, no broadcast stop).
# When the real teacher starts, the same students join it.
. "$(dirname "$0")/lib.sh"

CH=29
"$TEACHER" keygen "$WORK/class.key" >/dev/null
# What the attacker has: the students' file (code and fingerprints), and a
# signing key of its own for the same class code.
cp "$WORK/class.key" "$WORK/stolen.key"
code=$(sed -n 's/^code = //p' "$WORK/stolen.key")
"$TEACHER" keygen "$WORK/rogue.key" --code "$code" >/dev/null
# The attacker may also list itself in its own copy: still not in the
# students' file.
grep -q '^teacher = ' "$WORK/rogue.key" || fail "keygen wrote no teacher line"
[ "$(stat -c %a "$WORK/class.key.teacher")" = 600 ] || fail "the teacher's file is not 0600"
grep -q signing_key "$WORK/class.key" && fail "the students' file holds the signing key"

# A student refuses the teacher's own file.
"$STUDENT" --headless --key "$WORK/class.key.teacher" --channel $CH \
	--duration 1 >"$WORK/refuse.out" 2>&1 && fail "a student took a teacher's own key file"
grep -q "teacher's own key file" "$WORK/refuse.out" || fail "no clear refusal: $(cat "$WORK/refuse.out")"

RSOCK=$WORK/rogue.sock
bg "$TEACHER" --headless --key "$WORK/rogue.key" --ctl-socket "$RSOCK" \
	--source testpattern --size 320x180 --channel $CH \
	--duration $((30 * CAST_SLACK))
RPID=$!
student() { # id [flags]
	id=$1
	shift
	mkdir -p "$WORK/$id"
	bg "$STUDENT" --headless --key "$WORK/class.key" --channel $CH \
		--id "$id" --state-dir "$WORK/$id" --local-socket "$WORK/$id.sock" \
		--inbox "$WORK/$id/inbox" --duration $((60 * CAST_SLACK)) \
		--stats "$WORK/$id.json" "$@"
	SPIDS="${SPIDS:-} $!"
}
student s1
student s2 --teacher 127.0.0.1
# The rogue answers (a loaded machine starts it slowly), then the students
# have had two seconds to find it.
i=0
until "$TEACHER" ctl --socket "$RSOCK" class >/dev/null 2>&1; do
	i=$((i + 1))
	[ $i -lt $((150 * CAST_SLACK)) ] || fail "the rogue teacher did not start"
	sleep 0.2
done
sleep 2
# The rogue orders what it can: nobody is there to obey.
"$TEACHER" ctl --socket "$RSOCK" class >"$WORK/rclass.json"
python3 -c "import json,sys; c=json.load(open(sys.argv[1])); assert not [s for s in c['students'] if s['online']], c" \
	"$WORK/rclass.json" || fail "a student joined the impostor: $(cat "$WORK/rclass.json")"
"$TEACHER" ctl --socket "$RSOCK" lock notice=pwned >/dev/null 2>&1 || true
"$TEACHER" ctl --socket "$RSOCK" web url=https://evil.example/ >/dev/null 2>&1 || true
# Nor can it release the students' screens by "stopping the broadcast".
"$TEACHER" ctl --socket "$RSOCK" broadcast off >/dev/null 2>&1 || true
sleep 3
for s in s1 s2; do
	"$STUDENT" ctl --socket "$WORK/$s.sock" state >"$WORK/$s.state"
	python3 -c "import json,sys; s=json.load(open(sys.argv[1])); assert not s['connected'] and not s['class']['locked'] and s['class']['urls_opened'] == 0 and s['class']['broadcast_on'], s" \
		"$WORK/$s.state" || fail "$s obeyed the impostor: $(cat "$WORK/$s.state")"
done
kill "$RPID" 2>/dev/null || true
wait "$RPID" 2>/dev/null || true

# The real teacher: the same students join it.
TSOCK=$WORK/teacher.sock
bg "$TEACHER" --headless --key "$WORK/class.key" --ctl-socket "$TSOCK" \
	--source testpattern --size 320x180 --channel $CH --duration $((60 * CAST_SLACK)) \
	--stats "$WORK/t.json"
TPID=$!
i=0
until "$TEACHER" ctl --socket "$TSOCK" class 2>/dev/null |
	python3 -c "import json,sys; c=json.load(sys.stdin); sys.exit(0 if sum(1 for s in c['students'] if s['online']) == 2 else 1)" 2>/dev/null; do
	i=$((i + 1))
	[ $i -lt $((100 * CAST_SLACK)) ] || fail "the students did not join the real teacher"
	sleep 0.2
done
"$TEACHER" ctl --socket "$TSOCK" lock notice=real >/dev/null || fail "lock refused"
i=0
until "$STUDENT" ctl --socket "$WORK/s1.sock" state | grep -q '"locked":true'; do
	i=$((i + 1))
	[ $i -lt $((50 * CAST_SLACK)) ] || fail "s1 did not obey the real teacher"
	sleep 0.2
done
# Students stop on SIGTERM with their final stats; then the teacher.
# shellcheck disable=SC2086
kill $SPIDS
# shellcheck disable=SC2086
wait $SPIDS || true
kill "$TPID" 2>/dev/null || true
wait "$TPID" 2>/dev/null || true
check "$WORK/s1.json" "s['control']['beacons_untrusted'] > 3" "the impostor's beacons were not told apart"
check "$WORK/s2.json" "s['control']['untrusted_teachers'] >= 1" "the impostor's WELCOME was not refused"
check "$WORK/s1.json" "s['frames_decoded'] > 0" "s1 never showed the real teacher"
echo "PASS"
