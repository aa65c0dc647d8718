"""Lists: a timeline fan-out (LPUSH + LTRIM, paged LRANGE from several clients) and LMOVE
between lists on different shards under concurrent movers, with redis-py; reply shapes in
RESP2 and RESP3."""

import random
import time
import threading

import pytest
import redis

from kv_harness import run_threads
from kv_resp import RespError

E = RespError


def client(server):
    return redis.Redis(host="127.0.0.1", port=server.port, socket_timeout=30)




def test_timeline_fanout(server):
    """Each post goes to every follower's timeline (LPUSH + LTRIM 0 799); readers page through
    timelines 50 at a time while posts arrive: pages are never longer than 50, newest first."""
    followers = ["timeline:%d" % i for i in range(16)]
    posts = 1500
    done = threading.Event()
    pages_read = [0]

    def writer():
        r = client(server)
        try:
            for post in range(1, posts + 1):
                p = r.pipeline(transaction=False)
                for t in followers:
                    p.lpush(t, "post:%d" % post)
                    p.ltrim(t, 0, 799)
                p.execute()
        finally:
            done.set()

    def reader(seed):
        def run():
            rnd = random.Random(seed)
            r = client(server)
            while not done.is_set():
                t = rnd.choice(followers)
                page = rnd.randint(0, 17)
                items = r.lrange(t, page * 50, page * 50 + 49)
                assert len(items) <= 50
                ids = [int(x.split(b":")[1]) for x in items]
                assert ids == sorted(ids, reverse=True)
                assert len(set(ids)) == len(ids)
                assert r.llen(t) <= 800
                pages_read[0] += 1
        return run

    run_threads([writer] + [reader(i) for i in range(3)])
    assert pages_read[0] > 0
    r = client(server)
    want = [b"post:%d" % i for i in range(posts, posts - 800, -1)]
    for t in followers:
        assert r.llen(t) == 800
        got = []
        for page in range(16):
            got += r.lrange(t, page * 50, page * 50 + 49)
        assert got == want
        assert r.lrange(t, 800, 849) == []
        assert r.object("encoding", t) == b"quicklist"


def test_lmove_across_shards_conserves_elements(server):
    """Concurrent LMOVE/RPOPLPUSH between lists spread over the shards: every element stays in
    exactly one list, none is lost or duplicated."""
    lists = ["mv:%d:%s" % (i, "k" * i) for i in range(8)]
    r = client(server)
    universe = set()
    for i, name in enumerate(lists):
        elems = ["e%d-%d" % (i, j) for j in range(100)]
        universe.update(e.encode() for e in elems)
        r.rpush(name, *elems)

    def mover(seed):
        def run():
            rnd = random.Random(seed)
            c = client(server)
            for _ in range(1500):
                src, dst = rnd.choice(lists), rnd.choice(lists)
                if rnd.random() < 0.2:
                    c.rpoplpush(src, dst)
                else:
                    c.lmove(src, dst, rnd.choice(["LEFT", "RIGHT"]), rnd.choice(["LEFT", "RIGHT"]))
        return run

    run_threads([mover(i) for i in range(4)])
    seen = []
    for name in lists:
        seen += r.lrange(name, 0, -1)
    assert len(seen) == len(universe)
    assert set(seen) == universe


def test_lmpop_across_shards(server):
    r = client(server)
    keys = ["mp:%d" % i for i in range(6)]
    r.rpush(keys[4], "a", "b", "c")
    r.rpush(keys[5], "x")
    assert r.execute_command("LMPOP", 6, *keys, "LEFT", "COUNT", 2) == [keys[4].encode(),
                                                                         [b"a", b"b"]]
    assert r.execute_command("LMPOP", 6, *keys, "RIGHT", "COUNT", 5) == [keys[4].encode(), [b"c"]]
    assert r.exists(keys[4]) == 0
    assert r.execute_command("LMPOP", 5, *keys[:5], "LEFT") is None
    r.set(keys[0], "str")
    with pytest.raises(redis.ResponseError, match="WRONGTYPE"):
        r.execute_command("LMPOP", 6, *keys, "LEFT")


def test_reply_shapes(c, proto):
    null = b"$-1\r\n" if proto == 2 else b"_\r\n"
    null_array = b"*-1\r\n" if proto == 2 else b"_\r\n"
    assert c.call_raw("LPOP", "nokey") == null
    assert c.call_raw("LPOP", "nokey", "0") == null_array
    assert c.call_raw("RPOP", "nokey", "3") == null_array
    assert c.call_raw("LMPOP", "1", "nokey", "LEFT") == null_array
    assert c.call_raw("LINDEX", "nokey", "0") == null
    assert c.call_raw("LMOVE", "nokey", "other", "LEFT", "RIGHT") == null
    assert c.call("RPUSH", "l", "a", "b", "c", "b") == 4
    assert c.call_raw("LPOP", "l", "0") == b"*0\r\n"
    assert c.call("LPOP", "l", "-1") == E("ERR value is out of range, must be positive")
    assert c.call("LPOS", "l", "b", "RANK", "0") == E(
        "ERR RANK can't be zero: use 1 to start from the first match, 2 from the second ... or "
        "use negative to start from the end of the list")
    assert c.call("LPOS", "l", "b", "RANK", "-1") == 3
    assert c.call("LPOS", "l", "b", "COUNT", "0") == [1, 3]
    assert c.call_raw("LPOS", "l", "zz") == null
    assert c.call("LSET", "l", "10", "x") == E("ERR index out of range")
    assert c.call("LSET", "nokey", "0", "x") == E("ERR no such key")
    assert c.call("LMOVE", "l", "l", "LEFT", "RIGHT") == b"a"
    assert c.call("LRANGE", "l", "0", "-1") == [b"b", b"c", b"b", b"a"]
    assert c.call("OBJECT", "ENCODING", "l") == b"quicklist"
    assert c.call("LTRIM", "l", "5", "10") == "OK"
    assert c.call("EXISTS", "l") == 0


def test_large_list_and_integers(c):
    # Many nodes, integers of every width, long values.
    vals = [str(v) for v in (0, 127, 128, -1, 4095, -4096, 70000, -(1 << 31), (1 << 63) - 1)]
    vals += ["007", "-0", "x" * 70, "y" * 5000]
    assert c.call("RPUSH", "big", *(vals * 300)) == len(vals) * 300
    assert c.call("LRANGE", "big", "0", str(len(vals) - 1)) == [v.encode() for v in vals]
    assert c.call("LINDEX", "big", "-1") == b"y" * 5000
    assert c.call("LREM", "big", "0", "007") == 300
    assert c.call("LLEN", "big") == (len(vals) - 1) * 300
    assert c.call("LPOS", "big", "70000", "RANK", "-1") == c.call("LLEN", "big") - (len(vals) - 7)


def _lpos(model, value, rank=1, count=None, maxlen=0):
    """LPOS on a Python list: the indexes of matches from the rank-th on."""
    order = range(len(model)) if rank > 0 else range(len(model) - 1, -1, -1)
    if maxlen:
        order = list(order)[:maxlen]
    hits = [i for i in order if model[i] == value][abs(rank) - 1:]
    if count is None:
        return hits[0] if hits else None
    return hits[:count] if count else hits


def test_compressed_list_matches_model(server):
    """With list-compress-depth 1 a list of 50,000 compressible elements answers LRANGE, LINDEX,
    LPOS, LREM, LINSERT and LSET as a Python list does, and takes at least 3x less memory than
    the same list built with depth 0, before and after writes in its middle."""
    r = client(server)
    rnd = random.Random(7)
    n = 50000
    model = ["event:%06d:status=ok;retries=0;region=eu-west;" % i for i in range(n)]
    for i in range(0, n, 500):
        model[i] = "marker"

    def build(key):
        for i in range(0, n, 1000):
            r.rpush(key, *model[i:i + 1000])

    def used_memory():
        # Shards publish their memory figures from their cron (hz): let them catch up.
        time.sleep(0.3)
        return r.info("memory")["used_memory"]

    try:
        assert r.config_set("list-compress-depth", 0)
        m0 = used_memory()
        build("plain")
        m1 = used_memory()
        assert r.config_set("list-compress-depth", 1)
        build("packed")
        m2 = used_memory()
        plain = r.memory_usage("plain", samples=0)
        packed = r.memory_usage("packed", samples=0)
        assert packed * 3 <= plain, (packed, plain)
        assert (m2 - m1) * 3 <= m1 - m0, (m1 - m0, m2 - m1)
        assert r.object("encoding", "packed") == b"quicklist"

        key = "packed"
        assert r.llen(key) == n
        for start in (0, 1, 777, 20000, n - 300, -1000):
            assert r.lrange(key, start, start + 250) == [v.encode() for v in model[start:][:251]]
        for idx in [0, 1, 499, 500, n // 2, n - 1, -1, -2, -n, n, -n - 1] + \
                [rnd.randrange(-n, n) for _ in range(200)]:
            want = model[idx].encode() if -n <= idx < n else None
            assert r.lindex(key, idx) == want, idx
        for value in ("marker", model[12345], model[n - 2], "absent"):
            for rank, count, maxlen in ((1, None, 0), (3, None, 0), (-2, None, 0), (1, 0, 0),
                                        (-1, 5, 0), (2, 10, 20000), (-1, 0, 1000)):
                kw = {"rank": rank, "maxlen": maxlen or None}
                if count is not None:
                    kw["count"] = count
                assert r.lpos(key, value, **kw) == _lpos(model, value, rank, count, maxlen), \
                    (value, rank, count, maxlen)

        # Writes in the middle: each decompresses a node and compresses it again.
        for _ in range(50):
            idx = rnd.randrange(n)
            v = "set:%d:status=ok;retries=0;region=eu-west;" % idx
            assert r.lset(key, idx, v)
            model[idx] = v
        for _ in range(50):
            pivot = model[rnd.randrange(len(model))]
            where = rnd.choice(["BEFORE", "AFTER"])
            v = "ins:%s:%s" % (where, pivot)
            assert r.linsert(key, where, pivot, v) == len(model) + 1
            i = model.index(pivot)
            model.insert(i + 1 if where == "AFTER" else i, v)
        assert r.linsert(key, "BEFORE", "absent", "x") == -1
        for count in (3, -3, 0):
            assert r.lrem(key, count, "marker") == min(abs(count) or 100, model.count("marker"))
            hits = [i for i, v in enumerate(model) if v == "marker"]
            if count > 0:
                hits = hits[:count]
            elif count < 0:
                hits = hits[count:]
            for i in reversed(hits):
                del model[i]
        assert r.lrem(key, 0, model[30000]) == 1
        model.remove(model[30000])

        assert r.lrange(key, 0, -1) == [v.encode() for v in model]
        assert r.lpos(key, model[-7]) == len(model) - 7
        assert r.memory_usage(key, samples=0) * 3 <= plain
    finally:
        r.config_set("list-compress-depth", 0)
