"""Sorted sets through redis-py: a leaderboard (top N, rank, "around me", concurrent score
updates from many clients), ZUNIONSTORE across shards, encodings and reply types."""

import redis

from kv_harness import HOST, run_threads
from kv_resp import RespError


def client(server, **kw):
    return redis.Redis(host=HOST, port=server.port, **kw)




def test_leaderboard_top_rank_and_around_me(server):
    r = client(server)
    players = {"player:%d" % i: (i * 37) % 1000 for i in range(500)}
    r.zadd("board", players)
    assert r.zcard("board") == 500
    assert r.object("encoding", "board") == b"skiplist"
    ordered = sorted(players.items(), key=lambda kv: (-kv[1], kv[0]))
    # Members with equal scores come in reverse member order in ZREVRANGE, as in Redis.
    expect = sorted(players.items(), key=lambda kv: (kv[1], kv[0]))[::-1]
    top = r.zrevrange("board", 0, 9, withscores=True)
    assert [(m.decode(), int(s)) for m, s in top] == [(m, s) for m, s in expect[:10]]
    assert len(ordered) == 500
    me = "player:123"
    rank = r.zrevrank("board", me)
    assert rank == [m for m, _ in expect].index(me)
    around = r.zrevrange("board", max(rank - 5, 0), rank + 5, withscores=True)
    assert [m.decode() for m, _ in around] == [m for m, _ in expect[max(rank - 5, 0):rank + 6]]
    assert me.encode() in [m for m, _ in around]
    assert r.zscore("board", me) == float(players[me])
    assert r.zrank("board", "nobody") is None
    # Score windows.
    assert r.zcount("board", 100, "(200") == sum(1 for s in players.values() if 100 <= s < 200)
    window = r.zrangebyscore("board", "(990", "+inf", withscores=True)
    assert [s for _, s in window] == sorted(s for s in players.values() if s > 990)


def test_concurrent_zincrby_sums(server):
    nthreads, rounds = 20, 200
    members = ["p%d" % i for i in range(10)]

    def worker(t):
        def run():
            r = client(server)
            for i in range(rounds):
                r.zincrby("scores", t + 1, members[(t + i) % len(members)])
        return run

    run_threads([worker(t) for t in range(nthreads)])
    r = client(server)
    expect = {m: 0 for m in members}
    for t in range(nthreads):
        for i in range(rounds):
            expect[members[(t + i) % len(members)]] += t + 1
    got = {m.decode(): s for m, s in r.zrange("scores", 0, -1, withscores=True)}
    assert got == {m: float(v) for m, v in expect.items()}


def test_zunionstore_across_shards(server):
    r = client(server)
    keys = ["week:%d" % i for i in range(8)]  # spread over the shards
    for i, k in enumerate(keys):
        r.zadd(k, {"u%d" % j: i + j for j in range(i, i + 50)})
    assert r.zunionstore("total", keys) == 57
    total = dict(r.zrange("total", 0, -1, withscores=True))
    for j in range(57):
        weeks = [i for i in range(8) if i <= j < i + 50]
        assert total[("u%d" % j).encode()] == float(sum(i + j for i in weeks))
    assert r.zinterstore("every", keys, aggregate="MAX") == 43
    assert r.zscore("every", "u7") == 14.0
    assert r.zdiffstore("first_only", keys[:2]) == 1
    assert r.zrangestore("slice", "total", 0, 4) == 5
    assert r.zrange("slice", 0, -1) == [b"u0", b"u1", b"u2", b"u3", b"u4"]
    assert r.zunion(keys[:2], withscores=True)[:2] == [(b"u0", 0.0), (b"u1", 3.0)]
    assert r.zintercard(2, keys[:2]) == 49
    assert r.zintercard(8, keys, limit=10) == 10
    # ZMPOP takes the first non-empty key, wherever it lives.
    popped = r.zmpop(3, ["missing:a", "missing:b", keys[3]], min=True, count=2)
    assert popped == [keys[3].encode(), [[b"u3", b"6"], [b"u4", b"7"]]]
    r.set("str", "x")
    try:
        r.zunionstore("bad", keys + ["str"])
        assert False, "expected WRONGTYPE"
    except redis.ResponseError as e:
        assert str(e).startswith("WRONGTYPE")


def test_encodings_and_thresholds(c):
    c.call("ZADD", "z", *[x for i in range(128) for x in (str(i), "m%d" % i)])
    assert c.call("OBJECT", "ENCODING", "z") == b"listpack"
    c.call("ZADD", "z", "1", "extra")
    assert c.call("OBJECT", "ENCODING", "z") == b"skiplist"
    c.call("ZADD", "long", "1", "x" * 65)
    assert c.call("OBJECT", "ENCODING", "long") == b"skiplist"
    assert c.call("ZUNIONSTORE", "small", "1", "long") == 1
    assert c.call("OBJECT", "ENCODING", "small") == b"skiplist"
    assert c.call("ZRANGESTORE", "small", "z", "0", "9") == 10
    assert c.call("OBJECT", "ENCODING", "small") == b"listpack"
    assert c.call("ZREMRANGEBYRANK", "z", "0", "-1") == 129
    assert c.call("EXISTS", "z") == 0


def test_reply_types_and_errors(c, proto):
    c.call("ZADD", "z", "0.1", "a", "inf", "b", "-2", "c")
    if proto == 2:
        assert c.call_raw("ZSCORE", "z", "a") == b"$19\r\n0.10000000000000001\r\n"
        assert c.call_raw("ZSCORE", "z", "b") == b"$3\r\ninf\r\n"
    else:
        assert c.call_raw("ZSCORE", "z", "a") == b",0.10000000000000001\r\n"
        assert c.call_raw("ZSCORE", "z", "b") == b",inf\r\n"
        assert c.call_raw("ZRANGE", "z", "0", "0", "WITHSCORES") == b"*1\r\n*2\r\n$1\r\nc\r\n,-2\r\n"
    assert c.call("ZADD", "z", "NX", "XX", "1", "a") == \
        RespError("ERR XX and NX options at the same time are not compatible")
    assert c.call("ZADD", "z", "GT", "LT", "1", "a") == \
        RespError("ERR GT, LT, and/or NX options at the same time are not compatible")
    assert c.call("ZADD", "z", "INCR", "1", "a", "2", "b") == \
        RespError("ERR INCR option supports a single increment-element pair")
    assert c.call("ZINCRBY", "z", "-inf", "b") == \
        RespError("ERR resulting score is not a number (NaN)")
    assert c.call("ZRANGEBYSCORE", "z", "x", "1") == RespError("ERR min or max is not a float")
    assert c.call("ZRANGEBYLEX", "z", "a", "+") == \
        RespError("ERR min or max not valid string range item")
    c.call("SET", "s", "v")
    assert c.call("ZADD", "s", "1", "a") == \
        RespError("WRONGTYPE Operation against a key holding the wrong kind of value")


def test_geo_nearby_search(server):
    r = client(server)
    assert r.geoadd("places", [13.361389, 38.115556, "Palermo",
                               15.087269, 37.502669, "Catania",
                               12.496366, 41.902782, "Rome"]) == 3
    assert r.geodist("places", "Palermo", "Catania", unit="km") == 166.2742
    assert r.geohash("places", "Palermo", "nope") == ["sqc8b49rny0", None]
    lon, lat = r.geopos("places", "Palermo")[0]
    assert abs(lon - 13.361389) < 1e-5 and abs(lat - 38.115556) < 1e-5
    near = r.geosearch("places", longitude=15, latitude=37, radius=200, unit="km",
                       withdist=True, sort="ASC")
    assert near == [[b"Catania", 56.4413], [b"Palermo", 190.4424]]
    assert r.geosearch("places", member="Rome", radius=100, unit="km") == [b"Rome"]
    # Stored results land on the destination's shard.
    for dst in ["near:%d" % i for i in range(8)]:
        assert r.geosearchstore(dst, "places", longitude=15, latitude=37, radius=200,
                                unit="km", storedist=True) == 2
        assert [m for m, _ in r.zrange(dst, 0, -1, withscores=True)] == [b"Catania", b"Palermo"]
    assert r.georadius("places", 15, 37, 200, unit="km", store="copy:x") == 2
    assert r.zcard("copy:x") == 2
