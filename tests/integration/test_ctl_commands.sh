#!/bin/sh
# What a new user hit with the classroom commands, each checked on real
# processes: every `ctl` reply is valid JSON; commands of any length up to
# the documented limit arrive whole (newlines, tabs, quotes, Chinese), one
# over it is refused whole and nothing runs; state-setting commands change
# only what they name and refuse bad numbers; lock notices are per student;
# after a teacher restart `ctl class` shows the lock the students still
# have; the asset export escapes what students report and is mode 0600.
. "$(dirname "$0")/lib.sh"

CH=23
export HOME="$WORK/home"
mkdir -p "$HOME"
"$TEACHER" keygen "$WORK/class.key" >/dev/null
TSOCK=$WORK/teacher.sock
# Every reply must parse as one JSON document.
T() {
	"$TEACHER" ctl --socket "$TSOCK" "$@" >"$WORK/reply" && rc=0 || rc=$?
	python3 -c "import json,sys; json.load(open(sys.argv[1]))" \
		"$WORK/reply" || fail "ctl $1: reply is not JSON: $(head -c 300 "$WORK/reply")"
	head -c 2000 "$WORK/reply"
	return $rc
}
teacher() {
	bg "$TEACHER" --headless --key "$WORK/class.key" --ctl-socket "$TSOCK" \
		--source testpattern --size 320x180 --channel $CH \
		--duration $((180 * CAST_SLACK)) \
		--stats "$WORK/t.json" --lesson L1
	TPID=$!
}
teacher
student s1
student s2
# A student whose machine reports a hostname made to look like a formula.
(mkdir -p "$WORK/s3" && cd "$WORK/s3" && exec unshare -u python3 -c '
import os, socket, sys
socket.sethostname("=HYPERLINK(\"http://x\")")
os.execv(sys.argv[1], sys.argv[1:])' \
	"$STUDENT" --headless --key "$WORK/class.key" --channel $CH --id s3 \
	--name "学生s3" --class 3A --state-dir "$WORK/s3" \
	--local-socket "$WORK/s3.sock" --duration $((150 * CAST_SLACK))) &
PIDS="$PIDS $!"
wait_online 3

echo "-- every reply is JSON, also for a file offer"
printf 'hello' >"$WORK/hand-out.txt"
T send path="$WORK/hand-out.txt" --to s1 >/dev/null || fail "send refused"
for c in class stats students hands inbox replies clock files homework \
	roster attendance menu; do
	T $c >/dev/null
done
T nonsense >/dev/null && fail "an unknown command said ok"

echo "-- long texts arrive whole: 5000 characters, Chinese, newlines, tabs, quotes"
long=$(python3 -c "print('x' * 5000)")
T message --to s1 "text=$long" >/dev/null || fail "a 5000-character message was refused"
wait_until "len(s['class']['message_text']) == 5000" s1 50
zh=$(python3 -c "print('考试开始请关闭手机' * 20 + '\n第二行\t\"引号\"')")
T message --to s1 "title=注意" "text=$zh" >/dev/null || fail "a Chinese message was refused"
python3 - "$zh" >"$WORK/want" <<'PY'
import sys; print(repr(sys.argv[1]))
PY
wait_until "repr(s['class']['message_text']) == open('$WORK/want').read().strip()" s1 50
# The longest message (16 KiB - 1 bytes) fits…
big=$(python3 -c "print('m' * 16383)")
T message --to s2 "text=$big" >/dev/null || fail "a 16 KiB message was refused"
wait_until "len(s['class']['message_text']) == 16383" s2 50
# …one byte more is refused whole: nothing reaches anyone.
T message --to s2 "text=${big}m" >/dev/null && fail "an over-long message was accepted"
grep -q 'over the limit' "$WORK/reply" || fail "the refusal does not name the limit"
# A request over the socket's limit (256 KiB) is refused before anything
# runs (one argument of a command line is at most 128 KiB: three).
huge=$(python3 -c "print('n' * 100000)")
"$TEACHER" ctl --socket "$TSOCK" lock "notice=$huge" "a=$huge" "b=$huge" \
	>/dev/null 2>"$WORK/err" && fail "a 300 KB command was accepted"
grep -q 'too long' "$WORK/err" || fail "no clear error for a 300 KB command: $(cat "$WORK/err")"
sleep 0.5
S s1 | field "s['class']['locked']" | grep -q False || fail "a refused lock locked s1"

echo "-- a 300-character notice locks only the student named"
notice=$(python3 -c "print('请看黑板 ' * 60)")
T lock "notice=$notice" --to s2 >/dev/null || fail "lock with a long notice refused"
wait_until "s['class']['locked'] and len(s['class']['lock_notice']) == len('''$notice''')" s2 50
sleep 0.3
S s1 | field "s['class']['locked']" | grep -q False || fail "s1 was locked by a lock for s2"

echo "-- partial updates change only what they name"
T watermark fields=id,name,ip text=3A >/dev/null
for s in s1 s2; do wait_until "s['class']['watermark_fields'] == 'id,name,ip'" $s 50; done
T watermark opacity=70 >/dev/null || fail "opacity alone refused"
for s in s1 s2; do wait_until "s['class']['watermark_opacity'] == 70 and s['class']['watermark_fields'] == 'id,name,ip' and s['class']['watermark_text'] == '3A'" $s 50; done
T watermark opacity=abc >/dev/null && fail "opacity=abc accepted"
grep -q 'whole number' "$WORK/reply" || fail "no clear error for opacity=abc"
T watermark opacity=101 >/dev/null && fail "opacity=101 accepted"
T watermark fields=id,password >/dev/null && fail "an unknown field accepted"
T lock bogus=1 >/dev/null && fail "an unknown argument accepted"
sleep 0.3
S s1 | field "s['class']['watermark_opacity']" | grep -qx 70 || fail "a refused watermark changed the opacity"
# A student that joins later gets the merged watermark.
student s4
wait_until "s['connected'] and s['class']['watermark_opacity'] == 70 and s['class']['watermark_fields'] == 'id,name,ip'" s4 100

echo "-- lock notices are per student"
T lock --to s1 "notice=A for s1" >/dev/null
T lock --to s4 "notice=B for s4" >/dev/null
wait_until "s['class']['lock_notice'] == 'A for s1'" s1 50
kill "$PID_s1"
wait "$PID_s1" 2>/dev/null || true
rm -f "$WORK/s1/state" # a machine restored at boot: the teacher re-applies
student s1
wait_until "s['connected'] and s['class']['locked'] and s['class']['lock_notice'] == 'A for s1'" s1 100

echo "-- after a teacher restart, ctl class shows the locks students have"
kill "$TPID"
wait "$TPID" 2>/dev/null || true
teacher
wait_online 4
i=0
until T class | python3 -c "
import json,sys
c = {x['id']: x for x in json.load(sys.stdin)['students']}
assert c['s1']['locked'] and c['s2']['locked'] and c['s4']['locked'], c
assert not c['s3']['locked'], c
" >/dev/null 2>&1; do
	i=$((i + 1))
	[ $i -lt 50 ] || fail "the restarted teacher's class view lost the locks: $(cat "$WORK/reply")"
	sleep 0.2
done
sleep 0.5
S s1 | field "s['class']['locked'] and s['class']['lock_notice'] == 'A for s1'" | grep -q True ||
	fail "the teacher restart changed s1's lock"

echo "-- asset export: escaped, private"
T assets >/dev/null
i=0
while ! T assets | grep -q '"known":4'; do
	i=$((i + 1))
	[ $i -lt 50 ] || fail "assets did not arrive"
	sleep 0.2
done
T assets export="$WORK/assets.csv" >/dev/null || fail "asset export refused"
[ "$(stat -c %a "$WORK/assets.csv")" = 600 ] || fail "the asset export is not mode 0600"
grep -q "^s3,\"'=HYPERLINK" "$WORK/assets.csv" || fail "a formula hostname was not escaped: $(grep s3 "$WORK/assets.csv")"
T roster export="$WORK/roster.csv" >/dev/null
[ "$(stat -c %a "$WORK/roster.csv")" = 600 ] || fail "the roster export is not mode 0600"

echo "-- every other command answers one JSON document"
T marquee "text=Test at 10:00" seconds=60 >/dev/null || fail "marquee refused"
T marquee "text=x" seconds=0 >/dev/null && fail "seconds=0 accepted"
T web --to s1 url=https://example.org/lesson >/dev/null || fail "web refused"
T web url=file:///etc/passwd >/dev/null && fail "a file: URL was accepted"
T power off >/dev/null && fail "power without --to was accepted"
T clock-set --to s1 >/dev/null || fail "clock-set refused"
T collect --to s1 folder=hw >/dev/null || fail "collect refused"
T collect folder=../etc >/dev/null && fail "collect of ../etc accepted"
T menu hide power >/dev/null || fail "menu hide refused"
grep -q '"feature":"power","shown":false' "$WORK/reply" || fail "menu did not hide power"
T menu show power >/dev/null || fail "menu show refused"
T menu hide nonsense >/dev/null && fail "an unknown feature was hidden"
T attendance export="$WORK/att.csv" >/dev/null || fail "attendance export refused"
[ "$(stat -c %a "$WORK/att.csv")" = 600 ] || fail "the attendance export is not mode 0600"
T language en >/dev/null || fail "language refused"
T unlock >/dev/null || fail "unlock refused"
T reset >/dev/null || fail "reset refused"
for s in s1 s2 s4; do wait_until "not s['class']['locked'] and s['class']['language'] == ''" $s 50; done

echo "ok"
