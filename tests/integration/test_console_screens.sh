#!/bin/sh
# The console's Wall, Demo and Control buttons (teacher/console.c,
# docs/console.md) on a private Xvfb, driven with xdotool, with three
# students: s1 and s2 send test patterns, s3 the screen of a second Xvfb on
# which tests/xevents prints what reaches it.
#  a. Wall: before it, the tiles' picture areas are plain; pressed, s1's and
#     s2's tiles show their patterns (colourful pixels, read back from a
#     screenshot), and the console redraws them as pictures arrive;
#  b. Demo with s1 selected: s2 and s3 show demo:s1 (their own stats), s1's
#     tile is marked; pressed again (Stop demo), they show the teacher;
#     s1's right-click menu starts it too;
#  b3. Film with s2 selected: the path typed in its entry plays the film
#     to s2 alone (`ctl cinema play --to s2`); pressed again, it stops;
#  c. Control with s3 selected: the view shows s3's 1280x720 screen; a click
#     in it arrives at s3's display at the matching place, a key press as
#     that key, typed text as its keys; Esc held a second ends the control
#     (s3 says so) and does not reach s3.
. "$(dirname "$0")/lib.sh"

command -v Xvfb >/dev/null || skip "Xvfb not installed (scripts/install-deps.sh)"
command -v xdotool >/dev/null || skip "xdotool not installed"
command -v import >/dev/null || skip "ImageMagick not installed"
xevents=$BUILD/tests/xevents
[ -x "$xevents" ] || skip "tests/xevents not built"

CH=37
W=1366
H=768
SOCK=$WORK/t.sock
TSOCK=$SOCK
SLACK=${CAST_TIMING_SLACK:-1}
"$TEACHER" keygen "$WORK/class.key" >/dev/null

# xvfb VAR SIZE: starts an Xvfb, its display in VAR.
xvfb() {
	: >"$WORK/displayfd"
	Xvfb -displayfd 3 -screen 0 "$2x24" -nolisten tcp -nolisten unix \
		3>"$WORK/displayfd" >"$WORK/xvfb-$1.log" 2>&1 &
	PIDS="$PIDS $!"
	i=0
	while [ ! -s "$WORK/displayfd" ]; do
		i=$((i + 1))
		[ $i -gt 100 ] && skip "Xvfb did not start: $(cat "$WORK/xvfb-$1.log")"
		sleep 0.1
	done
	eval "$1=:$(head -n 1 "$WORK/displayfd")"
}
xvfb DISP "${W}x${H}"
xvfb SDISP 1280x720
X() { DISPLAY=$DISP "$@"; }

DISPLAY=$SDISP "$xevents" >"$WORK/events" 2>"$WORK/xevents.err" &
PIDS="$PIDS $!"
i=0
until grep -q '^ready' "$WORK/events"; do
	i=$((i + 1))
	[ $i -le $((100 * CAST_SLACK)) ] || fail "xevents never ready: $(cat "$WORK/xevents.err")"
	sleep 0.1
done

DISPLAY=$DISP "$TEACHER" --key "$WORK/class.key" --ctl-socket "$SOCK" \
	--source testpattern --size 320x180 --fps 5 --bitrate 200 \
	--channel "$CH" --console-size "${W}x${H}" --console-lang en \
	--stats "$WORK/teacher.jsonl" --duration $((150 * CAST_SLACK)) \
	2>"$WORK/teacher.err" &
PIDS="$PIDS $!"
STUDENT_FLAGS="--source testpattern --size 640x360"
student s1
student s2
STUDENT_FLAGS=""
student s3 --source "x11:$SDISP"

# ui EXPR WHAT: waits (15 s) until EXPR holds for the teacher's last stats
# line (`u`: its "ui" object; `st(ID)`: that student's last stats line).
ui() {
	python3 - "$WORK" "$1" "$2" "$SLACK" <<'PY'
import json, sys, time
work, expr, what, slack = sys.argv[1:5]
end = time.time() + 15 * float(slack)
def last(path):
    try:
        lines = [l for l in open(path) if l.endswith("\n")]
        return json.loads(lines[-1]) if lines else {}
    except (OSError, ValueError):
        return {}
def st(i):
    return last("%s/%s.json" % (work, i))
while True:
    s = last(work + "/teacher.jsonl")
    if "ui" in s:
        try:
            if eval(expr, {"u": s["ui"], "st": st, "tile": lambda i: next(
                    t for t in s["ui"]["tiles"] if t["id"] == i)}):
                print("ok: %s" % what)
                sys.exit(0)
        except (KeyError, IndexError, TypeError, StopIteration):
            pass
    if time.time() > end:
        print("FAIL: %s (%s)\n  ui: %s" % (what, expr, s.get("ui")))
        sys.exit(1)
    time.sleep(0.2)
PY
}
uiget() {
	python3 - "$WORK/teacher.jsonl" "$1" <<'PY'
import json, sys
lines = [l for l in open(sys.argv[1]) if l.endswith("\n")]
u = json.loads(lines[-1])["ui"]
print(eval(sys.argv[2], {"u": u}))
PY
}
rectof() {
	uiget "next(t['rect'] for t in u['tiles'] + u['buttons'] if t.get('id', t.get('action')) == '$1')"
}
center() {
	uiget "(lambda r: '%d %d' % (r[0] + r[2] // 2, r[1] + r[3] * 3 // 4))([int(v) for v in next(t['rect'] for t in u['tiles'] + u['buttons'] if t.get('id', t.get('action')) == '$1').split(',')])"
}
shot() {
	X import -window root -depth 8 "$WORK/$1.ppm"
}
# colourful SHOT ID: pixels of the upper half of ID's tile (its picture
# area) that are strongly coloured (a pattern; the tile itself is greys and
# one badge colour below).
colourful() {
	python3 - "$WORK/$1.ppm" "$(rectof "$2")" <<'PY'
import sys
d = open(sys.argv[1], "rb").read()
parts, pos = [], 0
while len(parts) < 4:
    while d[pos:pos + 1].isspace():
        pos += 1
    end = pos
    while not d[end:end + 1].isspace():
        end += 1
    parts.append(d[pos:end])
    pos = end
w, px = int(parts[1]), d[pos + 1:]
x, y, rw, rh = [int(float(v)) for v in sys.argv[2].split(",")]
n, seen = 0, set()
for yy in range(y + 4, y + rh * 45 // 100):
    for xx in range(x + 4, x + rw - 4):
        i = (yy * w + xx) * 3
        p = px[i:i + 3]
        if max(p) - min(p) > 60:
            n += 1
            seen.add(bytes(p))
print("%d %d" % (n, len(seen)))
PY
}

ui "len(u['tiles']) == 3 and 'wall' in [b['action'] for b in u['buttons']]" \
	"three tiles and the Wall button" || fail "students or the Wall button missing"

# a. The wall.
shot before
for id in s1 s2; do
	set -- $(colourful before $id)
	[ "$1" -lt 30 ] || fail "$id's tile is coloured before the wall: $1 px"
done
X xdotool mousemove $(center wall) click 1
ui "u['wall'] and tile('s1')['frames'] > 2 and tile('s2')['frames'] > 2" \
	"the wall on, s1 and s2 pictures arrive" || fail "no pictures on the tiles"
r0=$(uiget "u['redraws']")
f0=$(uiget "next(t['frames'] for t in u['tiles'] if t['id'] == 's1')")
ui "tile('s1')['frames'] >= $f0 + 3 and u['redraws'] > $r0" \
	"new pictures redraw the tiles" || fail "the tiles were not redrawn"
sleep 0.5
shot wall
for id in s1 s2; do
	set -- $(colourful wall $id)
	echo "$id: $1 coloured px, $2 colours in its picture area"
	[ "$1" -gt 800 ] && [ "$2" -gt 6 ] || fail "$id's tile does not show its pattern"
done
if [ -n "${CAST_DOCS_SHOT:-}" ]; then
	# docs/console-wall.png: the pointer away from the toolbar.
	X xdotool mousemove 700 650
	sleep 1
	X import -window root "$CAST_DOCS_SHOT"
fi

# b. Demo from s1.
X xdotool mousemove $(center s1) click 1
ui "u['selected'] == ['s1']" "s1 selected" || fail "s1 not selected"
X xdotool mousemove $(center demo) click 1
ui "u['demo'] == 's1' and tile('s1')['demo'] and st('s2')['showing'] == 'demo:s1' and st('s3')['showing'] == 'demo:s1'" \
	"Demo: s2 and s3 show demo:s1" || fail "the demo did not reach the others"
X xdotool mousemove $(center demo) click 1
ui "u['demo'] == '' and st('s2')['showing'] == 'teacher' and st('s3')['showing'] == 'teacher'" \
	"Stop demo: back to the teacher" || fail "the demo did not stop"

# b2. The same from s1's right-click menu (its sixth item: Demo).
X xdotool mousemove $(center s1) click 3
ui "u['menu'] == 'tile' and u['menu_items'] == 7" "s1's menu offers Demo and Control" ||
	fail "no Demo in the tile's menu"
X xdotool key Down Down Down Down Down Return
ui "u['demo'] == 's1' and st('s2')['showing'] == 'demo:s1'" \
	"Demo from s1's menu" || fail "the menu's Demo did nothing"
X xdotool mousemove $(center demo) click 1
ui "u['demo'] == '' and st('s2')['showing'] == 'teacher'" "stopped again" ||
	fail "the demo did not stop"

# b3. Film with s2 selected: its path typed in the entry; s2 shows the
# film, s1 and s3 the teacher; pressed again (Stop film), s2 the teacher.
if command -v ffmpeg >/dev/null; then
	ffmpeg -loglevel error -y -f lavfi -i testsrc=s=160x120:r=10:d=30 \
		-c:v libx264 -preset ultrafast -bf 0 -g 10 "$WORK/film.mkv" ||
		fail "ffmpeg could not make the film"
	X xdotool mousemove $(center s2) click 1
	ui "u['selected'] == ['s2']" "s2 selected" || fail "s2 not selected"
	X xdotool mousemove $(center film) click 1
	ui "u['entry']" "Film opens the text entry" || fail "no entry for the film"
	X xdotool type "$WORK/film.mkv"
	X xdotool key Return
	ui "u['film'] and st('s2')['showing'] == 'film:film.mkv' and st('s1')['showing'] == 'teacher' and st('s3')['showing'] == 'teacher'" \
		"Film: s2 shows the film, s1 and s3 the teacher" || fail "the film did not reach s2 alone"
	X xdotool mousemove $(center film) click 1
	ui "not u['film'] and st('s2')['showing'] == 'teacher'" \
		"Stop film: s2 back on the teacher" || fail "the film did not stop"
else
	echo "the film part skipped: ffmpeg not installed"
fi

# c. Remote control of s3.
X xdotool mousemove $(center s3) click 1
ui "u['selected'] == ['s3']" "s3 selected" || fail "s3 not selected"
X xdotool mousemove $(center control) click 1
ui "u['control'] == 's3' and u['view_src_w'] == 1280 and u['view_src_h'] == 720 and u['view_frames'] > 2 and st('s3')['remote_control']" \
	"Control: the view shows s3's 1280x720 screen" || fail "no control view"
sleep 0.5
# The student's (640, 360) and (200, 100), through the view's scale.
at() {
	uiget "(lambda r: '%d %d' % (r[0] + $1 * r[2] / 1280.0, r[1] + $2 * r[3] / 720.0))([float(v) for v in u['view_rect'].split(',')])"
}
n0=$(grep -c . "$WORK/events")
X xdotool mousemove $(at 640 360) click 1
X xdotool mousemove $(at 200 100) click 3
X xdotool key Return
X xdotool type ab
i=0
until grep -q '^key b' "$WORK/events"; do
	i=$((i + 1))
	[ $i -le $((100 * CAST_SLACK)) ] || break
	sleep 0.1
done
tail -n +"$n0" "$WORK/events" | grep -v '^motion' >"$WORK/got"
python3 - "$WORK/got" <<'PY' || fail "the console's input did not reach s3's display: $(cat "$WORK/got")"
import sys
lines = [l.split() for l in open(sys.argv[1])]
clicks = [l for l in lines if l[0] == "click"]
keys = [l for l in lines if l[0] == "key"]
print("s3 got: %s" % lines)
def near(c, x, y, b):
    return abs(int(c[1]) - x) <= 3 and abs(int(c[2]) - y) <= 3 and c[3] == b
ok = (len(clicks) == 2 and near(clicks[0], 640, 360, "1") and
      near(clicks[1], 200, 100, "3") and
      [k[1] for k in keys] == ["Return", "a", "b"])
sys.exit(0 if ok else 1)
PY
echo "clicks, a key and text in the view reached s3 where and as they were made"
X xdotool keydown Escape
sleep 1.6
X xdotool keyup Escape
ui "u['control'] == '' and not st('s3')['remote_control']" \
	"Esc held: control ends" || fail "Esc held did not end the control"
grep -q '^key Escape' "$WORK/events" && fail "the held Esc reached s3"
echo "PASS"
