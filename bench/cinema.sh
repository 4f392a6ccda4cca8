#!/bin/sh
# Network cinema cost: the teacher's CPU playing a 1080p30 film with its
# sound (AAC) to one headless student, inside a private network namespace,
# twice: H.264 without B-frames (passed through: no decode, no encode) and
# H.264 with B-frames (does not fit the class as it is: decoded and encoded
# again at 1080p). Both films are made here with ffmpeg (testsrc2, moving).
# Prints a table and one JSON object: teacher CPU (% of one core, the mean
# of its once-a-second stats after the first two), its
# encode time per picture p50, frames sent, the student's frames decoded
# and sound frames played. Then the passed-through film to one of two
# students during a 1080p test-pattern broadcast (`ctl cinema play
# --to s1`): the teacher's CPU before and while the film plays.
# Usage: bench/cinema.sh [--json FILE] [--secs N] [--build DIR]
set -eu
. "$(dirname "$0")/lib.sh"
bench_netns "$0" "$@"
cd "$(dirname "$0")/.."
BUILD=build
SECS=10
JSON=""
while [ $# -gt 0 ]; do
	case $1 in
	--json) JSON=$2; shift 2 ;;
	--secs) SECS=$2; shift 2 ;;
	--build) BUILD=$2; shift 2 ;;
	-h|--help) sed -n '2,11s/^# \{0,1\}//p' "$0"; exit 0 ;;
	*) echo "cinema.sh: unknown option $1" >&2; exit 2 ;;
	esac
done
T=$BUILD/teacher/cast-teacher
S=$BUILD/student/cast-student
W=$(mktemp -d /tmp/cast-cinema-bench.XXXXXX)
trap 'rm -rf "$W"' EXIT
export HOME=$W/home
mkdir -p "$HOME"
D=$((SECS + 2))
for kind in pass trans; do
	bf=0
	[ $kind = trans ] && bf=3
	ffmpeg -loglevel error -y -f lavfi -i "testsrc2=s=1920x1080:r=30:d=$D" \
		-f lavfi -i "sine=frequency=440:sample_rate=48000:duration=$D" \
		-c:v libx264 -preset ultrafast -bf $bf -g 30 -b:v 4M \
		-c:a aac -b:a 128k -shortest "$W/$kind.mkv"
done
"$T" keygen "$W/class.key" >/dev/null

run() { # NAME
	"$S" --headless --key "$W/class.key" --id s1 --channel 9 \
		--state-dir "$W/$1.st" --local-socket "$W/$1.sock" \
		--audio-out none --duration $((SECS + 3)) \
		--stats "$W/$1.s.json" 2>/dev/null &
	sp=$!
	sleep 1
	"$T" --headless --key "$W/class.key" --source "file:$W/$1.mkv" \
		--channel 9 --duration "$SECS" --stats "$W/$1.t.json" \
		2>"$W/$1.t.log" &
	wait $! $sp
}
run pass
run trans
grep -q "passed through" "$W/pass.t.log" || echo "warning: not passed through" >&2

# A film to some students: the teacher broadcasts a 1920x1080 test pattern
# at 30 fps to two students, alone for SECS s, then also plays the
# passed-through film to s1 alone (`ctl cinema play --to s1`).
for id in s1 s2; do
	"$S" --headless --key "$W/class.key" --id $id --channel 9 \
		--state-dir "$W/some.$id.st" --local-socket "$W/some.$id.sock" \
		--audio-out none --duration $((2 * SECS + 5)) \
		--stats "$W/some.$id.json" 2>/dev/null &
done
sleep 1
"$T" --headless --key "$W/class.key" --source testpattern --size 1920x1080 \
	--fps 30 --channel 9 --ctl-socket "$W/some.sock" \
	--duration $((2 * SECS + 3)) --stats "$W/some.t.json" \
	2>"$W/some.t.log" &
tp=$!
sleep $((SECS + 1))
"$T" ctl --socket "$W/some.sock" cinema play "$W/pass.mkv" --to s1 >"$W/some.reply"
wait
grep -q "passed through" "$W/some.t.log" ||
	echo "warning: the film to s1 was not passed through" >&2

python3 - "$W" "$JSON" <<'PY'
import json, sys
w, out = sys.argv[1], sys.argv[2]
fin = lambda n: json.loads([l for l in open("%s/%s.json" % (w, n)) if '"final":true' in l][-1])
def cpu(n):
    # The mean of the once-a-second lines, the first two (start-up) left out.
    v = [json.loads(l)["cpu_pct"] for l in open("%s/%s.json" % (w, n))
         if '"final":true' not in l][2:]
    return sum(v) / len(v) if v else 0.0
r = {}
for k in ("pass", "trans"):
    t, s = fin(k + ".t"), fin(k + ".s")
    r[k] = {"teacher_cpu_pct": cpu(k + ".t"),
            "encode_ms_p50": t["encode_ms"]["p50"],
            "encodes": t["encode_ms"]["count"],
            "frames_sent": t["frames_sent"],
            "audio_frames_sent": t.get("audio_frames_sent", 0),
            "student_frames_decoded": s["frames_decoded"],
            "student_audio_frames_played": s["audio_frames_played"]}
rows = [("1080p30 H.264 passed through", r["pass"]),
        ("1080p30 H.264 with B-frames, transcoded", r["trans"])]
print("%-42s %9s %10s %7s %8s %8s" % ("film (with AAC sound)", "cpu %", "encode p50", "sent",
                                      "decoded", "sound"))
for name, v in rows:
    print("%-42s %9.1f %8.2fms %7d %8d %8d" % (name, v["teacher_cpu_pct"], v["encode_ms_p50"],
          v["frames_sent"], v["student_frames_decoded"], v["student_audio_frames_played"]))
# The film to s1: the teacher's CPU with the broadcast alone and with the
# film too (the once-a-second lines of each phase, the first two left out).
lines = [json.loads(l) for l in open("%s/some.t.json" % w) if '"final":true' not in l]
alone = [l["cpu_pct"] for l in lines if not l.get("cinema", {}).get("playing")
         and not l.get("cinema", {}).get("films")][2:]
film = [l["cpu_pct"] for l in lines if l.get("cinema", {}).get("playing")][2:]
s1 = [json.loads(l) for l in open("%s/some.s1.json" % w)]
s2 = fin("some.s2")
r["some"] = {"teacher_cpu_pct_alone": sum(alone) / len(alone) if alone else 0.0,
             "teacher_cpu_pct_with_film": sum(film) / len(film) if film else 0.0,
             "film_frames_sent": fin("some.t").get("cinema", {}).get("frames_sent", 0),
             "s1_film_frames_decoded": max(l.get("demo_shown", {}).get("frames_decoded", 0)
                                           for l in s1),
             "s2_frames_decoded": s2["frames_decoded"],
             "s2_showing": s2["showing"]}
v = r["some"]
print("film to s1 during a 1080p broadcast: teacher %.1f %% alone, %.1f %% with the film; "
      "%d film pictures sent, s1 decoded %d; s2 decoded %d of the broadcast" % (
      v["teacher_cpu_pct_alone"], v["teacher_cpu_pct_with_film"], v["film_frames_sent"],
      v["s1_film_frames_decoded"], v["s2_frames_decoded"]))
j = json.dumps(r, sort_keys=True)
print(j)
if out:
    open(out, "w").write(j + "\n")
PY
