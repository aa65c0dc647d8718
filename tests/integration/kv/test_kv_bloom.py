"""Bloom filters: BF.RESERVE BF.ADD BF.MADD BF.INSERT BF.EXISTS BF.MEXISTS BF.INFO BF.CARD with
RedisBloom's replies and error texts (RESP2 and RESP3), scaling without false negatives, the
measured false-positive rate, and a filter key through everything the server does to keys:
TYPE/OBJECT/MEMORY USAGE, DUMP/RESTORE, COPY/RENAME/MOVE, SAVE + restart, AOF rewrite + restart,
MULTI/EXEC, Lua, eviction. Bad input of every kind gets an error, never a crash.

Every test runs on 1 and 4 shards. redis-server has no Bloom filters, so the suite runs against
strata-server only.
"""

import random

import pytest
import redis as redispy

from kv_harness import strata_available, target_is_redis, wait_until
from kv_resp import RespError

pytestmark = pytest.mark.skipif(target_is_redis() or not strata_available(),
                                reason="Bloom filters are a strata-server command family")

WRONGTYPE = RespError("WRONGTYPE Operation against a key holding the wrong kind of value")


def err(text):
    return RespError(text)


def arity(cmd):
    return RespError("ERR wrong number of arguments for '%s' command" % cmd)


def flag(proto, v):
    """A 0/1 answer as RedisBloom sends it: an integer in RESP2, a boolean in RESP3."""
    return bool(v) if proto == 3 else int(v)


def client(srv, db=0):
    return redispy.Redis(host="127.0.0.1", port=srv.port, db=db, socket_timeout=60)


def info_dict(conn, key):
    r = conn.call("BF.INFO", key)
    if isinstance(r, dict):
        return {str(k): v for k, v in r.items()}
    return {str(r[i]): r[i + 1] for i in range(0, len(r), 2)}


# ---------------------------------------------------------------- replies


def test_reserve_add_exists(c, proto):
    assert c.call("BF.RESERVE", "bf", "0.01", "1000") == "OK"
    assert c.call("BF.ADD", "bf", "a") == flag(proto, 1)
    assert c.call("BF.ADD", "bf", "a") == flag(proto, 0)
    assert c.call("BF.MADD", "bf", "a", "b", "c") == [flag(proto, 0), flag(proto, 1),
                                                      flag(proto, 1)]
    assert c.call("BF.EXISTS", "bf", "a") == flag(proto, 1)
    assert c.call("BF.EXISTS", "bf", "zz") == flag(proto, 0)
    assert c.call("BF.MEXISTS", "bf", "a", "zz", "c") == [flag(proto, 1), flag(proto, 0),
                                                          flag(proto, 1)]
    assert c.call("BF.CARD", "bf") == 3
    assert c.call("TYPE", "bf") == "MBbloom--"
    assert c.call("OBJECT", "ENCODING", "bf") == b"raw"
    assert c.call("EXISTS", "bf") == 1
    # Missing keys: exists answers 0, card 0.
    assert c.call("BF.EXISTS", "nokey", "a") == flag(proto, 0)
    assert c.call("BF.MEXISTS", "nokey", "a", "b") == [flag(proto, 0), flag(proto, 0)]
    assert c.call("BF.CARD", "nokey") == 0
    assert c.call("EXISTS", "nokey") == 0  # reads create nothing


def test_reserve_errors(c):
    assert c.call("BF.RESERVE", "bf", "0.01", "100") == "OK"
    assert c.call("BF.RESERVE", "bf", "0.01", "100") == err("ERR item exists")
    c.call("SET", "str", "v")
    assert c.call("BF.RESERVE", "str", "0.01", "100") == WRONGTYPE
    assert c.call("BF.RESERVE", "x", "abc", "100") == err("ERR bad error rate")
    for rate in ["0", "1", "2", "-0.5", "inf"]:
        assert c.call("BF.RESERVE", "x", rate, "100") == err("ERR (0 < error rate range < 1) ")
    assert c.call("BF.RESERVE", "x", "0.01", "abc") == err("ERR bad capacity")
    assert c.call("BF.RESERVE", "x", "0.01", "1.5") == err("ERR bad capacity")
    for cap in ["0", "-1", "-100"]:
        assert c.call("BF.RESERVE", "x", "0.01", cap) == err(
            "ERR (capacity should be larger than 0)")
    assert c.call("BF.RESERVE", "x", "0.01", "100", "EXPANSION") == err("ERR no expansion")
    assert c.call("BF.RESERVE", "x", "0.01", "100", "EXPANSION", "abc") == err(
        "ERR bad expansion")
    assert c.call("BF.RESERVE", "x", "0.01", "100", "EXPANSION", "0") == err(
        "ERR expansion should be greater or equal to 1")
    assert c.call("BF.RESERVE", "x", "0.01", "100", "EXPANSION", "-3") == err(
        "ERR expansion should be greater or equal to 1")
    assert c.call("BF.RESERVE", "x", "0.01", "100", "NONSCALING", "EXPANSION", "2") == err(
        "Nonscaling filters cannot expand")
    assert c.call("BF.RESERVE", "x", "0.01", "100", "EXPANSION", "2", "NONSCALING", "y") == \
        arity("bf.reserve")
    assert c.call("BF.RESERVE", "x", "0.01") == arity("bf.reserve")
    # Too large a filter to make.
    assert c.call("BF.RESERVE", "x", "0.01", "1000000000000000") == err(
        "ERR could not create filter")
    assert c.call("EXISTS", "x") == 0


def test_info(c, proto):
    assert c.call("BF.INFO", "nokey") == err("ERR not found")
    c.call("SET", "str", "v")
    assert c.call("BF.INFO", "str") == WRONGTYPE
    assert c.call("BF.RESERVE", "bf", "0.01", "1000", "EXPANSION", "4") == "OK"
    c.call("BF.MADD", "bf", "a", "b")
    r = c.call("BF.INFO", "bf")
    if proto == 3:
        assert isinstance(r, dict)
        assert list(r.keys()) == ["Capacity", "Size", "Number of filters",
                                  "Number of items inserted", "Expansion rate"]
    else:
        assert r[0::2] == ["Capacity", "Size", "Number of filters", "Number of items inserted",
                           "Expansion rate"]
    i = info_dict(c, "bf")
    assert i["Capacity"] == 1000
    assert i["Number of filters"] == 1
    assert i["Number of items inserted"] == 2
    assert i["Expansion rate"] == 4
    # 1000 items at 0.005 (a scaling filter's first layer takes half the rate): ~1.4 KB of bits.
    assert 1300 < i["Size"] < 1700
    fields = {"CAPACITY": ("Capacity", 1000), "size": ("Size", i["Size"]),
              "Filters": ("Number of filters", 1), "ITEMS": ("Number of items inserted", 2),
              "EXPANSION": ("Expansion rate", 4)}
    for arg, (label, value) in fields.items():
        r = c.call("BF.INFO", "bf", arg)
        assert r == ({label: value} if proto == 3 else [value]), arg
    assert c.call("BF.INFO", "bf", "bogus") == err("Invalid information value")
    assert c.call("BF.INFO", "bf", "capacity", "x") == arity("bf.info")
    assert c.call("BF.INFO") == arity("bf.info")
    # A non-scaling filter has no expansion rate.
    c.call("BF.RESERVE", "ns", "0.01", "10", "NONSCALING")
    assert info_dict(c, "ns")["Expansion rate"] is None
    assert c.call("BF.INFO", "ns", "expansion") == ({"Expansion rate": None} if proto == 3
                                                    else [None])


def test_add_defaults_and_wrongtype(c, proto):
    assert c.call("BF.ADD", "auto", "x") == flag(proto, 1)
    i = info_dict(c, "auto")
    assert (i["Capacity"], i["Number of filters"], i["Expansion rate"]) == (100, 1, 2)
    assert c.call("BF.MADD", "auto2", "x", "y") == [flag(proto, 1), flag(proto, 1)]
    assert info_dict(c, "auto2")["Capacity"] == 100
    c.call("SET", "str", "v")
    c.call("RPUSH", "list", "v")
    for key in ["str", "list"]:
        assert c.call("BF.ADD", key, "x") == WRONGTYPE
        assert c.call("BF.MADD", key, "x") == WRONGTYPE
        assert c.call("BF.INSERT", key, "ITEMS", "x") == WRONGTYPE
        assert c.call("BF.CARD", key) == WRONGTYPE
        # RedisBloom answers "not there" for a key of another type.
        assert c.call("BF.EXISTS", key, "x") == flag(proto, 0)
        assert c.call("BF.MEXISTS", key, "x") == [flag(proto, 0)]
    # Other commands on a filter key get WRONGTYPE.
    assert c.call("GET", "auto") == WRONGTYPE
    assert c.call("LPUSH", "auto", "x") == WRONGTYPE
    assert c.call("SADD", "auto", "x") == WRONGTYPE
    assert c.call("PFADD", "auto", "x") == WRONGTYPE
    assert c.call("APPEND", "auto", "x") == WRONGTYPE
    # SET overwrites it, as any key.
    assert c.call("SET", "auto", "v") == "OK"
    assert c.call("TYPE", "auto") == "string"


def test_insert(c, proto):
    one, zero = flag(proto, 1), flag(proto, 0)
    assert c.call("BF.INSERT", "k", "ITEMS", "a", "b", "a") == [one, one, zero]
    assert info_dict(c, "k")["Capacity"] == 100
    assert c.call("BF.INSERT", "k2", "CAPACITY", "1000", "ERROR", "0.001", "EXPANSION", "3",
                  "ITEMS", "a") == [one]
    i = info_dict(c, "k2")
    assert (i["Capacity"], i["Expansion rate"]) == (1000, 3)
    # Options of an existing filter are ignored.
    assert c.call("BF.INSERT", "k2", "CAPACITY", "5", "ITEMS", "b") == [one]
    assert info_dict(c, "k2")["Capacity"] == 1000
    assert c.call("BF.INSERT", "missing", "NOCREATE", "ITEMS", "a") == err("ERR not found")
    assert c.call("EXISTS", "missing") == 0
    assert c.call("BF.INSERT", "k", "NOCREATE", "ITEMS", "c") == [one]
    # NONSCALING: full after `capacity` items, the error ends the reply.
    r = c.call("BF.INSERT", "ns", "CAPACITY", "3", "NONSCALING", "ITEMS", "a", "b", "c", "d",
               "e")
    assert r == [one, one, one, err("ERR non scaling filter is full")]
    assert c.call("BF.ADD", "ns", "zzz") == err("ERR non scaling filter is full")
    assert c.call("BF.MADD", "ns", "a", "q", "r") == [zero, err("ERR non scaling filter is full")]
    assert c.call("BF.ADD", "ns", "a") == zero  # present items still answer 0
    assert c.call("BF.CARD", "ns") == 3
    assert info_dict(c, "ns")["Expansion rate"] is None
    # Errors.
    assert c.call("BF.INSERT", "x", "ERROR", "abc", "ITEMS", "a") == err("Bad error rate")
    assert c.call("BF.INSERT", "x", "CAPACITY", "abc", "ITEMS", "a") == err("Bad capacity")
    assert c.call("BF.INSERT", "x", "EXPANSION", "abc", "ITEMS", "a") == err("Bad expansion")
    assert c.call("BF.INSERT", "x", "BOGUS", "ITEMS", "a") == err("Unknown argument received")
    for opt, v in [("ERROR", "0"), ("ERROR", "1"), ("ERROR", "2"), ("CAPACITY", "0"),
                   ("CAPACITY", "-5"), ("EXPANSION", "0")]:
        assert c.call("BF.INSERT", "x", opt, v, "ITEMS", "a") == err("Bad argument received")
    assert c.call("BF.INSERT", "x", "ITEMS") == arity("bf.insert")
    assert c.call("BF.INSERT", "x", "CAPACITY", "10", "NOCREATE") == arity("bf.insert")
    assert c.call("BF.INSERT", "x", "NOCREATE", "CAPACITY") == arity("bf.insert")
    assert c.call("BF.INSERT", "x", "a") == arity("bf.insert")
    assert c.call("EXISTS", "x") == 0


def test_arity(c):
    for cmd, args in [("BF.ADD", ["k"]), ("BF.ADD", ["k", "a", "b"]), ("BF.MADD", ["k"]),
                      ("BF.EXISTS", ["k"]), ("BF.EXISTS", ["k", "a", "b"]),
                      ("BF.MEXISTS", ["k"]), ("BF.CARD", []), ("BF.CARD", ["k", "x"]),
                      ("BF.RESERVE", ["k", "0.1"]), ("BF.INSERT", ["k", "ITEMS"])]:
        assert c.call(cmd, *args) == arity(cmd.lower()), (cmd, args)


def test_command_info_and_docs(server):
    c = server.conn()
    expect = {"bf.reserve": (-4, ["write", "denyoom"]), "bf.add": (3, ["write", "denyoom"]),
              "bf.madd": (-3, ["write", "denyoom"]), "bf.insert": (-4, ["write", "denyoom"]),
              "bf.exists": (3, ["readonly", "fast"]), "bf.mexists": (-3, ["readonly", "fast"]),
              "bf.info": (-2, ["readonly", "fast"]), "bf.card": (2, ["readonly", "fast"])}
    infos = c.call("COMMAND", "INFO", *expect)
    for (name, (arity_n, flags)), info in zip(expect.items(), infos):
        assert info[0] == name.encode()
        assert info[1] == arity_n
        assert sorted(info[2]) == sorted(flags)
        assert info[3:6] == [1, 1, 1]
        args = ["k", "ITEMS", "a"] if name == "bf.insert" else ["k", "0.1", "10"]
        r = c.call("COMMAND", "GETKEYSANDFLAGS", name, *args[:max(abs(arity_n) - 1, 1)])
        assert r == [[b"k", ["RW"] if "write" in flags else ["RO"]]], name
    docs = c.call("COMMAND", "DOCS", "bf.add")
    d = dict(zip(docs[1][0::2], docs[1][1::2]))
    assert d[b"group"] == b"bf" and d[b"summary"]
    assert c.call("COMMAND", "GETKEYS", "BF.MADD", "k", "a", "b") == [b"k"]
    c.close()


def test_bad_input_fuzz(server):
    """Random argument lists for every BF command: each reply is a value or an error, and the
    server keeps serving."""
    rnd = random.Random(7)
    words = ["ITEMS", "CAPACITY", "ERROR", "EXPANSION", "NOCREATE", "NONSCALING", "0", "1", "2",
             "-1", "0.5", "1e308", "-0.0", "nan", "inf", "-inf", "abc", "", "99999999999999999999",
             "0.000000001", "9223372036854775807", "4294967296", "\x00", "k"]
    cmds = ["BF.RESERVE", "BF.ADD", "BF.MADD", "BF.INSERT", "BF.EXISTS", "BF.MEXISTS",
            "BF.INFO", "BF.CARD"]
    c = server.conn()
    for _ in range(3000):
        cmd = rnd.choice(cmds)
        key = rnd.choice(["f1", "f2", "str"])
        args = [rnd.choice(words) for _ in range(rnd.randrange(0, 7))]
        c.call(cmd, key, *args)  # any reply
        if rnd.random() < 0.01:
            c.call("SET", "str", "v")
    assert c.call("PING") == "PONG"
    c.close()


# ---------------------------------------------------------------- behaviour


def test_scaling_no_false_negatives(server):
    r = client(server)
    assert r.execute_command("BF.RESERVE", "s", "0.01", "100") == b"OK"
    items = ["item:%d" % i for i in range(1000)]  # 10x the capacity
    filters = []
    for i in range(0, len(items), 100):
        r.execute_command("BF.MADD", "s", *items[i:i + 100])
        filters.append(r.execute_command("BF.INFO", "s", "FILTERS")[0])
    assert filters == sorted(filters) and filters[-1] > filters[0]
    assert filters[-1] == 4  # 100 + 200 + 400 + 800 >= 1000
    info = r.execute_command("BF.INFO", "s")
    info = dict(zip(info[0::2], info[1::2]))
    assert info[b"Capacity"] == 1500
    assert info[b"Number of items inserted"] <= 1000  # false positives are not counted
    assert info[b"Number of items inserted"] > 990
    for i in range(0, len(items), 250):
        assert r.execute_command("BF.MEXISTS", "s", *items[i:i + 250]) == [1] * 250
    # Expansion 1: every layer the same size, still no false negatives.
    r.execute_command("BF.RESERVE", "e1", "0.01", "50", "EXPANSION", "1")
    r.execute_command("BF.MADD", "e1", *items[:500])
    caps = r.execute_command("BF.INFO", "e1", "CAPACITY")[0]
    assert caps == 50 * r.execute_command("BF.INFO", "e1", "FILTERS")[0]
    assert r.execute_command("BF.MEXISTS", "e1", *items[:500]) == [1] * 500


def measured_rate(r, key, n=100_000, prefix="never"):
    hits = 0
    p = r.pipeline(transaction=False)
    chunk = 1000
    for i in range(0, n, chunk):
        p.execute_command("BF.MEXISTS", key, *["%s:%d" % (prefix, j) for j in range(i, i + chunk)])
    for res in p.execute():
        hits += sum(res)
    return hits / n


@pytest.mark.parametrize("rate", [0.01, 0.001])
def test_false_positive_rate(server, rate):
    r = client(server)
    r.execute_command("BF.RESERVE", "fp", str(rate), "10000")
    for i in range(0, 10000, 1000):
        r.execute_command("BF.MADD", "fp", *["in:%d" % j for j in range(i, i + 1000)])
    assert r.execute_command("BF.INFO", "fp", "FILTERS") == [1]
    measured = measured_rate(r, "fp")
    print("\nBloom false-positive rate at %g, one full layer: %.5f (%d shards)" %
          (rate, measured, server.threads))
    assert measured <= rate * 1.5
    # Scaled to 10x its capacity: the layers' rates add up to at most the rate asked for.
    r.execute_command("BF.RESERVE", "fps", str(rate), "1000")
    for i in range(0, 10000, 1000):
        r.execute_command("BF.MADD", "fps", *["in:%d" % j for j in range(i, i + 1000)])
    assert r.execute_command("BF.INFO", "fps", "FILTERS")[0] >= 4
    measured = measured_rate(r, "fps")
    print("Bloom false-positive rate at %g, scaled 10x over %d layers: %.5f (%d shards)" %
          (rate, r.execute_command("BF.INFO", "fps", "FILTERS")[0], measured, server.threads))
    assert measured <= rate * 1.5
    # A non-scaling filter filled to capacity has the rate asked for itself.
    r.execute_command("BF.RESERVE", "fpn", str(rate), "10000", "NONSCALING")
    for i in range(0, 10000, 1000):
        r.execute_command("BF.MADD", "fpn", *["in:%d" % j for j in range(i, i + 1000)])
    measured = measured_rate(r, "fpn")
    print("Bloom false-positive rate at %g, non-scaling, full: %.5f (%d shards)" %
          (rate, measured, server.threads))
    assert measured <= rate * 1.5


def test_multi_exec_and_lua(server):
    r = client(server)
    p = r.pipeline(transaction=True)
    p.execute_command("BF.RESERVE", "{t}m", "0.01", "100")
    p.execute_command("BF.ADD", "{t}m", "a")
    p.execute_command("BF.MADD", "{t}m", "a", "b")
    p.execute_command("BF.EXISTS", "{t}m", "b")
    p.execute_command("BF.CARD", "{t}m")
    p.execute_command("BF.RESERVE", "{t}m", "0.01", "100")
    res = p.execute(raise_on_error=False)
    assert res[:5] == [b"OK", 1, [0, 1], 1, 2]
    assert isinstance(res[5], redispy.ResponseError) and "item exists" in str(res[5])
    script = """
        redis.call('BF.ADD', KEYS[1], ARGV[1])
        local m = redis.call('BF.MADD', KEYS[1], ARGV[1], ARGV[2])
        return {redis.call('BF.EXISTS', KEYS[1], ARGV[2]), m[1], m[2],
                redis.call('BF.CARD', KEYS[1]), redis.call('TYPE', KEYS[1])['ok']}
    """
    assert r.eval(script, 1, "lua", "x", "y") == [1, 0, 1, 2, b"MBbloom--"]
    with pytest.raises(redispy.ResponseError, match="item exists"):
        r.eval("return redis.call('BF.RESERVE', KEYS[1], '0.1', '10')", 1, "lua")
    assert r.eval("return redis.pcall('BF.INFO', KEYS[1], 'items')", 1, "lua") == [2]
    # WATCH sees a BF.ADD.
    w = client(server)
    pipe = w.pipeline(transaction=True)
    pipe.watch("lua")
    r.execute_command("BF.ADD", "lua", "z")
    pipe.multi()
    pipe.execute_command("BF.ADD", "lua", "w")
    with pytest.raises(redispy.WatchError):
        pipe.execute()


def filter_state(r, key, probe):
    info = r.execute_command("BF.INFO", key)
    return (r.type(key), info, r.execute_command("BF.MEXISTS", key, *probe))


def test_key_commands(server):
    r = client(server)
    r.execute_command("BF.RESERVE", "f", "0.001", "200", "EXPANSION", "3")
    items = ["i%d" % i for i in range(1000)]
    r.execute_command("BF.MADD", "f", *items)
    probe = items + ["n%d" % i for i in range(2000)]
    state = filter_state(r, "f", probe)
    assert state[0] == b"MBbloom--"
    usage = r.memory_usage("f")
    size = r.execute_command("BF.INFO", "f", "SIZE")[0]
    assert size * 0.9 < usage < size * 1.5 + 200, (usage, size)
    assert r.object("encoding", "f") == b"raw"
    assert r.scan(0, _type="MBbloom--", count=1000)[1] == [b"f"]
    # DUMP / RESTORE.
    payload = r.dump("f")
    r.restore("g", 0, payload)
    assert filter_state(r, "g", probe) == state
    with pytest.raises(redispy.ResponseError, match="BUSYKEY"):
        r.restore("g", 0, payload)
    r.restore("g", 0, payload, replace=True)
    # A corrupt payload (valid checksum, bad filter bytes) is refused.
    bad = bytearray(payload[:-10])
    bad[20] ^= 0xff
    with pytest.raises(redispy.ResponseError):
        r.restore("bad", 0, crc_payload(bytes(bad)))
    assert r.exists("bad") == 0
    # COPY, RENAME, MOVE (the keys may live on other shards).
    assert r.copy("f", "copy")
    assert filter_state(r, "copy", probe) == state
    r.execute_command("BF.ADD", "copy", "only-in-copy")
    assert r.execute_command("BF.EXISTS", "f", "only-in-copy") == 0  # a deep copy
    for i in range(10):
        r.rename("g" if i == 0 else "ren%d" % (i - 1), "ren%d" % i)
    assert filter_state(r, "ren9", probe) == state
    assert r.move("ren9", 1)
    d1 = client(server, 1)
    assert filter_state(d1, "ren9", probe) == state
    assert r.copy("f", "cdb", destination_db=1)
    assert filter_state(d1, "cdb", probe) == state
    # Expiry and lazy free.
    r.pexpire("copy", 50)
    assert wait_until(lambda: r.exists("copy") == 0, 10)
    big = client(server)
    big.execute_command("BF.RESERVE", "big", "0.01", "100", "EXPANSION", "1")
    big.execute_command("BF.MADD", "big", *["b%d" % i for i in range(8000)])  # > 64 layers
    assert big.execute_command("BF.INFO", "big", "FILTERS")[0] > 64
    assert r.unlink("big") == 1
    assert r.delete("f") == 1
    r.execute_command("BF.ADD", "f", "x")
    r.flushall(asynchronous=True)
    assert r.dbsize() == 0


def crc_payload(body):
    """A DUMP payload for `body` (object bytes + RDB version) with its CRC64 appended."""
    body = body + bytes([10, 0])
    return body + crc64(body).to_bytes(8, "little")


def crc64(data):
    """Redis's CRC-64 (Jones polynomial, reflected, no final inversion)."""
    crc = 0
    for b in data:
        crc ^= b
        for _ in range(8):
            crc = (crc >> 1) ^ (0x95ac9329ac4bc9b5 if crc & 1 else 0)
    return crc


def test_eviction(start_server):
    srv = start_server(args=["--maxmemory", "8mb", "--maxmemory-policy", "allkeys-lru"])
    r = client(srv)
    if not str(r.info("memory").get("mem_allocator", "")).startswith("jemalloc"):
        pytest.skip("eviction needs the allocator's per-thread counters (jemalloc builds)")
    for i in range(60):
        try:
            r.execute_command("BF.RESERVE", "big%d" % i, "0.001", "100000")  # ~180 KB each
        except redispy.ResponseError as e:
            assert "OOM" in str(e)
    assert r.dbsize() < 60  # some were evicted
    used = r.info("memory")["used_memory"]
    assert used < 12 * 1024 * 1024, used


# ---------------------------------------------------------------- persistence


def fill_filters(r):
    r.execute_command("BF.RESERVE", "p:scaled", "0.01", "100", "EXPANSION", "3")
    r.execute_command("BF.MADD", "p:scaled", *["s%d" % i for i in range(2000)])
    r.execute_command("BF.RESERVE", "p:ns", "0.001", "50", "NONSCALING")
    r.execute_command("BF.MADD", "p:ns", *["n%d" % i for i in range(50)])
    r.execute_command("BF.ADD", "p:default", "x")
    r.execute_command("BF.ADD", "p:ttl", "x")
    r.expire("p:ttl", 100000)
    client_db2 = redispy.Redis(host="127.0.0.1", port=r.connection_pool.connection_kwargs["port"],
                               db=2)
    client_db2.execute_command("BF.ADD", "p:db2", "y")


PROBE = ["s%d" % i for i in range(2000)] + ["n%d" % i for i in range(50)] + \
    ["x", "y"] + ["absent%d" % i for i in range(3000)]


def snapshot_of(port):
    out = {}
    for db in (0, 2):
        r = redispy.Redis(host="127.0.0.1", port=port, db=db)
        for k in sorted(r.keys("p:*")):
            out[(db, k)] = (r.type(k), r.execute_command("BF.INFO", k),
                            r.execute_command("BF.MEXISTS", k, *PROBE), r.ttl(k) > 0)
    return out


def test_save_and_restart(start_server):
    srv = start_server()
    r = client(srv)
    fill_filters(r)
    before = snapshot_of(srv.port)
    assert len(before) == 5
    assert r.save()
    srv.stop()
    again = start_server()
    assert snapshot_of(again.port) == before
    # BGSAVE too.
    r = client(again)
    r.execute_command("BF.ADD", "p:default", "after-save")
    before = snapshot_of(again.port)
    r.bgsave()
    assert wait_until(lambda: r.info("persistence")["rdb_bgsave_in_progress"] == 0 and
                      r.info("persistence")["rdb_last_bgsave_status"] == "ok", 30)
    again.stop()
    third = start_server()
    assert snapshot_of(third.port) == before


def aof_ready(r):
    i = r.info("persistence")
    return i.get("aof_enabled") == 1 and i.get("aof_rewrite_in_progress") == 0


@pytest.mark.parametrize("preamble", ["yes", "no"])
def test_aof_rewrite_and_restart(start_server, preamble):
    args = ["--appendonly", "yes", "--appendfsync", "always", "--aof-use-rdb-preamble", preamble]
    srv = start_server(args=args)
    r = client(srv)
    assert wait_until(lambda: aof_ready(r), 30)
    fill_filters(r)
    # Replaying the logged commands alone rebuilds the filters.
    before = snapshot_of(srv.port)
    srv.stop()
    again = start_server(args=args)
    assert snapshot_of(again.port) == before
    # A rewrite writes the filters into the base (RDB or RESTORE commands).
    r = client(again)
    assert r.bgrewriteaof()
    assert wait_until(lambda: aof_ready(r) and r.info("persistence")["aof_rewrites"] >= 1, 30)
    r.execute_command("BF.MADD", "p:scaled", "after-rewrite")
    before = snapshot_of(again.port)
    again.stop()
    third = start_server(args=args)
    assert snapshot_of(third.port) == before
