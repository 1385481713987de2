#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# The whole test suite, as root on Debian 12: installs what it needs, then
#   1. a normal build (warnings are errors): unit, netns and interop suites
#   2. an ASan+UBSan build: the same suites, but for the wire checks (suite "wire": the bytes
#      on the wire are the same in both builds)
#   3. the libFuzzer targets (clang, ASan+UBSan), each for FUZZ_SECONDS (default 45)
# Build trees go to $BUILD_ROOT (default ./_build). Exit status 0 only if all pass.
set -euo pipefail
cd "$(dirname "$0")/.."
top=$PWD
build_root=${BUILD_ROOT:-$top/_build}
fuzz_seconds=${FUZZ_SECONDS:-45}
suites=(--suite unit --suite netns --suite interop --suite e2e --suite roam)

bash tests/install-deps.sh
# everything is installed and we are root: a netns test may not skip itself
export UIP_NETNS_REQUIRED=1

passed=0 failed=0 skipped=0
count_results() { # DIR: add meson's results of the last run to the totals
  local counts
  counts=$(python3 - "$1/meson-logs/testlog.json" <<'PY'
import json, sys
p = f = s = 0
for line in open(sys.argv[1]):
    r = json.loads(line).get("result")
    if r in ("OK", "EXPECTEDFAIL"): p += 1
    elif r == "SKIP": s += 1
    else: f += 1
print(p, f, s)
PY
)
  read -r p f s <<<"$counts"
  passed=$((passed + p)) failed=$((failed + f)) skipped=$((skipped + s))
}

run_suite() { # DIR [meson setup args...]; $skip: extra meson test arguments
  local dir=$1; shift
  if [ ! -f "$dir/build.ninja" ]; then
    meson setup "$dir" --werror "$@"
  fi
  ninja -C "$dir"
  meson test -C "$dir" "${suites[@]}" ${skip:-} --print-errorlogs --num-processes 2 || true
  count_results "$dir"
}

echo "=== normal build"
run_suite "$build_root/normal"

echo "=== ASan + UBSan build"
export ASAN_OPTIONS=detect_leaks=1:abort_on_error=1
export UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1
skip="--no-suite wire" run_suite "$build_root/asan" -Db_sanitize=address,undefined -Db_lundef=false

echo "=== fuzzing, ${fuzz_seconds}s per target"
fuzz_dir=$build_root/fuzz
if [ ! -f "$fuzz_dir/build.ninja" ]; then
  CC=clang meson setup "$fuzz_dir" --werror -Dfuzzing=true -Db_sanitize=address,undefined \
    -Db_lundef=false -Dc_args=-fsanitize=fuzzer-no-link
fi
ninja -C "$fuzz_dir"
for target in "$fuzz_dir"/fuzz/fuzz-*; do
  [ -f "$target" ] && [ -x "$target" ] || continue
  name=$(basename "$target")
  corpus=$build_root/corpus-$name
  mkdir -p "$corpus"
  seeds=$top/fuzz/seeds/$name
  [ -d "$seeds" ] || seeds=
  if "$target" -max_total_time="$fuzz_seconds" -print_final_stats=1 "$corpus" $seeds \
      >"$build_root/$name.log" 2>&1; then
    echo "fuzz $name: ok ($(grep -m1 -o 'Done [0-9]* runs' "$build_root/$name.log" || true))"
    passed=$((passed + 1))
  else
    echo "fuzz $name: FAILED"; tail -40 "$build_root/$name.log"
    failed=$((failed + 1))
  fi
done

echo "${passed} passed, ${failed} failed, ${skipped} skipped"
[ "$failed" = 0 ] && [ "$passed" -gt 0 ]
