#!/bin/sh
# A new teacher picks a channel no other class uses, once. Teacher A starts
# for the first time (no key, no --channel): it makes its key, listens, takes
# the first of its class's candidate channels and keeps it beside the key; a
# student started with the setup code A prints joins and shows its pictures.
# Teacher B starts with a copy of A's key (so the same candidate order: its
# first choice is A's channel) while A broadcasts: it hears A there and takes
# another. A restarted keeps its channel without listening; --channel wins
# over the kept one and leaves it as it was. A teacher C with the same key
# on a quiet LAN takes A's channel again: the order is the key's, and only
# A's traffic moved B.
. "$(dirname "$0")/lib.sh"

HA=$WORK/a HB=$WORK/b HC=$WORK/c
mkdir -p "$HA" "$HB" "$HC/.config/libcast"

# teacher HOME NAME [ARGS...]: a headless teacher with its own home and ctl
# socket, its log in $WORK/NAME.log.
teacher() {
	h=$1 name=$2
	shift 2
	bg env HOME="$h" "$TEACHER" --headless --source testpattern --size 256x144 \
		--fps 15 --bitrate 200 --ctl-socket "$WORK/$name.sock" "$@" \
		2>"$WORK/$name.log"
}

# kept HOME: the channel a teacher keeps (empty when none yet).
kept() {
	sed -n 's/^channel = \([0-9]*\)$/\1/p' \
		"$1/.config/libcast/class.key.channel" 2>/dev/null || true
}

# wait_for FILE PATTERN SECONDS
wait_for() {
	i=0
	while ! grep -q "$2" "$1" 2>/dev/null; do
		i=$((i + 1))
		[ $i -le $(($3 * 10)) ] || return 1
		sleep 0.1
	done
}

# 1. A's first start: key, pick, setup code with the channel.
teacher "$HA" a --duration 40
APID=$!
wait_for "$WORK/a.log" "control on" 20 || fail "teacher A did not start: $(cat "$WORK/a.log")"
grep -q "listening for other classes" "$WORK/a.log" || fail "A did not listen"
CA=$(kept "$HA")
[ -n "$CA" ] || fail "A kept no channel: $(cat "$WORK/a.log")"
grep -q "channel $CA: control on" "$WORK/a.log" || fail "A is not on its channel $CA"
SETUP=$(sed -n 's/^cast-teacher: students join with: //p' "$WORK/a.log")
echo "A: channel $CA; students: $SETUP"
case $SETUP in
"cast-student --channel $CA --key-code "*" --teacher-code "*) ;;
*) fail "A's setup code does not name its channel: $SETUP" ;;
esac
# A student set up with exactly that code shows A's pictures.
# shellcheck disable=SC2086
bg env HOME="$WORK/s" ${STUDENT%cast-student}$SETUP --headless --id s1 \
	--state-dir "$WORK/s1" --local-socket "$WORK/s1.sock" --duration 6 \
	--stats "$WORK/s1.json"
SPID=$!

# 2. B: the same key (same order), no channel yet, while A broadcasts.
cp "$HA/.config/libcast/class.key" "$HA/.config/libcast/class.key.teacher" \
	"$HC/.config/libcast/"
mkdir -p "$HB/.config/libcast"
cp "$HC/.config/libcast/class.key" "$HC/.config/libcast/class.key.teacher" \
	"$HB/.config/libcast/"
teacher "$HB" b --duration 4
wait_for "$WORK/b.log" "control on" 20 || fail "teacher B did not start: $(cat "$WORK/b.log")"
CB=$(kept "$HB")
echo "B: channel $CB"
[ -n "$CB" ] || fail "B kept no channel: $(cat "$WORK/b.log")"
[ "$CB" != "$CA" ] || fail "B took A's channel $CA"
grep -q "students join with" "$WORK/b.log" &&
	fail "B printed a first-run setup code with a key it was given"

wait "$SPID" || true
check "$WORK/s1.json" \
	"s['width'] == 256 and s['height'] == 144 and s['frames_decoded'] >= 20" \
	"the student set up with A's code did not show A's pictures"

# 3. A again (a new lesson): its own channel, no listening.
kill "$APID"
wait "$APID" || true
# Its default ctl socket, and `cast-teacher ctl` without --channel finds
# it through the kept channel.
mkdir -p -m 700 "$WORK/run"
bg env HOME="$HA" XDG_RUNTIME_DIR="$WORK/run" "$TEACHER" --headless \
	--source testpattern --size 256x144 --fps 15 --bitrate 200 \
	--duration 8 2>"$WORK/a2.log"
wait_for "$WORK/a2.log" "control on" 20 || fail "A did not start again: $(cat "$WORK/a2.log")"
grep -q "channel $CA: control on" "$WORK/a2.log" || fail "A restarted on another channel: $(cat "$WORK/a2.log")"
grep -q "listening for other classes" "$WORK/a2.log" && fail "A listened again"
[ -S "$WORK/run/libcast-teacher-$CA.sock" ] || fail "no ctl socket for channel $CA"
env HOME="$HA" XDG_RUNTIME_DIR="$WORK/run" "$TEACHER" ctl stats \
	>"$WORK/a2.stats" || fail "ctl without --channel did not reach A"
grep -q "\"channel\":$CA," "$WORK/a2.stats" || fail "ctl stats: $(cat "$WORK/a2.stats")"

# 4. --channel wins and leaves the kept one alone.
other=$((CA % 999 + 1))
teacher "$HA" a3 --duration 2 --channel "$other"
wait_for "$WORK/a3.log" "control on" 20 || fail "A --channel did not start: $(cat "$WORK/a3.log")"
grep -q "channel $other: control on" "$WORK/a3.log" || fail "--channel $other lost: $(cat "$WORK/a3.log")"
[ "$(kept "$HA")" = "$CA" ] || fail "--channel changed the kept channel"
wait

# 5. C: the same key on a quiet LAN takes the first candidate, A's.
teacher "$HC" c --duration 2
wait_for "$WORK/c.log" "control on" 20 || fail "teacher C did not start: $(cat "$WORK/c.log")"
[ "$(kept "$HC")" = "$CA" ] || fail "C on a quiet LAN took $(kept "$HC"), not the first candidate $CA"
wait

# A kept file that does not read is an error, never a silent new pick.
echo "channel = 1200" >"$HC/.config/libcast/class.key.channel"
HOME=$HC "$TEACHER" --headless --source testpattern --duration 1 \
	--ctl-socket "$WORK/c2.sock" 2>"$WORK/c2.log" &&
	fail "a teacher started with a broken channel file"
grep -q "class.key.channel" "$WORK/c2.log" || fail "the error does not name the file: $(cat "$WORK/c2.log")"
echo "PASS"
