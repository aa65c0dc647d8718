"""--io uring: the replies of a loop turn to several connections go out with one io_uring system
call (io/send_batch.h). They must be the same bytes, in the same order, as with a send() each; a
client whose socket is full must neither stall the loop nor lose bytes; output limits, the
append-only file's held replies and the memcached protocol must work as before; and where
io_uring is refused the server must say so and serve on epoll."""

import os
import socket
import subprocess
import sys

import pytest

from kv_harness import (ConnectionClosed, RespError, Server, info, strata_command,
                        target_is_redis, wait_until)
from kv_resp import encode as resp

pytestmark = pytest.mark.skipif(target_is_redis(), reason="strata-server's --io")

HELPER = os.path.join(os.path.dirname(os.path.abspath(__file__)), "no_io_uring.py")


@pytest.fixture(scope="module")
def threads():
    return 2  # each test picks its own shard count where it matters


def uring(start_server, *args, **kw):
    s = start_server(args=["--io", "uring"] + list(args), **kw)
    with s.conn() as c:
        if info(c, "server")["io_mode"] != "uring":
            pytest.skip("io_uring is refused on this machine")
    return s


def batch_stats(c):
    i = info(c, "server")
    return int(i["io_batch_submits"]), int(i["io_batched_sends"])


def raw_socket(port):
    s = socket.create_connection(("127.0.0.1", port), timeout=10)
    s.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    return s


def read_exactly(sock, n):
    buf = bytearray()
    while len(buf) < n:
        chunk = sock.recv(min(1 << 20, n - len(buf)))
        if not chunk:
            raise ConnectionClosed("closed after %d of %d bytes" % (len(buf), n))
        buf += chunk
    return bytes(buf)


def bulk(v):
    return b"$%d\r\n%s\r\n" % (len(v), v)


def test_the_mode_is_reported_and_fixed_at_start(start_server):
    s = uring(start_server)
    with s.conn() as c:
        assert c.call("CONFIG", "GET", "io") == [b"io", b"uring"]
        assert isinstance(c.call("CONFIG", "SET", "io", "epoll"), RespError)
    e = start_server(args=["--io", "epoll"])
    with e.conn() as c:
        assert info(c, "server")["io_mode"] == "epoll"
        assert c.call("SET", "k", "v") == "OK" and c.call("GET", "k") == b"v"
        assert batch_stats(c) == (0, 0)


def test_a_bad_mode_is_refused_at_start():
    r = subprocess.run(strata_command() + ["--port", "0", "--io", "kqueue"], capture_output=True,
                       text=True, timeout=10)
    assert r.returncode != 0
    assert "io" in r.stderr and "epoll" in r.stderr and "uring" in r.stderr


@pytest.mark.parametrize("threads", [1, 2])
def test_replies_to_many_connections_in_one_call_are_exact(start_server, threads):
    s = uring(start_server, threads=threads)
    socks = [raw_socket(s.port) for _ in range(16)]
    for rnd in range(40):
        want = []
        # Every connection's pipeline is sent before any reply is read, so a loop turn finds
        # several connections with replies.
        for i, sock in enumerate(socks):
            req, exp = b"", b""
            for j in range(20):
                key, val = "k:%d:%d" % (i, j), b"v%d.%d.%d" % (rnd, i, j) * (1 + j)
                req += resp("SET", key, val) + resp("GET", key)
                exp += b"+OK\r\n" + bulk(val)
            sock.sendall(req)
            want.append(exp)
        for sock, exp in zip(socks, want):
            assert read_exactly(sock, len(exp)) == exp
    with s.conn() as c:
        submits, sends = batch_stats(c)
    # Sends were batched, and batches carried several connections' replies.
    assert submits > 0 and sends > submits
    for sock in socks:
        sock.close()


def test_a_client_that_does_not_read_neither_stalls_the_loop_nor_loses_bytes(start_server):
    s = uring(start_server, threads=1)
    val = os.urandom(30000)  # a reply under the batching cap, so it goes out in batches
    with s.conn() as c:
        c.call("SET", "big", val)
    slow = raw_socket(s.port)
    n = 2000  # 60 MB of replies: the socket fills and most sends find it full
    slow.sendall(resp("GET", "big") * n)
    with s.conn() as other:
        # The others are served meanwhile, in the batches the full socket is part of.
        busy = [raw_socket(s.port) for _ in range(4)]
        for _ in range(20):
            for b in busy:
                b.sendall(resp("PING") * 10)
            for b in busy:
                assert read_exactly(b, 70) == b"+PONG\r\n" * 10
        assert other.call("PING") == "PONG"
        for b in busy:
            b.close()
    got = read_exactly(slow, n * len(bulk(val)))
    assert got == bulk(val) * n
    slow.close()


def test_the_output_limit_closes_a_client_that_does_not_read(start_server):
    s = uring(start_server, threads=1)
    with s.conn() as c:
        c.call("CONFIG", "SET", "client-output-buffer-limit", "normal 1mb 0 0")
        c.call("SET", "big", b"x" * 30000)
        slow = raw_socket(s.port)
        slow.sendall(resp("GET", "big") * 1000)  # 30 MB, far over the limit
        assert wait_until(lambda: int(info(c, "clients")["connected_clients"]) == 1, 10)
        assert c.call("PING") == "PONG"
    # What it gets ends before the 1,000th reply.
    got = 0
    try:
        while True:
            chunk = slow.recv(1 << 20)
            if not chunk:
                break
            got += len(chunk)
    except ConnectionResetError:
        pass
    assert got < 1000 * len(bulk(b"x" * 30000))
    slow.close()


def test_replies_held_for_the_log_go_out_once_durable(start_server, tmp_path):
    s = uring(start_server, "--appendonly", "yes", "--appendfsync", "always", threads=2)
    socks = [raw_socket(s.port) for _ in range(8)]
    for i, sock in enumerate(socks):
        sock.sendall(b"".join(resp("SET", "aof:%d:%d" % (i, j), j) for j in range(50)))
    for sock in socks:
        assert read_exactly(sock, 5 * 50) == b"+OK\r\n" * 50
        sock.close()
    # Every acknowledged write survives a kill.
    s.kill()
    again = start_server(args=["--io", "uring", "--appendonly", "yes"], threads=2,
                         workdir=s.workdir)
    with again.conn() as c:
        assert c.call("DBSIZE") == 8 * 50
        assert c.call("GET", "aof:7:49") == b"49"


def test_memcached_connections_share_the_batches(start_server):
    s = uring(start_server, threads=1, memcached=True)
    socks = [raw_socket(s.memcached_port) for _ in range(8)]
    for rnd in range(10):
        for i, sock in enumerate(socks):
            v = b"value-%d-%d" % (rnd, i)
            sock.sendall(b"set m%d 7 0 %d\r\n%s\r\nget m%d\r\n" % (i, len(v), v, i))
        for i, sock in enumerate(socks):
            v = b"value-%d-%d" % (rnd, i)
            exp = b"STORED\r\nVALUE m%d 7 %d\r\n%s\r\nEND\r\n" % (i, len(v), v)
            assert read_exactly(sock, len(exp)) == exp
    for sock in socks:
        sock.close()


def test_where_io_uring_is_refused_the_server_says_so_and_uses_epoll(tmp_path):
    cmd = [sys.executable, HELPER] + [os.path.abspath(strata_command()[0])]
    with Server(cmd=cmd, args=["--io", "uring"], workdir=str(tmp_path)) as s:
        with s.conn() as c:
            assert info(c, "server")["io_mode"] == "epoll"
            assert c.call("CONFIG", "GET", "io") == [b"io", b"epoll"]
            assert c.call("SET", "k", "v") == "OK" and c.call("GET", "k") == b"v"
        assert "io_uring is refused here (io_uring_setup: Operation not permitted)" in s.log()
