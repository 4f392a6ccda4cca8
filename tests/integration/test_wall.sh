#!/bin/sh
# Monitor wall (F19): 20 students with test-pattern screens, each its own
# size (student k: (320+16k)x360, so its thumbnail is (160+8k)x180), send
# thumbnails to the teacher on `ctl wall on`: the teacher receives at least
# 1.5 fps from each at the default 2 fps; `wall snapshot dir=DIR` writes
# each student's latest picture as DIR/ID.png (its own size, a pattern, not
# black) and the wall's pages of 16 with names; `wall focus s3` raises s3 to
# full size and rate, and `wall record s3` records its screen (H.264 as
# sent, read back by ffprobe); `wall off` stops every stream. Bad words are
# refused. With Xvfb the teacher runs its console (1366x768, SDL's software
# renderer): while the thumbnails arrive, the page's 16 tiles are repainted
# alone (ui.tile_redraws) and the window is never drawn whole
# (ui.full_redraws stays).
. "$(dirname "$0")/lib.sh"

N=20
CH=33
TSOCK=$WORK/t.sock
"$TEACHER" keygen "$WORK/class.key" >/dev/null
T() {
	"$TEACHER" ctl --socket "$TSOCK" "$@" >"$WORK/reply" 2>&1 || true
	cat "$WORK/reply"
}
# wall EXPR TENTHS: until EXPR holds on `ctl wall status` (`w`: screens).
wall() {
	i=0
	while :; do
		T wall status | python3 -c "import json,sys; w=json.load(sys.stdin)['screens']; sys.exit(0 if ($1) else 1)" 2>/dev/null && return 0
		i=$((i + 1))
		[ $i -lt $(($2 * CAST_SLACK)) ] || fail "the wall never had $1: $(head -c 1500 "$WORK/reply")"
		sleep 0.1
	done
}

k=1
while [ $k -le $N ]; do
	STUDENT_FLAGS="--source testpattern --size $((320 + 16 * k))x360 --no-decode"
	student s$k
	k=$((k + 1))
done
CONSOLE=""
if command -v Xvfb >/dev/null; then
	xvfb_start 1366x768x24
	CONSOLE="--console-size 1366x768 --console-lang en"
else
	echo "Xvfb not installed: the teacher runs headless, the console's redraws are not checked"
fi
# shellcheck disable=SC2086 # the console's flags are words
bg env DISPLAY="${XVFB_DISPLAY:-}" SDL_RENDER_DRIVER=software "$TEACHER" \
	${CONSOLE:---headless} --key "$WORK/class.key" --ctl-socket "$TSOCK" \
	--source testpattern --size 640x360 --fps 5 --channel $CH \
	--duration $((150 * CAST_SLACK)) --stats "$WORK/t.json"
wait_online $N

T wall maybe | grep -q '"ok":false' || fail "wall maybe was not refused"
T wall on fps=99 | grep -q '"ok":false' || fail "wall on fps=99 was not refused"
T wall on size=7x7 | grep -q '"ok":false' || fail "wall on size=7x7 was not refused"
T wall focus nosuch | grep -q '"ok":false' || fail "focus on an unknown student was not refused"
T wall on | grep -q '"ok":true' || fail "wall on: $(cat "$WORK/reply")"
wall "len(w['students']) == $N and all(s['frames'] > 0 for s in w['students'])" 300
# The rate each student's thumbnails arrive at, over 6 s; the console's
# redraws over the same time.
# ui_line: the teacher's last whole stats line.
ui_line() {
	python3 -c "import sys; l = [x for x in open(sys.argv[1]) if x.endswith('\n')]; sys.stdout.write(l[-1] if l else '{}')" "$WORK/t.json"
}
if [ -n "$CONSOLE" ]; then
	i=0
	until ui_line | field "all(t['frames'] > 0 for t in s['ui']['tiles']) and len(s['ui']['tiles']) == 16" 2>/dev/null | grep -q True; do
		i=$((i + 1))
		[ $i -lt $((100 * CAST_SLACK)) ] || fail "the console's tiles never showed pictures: $(ui_line | head -c 1500)"
		sleep 0.1
	done
	sleep 1.5 # the next stats line: the pictures shown
	ui_line >"$WORK/ui-a.json"
fi
T wall status >"$WORK/a.json"
sleep 6
T wall status >"$WORK/b.json"
if [ -n "$CONSOLE" ]; then
	ui_line >"$WORK/ui-b.json"
	python3 - "$WORK/ui-a.json" "$WORK/ui-b.json" <<'PY' || fail "thumbnails redrew the whole console"
import json, sys
a, b = (json.load(open(p))["ui"] for p in sys.argv[1:3])
fa = {t["id"]: t["frames"] for t in a["tiles"]}
fb = {t["id"]: t["frames"] for t in b["tiles"]}
full = b["full_redraws"] - a["full_redraws"]
tiles = b["tile_redraws"] - a["tile_redraws"]
print("console while thumbnails came: %d full redraws, %d tile repaints, %d status bar; draw ms p50 %s" % (
    full, tiles, b["status_redraws"] - a["status_redraws"], b["draw_ms"]["p50"]))
stale = [i for i in fb if fb[i] <= fa.get(i, 0)]
if stale:
    print("tiles with no new picture: %s" % stale); sys.exit(1)
# Every tile of the page repainted (at least 3 times each in 6 s: the
# thumbnails come at 2 fps, the class view every 0.4 s), the window never.
sys.exit(0 if full == 0 and tiles >= 16 * 3 else 1)
PY
fi
python3 - "$WORK" $N <<'PY' || fail "a student's thumbnails came too slowly"
import json, sys
w, n = sys.argv[1], int(sys.argv[2])
a = {s["id"]: s["frames"] for s in json.load(open(w + "/a.json"))["screens"]["students"]}
b = {s["id"]: s for s in json.load(open(w + "/b.json"))["screens"]["students"]}
rates = sorted((b[i]["frames"] - a[i]) / 6.0 for i in a)
print("thumbnail rate per student: min %.2f, median %.2f, max %.2f fps" % (
    rates[0], rates[len(rates) // 2], rates[-1]))
for k in range(1, n + 1):
    s = b["s%d" % k]
    if (s["width"], s["height"]) != (160 + 8 * k, 180):
        print("s%d: thumbnail %dx%d" % (k, s["width"], s["height"]))
        sys.exit(1)
sys.exit(0 if rates[0] >= 1.5 else 1)
PY

mkdir -p "$WORK/snap"
T wall snapshot "dir=$WORK/nosuch" | grep -q '"ok":false' || fail "a missing folder was not refused"
T wall snapshot "dir=$WORK/snap" | grep -q "\"students\":$N" || fail "wall snapshot: $(cat "$WORK/reply")"
# The pixels decoded by ImageMagick, every file in one run (a PNG decoder
# in Python took seconds of CPU for the 22 files).
mkdir -p "$WORK/snap/ppm"
mogrify -path "$WORK/snap/ppm" -format ppm -depth 8 "$WORK"/snap/*.png ||
	fail "ImageMagick cannot read the snapshots"
python3 - "$WORK/snap" $N <<'PY' || fail "the snapshots are not each student's pattern"
import struct, sys
d, n = sys.argv[1], int(sys.argv[2])
def png(path):
    b = open(path, "rb").read()
    assert b[:8] == b"\x89PNG\r\n\x1a\n"
    w, h, depth, ctype = struct.unpack(">IIBB", b[16:26])
    assert depth == 8 and ctype in (2, 6), (path, depth, ctype)
    # Its pixels, 8-bit RGB rows.
    p = open(path.rsplit("/", 1)[0] + "/ppm/" + path.rsplit("/", 1)[1][:-4] + ".ppm", "rb").read()
    parts, pos = [], 0
    while len(parts) < 4:
        while p[pos:pos + 1].isspace():
            pos += 1
        end = pos
        while not p[end:end + 1].isspace():
            end += 1
        parts.append(p[pos:end])
        pos = end
    assert parts[0] == b"P6" and (int(parts[1]), int(parts[2])) == (w, h), (path, parts)
    px = p[pos + 1:]
    rows = [px[y * w * 3:(y + 1) * w * 3] for y in range(h)]
    return w, h, rows, 3
for k in range(1, n + 1):
    w, h, rows, bpp = png("%s/s%d.png" % (d, k))
    lum = [sum(r[x * bpp:x * bpp + 3]) / 3 for r in rows[::6] for x in range(0, w, 6)]
    mean = sum(lum) / len(lum)
    var = sum((v - mean) ** 2 for v in lum) / len(lum)
    # The pattern: a light page of text-like glyphs, never black or flat.
    if (w, h) != (160 + 8 * k, 180) or mean < 60 or var < 50:
        print("s%d.png: %dx%d mean %.0f variance %.0f" % (k, w, h, mean, var))
        sys.exit(1)
for p in (1, 2):
    w, h, rows, bpp = png("%s/wall-%d.png" % (d, p))
print("%d snapshots of each student's own size and pattern, 2 wall pages" % n)
PY

T wall focus s3 | grep -q '"ok":true' || fail "wall focus s3: $(cat "$WORK/reply")"
wall "[s for s in w['students'] if s['id'] == 's3'][0]['width'] == 368 and w['focus'] == 's3'" 150
echo "wall focus s3: s3 at full size (368x360)"
# Recording a student's screen: its own H.264 as received, no re-encode.
T wall record nosuch | grep -q '"ok":false' || fail "recording an unknown student was not refused"
T wall record s3 "path=$WORK/s3.mkv" | grep -q '"ok":true' || fail "wall record s3: $(cat "$WORK/reply")"
T wall record s3 | grep -q '"ok":false' || fail "a second recording of s3 was not refused"
sleep 4
T wall record s3 stop | grep -q '"ok":true' || fail "wall record s3 stop: $(cat "$WORK/reply")"
if command -v ffprobe >/dev/null; then
	ffprobe -v error -count_frames -select_streams v:0 -show_entries \
		stream=codec_name,width,height,nb_read_frames -of csv=p=0 \
		"$WORK/s3.mkv" >"$WORK/probe" 2>&1 || fail "ffprobe cannot read s3.mkv: $(cat "$WORK/probe")"
	IFS=, read -r codec pw ph pf <"$WORK/probe"
	echo "s3's recording: $codec ${pw}x$ph, $pf frames"
	[ "$codec" = h264 ] && [ "$pw" = 368 ] && [ "$ph" = 360 ] && [ "$pf" -ge 20 ] ||
		fail "s3's recording is not its screen: $(cat "$WORK/probe")"
fi
T wall focus off | grep -q '"ok":true' || fail "wall focus off"
wall "[s for s in w['students'] if s['id'] == 's3'][0]['width'] == 184" 150
T wall off | grep -q '"ok":true' || fail "wall off: $(cat "$WORK/reply")"
wall "len(w['students']) == 0" 50
sleep 2
for k in 1 7 20; do
	wait_until "True" s$k 10 2>/dev/null || true
	tail -n 1 "$WORK/s$k.json" | field "not s['sending_wall']" | grep -q True || fail "s$k still sends after wall off"
done
echo "PASS"
