#!/usr/bin/env bash
# Integration tests: pytest suites that start their own strata-server / redis-server / strata-edge
# processes on free loopback ports and stop them afterwards.
set -euo pipefail
BUILD=${1:-build/release}
[ $# -gt 0 ] && shift  # the rest are pytest arguments
export STRATA_BUILD=$(cd "$BUILD" && pwd)
# Debian's python3 sees Debian's python3-redis and python3-pytest (a pyenv python may be first on PATH).
PY=/usr/bin/python3
set +e
# The append-only file's crash loop (test_kv_aof.py): 200 SIGKILLs per policy and shard count.
STRATA_AOF_KILLS=${STRATA_AOF_KILLS:-200} $PY -m pytest -q -p no:cacheprovider tests/integration "$@"
rc=$?
if [ $rc -eq 0 ] && [ $# -eq 0 ]; then
  # The kv suite's 4-shard servers again with each shard always on its own thread (by default
  # an idle server packs its shards onto one thread; see docs/design/threading.md), and sending
  # the way --io epoll does (a send() per connection instead of the turn's io_uring batch).
  echo "kv suite, 4 shards, thread-packing never, --io epoll:"
  STRATA_THREAD_PACKING=never STRATA_IO=epoll STRATA_AOF_KILLS=30 $PY -m pytest -q -p no:cacheprovider tests/integration/kv -k shards4
  rc=$?
fi
if [ $rc -eq 0 ] && [ $# -eq 0 ] && [ -d tests/integration/edge ]; then
  # The edge suite again with every edge running 2 workers (keys owned across threads).
  echo "edge suite with 2 worker threads:"
  STRATA_EDGE_THREADS=2 $PY -m pytest -q -p no:cacheprovider tests/integration/edge
  rc=$?
fi
set -e
if [ $rc -eq 5 ]; then echo "no integration tests collected"; exit 0; fi
exit $rc
