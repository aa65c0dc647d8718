"""Keyspace notifications (notify-keyspace-events): the exact events, classes and order Redis
7.0 publishes for every command family, the new/keymiss/expired/evicted classes, channel formats
(keyspace and keyevent, binary keys, databases) and the config parameter itself.

A subscriber PSUBSCRIBEs to __key*@*__:* and each step of a workload checks the messages it
caused. With one shard (and against Redis) the order is exact. With several shards, the events
of one key keep their order but a command touching keys on several shards publishes each key's
events from that key's shard, so only each key's own sequence (and the whole multiset) is
compared.
"""

import collections
import socket
import threading
import time

import pytest

from kv_harness import info, wait_until
from kv_resp import RespError, encode

PATTERN = b"__key*@*__:*"


class Subscriber:
    def __init__(self, server, pattern=PATTERN):
        self.conn = server.conn(timeout=10)
        self.conn.send_raw(encode("PSUBSCRIBE", pattern))
        assert self.conn.read() == [b"psubscribe", pattern, 1]

    def next(self, timeout):
        """The next (channel, message), or None if none arrives within timeout."""
        c = self.conn
        c.sock.settimeout(max(timeout, 0.001))
        start = c.pos
        try:
            m = c.read()
        except socket.timeout:
            c.pos = start
            return None
        finally:
            c.sock.settimeout(c.timeout)
        assert isinstance(m, list) and m[0] == b"pmessage", m
        return (bytes(m[2]), bytes(m[3]))

    def take(self, n, timeout=5.0):
        got = []
        deadline = time.monotonic() + timeout
        while len(got) < n:
            m = self.next(deadline - time.monotonic())
            if m is None:
                break
            got.append(m)
        return got

    def quiet(self, wait=0.3):
        """Whatever else arrives within `wait` (should be nothing)."""
        extra = []
        while True:
            m = self.next(wait)
            if m is None:
                return extra
            extra.append(m)

    def close(self):
        self.conn.close()


def b(x):
    return x if isinstance(x, bytes) else str(x).encode()


def expand(events, flags):
    """(event, key[, db]) tuples -> the (channel, message) pairs Redis publishes, in order."""
    out = []
    for ev in events:
        event, key = b(ev[0]), b(ev[1])
        db = ev[2] if len(ev) > 2 else 0
        if "K" in flags:
            out.append((b"__keyspace@%d__:" % db + key, event))
        if "E" in flags:
            out.append((b"__keyevent@%d__:" % db + event, key))
    return out


def key_of(msg):
    channel, message = msg
    prefix, rest = channel.split(b"__:", 1)
    db = prefix.split(b"@", 1)[1]
    return (db, rest if prefix.startswith(b"__keyspace") else message)


def exact_order(server):
    return server.redis or server.threads == 1


def check(server, got, want, what):
    if exact_order(server):
        assert got == want, what
        return
    assert collections.Counter(got) == collections.Counter(want), what
    keys = {key_of(m) for m in want}
    for k in keys:
        assert [m for m in got if key_of(m) == k] == [m for m in want if key_of(m) == k], \
            (what, k)


def run_steps(server, c, sub, flags, steps):
    for args, events in steps:
        reply = c.call(*args)
        assert not isinstance(reply, RespError), (args, reply)
        want = expand(events, flags)
        got = sub.take(len(want))
        got += sub.quiet(0.01)  # anything more that came with them
        check(server, got, want, args)
    assert sub.quiet() == []


@pytest.fixture
def notify(server):
    """(conn, subscriber factory); notify-keyspace-events is reset afterwards."""
    c = server.conn()
    subs = []

    def subscribe(flags):
        assert c.call("CONFIG", "SET", "notify-keyspace-events", flags) == "OK"
        s = Subscriber(server)
        subs.append(s)
        return s

    yield c, subscribe
    for s in subs:
        s.close()
    c.call("CONFIG", "SET", "notify-keyspace-events", "")
    c.close()


# ---------------------------------------------------------------- the config parameter

def test_config_round_trip_and_errors(server):
    with server.conn() as c:
        assert c.call("CONFIG", "GET", "notify-keyspace-events") == [b"notify-keyspace-events", b""]
        for value, shown in [("KEA", b"AKE"), ("Ex", b"xE"), ("Kgxm$n", b"g$xnKm"),
                             ("g$lshzxetdKE", b"AKE"), ("AEKmn", b"AKEm"), ("lz", b"lz"),
                             ("t", b"t"), ("e", b"e"), ("d", b"d"), ("", b"")]:
            assert c.call("CONFIG", "SET", "notify-keyspace-events", value) == "OK"
            assert c.call("CONFIG", "GET", "notify-keyspace-events") == \
                [b"notify-keyspace-events", shown], value
        for bad in ["Q", "KEAq", "k", "a", " "]:
            r = c.call("CONFIG", "SET", "notify-keyspace-events", bad)
            assert r == RespError(
                "ERR CONFIG SET failed (possibly related to argument 'notify-keyspace-events') - "
                "Invalid event class character. Use 'Ag$lshzxeKEtmdn'."), bad
        assert c.call("CONFIG", "GET", "notify-keyspace-events") == [b"notify-keyspace-events", b""]
        assert c.call("CONFIG", "GET", "notify-*")[0] == b"notify-keyspace-events"


def test_config_at_startup(start_server):
    s = start_server(["--notify-keyspace-events", "Elg"])
    with s.conn() as c:
        assert c.call("CONFIG", "GET", "notify-keyspace-events") == [b"notify-keyspace-events",
                                                                      b"glE"]


# ---------------------------------------------------------------- every command family

def string_steps():
    future = int(time.time()) + 100000
    return [
        (["SET", "s1", "v"], [("set", "s1")]),
        (["SET", "s1", "v", "EX", "100"], [("set", "s1"), ("expire", "s1")]),
        (["SET", "s1", "v2", "KEEPTTL"], [("set", "s1")]),
        (["SET", "s1", "v", "NX"], []),
        (["SET", "s2", "v", "XX"], []),
        (["SET", "s1", "v3", "GET"], [("set", "s1")]),
        (["SET", "s1", "v4", "PXAT", str(future * 1000)], [("set", "s1"), ("expire", "s1")]),
        (["SETNX", "s1", "x"], []),
        (["SETNX", "s2", "x"], [("set", "s2")]),
        (["SETEX", "s3", "100", "v"], [("set", "s3"), ("expire", "s3")]),
        (["PSETEX", "s3", "100000", "v"], [("set", "s3"), ("expire", "s3")]),
        (["GETSET", "s3", "w"], [("set", "s3")]),
        (["GETEX", "s3", "EX", "100"], [("expire", "s3")]),
        (["GETEX", "s3", "PERSIST"], [("persist", "s3")]),
        (["GETEX", "s3", "PERSIST"], []),
        (["GETEX", "s3"], []),
        (["GETEX", "s3", "PXAT", "1"], [("del", "s3")]),
        (["GETEX", "s3", "EX", "10"], []),
        (["GETEX", "nokey", "PERSIST"], []),
        (["GETDEL", "s2"], [("del", "s2")]),
        (["GETDEL", "s2"], []),
        (["GET", "s1"], []),
        (["INCR", "n"], [("incrby", "n")]),
        (["DECR", "n"], [("incrby", "n")]),
        (["INCRBY", "n", "5"], [("incrby", "n")]),
        (["DECRBY", "n", "2"], [("incrby", "n")]),
        (["INCRBYFLOAT", "f", "1.5"], [("incrbyfloat", "f")]),
        (["APPEND", "a", "x"], [("append", "a")]),
        (["APPEND", "a", "y"], [("append", "a")]),
        (["SETRANGE", "r", "2", "ab"], [("setrange", "r")]),
        (["SETRANGE", "r", "0", ""], []),
        (["SETRANGE", "nr", "3", ""], []),
        (["SETRANGE", "r", "1", "c"], [("setrange", "r")]),
        (["MSET", "m1", "a", "m2", "b"], [("set", "m1"), ("set", "m2")]),
        (["MSETNX", "m1", "a", "m3", "c"], []),
        (["MSETNX", "m3", "c", "m4", "d"], [("set", "m3"), ("set", "m4")]),
        (["STRLEN", "a"], []),
        (["GETRANGE", "a", "0", "1"], []),
        (["MGET", "a", "nokey"], []),
        (["LCS", "a", "r"], []),
    ]


def bit_steps():
    return [
        (["SETBIT", "bt", "7", "1"], [("setbit", "bt")]),
        (["SETBIT", "bt", "7", "1"], []),
        (["SETBIT", "bt", "6", "0"], []),
        (["SETBIT", "bt", "100", "0"], [("setbit", "bt")]),
        (["SETBIT", "bt", "7", "0"], [("setbit", "bt")]),
        (["BITFIELD", "bf", "SET", "u8", "0", "255", "GET", "u8", "0"], [("setbit", "bf")]),
        (["BITFIELD", "bf", "GET", "u8", "0"], []),
        (["BITFIELD", "bf", "OVERFLOW", "FAIL", "INCRBY", "u8", "0", "10"], []),
        (["BITFIELD", "bf", "INCRBY", "u8", "0", "10", "SET", "u4", "0", "1"],
         [("setbit", "bf")]),
        (["BITFIELD_RO", "bf", "GET", "u8", "0"], []),
        (["BITFIELD", "bnew", "OVERFLOW", "FAIL", "INCRBY", "u2", "0", "7"], []),
        (["EXISTS", "bnew"], []),
        (["BITCOUNT", "bf"], []),
        (["BITPOS", "bf", "1"], []),
        (["BITOP", "AND", "bd", "bt", "bf"], [("set", "bd")]),
        (["BITOP", "NOT", "bd", "bf"], [("set", "bd")]),
        (["BITOP", "OR", "bd", "nob1", "nob2"], [("del", "bd")]),
        (["BITOP", "OR", "bd", "nob1", "nob2"], []),
        (["PFADD", "hl", "a", "b", "c"], [("pfadd", "hl")]),
        (["PFADD", "hl", "a"], []),
        (["PFADD", "hl2"], [("pfadd", "hl2")]),
        (["PFADD", "hl2"], []),
        (["PFCOUNT", "hl"], []),
        (["PFCOUNT", "hl", "hl2"], []),
        (["PFMERGE", "hl3", "hl", "hl2"], [("pfadd", "hl3")]),
        (["PFMERGE", "hl3"], [("pfadd", "hl3")]),
    ]


def generic_steps():
    future = int(time.time()) + 100000
    return [
        (["MSET", "g1", "1", "g2", "2", "g3", "3", "g4", "4", "g5", "5"],
         [("set", "g1"), ("set", "g2"), ("set", "g3"), ("set", "g4"), ("set", "g5")]),
        (["DEL", "g1", "nokey"], [("del", "g1")]),
        (["DEL", "g1"], []),
        (["UNLINK", "g2"], [("del", "g2")]),
        (["EXPIRE", "g3", "100"], [("expire", "g3")]),
        (["PEXPIRE", "g3", "100000"], [("expire", "g3")]),
        (["EXPIREAT", "g3", str(future)], [("expire", "g3")]),
        (["PEXPIREAT", "g3", str(future * 1000)], [("expire", "g3")]),
        (["EXPIRE", "g3", "200", "NX"], []),
        (["EXPIRE", "g3", "200", "GT"], []),
        (["EXPIRE", "nokey", "100"], []),
        (["PERSIST", "g3"], [("persist", "g3")]),
        (["PERSIST", "g3"], []),
        (["PERSIST", "nokey"], []),
        (["EXPIRE", "g3", "100", "NX"], [("expire", "g3")]),
        (["EXPIRE", "g4", "-1"], [("del", "g4")]),
        (["PEXPIREAT", "g5", "1"], [("del", "g5")]),
        (["TTL", "g3"], []),
        (["EXISTS", "g3", "g4"], []),
        (["TYPE", "g3"], []),
        (["TOUCH", "g3"], []),
        (["RENAME", "g3", "g6"], [("rename_from", "g3"), ("rename_to", "g6")]),
        (["SET", "g7", "x"], [("set", "g7")]),
        (["RENAMENX", "g6", "g7"], []),
        (["RENAMENX", "g6", "g8"], [("rename_from", "g6"), ("rename_to", "g8")]),
        (["RENAME", "g8", "g7"], [("rename_from", "g8"), ("rename_to", "g7")]),
        (["RENAME", "g7", "g7"], []),
        (["COPY", "g7", "g9"], [("copy_to", "g9")]),
        (["COPY", "g7", "g9"], []),
        (["COPY", "g7", "g9", "REPLACE"], [("copy_to", "g9")]),
        (["COPY", "g7", "g9", "DB", "1"], [("copy_to", "g9", 1)]),
        (["COPY", "nokey", "g10"], []),
        (["MOVE", "g9", "2"], [("move_from", "g9"), ("move_to", "g9", 2)]),
        (["MOVE", "g9", "2"], []),
        (["MOVE", "g7", "1"], [("move_from", "g7"), ("move_to", "g7", 1)]),
        (["MOVE", "g7", "1"], []),
        (["RANDOMKEY"], []),
        (["SCAN", "0"], []),
        (["KEYS", "*"], []),
        (["DBSIZE"], []),
        (["FLUSHDB"], []),
        (["SWAPDB", "0", "1"], []),
        (["FLUSHALL"], []),
    ]


def hash_steps():
    return [
        (["HSET", "hh", "f1", "v1", "f2", "v2"], [("hset", "hh")]),
        (["HSET", "hh", "f1", "v1"], [("hset", "hh")]),
        (["HSETNX", "hh", "f1", "x"], []),
        (["HSETNX", "hh", "f3", "x"], [("hset", "hh")]),
        (["HMSET", "hh", "f4", "v"], [("hset", "hh")]),
        (["HINCRBY", "hh", "c", "1"], [("hincrby", "hh")]),
        (["HINCRBYFLOAT", "hh", "d", "1.5"], [("hincrbyfloat", "hh")]),
        (["HGET", "hh", "f1"], []),
        (["HGETALL", "hh"], []),
        (["HDEL", "hh", "nope"], []),
        (["HDEL", "hh", "f1", "f2"], [("hdel", "hh")]),
        (["HDEL", "hh", "f3", "f4", "c", "d", "nope"], [("hdel", "hh"), ("del", "hh")]),
        (["HDEL", "hh", "f3"], []),
        (["HINCRBY", "hh2", "c", "-1"], [("hincrby", "hh2")]),
    ]


def list_steps():
    return [
        (["LPUSH", "l", "a", "b"], [("lpush", "l")]),
        (["RPUSH", "l", "c"], [("rpush", "l")]),
        (["LPUSHX", "nol", "a"], []),
        (["RPUSHX", "l", "d"], [("rpush", "l")]),
        (["LPUSHX", "l", "e"], [("lpush", "l")]),
        (["LPOP", "l"], [("lpop", "l")]),
        (["LSET", "l", "0", "z"], [("lset", "l")]),
        (["LINSERT", "l", "BEFORE", "z", "y"], [("linsert", "l")]),
        (["LINSERT", "l", "BEFORE", "nope", "y"], []),
        (["LREM", "l", "0", "nope"], []),
        (["LREM", "l", "1", "y"], [("lrem", "l")]),
        (["LRANGE", "l", "0", "-1"], []),
        (["LPOP", "l"], [("lpop", "l")]),
        (["RPOP", "l", "2"], [("rpop", "l")]),
        (["LPOP", "l", "0"], []),
        (["LTRIM", "l", "0", "-1"], [("ltrim", "l")]),
        (["RPUSH", "l", "b", "c"], [("rpush", "l")]),
        (["LMOVE", "l", "l2", "LEFT", "RIGHT"], [("rpush", "l2"), ("lpop", "l")]),
        (["RPOPLPUSH", "l", "l2"], [("lpush", "l2"), ("rpop", "l")]),
        (["LMOVE", "l", "l2", "LEFT", "LEFT"], [("lpush", "l2"), ("lpop", "l"), ("del", "l")]),
        (["LMOVE", "l", "l2", "LEFT", "LEFT"], []),
        (["LMOVE", "l2", "l2", "LEFT", "RIGHT"], [("rpush", "l2"), ("lpop", "l2")]),
        (["LTRIM", "l2", "5", "10"], [("ltrim", "l2"), ("del", "l2")]),
        (["RPUSH", "l3", "a", "b", "c"], [("rpush", "l3")]),
        (["LMPOP", "2", "nol", "l3", "LEFT", "COUNT", "2"], [("lpop", "l3")]),
        (["LMPOP", "1", "l3", "RIGHT", "COUNT", "5"], [("rpop", "l3"), ("del", "l3")]),
        (["LMPOP", "1", "l3", "RIGHT"], []),
        (["RPUSH", "l4", "a"], [("rpush", "l4")]),
        (["BLPOP", "nol", "l4", "1"], [("lpop", "l4"), ("del", "l4")]),
        (["RPUSH", "l4", "a", "b"], [("rpush", "l4")]),
        (["BRPOP", "l4", "1"], [("rpop", "l4")]),
        (["BLMPOP", "1", "1", "l4", "LEFT"], [("lpop", "l4"), ("del", "l4")]),
        (["RPUSH", "l4", "a"], [("rpush", "l4")]),
        (["BLMOVE", "l4", "l5", "RIGHT", "LEFT", "1"],
         [("lpush", "l5"), ("rpop", "l4"), ("del", "l4")]),
        (["BRPOPLPUSH", "l5", "l4", "1"], [("lpush", "l4"), ("rpop", "l5"), ("del", "l5")]),
        (["RPUSH", "l6", "a", "a"], [("rpush", "l6")]),
        (["LREM", "l6", "0", "a"], [("lrem", "l6"), ("del", "l6")]),
    ]


def set_steps():
    return [
        (["SADD", "st", "a", "b"], [("sadd", "st")]),
        (["SADD", "st", "a"], []),
        (["SREM", "st", "nope"], []),
        (["SREM", "st", "a"], [("srem", "st")]),
        (["SMOVE", "st", "st2", "nope"], []),
        (["SMOVE", "st", "st2", "b"], [("srem", "st"), ("del", "st"), ("sadd", "st2")]),
        (["SMOVE", "st2", "st2", "b"], []),
        (["SADD", "st3", "b", "c"], [("sadd", "st3")]),
        (["SMOVE", "st3", "st2", "b"], [("srem", "st3")]),
        (["SADD", "st4", "x", "y", "z"], [("sadd", "st4")]),
        (["SPOP", "st4"], [("spop", "st4")]),
        (["SPOP", "st4", "0"], []),
        (["SPOP", "st4", "5"], [("spop", "st4"), ("del", "st4")]),
        (["SPOP", "st4"], []),
        (["SADD", "st5", "x", "y", "z"], [("sadd", "st5")]),
        (["SPOP", "st5", "1"], [("spop", "st5")]),
        (["SREM", "st5", "x", "y", "z"], [("srem", "st5"), ("del", "st5")]),
        (["SADD", "sa", "1", "2", "3"], [("sadd", "sa")]),
        (["SADD", "sb", "2", "3", "4"], [("sadd", "sb")]),
        (["SINTERSTORE", "sc", "sa", "sb"], [("sinterstore", "sc")]),
        (["SUNIONSTORE", "sc", "sa", "sb"], [("sunionstore", "sc")]),
        (["SDIFFSTORE", "sc", "sa", "sb"], [("sdiffstore", "sc")]),
        (["SDIFFSTORE", "sc", "sa", "sa"], [("del", "sc")]),
        (["SDIFFSTORE", "sc", "sa", "sa"], []),
        (["SINTERSTORE", "sc", "sa", "nos"], []),
        (["SET", "sc", "string"], [("set", "sc")]),
        (["SINTERSTORE", "sc", "sa", "nos"], [("del", "sc")]),
        (["SINTER", "sa", "sb"], []),
        (["SINTERCARD", "2", "sa", "sb"], []),
        (["SMEMBERS", "sa"], []),
    ]


def zset_steps():
    return [
        (["ZADD", "z", "1", "a", "2", "b"], [("zadd", "z")]),
        (["ZADD", "z", "1", "a"], []),
        (["ZADD", "z", "XX", "5", "c"], []),
        (["ZADD", "z", "GT", "0", "a"], []),
        (["ZADD", "z", "CH", "3", "a"], [("zadd", "z")]),
        (["ZINCRBY", "z", "1", "a"], [("zincr", "z")]),
        (["ZINCRBY", "z", "0", "a"], []),
        (["ZADD", "z", "INCR", "1", "a"], [("zincr", "z")]),
        (["ZADD", "z", "NX", "INCR", "1", "a"], []),
        (["ZREM", "z", "nope"], []),
        (["ZREM", "z", "a"], [("zrem", "z")]),
        (["ZADD", "z", "1", "x", "2", "y", "3", "w"], [("zadd", "z")]),
        (["ZREMRANGEBYSCORE", "z", "100", "200"], []),
        (["ZREMRANGEBYSCORE", "z", "1", "1"], [("zremrangebyscore", "z")]),
        (["ZREMRANGEBYRANK", "z", "0", "0"], [("zremrangebyrank", "z")]),
        (["ZREMRANGEBYRANK", "z", "10", "20"], []),
        (["ZADD", "zl", "0", "a", "0", "b", "0", "c"], [("zadd", "zl")]),
        (["ZREMRANGEBYLEX", "zl", "[a", "[b"], [("zremrangebylex", "zl")]),
        (["ZREMRANGEBYLEX", "zl", "-", "+"], [("zremrangebylex", "zl"), ("del", "zl")]),
        (["ZPOPMIN", "z"], [("zpopmin", "z")]),
        (["ZPOPMIN", "z", "0"], []),
        (["ZPOPMAX", "z", "10"], [("zpopmax", "z"), ("del", "z")]),
        (["ZPOPMAX", "z"], []),
        (["ZADD", "za", "1", "a", "2", "b", "3", "c"], [("zadd", "za")]),
        (["ZADD", "zb", "1", "b", "3", "c"], [("zadd", "zb")]),
        (["ZUNIONSTORE", "zc", "2", "za", "zb"], [("zunionstore", "zc")]),
        (["ZINTERSTORE", "zc", "2", "za", "zb"], [("zinterstore", "zc")]),
        (["ZDIFFSTORE", "zc", "2", "za", "zb"], [("zdiffstore", "zc")]),
        (["ZDIFFSTORE", "zc", "2", "za", "za"], [("del", "zc")]),
        (["ZDIFFSTORE", "zc", "2", "za", "za"], []),
        (["ZRANGESTORE", "zd", "za", "0", "-1"], [("zrangestore", "zd")]),
        (["ZRANGESTORE", "zd", "za", "5", "10"], [("del", "zd")]),
        (["ZUNION", "2", "za", "zb"], []),
        (["ZRANGE", "za", "0", "-1"], []),
        (["ZMPOP", "2", "noz", "za", "MIN"], [("zpopmin", "za")]),
        (["ZMPOP", "1", "za", "MAX", "COUNT", "1"], [("zpopmax", "za")]),
        (["BZPOPMIN", "noz", "za", "1"], [("zpopmin", "za"), ("del", "za")]),
        (["BZPOPMAX", "zb", "1"], [("zpopmax", "zb")]),
        (["BZMPOP", "1", "1", "zb", "MIN", "COUNT", "3"], [("zpopmin", "zb"), ("del", "zb")]),
        (["GEOADD", "g", "13.361389", "38.115556", "Palermo", "15.087269", "37.502669",
          "Catania"], [("zadd", "g")]),
        (["GEOADD", "g", "NX", "13.361389", "38.115556", "Palermo"], []),
        (["GEOADD", "g", "XX", "CH", "13.361389", "38.2", "Palermo"], [("zadd", "g")]),
        (["GEOPOS", "g", "Palermo"], []),
        (["GEORADIUS", "g", "15", "37", "200", "km", "STORE", "gs"], [("georadiusstore", "gs")]),
        (["GEORADIUSBYMEMBER", "g", "Palermo", "500", "km", "STOREDIST", "gs"],
         [("georadiusstore", "gs")]),
        (["GEOSEARCHSTORE", "gs2", "g", "FROMLONLAT", "15", "37", "BYRADIUS", "200", "km"],
         [("geosearchstore", "gs2")]),
        (["GEOSEARCHSTORE", "gs2", "g", "FROMLONLAT", "0", "0", "BYRADIUS", "1", "km"],
         [("del", "gs2")]),
        (["GEORADIUS", "nog", "15", "37", "200", "km", "STORE", "gs"], [("del", "gs")]),
        (["GEOSEARCH", "g", "FROMLONLAT", "15", "37", "BYRADIUS", "200", "km"], []),
    ]


def stream_steps():
    return [
        (["XADD", "x", "1-1", "f", "v"], [("xadd", "x")]),
        (["XADD", "x", "MAXLEN", "1", "2-1", "f", "v"], [("xadd", "x"), ("xtrim", "x")]),
        (["XADD", "x", "MAXLEN", "5", "3-1", "f", "v"], [("xadd", "x")]),
        (["XADD", "nox", "NOMKSTREAM", "*", "f", "v"], []),
        (["XTRIM", "x", "MAXLEN", "10"], []),
        (["XTRIM", "x", "MAXLEN", "1"], [("xtrim", "x")]),
        (["XDEL", "x", "9-9"], []),
        (["XDEL", "x", "3-1"], [("xdel", "x")]),
        (["XSETID", "x", "10-0"], [("xsetid", "x")]),
        (["XGROUP", "CREATE", "x", "g", "0"], [("xgroup-create", "x")]),
        (["XGROUP", "CREATE", "xm", "g", "$", "MKSTREAM"], [("xgroup-create", "xm")]),
        (["XGROUP", "CREATE", "xm", "g2", "$", "MKSTREAM"], [("xgroup-create", "xm")]),
        (["XGROUP", "CREATECONSUMER", "x", "g", "c1"], [("xgroup-createconsumer", "x")]),
        (["XGROUP", "CREATECONSUMER", "x", "g", "c1"], []),
        (["XGROUP", "SETID", "x", "g", "0"], [("xgroup-setid", "x")]),
        (["XADD", "x", "11-0", "f", "v"], [("xadd", "x")]),
        (["XREADGROUP", "GROUP", "g", "c2", "COUNT", "1", "STREAMS", "x", ">"],
         [("xgroup-createconsumer", "x")]),
        (["XREADGROUP", "GROUP", "g", "c2", "COUNT", "1", "STREAMS", "x", ">"], []),
        (["XREADGROUP", "GROUP", "g", "c5", "STREAMS", "x", ">"], []),
        (["XREADGROUP", "GROUP", "g", "c2", "STREAMS", "x", "0"], []),
        (["XCLAIM", "x", "g", "c3", "0", "11-0"], [("xgroup-createconsumer", "x")]),
        (["XCLAIM", "x", "g", "c3", "0", "11-0"], []),
        (["XAUTOCLAIM", "x", "g", "c4", "0", "0"], [("xgroup-createconsumer", "x")]),
        (["XPENDING", "x", "g"], []),
        (["XACK", "x", "g", "11-0"], []),
        (["XGROUP", "DELCONSUMER", "x", "g", "c1"], [("xgroup-delconsumer", "x")]),
        (["XGROUP", "DELCONSUMER", "x", "g", "nope"], []),
        (["XGROUP", "DESTROY", "x", "g"], [("xgroup-destroy", "x")]),
        (["XGROUP", "DESTROY", "x", "g"], []),
        (["XRANGE", "x", "-", "+"], []),
        (["XREAD", "STREAMS", "x", "0"], []),
        (["XLEN", "x"], []),
        (["XINFO", "STREAM", "x"], []),
    ]


def sort_steps():
    return [
        (["RPUSH", "srt", "3", "1", "2"], [("rpush", "srt")]),
        (["SORT", "srt", "STORE", "srtd"], [("sortstore", "srtd")]),
        (["SORT", "srt", "STORE", "srtd"], [("sortstore", "srtd")]),
        (["SORT", "srt"], []),
        (["SORT_RO", "srt"], []),
        (["SORT", "nol", "STORE", "srtd"], [("del", "srtd")]),
        (["SORT", "nol", "STORE", "srtd"], []),
    ]


def tx_and_script_steps():
    return [
        (["EVAL", "redis.call('set', KEYS[1], 'v') return 1", "1", "sk0"], [("set", "sk0")]),
        # Keys it did not declare (on other shards with several): the events come once.
        (["EVAL", "redis.call('set', 'sk1', '1') redis.call('set', 'sk2', '2') "
          "redis.call('lpush', 'sk3', 'x') redis.call('del', 'sk1') return 1", "0"],
         [("set", "sk1"), ("set", "sk2"), ("lpush", "sk3"), ("del", "sk1")]),
        (["EVAL", "redis.call('incr', 'sk4') return redis.call('rename', 'sk4', 'sk5')", "1",
          "sk4"], [("incrby", "sk4"), ("rename_from", "sk4"), ("rename_to", "sk5")]),
        (["EVAL", "return redis.call('get', 'sk5')", "0"], []),
    ]


FAMILIES = {
    "strings": string_steps, "bits": bit_steps, "generic": generic_steps, "hash": hash_steps,
    "list": list_steps, "set": set_steps, "zset": zset_steps, "stream": stream_steps,
    "sort": sort_steps, "scripts": tx_and_script_steps,
}


@pytest.mark.parametrize("family", sorted(FAMILIES))
def test_family_events(server, notify, family):
    c, subscribe = notify
    sub = subscribe("KEA")
    run_steps(server, c, sub, "KEA", FAMILIES[family]())


def test_multi_exec(server, notify):
    c, subscribe = notify
    sub = subscribe("KEA")
    assert c.call("MULTI") == "OK"
    assert c.call("SET", "t1", "a") == "QUEUED"
    assert c.call("INCR", "t2") == "QUEUED"
    assert c.call("RPUSH", "t3", "x") == "QUEUED"
    assert c.call("DEL", "t1") == "QUEUED"
    assert c.call("EXEC") == ["OK", 1, 1, 1]
    want = expand([("set", "t1"), ("incrby", "t2"), ("rpush", "t3"), ("del", "t1")], "KEA")
    check(server, sub.take(len(want)), want, "MULTI/EXEC")
    assert sub.quiet() == []


# ---------------------------------------------------------------- new (n) and keymiss (m)

def test_new_events(server, notify):
    c, subscribe = notify
    sub = subscribe("En")
    steps = [
        (["SET", "a", "1"], [("new", "a")]),
        (["SET", "a", "2"], []),
        (["LPUSH", "l", "x", "y"], [("new", "l")]),
        (["LPUSH", "l", "z"], []),
        (["RENAME", "a", "b"], [("new", "b")]),
        (["COPY", "b", "c"], [("new", "c")]),
        (["COPY", "b", "c", "REPLACE"], [("new", "c")]),
        (["MOVE", "c", "1"], [("new", "c", 1)]),
        (["SADD", "s1", "x"], [("new", "s1")]),
        (["SUNIONSTORE", "su", "s1"], [("new", "su")]),
        (["SUNIONSTORE", "su", "s1"], []),
        (["SMOVE", "s1", "s2", "x"], [("new", "s2")]),
        (["ZADD", "z", "1", "m"], [("new", "z")]),
        (["ZUNIONSTORE", "zu", "1", "z"], [("new", "zu")]),
        (["ZUNIONSTORE", "zu", "1", "z"], []),
        (["XADD", "x", "*", "f", "v"], [("new", "x")]),
        (["XGROUP", "CREATE", "xs", "g", "$", "MKSTREAM"], [("new", "xs")]),
        (["HSET", "h", "f", "v"], [("new", "h")]),
        (["HINCRBY", "h2", "f", "1"], [("new", "h2")]),
        (["INCR", "i"], [("new", "i")]),
        (["INCR", "i"], []),
        (["INCRBYFLOAT", "fl", "1"], [("new", "fl")]),
        (["APPEND", "ap", "x"], [("new", "ap")]),
        (["SETRANGE", "sr", "1", "x"], [("new", "sr")]),
        (["MSET", "m1", "1", "m2", "2"], [("new", "m1"), ("new", "m2")]),
        (["MSET", "m1", "1", "m3", "3"], [("new", "m3")]),
        (["LMOVE", "l", "l2", "LEFT", "LEFT"], [("new", "l2")]),
        (["SETBIT", "bb", "1", "1"], [("new", "bb")]),
        (["BITOP", "OR", "bo", "bb"], [("new", "bo")]),
        (["BITOP", "OR", "bo", "bb"], []),
        (["PFADD", "hl", "a"], [("new", "hl")]),
        (["PFMERGE", "pm", "hl"], [("new", "pm")]),
        (["GEOADD", "geo", "13.361389", "38.115556", "Palermo"], [("new", "geo")]),
        (["GEOSEARCHSTORE", "gst", "geo", "FROMLONLAT", "13", "38", "BYRADIUS", "100", "km"],
         [("new", "gst")]),
        (["SORT", "l", "ALPHA", "STORE", "sl"], [("new", "sl")]),
        (["SORT", "l", "ALPHA", "STORE", "sl"], []),
        (["SET", "sx", "v", "GET"], [("new", "sx")]),
        (["DEL", "sx"], []),
    ]
    run_steps(server, c, sub, "E", steps)


def test_new_comes_before_the_command_event(server, notify):
    c, subscribe = notify
    sub = subscribe("KEAn")
    steps = [
        (["SET", "a", "1"], [("new", "a"), ("set", "a")]),
        (["RPUSH", "l", "x"], [("new", "l"), ("rpush", "l")]),
        (["RENAME", "a", "b"], [("new", "b"), ("rename_from", "a"), ("rename_to", "b")]),
        (["SET", "c", "1"], [("new", "c"), ("set", "c")]),
        (["RENAME", "b", "c"], [("new", "c"), ("rename_from", "b"), ("rename_to", "c")]),
        (["LMOVE", "l", "l2", "RIGHT", "LEFT"],
         [("new", "l2"), ("lpush", "l2"), ("rpop", "l"), ("del", "l")]),
        (["SET", "e", "1", "EX", "100"], [("new", "e"), ("set", "e"), ("expire", "e")]),
    ]
    run_steps(server, c, sub, "KE", steps)


def test_keymiss_events(server, notify):
    c, subscribe = notify
    assert c.call("SET", "str", "v") == "OK"
    assert c.call("RPUSH", "list", "a") == 1
    sub = subscribe("Em")
    steps = [
        (["GET", "nokey"], [("keymiss", "nokey")]),
        (["GET", "str"], []),
        (["EXISTS", "nokey", "str"], [("keymiss", "nokey")]),
        (["TYPE", "nokey"], [("keymiss", "nokey")]),
        (["TTL", "nokey"], [("keymiss", "nokey")]),
        (["PTTL", "nokey"], [("keymiss", "nokey")]),
        (["EXPIRETIME", "nokey"], [("keymiss", "nokey")]),
        (["TOUCH", "nokey"], [("keymiss", "nokey")]),
        (["STRLEN", "nokey"], [("keymiss", "nokey")]),
        (["GETRANGE", "nokey", "0", "1"], [("keymiss", "nokey")]),
        (["GETDEL", "nokey"], [("keymiss", "nokey")]),
        (["GETEX", "nokey"], [("keymiss", "nokey")]),
        (["SET", "nk", "v", "GET"], [("keymiss", "nk")]),
        (["GETSET", "nk2", "v"], [("keymiss", "nk2")]),
        (["MGET", "mk1", "str", "mk2"], [("keymiss", "mk1"), ("keymiss", "mk2")]),
        (["LCS", "nokey", "str"], [("keymiss", "nokey")]),
        (["GETBIT", "nokey", "1"], [("keymiss", "nokey")]),
        (["BITCOUNT", "nokey"], [("keymiss", "nokey")]),
        (["BITPOS", "nokey", "1"], [("keymiss", "nokey")]),
        (["PFCOUNT", "nokey"], [("keymiss", "nokey")]),
        (["HGET", "nokey", "f"], [("keymiss", "nokey")]),
        (["HGETALL", "nokey"], [("keymiss", "nokey")]),
        (["HLEN", "nokey"], [("keymiss", "nokey")]),
        (["LRANGE", "nokey", "0", "-1"], [("keymiss", "nokey")]),
        (["LLEN", "nokey"], [("keymiss", "nokey")]),
        (["LINDEX", "nokey", "0"], [("keymiss", "nokey")]),
        (["LPOS", "nokey", "a"], [("keymiss", "nokey")]),
        (["SMEMBERS", "nokey"], [("keymiss", "nokey")]),
        (["SISMEMBER", "nokey", "a"], [("keymiss", "nokey")]),
        (["SCARD", "nokey"], [("keymiss", "nokey")]),
        (["SRANDMEMBER", "nokey"], [("keymiss", "nokey")]),
        (["SINTER", "nos1", "nos2"], [("keymiss", "nos1"), ("keymiss", "nos2")]),
        (["ZRANGE", "nokey", "0", "-1"], [("keymiss", "nokey")]),
        (["ZSCORE", "nokey", "a"], [("keymiss", "nokey")]),
        (["ZCARD", "nokey"], [("keymiss", "nokey")]),
        (["ZUNION", "2", "noz1", "noz2"], [("keymiss", "noz1"), ("keymiss", "noz2")]),
        (["GEOPOS", "nokey", "a"], [("keymiss", "nokey")]),
        (["XRANGE", "nokey", "-", "+"], [("keymiss", "nokey")]),
        (["XLEN", "nokey"], [("keymiss", "nokey")]),
        (["SORT", "nokey"], [("keymiss", "nokey")]),
        (["COPY", "nokey", "dst"], [("keymiss", "nokey")]),
        (["EVAL", "return redis.call('get', 'nokey')", "0"], [("keymiss", "nokey")]),
        # Write lookups never miss; OBJECT does not notify.
        (["OBJECT", "ENCODING", "nokey"], []),
        (["DEL", "nokey"], []),
        (["INCR", "cnt"], []),
        (["LPUSH", "l2", "a"], []),
        (["LPOP", "nokey"], []),
        (["HDEL", "nokey", "f"], []),
        (["EXPIRE", "nokey", "10"], []),
        (["PERSIST", "nokey"], []),
    ]
    run_steps(server, c, sub, "E", steps)


# ---------------------------------------------------------------- channels

def test_keyspace_only_keyevent_only_binary_keys_and_databases(server, notify):
    c, subscribe = notify
    key = b"bin \x00\xff\r\n key"
    sub = subscribe("K$")
    assert c.call("SET", key, "v") == "OK"
    assert sub.take(1) == [(b"__keyspace@0__:" + key, b"set")]
    assert c.call("DEL", key) == 1  # generic: not subscribed
    assert sub.quiet() == []
    sub.close()

    sub = subscribe("E$g")
    assert c.call("SELECT", "5") == "OK"
    assert c.call("SET", key, "v") == "OK"
    assert c.call("DEL", key) == 1
    assert sub.take(2) == [(b"__keyevent@5__:set", key), (b"__keyevent@5__:del", key)]
    assert c.call("SELECT", "0") == "OK"
    assert sub.quiet() == []
    sub.close()

    # Classes without K or E publish nothing; nor does the default "".
    for flags in ["A", ""]:
        sub = subscribe(flags)
        assert c.call("SET", "k", "v") == "OK"
        assert c.call("DEL", "k") == 1
        assert sub.quiet() == []
        sub.close()


def test_only_the_enabled_classes(server, notify):
    c, subscribe = notify
    sub = subscribe("Klz")
    steps = [
        (["SET", "s", "v"], []),
        (["RPUSH", "l", "a"], [("rpush", "l")]),
        (["SADD", "st", "a"], []),
        (["ZADD", "z", "1", "a"], [("zadd", "z")]),
        (["HSET", "h", "f", "v"], []),
        (["XADD", "x", "*", "f", "v"], []),
        (["LPOP", "l"], [("lpop", "l")]),  # its "del" is generic
        (["DEL", "z", "s"], []),
    ]
    run_steps(server, c, sub, "K", steps)


# ---------------------------------------------------------------- blocked clients

class Blocked:
    def __init__(self, server, *args):
        self.conn = server.conn(timeout=30)
        self.value = None
        self.t = threading.Thread(target=self._run, args=args)
        self.t.start()

    def _run(self, *args):
        self.value = self.conn.call(*args)

    def result(self):
        self.t.join(20)
        assert not self.t.is_alive()
        self.conn.close()
        return self.value


def wait_blocked(server, n):
    def count():
        with server.conn() as c:
            return int(info(c, "clients")["blocked_clients"]) == n
    assert wait_until(count, 10)


def test_served_blocked_clients(server, notify):
    c, subscribe = notify
    assert c.call("XGROUP", "CREATE", "xs", "g", "$", "MKSTREAM") == "OK"
    sub = subscribe("KEA")
    cases = [
        (["BLPOP", "bl", "0"], ["LPUSH", "bl", "a"],
         [("lpush", "bl"), ("lpop", "bl"), ("del", "bl")]),
        (["BRPOP", "bl", "0"], ["RPUSH", "bl", "a", "b"], [("rpush", "bl"), ("rpop", "bl")]),
        (["BLMPOP", "0", "1", "bl2", "RIGHT", "COUNT", "5"], ["RPUSH", "bl2", "a", "b"],
         [("rpush", "bl2"), ("rpop", "bl2"), ("del", "bl2")]),
        (["BLMOVE", "src", "dst", "LEFT", "RIGHT", "0"], ["RPUSH", "src", "a"],
         [("rpush", "src"), ("rpush", "dst"), ("lpop", "src"), ("del", "src")]),
        (["BRPOPLPUSH", "src2", "src2", "0"], ["RPUSH", "src2", "a"],
         [("rpush", "src2"), ("lpush", "src2"), ("rpop", "src2")]),
        (["BZPOPMIN", "bz", "0"], ["ZADD", "bz", "1", "a"],
         [("zadd", "bz"), ("zpopmin", "bz"), ("del", "bz")]),
        (["BZMPOP", "0", "1", "bz", "MAX", "COUNT", "1"], ["ZADD", "bz", "1", "a", "2", "b"],
         [("zadd", "bz"), ("zpopmax", "bz")]),
        (["XREADGROUP", "GROUP", "g", "c1", "BLOCK", "0", "STREAMS", "xs", ">"],
         ["XADD", "xs", "1-1", "f", "v"], [("xadd", "xs"), ("xgroup-createconsumer", "xs")]),
        (["XREAD", "BLOCK", "0", "STREAMS", "xs", "$"], ["XADD", "xs", "2-1", "f", "v"],
         [("xadd", "xs")]),
    ]
    for waiter, writer, events in cases:
        bc = Blocked(server, *waiter)
        wait_blocked(server, 1)
        reply = c.call(*writer)
        assert not isinstance(reply, RespError), writer
        assert bc.result() is not None, waiter
        want = expand(events, "KE")
        check(server, sub.take(len(want)), want, waiter)
        assert sub.quiet(0.1) == [], waiter


# ---------------------------------------------------------------- expired and evicted

def test_expired_lazy_and_active(server, notify):
    c, subscribe = notify
    sub = subscribe("Exm")
    # Lazy: the read finds the key expired (unless active expiry got there first: one "expired"
    # either way), then misses.
    assert c.call("SET", "lazy", "v", "PX", "30") == "OK"
    time.sleep(0.1)
    assert c.call("GET", "lazy") is None
    assert sub.take(2) == [(b"__keyevent@0__:expired", b"lazy"),
                           (b"__keyevent@0__:keymiss", b"lazy")]
    # A write to an expired key: expired, then no keymiss (a write lookup).
    assert c.call("SET", "w", "v", "PX", "30") == "OK"
    time.sleep(0.1)
    assert c.call("SET", "w", "v2") == "OK"
    assert sub.take(1) == [(b"__keyevent@0__:expired", b"w")]
    assert sub.quiet() == []
    # Active: keys nobody reads expire on their own, each once.
    keys = [b"act:%d" % i for i in range(30)]
    for k in keys:
        assert c.call("SET", k, "v", "PX", "50") == "OK"
    got = sub.take(len(keys), timeout=10)
    assert sorted(got) == sorted((b"__keyevent@0__:expired", k) for k in keys)
    assert c.call("DBSIZE") == 1
    assert sub.quiet() == []


def test_evicted(start_server):
    s = start_server(["--maxmemory-policy", "allkeys-random"])
    c = s.conn()
    assert c.call("CONFIG", "SET", "notify-keyspace-events", "Ee") == "OK"
    sub = Subscriber(s)
    used = int(info(c, "memory")["used_memory"])
    assert c.call("CONFIG", "SET", "maxmemory", str(used + (4 << 20))) == "OK"
    value = b"v" * 10000
    n = 1200
    keys = [b"ev:%d" % i for i in range(n)]
    for start in range(0, n, 50):
        assert c.pipeline([["SET", k, value] for k in keys[start:start + 50]]) == ["OK"] * len(
            keys[start:start + 50])

    def settled():
        st = info(c)
        evicted = int(st["evicted_keys"])
        return evicted > 0 and c.call("DBSIZE") + evicted == n and \
            int(info(c)["evicted_keys"]) == evicted
    assert wait_until(settled, 10)
    assert c.call("CONFIG", "SET", "maxmemory", "0") == "OK"
    evicted = int(info(c)["evicted_keys"])
    got = sub.take(evicted, timeout=10)
    assert sub.quiet() == []
    assert len(got) == evicted
    assert all(ch == b"__keyevent@0__:evicted" for ch, _ in got)
    gone = {k for _, k in got}
    assert len(gone) == evicted
    present = {k for k in keys if c.call("EXISTS", k) == 1}
    assert gone == set(keys) - present
    sub.close()
    c.close()
