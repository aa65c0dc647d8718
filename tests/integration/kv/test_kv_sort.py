"""SORT: a list of ids sorted by weights kept in per-object hashes (BY obj_*->weight, GET
obj_*->name, GET #), whose keys spread over the shards; STORE read back with LRANGE; stores that
stay consistent while the source grows; reply shapes in RESP2 and RESP3; with redis-py."""

import random
import threading

import pytest
import redis

from kv_resp import RespError


def client(server):
    return redis.Redis(host="127.0.0.1", port=server.port, socket_timeout=30)


def load_objects(r, n, seed=7):
    rnd = random.Random(seed)
    weights = rnd.sample(range(-5000, 5000), n)  # distinct: the order is fully determined
    objs = {}
    p = r.pipeline(transaction=False)
    for i in range(n):
        oid = str(1000 + i)
        objs[oid] = (weights[i], "name-%d" % i)
        p.hset("obj_" + oid, mapping={"weight": weights[i], "name": "name-%d" % i})
        p.rpush("ids", oid)
    p.execute()
    return objs


def test_sort_by_hash_weights(server):
    r = client(server)
    objs = load_objects(r, 300)
    by_weight = sorted(objs, key=lambda oid: objs[oid][0])

    got = r.sort("ids", by="obj_*->weight", get=["obj_*->name", "#"])
    want = []
    for oid in by_weight:
        want += [objs[oid][1].encode(), oid.encode()]
    assert got == want

    # DESC with a LIMIT window: the window of the descending order.
    got = r.sort("ids", by="obj_*->weight", get=["#"], desc=True, start=10, num=25)
    assert got == [oid.encode() for oid in list(reversed(by_weight))[10:35]]

    # ALPHA on the names; a field that no hash has gives nulls.
    got = r.sort("ids", by="obj_*->name", alpha=True, get=["obj_*->nofield", "#"], start=0, num=3)
    names = sorted(objs, key=lambda oid: objs[oid][1])
    assert got == [None, names[0].encode(), None, names[1].encode(), None, names[2].encode()]

    # STORE then LRANGE: the same elements as a list; a missing value is stored empty.
    n = r.sort("ids", by="obj_*->weight", get=["obj_*->name", "obj_*->nofield"], store="sorted")
    assert n == 600
    stored = r.lrange("sorted", 0, -1)
    assert stored[0::2] == [objs[oid][1].encode() for oid in by_weight]
    assert stored[1::2] == [b""] * 300
    assert r.type("sorted") == b"list"

    # SORT_RO gives what SORT gives, and refuses STORE.
    assert r.sort_ro("ids", by="obj_*->weight", get=["#"]) == [o.encode() for o in by_weight]
    with pytest.raises(redis.ResponseError, match="syntax error"):
        r.execute_command("SORT_RO", "ids", "STORE", "x")

    # BY nosort keeps the list's order; an empty result deletes the destination.
    assert r.sort("ids", by="nosort", start=5, num=3) == [b"1005", b"1006", b"1007"]
    assert r.sort("ids", start=1000, num=5, store="sorted") == 0
    assert r.exists("sorted") == 0


def test_sort_numbers_and_errors(server):
    r = client(server)
    r.rpush("l", "3", "-1.5", "10", "2", "0x10", "1e2")
    assert r.sort("l") == [b"-1.5", b"2", b"3", b"10", b"0x10", b"1e2"]
    assert r.sort("l", desc=True, start=0, num=2) == [b"1e2", b"0x10"]
    assert r.sort("l", alpha=True) == [b"-1.5", b"0x10", b"10", b"1e2", b"2", b"3"]
    r.rpush("l", "abc")
    with pytest.raises(redis.ResponseError, match="scores can't be converted into double"):
        r.sort("l")
    r.set("s", "x")
    with pytest.raises(redis.ResponseError, match="WRONGTYPE"):
        r.sort("s")
    with pytest.raises(redis.ResponseError, match="not an integer"):
        r.execute_command("SORT", "l", "LIMIT", "x", "1")
    # Sorted sets and sets.
    r.zadd("z", {"b": 1, "a": 2, "c": 3})
    assert r.sort("z", by="nosort") == [b"b", b"a", b"c"]
    assert r.sort("z", alpha=True) == [b"a", b"b", b"c"]
    r.sadd("set", 5, 3, 40)
    assert r.sort("set") == [b"3", b"5", b"40"]
    assert r.sort("set", by="nosort", store="dst") == 3
    assert r.lrange("dst", 0, -1) == [b"3", b"40", b"5"]  # stored: sorted ALPHA


def test_sort_reply_shapes(c, proto):
    c.call("RPUSH", "ids", "1", "2")
    c.call("MSET", "w_1", "20", "w_2", "10", "v_2", "two")
    null = b"_\r\n" if proto == 3 else b"$-1\r\n"
    assert c.call_raw("SORT", "ids", "BY", "w_*", "GET", "v_*", "GET", "#") == (
        b"*4\r\n$3\r\ntwo\r\n$1\r\n2\r\n" + null + b"$1\r\n1\r\n")
    assert c.call_raw("SORT", "nokey") == b"*0\r\n"
    assert c.call_raw("SORT", "nokey", "STORE", "dst") == b":0\r\n"
    assert c.call_raw("SORT", "ids", "STORE", "dst") == b":2\r\n"
    assert isinstance(c.call("SORT", "ids", "LIMIT", "1"), RespError)


def test_store_consistent_while_source_grows(server):
    """Writers append increasing ids while sorters STORE the sorted list (each into its own
    destination): every stored list is exactly the sorted ids present at one moment."""
    total = 3000
    done = threading.Event()
    errors = []

    def writer():
        r = client(server)
        try:
            for i in range(total):
                r.rpush("src", str(total - i))  # descending pushes: the sort has work to do
        finally:
            done.set()

    def sorter(n):
        r = client(server)
        dst = "dst:%d" % n
        try:
            while not done.is_set():
                count = r.sort("src", store=dst)
                got = [int(x) for x in r.lrange(dst, 0, -1)]
                assert len(got) == count
                assert got == list(range(total - count + 1, total + 1))
        except Exception as e:
            errors.append(e)

    threads = [threading.Thread(target=writer)] + [threading.Thread(target=sorter, args=(n,))
                                                   for n in range(3)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(120)
    assert not any(t.is_alive() for t in threads)
    if errors:
        raise errors[0]
    assert client(server).sort("src", store="dst:final") == total
