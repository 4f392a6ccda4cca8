#!/bin/sh
# Remote power: with no --poweroff-cmd/--reboot-cmd a student runs the
# platform's own command (systemctl poweroff / reboot), waits for it and
# reports its real outcome; `cast-teacher ctl power` waits for the replies
# and says ok only when every targeted student succeeded. Fake systemctl
# programs first in each student's PATH stand in for the real one.
. "$(dirname "$0")/lib.sh"

CH=23
"$TEACHER" keygen "$WORK/class.key" >/dev/null
TSOCK=$WORK/teacher.sock
T() { "$TEACHER" ctl --socket "$TSOCK" "$@"; }
# json FILE PYTHON-EXPR: EXPR on the parsed document `r` must hold.
json() {
	python3 -c 'import json,sys; r=json.load(open(sys.argv[1])); sys.exit(0 if eval(sys.argv[2]) else 1)' "$1" "$2" ||
		fail "$2: $(cat "$1")"
}

# p1: a systemctl that records its arguments and succeeds; p2: one that
# fails; p3: no systemctl at all.
mkdir -p "$WORK/ok" "$WORK/bad" "$WORK/none"
cat >"$WORK/ok/systemctl" <<SH
#!/bin/sh
echo "\$*" >>"$WORK/p1.args"
SH
cat >"$WORK/bad/systemctl" <<SH
#!/bin/sh
echo "\$*" >>"$WORK/p2.args"
exit 1
SH
chmod +x "$WORK/ok/systemctl" "$WORK/bad/systemctl"

bg "$TEACHER" --headless --key "$WORK/class.key" --ctl-socket "$TSOCK" \
	--source testpattern --size 320x180 --channel $CH --duration 60
student() { # id PATH
	mkdir -p "$WORK/$1"
	(cd "$WORK/$1" && PATH=$2 exec "$STUDENT" --headless \
		--key "$WORK/class.key" --channel $CH --id "$1" \
		--state-dir "$WORK/$1" --local-socket "$WORK/$1.sock" \
		--duration 55) &
	PIDS="$PIDS $!"
}
student p1 "$WORK/ok"
student p2 "$WORK/bad"
student p3 "$WORK/none"
online() {
	T students | python3 -c "import json,sys; print(sum(1 for s in json.load(sys.stdin)['students'] if s['online']))"
}
i=0
while [ "$(online 2>/dev/null || echo 0)" -lt 3 ] && [ $i -lt 100 ]; do sleep 0.2; i=$((i + 1)); done
[ "$(online)" -eq 3 ] || fail "three students did not sign in: $(T students)"

echo "-- systemctl poweroff, and its success reported"
T power off --to p1 >"$WORK/r1.json" || fail "power off p1: $(cat "$WORK/r1.json")"
json "$WORK/r1.json" "r['ok'] is True and [(s['id'], s['ok']) for s in r['students']] == [('p1', True)]"
[ "$(cat "$WORK/p1.args")" = "poweroff" ] || fail "p1 ran systemctl '$(cat "$WORK/p1.args")'"

echo "-- systemctl reboot"
T power restart --to p1 >"$WORK/r2.json" || fail "power restart p1: $(cat "$WORK/r2.json")"
json "$WORK/r2.json" "r['ok'] is True"
[ "$(tail -n 1 "$WORK/p1.args")" = "reboot" ] || fail "p1 ran systemctl '$(tail -n 1 "$WORK/p1.args")'"

echo "-- a failing command is an error naming the student"
T power off --to p2 >"$WORK/r3.json" && fail "a failed poweroff was reported ok: $(cat "$WORK/r3.json")"
json "$WORK/r3.json" "r['ok'] is False and r['students'][0]['id'] == 'p2' and not r['students'][0]['ok'] and r['students'][0]['error']"
[ "$(cat "$WORK/p2.args")" = "poweroff" ] || fail "p2 ran systemctl '$(cat "$WORK/p2.args")'"

echo "-- no command and no systemctl: an error, never ok"
T power off --to p3 >"$WORK/r4.json" && fail "a poweroff without any command was reported ok: $(cat "$WORK/r4.json")"
json "$WORK/r4.json" "r['ok'] is False and r['students'][0]['id'] == 'p3' and not r['students'][0]['ok']"

echo "-- everyone: one outcome per student"
T power restart --to all >"$WORK/r5.json" && fail "power --to all with failures was reported ok"
json "$WORK/r5.json" "r['ok'] is False and sorted((s['id'], s['ok']) for s in r['students']) == [('p1', True), ('p2', False), ('p3', False)]"
cat "$WORK/r5.json"

echo "-- refused at once: still one JSON document"
T power off >"$WORK/r6.json" && fail "power off without --to was accepted"
json "$WORK/r6.json" "r.get('ok') is False or 'error' in r"
echo "PASS"
