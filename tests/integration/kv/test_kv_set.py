"""Sets through redis-py: a tag index queried with SINTER/SINTERSTORE across shards, SMOVE
between shards under concurrency, the intset -> hashtable conversion, and the reply shapes."""

import random
import threading

import pytest
import redis

from kv_resp import RespError


@pytest.fixture
def r(server):
    client = redis.Redis(host="127.0.0.1", port=server.port)
    yield client
    client.close()


def test_tag_index(r, threads):
    rnd = random.Random(5)
    tags = ["red", "green", "blue", "small", "large", "cheap", "new"]
    items = {}
    for i in range(400):
        item = "item:%d" % i
        chosen = set(rnd.sample(tags, rnd.randint(1, 4)))
        items[item] = chosen
        pipe = r.pipeline(transaction=False)
        for t in chosen:
            pipe.sadd("tag:" + t, item)
        pipe.sadd("item-tags:" + item, *chosen)
        pipe.execute()

    def expect(*wanted):
        return {i.encode() for i, ts in items.items() if set(wanted) <= ts}

    assert r.sinter("tag:red", "tag:small") == expect("red", "small")
    assert r.sinter("tag:red", "tag:small", "tag:cheap") == expect("red", "small", "cheap")
    assert r.sintercard(3, ["tag:red", "tag:small", "tag:cheap"]) == len(
        expect("red", "small", "cheap"))
    assert r.sintercard(2, ["tag:red", "tag:small"], limit=3) == min(3, len(expect("red", "small")))
    n = r.sinterstore("query:red-large", "tag:red", "tag:large")
    assert n == len(expect("red", "large"))
    assert r.smembers("query:red-large") == expect("red", "large")
    assert r.object("encoding", "query:red-large") == b"hashtable"
    union = {i.encode() for i, ts in items.items() if ts & {"new", "cheap"}}
    assert r.sunion("tag:new", "tag:cheap") == union
    assert r.sunionstore("query:new-or-cheap", "tag:new", "tag:cheap") == len(union)
    diff = {i.encode() for i, ts in items.items() if "red" in ts and "blue" not in ts}
    assert r.sdiff("tag:red", "tag:blue") == diff
    assert r.sdiffstore("query:red-not-blue", "tag:red", "tag:blue") == len(diff)
    assert r.smembers("query:red-not-blue") == diff
    # An empty result deletes the destination; a missing source is an empty set.
    assert r.sinterstore("query:red-large", "tag:red", "tag:none") == 0
    assert r.exists("query:red-large") == 0
    # A source of another type is an error, wherever it lives.
    r.set("plain", "x")
    with pytest.raises(redis.ResponseError, match="WRONGTYPE"):
        r.sinter("tag:red", "plain")
    with pytest.raises(redis.ResponseError, match="WRONGTYPE"):
        r.sunionstore("dst", "tag:red", "plain")
    # Removing a tag from an item.
    victim = next(i for i, ts in items.items() if "red" in ts)
    assert r.srem("tag:red", victim) == 1
    items[victim].discard("red")
    assert r.sinter("tag:red", "tag:small") == expect("red", "small")


def test_smove_between_shards_concurrently(server, r, threads):
    n_sets, n_members = 6, 300
    sets = ["bucket:%d" % i for i in range(n_sets)]
    for m in range(n_members):
        r.sadd(sets[m % n_sets], "m%d" % m)
    errors = []

    def worker(seed):
        rnd = random.Random(seed)
        cl = redis.Redis(host="127.0.0.1", port=server.port)
        try:
            for _ in range(1000):
                src, dst = rnd.sample(sets, 2)
                r2 = cl.smove(src, dst, "m%d" % rnd.randrange(n_members))
                assert r2 in (0, 1)
        except Exception as e:  # noqa: BLE001
            errors.append(e)
        finally:
            cl.close()

    workers = [threading.Thread(target=worker, args=(s,)) for s in range(6)]
    for w in workers:
        w.start()
    # Meanwhile the union of the buckets, read atomically, always holds every member once.
    checks = 0
    while any(w.is_alive() for w in workers):
        total = r.sunion(*sets)
        assert len(total) == n_members
        checks += 1
    for w in workers:
        w.join()
    assert not errors, errors
    seen = []
    for s in sets:
        seen += list(r.smembers(s))
    assert len(seen) == n_members
    assert set(seen) == {b"m%d" % m for m in range(n_members)}
    assert checks > 0


def test_intset_converts_at_512(r):
    r.sadd("ints", *range(512))
    assert r.object("encoding", "ints") == b"intset"
    assert r.scard("ints") == 512
    r.sadd("ints", 512)
    assert r.object("encoding", "ints") == b"hashtable"
    assert r.scard("ints") == 513
    # Never back, even when small again.
    r.srem("ints", *range(500))
    assert r.object("encoding", "ints") == b"hashtable"
    assert r.smembers("ints") == {str(i).encode() for i in range(500, 513)}
    # A non-canonical integer is a string member.
    r.sadd("small", 1, 2, 3)
    assert r.object("encoding", "small") == b"intset"
    r.sadd("small", "007")
    assert r.object("encoding", "small") == b"hashtable"
    assert r.sismember("small", "007") and not r.sismember("small", "7")
    # SINTERSTORE of large integer sets follows the same rules.
    r.sadd("evens", *range(0, 2000, 2))
    r.sadd("threes", *range(0, 2000, 3))
    assert r.sinterstore("sixes", "evens", "threes") == len(range(0, 2000, 6))
    assert r.object("encoding", "sixes") == b"intset"
    assert r.sunionstore("both", "evens", "threes") > 512
    assert r.object("encoding", "both") == b"hashtable"


def test_sscan_large_set(r):
    members = {("member-%d" % i).encode() for i in range(5000)}
    r.sadd("big", *members)
    got = set()
    cursor = 0
    while True:
        cursor, batch = r.sscan("big", cursor, count=50)
        got.update(batch)
        if cursor == 0:
            break
    assert got == members
    assert set(r.sscan_iter("big", match="member-42*")) == {
        m for m in members if m.startswith(b"member-42")}
    # Small intsets come back whole with cursor 0.
    r.sadd("tiny", 3, 1, 2)
    assert r.sscan("tiny", 0, count=1) == (0, [b"1", b"2", b"3"])


def test_random_members(r):
    r.sadd("s", *range(10))
    popped = r.spop("s", 3)
    assert len(popped) == 3 and r.scard("s") == 7
    rest = r.spop("s", 100)
    assert len(rest) == 7 and r.exists("s") == 0
    assert set(popped) | set(rest) == {str(i).encode() for i in range(10)}
    r.sadd("s", "a", "b")
    assert len(r.srandmember("s", -10)) == 10
    assert sorted(r.srandmember("s", 10)) == [b"a", b"b"]
    assert r.srandmember("s") in (b"a", b"b")
    assert r.smismember("s", ["a", "z"]) == [1, 0]


def test_reply_types_resp3(c, proto):
    c.call("SADD", "s", "x", "y")
    raw = c.call_raw("SMEMBERS", "s")
    assert raw.startswith(b"~2\r\n" if proto == 3 else b"*2\r\n")
    assert c.call_raw("SPOP", "missing", "2") == (b"~0\r\n" if proto == 3 else b"*0\r\n")
    assert c.call_raw("SRANDMEMBER", "missing", "2") == b"*0\r\n"
    assert c.call("SINTERCARD", "0", "s") == RespError("ERR numkeys should be greater than 0")
    assert c.call("SPOP", "s", "-1") == RespError("ERR value is out of range, must be positive")
