#!/bin/sh
# The student's "under remote control" banner (student/indicator.c, F20) on
# a private Xvfb, once with SDL's default video setup and once with
# SDL_FRAMEBUFFER_ACCELERATION=1 in the environment (the banner draws through
# X itself whatever it says: the OpenGL path shows nothing without a GPU):
# tests/indicator_check shows it and reads the screen back (a red banner
# with white text at the top centre, the focus untouched, repainted when
# uncovered, gone when hidden), and once in Chinese.
# Usage: test_indicator.sh BUILD_DIR SOURCE_DIR. Exit 77 means skipped.
# KEEP_WORK=1 keeps the screenshots (PPM, and PNG when ImageMagick is here).
. "$(dirname "$0")/lib.sh"

check=$BUILD/tests/indicator_check
command -v Xvfb >/dev/null || skip "Xvfb not installed"
[ -x "$check" ] || skip "$check not built"

# A black root (-br), on a display Xvfb picks itself, listening only on
# this network namespace's abstract socket (as in test_overlay.sh).
: >"$WORK/displayfd"
Xvfb -displayfd 3 -screen 0 1280x720x24 -br -nolisten tcp -nolisten unix \
	3>"$WORK/displayfd" >"$WORK/xvfb.log" 2>&1 &
PIDS="$PIDS $!"
i=0
while [ ! -s "$WORK/displayfd" ]; do
	i=$((i + 1))
	if [ $i -gt 100 ]; then
		cat "$WORK/xvfb.log"
		skip "Xvfb did not start"
	fi
	sleep 0.1
done
display=:$(head -n 1 "$WORK/displayfd")
echo "Xvfb on $display"

rc=0
for accel in default 1; do
	out=$WORK/shots-$accel
	mkdir -p "$out"
	echo "--- SDL_FRAMEBUFFER_ACCELERATION: $accel"
	a=
	[ "$accel" = default ] || a=$accel
	if ! env DISPLAY="$display" SDL_VIDEODRIVER=x11 \
		${a:+SDL_FRAMEBUFFER_ACCELERATION=$a} \
		timeout 120 "$check" "$out"; then
		echo "FAILED with SDL_FRAMEBUFFER_ACCELERATION $accel"
		rc=1
	fi
	if command -v convert >/dev/null; then
			for f in "$out"/*.ppm; do
			[ -f "$f" ] && convert "$f" "${f%.ppm}.png"
		done
	fi
done
# In Chinese, from the message catalogs (what the overlay's language sets).
if [ -f "$BUILD/locale/zh_CN/LC_MESSAGES/libcast.mo" ]; then
	echo "--- zh_CN"
	mkdir -p "$WORK/shots-zh_CN"
	if ! DISPLAY=$display SDL_VIDEODRIVER=x11 CAST_LOCALEDIR=$BUILD/locale \
		timeout 120 "$check" --lang zh_CN "$WORK/shots-zh_CN"; then
		echo "FAILED in zh_CN"
		rc=1
	fi
else
	echo "note: message catalogs not built ($BUILD/locale): zh_CN not checked"
fi
if [ $rc != 0 ]; then
	KEEP_WORK=1
	echo "screenshots in $WORK/shots-*"
fi
exit $rc
