#!/usr/bin/env bash
# `make bench`: strata-server vs Debian's redis-server (and bench/ok_server when built), same
# redis-benchmark load in the same run; prints throughput, p50/p99, CPU per request and memory
# per key with ratios, then the data-types section (bench/datatypes_bench.py: memory per element
# and throughput of hashes, lists, sets, sorted sets and streams), the atomicity section
# (bench/atomicity_bench.py: EVALSHA scripts and MULTI/EXEC transactions) and the messaging
# section (bench/messaging_bench.py: Pub/Sub fan-out, reads under CLIENT TRACKING) and the
# memcached section (bench/memcached_bench.py: the memcached protocol against memcached -t 2).
# Usage: bench/run_kv_bench.sh [BUILD_DIR] [--quick] [--scale X]
set -euo pipefail
cd "$(dirname "$0")/.."
BUILD=${1:-build/release}
shift || true
/usr/bin/python3 bench/kv_bench.py --build "$BUILD" "$@"
# Data-types section: memory per element and throughput of the container types.
dt_args=()
for a in "$@"; do [ "$a" = "--quick" ] && dt_args+=(--quick); done
/usr/bin/python3 bench/datatypes_bench.py --build "$BUILD" "${dt_args[@]}"
# Atomicity section: lock-release and token-bucket scripts, MULTI/INCR/EXPIRE/EXEC.
/usr/bin/python3 bench/atomicity_bench.py --build "$BUILD" "${dt_args[@]}"
# Messaging section: Pub/Sub fan-out to 1,000 subscribers, GET/SET with invalidation pushes.
/usr/bin/python3 bench/messaging_bench.py --build "$BUILD" "${dt_args[@]}"
# memcached section: memaslap load, get/set 9:1 and 1:1, 32 B and 1 KB values; RSS per item.
exec /usr/bin/python3 bench/memcached_bench.py --build "$BUILD"
