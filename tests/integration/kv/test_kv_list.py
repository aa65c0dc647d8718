"""Lists: a timeline fan-out (LPUSH + LTRIM, paged LRANGE from several clients) and LMOVE
between lists on different shards under concurrent movers, with redis-py; reply shapes in
RESP2 and RESP3."""

import random
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
