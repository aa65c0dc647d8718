#!/usr/bin/env bash
# `make bench`: strata-server vs Debian's redis-server (and bench/ok_server when built), same
# redis-benchmark load in the same run; prints throughput, p50/p99, CPU per request and memory
# per key with ratios. Usage: bench/run_kv_bench.sh [BUILD_DIR] [--quick] [--scale X]
set -euo pipefail
cd "$(dirname "$0")/.."
BUILD=${1:-build/release}
shift || true
exec /usr/bin/python3 bench/kv_bench.py --build "$BUILD" "$@"
