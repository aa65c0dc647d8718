"""Fixtures for the strata-server integration tests.

- `server`: one server per test module and shard count (`--threads 1` and `--threads 4`), shared by
  the module's tests; each test starts from FLUSHALL. If a test kills it, the test fails with the
  server log and the next test gets a fresh server.
- `c`: a connection to `server` in RESP2 and, as a second parameter, RESP3 (HELLO 3).
- `proto`: 2 or 3, the protocol `c` speaks.
- `start_server(args=..., threads=...)`: a private server with extra flags, stopped after the test.

Set STRATA_SERVER_CMD=redis-server to run the suite against Redis (the suite must pass there).
"""

import os
import sys

import pytest

sys.path.insert(0, os.path.dirname(__file__))

from kv_harness import Server  # noqa: E402

SHARDS = [1, 4]


@pytest.fixture(scope="module", params=SHARDS, ids=lambda n: "shards%d" % n)
def threads(request):
    return request.param


class _ServerHolder:
    def __init__(self, threads):
        self.threads = threads
        self.server = None

    def get(self):
        if self.server is None or not self.server.alive():
            self.server = Server(threads=self.threads).start()
        return self.server

    def close(self):
        if self.server is not None:
            self.server.stop()


@pytest.fixture(scope="module")
def _holder(threads):
    h = _ServerHolder(threads)
    yield h
    h.close()


@pytest.fixture
def server(_holder):
    srv = _holder.get()
    with srv.conn() as admin:
        admin.call("FLUSHALL")
    yield srv
    if not srv.alive():
        pytest.fail("server died during the test (exit %s); log:\n%s" %
                    (srv.proc.returncode, srv.log()))


@pytest.fixture(params=[2, 3], ids=lambda p: "resp%d" % p)
def proto(request):
    return request.param


@pytest.fixture
def c(server, proto):
    conn = server.conn(protocol=proto)
    yield conn
    conn.close()


@pytest.fixture
def start_server(tmp_path, threads):
    started = []

    def start(args=(), threads=threads, **kw):
        kw.setdefault("workdir", str(tmp_path))
        s = Server(threads=threads, args=args, **kw).start()
        started.append(s)
        return s

    yield start
    for s in started:
        s.stop()
