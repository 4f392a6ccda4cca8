#!/bin/sh
# The student's screen under a real X server: the broadcast shows in the
# window, a teacher's lock turns it black with the notice (and swallows
# keys), a watermark appears over the broadcast, and a student under remote
# control shows the red banner while its window steps aside. Checked on the window's
# own pixels (--dump), and the dumps are kept as PNG for a person to look at.
. "$(dirname "$0")/lib.sh"
command -v Xvfb >/dev/null || skip "Xvfb not installed (scripts/install-deps.sh)"

xvfb_start 1280x720x24
export DISPLAY=$XVFB_DISPLAY

CH=23
"$TEACHER" keygen "$WORK/class.key" >/dev/null
T() { "$TEACHER" ctl --socket "$WORK/t.sock" "$@" >/dev/null; }
bg "$TEACHER" --headless --key "$WORK/class.key" --ctl-socket "$WORK/t.sock" \
	--source testpattern --size 640x360 --channel $CH --duration $((40 * CAST_SLACK))
RUN=$!
# The windows start one after the other: Mesa's GLX has crashed (under the
# sanitizers, on a loaded machine) when several programs made their first
# OpenGL context on one Xvfb at the same instant.
for id in plain plain2 marked locked; do
	bg "$STUDENT" --key "$WORK/class.key" --channel $CH --id "$id" \
		--name "学生$id" --windowed 640x360+0+360 --duration $((30 * CAST_SLACK)) \
		--state-dir "$WORK/$id" --local-socket "$WORK/$id.sock" \
		--inbox "$WORK/$id/inbox" \
		--dump "$WORK/$id.ppm" --stats "$WORK/$id.json"
	RUN="$RUN $!"
	sleep 0.4
done
# A student whose screen the teacher takes over: its window steps aside and
# the red "under remote control" banner stands at the top centre.
bg "$STUDENT" --key "$WORK/class.key" --channel $CH --id remote \
	--windowed 640x360+640+360 --duration $((30 * CAST_SLACK)) --state-dir "$WORK/remote" \
	--local-socket "$WORK/remote.sock" --inbox "$WORK/remote/inbox" \
	--stats "$WORK/remote.json"
RUN="$RUN $!"
# Every window up and joined (a slow first OpenGL context under the
# sanitizers takes seconds), then a moment of broadcast.
TSOCK=$WORK/t.sock
wait_online 5
sleep 2
T watermark --to marked fields=id,name opacity=100 place=tiled
T lock --to locked "notice=考试中 Exam"
T control remote
# The teacher ends the control when it leaves: seen while it lasts.
wait_last remote "s['remote_control']" 50
sleep 1
cat >"$WORK/banner.py" <<'PY'
import sys
data = open(sys.argv[1], "rb").read()
# P6, width, height, maxval, each after blanks or # comments (xwd's).
fields, i = [], 2
while len(fields) < 3:
    while data[i:i + 1].isspace():
        i += 1
    if data[i:i + 1] == b"#":
        i = data.index(b"\n", i)
        continue
    j = i
    while not data[j:j + 1].isspace():
        j += 1
    fields.append(int(data[i:j]))
    i = j
w, h = fields[0], fields[1]
px = data[i + 1:]
def at(x, y):
    i = 3 * (y * w + x)
    return px[i], px[i + 1], px[i + 2]
# The banner: red at the top centre (the other windows sit below it: a
# locked window raises itself, and without a window manager "always on
# top" is only who was raised last).
red = sum(1 for x in range(w // 2 - 60, w // 2 + 60) for y in range(4, 24)
          if at(x, y)[0] > 150 and at(x, y)[1] < 80 and at(x, y)[2] < 80)
# The controlled student's window (640x360 at 640,360) is gone: the bare
# root window of Xvfb shows there, not the broadcast.
seen = set(at(x, y) for x in range(700, 1240, 13) for y in range(400, 700, 13))
print("banner: %d red pixels of 2400; %d colours where the window was" % (red, len(seen)))
sys.exit(0 if red > 1200 and len(seen) <= 3 else 1)
PY
# The banner and the hidden window, on the root window's pixels; asked
# again for a while (the banner paints itself, slowly under the sanitizers).
banner_ok=0
if command -v xwd >/dev/null && command -v convert >/dev/null; then
	k=0
	while [ $k -lt $((10 * CAST_SLACK)) ] && [ $banner_ok = 0 ]; do
		k=$((k + 1))
		xwd -root -silent >"$WORK/root.xwd" 2>/dev/null &&
			convert "$WORK/root.xwd" "$WORK/root.ppm" 2>/dev/null &&
			python3 "$WORK/banner.py" "$WORK/root.ppm" >"$WORK/banner.out" &&
			banner_ok=1 || sleep 0.5
	done
	cat "$WORK/banner.out" 2>/dev/null || true
	convert "$WORK/root.ppm" "$WORK/root.png" 2>/dev/null || true
	[ $banner_ok = 1 ] || fail "no banner, or the window did not step aside, under remote control"
fi
# A little more broadcast, then everyone stops (the windows dump their
# pixels as they close).
sleep 2
# shellcheck disable=SC2086
kill -INT $RUN 2>/dev/null || true
for p in $RUN; do wait "$p" || true; done

for id in plain plain2 marked locked; do
	[ -s "$WORK/$id.ppm" ] || fail "$id wrote no screenshot"
	check "$WORK/$id.json" "s['frames_decoded'] > 50" "$id showed no broadcast"
	convert "$WORK/$id.ppm" "$WORK/$id.png" 2>/dev/null || true
done
check "$WORK/locked.json" "s['class']['locked']" "the lock did not reach the student"

python3 - "$WORK" <<'PY' || fail "the student's screen is wrong"
import sys
def load(path):
    data = open(path, "rb").read()
    parts = data.split(b"\n", 3)
    w, h = map(int, parts[1].split())
    return w, h, parts[3]
w, h, plain = load(sys.argv[1] + "/plain.ppm")
_, _, marked = load(sys.argv[1] + "/marked.ppm")
_, _, locked = load(sys.argv[1] + "/locked.ppm")
px = w * h
# The broadcast is on the screen: a plain student's window is not black.
lit = sum(1 for i in range(0, len(plain), 3) if plain[i] | plain[i+1] | plain[i+2])
assert lit > px * 0.5, "plain student shows no picture (%d lit pixels)" % lit
# Locked: black everywhere but the notice in the middle.
dark = sum(1 for i in range(0, len(locked), 3) if not (locked[i] | locked[i+1] | locked[i+2]))
assert dark > px * 0.9, "locked screen is not black (%d of %d black)" % (dark, px)
assert dark < px, "locked screen shows no notice"
# Watermark tiled over the picture: where the two plain windows agree (the
# parts of the picture that did not move between their last frames), the
# marked window differs in a good share of the pixels.
_, _, plain2 = load(sys.argv[1] + "/plain2.ppm")
def d(a, b, i):
    return abs(a[i] - b[i]) + abs(a[i+1] - b[i+1]) + abs(a[i+2] - b[i+2])
steady = [i for i in range(0, len(plain), 3) if d(plain, plain2, i) < 30]
marked_d = sum(1 for i in steady if d(marked, plain, i) > 120)
print("watermark: %d of %d steady pixels changed by the watermark" % (marked_d, len(steady)))
assert len(steady) > px * 0.3, "the plain windows disagree almost everywhere"
assert marked_d > 0.02 * len(steady), "no watermark over the picture"
PY
echo "screenshots: $WORK/*.png"
echo "PASS"
