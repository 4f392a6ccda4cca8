#!/bin/sh
# Builds libcast and runs the whole test suite: a -Werror build under ctest,
# the same suite again under AddressSanitizer + UBSan (all but the tests that
# only measure delays under heavy load), and a short run of
# every fuzz target (clang/libFuzzer) from its seed corpus.
# Usage: scripts/test.sh [--quick]   (--quick: the first build only)
set -eu
cd "$(dirname "$0")/.."
JOBS=$(nproc 2>/dev/null || echo 2)

./scripts/install-deps.sh

# Integration tests mostly wait on the clock (a class runs for seconds) and
# each has its own network namespace, so ctest runs several at once; the few
# that keep the cores busy or bound a delay tightly are RUN_SERIAL
# (tests/CMakeLists.txt).
TJOBS=$((JOBS * 2))

echo "== build (-Werror) and test"
cmake -S . -B build -DCAST_WERROR=ON >/dev/null
cmake --build build -j"$JOBS"
ctest --test-dir build -j"$TJOBS" --output-on-failure

[ "${1:-}" = --quick ] && exit 0

echo "== build and test under ASan + UBSan"
# Optimised (-O2 -g): the sanitizers check the same, at a third of -O0's cost.
cmake -S . -B build-asan -DCAST_WERROR=ON -DCAST_SANITIZE=ON \
	-DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
cmake --build build-asan -j"$JOBS"
# Not repeated here: the tests that only measure delays at 720p-4K and with
# 50 hosts (the serial ones). Under the sanitizers they would measure how
# slow instrumented code is; the same programs (capture, encoder, sender,
# coded repair, receiver, source authentication) run here in lighter tests.
HEAVY='test_lab_50|test_x11_fourk|test_broadcast|test_repair_delay|test_repair_live|test_media_forgery'
# Nor those whose checks are another program's decode (interop) or a timing
# (lip sync, voice to a selection or under loss, the heartbeat's delays),
# nor a second run of code others cover (channels: every test has one; the
# overlay: test_student_screen). The voice runs here in test_voice and
# test_voice_forgery, the heartbeat in every class test.
HEAVY="$HEAVY|test_interop_ffmpeg|test_interop_gstreamer|test_voice_sync|test_voice_select"
HEAVY="$HEAVY|test_voice_loss|test_left_broadcast|test_channels|test_overlay"
# Nor the long runs whose code the sanitizers see in shorter tests: the
# console's window (test_console_screens opens it, draws, takes clicks and
# keys), eleven cloned seats on a bridge (every class test has seats), a
# 660 MB homework upload (test_classroom collects homework), a demo on a
# lossy LAN (test_demo; the repair is the broadcast's), and the classroom
# commands one by one (test_classroom runs them in a lesson).
HEAVY="$HEAVY|test_console\$|test_seats|test_homework_large|test_demo_loss"
HEAVY="$HEAVY|test_ctl_commands"
# Nor the films from URLs (an HTTP server, a live MPEG-TS stream, an RTP
# stream and an RTSP server: what it adds is libavformat's reading; the
# cinema's own code runs here in test_cinema, test_cinema_ctl and
# test_cinema_some, the shared demuxer of RTP and RTSP in unit.test_core).
HEAVY="$HEAVY|test_cinema_url"
# Nor the lesson recorder's end-to-end run (its muxer, pause, crash and
# full-disk handling run here in unit.test_record, a recording in
# test_wall) and the forged voice (the voice's signature gate runs here in
# test_voice, the forger's packets in fuzz_audio_rtp): the suite's 15
# minutes.
HEAVY="$HEAVY|test_record|test_voice_forgery"
# Instrumented code is slower: tests that bound a delay allow this factor.
# (The window tests run without the leak check: tests/CMakeLists.txt.)
export CAST_TIMING_SLACK=3
ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 \
LSAN_OPTIONS=suppressions=$PWD/tests/lsan.supp:print_suppressions=0 \
UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
	ctest --test-dir build-asan -j"$TJOBS" --output-on-failure -E "$HEAVY"

echo "== fuzz targets (2 s each from the seed corpus, $JOBS at a time)"
cmake -S . -B build-fuzz -DCMAKE_C_COMPILER=clang -DCAST_FUZZ=ON \
	-DCAST_SANITIZE=ON -DCAST_TESTS=ON -DCMAKE_BUILD_TYPE=Debug >/dev/null
cmake --build build-fuzz -j"$JOBS" --target fuzz_targets
ls build-fuzz/tests/fuzz_* | xargs -P "$JOBS" -n 1 sh -c '
	f=$0
	[ -x "$f" ] || exit 0
	name=$(basename "$f")
	corpus=tests/fuzz/corpus/$name
	tmp=$(mktemp -d)
	[ -d "$corpus" ] && cp -r "$corpus"/. "$tmp"/
	if ! "$f" -seed=1 -max_total_time=2 -max_len=4096 "$tmp" \
		>"$tmp.log" 2>&1; then
		tail -n 40 "$tmp.log"
		echo "fuzz: $name failed"
		exit 255
	fi
	echo "-- $name: $(tail -n 1 "$tmp.log")"
	rm -rf "$tmp" "$tmp.log"' || { echo "fuzz: a target failed"; exit 1; }
echo "fuzz: all targets ran clean"
