#!/bin/bash
# bench/fuzz.sh [SECONDS] [JOBS] — long libFuzzer runs of every target.
#
# CI runs each target for 5 s; this runs each one for SECONDS (default 600,
# ten minutes) from its seed corpus, JOBS targets at a time (default: the
# number of CPUs), under ASan+UBSan (clang, -fsanitize=fuzzer). Each target
# grows a working corpus in bench/out/fuzz/<target>/ (kept between runs, so
# a second run starts where the first stopped); a crash leaves its input in
# bench/out/fuzz/<target>.crash-* and the run is reported as failed.
# Prints a table (target, seconds, executions, exec/s, coverage, corpus,
# verdict) and one JSON line ({"bench":"fuzz",...}). Exit status 1 when any
# target crashed, leaked or timed out.
set -eu
cd "$(dirname "$0")/.."
SECS=${1:-600}
JOBS=${2:-$(nproc)}
OUT=bench/out/fuzz
mkdir -p "$OUT"

command -v clang >/dev/null || { echo "bench/fuzz.sh: needs clang (scripts/install-deps.sh)"; exit 1; }
cmake -S . -B build-fuzz -DCMAKE_C_COMPILER=clang -DCAST_FUZZ=ON \
	-DCAST_SANITIZE=ON -DCAST_TESTS=ON -DCMAKE_BUILD_TYPE=Debug >/dev/null
cmake --build build-fuzz -j"$(nproc)" --target fuzz_targets >/dev/null

run_one() {
	f=$1
	name=$(basename "$f")
	corpus=$OUT/$name
	mkdir -p "$corpus"
	[ -d "tests/fuzz/corpus/$name" ] && cp -rn "tests/fuzz/corpus/$name"/. "$corpus"/
	rc=0
	"$f" -max_total_time="$SECS" -max_len=4096 -timeout=10 -print_final_stats=1 \
		-artifact_prefix="$OUT/$name." "$corpus" >"$OUT/$name.log" 2>&1 || rc=$?
	echo "$rc" >"$OUT/$name.rc"
}

targets=$(ls build-fuzz/tests/fuzz_* 2>/dev/null | while read -r f; do [ -x "$f" ] && echo "$f"; done)
[ -n "$targets" ] || { echo "bench/fuzz.sh: no fuzz targets built"; exit 1; }
echo "fuzzing $(echo "$targets" | wc -w) targets, $SECS s each, $JOBS at a time"
running=0
for f in $targets; do
	run_one "$f" &
	running=$((running + 1))
	if [ "$running" -ge "$JOBS" ]; then
		wait -n 2>/dev/null || wait
		running=$((running - 1))
	fi
done
wait

python3 - "$OUT" "$SECS" $targets <<'PY'
import json, os, re, sys
out, secs, targets = sys.argv[1], int(sys.argv[2]), [os.path.basename(t) for t in sys.argv[3:]]
rows, failed = [], 0
for name in targets:
    log = open(os.path.join(out, name + ".log"), errors="replace").read()
    rc = int(open(os.path.join(out, name + ".rc")).read().strip() or 1)
    def stat(key):
        m = re.findall(r"stat::%s:\s+(\d+)" % key, log)
        return int(m[-1]) if m else 0
    cov = re.findall(r"cov: (\d+)", log)
    corpus = len(os.listdir(os.path.join(out, name)))
    verdict = "clean" if rc == 0 else ("crash" if "ERROR:" in log or "deadly signal" in log else "failed (rc %d)" % rc)
    failed += rc != 0
    rows.append(dict(target=name, seconds=stat("total_time") or secs, execs=stat("number_of_executed_units"),
                     exec_per_s=stat("average_exec_per_sec"), cov=int(cov[-1]) if cov else 0,
                     corpus=corpus, verdict=verdict))
print("%-22s %8s %12s %8s %6s %7s  %s" % ("target", "seconds", "executions", "exec/s", "cov", "corpus", "verdict"))
for r in rows:
    print("%-22s %8d %12d %8d %6d %7d  %s" % (r["target"], r["seconds"], r["execs"], r["exec_per_s"], r["cov"], r["corpus"], r["verdict"]))
print(json.dumps({"bench": "fuzz", "seconds_each": secs, "targets": rows, "failed": failed}))
sys.exit(1 if failed else 0)
PY
