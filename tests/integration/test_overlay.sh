#!/bin/sh
# Student overlays (student/overlay.c): watermark (F3, F15), marquee and
# message boxes (F12), raise hand (F14), languages (F17) and the lock screen
# (F21) drawn in a real SDL window on a private Xvfb, once with SDL's default
# renderer and once with the software one of lab PCs without a GPU;
# tests/unit/overlay_check.c reads the pixels back and checks them.
# Usage: test_overlay.sh BUILD_DIR SOURCE_DIR. Exit 77 means skipped.
# KEEP_WORK=1 keeps the screenshots (PPM, and PNG when ImageMagick is here).
. "$(dirname "$0")/lib.sh"

check=$BUILD/tests/overlay_check
command -v Xvfb >/dev/null || skip "Xvfb not installed"
[ -x "$check" ] || skip "$check not built"
[ -f "$BUILD/locale/zh_CN/LC_MESSAGES/libcast.mo" ] ||
	skip "message catalogs not built ($BUILD/locale)"
if ! fc-list ':lang=zh-cn' 2>/dev/null | grep -q .; then
	echo "note: no Chinese font (fonts-noto-cjk): Chinese shows as boxes"
fi

# A private X server (lib.sh's xvfb_start says why it is safe).
xvfb_start 1280x720x24
display=$XVFB_DISPLAY
echo "Xvfb on $display"

rc=0
for renderer in default software; do
	out=$WORK/shots-$renderer
	mkdir -p "$out"
	echo "--- renderer: $renderer"
	if [ "$renderer" = default ]; then
		r=
	else
		r=$renderer
	fi
	if ! DISPLAY=$display SDL_VIDEODRIVER=x11 SDL_RENDER_DRIVER=$r \
		CAST_LOCALEDIR=$BUILD/locale timeout 120 "$check" "$out"; then
		echo "FAILED with the $renderer renderer"
		rc=1
	fi
	if command -v convert >/dev/null; then
		for f in "$out"/*.ppm; do
			[ -f "$f" ] && convert "$f" "${f%.ppm}.png"
		done
	fi
done
if [ $rc != 0 ]; then
	KEEP_WORK=1
	echo "screenshots in $WORK/shots-*"
fi
exit $rc
