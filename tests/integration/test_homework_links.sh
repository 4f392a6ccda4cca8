#!/bin/sh
# Symbolic links are never followed by `collect` or `send`: a collected
# folder that is a link, a link on the way to it and links inside it bring
# nothing behind them to the teacher; `send` of a link is refused by name.
. "$(dirname "$0")/lib.sh"

CH=24
slack=${CAST_TIMING_SLACK:-1}
"$TEACHER" keygen "$WORK/class.key" >/dev/null
TSOCK=$WORK/teacher.sock
T() { "$TEACHER" ctl --socket "$TSOCK" "$@"; }

bg "$TEACHER" --headless --key "$WORK/class.key" --ctl-socket "$TSOCK" \
	--source testpattern --size 320x180 --fps 5 --channel $CH \
	--homework-dir "$WORK/hw" --lesson L1

H=$WORK/s1/home
mkdir -p "$H/Work" "$WORK/secret/etc"
echo "mine" >"$H/Work/ok.txt"
echo "secret file" >"$WORK/secret/passwd"
echo "secret in dir" >"$WORK/secret/etc/shadow"
ln -s "$WORK/secret" "$H/Work/to-dir"
ln -s "$WORK/secret/passwd" "$H/Work/to-file.txt"
ln -s "$WORK/secret" "$H/Linked"
ln -s "$H" "$H/via"

(cd "$WORK/s1" && exec "$STUDENT" --headless --key "$WORK/class.key" \
	--channel $CH --id s1 --name "Student 1" --state-dir "$WORK/s1" \
	--local-socket "$WORK/s1.sock" --collect-root "$H" \
	--inbox "$WORK/s1/inbox" >"$WORK/s1.log" 2>&1) &
PIDS="$PIDS $!"

i=0
while ! T students 2>/dev/null | grep -q '"online":true' && [ $i -lt $((50 * slack)) ]; do
	sleep 0.2
	i=$((i + 1))
done
T students | grep -q '"online":true' || fail "the student did not sign in"

# collect FOLDER: waits until the teacher shows that collection done and
# prints the student's homework entry.
collect() {
	c=$(T collect "folder=$1" | python3 -c "import json,sys; print(json.load(sys.stdin)['collection'])")
	i=0
	while [ $i -lt $((100 * slack)) ]; do
		e=$(T homework | python3 -c "
import json,sys
h = {x['id']: x for x in json.load(sys.stdin)['homework']}
x = h.get('s1')
if x and x['collection'] == $c and x['done'] and not x['in_progress']:
    print(json.dumps(x))") || true
		if [ -n "$e" ]; then
			echo "$e"
			return 0
		fi
		sleep 0.2
		i=$((i + 1))
	done
	fail "collect $1 (collection $c) never ended: $(T homework)"
}

echo "-- the collected folder is a link"
e=$(collect Linked)
echo "$e" | grep -q '"files_done": 0' || fail "a linked folder was collected: $e"
echo "$e" | grep -q '"error"' || fail "no error shown for a linked folder: $e"
[ -n "$(find "$WORK/hw" -type f 2>/dev/null)" ] && fail "files arrived from a linked folder: $(find "$WORK/hw" -type f)"

echo "-- a link on the way to the folder"
e=$(collect via/Work)
echo "$e" | grep -q '"files_done": 0' || fail "a folder behind a link was collected: $e"
[ -n "$(find "$WORK/hw" -type f 2>/dev/null)" ] && fail "files arrived through a link: $(find "$WORK/hw" -type f)"

echo "-- links inside the folder"
e=$(collect Work)
echo "$e" | grep -q '"files_done": 1' || fail "the folder was not collected: $e"
echo "$e" | grep -q '"files_failed": 0' || fail "a file failed: $e"
cmp -s "$H/Work/ok.txt" "$WORK/hw/L1/s1/ok.txt" || fail "ok.txt did not arrive"
[ "$(find "$WORK/hw" -type f | wc -l)" -eq 1 ] || fail "more than ok.txt arrived: $(find "$WORK/hw")"
grep -rq secret "$WORK/hw" && fail "something behind a link arrived"

echo "-- send of a link is refused"
ln -s "$WORK/secret/passwd" "$WORK/file-link"
ln -s "$WORK/secret" "$WORK/dir-link"
for l in file-link dir-link dir-link/; do
	r=$(T send "path=$WORK/$l") && fail "send of $l was accepted: $r"
	echo "$r" | grep -q '"ok":false' || fail "send of $l: $r"
	echo "$r" | grep -q 'symbolic link' || fail "send of $l does not name the link: $r"
done
echo "ok"
