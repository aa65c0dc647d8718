#!/usr/bin/env bash
# `make test`: unit tests (Release), integration tests against real clients and reference servers,
# then the unit tests again under ASan+UBSan. Servers are started and stopped by the tests.
set -euo pipefail
BUILD=${1:-build/release}
ASAN_BUILD=${2:-build/asan}
JOBS=$(nproc)

echo "== unit tests (release)"
(cd "$BUILD" && ctest --output-on-failure -j "$JOBS")

echo "== integration tests"
scripts/integration.sh "$BUILD"

echo "== unit tests (ASan+UBSan)"
cmake -S . -B "$ASAN_BUILD" -G Ninja -DCMAKE_BUILD_TYPE=Debug -DSTRATA_SANITIZE=ON -DSTRATA_BENCH=OFF >/dev/null
cmake --build "$ASAN_BUILD" -j "$JOBS" | grep -vE '^\[[0-9]+/[0-9]+\] ' || true
(cd "$ASAN_BUILD" && ASAN_OPTIONS=detect_leaks=1 ctest --output-on-failure -j "$JOBS")
echo "== all tests passed"
