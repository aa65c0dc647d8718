"""Expiry: TTL bookkeeping, lazy expiry, and active expiry of a million keys with no traffic."""

import re
import time

from kv_harness import info, wait_until
from kv_resp import Conn


def keyspace(c):
    ks = info(c, "keyspace").get("db0")
    if ks is None:
        return {"keys": 0, "expires": 0}
    m = re.match(r"keys=(\d+),expires=(\d+),avg_ttl=(\d+)", ks)
    assert m, ks
    return {"keys": int(m.group(1)), "expires": int(m.group(2)), "avg_ttl": int(m.group(3))}


def test_expires_count(c):
    c.call("MSET", *[x for i in range(100) for x in ("k%d" % i, "v")])
    for i in range(40):
        c.call("EXPIRE", "k%d" % i, "1000")
    ks = keyspace(c)
    assert ks["keys"] == 100 and ks["expires"] == 40
    # avg_ttl is an estimate from active-expiry sampling (0 until sampled); only its form is fixed.
    for i in range(10):
        c.call("PERSIST", "k%d" % i)
    c.call("SET", "k10", "new")  # SET clears the TTL
    c.call("DEL", "k11")
    assert keyspace(c)["expires"] == 28


def test_ttl_counts_down(server):
    c = server.conn()
    c.call("SET", "k", "v", "PX", "2500")
    p1 = c.call("PTTL", "k")
    time.sleep(1.1)
    p2 = c.call("PTTL", "k")
    assert 2300 <= p1 <= 2500
    assert 1000 <= p1 - p2 <= 1500
    assert c.call("TTL", "k") in (1, 2)


def test_expired_keys_stat_and_lazy_delete(c):
    c.call("CONFIG", "RESETSTAT")
    for i in range(50):
        c.call("SET", "e%d" % i, "v", "PX", "30")
    time.sleep(0.1)
    assert c.call("MGET", *["e%d" % i for i in range(50)]) == [None] * 50
    assert c.call("DBSIZE") == 0
    assert int(info(c, "stats")["expired_keys"]) == 50


def test_keys_and_scan_skip_expired(c):
    c.call("SET", "live", "v")
    for i in range(20):
        c.call("SET", "dead%d" % i, "v", "PX", "20")
    time.sleep(0.1)
    assert c.call("KEYS", "*") == [b"live"]
    cursor, seen = b"0", []
    while True:
        cursor, keys = c.call("SCAN", cursor)
        seen += keys
        if cursor == b"0":
            break
    assert seen == [b"live"]
    assert c.call("RANDOMKEY") == b"live"


def test_rename_and_copy_of_expired_key(c):
    c.call("SET", "a", "v", "PX", "20")
    time.sleep(0.1)
    assert c.call("RENAME", "a", "b").message == "ERR no such key"
    assert c.call("COPY", "a", "b") == 0
    assert c.call("MOVE", "a", "1") == 0


def load_with_ttl(port, n, ttl_ms, batch=20000):
    """SETs n keys with a TTL through a pipelined raw connection; returns the load time."""
    c = Conn(port, timeout=60)
    ttl = str(ttl_ms).encode()
    t0 = time.monotonic()
    for start in range(0, n, batch):
        cmds = []
        for i in range(start, min(n, start + batch)):
            k = b"exp:%d" % i
            cmds.append(b"*5\r\n$3\r\nSET\r\n$%d\r\n%s\r\n$1\r\nv\r\n$2\r\nPX\r\n$%d\r\n%s\r\n"
                        % (len(k), k, len(ttl), ttl))
        c.send_raw(b"".join(cmds))
        want = b"+OK\r\n" * len(cmds)
        got = bytearray()
        while len(got) < len(want):
            chunk = c.sock.recv(1 << 20)
            assert chunk, "server closed the connection during load"
            got += chunk
        assert bytes(got) == want
    c.close()
    return time.monotonic() - t0


def test_active_expiry_of_a_million_keys(server):
    n = 1_000_000
    with server.conn() as c:
        c.call("CONFIG", "RESETSTAT")
    load_time = load_with_ttl(server.port, n, 1000)
    # No traffic touches the keys from now on; only DBSIZE/INFO polls.
    with server.conn() as c:
        t0 = time.monotonic()
        assert wait_until(lambda: c.call("DBSIZE") == 0, 20, interval=0.25), \
            "DBSIZE still %d after 20 s (load took %.1fs)" % (c.call("DBSIZE"), load_time)
        took = time.monotonic() - t0
        assert int(info(c, "stats")["expired_keys"]) == n
        assert keyspace(c)["keys"] == 0
        print("active expiry: load %.1fs, drained %.1fs after load" % (load_time, took))
