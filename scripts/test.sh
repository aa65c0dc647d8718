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

# The command families, blocking, transactions and the cross-shard paths run in a real server:
# the differential test and those suites again against the sanitized strata-server (1 and 4
# shards). A sanitizer report aborts the server, which fails the test that was running.
echo "== kv server under ASan+UBSan (differential, blocking, transactions, data types, messaging)"
STRATA_BUILD=$(cd "$ASAN_BUILD" && pwd) ASAN_OPTIONS=detect_leaks=0:abort_on_error=1 \
  UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1 KVDIFF_COUNT=10000 STRATA_AOF_KILLS=10 \
  STRATA_AOF_REWRITE_KEYS=100000 \
  /usr/bin/python3 -m pytest -q -p no:cacheprovider \
  tests/integration/kv/test_kv_differential.py tests/integration/kv/test_kv_blocking.py \
  tests/integration/kv/test_kv_transactions.py tests/integration/kv/test_kv_list.py \
  tests/integration/kv/test_kv_zset.py tests/integration/kv/test_kv_hash.py \
  tests/integration/kv/test_kv_set.py tests/integration/kv/test_kv_stream.py \
  tests/integration/kv/test_kv_sort.py tests/integration/kv/test_kv_bits.py \
  tests/integration/kv/test_kv_scripting.py tests/integration/kv/test_kv_script_runs.py \
  tests/integration/kv/test_kv_pubsub.py tests/integration/kv/test_kv_tracking.py \
  tests/integration/kv/test_kv_dump_restore.py tests/integration/kv/test_kv_memcached.py \
  tests/integration/kv/test_kv_memcached_meta.py tests/integration/kv/test_kv_lease.py \
  tests/integration/kv/test_kv_aof.py tests/integration/kv/test_kv_aof_rewrite.py \
  tests/integration/kv/test_kv_aof_ordering.py tests/integration/kv/test_kv_bloom.py \
  tests/integration/kv/test_kv_hotkeys.py \
  tests/integration/kv/test_kv_bgsave.py tests/integration/kv/test_kv_disk_faults.py
echo "== all tests passed"
