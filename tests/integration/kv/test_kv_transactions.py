"""MULTI/EXEC/DISCARD/WATCH/UNWATCH: Redis's replies and errors, WATCH failing EXEC for every kind
of change, blocking commands inside MULTI, and transactions spanning shards that no concurrent
reader sees half-applied (with 4 shard threads)."""

import threading
import time

import pytest

from kv_harness import run_threads, wait_until
from kv_resp import RespError, encode

E = RespError
redis = pytest.importorskip("redis")

# Keys spread over every shard with 4 shard threads.
KEYS = ["tx:%d" % i for i in range(16)]


def test_queue_and_exec(c):
    assert c.call("MULTI") == "OK"
    assert c.call("SET", "a", "1") == "QUEUED"
    assert c.call("INCR", "a") == "QUEUED"
    assert c.call("MSET", *[x for k in KEYS for x in (k, "v")]) == "QUEUED"
    assert c.call("MGET", "a", KEYS[3]) == "QUEUED"
    assert c.call("EXEC") == ["OK", 2, "OK", [b"2", b"v"]]
    assert c.call("EXEC") == E("ERR EXEC without MULTI")
    assert c.call("DISCARD") == E("ERR DISCARD without MULTI")


def test_errors_while_queuing_abort_exec(c):
    c.call("SET", "a", "1")
    assert c.call("MULTI") == "OK"
    assert c.call("INCR", "a") == "QUEUED"
    assert isinstance(c.call("NOSUCHCOMMAND"), RespError)
    assert isinstance(c.call("GET"), RespError)  # wrong arity
    assert c.call("EXEC") == E("EXECABORT Transaction discarded because of previous errors.")
    assert c.call("GET", "a") == b"1"


def test_runtime_errors_stay_per_command(c):
    c.call("SET", "s", "text")
    c.call("MULTI")
    c.call("INCR", "s")
    c.call("SET", "t", "1")
    c.call("LPUSH", "s", "x")
    r = c.call("EXEC")
    assert isinstance(r[0], RespError) and r[0].message.startswith("ERR value is not an integer")
    assert r[1] == "OK"
    assert isinstance(r[2], RespError) and r[2].message.startswith("WRONGTYPE")


def test_nesting_watch_inside_multi_and_discard(c):
    c.call("MULTI")
    assert c.call("MULTI") == E("ERR MULTI calls can not be nested")
    assert c.call("WATCH", "a") == E("ERR WATCH inside MULTI is not allowed")
    c.call("SET", "a", "1")
    assert c.call("DISCARD") == "OK"
    assert c.call("GET", "a") is None
    # Neither error aborted the transaction.
    c.call("MULTI")
    c.call("MULTI")
    c.call("SET", "a", "2")
    assert c.call("EXEC") == ["OK"]


def test_empty_transaction_and_select_inside(c):
    c.call("MULTI")
    assert c.call("EXEC") == []
    c.call("MULTI")
    c.call("SET", "k", "0")
    c.call("SELECT", "1")
    c.call("SET", "k", "1")
    c.call("GET", "k")
    assert c.call("EXEC") == ["OK", "OK", "OK", b"1"]
    assert c.call("GET", "k") == b"1"  # the connection stays in database 1, as in Redis
    c.call("SELECT", "0")
    assert c.call("GET", "k") == b"0"


def test_blocking_commands_do_not_block_inside_multi(c):
    c.call("MULTI")
    c.call("BLPOP", "nolist", "10")
    c.call("BRPOPLPUSH", "nolist", "other", "10")
    c.call("BZPOPMIN", "nozset", "10")
    c.call("XREAD", "BLOCK", "10000", "STREAMS", "nostream", "$")
    c.call("RPUSH", "l", "x")
    c.call("BLMOVE", "l", "m", "LEFT", "LEFT", "10")
    t0 = time.monotonic()
    r = c.call("EXEC")
    assert time.monotonic() - t0 < 2
    assert r[:4] == [None, None, None, None] and r[4] == 1 and r[5] == b"x"


def exec_watched(server, key, change):
    """WATCH key on one client, `change(other_client)`, then MULTI/EXEC: the EXEC reply."""
    with server.conn() as w, server.conn() as other:
        assert w.call("WATCH", key) == "OK"
        change(other)
        w.call("MULTI")
        w.call("PING")
        return w.call("EXEC")


@pytest.mark.parametrize("change", [
    lambda o: o.call("SET", "wk", "2"),
    lambda o: o.call("DEL", "wk"),
    lambda o: o.call("EXPIRE", "wk", "100"),
    lambda o: o.call("APPEND", "wk", "x"),
    lambda o: o.call("RENAME", "other", "wk"),
    lambda o: o.call("FLUSHDB"),
    lambda o: o.call("FLUSHALL"),
    lambda o: o.call("SWAPDB", "0", "1"),
    lambda o: o.call("MSET", *[x for k in KEYS + ["wk"] for x in (k, "v")]),
], ids=["set", "del", "expire", "append", "rename-onto", "flushdb", "flushall", "swapdb",
        "mset-across-shards"])
def test_watch_fails_exec_when_the_key_changes(server, change):
    with server.conn() as c:
        c.call("SET", "wk", "1")
        c.call("SET", "other", "o")
    assert exec_watched(server, "wk", change) is None


def test_watch_passes_when_nothing_changed(server):
    with server.conn() as c:
        c.call("SET", "wk", "1")
    assert exec_watched(server, "wk", lambda o: o.call("GET", "wk")) == ["PONG"]
    # A missing key stays missing through FLUSHALL: nothing changed.
    assert exec_watched(server, "absent", lambda o: o.call("FLUSHALL")) == ["PONG"]
    # UNWATCH forgets.
    with server.conn() as w, server.conn() as o:
        w.call("WATCH", "wk")
        w.call("UNWATCH")
        o.call("SET", "wk", "9")
        w.call("MULTI")
        w.call("GET", "wk")
        assert w.call("EXEC") == [b"9"]


def test_watch_own_change_and_expiry(server):
    with server.conn() as c:
        c.call("SET", "wk", "1")
        c.call("WATCH", "wk")
        c.call("SET", "wk", "2")  # the watcher's own write counts too
        c.call("MULTI")
        c.call("GET", "wk")
        assert c.call("EXEC") is None
        c.call("SET", "ek", "1", "PX", "50")
        c.call("WATCH", "ek")
        time.sleep(0.15)
        c.call("MULTI")
        c.call("PING")
        assert c.call("EXEC") is None
        # A blocked client served from a watched list changes it.
        c.call("WATCH", "q")
        with server.conn() as b, server.conn() as p:
            b.send_raw(encode("BLPOP", "q", "5"))
            assert wait_until(lambda: p.call("CLIENT", "LIST").count(b"cmd=blpop") == 1, 5)
            p.call("RPUSH", "q", "job")
            assert b.read() == [b"q", b"job"]
        c.call("MULTI")
        c.call("PING")
        assert c.call("EXEC") is None


def test_exec_null_reply_in_resp3(server):
    with server.conn(protocol=3) as c, server.conn() as o:
        c.call("WATCH", "k3")
        o.call("SET", "k3", "x")
        c.call("MULTI")
        c.call("GET", "k3")
        assert c.call("EXEC") is None


def test_transaction_across_shards_is_atomic(server):
    """A writer sets all keys (one per shard and more) to the same generation in MULTI/EXEC; readers
    with MGET and with MULTI/GET.../EXEC must never see two generations at once."""
    stop = threading.Event()
    bad = []

    def writer():
        with server.conn() as w:
            for gen in range(300):
                w.call("MULTI")
                for k in KEYS:
                    w.call("SET", k, str(gen))
                assert len(w.call("EXEC")) == len(KEYS)
        stop.set()

    def mget_reader():
        with server.conn() as r:
            while not stop.is_set():
                vals = r.call("MGET", *KEYS)
                if len(set(vals)) != 1:
                    bad.append(vals)

    def tx_reader():
        with server.conn() as r:
            while not stop.is_set():
                r.call("MULTI")
                for k in KEYS:
                    r.call("GET", k)
                vals = r.call("EXEC")
                if len(set(vals)) != 1:
                    bad.append(vals)

    with server.conn() as c:
        c.call("MSET", *[x for k in KEYS for x in (k, "init")])
    run_threads([writer, mget_reader, tx_reader])
    assert not bad, bad[:3]


def test_optimistic_increment_from_20_clients(server):
    """redis-py's WATCH/MULTI/EXEC retry loop: the final count is exact."""
    def worker():
        r = redis.Redis(host="127.0.0.1", port=server.port)
        for _ in range(25):
            with r.pipeline() as p:
                while True:
                    try:
                        p.watch("counter")
                        n = int(p.get("counter") or 0)
                        p.multi()
                        p.set("counter", n + 1)
                        p.execute()
                        break
                    except redis.WatchError:
                        continue
        r.close()

    run_threads([worker] * 20)
    with server.conn() as c:
        assert c.call("GET", "counter") == b"500"


def test_monitor_shows_the_commands_exec_runs(server):
    with server.conn() as m, server.conn() as c:
        assert m.call("MONITOR") == "OK"
        c.call("MULTI")
        c.call("SET", "mk", "1")
        c.call("INCR", "mk")
        c.call("EXEC")
        lines = [m.read() for _ in range(4)]
        cmds = [str(line).split('"')[1].lower() for line in lines]
        assert cmds == ["multi", "set", "incr", "exec"]


def test_client_list_shows_the_transaction(server):
    with server.conn() as c, server.conn() as o:
        c.call("CLIENT", "SETNAME", "txclient")
        c.call("WATCH", "wk")
        c.call("MULTI")
        c.call("SET", "a", "1")
        c.call("SET", "b", "2")
        o.call("SET", "wk", "changed")
        line = [x for x in bytes(o.call("CLIENT", "LIST")).decode().splitlines()
                if "name=txclient" in x][0]
        fields = dict(kv.split("=", 1) for kv in line.split(" ") if "=" in kv)
        assert "x" in fields["flags"] and "d" in fields["flags"]
        assert fields["multi"] == "2"
        c.call("DISCARD")
