#!/bin/sh
# Whiteboard (F8) end to end. Part 1, a third-party client: ffmpeg decodes
# the plain RTP broadcast of a test-pattern teacher while `ctl board` turns
# the board on and draws a thick red rectangle; in ffmpeg's pictures the
# rectangle's edge is red from the picture the teacher named in its answer
# (latency counted in frames, from the stamps), never before, and in every
# picture after. Part 2, the class: a secure teacher and a student in a real
# window (Xvfb) whose last picture (--dump) shows the red rectangle drawn
# through the class's ctl socket, and not before it was drawn; pages, text,
# undo/redo, save, open and export (PNG pages, one PDF) answered later by
# the board's worker.
. "$(dirname "$0")/lib.sh"
command -v ffmpeg >/dev/null || skip "ffmpeg is not installed (scripts/install-deps.sh)"

SIZE=640x360

# The two parts share nothing (their own channels, sockets and files): the
# ffmpeg part runs beside the class part, in a subshell that stops what it
# started, its output shown after the class part's.
part1() {
	CH=13
	"$TEACHER" --headless --insecure --source testpattern --size $SIZE --channel $CH \
		--duration 0.2 --sdp "$WORK/cast.sdp" --ctl-socket "$WORK/sdp.sock" >/dev/null
	ffmpeg -hide_banner -loglevel error -nostdin -protocol_whitelist file,udp,rtp \
		-i "$WORK/cast.sdp" -vsync passthrough -f rawvideo -pix_fmt yuv420p -y "$WORK/ff.yuv" \
		2>"$WORK/ffmpeg.log" &
	FF=$!
	PIDS="$PIDS $FF"
	sleep 1
	# Stopped once the board has been composited into 200 pictures (its
	# stats, each second), not by the clock: on a loaded machine the
	# commands below take seconds.
	bg "$TEACHER" --headless --insecure --source testpattern --size $SIZE --fps 30 \
		--channel $CH --duration $((60 * CAST_SLACK)) --ctl-socket "$WORK/t.sock" \
		--stats "$WORK/t.json"
	T=$!
	B() { "$TEACHER" ctl --socket "$WORK/t.sock" board "$@" 2>&1; }
	# Two seconds of plain pictures first (ffmpeg must see some before the
	# drawing); a loaded machine may take seconds to start the teacher.
	stats_until "$WORK/t.json" "s['frames_sent'] >= 60" ||
		fail "the teacher sent no pictures: $(tail -n 1 "$WORK/t.json")"
	B on >"$WORK/on.json" || fail "board on: $(cat "$WORK/on.json")"
	# A rectangle from (0.4,0.3) to (0.8,0.7), 60 px wide on a 1080-line page:
	# its top edge covers rows 98..118 of 360.
	B draw tool=rect color=#ff0000 width=60 'points=0.4,0.3;0.8,0.7' >"$WORK/draw.json" ||
		fail "board draw: $(cat "$WORK/draw.json")"
	FRAME=$(python3 -c "import json,sys; print(json.load(open(sys.argv[1]))['frame'])" "$WORK/draw.json")
	B draw tool=pen 'points=2,2;3,3' >"$WORK/bad.json" && fail "points outside the page accepted"
	grep -q 'outside the page' "$WORK/bad.json" || fail "refusal does not say why: $(cat "$WORK/bad.json")"
	stats_until "$WORK/t.json" "s['board']['composited'] >= 200" ||
		fail "the board was never composited 200 times: $(tail -n 1 "$WORK/t.json")"
	kill -INT $T
	wait $T || fail "teacher failed"
	check "$WORK/t.json" "s['board']['on'] and s['board']['renders'] >= 1 and s['board']['composited'] >= 200" \
		"the teacher's stats do not show the board composited"
	sleep 1
	kill -INT $FF 2>/dev/null || true
	wait $FF || true

	"$BUILD/tests/stampcheck" "$WORK/ff.yuv" $SIZE --red 300,104,120,8 >"$WORK/ff.json"
	cat "$WORK/ff.json"
	python3 - "$WORK/ff.json" "$FRAME" <<'PY' || fail "ffmpeg's pictures do not show the board"
import json, sys
stamp, red = [json.loads(l) for l in open(sys.argv[1])]
frame = int(sys.argv[2])
assert stamp["frames"] >= 150 and stamp["bad"] == 0, "ffmpeg decoded too little: %s" % stamp
assert red["plain_last"] >= 0, "no picture before the drawing"
assert red["red_first"] >= 0, "the rectangle never showed"
assert red["red_gaps"] == 0, "%d pictures after the first red one are not red" % red["red_gaps"]
assert red["plain_last"] < red["red_first"], "red before it was drawn"
late = red["red_first"] - frame
print("RESULT " + json.dumps({"drawn_at_frame": frame, "first_red_frame": red["red_first"],
      "latency_frames": late, "red_frames": red["red"]}))
# The picture the answer named is the first to carry the rectangle; one
# more if the command landed while that picture was being composited.
assert 0 <= late <= 1, "the rectangle showed %d frames after the command" % late
PY
}

part2() {
	xvfb_start 1280x720x24
	export DISPLAY=$XVFB_DISPLAY

	CH=14
	"$TEACHER" keygen "$WORK/class.key" >/dev/null
	bg "$TEACHER" --headless --key "$WORK/class.key" --ctl-socket "$WORK/c.sock" \
		--source testpattern --size $SIZE --channel $CH --duration 120 --stats "$WORK/c.json"
	T=$!
	C() { "$TEACHER" ctl --socket "$WORK/c.sock" board "$@" 2>&1; }
	# STU ID: a student in a window until it has decoded 31 pictures (its
	# stats, each second), then stopped: its last picture is in ID.ppm.
	STU() {
		"$STUDENT" --key "$WORK/class.key" --channel $CH --id "$1" --windowed $SIZE+0+0 \
			--duration $((30 * CAST_SLACK)) --state-dir "$WORK/$1" \
			--local-socket "$WORK/$1.sock" --inbox "$WORK/$1/inbox" \
			--dump "$WORK/$1.ppm" --stats "$WORK/$1.json" --check-stamp &
		SP=$!
		PIDS="$PIDS $SP"
		stats_until "$WORK/$1.json" "s['frames_decoded'] > 30" || true
		kill -INT $SP 2>/dev/null || true
		wait $SP
	}
	sleep 1
	STU before || fail "student (before) failed"
	C on >/dev/null
	C draw tool=rect color=#ff0000 width=60 'points=0.4,0.3;0.8,0.7' >/dev/null || fail "class: draw"
	C text x=0.05 y=0.8 size=48 color=#0000ff 'text=Übung 1 — 练习' >/dev/null || fail "class: text"
	C page new grid >/dev/null
	C draw tool=ellipse 'points=0.2,0.2;0.6,0.6' >/dev/null
	C undo >"$WORK/undo.json"
	python3 -c "import json,sys; s=json.load(open(sys.argv[1])); assert s['items']==0 and s['redo']==1 and s['pages']==2, s" \
		"$WORK/undo.json" || fail "undo on page 2"
	C redo >/dev/null
	C page 1 >"$WORK/p1.json"
	python3 -c "import json,sys; s=json.load(open(sys.argv[1])); assert s['page']==1 and s['items']==2, s" \
		"$WORK/p1.json" || fail "page 1 should hold the rectangle and the text"
	C save path="$WORK/lesson.board" >"$WORK/save.json" 2>&1 || fail "save: $(cat "$WORK/save.json")"
	C clear >/dev/null
	C open path="$WORK/lesson.board" >"$WORK/open.json" || fail "open: $(cat "$WORK/open.json")"
	python3 -c "import json,sys; s=json.load(open(sys.argv[1])); assert s['items']==2 and s['pages']==2, s" \
		"$WORK/open.json" || fail "reopened board differs"
	printf '{"format":"libcast-whiteboard","version":1,"pages":[{"background":"overlay","items":[{"tool":"pen","color":"red","width":4,"opacity":1,"points":[0.1,0.1]}]}]}' \
		>"$WORK/bad.board"
	C open path="$WORK/bad.board" >"$WORK/badopen.json" && fail "a bad board file was opened"
	grep -q 'page 1 item 1: color' "$WORK/badopen.json" || fail "refusal does not name the item: $(cat "$WORK/badopen.json")"
	mkdir "$WORK/png"
	C export png="$WORK/png" pdf="$WORK/lesson.pdf" >"$WORK/export.json" ||
		fail "export: $(cat "$WORK/export.json")"
	STU after || fail "student (after) failed"
	# Stopped when done, not by the clock: a loaded machine starts students late.
	kill -INT $T
	wait $T || fail "class teacher failed"

	for id in before after; do
		[ -s "$WORK/$id.ppm" ] || fail "$id wrote no screenshot"
		check "$WORK/$id.json" "s['frames_decoded'] > 30 and s['stamp']['bad'] == 0" \
			"$id showed no or corrupt broadcast"
	done
	python3 - "$WORK" <<'PY' || fail "the student's window is wrong"
import sys
def red_share(path):
    data = open(path, "rb").read()
    parts = data.split(b"\n", 3)
    w, h = map(int, parts[1].split())
    px = parts[3]
    n = hit = 0
    for y in range(104, 112):
        for x in range(300, 420):
            r, g, b = px[3 * (y * w + x):3 * (y * w + x) + 3]
            n += 1
            hit += r > 200 and g < 60 and b < 60
    return hit / n
before, after = red_share(sys.argv[1] + "/before.ppm"), red_share(sys.argv[1] + "/after.ppm")
print("red share at the rectangle's edge: before %.2f, after %.2f" % (before, after))
assert before < 0.1 and after > 0.9
PY
	for i in 1 2; do
		f="$WORK/png/page-00$i.png"
		[ -s "$f" ] || fail "no $f"
		python3 - "$f" <<'PY' || fail "$f is not a 640x360 PNG"
import struct, sys
d = open(sys.argv[1], "rb").read(24)
assert d[:8] == b"\x89PNG\r\n\x1a\n" and d[12:16] == b"IHDR", "not a PNG"
assert struct.unpack(">II", d[16:24]) == (640, 360), struct.unpack(">II", d[16:24])
PY
	done
	[ -e "$WORK/png/page-003.png" ] && fail "a third page was exported"
	head -c 5 "$WORK/lesson.pdf" | grep -q '%PDF-' || fail "lesson.pdf is not a PDF"
	if command -v pdfinfo >/dev/null; then
		pdfinfo "$WORK/lesson.pdf" | grep -Eq '^Pages: +2$' || fail "the PDF has not 2 pages"
	else
		# Without poppler: count the page objects.
		n=$(grep -ac '/Type /Page\b' "$WORK/lesson.pdf" || true)
		[ "$n" = 2 ] || fail "the PDF has $n pages, not 2"
	fi
}

(
	PIDS=""
	trap 'for p in $PIDS; do kill "$p" 2>/dev/null || true; done' EXIT
	part1
) >"$WORK/part1.out" 2>&1 &
P1=$!
PIDS="$PIDS $P1"
if command -v Xvfb >/dev/null; then
	part2
	XVFB=1
else
	XVFB=0
fi
wait $P1 && rc=0 || rc=$?
echo "--- part 1 (ffmpeg)"
cat "$WORK/part1.out"
[ $rc = 0 ] || fail "part 1 (ffmpeg) failed"
[ $XVFB = 1 ] || skip "Xvfb not installed: the class part needs a window"
echo "PASS"
