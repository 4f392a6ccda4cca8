#!/bin/sh
# The teacher's console window (teacher/console.c, docs/console.md) on a
# private Xvfb, at 1366x768 (every part) and 1920x1080 (parts a-c, the
# console at UI scale 2: GDK_SCALE=2 and a 960x540 logical window), driven
# with xdotool like a teacher would, with three headless students:
#  a. the three students appear as tiles, online (green badge), none red;
#     resting on Lock shows its tooltip; at scale 2 (GDK_SCALE=2; and a
#     first console, stopped at once, with Xft.dpi: 192 from xrdb) the
#     window is 1920x1080, every tile and button twice the widget layer's
#     960x540 layout, none overlapping, the toolbar drawn that high;
#  b. click a tile: selected (its accent border); Ctrl+click a second;
#  c. the Lock button locks those two: `ctl class` and each student's own
#     stats say locked, the third is not; their tiles show red, its not;
#  d. Ctrl+M, type, Enter: the message reaches the selected students only;
#  d2. a student's raised hand and message: orange on its tile, listed;
#  e. Ctrl+G opens the language menu (drawn white where the console says);
#     Enter switches the console to 简体中文, ↓↓Enter to 繁體中文, then back
#     to English: each time the Lock button's label is the widget layer's
#     rendering of that language's word (tests/tools/ui_render.c), and not
#     the previous language's;
#  f. the custom menu hides "web", "wall" and the students' language (the
#     language menu keeps the console's own), then `ctl menu hide
#     whiteboard` the whiteboard: each time that toolbar button goes;
#  s. Stop broadcast: the teacher sends nothing (its stats), the status bar
#     says "not broadcasting", a student's stats say broadcast_on false;
#     Start broadcast: frames again;
#  g. broadcasting its own screen (x11), the console starts as the small
#     floating bar and is left out of the picture: a windowed student on a
#     second Xvfb shows flat grey where the bar is and none of its colour;
#     the bar's Lock locks the class; its Console button brings the full
#     console back (still left out), F11 shrinks it again; the bar's Stop
#     broadcast stops it and brings the full console back (the windowed
#     student then shows black with its "No broadcast" notice), F4 starts
#     it;
#  w. Whiteboard: the palette's buttons have tooltips; a stroke drawn with
#     the pointer is on the board; Esc
#     keeps it; r. Record starts and stops a recording; v. Voice (with
#     --voice) turns the voice on and off;
#  h. first run in a fresh home: the teacher makes the class key, the
#     console shows the student setup command (the same the teacher
#     printed), and a student started with exactly that command appears.
# Screenshots are read back as PPM and checked by region and colour.
. "$(dirname "$0")/lib.sh"

command -v Xvfb >/dev/null || skip "Xvfb not installed (scripts/install-deps.sh)"
command -v xdotool >/dev/null || skip "xdotool not installed"
command -v import >/dev/null || skip "ImageMagick not installed"
command -v ffmpeg >/dev/null || skip "ffmpeg not installed"
RENDER=$BUILD/tests/ui_render
[ -x "$RENDER" ] || skip "$RENDER not built"
fc-list ':lang=zh-cn' 2>/dev/null | grep -q . ||
	skip "no Chinese font (fonts-noto-cjk)"

SLACK=${CAST_TIMING_SLACK:-1}
"$TEACHER" keygen "$WORK/class.key" >/dev/null

# check_ppm SCRIPT ARGS...: runs a python check with helpers to read PPMs.
check_ppm() {
	python3 - "$@" <<'PY'
import json, sys

def ppm(path):
    d = open(path, "rb").read()
    parts, pos = [], 0
    while len(parts) < 4:
        while d[pos:pos + 1].isspace():
            pos += 1
        end = pos
        while not d[end:end + 1].isspace():
            end += 1
        parts.append(d[pos:end])
        pos = end
    w, h = int(parts[1]), int(parts[2])
    return w, h, d[pos + 1:]

def rect(s):
    return [int(float(v)) for v in s.split(",")]

def count(img, r, rgb, tol=14):
    w, h, px = img
    x, y, rw, rh = r
    n = 0
    for yy in range(y, min(y + rh, h)):
        row = yy * w * 3
        for xx in range(x, min(x + rw, w)):
            i = row + xx * 3
            if (abs(px[i] - (rgb >> 16)) < tol and
                    abs(px[i + 1] - ((rgb >> 8) & 255)) < tol and
                    abs(px[i + 2] - (rgb & 255)) < tol):
                n += 1
    return n

def differ(a, b, r, tol=40):
    """Pixels of rect r that differ between images a and b."""
    n = 0
    x, y, rw, rh = r
    for yy in range(y, y + rh):
        for xx in range(x, x + rw):
            i, j = (yy * a[0] + xx) * 3, (yy * b[0] + xx) * 3
            if max(abs(a[2][i + k] - b[2][j + k]) for k in range(3)) > tol:
                n += 1
    return n

exec(sys.argv[1])
PY
}

# ui EXPR WHAT [SECONDS]: waits (10 s, or SECONDS) until EXPR holds for the
# teacher's last stats line `s` (its "ui" object: `u`), and `cls` (ctl
# class's students by id).
# `ctl class` is asked only when EXPR uses it: each ask starts a teacher
# program (~0.15 s of CPU), five times a second for the whole wait.
ui() {
	python3 - "$TEACHER" "$SOCK" "$WORK/teacher.jsonl" "$1" "$2" "$SLACK" "${3:-10}" <<'PY'
import json, subprocess, sys, time
teacher, sock, path, expr, what, slack, secs = sys.argv[1:8]
end = time.time() + float(secs) * float(slack)
s = None
def ask_class():
    return subprocess.run([teacher, "ctl", "--socket", sock, "class"],
                          capture_output=True, text=True).stdout
while True:
    try:
        lines = [l for l in open(path) if l.endswith("\n")]
        s = json.loads(lines[-1]) if lines else None
    except (OSError, ValueError):
        s = None
    out = ask_class() if "cls" in expr else ""
    try:
        cls = {x["id"]: x for x in json.loads(out)["students"]}
    except (ValueError, KeyError):
        cls = {}
    if s and "ui" in s:
        try:
            if eval(expr, {"s": s, "u": s["ui"], "cls": cls}):
                print("ok: %s" % what)
                sys.exit(0)
        except (KeyError, IndexError, TypeError):
            pass
    if time.time() > end:
        print("FAIL: %s (%s)\n  ui: %s\n  class: %s" %
              (what, expr, s and s.get("ui"), (out or ask_class()).strip()))
        sys.exit(1)
    time.sleep(0.2)
PY
}

# uiget EXPR: prints EXPR of the teacher's last stats line (`u`: its "ui").
uiget() {
	python3 - "$WORK/teacher.jsonl" "$1" <<'PY'
import json, sys
lines = [l for l in open(sys.argv[1]) if l.endswith("\n")]
u = json.loads(lines[-1])["ui"]
print(eval(sys.argv[2], {"u": u}))
PY
}

# center ID|ACTION: the middle of that tile's or button's rectangle.
center() {
	uiget "(lambda r: '%d %d' % (r[0] + r[2] // 2, r[1] + r[3] // 3))([int(v) for v in next(t['rect'] for t in u['tiles'] + u['buttons'] if t.get('id', t.get('action')) == '$1').split(',')])"
}
rectof() {
	uiget "next(t['rect'] for t in u['tiles'] + u['buttons'] if t.get('id', t.get('action')) == '$1')"
}

shot() {
	X import -window root -depth 8 "$WORK/$1.ppm"
}

# label_is SHOT LANG OTHER_LANG: the Lock button (second of N, after
# Broadcast) in SHOT is the widget layer's drawing of LANG's word, and
# unlike OTHER_LANG's.
label_is() {
	"$RENDER" "$W" "$H" "$NB" 1 "$2" lock "$WORK/want-$2.ppm" ||
		fail "ui_render $2"
	"$RENDER" "$W" "$H" "$NB" 1 "$3" lock "$WORK/want-$3.ppm" ||
		fail "ui_render $3"
	check_ppm "
shot, want, other = ppm('$WORK/$1.ppm'), ppm('$WORK/want-$2.ppm'), ppm('$WORK/want-$3.ppm')
r = rect('$(rectof lock)')
# The label's band (below the icon): what the language changes.
band = [r[0], r[1] + r[3] // 2, r[2], r[3] // 2]
same, unlike = differ(shot, want, band), differ(shot, other, band)
print('lock label $2: %d px differ from its rendering, %d from $3' % (same, unlike))
if same > 20 or unlike < 40:
    print('FAIL: the Lock button does not read as $2'); sys.exit(1)
"
}

# end_size: stops run_size's teacher, students and Xvfb; the teacher must
# have logged no error.
end_size() {
	for p in $SPIDS $TPID; do kill "$p" 2>/dev/null || true; done
	wait "$TPID" 2>/dev/null || true
	kill "$XVFB" 2>/dev/null || true
	wait "$XVFB" 2>/dev/null || true
	if grep -q "ERROR\|AddressSanitizer\|runtime error" "$WORK/teacher-$W.err"; then
		cat "$WORK/teacher-$W.err"
		fail "teacher errors at ${W}x${H}"
	fi
}

# scale_geometry: the console's geometry at UI scale $SCALE is exactly
# SCALE times the widget layer's layout of its logical size (ui_render
# layout), inside the window, nothing overlapping; the screenshot's toolbar
# is that high.
scale_geometry() {
	"$RENDER" layout $((W / SCALE)) $((H / SCALE)) "$NB" >"$WORK/layout.json" ||
		fail "ui_render layout"
	shot scaled
	python3 - "$WORK/teacher.jsonl" "$WORK/layout.json" "$SCALE" "$W" "$H" "$WORK/scaled.ppm" <<'PY' || fail "the console at scale $SCALE"
import json, sys
lines = [l for l in open(sys.argv[1]) if l.endswith("\n")]
u = json.loads(lines[-1])["ui"]
want = json.load(open(sys.argv[2]))
k, W, H = float(sys.argv[3]), int(sys.argv[4]), int(sys.argv[5])
def r(s):
    return [float(v) for v in s.split(",")]
bad = []
if (u["ui_scale"], u["window_w"], u["window_h"]) != (k, W, H):
    bad.append("scale %s, window %sx%s" % (u["ui_scale"], u["window_w"], u["window_h"]))
got = [("toolbar", u["toolbar"], want["toolbar"]), ("status", u["status_bar"], want["status"]),
       ("side", u["side"], want["side"]), ("grid", u["grid"], want["grid"])]
got += [("tile %d" % i, t["rect"], want["tiles"][i]) for i, t in enumerate(u["tiles"])]
got += [("button %s" % b["action"], b["rect"], want["buttons"][i]) for i, b in enumerate(u["buttons"])]
for name, g, w in got:
    if any(abs(a - b * k) > 1 for a, b in zip(r(g), r(w))):
        bad.append("%s at %s, not %s x %s" % (name, g, k, w))
def overlap(a, b):  # by more than the pixel rounding may add
    return a[0] + 1 < b[0] + b[2] and b[0] + 1 < a[0] + a[2] and a[1] + 1 < b[1] + b[3] and b[1] + 1 < a[1] + a[3]
boxes = [("toolbar", r(u["toolbar"])), ("status", r(u["status_bar"])), ("side", r(u["side"]))]
boxes += [("tile " + t["id"], r(t["rect"])) for t in u["tiles"]]
boxes += [("button " + b["action"], r(b["rect"])) for b in u["buttons"]]
for i, (n1, a) in enumerate(boxes):
    if a[0] < 0 or a[1] < 0 or a[0] + a[2] > W + 1 or a[1] + a[3] > H + 1:
        bad.append("%s %s outside the window" % (n1, a))
    for n2, b in boxes[i + 1:]:
        inside = n2.startswith("button") and n1 == "toolbar"
        if overlap(a, b) and not inside:
            bad.append("%s overlaps %s" % (n1, n2))
# The screenshot: the toolbar's dark band, down the window's left edge.
d = open(sys.argv[6], "rb").read()
hdr = d.split(b"\n", 3)
pw, px = int(hdr[1].split()[0]), hdr[3]
band = 0
while band < H and all(abs(px[(band * pw + 2) * 3 + c] - v) < 14 for c, v in enumerate((0x23, 0x30, 0x3e))):
    band += 1
tb = r(u["toolbar"])[3]
print("scale %s: window %dx%d, toolbar %.0f px high (drawn %d), tile %s, button %s" % (
    k, W, H, tb, band, u["tiles"][0]["rect"], u["buttons"][0]["rect"]))
if abs(band - tb) > 2:
    bad.append("the toolbar is drawn %d px high, not %.0f" % (band, tb))
if bad:
    print("FAIL: " + "; ".join(bad)); sys.exit(1)
PY
}

# xft_probe: with Xft.dpi: 192 in the X resources (xrdb) and no GDK_SCALE,
# a console asked for 960x540 opens 1920x1080 at scale 2; stopped at once,
# the resources removed again.
xft_probe() {
	command -v xrdb >/dev/null || {
		echo "xrdb not installed (x11-xserver-utils): Xft.dpi not checked"
		return 0
	}
	echo "Xft.dpi: 192" | DISPLAY=$DISP xrdb -merge || fail "xrdb -merge"
	env -u GDK_SCALE DISPLAY=$DISP "$TEACHER" --key "$WORK/class.key" \
		--ctl-socket "$WORK/probe.sock" --source testpattern \
		--size 320x180 --fps 5 --bitrate 100 --channel $((CH + 10)) \
		--console-size 960x540 --console-lang en \
		--stats "$WORK/probe.jsonl" --duration 60 \
		2>"$WORK/probe.err" &
	PROBE=$!
	PIDS="$PIDS $PROBE"
	i=0
	until python3 -c "
import json, sys
u = [json.loads(l) for l in open(sys.argv[1]) if l.endswith('\\n')][-1]['ui']
sys.exit(0 if (u['ui_scale'], u['window_w'], u['window_h']) == (2, 1920, 1080) else 1)
" "$WORK/probe.jsonl" 2>/dev/null; do
		i=$((i + 1))
		[ $i -lt $((300 * SLACK)) ] ||
			fail "Xft.dpi 192 gave no scale 2: $(tail -c 600 "$WORK/probe.jsonl" 2>/dev/null) $(cat "$WORK/probe.err")"
		sleep 0.1
	done
	kill -INT "$PROBE" 2>/dev/null || true
	wait "$PROBE" 2>/dev/null || true
	DISPLAY=$DISP xrdb -remove || fail "xrdb -remove"
	echo "ok: Xft.dpi 192 (xrdb): the console at scale 2, 1920x1080"
}

# run_size W H CH [SCALE]: the console at that size (in window pixels; at
# UI scale SCALE, GDK_SCALE, its logical size is W/SCALE x H/SCALE). Every
# part at the first size (1366x768); at the others the layout parts (a-c:
# tiles, tooltip, selection, lock), which are what the size changes.
run_size() {
	W=$1
	H=$2
	CH=$3
	SCALE=${4:-1}
	SOCK=$WORK/teacher-$W.sock
	: >"$WORK/displayfd"
	# -noreset: the resources xrdb sets outlive xrdb (the server would
	# otherwise start over when its last client leaves).
	Xvfb -displayfd 3 -screen 0 "${W}x${H}x24" -nolisten tcp -nolisten unix \
		-noreset 3>"$WORK/displayfd" >"$WORK/xvfb.log" 2>&1 &
	XVFB=$!
	PIDS="$PIDS $XVFB"
	i=0
	while [ ! -s "$WORK/displayfd" ]; do
		i=$((i + 1))
		[ $i -gt 100 ] && skip "Xvfb did not start: $(cat "$WORK/xvfb.log")"
		sleep 0.1
	done
	DISP=:$(head -n 1 "$WORK/displayfd")
	echo "--- ${W}x${H} on $DISP, UI scale $SCALE"
	[ "$SCALE" = 1 ] || xft_probe
	rm -f "$WORK/teacher.jsonl"
	GDK_SCALE=$SCALE DISPLAY=$DISP "$TEACHER" --key "$WORK/class.key" \
		--ctl-socket "$SOCK" \
		--source testpattern --size 320x180 --fps 10 --bitrate 200 \
		--channel "$CH" --console-size "$((W / SCALE))x$((H / SCALE))" \
		--console-lang en \
		--record-dir "$WORK/rec-$W" \
		--stats "$WORK/teacher.jsonl" --duration 150 \
		2>"$WORK/teacher-$W.err" &
	TPID=$!
	PIDS="$PIDS $TPID"
	SPIDS=""
	for n in 1 2 3; do
		"$STUDENT" --key "$WORK/class.key" --channel "$CH" --id "s0$n" \
			--name "Student $n" --headless --state-dir "$WORK/s$n-$W" \
			--local-socket "$WORK/s$n-$W.sock" \
			--inbox "$WORK/s$n-$W/inbox" --duration 150 \
			--stats "$WORK/s$n-$W.jsonl" 2>"$WORK/s$n-$W.err" &
		SPIDS="$SPIDS $!"
		PIDS="$PIDS $!"
	done

	# a. three tiles, online, none locked.
	# The console's first picture: a loaded machine takes seconds to open
	# the window (fonts, the software OpenGL driver).
	ui "len(u['tiles']) == 3 and all(cls[i]['online'] for i in ('s01','s02','s03'))" \
		"three students shown as tiles" 30 || fail "students did not appear"
	NB=$(uiget "len(u['buttons'])")
	[ "$SCALE" = 1 ] || scale_geometry
	shot en
	check_ppm "
img = ppm('$WORK/en.ppm')
for i in ('s01', 's02', 's03'):
    r = rect('$(rectof s01)') if i == 's01' else rect('$(rectof s02)') if i == 's02' else rect('$(rectof s03)')
    g, red = count(img, r, 0x2e9e4f), count(img, r, 0xc5221f)
    print('tile %s: %d green (online) px, %d red' % (i, g, red))
    if g < 100 or red > 0: print('FAIL: tile %s' % i); sys.exit(1)
tb = rect('0,0,$W,20')
if count(img, tb, 0x23303e) < $W * 10: print('FAIL: no toolbar'); sys.exit(1)
" || fail "tiles at ${W}x${H}"

	# a2. The pointer resting on Lock: its tooltip (name, shortcut).
	X xdotool mousemove $(center lock)
	sleep 1.5
	shot tooltip
	check_ppm "
img = ppm('$WORK/tooltip.ppm')
r = rect('$(rectof lock)')
tip = count(img, [r[0], r[1] + r[3], $W // 2, r[3]], 0xfff8c5, 6)
print('tooltip: %d px' % tip)
if tip < 2000: print('FAIL: no tooltip'); sys.exit(1)
" || fail "tooltip"

	# b. select s01, Ctrl+click s02.
	X xdotool mousemove $(center s01) click 1
	ui "u['selected'] == ['s01']" "click selects s01" || fail "select"
	X xdotool mousemove $(center s02) keydown ctrl click 1 keyup ctrl
	ui "sorted(u['selected']) == ['s01', 's02']" "Ctrl+click adds s02" ||
		fail "multi-select"
	sleep 0.5
	shot selected
	check_ppm "
img = ppm('$WORK/selected.ppm')
def edge(r):  # the left border strip
    return [r[0] + 1, r[1] + 10, 3, r[3] - 20]
a, b, c = (count(img, edge(rect(x)), 0x1e6fd9) for x in ('$(rectof s01)', '$(rectof s02)', '$(rectof s03)'))
print('accent border px: s01 %d, s02 %d, s03 %d' % (a, b, c))
if a < 50 or b < 50 or c > 5: print('FAIL: selection not drawn'); sys.exit(1)
" || fail "selection drawn"

	# c. Lock: the two selected locked, the third not.
	X xdotool mousemove $(center lock) click 1
	ui "cls['s01']['locked'] and cls['s02']['locked'] and not cls['s03']['locked'] and [t['locked'] for t in u['tiles']] == [True, True, False]" \
		"Lock button locks s01, s02 (ctl class)" || fail "lock"
	python3 - "$WORK/s1-$W.jsonl" "$WORK/s3-$W.jsonl" "$SLACK" <<'PY' || fail "students' own lock state"
import json, sys, time
end = time.time() + 10 * float(sys.argv[3])
while True:
    last = []
    for p in sys.argv[1:3]:
        lines = [l for l in open(p) if l.endswith("\n")]
        last.append(json.loads(lines[-1]).get("class", {}).get("locked") if lines else None)
    if last == [True, False]:
        print("ok: s01's own stats say locked, s03's not"); sys.exit(0)
    if time.time() > end:
        print("FAIL: students' locked: %s" % last); sys.exit(1)
    time.sleep(0.2)
PY
	sleep 0.5
	shot locked
	check_ppm "
img = ppm('$WORK/locked.ppm')
a, c = count(img, rect('$(rectof s01)'), 0xc5221f), count(img, rect('$(rectof s03)'), 0xc5221f)
print('red (locked) px: s01 %d, s03 %d' % (a, c))
if a < 100 or c > 0: print('FAIL: lock not drawn'); sys.exit(1)
" || fail "lock drawn"
	if [ "$W" != 1366 ]; then
		end_size
		return 0
	fi

	# d. A message to the selection, typed into the entry.
	X xdotool key ctrl+m
	ui "u['entry']" "Ctrl+M opens the message entry" || fail "entry"
	X xdotool type --delay 30 "hello class"
	X xdotool key Return
	python3 - "$WORK/s1-$W.jsonl" "$WORK/s3-$W.jsonl" "$SLACK" <<'PY' || fail "message"
import json, sys, time
end = time.time() + 10 * float(sys.argv[3])
while True:
    last = []
    for p in sys.argv[1:3]:
        lines = [l for l in open(p) if l.endswith("\n")]
        last.append(json.loads(lines[-1]).get("class", {}).get("message_text") if lines else None)
    if last == ["hello class", ""]:
        print("ok: the message reached s01, not s03"); sys.exit(0)
    if time.time() > end:
        print("FAIL: message texts: %s" % last); sys.exit(1)
    time.sleep(0.2)
PY

	# d2. s03 raises its hand and writes: its tile and the side panel.
	"$STUDENT" ctl --socket "$WORK/s3-$W.sock" hand up >/dev/null ||
		fail "hand up"
	"$STUDENT" ctl --socket "$WORK/s3-$W.sock" message "a question" \
		>/dev/null || fail "student message"
	ui "u['hands'] == ['s03'] and u['messages'] >= 1" \
		"s03's raised hand and message reach the console" || fail "hand"
	sleep 0.5
	shot hand
	check_ppm "
img = ppm('$WORK/hand.ppm')
a, c = count(img, rect('$(rectof s01)'), 0xf29900), count(img, rect('$(rectof s03)'), 0xf29900)
print('hand (orange) px: s01 %d, s03 %d' % (a, c))
if c < 100 or a > 0: print('FAIL: hand not drawn'); sys.exit(1)
" || fail "hand drawn"

	# w. The whiteboard: drawing mode, a blue stroke through the
	# console's pointer, on the board (`ctl board`) and on the screen;
	# Esc leaves drawing mode with the drawing kept; pressed again while
	# drawing, the board is hidden.
	N0=$("$TEACHER" ctl --socket "$SOCK" board |
		python3 -c "import json,sys; print(json.load(sys.stdin)['items'])") ||
		fail "ctl board"
	X xdotool mousemove $(center whiteboard) click 1
	ui "u['drawing'] and 'board_rect' in u and len(u['palette']) == 21" \
		"Whiteboard enters drawing mode (palette, drawing surface)" ||
		fail "drawing mode"
	# Resting on a palette button: its tooltip, in the console's language.
	for p in ellipse:Ellipse undo:Undo; do
		PT=$(uiget "next(p['rect'] for p in u['palette'] if p['name'] == '${p%%:*}')")
		X xdotool mousemove $(python3 -c "r=[int(v) for v in '$PT'.split(',')]; print(r[0] + r[2] // 2, r[1] + r[3] // 2)")
		ui "u['tooltip'] == '${p#*:}'" "the palette's ${p%%:*} says ${p#*:}" ||
			fail "palette tooltip"
	done
	sleep 0.3
	shot paltip
	check_ppm "
img = ppm('$WORK/paltip.ppm')
r = rect('$PT')
tip = count(img, [r[0] + r[2], r[1] - 20, 300, r[3] + 40], 0xfff8c5, 6)
print('palette tooltip: %d px' % tip)
if tip < 500: print('FAIL: no palette tooltip drawn'); sys.exit(1)
" || fail "palette tooltip drawn"
	PB=$(uiget "next(p['rect'] for p in u['palette'] if p['name'] == 'color_1e88e5')")
	X xdotool mousemove $(python3 -c "r=[int(v) for v in '$PB'.split(',')]; print(r[0] + r[2] // 2, r[1] + r[3] // 2)") click 1
	PW=$(uiget "next(p['rect'] for p in u['palette'] if p['name'] == 'width_12')")
	X xdotool mousemove $(python3 -c "r=[int(v) for v in '$PW'.split(',')]; print(r[0] + r[2] // 2, r[1] + r[3] // 2)") click 1
	BR=$(uiget "u['board_rect']")
	set -- $(python3 -c "
r=[int(v) for v in '$BR'.split(',')]
pts=[(r[0] + r[2] * (0.2 + 0.05 * i), r[1] + r[3] * (0.3 + 0.03 * i)) for i in range(11)]
print(' '.join('%d %d' % p for p in pts))")
	X xdotool mousemove "$1" "$2" mousedown 1
	shift 2
	while [ $# -ge 2 ]; do
		X xdotool mousemove "$1" "$2"
		sleep 0.05
		shift 2
	done
	# Mid-stroke (the button still down), the screen shows the line so
	# far: drawn by the partial redraws alone.
	sleep 0.3
	shot board_mid
	check_ppm "
img = ppm('$WORK/board_mid.ppm')
n = count(img, rect('$BR'), 0x1e88e5, 24)
print('board surface mid-stroke: %d blue px' % n)
if n < 200: print('FAIL: the stroke is not drawn while drawing'); sys.exit(1)
" || fail "stroke drawn while drawing"
	X xdotool mouseup 1
	BOARD_OK=$(python3 - "$TEACHER" "$SOCK" "$N0" "$SLACK" <<'PY'
import json, subprocess, sys, time
teacher, sock, n0, slack = sys.argv[1], sys.argv[2], int(sys.argv[3]), float(sys.argv[4])
end = time.time() + 10 * slack
while True:
    b = json.loads(subprocess.run([teacher, "ctl", "--socket", sock, "board"],
                                  capture_output=True, text=True).stdout)
    if b["items"] == n0 + 1 and b["on"] and b["style"]["color"] == "#1e88e5":
        print("ok"); break
    if time.time() > end:
        print("board: %s" % b); break
    time.sleep(0.2)
PY
)
	[ "$BOARD_OK" = ok ] || fail "the stroke is not on the board ($BOARD_OK)"
	echo "ok: the stroke drawn with the pointer is a new blue item (ctl board)"
	# The pen's moves repainted only the rectangles they touched.
	ui "u['stroke_redraws'] > 0 and u['stroke_ms']['count'] > 0" \
		"the stroke's moves were shown by partial redraws" || fail "partial redraws"
	sleep 0.5
	shot board
	check_ppm "
img = ppm('$WORK/board.ppm')
n = count(img, rect('$BR'), 0x1e88e5, 24)
print('board surface: %d blue px' % n)
if n < 200: print('FAIL: the stroke is not drawn'); sys.exit(1)
" || fail "stroke drawn"
	X xdotool key Escape
	ui "not u['drawing'] and len(u['tiles']) == 3" \
		"Esc leaves drawing mode (the tiles are back)" || fail "Esc"
	"$TEACHER" ctl --socket "$SOCK" board | grep -q "\"on\":true,.*\"items\":$((N0 + 1))," ||
		fail "Esc lost the drawing: $("$TEACHER" ctl --socket "$SOCK" board)"
	echo "ok: the board stays on with its drawing after Esc"
	X xdotool key F5
	ui "u['drawing']" "F5 draws again" || fail "F5"
	X xdotool mousemove $(center whiteboard) click 1
	ui "not u['drawing']" "Whiteboard pressed again leaves drawing" ||
		fail "whiteboard off"
	"$TEACHER" ctl --socket "$SOCK" board | grep -q '"on":false' ||
		fail "the board is still shown"

	# r. Record: pressed, the teacher records (its stats); the status bar
	# counts; pressed again, the file is there.
	X xdotool mousemove $(center record) click 1
	ui "s['recording'] and u['recording'] and s['record_path'].startswith('$WORK/rec-$W/')" \
		"Record starts the recording (teacher stats)" || fail "record start"
	RP=$(python3 -c "import json; print(json.loads([l for l in open('$WORK/teacher.jsonl') if l.endswith('\n')][-1])['record_path'])")
	ui "s['record_seconds'] >= 2 and ' rec 00:00:0' in u['status']" \
		"recording for 2 s, the status bar counts" || fail "record time"
	X xdotool mousemove $(center record) click 1
	ui "not s['recording'] and not u['recording']" \
		"Record pressed again stops it" || fail "record stop"
	[ -s "$RP" ] || fail "no recording at $RP"
	echo "ok: the recording $RP ($(wc -c <"$RP") bytes)"

	# s. Stop broadcast: nothing sent, the status bar and the students say
	# so; Start broadcast: frames again.
	X xdotool mousemove $(center broadcast) click 1
	ui "not s['broadcasting'] and not u['broadcasting'] and 'not broadcasting' in u['status']" \
		"Stop broadcast: the teacher stops, the status bar says so" ||
		fail "broadcast stop"
	python3 - "$WORK/s1-$W.jsonl" "$SLACK" <<'PY' || fail "student not told"
import json, sys, time
end = time.time() + 10 * float(sys.argv[2])
while True:
    lines = [l for l in open(sys.argv[1]) if l.endswith("\n")]
    s = json.loads(lines[-1]) if lines else {}
    if s.get("broadcast_on") is False:
        print("ok: s01's own stats say broadcast_on false"); sys.exit(0)
    if time.time() > end:
        print("FAIL: s01: %s" % (lines[-1:] or "")); sys.exit(1)
    time.sleep(0.2)
PY
	sleep 1.2
	F0=$(python3 -c "import json; print(json.loads([l for l in open('$WORK/teacher.jsonl') if l.endswith('\n')][-1])['frames_sent'])")
	sleep 1.2
	ui "s['frames_sent'] == $F0" "nothing sent while stopped" ||
		fail "frames sent while stopped"
	X xdotool mousemove $(center broadcast) click 1
	ui "s['broadcasting'] and u['broadcasting'] and s['frames_sent'] > $F0 and ' broadcasting 320x180' in u['status']" \
		"Start broadcast: frames again" || fail "broadcast start"

	# e. Language, live: zh_CN, zh_TW, back to en.
	label_is en en zh_CN
	X xdotool key ctrl+g
	ui "u['menu'] == 'language' and u['menu_items'] == 6" \
		"Ctrl+G opens the language menu" || fail "language menu"
	MR=$(uiget "u['menu_rect']")
	sleep 0.5
	shot menu
	check_ppm "
img = ppm('$WORK/menu.ppm')
x, y, w, ih = rect('$MR')
white = count(img, [x + 2, y + ih + 2, w - 4, ih * 4], 0xffffff, 6)
print('language menu: %d white px' % white)
if white < w * ih: print('FAIL: menu not drawn'); sys.exit(1)
" || fail "menu drawn"
	X xdotool key Return
	ui "u['lang'] == 'zh_CN' and u['menu'] == ''" "console in zh_CN" ||
		fail "zh_CN"
	sleep 0.5
	shot zh_CN
	label_is zh_CN zh_CN en
	X xdotool key ctrl+g Down Down Return
	ui "u['lang'] == 'zh_TW'" "console in zh_TW" || fail "zh_TW"
	sleep 0.5
	shot zh_TW
	label_is zh_TW zh_TW zh_CN
	X xdotool key ctrl+g Down Return
	ui "u['lang'] == 'en'" "console back in English" || fail "en"
	ui "{'whiteboard', 'record'} <= {b['action'] for b in u['buttons']} and 'voice' not in [b['action'] for b in u['buttons']]" \
		"Whiteboard and Record on the toolbar, no Voice without --voice" ||
		fail "new buttons"
	check_ppm "
a, b, c = ppm('$WORK/en.ppm'), ppm('$WORK/zh_CN.ppm'), ppm('$WORK/zh_TW.ppm')
for name, r in (('whiteboard', rect('$(rectof whiteboard)')), ('record', rect('$(rectof record)'))):
    band = [r[0], r[1] + r[3] // 2, r[2], r[3] // 2]
    d1, d2 = differ(a, b, band), differ(b, c, band)
    print('%s label: en/zh_CN %d px differ, zh_CN/zh_TW %d' % (name, d1, d2))
    if d1 < 40 or (name == 'record' and d2 < 40): print('FAIL: %s label not in each language' % name); sys.exit(1)
" || fail "new buttons' labels"

	# f. The custom menu hides the web button.
	X xdotool mousemove $(center menu) click 1
	ui "u['menu'] == 'menu'" "custom menu open" || fail "custom menu"
	MR=$(uiget "u['menu_rect']")
	# Items in the order the console lists them (menu_features).
	item() {
		uiget "(lambda r, k: '%d %d' % (r[0] + 20, r[1] + r[3] * k + r[3] // 2))([int(v) for v in u['menu_rect'].split(',')], u['menu_features'].index('$1'))"
	}
	X xdotool mousemove $(item web) click 1
	ui "'web' not in [b['action'] for b in u['buttons']] and len(u['buttons']) == $NB - 1" \
		"hiding web removes its button" || fail "custom menu hide"
	"$TEACHER" ctl --socket "$SOCK" menu show web >/dev/null
	# The newer buttons are features too: Wall.
	ui "len(u['buttons']) == $NB" "web back" || fail "menu show web"
	X xdotool mousemove $(center menu) click 1
	ui "u['menu'] == 'menu' and {'wall', 'demo', 'control', 'broadcast'} <= set(u['menu_features'])" \
		"the custom menu lists broadcast, wall, demo, control" ||
		fail "custom menu items"
	X xdotool mousemove $(item wall) click 1
	ui "'wall' not in [b['action'] for b in u['buttons']] and len(u['buttons']) == $NB - 1" \
		"hiding wall removes its button" || fail "custom menu hide wall"
	"$TEACHER" ctl --socket "$SOCK" menu | grep -q '"feature":"wall","shown":false' ||
		fail "the class does not keep wall hidden"
	"$TEACHER" ctl --socket "$SOCK" menu show wall >/dev/null
	# Back on the toolbar before the next click: the buttons after it
	# move when it comes back.
	ui "len(u['buttons']) == $NB" "wall back" || fail "menu show wall"
	# "language" hides the students' language, never the console's own.
	X xdotool mousemove $(center menu) click 1
	ui "u['menu'] == 'menu' and 'language' in u['menu_features']" \
		"the custom menu lists the students' language" || fail "menu language"
	X xdotool mousemove $(item language) click 1
	ui "'language' in [b['action'] for b in u['buttons']]" "language kept" ||
		fail "the language button went"
	"$TEACHER" ctl --socket "$SOCK" menu | grep -q '"feature":"language","shown":false' ||
		fail "the class does not keep language hidden"
	X xdotool key ctrl+g
	ui "u['menu'] == 'language' and u['menu_items'] == 3" \
		"hidden, the language menu keeps only the console's languages" ||
		fail "students' language not hidden"
	X xdotool key Escape
	"$TEACHER" ctl --socket "$SOCK" menu show language >/dev/null
	# The whiteboard is a feature too: hidden, its button goes.
	"$TEACHER" ctl --socket "$SOCK" menu hide whiteboard >/dev/null
	ui "'whiteboard' not in [b['action'] for b in u['buttons']] and len(u['buttons']) == $NB - 1" \
		"ctl menu hide whiteboard removes its button" || fail "menu hide whiteboard"
	"$TEACHER" ctl --socket "$SOCK" menu show whiteboard >/dev/null

	end_size
}

X() { DISPLAY=$DISP "$@"; }

# xvfb VAR: starts an Xvfb 1366x768, its display in VAR.
xvfb() {
	: >"$WORK/displayfd"
	Xvfb -displayfd 3 -screen 0 1366x768x24 -nolisten tcp -nolisten unix \
		3>"$WORK/displayfd" >>"$WORK/xvfb.log" 2>&1 &
	PIDS="$PIDS $!"
	i=0
	while [ ! -s "$WORK/displayfd" ]; do
		i=$((i + 1))
		[ $i -gt 100 ] && skip "Xvfb did not start: $(cat "$WORK/xvfb.log")"
		sleep 0.1
	done
	eval "$1=:$(head -n 1 "$WORK/displayfd")"
}

run_own_screen() {
	W=1366
	H=768
	CH=45
	SOCK=$WORK/teacher-own.sock
	xvfb DISP
	xvfb SDISP
	echo "--- own screen: teacher on $DISP, student window on $SDISP"
	rm -f "$WORK/teacher.jsonl"
	DISPLAY=$DISP "$TEACHER" --key "$WORK/class.key" --ctl-socket "$SOCK" \
		--source x11 --fps 10 --bitrate 1500 --channel $CH \
		--console-lang en --stats "$WORK/teacher.jsonl" --duration 150 \
		2>"$WORK/teacher-own.err" &
	PIDS="$PIDS $!"
	DISPLAY=$SDISP "$STUDENT" --key "$WORK/class.key" --channel $CH \
		--id s01 --name "Student 1" --windowed 1366x768+0+0 \
		--state-dir "$WORK/own-s1" --local-socket "$WORK/own-s1.sock" \
		--inbox "$WORK/own-s1/inbox" --duration 150 \
		--stats "$WORK/own-s1.jsonl" 2>"$WORK/own-s1.err" &
	PIDS="$PIDS $!"
	ui "u['bar'] and u['window_w'] < 700 and u['excluded'] != '0,0,0,0' and len(u['tiles']) == 1 and cls['s01']['online']" \
		"own screen: the console starts as the floating bar" 30 ||
		fail "floating bar"
	EX=$(uiget "u['excluded']")
	# The student's picture: give the stream time to carry the bar's place.
	python3 - "$WORK/own-s1.jsonl" "$SLACK" <<'PY' || fail "student picture"
import json, sys, time
end = time.time() + 15 * float(sys.argv[2])
while True:
    lines = [l for l in open(sys.argv[1]) if l.endswith("\n")]
    s = json.loads(lines[-1]) if lines else {}
    if s.get("frames_decoded", s.get("decoded", 0)) or s.get("fps", 0) > 0:
        sys.exit(0)
    if time.time() > end:
        print("FAIL: the student shows no picture: %s" % (lines[-1:] or "")); sys.exit(1)
    time.sleep(0.3)
PY
	sleep 2
	shot own-teacher
	DISPLAY=$SDISP import -window root -depth 8 "$WORK/own-student.ppm"
	check_ppm "
t, s = ppm('$WORK/own-teacher.ppm'), ppm('$WORK/own-student.ppm')
x, y, w, h = rect('$EX')
inner = [x + 4, y + 4, w - 8, h - 8]
bar_t = count(t, inner, 0x23303e)
grey_s, bar_s = count(s, inner, 0x303030, 12), count(s, inner, 0x23303e, 6)
print('bar %s: teacher sees %d px of it; the student %d px grey, %d of its colour' % ('$EX', bar_t, grey_s, bar_s))
if bar_t < w * h // 3: print('FAIL: no bar on the teacher screen'); sys.exit(1)
if grey_s < inner[2] * inner[3] * 9 // 10 or bar_s > 0:
    print('FAIL: the bar reaches the students'); sys.exit(1)
" || fail "bar left out of the picture"
	# The bar's Lock, then its Console button.
	BX=$(uiget "(lambda e, r: '%d %d' % (e[0] + r[0] + r[2] // 2, e[1] + r[1] + r[3] // 2))([int(v) for v in u['excluded'].split(',')], [int(v) for v in u['bar_lock'].split(',')])")
	X xdotool mousemove $BX click 1
	ui "cls['s01']['locked']" "the bar's Lock locks the class" || fail "bar lock"
	BX=$(uiget "(lambda e, r: '%d %d' % (e[0] + r[0] + r[2] // 2, e[1] + r[1] + r[3] // 2))([int(v) for v in u['excluded'].split(',')], [int(v) for v in u['bar_console'].split(',')])")
	X xdotool mousemove $BX click 1
	ui "not u['bar'] and u['window_w'] > 1000 and int(u['excluded'].split(',')[2]) > 1000" \
		"Console brings the full console back, still left out" ||
		fail "bar to console"
	X xdotool key F11
	ui "u['bar'] and u['window_w'] < 700" "F11 shrinks it to the bar again" ||
		fail "console to bar"
	# The bar's Stop broadcast: stopped, the full console back; F4 starts.
	BX=$(uiget "(lambda e, r: '%d %d' % (e[0] + r[0] + r[2] // 2, e[1] + r[1] + r[3] // 2))([int(v) for v in u['excluded'].split(',')], [int(v) for v in u['bar_broadcast'].split(',')])")
	X xdotool mousemove $BX click 1
	ui "not u['bar'] and not s['broadcasting'] and 'not broadcasting' in u['status']" \
		"the bar's Stop broadcast stops it and brings the console back" ||
		fail "bar broadcast stop"
	# The windowed student drops the picture and says "No broadcast".
	python3 - "$WORK/own-s1.jsonl" "$SLACK" <<'PY' || fail "student not stopped"
import json, sys, time
end = time.time() + 10 * float(sys.argv[2])
while True:
    lines = [l for l in open(sys.argv[1]) if l.endswith("\n")]
    if lines and json.loads(lines[-1]).get("broadcast_on") is False:
        sys.exit(0)
    if time.time() > end:
        print("FAIL: s01: %s" % (lines[-1:] or "")); sys.exit(1)
    time.sleep(0.2)
PY
	sleep 0.5
	DISPLAY=$SDISP import -window root -depth 8 "$WORK/own-stopped.ppm"
	check_ppm "
s = ppm('$WORK/own-stopped.ppm')
black = count(s, [0, 0, 1366, 768], 0x000000, 8)
text = count(s, [283, 284, 800, 200], 0xffffff, 60)
print('stopped: the student window %d px black, %d px of its notice' % (black, text))
if black < 1366 * 768 * 9 // 10 or text < 300:
    print('FAIL: the windowed student still shows a picture, or no notice'); sys.exit(1)
" || fail "windowed student while stopped"
	X xdotool key F4
	ui "s['broadcasting'] and u['broadcasting']" "F4 starts the broadcast again" ||
		fail "F4 broadcast start"
	X xdotool key F11
	ui "u['bar'] and u['window_w'] < 700" "F11: the bar again" ||
		fail "console to bar"
	# The bar's Whiteboard: the full console in drawing mode, the board
	# shown; Esc leaves drawing with the board still on.
	BX=$(uiget "(lambda e, r: '%d %d' % (e[0] + r[0] + r[2] // 2, e[1] + r[1] + r[3] // 2))([int(v) for v in u['excluded'].split(',')], [int(v) for v in u['bar_board'].split(',')])")
	X xdotool mousemove $BX click 1
	ui "u['drawing'] and not u['bar'] and s['board']['on']" \
		"the bar's Whiteboard opens drawing mode" || fail "bar whiteboard"
	X xdotool key Escape
	ui "not u['drawing'] and s['board']['on']" \
		"Esc leaves drawing, the board stays shown" || fail "bar Esc"
}

run_first() {
	SOCK=$WORK/teacher-first.sock
	xvfb DISP
	echo "--- first run on $DISP"
	export HOME="$WORK/fresh-home"
	mkdir -p "$HOME"
	rm -f "$WORK/teacher.jsonl"
	ffmpeg -loglevel error -y -f lavfi -i sine=frequency=440:duration=200 \
		-ar 48000 -ac 1 "$WORK/tone.wav" || fail "ffmpeg made no tone"
	DISPLAY=$DISP "$TEACHER" --ctl-socket "$SOCK" --source testpattern \
		--size 320x180 --fps 10 --bitrate 200 --channel 46 \
		--voice "file:$WORK/tone.wav" \
		--console-size 1366x768 --console-lang zh_CN \
		--stats "$WORK/teacher.jsonl" --duration 150 \
		2>"$WORK/teacher-first.err" &
	PIDS="$PIDS $!"
	ui "u['first_run'] and u['setup'].startswith('cast-student --channel 46 --key-code ')" \
		"first run: the console shows the student setup" 30 || fail "setup"
	[ -s "$HOME/.config/libcast/class.key" ] &&
		[ -s "$HOME/.config/libcast/class.key.teacher" ] ||
		fail "first run made no key files"
	SETUP=$(uiget "u['setup']")
	CODES=${SETUP#cast-student --channel 46 }
	grep -q -- "$CODES" "$WORK/teacher-first.err" ||
		fail "the console's setup ($CODES) is not what the teacher printed"
	# A student PC: its own empty home, only the command shown.
	# shellcheck disable=SC2086
	HOME="$WORK/student-home" "$STUDENT" ${SETUP#cast-student } --headless \
		--id s07 --name "李雷" --state-dir "$WORK/first-s7" \
		--local-socket "$WORK/first-s7.sock" --inbox "$WORK/first-s7/inbox" \
		--duration 150 2>"$WORK/first-s7.err" &
	PIDS="$PIDS $!"
	ui "[t['id'] for t in u['tiles']] == ['s07'] and cls['s07']['online'] and cls['s07']['name'] == '李雷'" \
		"the student started with the shown command appears" ||
		fail "student from the setup command"
	# v. With a voice source the Voice button exists; pressed, the
	# teacher's voice is on (its stats); pressed again, off.
	X xdotool mousemove $(center voice) click 1
	ui "s['voice_on'] and u['voice_on']" "Voice turns the voice on" ||
		fail "voice on"
	X xdotool mousemove $(center voice) click 1
	ui "not s['voice_on'] and not u['voice_on']" \
		"Voice pressed again turns it off" || fail "voice off"
}

run_size 1366 768 43
run_size 1920 1080 44 2
run_own_screen
run_first
echo "console: all checks passed"
