"""DUMP and RESTORE: payloads round-trip strata -> strata, redis-server -> strata and strata ->
redis-server for every type in its small and large encodings (listpack / hashtable / skiplist /
quicklist / intset, streams with deleted entries, consumer groups and pending entries), with
Redis's error replies, TTL options, IDLETIME/FREQ, keyspace notifications and client tracking."""

import time

import pytest
import redis as redispy

from kv_harness import Server, redis_command
from kv_resp import Push, drain, encode


@pytest.fixture(scope="module")
def redis_srv():
    srv = Server(cmd=redis_command()).start()
    yield srv
    srv.stop()


def client(srv):
    return redispy.Redis(host="127.0.0.1", port=srv.port, socket_timeout=30)


@pytest.fixture
def s(server):
    cli = client(server)
    yield cli
    cli.close()


@pytest.fixture
def r(redis_srv):
    cli = client(redis_srv)
    cli.flushall()
    cli.config_set("notify-keyspace-events", "")
    yield cli
    cli.close()


# ---------------------------------------------------------------- building and comparing values

def populate(cli):
    """Keys of every type, small and large; returns their names."""
    p = cli.pipeline(transaction=False)
    p.set("str:small", "hello")
    p.set("str:int", "123456")
    p.set("str:bigint", "12345678901234")
    p.set("str:large", "v" * 10000)
    p.set("str:bin", bytes(range(256)) * 4)
    p.rpush("list:small", "a", "b", "1", "-200", "70000", "x" * 100)
    p.rpush("list:large", *[("e%d" % i) * (i % 7 + 1) for i in range(5000)])
    p.rpush("list:big-elem", "y" * 20000, "z")
    p.sadd("set:intset", 1, 2, 3, -5, 1 << 40)
    p.sadd("set:ints-large", *range(1000))
    p.sadd("set:strings", "a", "b", "c")
    p.sadd("set:strings-large", *["m%d" % i for i in range(2000)])
    p.zadd("zset:small", {"a": 1.5, "b": -2, "c": float("inf"), "d": 0})
    p.zadd("zset:large", {"m%d" % i: i * 0.5 for i in range(500)})
    p.zadd("zset:long-member", {"q" * 100: 3})
    p.hset("hash:small", mapping={"f1": "v1", "f2": "22", "f3": ""})
    p.hset("hash:large", mapping={"f%d" % i: "v%d" % i for i in range(1000)})
    p.hset("hash:long-value", mapping={"f": "w" * 100})
    p.execute()
    for i in range(300):
        cli.xadd("stream:big", {"a": i, "b": "x" * (i % 50)}, id="%d-%d" % (1000 + i // 3, i % 3))
    cli.xadd("stream:big", {"other": "fields"}, id="5000-0")
    cli.xdel("stream:big", "1000-1", "1010-2", "1050-0")
    cli.xgroup_create("stream:big", "g1", id="0")
    cli.xgroup_create("stream:big", "g2", id="1020-0")
    cli.xgroup_create("stream:big", "empty", id="$")
    cli.xreadgroup("g1", "alice", {"stream:big": ">"}, count=10)
    cli.xreadgroup("g1", "bob", {"stream:big": ">"}, count=5)
    cli.xreadgroup("g2", "carol", {"stream:big": ">"}, count=3)
    cli.xack("stream:big", "g1", "1000-0")
    cli.xgroup_createconsumer("stream:big", "g1", "idle")
    cli.xadd("stream:small", {"k": "v"}, id="1-1")
    cli.xadd("stream:empty", {"k": "v"}, id="7-7")
    cli.xdel("stream:empty", "7-7")
    cli.xgroup_create("stream:mk", "grp", id="$", mkstream=True)
    return sorted(k.decode() for k in cli.keys("*"))


def contents(cli, key):
    t = cli.type(key).decode()
    if t == "string":
        return t, cli.get(key)
    if t == "list":
        return t, cli.lrange(key, 0, -1)
    if t == "set":
        return t, sorted(cli.smembers(key))
    if t == "zset":
        return t, cli.zrange(key, 0, -1, withscores=True)
    if t == "hash":
        return t, sorted(cli.hgetall(key).items())
    if t == "stream":
        info = cli.xinfo_stream(key)
        meta = {k: info[k] for k in ("length", "last-generated-id", "max-deleted-entry-id",
                                     "entries-added", "recorded-first-entry-id")}
        groups = []
        for g in cli.xinfo_groups(key):
            name = g["name"]
            pend = cli.xpending_range(key, name, "-", "+", 10000)
            cons = sorted((c["name"], c["pending"]) for c in cli.xinfo_consumers(key, name))
            groups.append((name, g["last-delivered-id"], g["entries-read"], g["lag"],
                           g["pending"], cons,
                           [(p["message_id"], p["consumer"], p["times_delivered"]) for p in pend]))
        return t, cli.xrange(key, "-", "+"), meta, sorted(groups)
    return t, None


def encoding(cli, key):
    return cli.object("encoding", key)


# ---------------------------------------------------------------- round trips

def test_roundtrip_within_strata(s):
    keys = populate(s)
    for k in keys:
        payload = s.dump(k)
        assert payload is not None, k
        s.restore("copy:" + k, 0, payload)
        assert contents(s, "copy:" + k) == contents(s, k), k
        assert encoding(s, "copy:" + k) == encoding(s, k), k
    assert s.dump("missing") is None


def test_redis_payloads_restore_into_strata(s, r):
    keys = populate(r)
    for k in keys:
        s.restore(k, 0, r.dump(k))
        assert contents(s, k) == contents(r, k), k
        assert encoding(s, k) == encoding(r, k), k


def test_strata_payloads_restore_into_redis(s, r):
    keys = populate(s)
    for k in keys:
        r.restore(k, 0, s.dump(k))
        assert contents(r, k) == contents(s, k), k
        assert encoding(r, k) == encoding(s, k), k


def test_dump_byte_identical(s, r):
    for v in ["hello", "123", "-7", "12345678901234", "a" * 100, "ab" * 5000]:
        s.set("k", v)
        r.set("k", v)
        assert s.dump("k") == r.dump("k"), v
    # Listpack hashes and sorted sets (insertion order is kept by both).
    fields = {"f1": "v1", "n": 42, "big": 10 ** 12, "neg": -5000, "e": "", "long": "x" * 60}
    scores = {"a": 1.5, "b": -2, "c": float("inf"), "d": 0, "e": 1e-7, "f": 123456789012,
              "g": -float("inf"), "h": 3.14159, "i": 2 ** 60}
    for cli in (s, r):
        for f, v in fields.items():
            cli.hset("h", f, v)
        cli.zadd("z", scores)
    assert s.dump("h") == r.dump("h")
    assert s.dump("z") == r.dump("z")


def test_integer_list_and_set_payloads_from_redis(s, r):
    # An intset with every integer width and listpack integers of every size.
    vals = [0, 1, -1, 127, 128, -4096, 4095, 4096, 32767, -32768, 8388607, -8388608,
            2147483647, -2147483648, 9223372036854775807, -9223372036854775808]
    r.sadd("is", *vals)
    r.rpush("l", *vals)
    r.hset("h", mapping={str(v): v for v in vals})
    r.zadd("z", {str(v): v for v in vals})
    for k in ["is", "l", "h", "z"]:
        s.restore(k, 0, r.dump(k))
        assert contents(s, k) == contents(r, k), k


# ---------------------------------------------------------------- older encodings

def rdb_len(n):
    if n < 64:
        return bytes([n])
    if n < 16384:
        return bytes([0x40 | (n >> 8), n & 0xff])
    return b"\x80" + n.to_bytes(4, "big")


def rdb_str(b):
    b = b if isinstance(b, bytes) else str(b).encode()
    return rdb_len(len(b)) + b


def ziplist(items):
    """A ziplist as Redis 6 wrote them (integers in their int encodings)."""
    body, prev, last = b"", 0, 10
    for it in items:
        e = bytes([prev]) if prev < 254 else b"\xfe" + prev.to_bytes(4, "little")
        s = str(it).encode()
        try:
            v = int(s)
            canonical = str(v).encode() == s and -(1 << 63) <= v < (1 << 63)
        except ValueError:
            canonical = False
        if canonical and 0 <= v <= 12:
            e += bytes([0xf1 + v])
        elif canonical and -128 <= v <= 127:
            e += b"\xfe" + v.to_bytes(1, "little", signed=True)
        elif canonical and -32768 <= v <= 32767:
            e += b"\xc0" + v.to_bytes(2, "little", signed=True)
        elif canonical and -(1 << 23) <= v < (1 << 23):
            e += b"\xf0" + v.to_bytes(3, "little", signed=True)
        elif canonical and -(1 << 31) <= v < (1 << 31):
            e += b"\xd0" + v.to_bytes(4, "little", signed=True)
        elif canonical:
            e += b"\xe0" + v.to_bytes(8, "little", signed=True)
        elif len(s) < 64:
            e += bytes([len(s)]) + s
        elif len(s) < 16384:
            e += bytes([0x40 | (len(s) >> 8), len(s) & 0xff]) + s
        else:
            e += b"\x80" + len(s).to_bytes(4, "big") + s
        last = 10 + len(body)
        body += e
        prev = len(e)
    total = 10 + len(body) + 1
    return (total.to_bytes(4, "little") + last.to_bytes(4, "little") +
            min(len(items), 65535).to_bytes(2, "little") + body + b"\xff")


def zipmap(pairs):
    out = bytes([len(pairs)])
    for f, v in pairs:
        out += bytes([len(f)]) + f + bytes([len(v), 0]) + v
    return out + b"\xff"


def intset(values, width):
    return (width.to_bytes(4, "little") + len(values).to_bytes(4, "little") +
            b"".join(v.to_bytes(width, "little", signed=True) for v in sorted(values)))


def old_payloads():
    long = "L" * 300
    items = ["a", 0, 12, 13, -100, 1000, 100000, 10 ** 9, 10 ** 15, -(10 ** 15), long, "b"]
    many = ["e%d" % i for i in range(700)]
    hz = ["f1", "v1", "f2", 22, "f3", long]
    zz = ["m2", "-3", "m1", "1.5", "m4", 7, "m3", "inf"]  # ascending, as Redis writes them
    text_zset = rdb_len(3) + rdb_str("a") + b"\x032.5" + rdb_str("b") + b"\xfe" + \
        rdb_str("c") + b"\xff"
    return {
        "list-ziplist": b"\x0a" + rdb_str(ziplist(items)),
        "list-quicklist": b"\x0e" + rdb_len(2) + rdb_str(ziplist(items)) + rdb_str(ziplist(many)),
        "list-plain": b"\x01" + rdb_len(3) + rdb_str("x") + rdb_str(5) + rdb_str(long),
        "hash-ziplist": b"\x0d" + rdb_str(ziplist(hz)),
        "hash-ziplist-big": b"\x0d" + rdb_str(ziplist(
            [x for i in range(300) for x in ("f%d" % i, i)])),
        "hash-zipmap": b"\x09" + rdb_str(zipmap([(b"f1", b"v1"), (b"f2", b"value2")])),
        "zset-ziplist": b"\x0c" + rdb_str(ziplist(zz)),
        "zset-text": b"\x03" + text_zset,
        "set-intset16": b"\x0b" + rdb_str(intset([1, -2, 300], 2)),
        "set-intset32": b"\x0b" + rdb_str(intset([1, -2, 1 << 20], 4)),
        "set-intset64": b"\x0b" + rdb_str(intset([1, -2, 1 << 40], 8)),
    }


def test_older_encodings_load_as_in_redis(s, r):
    for name, body in old_payloads().items():
        payload = with_footer(body)
        r.restore(name, 0, payload)
        s.restore(name, 0, payload)
        assert contents(s, name) == contents(r, name), name
        assert encoding(s, name) == encoding(r, name), name


def test_corrupt_older_encodings_refused(s):
    for name, body in old_payloads().items():
        for cut in range(2, len(body), max(1, len(body) // 40)):
            err = raw_error(s, "RESTORE", name, "0", with_footer(body[:cut]))
            assert err == "Bad data format", (name, cut)


# ---------------------------------------------------------------- TTL and options

def test_ttl_absttl_and_replace(s):
    s.set("src", "v")
    p = s.dump("src")
    s.restore("t1", 100000, p)
    assert 99000 < s.pttl("t1") <= 100000
    at = int(time.time() * 1000) + 50000
    s.restore("t2", at, p, absttl=True)
    assert 49000 < s.pttl("t2") <= 50000
    # Already expired: OK, nothing created; with REPLACE the old key is deleted.
    assert s.restore("t3", 1, p, absttl=True)
    assert s.exists("t3") == 0
    s.set("t4", "old")
    assert s.restore("t4", 1, p, absttl=True, replace=True)
    assert s.exists("t4") == 0
    s.set("t5", "old")
    s.restore("t5", 0, p, replace=True)
    assert s.get("t5") == b"v" and s.ttl("t5") == -1


def test_huge_ttl_as_redis(s, r):
    r.set("src", "v")
    p = r.dump("src")
    for cli in (s, r):
        assert cli.restore("wrap", 2 ** 63 - 1, p)  # wraps negative: already expired
        assert cli.exists("wrap") == 0
        assert cli.restore("far", 2 ** 63 - 1, p, absttl=True)
        assert cli.pttl("far") > 2 ** 62


def test_restore_in_multi_and_scripts(s):
    s.hset("h", mapping={"a": "1"})
    p = s.dump("h")
    with s.pipeline(transaction=True) as tx:
        tx.restore("h2", 0, p)
        tx.dump("h2")
        tx.hgetall("h2")
        res = tx.execute()
    assert res == [b"OK", p, {b"a": b"1"}]
    assert s.eval("return redis.call('RESTORE', KEYS[1], 0, ARGV[1])", 1, "h3", p) == b"OK"
    assert s.eval("return redis.call('DUMP', KEYS[1])", 1, "h3") == p


def test_idletime_and_freq(s, start_server):
    s.set("src", "v")
    p = s.dump("src")
    s.restore("idle", 0, p, idletime=1000)
    assert s.object("idletime", "idle") >= 1000
    lfu = start_server(args=["--maxmemory-policy", "allkeys-lfu"])
    c = client(lfu)
    c.restore("f", 0, p, frequency=42)
    assert c.object("freq", "f") == 42
    c.close()


# ---------------------------------------------------------------- errors, the same as Redis

def raw_error(cli, *args):
    try:
        cli.execute_command(*args)
    except redispy.ResponseError as e:
        return str(e)
    return None


def test_errors_match_redis(s, r):
    s.set("k", "v")
    r.set("k", "v")
    good = r.dump("k")
    assert s.dump("k") == good
    corrupt = bytearray(good)
    corrupt[1] ^= 0xff
    badver = bytearray(good)
    badver[-10] = 11
    cases = [
        ("RESTORE", "k", "0", good),
        ("RESTORE", "new", "0", bytes(corrupt)),
        ("RESTORE", "new", "0", bytes(badver)),
        ("RESTORE", "new", "0", b"short"),
        ("RESTORE", "new", "-1", good),
        ("RESTORE", "new", "abc", good),
        ("RESTORE", "new", "0", good, "BOGUS"),
        ("RESTORE", "new", "0", good, "IDLETIME"),
        ("RESTORE", "new", "0", good, "IDLETIME", "-1"),
        ("RESTORE", "new", "0", good, "IDLETIME", "x"),
        ("RESTORE", "new", "0", good, "FREQ", "256"),
        ("RESTORE", "new", "0", good, "FREQ", "-1"),
        ("RESTORE", "new", "0", good, "IDLETIME", "1", "FREQ", "1"),
        ("RESTORE", "new", "0"),
        ("DUMP",),
        ("DUMP", "a", "b"),
    ]
    for args in cases:
        assert raw_error(s, *args) == raw_error(r, *args), args
    # Bad data: an unknown object type and truncated objects, each with a valid footer.
    for body in [b"\x07\x01a", b"\x02\x05\x01a", b"\x04\x01\x01f", b"\x12\x01\x02\x05abc",
                 b"\x0b\x09\x02\x00\x00\x00\x05\x00\x00\x00"]:
        payload = with_footer(body)
        assert raw_error(s, "RESTORE", "bad", "0", payload) == "Bad data format"
        assert raw_error(r, "RESTORE", "bad", "0", payload) == "Bad data format"
    # The BUSYKEY error text.
    with pytest.raises(redispy.ResponseError, match="BUSYKEY Target key name already exists."):
        s.restore("k", 0, good)


def crc64(data):
    poly = 0x95AC9329AC4BC9B5  # Jones polynomial, reflected
    crc = 0
    for b in data:
        crc ^= b
        for _ in range(8):
            crc = (crc >> 1) ^ poly if crc & 1 else crc >> 1
    return crc


def with_footer(body):
    p = body + b"\x0a\x00"
    return p + crc64(p).to_bytes(8, "little")


def test_payload_footer_helper_matches_redis(r):
    r.set("k", "hello")
    d = r.dump("k")
    assert with_footer(d[:-10]) == d


def test_corrupt_payloads_never_crash(s, r):
    keys = populate(r)
    import random
    rnd = random.Random(7)
    for k in keys:
        body = r.dump(k)[:-10]
        for _ in range(30):
            b = bytearray(body)
            for _ in range(rnd.randint(1, 4)):
                b[rnd.randrange(len(b))] = rnd.randrange(256)
            cut = rnd.choice([len(b), rnd.randrange(1, len(b) + 1)])
            err = raw_error(s, "RESTORE", "fuzz", "0", with_footer(bytes(b[:cut])), "REPLACE")
            assert err in (None, "Bad data format"), (k, err)
    assert s.ping()


# ---------------------------------------------------------------- notifications and tracking


def test_restore_notifies(server, s):
    s.config_set("notify-keyspace-events", "KEA")
    try:
        sub = server.conn()
        sub.send_raw(encode("PSUBSCRIBE", "__key*__:*"))
        sub.read()
        s.set("src", "v")
        p = s.dump("src")
        s.restore("n1", 0, p)
        s.set("n2", "old")
        s.restore("n2", 1, p, absttl=True, replace=True)
        msgs = [m for m in drain(sub) if m[0] == b"pmessage"]
        events = [(m[2].decode(), m[3]) for m in msgs]
        assert ("__keyevent@0__:restore", b"n1") in events
        assert ("__keyspace@0__:n1", b"restore") in events
        assert ("__keyevent@0__:del", b"n2") in events
        sub.close()
    finally:
        s.config_set("notify-keyspace-events", "")


def test_restore_invalidates_tracking(server, s):
    t3 = server.conn(protocol=3)
    assert t3.call("CLIENT", "TRACKING", "ON") == "OK"
    keys = ["tk%d" % i for i in range(12)]  # spread over the shards
    for k in keys:
        s.set(k, "1")
    p = s.dump(keys[0])
    assert t3.call("MGET", *keys) == [b"1"] * len(keys)
    for k in keys:
        s.restore(k, 0, p, replace=True)
    got = []
    for m in drain(t3):
        assert isinstance(m, Push) and m[0] == b"invalidate", m
        got += list(m[1])
    assert sorted(got) == sorted(k.encode() for k in keys)
    t3.close()


# ---------------------------------------------------------------- command table

def test_command_info_matches_redis(server, redis_srv):
    # Name, arity, flags, key positions and ACL categories (COMMAND INFO's tips and key specs are
    # generic in Strata; COMMAND GETKEYSANDFLAGS gives the precise key flags).
    with server.conn() as mine, redis_srv.conn() as theirs:
        for name in ["dump", "restore"]:
            assert mine.call("COMMAND", "INFO", name)[0][:7] == \
                theirs.call("COMMAND", "INFO", name)[0][:7], name
        for args in [("DUMP", "k"), ("RESTORE", "k", "0", "x", "REPLACE")]:
            assert mine.call("COMMAND", "GETKEYSANDFLAGS", *args) == \
                theirs.call("COMMAND", "GETKEYSANDFLAGS", *args), args


def test_restore_under_maxmemory_is_refused(start_server):
    srv = start_server()
    c = client(srv)
    c.set("src", "v")
    p = c.dump("src")
    c.config_set("maxmemory", "1")
    try:
        with pytest.raises(redispy.ResponseError, match="OOM"):
            c.restore("new", 0, p)
        assert c.dump("src") == p  # DUMP is a read: allowed
    finally:
        c.config_set("maxmemory", "0")
        c.close()
