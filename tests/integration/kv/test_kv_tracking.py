"""Client-side caching (CLIENT TRACKING): RESP3 invalidation pushes, RESP2 redirection to
__redis__:invalidate, BCAST prefixes, OPTIN/OPTOUT, NOLOOP, every write path (commands, expiry,
transactions, scripts, FLUSHALL), the table limit, and a near cache kept equal to the server
across 4 shard threads. Every test also passes against Redis (STRATA_SERVER_CMD=redis-server)."""

import random
import time

import pytest

from kv_harness import target_is_redis, wait_until
from kv_resp import Push, RespError, drain, encode


def call3(conn, *args):
    """Sends a command on a tracking connection; returns its reply and the pushes before it."""
    conn.send_raw(encode(*args))
    pushes = []
    while True:
        r = conn.read()
        if not isinstance(r, Push):
            return r, pushes
        pushes.append(r)


def invalidated(pushes):
    keys = []
    for p in pushes:
        assert isinstance(p, Push) and p[0] == b"invalidate", p
        keys += [None] if p[1] is None else list(p[1])
    return keys


@pytest.fixture
def t3(server):
    c = server.conn(protocol=3)
    yield c
    c.close()


@pytest.fixture
def w(server):
    c = server.conn()
    yield c
    c.close()


def test_read_then_write_elsewhere_invalidates(t3, w):
    assert t3.call("CLIENT", "TRACKING", "ON") == "OK"
    keys = ["k%d" % i for i in range(20)]  # spread over the shards
    w.pipeline([("SET", k, "1") for k in keys])
    assert t3.call("MGET", *keys) == [b"1"] * 20
    assert t3.call("GET", "k0") == b"1"
    for k in keys:
        w.call("SET", k, "2")
    got = invalidated(drain(t3))
    assert sorted(got) == sorted(k.encode() for k in keys)  # once each: the entry goes with the invalidation
    w.call("SET", "k0", "3")
    assert drain(t3) == []
    assert t3.call("GET", "never") is None  # misses are tracked too
    w.call("SET", "never", "x")
    assert invalidated(drain(t3)) == [b"never"]


def test_own_writes_and_noloop(t3, w):
    t3.call("CLIENT", "TRACKING", "ON")
    t3.call("GET", "a")
    assert t3.call("SET", "a", "1") == "OK"
    assert invalidated(drain(t3)) == [b"a"]
    t3.call("CLIENT", "TRACKING", "ON", "NOLOOP")
    t3.call("GET", "a")
    t3.call("SET", "a", "2")
    assert drain(t3) == []
    t3.call("GET", "a")
    w.call("SET", "a", "3")
    assert invalidated(drain(t3)) == [b"a"]


def test_optin_and_optout(server, w):
    a = server.conn(protocol=3)
    a.call("CLIENT", "TRACKING", "ON", "OPTIN")
    a.call("GET", "x")
    assert a.call("CLIENT", "CACHING", "YES") == "OK"
    a.call("GET", "y")
    a.call("GET", "z")  # CACHING YES covered only the previous command
    w.pipeline([("SET", k, "1") for k in ("x", "y", "z")])
    assert invalidated(drain(a)) == [b"y"]
    b = server.conn(protocol=3)
    b.call("CLIENT", "TRACKING", "ON", "OPTOUT")
    b.call("GET", "x")
    b.call("CLIENT", "CACHING", "NO")
    b.call("GET", "y")
    w.pipeline([("SET", k, "2") for k in ("x", "y")])
    assert invalidated(drain(b)) == [b"x"]
    info = b.call("CLIENT", "TRACKINGINFO")
    assert sorted(info[b"flags"]) == [b"on", b"optout"] and info[b"redirect"] == 0
    a.close()
    b.close()


def test_caching_in_multi_covers_the_transaction(t3, w):
    t3.call("CLIENT", "TRACKING", "ON", "OPTIN")
    t3.call("CLIENT", "CACHING", "YES")
    t3.call("MULTI")
    t3.call("GET", "m1")
    t3.call("GET", "m2")
    assert t3.call("EXEC") == [None, None]
    t3.call("GET", "m3")
    w.pipeline([("SET", k, "1") for k in ("m1", "m2", "m3")])
    assert sorted(invalidated(drain(t3))) == [b"m1", b"m2"]


def test_bcast_prefixes(server, w):
    c = server.conn(protocol=3)
    assert c.call("CLIENT", "TRACKING", "ON", "BCAST", "PREFIX", "user:", "PREFIX",
                  "acct:") == "OK"
    w.call("SET", "user:1", "a")
    w.call("SET", "other", "b")
    w.call("SET", "acct:7", "c")
    got = invalidated(drain(c))
    assert sorted(got) == [b"acct:7", b"user:1"]
    info = c.call("CLIENT", "TRACKINGINFO")
    assert sorted(info[b"flags"]) == [b"bcast", b"on"]
    assert sorted(info[b"prefixes"]) == [b"acct:", b"user:"]
    all_keys = server.conn(protocol=3)
    all_keys.call("CLIENT", "TRACKING", "ON", "BCAST", "NOLOOP")
    w.call("DEL", "other")
    r, pushes = call3(all_keys, "SET", "mine", "1")  # NOLOOP: not told about its own write
    assert r == "OK"
    assert invalidated(pushes + drain(all_keys)) == [b"other"]
    c.close()
    all_keys.close()


def test_tracking_errors(t3):
    def err(*a):
        r = t3.call(*a)
        assert isinstance(r, RespError), r
        return str(r)

    assert err("CLIENT", "TRACKING", "ON", "PREFIX", "a") == \
        "ERR PREFIX option requires BCAST mode to be enabled"
    assert err("CLIENT", "TRACKING", "ON", "BCAST", "OPTIN") == \
        "ERR OPTIN and OPTOUT are not compatible with BCAST"
    assert err("CLIENT", "TRACKING", "ON", "OPTIN", "OPTOUT") == \
        "ERR You can't specify both OPTIN mode and OPTOUT mode"
    assert err("CLIENT", "TRACKING", "ON", "REDIRECT", "999999") == \
        "ERR The client ID you want redirect to does not exist"
    assert err("CLIENT", "TRACKING", "ON", "BOGUS") == "ERR syntax error"
    assert err("CLIENT", "TRACKING", "MAYBE") == "ERR syntax error"
    assert err("CLIENT", "TRACKING", "ON", "BCAST", "PREFIX", "ab", "PREFIX", "abc") == \
        "ERR Prefix 'ab' overlaps with another provided prefix 'abc'. Prefixes for a single " \
        "client must not overlap."
    assert err("CLIENT", "CACHING", "YES") == \
        "ERR CLIENT CACHING can be called only when the client is in tracking mode with OPTIN " \
        "or OPTOUT mode enabled"
    t3.call("CLIENT", "TRACKING", "ON", "BCAST", "PREFIX", "ab")
    assert err("CLIENT", "TRACKING", "ON", "BCAST", "PREFIX", "abc") == \
        "ERR Prefix 'abc' overlaps with an existing prefix 'ab'. Prefixes for a single client " \
        "must not overlap."
    assert err("CLIENT", "TRACKING", "ON") == \
        "ERR You can't switch BCAST mode on/off before disabling tracking for this client, " \
        "and then re-enabling it with a different mode."
    assert err("CLIENT", "CACHING", "YES") == \
        "ERR CLIENT CACHING YES is only valid when tracking is enabled in OPTIN mode."
    t3.call("CLIENT", "TRACKING", "OFF")
    t3.call("CLIENT", "TRACKING", "ON", "OPTIN")
    assert err("CLIENT", "TRACKING", "ON", "OPTOUT") == \
        "ERR You can't switch OPTIN/OPTOUT mode before disabling tracking for this client, " \
        "and then re-enabling it with a different mode."
    assert err("CLIENT", "CACHING", "NO") == \
        "ERR CLIENT CACHING NO is only valid when tracking is enabled in OPTOUT mode."
    assert err("CLIENT", "CACHING", "MAYBE") == "ERR syntax error"


def test_trackinginfo_and_getredir(server, t3):
    assert t3.call("CLIENT", "GETREDIR") == -1
    info = t3.call("CLIENT", "TRACKINGINFO")
    assert list(info[b"flags"]) == [b"off"]
    assert info[b"redirect"] == -1 and info[b"prefixes"] == []
    r = server.conn()
    rid = r.call("CLIENT", "ID")
    t3.call("CLIENT", "TRACKING", "ON", "REDIRECT", str(rid), "NOLOOP")
    assert t3.call("CLIENT", "GETREDIR") == rid
    info = t3.call("CLIENT", "TRACKINGINFO")
    assert sorted(info[b"flags"]) == [b"noloop", b"on"] and info[b"redirect"] == rid
    lst = t3.call("CLIENT", "LIST", "ID", str(t3.call("CLIENT", "ID")))
    lst = lst.decode() if isinstance(lst, bytes) else str(lst)
    assert "flags=t " in lst and "redir=%d " % rid in lst
    r.close()


def test_resp2_redirect_to_invalidate_channel(server, w):
    sub = server.conn()
    rid = sub.call("CLIENT", "ID")
    assert sub.call("SUBSCRIBE", "__redis__:invalidate") == [b"subscribe",
                                                             b"__redis__:invalidate", 1]
    t2 = server.conn()
    assert t2.call("CLIENT", "TRACKING", "ON", "REDIRECT", str(rid)) == "OK"
    t2.call("GET", "rk")
    w.call("SET", "rk", "1")
    assert sub.read() == [b"message", b"__redis__:invalidate", [b"rk"]]
    w.call("FLUSHALL")
    assert sub.read() == [b"message", b"__redis__:invalidate", None]
    # The redirection target goes away: a RESP3 client is told so.
    t3 = server.conn(protocol=3)
    t3.call("CLIENT", "TRACKING", "ON", "REDIRECT", str(rid))
    t3.call("GET", "rk")
    sub.close()
    assert wait_until(lambda: b"id=%d " % rid not in w.call("CLIENT", "LIST"), 5)
    w.call("SET", "rk", "2")
    got = drain(t3)
    assert got == [[b"tracking-redir-broken", rid]]
    assert b"broken_redirect" in t3.call("CLIENT", "TRACKINGINFO")[b"flags"]
    t2.close()
    t3.close()


def test_flush_and_swapdb_send_null_invalidation(t3, w):
    t3.call("CLIENT", "TRACKING", "ON")
    t3.call("GET", "f")
    w.call("FLUSHDB")
    assert invalidated(drain(t3)) == [None]
    w.call("FLUSHALL")
    assert invalidated(drain(t3)) == [None]
    assert t3.call("FLUSHALL") == "OK"  # its own flush: the null comes after the reply
    assert invalidated(drain(t3)) == [None]


@pytest.mark.skipif(target_is_redis(), reason="Redis 7.0 does not invalidate on SWAPDB")
def test_swapdb_invalidates(t3, w):
    t3.call("CLIENT", "TRACKING", "ON")
    t3.call("GET", "s")
    w.call("SWAPDB", "0", "1")
    assert invalidated(drain(t3)) == [None]


def test_expiry_transactions_and_scripts_invalidate(t3, w):
    t3.call("CLIENT", "TRACKING", "ON")
    w.call("SET", "e1", "v", "PX", "50")
    w.call("SET", "e2", "v", "PX", "50")
    t3.call("MGET", "e1", "e2")
    time.sleep(0.1)
    assert w.call("GET", "e1") is None  # lazy expiry on read
    got = invalidated(drain(t3, quiet=0.3))
    assert b"e1" in got
    # e2 goes by active expiry (or lazily below); either way its reader hears of it.
    deadline = time.monotonic() + 5
    while b"e2" not in got and time.monotonic() < deadline:
        w.call("EXISTS", "e2")
        got += invalidated(drain(t3, quiet=0.1))
    assert b"e2" in got
    t3.call("MGET", "tx1", "tx2", "sc")
    w.call("MULTI")
    w.call("SET", "tx1", "1")
    w.call("INCR", "tx2")
    w.call("EXEC")
    w.call("EVAL", "redis.call('SET', KEYS[1], 'x') return 1", "1", "sc")
    assert sorted(invalidated(drain(t3))) == [b"sc", b"tx1", b"tx2"]


def test_table_limit_evicts_and_invalidates(server, t3, w):
    w.call("CONFIG", "SET", "tracking-table-max-keys", "10")
    try:
        t3.call("CLIENT", "TRACKING", "ON")
        keys = ["lim%d" % i for i in range(40)]
        pushes = []
        for k in keys:
            pushes += call3(t3, "GET", k)[1]
        got = invalidated(pushes + drain(t3))
        assert len(got) >= 28 and set(got) <= set(k.encode() for k in keys)
        stats = w.call("INFO", "stats").decode()
        n = int(stats.split("tracking_total_keys:")[1].split("\r\n")[0])
        assert n <= 12
    finally:
        w.call("CONFIG", "SET", "tracking-table-max-keys", "1000000")


def test_tracking_off_and_reset_stop_invalidations(server, w):
    c = server.conn(protocol=3)
    c.call("CLIENT", "TRACKING", "ON")
    c.call("GET", "o1")
    c.call("CLIENT", "TRACKING", "OFF")
    w.call("SET", "o1", "1")
    assert drain(c) == []
    c.call("CLIENT", "TRACKING", "ON")
    c.call("GET", "o2")
    assert c.call("RESET") == "RESET"
    w.call("SET", "o2", "1")
    assert drain(c) == []
    c.close()


class NearCache:
    """A RESP3 client with a local copy of what it read, dropped on invalidation."""

    def __init__(self, server):
        self.conn = server.conn(protocol=3)
        assert self.conn.call("CLIENT", "TRACKING", "ON") == "OK"
        self.local = {}

    def _handle(self, push):
        assert push[0] == b"invalidate", push
        if push[1] is None:
            self.local.clear()
        else:
            for k in push[1]:
                self.local.pop(k, None)

    def _reply(self):
        while True:
            r = self.conn.read()
            if isinstance(r, Push):
                self._handle(r)
                continue
            return r

    def get(self, key):
        if key in self.local:
            return self.local[key]
        self.conn.send_raw(b"*2\r\n$3\r\nGET\r\n$%d\r\n%s\r\n" % (len(key), key))
        v = self._reply()
        # Invalidations for this key that arrive from here on come after the read: the value
        # is kept until one of them drops it.
        self.local[key] = v
        return v

    def drain(self, quiet=0.3):
        for p in drain(self.conn, quiet=quiet):
            self._handle(p)


def test_near_cache_equals_server_after_random_writes(server):
    rnd = random.Random(2026)
    keys = [b"nc:%d" % i for i in range(60)]
    near = NearCache(server)
    writers = [server.conn() for _ in range(3)]
    for k in keys:
        writers[0].call("SET", k, "0")
    for i in range(1000):
        k = rnd.choice(keys)
        w = rnd.choice(writers)
        op = rnd.randrange(6)
        if op == 0:
            w.call("SET", k, str(i))
        elif op == 1:
            w.call("DEL", k)
        elif op == 2:
            w.call("APPEND", k, "x")
        elif op == 3:
            w.call("MSET", k, str(i), rnd.choice(keys), str(-i))
        elif op == 4:
            w.call("EVAL", "return redis.call('SET', KEYS[1], ARGV[1])", "1", k, "e%d" % i)
        else:
            w.call("PEXPIRE", k, "5")
        for _ in range(rnd.randrange(4)):
            near.get(rnd.choice(keys))
    time.sleep(0.05)  # let the short TTLs run out
    for k in keys:
        writers[0].call("EXISTS", k)  # expire the due ones now
    near.drain()
    truth = {k: writers[0].call("GET", k) for k in keys}
    stale = {k: (v, truth[k]) for k, v in near.local.items() if v != truth[k]}
    assert stale == {}
    assert len(near.local) > 0
    near.conn.close()
    for w in writers:
        w.close()
