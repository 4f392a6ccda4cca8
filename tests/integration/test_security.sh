#!/bin/sh
# Security: only the class's authenticated teacher is shown or obeyed.
# A hostile process on the LAN forges RTP, replays and tampers genuine SRTP
# packets, forges beacons and opens junk control connections; a student with
# another class's key tries to join. The genuine student keeps showing the
# teacher's frames in order, counts what it dropped, and the wrong-key
# student shows nothing.
. "$(dirname "$0")/lib.sh"

CH=9
"$TEACHER" keygen "$WORK/class.key" >/dev/null
"$TEACHER" keygen "$WORK/other.key" >/dev/null
SOCK=$WORK/teacher.sock
bg "$TEACHER" --headless --key "$WORK/class.key" --ctl-socket "$SOCK" \
	--source testpattern --size 640x360 --channel $CH --duration 14 \
	--stats "$WORK/t.json"
bg "$STUDENT" --headless --key "$WORK/class.key" --id good --check-stamp \
	--channel $CH --duration 12 --stats "$WORK/good.json"
bg "$STUDENT" --headless --key "$WORK/other.key" --id intruder --check-stamp \
	--channel $CH --duration 12 --stats "$WORK/wrong.json"
# The intruder also knocks on the control port directly (TLS with a wrong key).
bg "$STUDENT" --headless --key "$WORK/other.key" --id knocker --teacher 127.0.0.1 \
	--channel $CH --duration 10 --stats "$WORK/knock.json"
sleep 3
python3 "$(dirname "$0")/attacker.py" 239.255.0.$CH 400${CH}0 400${CH}4 400${CH}5 7 $CH \
	>"$WORK/attack.json"
wait

cat "$WORK/attack.json"
check "$WORK/attack.json" "s['captured'] > 0 and s['forged'] > 50 and s['replayed'] > 100" \
	"the attacker did not get to attack"
# The genuine student: every picture the teacher's, in order, nothing else.
check "$WORK/good.json" "s['control']['connected'] or s['control']['connects'] >= 1" "good student never joined"
check "$WORK/good.json" "s['stamp']['ok'] >= 200" "good student showed too few frames"
check "$WORK/good.json" "s['stamp']['bad'] == 0 and s['stamp']['disorder'] == 0" \
	"good student showed a forged or replayed picture"
check "$WORK/good.json" "s['auth_failures'] > 50" "forged packets were not rejected as forged"
check "$WORK/good.json" "s['replays'] > 100" "replayed packets were not caught"
check "$WORK/good.json" "s['control']['beacons_rejected'] > 10" "forged beacons were not rejected"
# The wrong-key students: no picture, no WELCOME, refused by the teacher.
for f in wrong knock; do
	check "$WORK/$f.json" "s['frames_decoded'] == 0" "$f decoded the class's stream"
	check "$WORK/$f.json" "s['control']['connects'] == 0" "$f was welcomed by the teacher"
done
check "$WORK/wrong.json" "s['control']['beacons_rejected'] > 5" "wrong-key student trusted the teacher's beacons"
check "$WORK/knock.json" "s['control']['auth_failures'] >= 1" "wrong-key handshake did not fail"
check "$WORK/t.json" "s['control']['auth_failures'] >= 2" "teacher did not count the failed handshakes"
check "$WORK/t.json" "s['control']['students_online'] == 1 or s['control']['joins'] == 1" \
	"someone other than the genuine student joined"
echo "PASS"
