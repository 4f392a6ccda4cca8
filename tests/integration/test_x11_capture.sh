#!/bin/sh
# X11 capture against a private Xvfb: the picture matches a known image, a
# still screen grabs as unchanged, new drawing and pointer moves show up as
# damage; once with MIT-SHM and once without (the GetImage fallback). Then
# the teacher captures an X server it is the only client of.
# Usage: test_x11_capture.sh BUILD_DIR SOURCE_DIR. Exit 77 means skipped.
set -eu
build=$1
check=$build/tests/x11_grab_check

skip() {
	echo "skipped: $*"
	exit 77
}

command -v Xvfb >/dev/null || skip "Xvfb not installed"
command -v convert >/dev/null || skip "ImageMagick convert not installed"
command -v display >/dev/null || skip "ImageMagick display not installed"
[ -x "$check" ] || skip "$check not built"

tmp=$(mktemp -d)
xpid=
stop_x() {
	if [ -n "$xpid" ]; then
		kill "$xpid" 2>/dev/null || true
		wait "$xpid" 2>/dev/null || true
		xpid=
	fi
}
# shellcheck disable=SC2317 # called by the trap
cleanup() {
	stop_x
	rm -rf "$tmp"
}
trap cleanup EXIT
trap 'exit 1' INT TERM

# Starts Xvfb on a display number it picks itself (-displayfd): no clashes
# with other servers or tests. Extra arguments go to Xvfb.
start_x() {
	: >"$tmp/displayfd"
	Xvfb -displayfd 3 -screen 0 1280x720x24 -nolisten tcp -nolisten unix "$@" \
		3>"$tmp/displayfd" >"$tmp/xvfb.log" 2>&1 &
	xpid=$!
	i=0
	while [ ! -s "$tmp/displayfd" ]; do
		i=$((i + 1))
		if [ $i -gt 100 ] || ! kill -0 "$xpid" 2>/dev/null; then
			cat "$tmp/xvfb.log"
			skip "Xvfb did not start"
		fi
		sleep 0.1
	done
	display=:$(head -n 1 "$tmp/displayfd")
	echo "Xvfb $* on $display"
}

# The known picture: a gradient, a plasma patch, a white box with a circle.
convert -size 1280x720 gradient:navy-orange -seed 5 \
	\( -size 400x300 plasma:red-blue \) -geometry +700+300 -composite \
	-fill white -draw "rectangle 100,100 400,300" \
	-fill black -draw "circle 250,200 300,250" -depth 8 "$tmp/ref.png"
convert "$tmp/ref.png" -depth 8 "$tmp/ref.ppm"

rc=0
for ext in "" "-extension MIT-SHM"; do
	# shellcheck disable=SC2086 # $ext is zero or two words on purpose
	start_x $ext
	# display sets the root background and exits (with status 1 on this
	# ImageMagick even when it worked: the check below is the judge).
	DISPLAY=$display display -window root "$tmp/ref.png" || true
	if ! "$check" "$display" "$tmp/ref.ppm"; then
		echo "FAILED with Xvfb $ext"
		rc=1
	fi
	if [ -z "$ext" ]; then
		"$check" --bench "$display" 100 || rc=1
	fi
	stop_x
done

# The teacher on an X server that has no other client: its probe is the
# first client to leave, the server resets, and the capture must still open
# (it retries) and grab frames.
start_x
if ! "$build/teacher/cast-teacher" --headless --insecure --source "x11:$display" \
	--duration 2 --stats "$tmp/teacher.json" 2>"$tmp/teacher.err" ||
	! grep '"final":true' "$tmp/teacher.json" | grep -q '"frames_captured":[1-9]'; then
	cat "$tmp/teacher.err"
	echo "FAILED: the teacher could not capture a freshly started X server"
	rc=1
fi
stop_x
exit $rc
