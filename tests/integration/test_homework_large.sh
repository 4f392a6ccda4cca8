#!/bin/sh
# Homework bigger than the control connection's send buffer: three students
# at once, each with files of 1 MB, 20 MB and 200 MB, collected through
# `cast-teacher ctl collect`. Every file must arrive byte for byte (SHA-256
# on both sides), none may fail, and `ctl homework` must show the expected
# totals. The student's event queue once dropped chunks when the connection
# could not take them fast enough, so files over ~1 MB failed with EPROTO.
. "$(dirname "$0")/lib.sh"

CH=23
slack=${CAST_TIMING_SLACK:-1}
limit=$((120 * slack)) # seconds for the whole collection
"$TEACHER" keygen "$WORK/class.key" >/dev/null
TSOCK=$WORK/teacher.sock
T() { "$TEACHER" ctl --socket "$TSOCK" "$@"; }

bg "$TEACHER" --headless --key "$WORK/class.key" --ctl-socket "$TSOCK" \
	--source testpattern --size 320x180 --fps 5 --channel $CH \
	--homework-dir "$WORK/hw" --lesson L1 2>"$WORK/teacher.err"

sizes="1000000 20000000 200000000"
for id in s1 s2 s3; do
	mkdir -p "$WORK/$id/home/Work/sub"
	n=0
	for sz in $sizes; do
		n=$((n + 1))
		head -c "$sz" /dev/urandom >"$WORK/$id/home/Work/sub/f$n.bin"
	done
	(cd "$WORK/$id/home/Work" && sha256sum sub/*) >"$WORK/$id.sums"
	(cd "$WORK" && exec "$STUDENT" --headless --key "$WORK/class.key" \
		--channel $CH --id "$id" --name "Student $id" \
		--state-dir "$WORK/$id" --local-socket "$WORK/$id.sock" \
		--collect-root "$WORK/$id/home" >"$WORK/$id.log" 2>&1) &
	PIDS="$PIDS $!"
done

online() {
	T students | python3 -c "import json,sys; print(sum(1 for s in json.load(sys.stdin)['students'] if s['online']))"
}
i=0
while [ "$(online 2>/dev/null || echo 0)" -lt 3 ] && [ $i -lt $((50 * slack)) ]; do
	sleep 0.2
	i=$((i + 1))
done
[ "$(online)" -eq 3 ] || fail "three students did not sign in: $(T students)"

start=$(date +%s)
T collect folder=Work >/dev/null || fail "collect refused"
state=""
while :; do
	state=$(T homework)
	echo "$state" | python3 -c "
import json,sys
h = {x['id']: x for x in json.load(sys.stdin)['homework']}
sys.exit(0 if all(h.get(s, {}).get('done') for s in ('s1','s2','s3')) else 1)" && break
	[ $(($(date +%s) - start)) -lt $limit ] ||
		fail "not collected within ${limit}s: $state"
	sleep 0.5
done
took=$(($(date +%s) - start))
echo "collected 3 x 221 MB in ${took}s"

echo "$state" | python3 -c "
import json,sys
total = 1000000 + 20000000 + 200000000
for x in json.load(sys.stdin)['homework']:
    ok = (x['done'] and not x['in_progress'] and x['files_done'] == 3 and
          x['files_failed'] == 0 and x['bytes'] == total and
          x['files_expected'] == 3 and x['bytes_expected'] == total and
          x['bytes_received'] == total and 'error' not in x)
    if not ok:
        print('FAIL: %s: %s' % (x['id'], x)); sys.exit(1)
" || fail "the teacher's homework view is wrong"

for id in s1 s2 s3; do
	(cd "$WORK/hw/L1/$id" && sha256sum -c --quiet "$WORK/$id.sums") ||
		fail "$id: a collected file differs from the student's"
done
find "$WORK/hw" -name '*.partial' | grep -q . && fail "a partial file was left"
for id in s1 s2 s3; do
	grep -q "not sent" "$WORK/$id.log" && fail "$id dropped an event: $(grep 'not sent' "$WORK/$id.log")"
done
# The teacher read every student all along: one sending fast once kept the
# network thread to itself, and the others (and `ctl`) went unheard.
grep -q "not responding" "$WORK/teacher.err" &&
	fail "a student went unheard during the collection: $(grep 'not responding' "$WORK/teacher.err")"
echo "ok"
