"""Streams through redis-py: an event stream processed by a consumer group (one consumer dies
holding pending entries, XAUTOCLAIM hands them to the other), multi-key XREAD across shards,
and the keyspace commands on stream keys."""

import threading
import time

import pytest

redis = pytest.importorskip("redis")

from kv_harness import HOST  # noqa: E402


@pytest.fixture
def r(server):
    cl = redis.Redis(host=HOST, port=server.port)
    yield cl
    cl.close()


def test_event_stream_consumer_group(server):
    key, group = "events", "workers"
    admin = redis.Redis(host=HOST, port=server.port)
    assert admin.xgroup_create(key, group, id="$", mkstream=True)

    # Two producers add 1,000 events between them.
    def produce(start):
        p = redis.Redis(host=HOST, port=server.port)
        for n in range(start, 1000, 2):
            p.xadd(key, {"n": n, "payload": "event-%d" % n})
        p.close()

    producers = [threading.Thread(target=produce, args=(i,)) for i in (0, 1)]
    for t in producers:
        t.start()
    for t in producers:
        t.join()
    assert admin.xlen(key) == 1000

    processed = {}  # event number -> consumer that processed it (after the last claim)
    acked = []

    def handle(conn, consumer, entries, ack=True):
        for entry_id, fields in entries:
            n = int(fields[b"n"])
            assert fields[b"payload"] == b"event-%d" % n
            processed[n] = consumer
            if ack:
                assert conn.xack(key, group, entry_id) == 1
                acked.append(n)

    a = redis.Redis(host=HOST, port=server.port)
    b = redis.Redis(host=HOST, port=server.port)
    # Consumer "a" takes a batch and dies before acknowledging it.
    reply = a.xreadgroup(group, "a", {key: ">"}, count=25)
    lost = reply[0][1]
    assert len(lost) == 25
    handle(a, "a", lost, ack=False)
    a.close()
    # Consumer "b" works through the rest.
    while True:
        reply = b.xreadgroup(group, "b", {key: ">"}, count=40)
        if not reply:
            break
        handle(b, "b", reply[0][1])
    summary = b.xpending(key, group)
    assert summary["pending"] == 25
    assert summary["consumers"] == [{"name": b"a", "pending": 25}]
    # Nothing is idle long enough yet: XAUTOCLAIM hands nothing over.
    cursor, claimed, deleted = b.execute_command("XAUTOCLAIM", key, group, "b", 60000, "0-0")
    assert claimed == [] and deleted == []
    time.sleep(0.2)
    cursor, claimed, deleted = b.execute_command("XAUTOCLAIM", key, group, "b", 100, "0-0",
                                                 "COUNT", 100)
    assert cursor == b"0-0" and deleted == []
    assert len(claimed) == 25
    handle(b, "b", claimed)

    assert sorted(processed) == list(range(1000))
    assert sorted(acked) == list(range(1000))  # every event acknowledged exactly once
    assert b.xpending(key, group)["pending"] == 0
    assert b.xpending(key, group) == {"pending": 0, "min": None, "max": None, "consumers": []}
    # Acknowledging again changes nothing.
    assert b.xack(key, group, lost[0][0]) == 0
    info = b.xinfo_groups(key)[0]
    assert info["entries-read"] == 1000 and info["lag"] == 0 and info["pending"] == 0
    consumers = {c["name"]: c["pending"] for c in b.xinfo_consumers(key, group)}
    assert consumers == {b"a": 0, b"b": 0}
    b.close()
    admin.close()


def test_xread_many_keys(r):
    keys = ["s%d" % i for i in range(8)]
    for i, k in enumerate(keys):
        for j in range(3):
            r.xadd(k, {"v": "%d.%d" % (i, j)}, id="%d-%d" % (j + 1, i))
    reply = r.xread({k: "0" for k in keys}, count=2)
    assert [name for name, _ in reply] == [k.encode() for k in keys]
    assert all(len(entries) == 2 for _, entries in reply)
    assert reply[3][1][0] == (b"1-3", {b"v": b"3.0"})
    assert r.xread({k: "$" for k in keys}) == []
    # Group reads across shards, then history reads of the consumer's PEL.
    for k in keys:
        r.xgroup_create(k, "g", id="0")
    got = r.xreadgroup("g", "c", {k: ">" for k in keys})
    assert sum(len(e) for _, e in got) == 24
    hist = r.xreadgroup("g", "c", {k: "0" for k in keys}, count=1)
    assert [len(e) for _, e in hist] == [1] * 8
    with pytest.raises(redis.ResponseError, match="NOGROUP"):
        r.xreadgroup("g", "c", {"s0": ">", "nostream": ">"})
    # BLOCK with data available is served at once.
    assert r.xread({"s1": "0"}, count=1, block=0)[0][1][0][0] == b"1-1"


def test_stream_keyspace(r):
    r.xadd("s", {"a": "1"}, id="1-0")
    assert r.type("s") == b"stream"
    assert r.object("encoding", "s") == b"stream"
    assert r.xdel("s", "1-0") == 1
    # Unlike other containers, an emptied stream stays.
    assert r.exists("s") == 1 and r.xlen("s") == 0
    r.xadd("s", {"a": "2"}, id="2-0")
    r.xgroup_create("s", "g", id="0")
    r.xreadgroup("g", "c", {"s": ">"})
    assert r.copy("s", "t")
    assert r.xinfo_groups("t")[0]["pending"] == 1
    r.rename("t", "u")
    assert r.xrange("u") == [(b"2-0", {b"a": b"2"})]
    assert r.xpending("u", "g")["pending"] == 1
    r.set("str", "x")
    with pytest.raises(redis.ResponseError, match="WRONGTYPE"):
        r.xadd("str", {"a": "1"})
    with pytest.raises(redis.ResponseError, match="equal or smaller"):
        r.xadd("s", {"a": "1"}, id="1-0")


def test_auto_ids_are_monotonic(r):
    ids = [r.xadd("auto", {"n": i}) for i in range(200)]
    parsed = [tuple(map(int, i.split(b"-"))) for i in ids]
    assert parsed == sorted(parsed) and len(set(parsed)) == 200
    ms = parsed[-1][0]
    assert abs(ms - time.time() * 1000) < 60000
    nxt = r.xadd("auto", {"n": 1}, id="%d-*" % ms)
    assert nxt == b"%d-%d" % (ms, parsed[-1][1] + 1)
