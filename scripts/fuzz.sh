#!/usr/bin/env bash
# Runs every libFuzzer target built in the fuzz build for a bounded time each, starting from
# the target's seeds in tests/fuzz/corpus/<name without fuzz_> when there are any.
# Usage: scripts/fuzz.sh build/fuzz [seconds-per-target]
set -euo pipefail
BUILD=${1:-build/fuzz}
SECS=${2:-60}
SEEDS=$(cd "$(dirname "$0")/../tests/fuzz/corpus" && pwd)
mkdir -p "$BUILD/corpus"
for f in $(find "$BUILD/tests/fuzz" -maxdepth 2 -type f -name 'fuzz_*' -executable); do
  name=$(basename "$f")
  mkdir -p "$BUILD/corpus/$name"
  dirs=("$BUILD/corpus/$name")
  if [ -d "$SEEDS/${name#fuzz_}" ]; then dirs+=("$SEEDS/${name#fuzz_}"); fi
  echo "== $name (${SECS}s)"
  "$f" -max_total_time="$SECS" -max_len=4096 -print_final_stats=1 "${dirs[@]}" 2>&1 | tail -n 5
done
