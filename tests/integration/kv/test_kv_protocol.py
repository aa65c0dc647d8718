"""Wire protocol: inline commands, pipelining, split reads, malformed input and limits
(adversarial cases 1-3 and 6 of the reliability plan), slow readers, HTTP cross-protocol requests."""

import socket
import time

import pytest

from kv_harness import info, rss_bytes, wait_until
from kv_resp import Conn, ConnectionClosed, RespError, encode

E = RespError


def expect_error_and_close(server, payload, error):
    """Sends payload on a fresh connection; expects exactly `error` then a close; server lives."""
    c = Conn(server.port, timeout=5)
    c.send_raw(payload)
    data = c.read_until_closed(5)
    c.close()
    assert data == b"-" + error.encode() + b"\r\n", data
    assert_server_ok(server)


def assert_server_ok(server):
    with server.conn() as c:
        assert c.call("PING") == "PONG"
        assert c.call("SET", "alive", "1") == "OK"


def test_inline_commands(server):
    c = Conn(server.port)
    c.send_raw(b"PING\r\n")
    assert c.read_raw() == b"+PONG\r\n"
    c.send_raw(b"SET ik hello\r\n")
    assert c.read() == "OK"
    c.send_raw(b'SET ik2 "hello world\\n"\r\n')
    assert c.read() == "OK"
    c.send_raw(b"GET ik2\n")  # a bare LF ends an inline command too
    assert c.read() == b"hello world\n"
    c.send_raw(b"SET 'a b' 'c\\'d'\r\n")
    assert c.read() == "OK"
    assert c.call("GET", "a b") == b"c'd"
    c.send_raw(b"\r\n\r\n   \r\nGET ik\r\n")  # empty lines are ignored
    assert c.read() == b"hello"
    c.send_raw(b"  MGET   ik   nokey  \r\n")
    assert c.read() == [b"hello", None]
    c.send_raw(b'SET x "\\x41\\x42"\r\n')
    assert c.read() == "OK"
    assert c.call("GET", "x") == b"AB"
    c.close()


def test_inline_unbalanced_quotes(server):
    expect_error_and_close(server, b'SET k "abc\r\n',
                           "ERR Protocol error: unbalanced quotes in request")


def test_inline_too_big(server):
    c = Conn(server.port, timeout=10)
    try:
        c.send_raw(b"SET k " + b"x" * (70 * 1024))
    except OSError:
        pass
    data = c.read_until_closed(5)
    c.close()
    assert data == b"-ERR Protocol error: too big inline request\r\n"
    assert_server_ok(server)


def test_pipelining(c):
    n = 10000
    cmds = []
    for i in range(n):
        cmds.append(("SET", "p:%d" % i, str(i)))
        cmds.append(("GET", "p:%d" % i))
    replies = c.pipeline(cmds)
    for i in range(n):
        assert replies[2 * i] == "OK"
        assert replies[2 * i + 1] == str(i).encode()
    assert c.call("DBSIZE") == n


def test_pipeline_mixed_errors_keep_order(c):
    replies = c.pipeline([("SET", "a", "1"), ("NOSUCH",), ("INCR", "a"), ("GET",),
                          ("GET", "a"), ("SET", "a", "1", "EX", "-1"), ("PING",)])
    assert replies[0] == "OK"
    assert isinstance(replies[1], RespError) and replies[1].message.startswith("ERR unknown command")
    assert replies[2] == 2
    assert replies[3] == E("ERR wrong number of arguments for 'get' command")
    assert replies[4] == b"2"
    assert replies[5] == E("ERR invalid expire time in 'set' command")
    assert replies[6] == "PONG"


def test_byte_by_byte(server):
    c = Conn(server.port)
    payload = encode("SET", "slow", "v" * 100) + encode("GET", "slow") + b"PING\r\n"
    for b in payload:
        c.send_raw(bytes([b]))
    assert c.read() == "OK"
    assert c.read() == b"v" * 100
    assert c.read() == "PONG"
    c.close()


def pipeline_payload():
    """One pipeline of every shape the server parses: multibulk and inline commands, empty
    multibulks, a value larger than a read, database switches, errors."""
    big = bytes(range(256)) * 160  # 40 KiB
    parts = [encode("FLUSHALL")]
    for i in range(40):
        parts.append(encode("SET", "rp:%d" % i, "v%d" % i))
        parts.append(encode("INCR", "rp:n"))
        if i % 7 == 0:
            parts.append(b"GET rp:%d\r\n" % i)
        if i % 9 == 0:
            parts.append(b"*0\r\n")
        if i % 11 == 0:
            parts.append(encode("SELECT", str(i % 2)))
            parts.append(encode("GET", "rp:%d" % (i - 1)))
        if i % 13 == 0:
            parts.append(encode("SET", "rp:big", big))
            parts.append(encode("STRLEN", "rp:big"))
        parts.append(encode("MGET", "rp:%d" % i, "rp:n", "rp:missing"))
        parts.append(encode("NOSUCH", "x"))
        parts.append(encode("GET"))
    parts.append(encode("SELECT", "0"))
    parts.append(encode("DBSIZE"))
    parts.append(encode("ECHO", "end-of-pipeline"))
    return b"".join(parts)


def read_replies(c):
    replies = []
    while not replies or replies[-1] != b"end-of-pipeline":
        replies.append(c.read())
    return replies


def test_pipeline_in_random_pieces_answers_as_in_one(server):
    """The same pipeline sent whole and cut at random places (pieces from 1 byte to 64 KiB, sent
    with pauses so that they arrive as separate reads): every reply must be the same. Commands
    are parsed ahead a window at a time, and a window may end anywhere in a command."""
    import random
    payload = pipeline_payload()
    c = Conn(server.port, timeout=10)
    c.send_raw(payload)
    whole = read_replies(c)
    assert len(whole) == 226 and isinstance(whole[-2], int), whole[-3:]
    rng = random.Random(7)
    for trial in range(12):
        pos = 0
        while pos < len(payload):
            n = rng.choice([1, 2, 3, 7, 100, 1000, 5000, 16384, 65536])
            c.send_raw(payload[pos:pos + n])
            pos += n
            if rng.random() < 0.2:
                time.sleep(0.001)
        assert read_replies(c) == whole, "trial %d" % trial
    c.close()


def test_reset_mid_pipeline_brings_back_the_unauthenticated_limits(start_server):
    """A pipeline's later commands are parsed under the limits in force when their turn comes,
    as Redis parses them one by one: after RESET (under requirepass) the next command in the same
    read, with more arguments than an unauthenticated client may send, is a protocol error."""
    s = start_server(["--requirepass", "secret"], password="secret")
    c = Conn(s.port, timeout=10)
    mset = ["MSET"] + ["k%d" % (i // 2) if i % 2 == 0 else "v" for i in range(12)]
    c.send_raw(encode("AUTH", "secret") + encode(*mset) + encode("RESET") + encode(*mset) +
               encode("PING"))
    data = c.read_until_closed(10)
    c.close()
    assert data == (b"+OK\r\n+OK\r\n+RESET\r\n"
                    b"-ERR Protocol error: unauthenticated multibulk length\r\n"), data[:200]


def test_large_pipelined_values(c):
    vals = [bytes([65 + i % 26]) * (100000 + i) for i in range(30)]
    replies = c.pipeline([("SET", "big%d" % i, v) for i, v in enumerate(vals)] +
                         [("GET", "big%d" % i) for i in range(30)])
    assert replies[:30] == ["OK"] * 30
    assert replies[30:] == vals


def test_pipeline_bigger_than_one_read_never_waits_for_the_cron(start_server):
    """A pipeline larger than one socket read, all for one key: on the connections that live on
    another shard thread, the first part is answered (by that shard) while the rest still sits
    unread in the socket. The connection's thread must then be woken to go on at once, not at
    the next cron tick (hz 1: a second each). 8 connections x 5 rounds would stall for many
    seconds; answered promptly they take well under one."""
    s = start_server(args=("--hz", "1"))
    conns = [s.conn() for _ in range(8)]
    value = b"v" * 1000
    start = time.monotonic()
    for r in range(5):
        for c in conns:
            replies = c.pipeline([("SET", "one-key", value)] * 100 + [("GET", "one-key")])
            assert replies == ["OK"] * 100 + [value]
    elapsed = time.monotonic() - start
    for c in conns:
        c.close()
    assert elapsed < 8, "pipelines waited for the cron: %.1fs" % elapsed


def test_binary_and_nul_in_bulk(c):
    key = b"k\x00\r\n\xff"
    val = b"\x00" * 10 + b"\r\n$5\r\n" + b"\x00"
    assert c.call("SET", key, val) == "OK"
    assert c.call("GET", key) == val
    assert c.call("KEYS", "k*") == [key]


def test_multibulk_count_zero_or_negative_ignored(server):
    c = Conn(server.port)
    c.send_raw(b"*0\r\n*-1\r\n*-10\r\nPING\r\n")
    assert c.read_raw() == b"+PONG\r\n"
    c.close()


@pytest.mark.parametrize("payload,error", [
    (b"*2147483648\r\n", "ERR Protocol error: invalid multibulk length"),
    (b"*abc\r\n", "ERR Protocol error: invalid multibulk length"),
    (b"*1\r\n$-5\r\n", "ERR Protocol error: invalid bulk length"),
    (b"*1\r\n$abc\r\n", "ERR Protocol error: invalid bulk length"),
    (b"*1\r\n$2147483648\r\n", "ERR Protocol error: invalid bulk length"),
    (b"*3\r\n$3\r\nSET\r\n:1\r\n", "ERR Protocol error: expected '$', got ':'"),
    (b"*3\r\nSET\r\n", "ERR Protocol error: expected '$', got 'S'"),
], ids=["mbulk-huge", "mbulk-nan", "bulk-neg", "bulk-nan", "bulk-huge", "not-dollar",
        "not-dollar-2"])
def test_malformed_multibulk(server, payload, error):
    expect_error_and_close(server, payload, error)


def test_commands_before_protocol_error_run(server):
    c = Conn(server.port, timeout=5)
    c.send_raw(encode("SET", "before", "1") + b"*1\r\n$-5\r\n" + encode("SET", "after", "1"))
    data = c.read_until_closed(5)
    assert data == b"+OK\r\n-ERR Protocol error: invalid bulk length\r\n"
    with server.conn() as o:
        assert o.call("MGET", "before", "after") == [b"1", None]


def test_bulk_over_proto_max_bulk_len(start_server):
    s = start_server(["--proto-max-bulk-len", "1mb"])
    with s.conn() as c:
        assert c.call("CONFIG", "GET", "proto-max-bulk-len")[1] == b"1048576"
        assert c.call("SET", "ok", b"x" * (1 << 20)) == "OK"
    expect_error_and_close(s, b"*3\r\n$3\r\nSET\r\n$1\r\nk\r\n$1048577\r\n",
                           "ERR Protocol error: invalid bulk length")
    with s.conn() as c:
        assert c.call("SETRANGE", "k", 1 << 20, "x") == E(
            "ERR string exceeds maximum allowed size (proto-max-bulk-len)")
        assert c.call("APPEND", "ok", "x") == E(
            "ERR string exceeds maximum allowed size (proto-max-bulk-len)")


def test_query_buffer_limit(start_server):
    s = start_server(["--client-query-buffer-limit", "1mb"])
    c = Conn(s.port, timeout=10)
    c.send_raw(b"*3\r\n$3\r\nSET\r\n$1\r\nk\r\n$3000000\r\n")
    closed = False
    try:
        for _ in range(300):
            c.send_raw(b"x" * 10000)
    except OSError:
        closed = True
    if not closed:
        closed = c.is_closed(5)
    c.close()
    assert closed
    with s.conn() as o:
        assert o.call("EXISTS", "k") == 0
        assert o.call("PING") == "PONG"


def test_query_buffer_shown_in_client_list(server):
    c = Conn(server.port)
    c.send_raw(b"*3\r\n$3\r\nSET\r\n$1\r\nk\r\n$100000\r\n" + b"x" * 50000)
    time.sleep(0.2)
    with server.conn() as o:
        lines = bytes(o.call("CLIENT", "LIST")).decode().strip().split("\n")
        fields = [dict(f.split("=", 1) for f in x.split(" ") if "=" in f) for x in lines]
        assert all("qbuf" in f and "tot-mem" in f for f in fields)
        assert max(int(f["qbuf"]) for f in fields) >= 50000 or \
            max(int(f["tot-mem"]) for f in fields) >= 50000
    c.close()


def test_unauthenticated_limits(start_server):
    s = start_server(["--requirepass", "secret"], password="secret")
    expect_error_and_close(s, b"*1000000\r\n",
                           "ERR Protocol error: unauthenticated multibulk length")
    expect_error_and_close(s, b"*2\r\n$4\r\nAUTH\r\n$536870912\r\n",
                           "ERR Protocol error: unauthenticated bulk length")
    # Small requests are fine before AUTH.
    c = Conn(s.port)
    assert c.call("GET", "k") == E("NOAUTH Authentication required.")
    assert c.call("AUTH", "secret") == "OK"
    # After AUTH the limits are gone.
    assert c.call("SET", "k", b"x" * 100000) == "OK"
    c.close()


def test_unauthenticated_flood_keeps_rss_flat(start_server):
    s = start_server(["--requirepass", "secret"], password="secret")
    rss0 = rss_bytes(s.pid)
    for round_ in range(4):  # 1,000 unauthenticated connections in all
        conns = []
        for i in range(250):
            x = Conn(s.port, timeout=5)
            x.send_raw(b"*1000000\r\n" if i % 2 else b"*2\r\n$4\r\nAUTH\r\n$536870912\r\n")
            conns.append(x)
        for x in conns:
            assert x.is_closed(5)
            x.close()
    rss1 = rss_bytes(s.pid)
    assert rss1 - rss0 < 64 << 20, (rss0, rss1)
    with s.conn() as c:
        assert c.call("PING") == "PONG"


@pytest.mark.parametrize("payload", [
    b"POST / HTTP/1.1\r\nHost: localhost\r\nContent-Length: 0\r\n\r\n",
    b"GET / HTTP/1.1\r\nHost: localhost\r\n\r\n",
    b"Host: localhost\r\n",
    b"post /x HTTP/1.0\r\n\r\n",
], ids=["post", "get", "host", "post-lower"])
def test_http_request_closes_connection(server, payload):
    c = Conn(server.port, timeout=5)
    c.send_raw(payload)
    data = c.read_until_closed(5)
    c.close()
    # A GET line is an ordinary (wrong-arity) GET before the Host: line closes the connection.
    assert data in (b"", b"-ERR wrong number of arguments for 'get' command\r\n"), data
    assert_server_ok(server)


def test_slow_reader_disconnected_at_output_limit(start_server):
    s = start_server(["--client-output-buffer-limit", "normal 1mb 0 0"])
    with s.conn() as c:
        c.call("SET", "big", b"x" * 100000)
    rss0 = rss_bytes(s.pid)
    slow = socket.socket()
    slow.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
    slow.connect(("127.0.0.1", s.port))
    slow.sendall(encode("CLIENT", "SETNAME", "slowreader") + encode("GET", "big") * 2000)
    with s.conn() as c:
        def gone():
            return b"name=slowreader" not in bytes(c.call("CLIENT", "LIST"))
        assert wait_until(gone, 10)
        assert c.call("PING") == "PONG"
        # The 200 MB of replies must not be built up before the 1 MB limit cuts the client off:
        # the process grows by far less than that (RSS rarely shrinks, so it shows the peak).
        grown = rss_bytes(s.pid) - rss0
        assert grown < 48 << 20, "RSS grew by %d MB for a 1 MB output limit" % (grown >> 20)
        assert wait_until(lambda: int(info(c, "memory")["used_memory"]) < 48 << 20, 2)
    slow.close()


def test_resp3_exact_bytes(server):
    with server.conn(protocol=3) as c:
        c.call("SET", "k", "v")
        c.call("SET", "n", "10")
        assert c.call_raw("GET", "k") == b"$1\r\nv\r\n"
        assert c.call_raw("GET", "nokey") == b"_\r\n"
        assert c.call_raw("INCR", "n") == b":11\r\n"
        assert c.call_raw("INCRBYFLOAT", "n", "0.5") == b"$4\r\n11.5\r\n"
        assert c.call_raw("EXISTS", "k") == b":1\r\n"
        assert c.call_raw("SET", "k", "v", "XX", "GET") == b"$1\r\nv\r\n"
        assert c.call_raw("GETDEL", "nokey") == b"_\r\n"
        assert c.call_raw("GET") == b"-ERR wrong number of arguments for 'get' command\r\n"
        assert c.call_raw("TTL", "nokey") == b":-2\r\n"
        assert c.call_raw("KEYS", "nokey*") == b"*0\r\n"
        hello = c.call_raw("HELLO", "3")
        assert hello.startswith(b"%7\r\n$6\r\nserver\r\n")
        assert b"$5\r\nproto\r\n:3\r\n" in hello
        assert b"$7\r\nmodules\r\n*0\r\n" in hello
