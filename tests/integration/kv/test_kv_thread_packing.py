"""Thread packing: with several shard threads, an idle server runs every shard on its first
thread and moves them back when told (or when that thread gets busy). Clients must not notice a
move: no lost or doubled writes, no half-applied multi-key command, no missed SCAN key, clean
shutdown while packed."""

import os
import signal
import threading
import time

import pytest

from kv_harness import info, target_is_redis, wait_until
from kv_resp import Conn, RespError

pytestmark = pytest.mark.skipif(target_is_redis(), reason="strata-server option")


def running(c):
    return int(info(c, "server")["shard_threads_running"])


def set_mode(c, mode, want_running):
    assert c.call("CONFIG", "SET", "thread-packing", mode) == "OK"
    assert wait_until(lambda: running(c) == want_running, 10), info(c, "server")


def test_config_option_and_info_fields(server):
    with server.conn() as c:
        mode = os.environ.get("STRATA_THREAD_PACKING", "auto").encode()
        assert c.call("CONFIG", "GET", "thread-packing") in (
            [b"thread-packing", mode], {b"thread-packing": mode})
        err = c.call("CONFIG", "SET", "thread-packing", "sometimes")
        assert isinstance(err, RespError), err
        assert "thread-packing" in err.message and "auto, never, always" in err.message, err
        fields = info(c, "server")
        for f in ("shard_threads", "shard_threads_running", "thread_packs", "thread_spreads",
                  "thread_spreads_undone"):
            assert f in fields
        assert 1 <= int(fields["shard_threads_running"]) <= int(fields["shard_threads"])


def test_bad_flag_value_exits_one(start_server, threads):
    if threads != 1:
        pytest.skip("runs once")
    with pytest.raises(RuntimeError) as e:
        start_server(args=["--thread-packing", "maybe"])
    assert "thread-packing" in str(e.value)


def test_idle_server_packs_and_never_spreads(start_server, threads):
    if threads == 1:
        pytest.skip("runs once, with 4 shard threads")
    s = start_server(threads=4, args=["--thread-packing", "auto"])
    with s.conn() as c:
        assert wait_until(lambda: running(c) == 1, 10), info(c, "server")  # idle
        set_mode(c, "never", 4)
        set_mode(c, "always", 1)
        set_mode(c, "auto", 1)
        st = info(c, "server")
        assert int(st["thread_packs"]) >= 2 and int(st["thread_spreads"]) >= 1


def test_clients_do_not_notice_moves(start_server, threads):
    if threads == 1:
        pytest.skip("runs once, with 4 shard threads")
    s = start_server(threads=4)
    admin = s.conn()
    keys = ["scan:%d" % i for i in range(2000)]
    for i in range(0, len(keys), 500):
        admin.call("MSET", *[x for k in keys[i:i + 500] for x in (k, "1")])
    stop = threading.Event()
    errors = []
    moves = [0]

    def mover():
        c = Conn(s.port, timeout=10)
        i = 0
        while not stop.is_set():
            c.call("CONFIG", "SET", "thread-packing", "always" if i % 2 == 0 else "never")
            moves[0] += 1
            i += 1
            time.sleep(0.002 + (i % 5) * 0.002)
        c.close()

    def worker(w, rounds):
        try:
            c = Conn(s.port, timeout=10)
            for i in range(rounds):
                c.call("INCR", "counter:%d" % (i % 8))
                v = "%d:%d" % (w, i)
                group = ["g%d:%s" % (w, x) for x in "abcd"]
                c.call("MSET", *[x for k in group for x in (k, v)])
                got = c.call("MGET", *group)
                if got != [v.encode()] * 4:
                    errors.append("torn MGET %r after MSET %r" % (got, v))
                replies = c.pipeline([("INCR", "pipe:%d" % w)] * 10)
                if replies[-1] != (i + 1) * 10:
                    errors.append("pipeline %r" % (replies,))
            c.close()
        except Exception as e:  # reported below
            errors.append(repr(e))

    def scanner(found):
        c = Conn(s.port, timeout=10)
        cursor = b"0"
        while True:
            cursor, batch = c.call("SCAN", cursor, "MATCH", "scan:*", "COUNT", "50")
            found.update(batch)
            if cursor == b"0":
                break
            time.sleep(0.001)
        c.close()

    mt = threading.Thread(target=mover)
    mt.start()
    workers = [threading.Thread(target=worker, args=(w, 400)) for w in range(6)]
    for t in workers:
        t.start()
    scans = []
    for _ in range(3):
        found = set()
        scanner(found)
        scans.append(found)
    for t in workers:
        t.join()
    stop.set()
    mt.join()
    assert not errors, errors[:5]
    assert moves[0] > 10
    total = sum(int(admin.call("GET", "counter:%d" % k)) for k in range(8))
    assert total == 6 * 400
    for found in scans:  # every key present throughout each scan was returned
        assert found == set(k.encode() for k in keys)
    assert admin.call("DBSIZE") == 2000 + 8 + 6 * 4 + 6
    admin.close()


@pytest.mark.parametrize("how", ["sigterm", "shutdown"])
def test_stops_cleanly_while_packed(start_server, threads, how):
    if threads == 1:
        pytest.skip("runs once, with 4 shard threads")
    s = start_server(threads=4, args=["--thread-packing", "always"])
    c = s.conn()
    assert wait_until(lambda: running(c) == 1, 10)
    conns = [s.conn() for _ in range(8)]  # spread over the shards' listening sockets
    for i, x in enumerate(conns):
        x.call("SET", "k%d" % i, "v")
    if how == "sigterm":
        s.proc.send_signal(signal.SIGTERM)
    else:
        try:
            c.call("SHUTDOWN", "NOSAVE")
        except Exception:
            pass
    assert s.wait_exit(10) == 0, s.log()
