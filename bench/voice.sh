#!/bin/sh
# Voice (F2) cost and delay: a teacher (320x240 test pattern, so the
# picture costs little) with and without --voice file: (espeak-ng speech),
# three headless students (--audio-out none: decode and count, no device),
# inside a private network namespace. Prints a table and one JSON object:
# the voice's CPU on teacher and student (process CPU with voice minus
# without, and per-frame encode/decode time x 50 frames/s), its bytes/s on
# the wire, and the students' capture -> played delay p50/p95 (a file is
# read a whole frame at once: a microphone adds its 20 ms frame, shown
# too); and what the voice's source authentication costs: the signatures'
# share of its bytes, the teacher's signing and the students' checking
# per packet.
# Usage: bench/voice.sh [--json FILE] [--secs N] [--build DIR]
set -eu
. "$(dirname "$0")/lib.sh"
bench_netns "$0" "$@"
cd "$(dirname "$0")/.."
BUILD=build
SECS=15
JSON=""
while [ $# -gt 0 ]; do
	case $1 in
	--json) JSON=$2; shift 2 ;;
	--secs) SECS=$2; shift 2 ;;
	--build) BUILD=$2; shift 2 ;;
	-h|--help) sed -n '2,9s/^# \{0,1\}//p' "$0"; exit 0 ;;
	*) echo "voice.sh: unknown option $1" >&2; exit 2 ;;
	esac
done
T=$BUILD/teacher/cast-teacher
S=$BUILD/student/cast-student
W=$(mktemp -d /tmp/cast-voice-bench.XXXXXX)
trap '[ -n "${KEEP_BENCH:-}" ] || rm -rf "$W"' EXIT
export HOME=$W/home
mkdir -p "$HOME"
text="Good morning class. Today we will learn how sound travels across the
network to every computer in the room. Please listen carefully and take
notes, because the experiment after the break depends on it."
espeak-ng -w "$W/a.wav" "$text $text $text $text" 2>/dev/null
"$T" keygen "$W/class.key" >/dev/null

run() { # NAME [TEACHER FLAGS]
	name=$1
	shift
	pids=""
	for i in 1 2 3; do
		"$S" --headless --key "$W/class.key" --id s$i --channel 9 \
			--state-dir "$W/$name.st$i" --local-socket "$W/$name.$i.sock" \
			--audio-out none --duration $((SECS + 3)) \
			--stats "$W/$name.s$i.json" 2>/dev/null &
		pids="$pids $!"
	done
	sleep 1
	"$T" --headless --key "$W/class.key" --source testpattern --size 320x240 \
		--fps 10 --channel 9 --duration "$SECS" --stats "$W/$name.t.json" \
		"$@" 2>/dev/null &
	# shellcheck disable=SC2086
	wait $! $pids
}
run base
run voice --voice "file:$W/a.wav"

python3 - "$W" "$SECS" "$JSON" <<'PY'
import json, sys
w, secs, out = sys.argv[1], float(sys.argv[2]), sys.argv[3]
fin = lambda n: json.loads([l for l in open("%s/%s.json" % (w, n)) if '"final":true' in l][-1])
def cpu(name, who):
    return [json.loads(l)["cpu_pct"] for l in open("%s/%s.%s.json" % (w, name, who))][-1]
tb, tv = fin("base.t"), fin("voice.t")
sv = [fin("voice.s%d" % i) for i in (1, 2, 3)]
sb = [fin("base.s%d" % i) for i in (1, 2, 3)]
r = {
    "teacher_cpu_pct_base": tb["cpu_pct"], "teacher_cpu_pct_voice": tv["cpu_pct"],
    "teacher_voice_cpu_pct": tv["cpu_pct"] - tb["cpu_pct"],
    "teacher_encode_ms_p50": tv["audio_encode_ms"]["p50"],
    "teacher_encode_cpu_pct": tv["audio_encode_ms"]["p50"] * 50 / 10,
    "audio_bytes_per_s": tv["audio_bytes_sent"] / secs,
    "audio_kbit_per_s": tv["audio_bytes_sent"] * 8 / secs / 1000,
    "audio_frames_sent": tv["audio_frames_sent"],
    "audio_repairs_sent": tv["audio_repairs_sent"],
    "student_cpu_pct_base": sum(s["cpu_pct"] for s in sb) / 3,
    "student_cpu_pct_voice": sum(s["cpu_pct"] for s in sv) / 3,
    "student_decode_ms_p50": sum(s["audio_decode_ms"]["p50"] for s in sv) / 3,
    "latency_ms_p50": sum(s["audio_latency_ms"]["p50"] for s in sv) / 3,
    "latency_ms_p95": sum(s["audio_latency_ms"]["p95"] for s in sv) / 3,
    "audio_concealed": sum(s["audio_concealed"] for s in sv),
    "audio_frames_played": sum(s["audio_frames_played"] for s in sv),
    "audio_signed_packets": tv["audio_signed_packets"],
    "audio_auth_bytes_pct": 100.0 * tv["audio_auth_bytes"] / max(1, tv["audio_bytes_sent"]),
    "teacher_sign_us_per_packet": 1000.0 * tv["audio_sign_ms"] / max(1, tv["audio_signed_packets"]),
    "teacher_sign_cpu_pct": tv["audio_sign_ms"] / 10 / secs,
    "student_verify_us_per_packet": 1000.0 * sum(s["audio_verify_ms"] for s in sv) / max(1, sum(s["audio_auth_sigs_ok"] for s in sv)),
    "student_verify_cpu_pct": sum(s["audio_verify_ms"] for s in sv) / 3 / 10 / secs,
    "audio_auth_sigs_ok": sum(s["audio_auth_sigs_ok"] for s in sv),
}
r["latency_ms_p50_mic"] = r["latency_ms_p50"] + 20
r["student_voice_cpu_pct"] = r["student_cpu_pct_voice"] - r["student_cpu_pct_base"]
r["student_decode_cpu_pct"] = r["student_decode_ms_p50"] * 50 / 10
rows = [
    ("teacher CPU, voice (with - without)", "%.1f %%" % r["teacher_voice_cpu_pct"]),
    ("teacher encode per 20 ms frame (p50)", "%.3f ms = %.2f %% of a core" % (r["teacher_encode_ms_p50"], r["teacher_encode_cpu_pct"])),
    ("student CPU, voice (with - without)", "%.1f %%" % r["student_voice_cpu_pct"]),
    ("student decode per frame (p50)", "%.3f ms = %.2f %% of a core" % (r["student_decode_ms_p50"], r["student_decode_cpu_pct"])),
    ("on the wire (RTP+SRTP+repair)", "%.0f B/s = %.1f kbit/s" % (r["audio_bytes_per_s"], r["audio_kbit_per_s"])),
    ("capture -> played p50 / p95", "%.1f / %.1f ms" % (r["latency_ms_p50"], r["latency_ms_p95"])),
    ("the same from a microphone (+ its frame)", "%.1f ms p50" % r["latency_ms_p50_mic"]),
    ("frames played / concealed (3 students)", "%d / %d" % (r["audio_frames_played"], r["audio_concealed"])),
    ("signatures: share of the voice's bytes", "%.1f %% (%d packets)" % (r["audio_auth_bytes_pct"], r["audio_signed_packets"])),
    ("teacher signing per packet", "%.0f us = %.2f %% of a core" % (r["teacher_sign_us_per_packet"], r["teacher_sign_cpu_pct"])),
    ("student check per packet", "%.0f us = %.2f %% of a core" % (r["student_verify_us_per_packet"], r["student_verify_cpu_pct"])),
]
for k, v in rows:
    print("%-40s %s" % (k, v))
j = json.dumps(r, sort_keys=True)
print(j)
if out:
    open(out, "w").write(j + "\n")
PY
