"""Multi-key commands are atomic across shards: concurrent readers never see half of a write."""

import threading
import time

from kv_harness import run_threads

KEYS = ["atom:%d:%s" % (i, "x" * (i % 7)) for i in range(64)]  # spread over every shard




def test_mset_vs_mget_never_partial(server):
    stop = threading.Event()
    bad = []
    reads = [0]

    def writer(tag):
        def run():
            with server.conn() as c:
                for gen in range(400):
                    v = "%s-%d" % (tag, gen)
                    assert c.call("MSET", *[x for k in KEYS for x in (k, v)]) == "OK"
            stop.set()
        return run

    def reader():
        with server.conn() as c:
            while not stop.is_set():
                vals = c.call("MGET", *KEYS)
                reads[0] += 1
                if len(set(vals)) != 1:
                    bad.append(vals)
                    return

    run_threads([writer("a"), writer("b"), reader, reader], timeout=60)
    assert not bad, "MGET saw a partial MSET: %r" % (sorted(set(bad[0])),)
    assert reads[0] > 10


def test_msetnx_exactly_one_winner(server):
    with server.conn() as admin:
        for rnd in range(30):
            admin.call("DEL", *KEYS)
            results = {}
            barrier = threading.Barrier(4)

            def contender(i):
                def run():
                    with server.conn() as c:
                        barrier.wait(10)
                        keys = KEYS[i * 8:i * 8 + 40]  # overlapping key sets
                        results[i] = c.call("MSETNX", *[x for k in keys for x in (k, "w%d" % i)])
                return run

            run_threads([contender(i) for i in range(4)], timeout=60)
            winners = [i for i, r in results.items() if r == 1]
            assert len(winners) >= 1, results
            # Every key of a winner carries the winner's value; no loser wrote anything.
            vals = admin.call("MGET", *KEYS)
            owners = {v for v in vals if v is not None}
            assert owners == {b"w%d" % i for i in winners}
            for i in winners:
                keys = KEYS[i * 8:i * 8 + 40]
                assert admin.call("MGET", *keys) == [b"w%d" % i] * len(keys)


def test_del_vs_mget_all_or_nothing(server):
    stop = threading.Event()
    bad = []

    def writer():
        with server.conn() as c:
            for _ in range(300):
                c.call("MSET", *[x for k in KEYS for x in (k, "v")])
                c.call("DEL", *KEYS)
        stop.set()

    def reader():
        with server.conn() as c:
            while not stop.is_set():
                vals = c.call("MGET", *KEYS)
                if len(set(vals)) != 1:
                    bad.append(vals)
                    return
                n = c.call("EXISTS", *KEYS)
                if n not in (0, len(KEYS)):
                    bad.append(n)
                    return

    run_threads([writer, reader], timeout=60)
    assert not bad, bad[0]


def test_rename_across_shards_is_atomic(server):
    pairs = [("ren:a%d" % i, "ren:b%d-other" % i) for i in range(8)]
    with server.conn() as c:
        for a, _ in pairs:
            c.call("SET", a, "payload-" + a)
    stop = threading.Event()
    bad = []

    def renamer():
        with server.conn() as c:
            for _ in range(300):
                for a, b in pairs:
                    assert c.call("RENAME", a, b) == "OK"
                for a, b in pairs:
                    assert c.call("RENAME", b, a) == "OK"
        stop.set()

    def observer():
        with server.conn() as c:
            while not stop.is_set():
                for a, b in pairs:
                    n = c.call("EXISTS", a, b)
                    if n != 1:
                        bad.append((a, b, n))
                        return
                    vals = c.call("MGET", a, b)
                    if sorted(vals, key=lambda v: v is None) != [b"payload-" + a.encode(), None]:
                        bad.append((a, b, vals))
                        return

    run_threads([renamer, observer], timeout=60)
    assert not bad, bad[0]
    with server.conn() as c:
        assert c.call("DBSIZE") == len(pairs)


def test_copy_and_move_consistent_under_concurrency(server):
    with server.conn() as c:
        c.call("SET", "src", "0")
    stop = threading.Event()

    def incr():
        with server.conn() as c:
            for _ in range(500):
                c.call("INCR", "src")
        stop.set()

    copies = []

    def copier():
        with server.conn() as c:
            i = 0
            while not stop.is_set() and i < 2000:
                assert c.call("COPY", "src", "dst%d" % (i % 10), "REPLACE") == 1
                copies.append(int(c.call("GET", "dst%d" % (i % 10))))
                i += 1

    run_threads([incr, copier], timeout=60)
    assert copies == sorted(copies)
    with server.conn() as c:
        assert c.call("GET", "src") == b"500"


def test_flushall_while_writing(server):
    def writer():
        with server.conn() as c:
            for i in range(2000):
                c.call("SET", "fw:%d" % i, "v")

    def flusher():
        with server.conn() as c:
            for _ in range(20):
                assert c.call("FLUSHALL") == "OK"
                time.sleep(0.005)

    run_threads([writer, flusher], timeout=60)
    with server.conn() as c:
        assert c.call("FLUSHALL") == "OK"
        assert c.call("DBSIZE") == 0
        assert c.call("KEYS", "*") == []
