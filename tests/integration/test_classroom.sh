#!/bin/sh
# Running the class through `cast-teacher ctl`: every action reaches the
# right students and only them, and its effect is checked on the student
# (its state as it reports it, files its commands wrote). Locks survive a
# student restart and are re-applied on rejoin; bad input is refused.
. "$(dirname "$0")/lib.sh"

CH=21
# The programs' run time is a cap (cleanup stops them); instrumented code on a
# busy machine takes longer for the same steps (CAST_SLACK, lib.sh).
export HOME="$WORK/home"
mkdir -p "$HOME"
"$TEACHER" keygen "$WORK/class.key" >/dev/null
TSOCK=$WORK/teacher.sock
T() { "$TEACHER" ctl --socket "$TSOCK" "$@"; }

# Harmless stand-ins for the browser and the power commands.
cat >"$WORK/opener" <<SH
#!/bin/sh
echo "\$1" >>"$WORK/opened-\$(basename "\$PWD")"
SH
cat >"$WORK/poweroff" <<SH
#!/bin/sh
touch "$WORK/poweroff-\$(basename "\$PWD")"
SH
chmod +x "$WORK/opener" "$WORK/poweroff"

bg "$TEACHER" --headless --key "$WORK/class.key" --ctl-socket "$TSOCK" \
	--source testpattern --size 320x180 --channel $CH --duration $((180 * CAST_SLACK)) \
	--wol-addr 127.0.0.1 --wol-port 40999 --stats "$WORK/t.json" \
	--homework-dir "$WORK/hw" --lesson L1

# Every student runs the stand-ins and has a folder to collect from.
STUDENT_FLAGS='--open-cmd $WORK/opener --poweroff-cmd $WORK/poweroff --reboot-cmd $WORK/poweroff --collect-root $WORK/$id/home'

student s1
student s2 --url-schemes https
student s3
wait_online 3
[ "$(online)" -eq 3 ] || fail "three students did not sign in: $(T students)"
T students | grep -q '学生s1' || fail "roster lacks the Chinese name"

echo "-- lock one student"
T lock --to s1 "notice=Eyes on the teacher" >/dev/null || fail "lock refused"
wait_until "s['class']['locked'] and s['class']['lock_notice'] == 'Eyes on the teacher'" s1 100
T class | python3 -c "
import json,sys
c = {x['id']: x for x in json.load(sys.stdin)['students']}
assert c['s1']['locked'] and not c['s2']['locked'] and c['s1']['online'] and c['s1']['ip'], c
" || fail "the teacher's class view does not show who is locked"
sleep 0.5
S s2 | field "s['class']['locked']" | grep -q False || fail "s2 was locked too"

echo "-- the lock survives a restart of the student program"
kill "$PID_s1"
wait "$PID_s1" 2>/dev/null || true
student s1
wait_until "s['class']['locked']" s1 100
echo "-- unlocked while away: re-applied on rejoin"
kill "$PID_s1"
wait "$PID_s1" 2>/dev/null || true
sleep 0.5
T unlock --to s1 | grep -q '"offline":"s1"' || fail "unlock of an offline student not reported"
student s1
wait_until "s['connected'] and not s['class']['locked']" s1 150

echo "-- message to one, marquee to all"
T message --to s2 "title=Notice" "text=Save your work, 保存作业" >/dev/null
wait_until "s['class']['messages'] == 1 and s['class']['message_text'] == 'Save your work, 保存作业'" s2 100
S s3 | field "s['class']['messages']" | grep -qx 0 || fail "s3 got s2's message"
T marquee "text=Test at 10:00 考试" seconds=60 >/dev/null
for s in s1 s2 s3; do wait_until "s['class']['marquee'] == 'Test at 10:00 考试'" $s 100; done

echo "-- watermark, also on a student that joins later"
T watermark fields=id,name,ip "text=Exam" opacity=40 place=corner >/dev/null
for s in s1 s2 s3; do wait_until "s['class']['watermark_fields'] == 'id,name,ip' and s['class']['watermark_opacity'] == 40" $s 100; done
student s4
wait_until "s['connected'] and s['class']['watermark_place'] == 'corner'" s4 150

echo "-- language for everyone in one action"
T language zh_TW >/dev/null
for s in s1 s2 s3 s4; do wait_until "s['class']['language'] == 'zh_TW'" $s 100; done
T language klingon >/dev/null && fail "an unknown language was accepted"

echo "-- web: opened where allowed, refused where the lab forbids the scheme"
T web --to s3 url=https://example.org/lesson >/dev/null
T web --to s2 url=http://example.org/plain >/dev/null
T web url=file:///etc/passwd >/dev/null && fail "a file: URL was accepted"
i=0
while [ ! -s "$WORK/opened-s3" ] && [ $i -lt 50 ]; do sleep 0.2; i=$((i + 1)); done
grep -qx 'https://example.org/lesson' "$WORK/opened-s3" || fail "s3 did not open the page"
[ -e "$WORK/opened-s2" ] && fail "s2 opened a URL its lab forbids"
sleep 0.5
T replies | python3 -c "
import json,sys
r = json.load(sys.stdin)['replies']
web = {x['id']: x['ok'] for x in r if x['command'] == 'web'}
assert web.get('s3') is True and web.get('s2') is False, web
" || fail "the teacher does not see who opened the page"

echo "-- power: only the chosen machine, never without a target"
T power off >/dev/null && fail "power off without --to was accepted"
T power off --to s2 >"$WORK/power.json" || fail "power off s2: $(cat "$WORK/power.json")"
python3 -c 'import json,sys; r=json.load(sys.stdin); assert r["ok"] and [x["id"] for x in r["students"]] == ["s2"], r' \
	<"$WORK/power.json" || fail "power reply: $(cat "$WORK/power.json")"
i=0
while [ ! -e "$WORK/poweroff-s2" ] && [ $i -lt 50 ]; do sleep 0.2; i=$((i + 1)); done
[ -e "$WORK/poweroff-s2" ] || fail "s2 did not run its poweroff command"
[ -e "$WORK/poweroff-s1" ] && fail "s1 was powered off too"

echo "-- Wake-on-LAN magic packet"
python3 - "$WORK/wol.bin" <<'PY' &
import socket, sys
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.bind(("127.0.0.1", 40999))
open(sys.argv[1] + ".ready", "w").close()
s.settimeout(20)
open(sys.argv[1], "wb").write(s.recv(200))
PY
WOLPID=$!
i=0
while [ ! -e "$WORK/wol.bin.ready" ] && [ $i -lt 100 ]; do sleep 0.1; i=$((i + 1)); done
T wake mac=02:00:00:00:00:07 >/dev/null || fail "wake refused"
wait $WOLPID || fail "no magic packet arrived"
python3 -c "
import sys
p = open(sys.argv[1], 'rb').read()
assert len(p) == 102 and p[:6] == b'\xff' * 6 and p[6:] == bytes.fromhex('020000000007') * 16, p.hex()
" "$WORK/wol.bin" || fail "malformed magic packet"
T wake mac=zz:00 >/dev/null && fail "a bad MAC was accepted"

echo "-- raise hand and messages from students"
"$STUDENT" ctl --socket "$WORK/s1.sock" hand up >/dev/null || fail "hand up failed"
"$STUDENT" ctl --socket "$WORK/s3.sock" message "我不明白 step 3" >/dev/null || fail "message failed"
i=0
while ! T hands | grep -q '"id":"s1"' && [ $i -lt 50 ]; do sleep 0.2; i=$((i + 1)); done
T hands | grep -q '"name":"学生s1"' || fail "the teacher does not see s1's hand: $(T hands)"
T class | grep -q '"id":"s1","name":"学生s1","class":"3A","ip":"127.0.0.1","online":true,"signed_in":true,"hand":true' ||
	fail "the class view does not show s1's hand: $(T class)"
T inbox | grep -q '我不明白 step 3' || fail "the teacher did not get s3's message"
"$STUDENT" ctl --socket "$WORK/s1.sock" hand down >/dev/null
sleep 0.5
T hands | grep -q '"id":"s1"' && fail "s1's hand is still up after lowering it"

echo "-- asset view and clock offsets"
T assets >/dev/null
sleep 1
T assets "export=$WORK/assets.csv" >/dev/null || fail "asset export failed"
[ "$(grep -c . "$WORK/assets.csv")" -ge 5 ] || fail "asset CSV lacks students: $(cat "$WORK/assets.csv")"
grep -q 'cores' "$WORK/assets.csv" || fail "asset CSV has no header"
# Every student is pinged in a burst after it joins, and the offset is the
# one of the fastest exchange. On one machine the clocks are the same: the
# offset is 0 within half that round trip (the rounding of the JSON aside),
# and a student busy at one moment must not show as a skewed clock.
clocks_measured() {
	T clock | python3 -c "
import json,sys
c = json.load(sys.stdin)['clocks']
sys.exit(0 if len(c) == 4 and all(x['samples'] >= 4 for x in c) else 1)
"
}
i=0
while ! clocks_measured && [ $i -lt 50 ]; do sleep 0.2; i=$((i + 1)); done
T clock | python3 -c "
import json,sys
c = json.load(sys.stdin)['clocks']
print('clock:', ' '.join('%s %+.3f ms (rtt %.3f ms, %d samples)' % (x['id'], x['offset_ms'], x['rtt_ms'], x['samples']) for x in c))
assert len(c) == 4 and all(x['samples'] >= 4 for x in c), c
assert all(0 <= x['rtt_ms'] and abs(x['offset_ms']) <= x['rtt_ms'] / 2 + 0.002 for x in c), c
assert all(abs(x['offset_ms']) <= 5 for x in c), c
" || fail "clock offsets missing or wrong"

echo "-- bad input"
T lock --to nobody >/dev/null && fail "an unknown student was accepted"
T frobnicate >/dev/null && fail "an unknown command was accepted"
T message --to s1 >/dev/null && fail "a message without text was accepted"

echo "-- broadcast off: no media, every seat knows (one started meanwhile too); on: pictures again"
T broadcast status | grep -q '"broadcasting":true' || fail "not broadcasting at first: $(T broadcast status)"
for s in s1 s2; do wait_last $s "s['frames_decoded'] > 0 and s['broadcast_on']" 100; done
T broadcast off --to s1 >/dev/null && fail "a broadcast stop for one student was accepted"
T broadcast off | grep -q '"broadcasting":false' || fail "broadcast off refused: $(T broadcast status)"
for s in s1 s2 s3 s4; do wait_until "not s['class']['broadcast_on']" $s 100; done
# A seat restarted while stopped learns it when it joins, and shows nothing.
kill "$PID_s2"
wait "$PID_s2" 2>/dev/null || true
student s2 --url-schemes https
wait_until "s['connected'] and not s['class']['broadcast_on']" s2 150
# What was on its way has landed a stats line later; then nothing moves.
sleep 1.5
tf=$(tail -n 1 "$WORK/t.json" | field "s['frames_sent']")
f1=$(last s1 "s['frames_decoded']")
sleep 2.2
tail -n 1 "$WORK/t.json" | field "not s['broadcasting'] and s['frames_sent'] == $tf and s['broadcast_stops'] == 1" |
	grep -q True || fail "the teacher sent frames while stopped: $tf then $(tail -n 1 "$WORK/t.json" | head -c 400)"
[ "$(last s1 "s['frames_decoded'] == $f1 and not s['broadcast_on']")" = True ] ||
	fail "s1 decoded frames while stopped: $f1 then $(last s1 "s['frames_decoded']")"
[ "$(last s2 "s['frames_decoded'] == 0 and not s['broadcast_on']")" = True ] ||
	fail "s2, started while stopped, showed a picture: $(tail -n 1 "$WORK/s2.json" | head -c 400)"
# Students report every 5 s: the teacher sees them stopped by then.
i=0
until T stats | python3 -c "
import json,sys
st = [x['stats'] for x in json.load(sys.stdin)['students'] if x['online']]
sys.exit(0 if len(st) == 4 and all(x.get('broadcast_on') is False for x in st) else 1)"; do
	i=$((i + 1))
	[ $i -lt $((70 * CAST_SLACK)) ] || fail "the teacher does not see the seats stopped: $(T stats | head -c 900)"
	sleep 0.1
done
t0=$(date +%s%N)
T broadcast on | grep -q '"broadcasting":true' || fail "broadcast on refused"
# Pictures again (a keyframe first): within 5 s x slack, stats lines being
# a second apart; typically the next line.
wait_last s1 "s['frames_decoded'] > $f1 and s['broadcast_on']" 50
wait_last s2 "s['frames_decoded'] > 0" 50
echo "broadcast on: pictures at s1 and s2 within $((($(date +%s%N) - t0) / 1000000)) ms (stats lines 1 s apart)"
# Each seat times it: told it runs again → its first picture.
for s in s1 s2; do
	wait_last $s "0 <= s['broadcast_resume_ms'] <= 2000 * $CAST_SLACK" 30
	echo "$s: first picture $(last $s "s['broadcast_resume_ms']") ms after it was told"
done
for s in s1 s2 s3 s4; do wait_until "s['class']['broadcast_on']" $s 100; done

echo "-- files: one multicast send to chosen students, verified, opened"
head -c 3000000 /dev/urandom >"$WORK/lesson.bin"
mkdir -p "$WORK/pack/sub"
echo "作业说明" >"$WORK/pack/说明.txt"
head -c 100000 /dev/urandom >"$WORK/pack/sub/data.bin"
T send "path=$WORK/lesson.bin" --to s1,s3 open=1 >/dev/null || fail "send refused"
T send "path=$WORK/pack" --to s1,s3 >/dev/null || fail "folder send refused"
i=0
while [ $i -lt 150 ]; do
	[ -f "$WORK/s1/inbox/lesson.bin" ] && [ -f "$WORK/s3/inbox/pack/sub/data.bin" ] &&
		[ -f "$WORK/s1/inbox/pack/说明.txt" ] && break
	sleep 0.2
	i=$((i + 1))
done
for s in s1 s3; do
	cmp -s "$WORK/lesson.bin" "$WORK/$s/inbox/lesson.bin" || fail "$s: lesson.bin differs or missing"
	cmp -s "$WORK/pack/sub/data.bin" "$WORK/$s/inbox/pack/sub/data.bin" || fail "$s: folder file differs"
	cmp -s "$WORK/pack/说明.txt" "$WORK/$s/inbox/pack/说明.txt" || fail "$s: Chinese-named file differs"
done
[ -e "$WORK/s2/inbox/lesson.bin" ] && fail "s2 got a file not sent to it"
find "$WORK"/s*/inbox -name '*.partial' | grep -q . && fail "a partial file was left"
grep -q "inbox/lesson.bin" "$WORK/opened-s1" || fail "s1 did not open the file"
T send "path=relative.txt" >/dev/null && fail "a relative path was accepted"
T files | grep -q '"done":2' || fail "the teacher does not see who has the file: $(T files)"

echo "-- homework: collected into per-student folders, nothing escapes"
for s in s1 s2; do
	mkdir -p "$WORK/$s/home/Homework/sub"
	echo "answer of $s" >"$WORK/$s/home/Homework/作业1.txt"
	head -c 500000 /dev/urandom >"$WORK/$s/home/Homework/sub/data.bin"
	echo secret >"$WORK/secret-$s"
	ln -s "$WORK/secret-$s" "$WORK/$s/home/Homework/link"
done
T collect folder=Homework --to s1,s2 >/dev/null || fail "collect refused"
T collect folder=../../etc >/dev/null && fail "collect of ../../etc was accepted"
i=0
while [ $i -lt 100 ]; do
	T homework | python3 -c "
import json,sys
h = {x['id']: x for x in json.load(sys.stdin)['homework']}
sys.exit(0 if all(h.get(s, {}).get('done') for s in ('s1','s2')) else 1)" && break
	sleep 0.2
	i=$((i + 1))
done
for s in s1 s2; do
	got=$(find "$WORK/hw/L1/$s" -name '作业1.txt' | head -n 1)
	[ -n "$got" ] && grep -q "answer of $s" "$got" || fail "$s's homework did not arrive: $(find "$WORK/hw" | head)"
	cmp -s "$WORK/$s/home/Homework/sub/data.bin" "$(find "$WORK/hw/L1/$s" -name data.bin)" || fail "$s's data.bin differs"
done
find "$WORK/hw" -name link | grep -q . && fail "a symlink was collected"
find "$WORK/hw" -name '*.partial' | grep -q . && fail "a partial file looks complete"
[ -e "$WORK/hw/L1/s3" ] && fail "s3 sent homework it was not asked for"
mkdir -p "$WORK/s3/mywork"
echo "late but done" >"$WORK/s3/mywork/report.txt"
"$STUDENT" ctl --socket "$WORK/s3.sock" submit "$WORK/s3/mywork" >/dev/null || fail "submit failed"
i=0
while [ -z "$(find "$WORK/hw/L1/s3" -name report.txt 2>/dev/null)" ] && [ $i -lt 50 ]; do sleep 0.2; i=$((i + 1)); done
find "$WORK/hw/L1/s3" -name report.txt | grep -q . || fail "s3's own submission did not arrive"

echo "-- roster: signed-in students, CSV round trip, bad CSV refused whole"
T roster | grep -q '"name":"学生s4"' || fail "roster lacks s4: $(T roster)"
T roster "export=$WORK/roster.csv" >/dev/null || fail "roster export failed"
grep -q '学生s2' "$WORK/roster.csv" || fail "exported roster lacks the Chinese name"
printf 'id,name,class,ip,mac\r\nt01,"王小明, Jr.",3B,,\r\nt02,陳大文,3B,,02:00:00:00:00:02\r\n' >"$WORK/new.csv"
T roster "import=$WORK/new.csv" | grep -q '"imported":2' || fail "roster import failed"
T roster | grep -q '"name":"王小明, Jr."' || fail "imported name did not round-trip"
printf 'id,name,class,ip,mac\nt03,A,3B,,\nt04,B,3B,,not-a-mac\n' >"$WORK/bad.csv"
out=$(T roster "import=$WORK/bad.csv") && fail "a bad CSV was accepted"
echo "$out" | grep -q 'bad.csv:3' || fail "the bad CSV line was not named: $out"
T roster | grep -q '"id":"t03"' && fail "a bad CSV was half imported"
T attendance | python3 -c "
import json,sys
a = {r['id']: r for r in json.load(sys.stdin)['attendance']}
assert all(a[s]['present'] for s in ('s1','s2','s3','s4')), a
assert not a['t01']['present'], a['t01']
" || fail "attendance is wrong: $(T attendance)"
T attendance "export=$WORK/attendance.csv" >/dev/null || fail "attendance export failed"
grep -q 's4' "$WORK/attendance.csv" || fail "attendance CSV lacks s4"

echo "-- custom menu persists; reset restores every default"
T menu hide power >/dev/null
grep -q 'hide = power' "$HOME/.config/libcast/console.conf" || fail "menu setting not saved"
T lock "notice=x" >/dev/null
for s in s1 s2 s3 s4; do wait_until "s['class']['locked']" $s 100; done
T reset >/dev/null
for s in s1 s2 s3 s4; do
	wait_until "not s['class']['locked'] and s['class']['watermark_fields'] == '' and s['class']['language'] == ''" $s 100
done
T menu | grep -q '"feature":"power","shown":true' || fail "reset kept the hidden menu entry"
T roster | grep -q '"id":"t01"' && fail "reset kept the roster"
echo "PASS"
