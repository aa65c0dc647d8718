"""Bitmaps, bit fields, HyperLogLog and LCS: sketches exchanged with redis-server byte for byte,
corrupt sketches, cross-shard BITOP/PFMERGE/PFCOUNT/LCS (atomic under concurrent writers), and
the bitmap patterns applications use (feature flags, active-user retention, rate limits)."""

import threading

import pytest

from kv_harness import Server, redis_command
from kv_resp import RespError

E = RespError
NOT_HLL = E("WRONGTYPE Key is not a valid HyperLogLog string value.")
CORRUPT = E("INVALIDOBJ Corrupted HLL object detected")
WRONGTYPE = E("WRONGTYPE Operation against a key holding the wrong kind of value")
HEADER = b"HYLL\x01\x00\x00\x00" + b"\x00" * 7 + b"\x80"  # sparse, cache invalid

# Many keys: with four shards some of them are certainly on different shards.
SPREAD = ["bits:%d:%s" % (i, "y" * (i % 5)) for i in range(16)]


@pytest.fixture(scope="module")
def redis():
    srv = Server(cmd=redis_command()).start()
    yield srv
    srv.stop()


@pytest.fixture
def r(redis):
    conn = redis.conn()
    conn.call("FLUSHALL")
    yield conn
    conn.close()


# ---------------------------------------------------------------- HyperLogLog and redis-server

@pytest.mark.parametrize("n", [3, 300, 2500, 50000], ids=lambda n: "n%d" % n)
def test_hll_from_redis_counts_the_same(c, r, n):
    elements = ["user:%d" % i for i in range(n)]
    for i in range(0, n, 5000):
        r.call("PFADD", "hll", *elements[i:i + 5000])
    sketch = r.call("GET", "hll")
    assert sketch.startswith(b"HYLL")
    assert sketch[4] == (0 if n > 2000 else 1)  # dense or sparse, as Redis chose
    assert c.call("SET", "copy", sketch) == "OK"
    assert c.call("PFCOUNT", "copy") == r.call("PFCOUNT", "hll")
    # Built here from the same elements: the same bytes.
    for i in range(0, n, 5000):
        c.call("PFADD", "own", *elements[i:i + 5000])
    assert c.call("GET", "own") == sketch
    # Further additions on both sides keep them identical, cached cardinality included.
    more = ["more:%d" % i for i in range(200)]
    assert c.call("PFADD", "copy", *more) == r.call("PFADD", "hll", *more)
    assert c.call("PFCOUNT", "copy") == r.call("PFCOUNT", "hll")
    assert c.call("GET", "copy") == r.call("GET", "hll")


def test_hll_written_here_counts_the_same_in_redis(c, r):
    c.call("PFADD", "a", *["x%d" % i for i in range(1500)])
    c.call("PFADD", "b", *["x%d" % i for i in range(1000, 9000)])
    assert c.call("PFMERGE", "u", "a", "b") == "OK"
    for key in ("a", "b", "u"):
        r.call("SET", key, c.call("GET", key))
        assert r.call("PFCOUNT", key) == c.call("PFCOUNT", key)
    assert r.call("PFCOUNT", "a", "b") == c.call("PFCOUNT", "a", "b")


def test_hll_sparse_max_bytes_config(c, r):
    assert c.call("CONFIG", "GET", "hll-sparse-max-bytes") in (
        [b"hll-sparse-max-bytes", b"3000"], {b"hll-sparse-max-bytes": b"3000"})
    try:
        for conn in (c, r):
            assert conn.call("CONFIG", "SET", "hll-sparse-max-bytes", "200") == "OK"
            conn.call("PFADD", "h", *["e%d" % i for i in range(100)])
        assert c.call("GET", "h") == r.call("GET", "h")
        assert len(c.call("GET", "h")) == 12304  # past 200 bytes: dense
    finally:
        c.call("CONFIG", "SET", "hll-sparse-max-bytes", "3000")
        r.call("CONFIG", "SET", "hll-sparse-max-bytes", "3000")


@pytest.mark.parametrize("value,error", [
    (HEADER + b"\x7f\xfe", CORRUPT),            # opcodes cover 16383 registers
    (HEADER + b"\x7f\xff\x80", CORRUPT),        # one register too many
    (HEADER + b"\x7f", CORRUPT),                # XZERO cut short
    (HEADER, CORRUPT),                          # no opcodes
    (b"HYLL\x00" + b"\x00" * 11 + b"\x00" * 10, NOT_HLL),  # dense, wrong length
    (b"HYLL\x02" + b"\x00" * 11 + b"\x7f\xff", NOT_HLL),   # unknown encoding
    (b"HYLX\x01" + b"\x00" * 11 + b"\x7f\xff", NOT_HLL),   # bad magic
    (b"HYLL", NOT_HLL),                                    # shorter than a header
    (b"12345", NOT_HLL),
])
def test_corrupt_hll_errors_like_redis(c, r, value, error):
    c.call("SET", "bad", value)
    r.call("SET", "bad", value)
    assert c.call("PFCOUNT", "bad") == error
    assert c.call("PFCOUNT", "bad", "missing") == error
    assert c.call("PFMERGE", "dest", "bad") == error
    assert c.call("EXISTS", "dest") == 0
    for cmd in (["PFCOUNT", "bad"], ["PFCOUNT", "bad", "bad"], ["PFADD", "bad", "a", "b"],
                ["PFMERGE", "bad"], ["GET", "bad"]):
        assert c.call(*cmd) == r.call(*cmd), cmd
    assert c.call("PING") == "PONG"


def test_hll_on_other_values(c):
    c.call("SET", "s", "hello")
    assert c.call("PFADD", "s", "a") == NOT_HLL
    assert c.call("PFCOUNT", "missing") == 0
    assert c.call("PFADD", "new") == 1
    assert c.call("PFADD", "new") == 0
    assert c.call("PFCOUNT", "new") == 0
    # A cached cardinality is trusted, as in Redis: an edited cache is what PFCOUNT returns.
    c.call("PFADD", "h", "a", "b", "c")
    assert c.call("PFCOUNT", "h") == 3
    c.call("SETRANGE", "h", "8", "\x07")
    assert c.call("PFCOUNT", "h") == 7


def test_hll_across_shards(c):
    for i, key in enumerate(SPREAD):
        c.call("PFADD", key, *["k%d" % j for j in range(i * 100, i * 100 + 150)])
    assert c.call("PFMERGE", "all", *SPREAD) == "OK"
    n = c.call("PFCOUNT", "all")
    assert abs(n - 1650) < 1650 * 0.03  # k0..k1649
    assert c.call("PFCOUNT", *SPREAD) == n
    c.call("SET", SPREAD[7], "not a sketch")
    assert c.call("PFCOUNT", *SPREAD) == NOT_HLL
    assert c.call("PFMERGE", "all", *SPREAD) == NOT_HLL


# ---------------------------------------------------------------- bitmaps

def test_bitop_across_shards_is_correct(c):
    values = [bytes([(i * 37 + j) & 0xff for j in range(i + 3)]) for i in range(len(SPREAD))]
    for key, v in zip(SPREAD, values):
        c.call("SET", key, v)
    n = max(len(v) for v in values)
    padded = [v + b"\x00" * (n - len(v)) for v in values]
    for op, fn in (("AND", lambda a, b: a & b), ("OR", lambda a, b: a | b),
                   ("XOR", lambda a, b: a ^ b)):
        want = bytearray(padded[0])
        for v in padded[1:]:
            want = bytearray(fn(x, y) for x, y in zip(want, v))
        assert c.call("BITOP", op, "dest:" + op, *SPREAD) == n
        assert c.call("GET", "dest:" + op) == bytes(want)
    assert c.call("BITOP", "NOT", SPREAD[0], SPREAD[3]) == len(values[3])
    assert c.call("GET", SPREAD[0]) == bytes(~b & 0xff for b in values[3])
    # An empty result deletes the destination, wherever it lives.
    assert c.call("BITOP", "OR", SPREAD[1], "nokey1", "nokey2") == 0
    assert c.call("EXISTS", SPREAD[1]) == 0
    c.call("SET", SPREAD[5], "x")
    c.call("EXPIRE", SPREAD[5], "100")
    assert c.call("BITOP", "AND", SPREAD[5], SPREAD[6], SPREAD[7]) > 0
    assert c.call("TTL", SPREAD[5]) == -1  # BITOP replaces the value and its TTL


def test_bitop_across_shards_is_atomic(server):
    """Writers set all sources to one of two patterns at once (MSET, atomic across shards);
    BITOP AND over them must always see a single pattern, never a mix (which ANDs to zeros)."""
    patterns = [b"\xf0" * 64, b"\x0f" * 64]
    setup = server.conn()
    setup.call("MSET", *[x for k in SPREAD for x in (k, patterns[0])])
    stop = threading.Event()
    errors = []

    def writer():
        conn = server.conn()
        i = 0
        while not stop.is_set():
            i += 1
            conn.call("MSET", *[x for k in SPREAD for x in (k, patterns[i % 2])])
        conn.close()

    def bitop():
        conn = server.conn()
        try:
            for _ in range(400):
                assert conn.call("BITOP", "AND", "dest", *SPREAD) == 64
                got = conn.call("GET", "dest")
                assert got in patterns, got[:8]
                assert conn.call("BITCOUNT", "dest") == 256
        except Exception as e:
            errors.append(e)
        finally:
            stop.set()
            conn.close()

    threads = [threading.Thread(target=writer), threading.Thread(target=bitop)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    assert not any(t.is_alive() for t in threads)
    if errors:
        raise errors[0]


def test_lcs_across_shards(c):
    c.call("SET", SPREAD[0], "ohmytext")
    c.call("SET", SPREAD[1], "mynewtext")
    c.call("SET", SPREAD[2], "x")  # at least two of these pairs live on different shards
    for a, b in ((SPREAD[0], SPREAD[1]), (SPREAD[1], SPREAD[0])):
        assert c.call("LCS", a, b) == b"mytext"
        assert c.call("LCS", a, b, "LEN") == 6
    assert c.call("LCS", SPREAD[0], SPREAD[1], "IDX", "MINMATCHLEN", "4", "WITHMATCHLEN") in (
        [b"matches", [[[4, 7], [5, 8], 4]], b"len", 6],
        {b"matches": [[[4, 7], [5, 8], 4]], b"len": 6})
    for other in SPREAD[3:]:
        c.call("SET", other, "zz")
        assert c.call("LCS", SPREAD[0], other, "LEN") == 0


def test_feature_flags(c):
    """One bit per user id per feature: enable, check, count, and combine flags."""
    beta = [3, 10, 11, 500, 100000]
    for uid in beta:
        assert c.call("SETBIT", "flag:beta", str(uid), "1") == 0
    assert c.call("SETBIT", "flag:beta", "10", "1") == 1  # already on
    assert c.call("GETBIT", "flag:beta", "500") == 1
    assert c.call("GETBIT", "flag:beta", "501") == 0
    assert c.call("GETBIT", "flag:beta", "99999999") == 0  # past the end
    assert c.call("BITCOUNT", "flag:beta") == len(beta)
    assert c.call("STRLEN", "flag:beta") == 100000 // 8 + 1
    assert c.call("BITPOS", "flag:beta", "1") == 3  # first user with the flag
    assert c.call("BITPOS", "flag:beta", "1", "2") == 500  # from byte 2 on
    assert c.call("BITPOS", "flag:beta", "1", "12", "-1", "BIT") == 500
    for uid in (10, 20, 500):
        c.call("SETBIT", "flag:dark", str(uid), "1")
    # Users with both flags, and the kill switch for one user.
    assert c.call("BITOP", "AND", "flag:both", "flag:beta", "flag:dark") == 100000 // 8 + 1
    assert c.call("BITCOUNT", "flag:both") == 2
    assert c.call("SETBIT", "flag:beta", "500", "0") == 1
    assert c.call("BITCOUNT", "flag:beta", "0", "100", "BIT") == 3
    assert c.call("SETBIT", "flag:beta", "-1", "1") == E(
        "ERR bit offset is not an integer or out of range")
    assert c.call("SETBIT", "flag:beta", "1", "2") == E(
        "ERR bit is not an integer or out of range")


def test_daily_active_users_retention(c):
    """One bitmap per day; users active every day = AND, ever active = OR."""
    days = {"dau:mon": [1, 2, 3, 50], "dau:tue": [2, 3, 60], "dau:wed": [3, 2, 70, 1]}
    for key, users in days.items():
        for u in users:
            c.call("SETBIT", key, str(u), "1")
    assert c.call("BITOP", "AND", "dau:all3", *days) > 0
    assert c.call("BITCOUNT", "dau:all3") == 2
    assert c.call("BITOP", "OR", "dau:any", *days) > 0
    assert c.call("BITCOUNT", "dau:any") == 6
    assert c.call("BITOP", "XOR", "dau:odd", *days) > 0
    assert c.call("BITCOUNT", "dau:odd") == 5  # all but user 1 (active twice)
    assert c.call("BITOP", "NOT", "dau:none", "dau:any") > 0
    assert c.call("BITPOS", "dau:none", "0") == 1


def test_rate_limit_with_bitfield(c):
    """A 4-bit counter per client per minute: OVERFLOW FAIL refuses the 16th request."""
    minute = "7"
    results = [c.call("BITFIELD", "rl:client42", "OVERFLOW", "FAIL", "INCRBY", "u4",
                      "#" + minute, "1")[0] for _ in range(17)]
    assert results[:15] == list(range(1, 16))
    assert results[15:] == [None, None]
    assert c.call("BITFIELD_RO", "rl:client42", "GET", "u4", "#" + minute) == [15]
    assert c.call("BITFIELD_RO", "rl:client42", "GET", "u4", "#6") == [0]
    # Saturating counters stop at the top instead.
    assert c.call("BITFIELD", "rl:sat", "OVERFLOW", "SAT", "INCRBY", "u4", "0", "100",
                  "INCRBY", "i4", "4", "-100") == [15, -8]
    # Wrapping (the default) is modular.
    assert c.call("BITFIELD", "rl:wrap", "INCRBY", "u4", "0", "17", "GET", "u4", "0") == [1, 1]
    assert c.call("BITFIELD_RO", "rl:wrap", "INCRBY", "u4", "0", "1") == E(
        "ERR BITFIELD_RO only supports the GET subcommand")
    assert c.call("BITFIELD", "rl:wrap", "GET", "u64", "0") == E(
        "ERR Invalid bitfield type. Use something like i16 u8. Note that u64 is not supported "
        "but i64 is.")


def test_bit_commands_on_other_values(c):
    c.call("SET", "n", "12")  # an integer: its digits are the bytes
    assert c.call("GETBIT", "n", "2") == 1  # '1' = 0x31 = 00110001
    assert c.call("BITCOUNT", "n") == 3 + 3
    assert c.call("SETBIT", "n", "7", "0") == 1
    assert c.call("GET", "n") == b"02"
    assert c.call("OBJECT", "ENCODING", "n") == b"raw"
    c.call("SET", "s", "foobar")
    assert c.call("BITCOUNT", "s", "1", "1") == 6
    assert c.call("BITCOUNT", "s", "5", "30", "BIT") == 17
    assert c.call("BITPOS", "s", "0", "0", "-1") == 0
    assert c.call("BITFIELD", "s", "GET", "i8", "0", "GET", "u8", "#1") == [102, 111]
