#!/bin/sh
# Remote control input (F20): tests/inject carries out input words through
# cast_injector_send (XTEST) on a private Xvfb, and tests/xevents, a window
# over the whole screen, prints what reaches it. Clicks with each button,
# keys with modifiers and a typed text arrive exactly and in order;
# coordinates off the screen are clamped to its edge; a key the keymap
# lacks is refused with nothing pressed (the next key arrives unshifted);
# a key name that does not parse sends nothing.
# Usage: test_injector.sh BUILD_DIR SOURCE_DIR. Exit 77 means skipped.
. "$(dirname "$0")/lib.sh"

inject=$BUILD/tests/inject
xevents=$BUILD/tests/xevents
command -v Xvfb >/dev/null || skip "Xvfb not installed"
[ -x "$inject" ] && [ -x "$xevents" ] || skip "tests/inject or tests/xevents not built"

# Xvfb picks a free display number itself and listens only on the abstract
# socket of this network namespace (as in test_overlay.sh).
xvfb_start 1280x720x24
DISPLAY=$XVFB_DISPLAY
export DISPLAY
echo "Xvfb on $DISPLAY"

"$xevents" --motion >"$WORK/events" 2>"$WORK/xevents.err" &
XEV=$!
PIDS="$PIDS $XEV"
i=0
until grep -q '^ready' "$WORK/events"; do
	i=$((i + 1))
	[ $i -le $((100 * CAST_SLACK)) ] || fail "xevents never ready: $(cat "$WORK/xevents.err")"
	sleep 0.1
done
grep -qx 'ready 1280 720' "$WORK/events" || fail "xevents: $(cat "$WORK/events")"

# expect FILE: waits until xevents printed as many lines as FILE holds
# (after "ready"), then compares them.
expect() {
	want=$(wc -l <"$1")
	i=0
	while [ "$(($(wc -l <"$WORK/events") - 1))" -lt "$want" ] &&
		[ $i -lt $((50 * CAST_SLACK)) ]; do
		sleep 0.1
		i=$((i + 1))
	done
	sleep 0.2 # anything extra would show up now
	tail -n +2 "$WORK/events" >"$WORK/got"
	if ! diff -u "$1" "$WORK/got"; then
		fail "events differ from $(basename "$1") (- wanted, + got)"
	fi
}

# 1. Clicks, keys and text, in one run of the driver.
"$inject" --size click=10,20 click=100,200,middle click=1000,700,right \
	key=Return key=a key=ctrl+c key=F5 "type=Hello, world! 123" \
	>"$WORK/inject1" 2>&1 || fail "inject: $(cat "$WORK/inject1")"
grep -qx 'size 1280 720' "$WORK/inject1" || fail "size: $(cat "$WORK/inject1")"
cat >"$WORK/want1" <<'W'
motion 10 20
click 10 20 1
motion 100 200
click 100 200 2
motion 1000 700
click 1000 700 3
key Return
key a
key Control_L
key c
key F5
key Shift_L
key H
key e
key l
key l
key o
key comma
key space
key w
key o
key r
key l
key d
key Shift_L
key exclam
key space
key 1
key 2
key 3
W
expect "$WORK/want1"
echo "clicks, keys and text arrived in order"

# 2. Off the screen: clamped to the last pixel.
"$inject" move=32767,32767 click=5000,3,right move=0,0 \
	>"$WORK/inject2" 2>&1 || fail "inject: $(cat "$WORK/inject2")"
cat >>"$WORK/want1" <<'W'
motion 1279 719
motion 1279 3
click 1279 3 3
motion 0 0
W
expect "$WORK/want1"
echo "coordinates off the screen clamped"

# 3. A key the keymap lacks (Greek alpha on a US keymap), with shift: an
# error, nothing pressed; the next key arrives unshifted. A name that does
# not parse: an error, nothing sent.
if "$inject" key=shift+Greek_alpha key=b key=NoSuchKey key=ctrl+alt+t \
	>"$WORK/inject3" 2>&1; then
	fail "inject accepted keys the keymap lacks: $(cat "$WORK/inject3")"
fi
grep -qx 'error key=shift+Greek_alpha: No such file or directory' "$WORK/inject3" ||
	fail "no ENOENT for Greek_alpha: $(cat "$WORK/inject3")"
grep -q '^error key=NoSuchKey: ' "$WORK/inject3" ||
	fail "NoSuchKey not refused: $(cat "$WORK/inject3")"
grep -q "unknown key 'NoSuchKey'" "$WORK/inject3" ||
	fail "NoSuchKey refused without its reason: $(cat "$WORK/inject3")"
cat >>"$WORK/want1" <<'W'
key b
key Control_L
key Alt_L
key t
W
expect "$WORK/want1"
echo "a key the keymap lacks refused, nothing left held"

# 4. No display: the injector says so.
if "$inject" --display :4093 key=a >"$WORK/inject4" 2>&1; then
	fail "inject ran without a display"
fi
grep -q 'No such device' "$WORK/inject4" || fail "no ENODEV: $(cat "$WORK/inject4")"

kill "$XEV"
wait "$XEV" || fail "xevents did not exit cleanly on SIGTERM"
echo "PASS"
