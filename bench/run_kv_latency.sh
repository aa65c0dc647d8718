#!/usr/bin/env bash
# Table growth without stalls: loads KEYS keys (default 10,000,000) with pipelined SETs into
# strata-server and into Debian's redis-server, one after the other, while a probe connection
# measures single-GET round trips. Prints each server's probe percentiles and worst round trip.
# Usage: bench/run_kv_latency.sh [build-dir] [keys]
set -euo pipefail
BUILD=${1:-build/release}
KEYS=${2:-10000000}
TOOL="$BUILD/bench/kv_latency/kv_latency"
SERVER="$BUILD/src/kv/strata-server"
port() { /usr/bin/python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
wait_port() { for _ in $(seq 100); do redis-cli -p "$1" ping >/dev/null 2>&1 && return 0; sleep 0.05; done; return 1; }

P1=$(port)
"$SERVER" --port "$P1" --loglevel warning & SPID=$!
trap 'kill $SPID 2>/dev/null || true' EXIT
wait_port "$P1"
echo "== strata-server (default threads), $KEYS keys"
"$TOOL" --port "$P1" --keys "$KEYS"
kill $SPID; wait $SPID 2>/dev/null || true

P2=$(port)
redis-server --port "$P2" --save '' --appendonly no --loglevel warning & RPID=$!
trap 'kill $RPID 2>/dev/null || true' EXIT
wait_port "$P2"
echo "== redis-server $(redis-server --version | awk '{print $3}'), $KEYS keys"
"$TOOL" --port "$P2" --keys "$KEYS"
kill $RPID; wait $RPID 2>/dev/null || true
