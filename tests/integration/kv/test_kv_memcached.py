"""The memcached text protocol (--memcached-port) on strata-server's keyspace.

Every test runs on 1 and 4 shards. Clients: pymemcache (Debian's python3-pymemcache) and raw
sockets; RESP through the harness. The differential test at the end replays raw command lines
against Debian's memcached 1.6.18 and compares the replies byte for byte, CAS uniques and stats
numbers aside.
"""

import os
import re
import shutil
import socket
import subprocess
import threading
import time

import pytest
from pymemcache.client.base import Client

from kv_harness import HOST, Server, free_port, strata_available, target_is_redis
from kv_resp import RespError

pytestmark = pytest.mark.skipif(target_is_redis() or not strata_available(),
                                reason="strata-server's memcached listener")

SENTINEL = b"version\r\n"


@pytest.fixture(scope="module", params=[1, 4], ids=lambda n: "shards%d" % n)
def mcserver(request):
    s = Server(threads=request.param, memcached=True).start()
    yield s
    s.stop()


@pytest.fixture
def srv(mcserver):
    if not mcserver.alive():
        pytest.fail("server died:\n" + mcserver.log())
    with mcserver.conn() as admin:
        admin.call("FLUSHALL")
    yield mcserver
    assert mcserver.alive(), mcserver.log()


@pytest.fixture
def mc(srv):
    c = Client((HOST, srv.memcached_port), connect_timeout=5, timeout=5)
    yield c
    c.close()


@pytest.fixture
def r(srv):
    c = srv.conn()
    yield c
    c.close()


def raw(port, data, sentinel=True, timeout=5.0):
    """Sends `data` (plus a version command) on a fresh connection; returns the replies before
    the VERSION line, or everything up to the close when the server hangs up."""
    s = socket.create_connection((HOST, port), timeout=timeout)
    try:
        s.sendall(data + (SENTINEL if sentinel else b""))
        out = b""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if sentinel and re.search(rb"VERSION [^\r\n]*\r\n$", out):
                return out[:out.rindex(b"VERSION ")]
            try:
                chunk = s.recv(1 << 20)
            except socket.timeout:
                break
            if not chunk:
                return out + b"<closed>"
            out += chunk
        return out
    finally:
        s.close()


def keys_on_many_shards(n=12):
    return ["key:%d" % i for i in range(n)]


# ---- retrieval and storage ----


def test_set_get_and_multiget_in_key_order(srv, mc):
    keys = keys_on_many_shards()
    for i, k in enumerate(keys):
        assert mc.set(k, b"v%d" % i, noreply=False) is True
    got = mc.get_many(keys)
    assert got == {k: b"v%d" % i for i, k in enumerate(keys)}
    # Raw: replies in the order the keys were asked, misses skipped.
    order = list(reversed(keys)) + ["missing"]
    out = raw(srv.memcached_port, b"get " + " ".join(order).encode() + b"\r\n")
    expect = b"".join(b"VALUE %s 0 %d\r\nv%d\r\n" % (k.encode(), len(b"v%d" % keys.index(k)),
                                                      keys.index(k)) for k in reversed(keys))
    assert out == expect + b"END\r\n"
    assert mc.get("missing") is None


def test_add_replace_append_prepend(mc):
    assert mc.add("a", b"1", noreply=False) is True
    assert mc.add("a", b"2", noreply=False) is False
    assert mc.get("a") == b"1"
    assert mc.replace("a", b"3", noreply=False) is True
    assert mc.replace("nope", b"3", noreply=False) is False
    assert mc.append("a", b"4", noreply=False) is True
    assert mc.prepend("a", b"0", noreply=False) is True
    assert mc.get("a") == b"034"
    assert mc.append("nope", b"x", noreply=False) is False
    assert mc.prepend("nope", b"x", noreply=False) is False
    assert mc.get("nope") is None


def test_flags_per_key(srv, mc, r):
    mc.set("f", b"x", flags=42, noreply=False)
    mc.set("g", b"y", noreply=False)
    out = raw(srv.memcached_port, b"get f g\r\n")
    assert out == b"VALUE f 42 1\r\nx\r\nVALUE g 0 1\r\ny\r\nEND\r\n"
    # append keeps the flags; a RESP write replaces the value and its flags.
    mc.append("f", b"z", noreply=False)
    assert raw(srv.memcached_port, b"get f\r\n") == b"VALUE f 42 2\r\nxz\r\nEND\r\n"
    r.call("SET", "f", "resp")
    assert raw(srv.memcached_port, b"get f\r\n") == b"VALUE f 0 4\r\nresp\r\nEND\r\n"
    mc.set("h", b"1", flags=7, noreply=False)
    mc.incr("h", 5)
    assert raw(srv.memcached_port, b"get h\r\n") == b"VALUE h 7 1\r\n6\r\nEND\r\n"
    mc.touch("h", 100, noreply=False)
    assert raw(srv.memcached_port, b"get h\r\n") == b"VALUE h 7 1\r\n6\r\nEND\r\n"
    assert mc.add("h", b"other", flags=9, noreply=False) is False
    assert raw(srv.memcached_port, b"get h\r\n") == b"VALUE h 7 1\r\n6\r\nEND\r\n"


def test_cas(srv, mc, r):
    mc.set("c", b"1", noreply=False)
    v, cas = mc.gets("c")
    assert v == b"1" and cas
    v2, cas2 = mc.gets("c")
    assert cas2 == cas  # unchanged value: the same unique
    assert mc.cas("c", b"2", cas, noreply=False) is True
    assert mc.cas("c", b"3", cas, noreply=False) is False  # EXISTS: changed since
    assert mc.get("c") == b"2"
    assert mc.cas("missing", b"x", 1, noreply=False) is None  # NOT_FOUND
    # A key whose CAS was never handed out (RESP-written) answers EXISTS.
    r.call("SET", "fresh", "v")
    assert mc.cas("fresh", b"x", 12345, noreply=False) is False
    # Any change from RESP invalidates a handed-out CAS.
    _, cas = mc.gets("c")
    r.call("APPEND", "c", "z")
    assert mc.cas("c", b"9", cas, noreply=False) is False
    _, cas = mc.gets("c")
    r.call("EXPIRE", "c", "100")
    assert mc.cas("c", b"9", cas, noreply=False) is False
    # Uniques differ across keys of different shards.
    uniques = set()
    for k in keys_on_many_shards():
        mc.set(k, b"v", noreply=False)
        uniques.add(mc.gets(k)[1])
    assert len(uniques) == len(keys_on_many_shards())
    # Raw: gets shows the unique; cas with it stores, with flags.
    out = raw(srv.memcached_port, b"gets c\r\n")
    m = re.match(rb"VALUE c 0 2 (\d+)\r\n", out)
    assert m, out
    out = raw(srv.memcached_port, b"cas c 5 0 1 %s\r\nq\r\nget c\r\n" % m.group(1))
    assert out == b"STORED\r\nVALUE c 5 1\r\nq\r\nEND\r\n"


def test_cas_race(srv):
    port = srv.memcached_port
    Client((HOST, port)).set("race", b"0", noreply=False)
    wins = []

    def worker():
        c = Client((HOST, port), timeout=5)
        for _ in range(50):
            while True:
                v, cas = c.gets("race")
                if c.cas("race", str(int(v) + 1).encode(), cas, noreply=False):
                    wins.append(1)
                    break
        c.close()

    threads = [threading.Thread(target=worker) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    assert Client((HOST, port)).get("race") == b"200"
    assert len(wins) == 200


def test_incr_decr(srv, mc, r):
    mc.set("n", b"10", noreply=False)
    assert mc.incr("n", 5) == 15
    assert mc.decr("n", 20) == 0  # floors at 0
    assert mc.incr("n", 2**64 - 1) == 2**64 - 1
    assert mc.incr("n", 2) == 1  # wraps at 2^64
    assert r.call("GET", "n") == b"1"
    assert mc.incr("missing", 1) is None
    r.call("INCRBY", "n", "41")
    assert mc.incr("n", 0) == 42
    mc.set("s", b"abc", noreply=False)
    out = raw(srv.memcached_port, b"incr s 1\r\ndecr s 1\r\nincr n x\r\nincr n -1\r\n")
    assert out == (b"CLIENT_ERROR cannot increment or decrement non-numeric value\r\n" * 2 +
                   b"CLIENT_ERROR invalid numeric delta argument\r\n" * 2)


def test_touch_gat_and_expiry(srv, mc, r):
    mc.set("t", b"v", noreply=False)
    assert mc.touch("t", 100, noreply=False) is True
    assert 95 <= r.call("TTL", "t") <= 100
    assert mc.touch("missing", 100, noreply=False) is False
    out = raw(srv.memcached_port, b"gat 200 t missing\r\n")
    assert out == b"VALUE t 0 1\r\nv\r\nEND\r\n"
    assert 195 <= r.call("TTL", "t") <= 200
    out = raw(srv.memcached_port, b"gats 0 t\r\n")
    assert re.match(rb"VALUE t 0 1 \d+\r\nv\r\nEND\r\n$", out), out
    assert r.call("TTL", "t") == -1
    # Relative, absolute (> 30 days) and negative expiry times.
    now = int(time.time())
    mc.set("abs", b"v", expire=now + 1000, noreply=False)
    assert 990 <= r.call("TTL", "abs") <= 1000
    mc.set("past", b"v", expire=now - 10, noreply=False)
    assert mc.get("past") is None
    out = raw(srv.memcached_port, b"set neg 0 -1 1\r\nx\r\nget neg\r\n")
    assert out == b"STORED\r\nEND\r\n"
    mc.set("short", b"v", expire=1, noreply=False)
    assert mc.get("short") == b"v"
    time.sleep(2.1)
    assert mc.get("short") is None
    # A negative touch expires at once; gat with it still returns the value.
    mc.set("gone", b"v", noreply=False)
    assert raw(srv.memcached_port, b"gat -1 gone\r\nget gone\r\n") == \
        b"VALUE gone 0 1\r\nv\r\nEND\r\nEND\r\n"


def test_delete_and_noreply(srv, mc, r):
    mc.set("d", b"v", noreply=False)
    assert mc.delete("d", noreply=False) is True
    assert mc.delete("d", noreply=False) is False
    # Every command with noreply answers nothing, errors included.
    out = raw(srv.memcached_port,
              b"set a 0 0 1 noreply\r\n1\r\nadd a 0 0 1 noreply\r\n2\r\n"
              b"replace a 0 0 1 noreply\r\n3\r\nappend a 0 0 1 noreply\r\n4\r\n"
              b"prepend a 0 0 1 noreply\r\n5\r\nincr a 1 noreply\r\ndecr a 2 noreply\r\n"
              b"touch a 10 noreply\r\ncas a 0 0 1 1 noreply\r\nx\r\nincr a x noreply\r\n"
              b"delete zz noreply\r\nverbosity 1 noreply\r\n"
              b"set c 0 0 1 noreply\r\n1\r\ndelete c noreply\r\nflush_all 100 noreply\r\n")
    assert out == b""
    assert r.call("GET", "a") == b"533"
    assert r.call("EXISTS", "c") == 0


def test_cross_protocol(srv, mc, r):
    mc.set("m2r", b"from-memcached", noreply=False)
    assert r.call("GET", "m2r") == b"from-memcached"
    r.call("SET", "r2m", "from-resp")
    assert mc.get("r2m") == b"from-resp"
    r.call("DEL", "m2r")
    assert mc.get("m2r") is None
    r.call("HSET", "hash", "f", "v")
    assert mc.get("hash") is None  # not a string: a miss
    assert mc.delete("hash", noreply=False) is True
    # WATCH sees memcached writes; keyspace stats count them.
    r.call("SET", "w", "1")
    r.call("WATCH", "w")
    mc.set("w", b"2", noreply=False)
    r.call("MULTI")
    r.call("SET", "w", "3")
    assert r.call("EXEC") is None
    assert mc.get("w") == b"2"


def test_large_values(srv, mc):
    limit = 1024 * 1024
    key = "big"
    fits = limit - 48 - 8 - 1 - 2 - len(key)
    v = os.urandom(fits // 2).hex().encode()[:fits]
    assert mc.set(key, v, noreply=False) is True
    assert mc.get(key) == v
    out = raw(srv.memcached_port, b"set big 0 0 %d\r\n" % (fits + 1) + b"x" * (fits + 1) +
              b"\r\nget big\r\n")
    # Too large: the error, and a set drops the old value (as memcached).
    assert out == b"SERVER_ERROR object too large for cache\r\nEND\r\n"
    out = raw(srv.memcached_port, b"set big 0 0 %d\r\n" % (4 * limit) + b"y" * (4 * limit) +
              b"\r\nset ok 0 0 1\r\n1\r\n", timeout=20)
    assert out == b"SERVER_ERROR object too large for cache\r\nSTORED\r\n"


def test_protocol_errors(srv):
    port = srv.memcached_port
    cases = [
        (b"foo\r\n", b"ERROR\r\n"),
        (b"\r\n", b"ERROR\r\n"),
        (b"GET a\r\n", b"ERROR\r\n"),
        (b"mg a v\r\n", b"EN\r\n"),
        (b"mx a v\r\n", b"ERROR\r\n"),
        (b"get\r\n", b"ERROR\r\n"),
        (b"set a 0 0\r\n", b"ERROR\r\n"),
        (b"set a x 0 1\r\nx\r\n", b"CLIENT_ERROR bad command line format\r\nERROR\r\n"),
        (b"set a 0 0 -1\r\n", b"CLIENT_ERROR bad command line format\r\n"),
        (b"set a 0 0 1\r\nxy\r\n", b"CLIENT_ERROR bad data chunk\r\nERROR\r\n"),
        (b"get " + b"k" * 251 + b"\r\n", b"CLIENT_ERROR bad command line format\r\n"),
        (b"set " + b"k" * 251 + b" 0 0 1\r\nx\r\n",
         b"CLIENT_ERROR bad command line format\r\nERROR\r\n"),
        (b"delete a 1\r\n",
         b"CLIENT_ERROR bad command line format.  Usage: delete <key> [noreply]\r\n"),
        (b"touch a x\r\n", b"CLIENT_ERROR invalid exptime argument\r\n"),
        (b"flush_all x\r\n", b"CLIENT_ERROR invalid exptime argument\r\n"),
        (b"verbosity x\r\n", b"CLIENT_ERROR bad command line format\r\n"),
        (b"stats nosuch\r\n", b"ERROR\r\n"),
        (b"cas a 0 0 1\r\n", b"ERROR\r\n"),
        (b"get a\x01b\r\n", b"CLIENT_ERROR bad command line format\r\n"),
    ]
    for req, want in cases:
        assert raw(port, req) == want, req


def test_foreign_protocols_close(srv, mc):
    port = srv.memcached_port
    out = raw(port, b"\x80\x00\x00\x05" + b"\x00" * 20, sentinel=False)
    assert out.endswith(b"<closed>") and out.startswith(b"CLIENT_ERROR"), out
    assert raw(port, b"GET / HTTP/1.0\r\n\r\n", sentinel=False) == b"<closed>"
    # A long line that is not a get: closed.
    assert raw(port, b"x" * 5000, sentinel=False) == b"<closed>"
    # A long multi-get is fine.
    keys = b" ".join(b"k%d" % i for i in range(1000))
    assert raw(port, b"get " + keys + b"\r\n") == b"END\r\n"
    assert raw(port, b"quit\r\nget a\r\n", sentinel=False) == b"<closed>"
    assert mc.version() == b"1.6.18"


def test_stats(srv, mc):
    mc.set("s1", b"v", noreply=False)
    mc.get("s1")
    mc.get("nope")
    st = {k.decode(): v for k, v in mc.stats().items()}
    for name in ("pid uptime time version curr_connections total_connections cmd_get cmd_set "
                 "get_hits get_misses delete_hits delete_misses incr_hits incr_misses decr_hits "
                 "decr_misses touch_hits touch_misses curr_items bytes evictions limit_maxbytes "
                 "threads").split():
        assert name in st, name
    assert st["curr_items"] == 1
    assert st["cmd_get"] >= 2 and st["get_hits"] >= 1 and st["get_misses"] >= 1
    assert st["threads"] == srv.threads
    settings = mc.stats("settings")
    assert b"item_size_max" in settings and b"maxconns" in settings
    out = raw(srv.memcached_port, b"stats\r\n")
    assert out.startswith(b"STAT pid ") and out.endswith(b"END\r\n")


def test_flush_all(srv, mc, r):
    for k in keys_on_many_shards():
        mc.set(k, b"v", noreply=False)
    r.call("SELECT", "1")
    r.call("SET", "other-db", "kept")
    r.call("SELECT", "0")
    assert mc.flush_all(noreply=False) is True
    assert mc.get_many(keys_on_many_shards()) == {}
    r.call("SELECT", "1")
    assert r.call("GET", "other-db") == b"kept"
    r.call("SELECT", "0")
    mc.set("later", b"v", noreply=False)
    assert raw(srv.memcached_port, b"flush_all 1\r\n") == b"OK\r\n"
    assert mc.get("later") == b"v"
    time.sleep(1.5)
    assert mc.get("later") is None


def test_resp_side_effects(srv, mc, r):
    r.call("CONFIG", "RESETSTAT")
    mc.set("x", b"1", noreply=False)
    mc.incr("x", 1)
    info = r.call("INFO", "commandstats").decode()
    assert "cmdstat_set:calls=2" in info, info


# ---- differential check against memcached 1.6.18 ----

DIFF_CASES = [
    b"set a 0 0 1\r\nx\r\nget a\r\n",
    b"set a 5 0 3\r\nabc\r\nget a b\r\ngets a\r\n",
    b"add a 0 0 1\r\nx\r\nadd a 0 0 1\r\ny\r\nget a\r\n",
    b"replace a 0 0 1\r\nx\r\nset a 0 0 1\r\nx\r\nreplace a 1 0 1\r\nz\r\nget a\r\n",
    b"append a 0 0 1\r\nx\r\nset a 3 0 1\r\nx\r\nappend a 0 0 2\r\nyz\r\nprepend a 0 0 1\r\nw\r\n"
    b"get a\r\n",
    b"set n 0 0 2\r\n10\r\nincr n 5\r\ndecr n 100\r\nincr n 18446744073709551615\r\nincr n 2\r\n"
    b"incr zz 1\r\ndecr zz 1\r\n",
    b"set s 0 0 3\r\nabc\r\nincr s 1\r\nincr s x\r\nincr s -1\r\nincr\r\nincr s\r\n",
    b"set d 0 0 1\r\nx\r\ndelete d\r\ndelete d\r\ndelete d 0\r\ndelete d 1\r\ndelete\r\n",
    b"touch a 10\r\ntouch zz 10\r\ntouch a\r\ntouch a x\r\n",
    b"set a 0 0 1\r\nx\r\ngat 100 a zz\r\ngat x a\r\ngat 0\r\ngat\r\n",
    b"cas a 0 0 1 1\r\nx\r\ncas zz 0 0 1 1\r\nx\r\ncas a 0 0 1\r\ncas a 0 0 1 x\r\nx\r\n",
    b"set a 0 0 1\r\nxy\r\nget a\r\n",
    b"set a 0 0 -1\r\nset a x 0 1\r\nx\r\nset a -1 0 1\r\nx\r\nset a 0 0\r\n",
    b"set a 0 0 1 junk\r\nx\r\nset a 0 0 1 noreply junk\r\nx\r\n",
    b"set a 0 0 1 noreply\r\nx\r\nget a\r\nset a 0 0 1 noreply\r\nxyz\r\n",
    b"get " + b"k" * 250 + b"\r\nset " + b"k" * 250 + b" 0 0 1\r\nx\r\n",
    b"get " + b"k" * 251 + b"\r\n",
    b"set " + b"k" * 251 + b" 0 0 1\r\nx\r\n",
    b"flush_all\r\nflush_all 0\r\nflush_all x\r\nflush_all 0 noreply\r\nget a\r\n",
    # Pipelined: the flush is between the stores, on every shard (the keys spread over them).
    b"".join(b"set k%d 0 0 1\r\nx\r\n" % i for i in range(12)) + b"flush_all\r\n" +
    b"set k3 0 0 1\r\ny\r\nget " + b" ".join(b"k%d" % i for i in range(12)) + b"\r\n",
    b"verbosity\r\nverbosity 1\r\nverbosity x\r\nverbosity 1 noreply\r\n",
    b"foo\r\n\r\nGET a\r\nstats nosuch\r\n",
    b"set big 0 0 2000000\r\n" + b"v" * 2000000 + b"\r\nget big\r\n",
    b"set e 0 0 0\r\n\r\nget e\r\nincr e 1\r\n",
    b"set n 0 0 3\r\n-12\r\nincr n 1\r\nset n 0 0 2\r\n 7\r\nincr n 1\r\n",
    b"set f 4294967296 0 1\r\nx\r\nset g 4294967295 0 1\r\nx\r\nget f g\r\n",
    b"set t 0 -1 1\r\nx\r\nget t\r\nset t 0 0 1\r\nx\r\ntouch t -1\r\nget t\r\n",
    b"version\r\nquit\r\nget a\r\n",
    b"set ap 0 0 600000\r\n" + b"a" * 600000 + b"\r\nappend ap 0 0 600000\r\n" +
    b"b" * 600000 + b"\r\nprepend ap 0 0 600000\r\n" + b"c" * 600000 + b"\r\nappend ap 0 0 1\r\n"
    b"d\r\n",
]

CAS_RE = re.compile(rb"^(VALUE \S+ \d+ \d+) \d+\r\n", re.M)


def _memcached_binary():
    return shutil.which("memcached") or ("/usr/bin/memcached"
                                         if os.path.exists("/usr/bin/memcached") else None)


@pytest.fixture(scope="module")
def real_memcached():
    binary = _memcached_binary()
    if not binary:
        pytest.skip("memcached is not installed")
    port = free_port()
    argv = [binary, "-p", str(port), "-U", "0", "-t", "2", "-l", HOST]
    if os.geteuid() == 0:
        argv += ["-u", "nobody"]
    proc = subprocess.Popen(argv, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        try:
            socket.create_connection((HOST, port), timeout=1).close()
            break
        except OSError:
            time.sleep(0.05)
    yield port
    proc.terminate()
    proc.wait(10)


def _normalize(out):
    return CAS_RE.sub(rb"\1 <cas>\r\n", out)


@pytest.mark.parametrize("case", range(len(DIFF_CASES)))
def test_differential_vs_memcached(srv, real_memcached, case):
    data = DIFF_CASES[case]
    closes = b"quit\r\n" in data
    got = []
    for port in (real_memcached, srv.memcached_port):
        raw(port, b"flush_all\r\n")
        got.append(_normalize(raw(port, data, sentinel=not closes, timeout=10)))
    assert got[1] == got[0], data[:200]


# ---- limits, eviction, security ----


def _private(mcserver, args):
    return Server(threads=mcserver.threads, memcached=True, args=args).start()


def test_maxmemory_noeviction_and_eviction(mcserver):
    s = _private(mcserver, ["--maxmemory", "2mb", "--maxmemory-policy", "noeviction"])
    with s.conn() as rc:
        allocator = rc.call("INFO", "memory").decode()
    if "mem_allocator:libc" in allocator:
        s.stop()
        # A sanitized build counts memory process-wide, not per shard (see the unit tests).
        pytest.skip("sanitizer build: memory is not counted per shard")
    try:
        c = Client((HOST, s.memcached_port), timeout=5)
        value = b"x" * 10000
        errors = 0
        for i in range(1000):
            try:
                c.set("k%d" % i, value, flags=3, noreply=False)
            except Exception as e:  # pymemcache raises MemcacheServerError
                assert "out of memory storing object" in str(e), e
                errors += 1
        assert errors > 0
        assert b"store_no_memory" in raw(s.memcached_port, b"stats\r\n")
    finally:
        s.stop()
    s = _private(mcserver, ["--maxmemory", "2mb", "--maxmemory-policy", "allkeys-lru"])
    try:
        c = Client((HOST, s.memcached_port), timeout=5)
        for i in range(1000):
            assert c.set("k%d" % i, b"y" * 10000, flags=5, noreply=False)
            c.gets("k%d" % i)
        st = c.stats()
        assert st[b"evictions"] > 0
        got = c.get_many(["k%d" % i for i in range(990, 1000)])
        assert got, "recent keys survive"
        out = raw(s.memcached_port, b"get k999\r\n")
        assert out.startswith(b"VALUE k999 5 10000\r\n")
        with s.conn() as rc:
            assert int(rc.call("INFO", "stats").decode().split("evicted_keys:")[1].split()[0]) > 0
    finally:
        s.stop()


def test_password_limits_memcached_to_local_clients(mcserver):
    s = _private(mcserver, ["--requirepass", "secret"])
    try:
        local = Client((HOST, s.memcached_port), timeout=5)
        assert local.set("a", b"1", noreply=False)
        remote = socket.socket()
        remote.bind(("127.0.0.2", 0))
        remote.settimeout(5)
        remote.connect((HOST, s.memcached_port))
        data = b""
        while True:
            chunk = remote.recv(4096)
            if not chunk:
                break
            data += chunk
        remote.close()
        assert data.startswith(b"SERVER_ERROR") and b"loopback" in data, data
    finally:
        s.stop()


def test_stats_reset_and_notifications(srv, mc, r):
    mc.get("nope")
    assert raw(srv.memcached_port, b"stats reset\r\n") == b"RESET\r\n"
    assert mc.stats()[b"get_misses"] == 0
    r.call("CONFIG", "SET", "notify-keyspace-events", "KEA")
    sub = srv.conn()
    sub.call("PSUBSCRIBE", "__keyevent@0__:*")
    try:
        mc.set("n1", b"v", noreply=False)
        mc.delete("n1", noreply=False)
        events = [sub.read()[2] for _ in range(2)]
        assert events == [b"__keyevent@0__:set", b"__keyevent@0__:del"], events
    finally:
        sub.close()
        r.call("CONFIG", "SET", "notify-keyspace-events", "")


def test_memcached_port_from_config_file(tmp_path):
    port = free_port()
    conf = tmp_path / "strata.conf"
    conf.write_text("memcached-port %d\n" % port)
    s = Server(threads=2, config_file=str(conf), workdir=str(tmp_path)).start()
    try:
        c = Client((HOST, port), timeout=5)
        assert c.set("k", b"v", noreply=False)
        with s.conn() as rc:
            assert rc.call("GET", "k") == b"v"
            assert rc.call("CONFIG", "GET", "memcached-port") == [b"memcached-port",
                                                                   str(port).encode()]
    finally:
        s.stop()


def test_off_by_default(mcserver):
    s = Server(threads=1).start()
    try:
        assert "memcached" not in s.log()
    finally:
        s.stop()


def test_idle_timeout_closes_memcached_clients(mcserver):
    s = _private(mcserver, ["--timeout", "1"])
    try:
        sock = socket.create_connection((HOST, s.memcached_port), timeout=10)
        sock.sendall(b"version\r\n")
        assert sock.recv(100) == b"VERSION 1.6.18\r\n"
        start = time.monotonic()
        assert sock.recv(100) == b""  # closed by the server
        assert time.monotonic() - start < 5
        sock.close()
    finally:
        s.stop()


def test_pipeline_keeps_request_order(srv):
    """A deep pipeline over keys of every shard, with errors, versions and multi-gets between."""
    req, want = b"", b""
    for i in range(300):
        k = b"p%d" % i
        req += b"set %s %d 0 %d\r\n%s\r\n" % (k, i, len(k), k)
        want += b"STORED\r\n"
        if i % 7 == 0:
            req += b"bogus\r\n"
            want += b"ERROR\r\n"
        if i % 11 == 0:
            req += b"version\r\n"
            want += b"VERSION 1.6.18\r\n"
        if i % 5 == 0:
            ks = [b"p%d" % j for j in range(max(0, i - 4), i + 1)]
            req += b"get " + b" ".join(ks) + b" nope\r\n"
            # Earlier keys were replaced by "add ... z" below; the current one is as set.
            want += b"".join(b"VALUE %s 0 1\r\nz\r\n" % x for x in ks[:-1])
            want += b"VALUE %s %d %d\r\n%s\r\n" % (k, i, len(k), k) + b"END\r\n"
        req += b"incr %s 1\r\n" % k
        want += b"CLIENT_ERROR cannot increment or decrement non-numeric value\r\n"
        req += b"delete %s noreply\r\nadd %s 0 0 1\r\nz\r\n" % (k, k)
        want += b"STORED\r\n"
    req += b"stats reset\r\n"
    want += b"RESET\r\n"
    assert raw(srv.memcached_port, req, timeout=30) == want


def test_client_pause_holds_memcached_writes(srv, mc, r):
    mc.set("p", b"1", noreply=False)
    r.call("CLIENT", "PAUSE", "700", "WRITE")
    start = time.monotonic()
    assert mc.get("p") == b"1"  # reads go on under a WRITE pause
    assert time.monotonic() - start < 0.5
    assert mc.set("p", b"2", noreply=False)
    assert time.monotonic() - start >= 0.5
    # ALL holds reads too, until the pause ends by itself.
    r.call("CLIENT", "PAUSE", "400", "ALL")
    start = time.monotonic()
    assert mc.get("p") == b"2"
    assert 0.3 <= time.monotonic() - start < 3
    # CLIENT UNPAUSE resumes a held write at once.
    r.call("CLIENT", "PAUSE", "100000", "WRITE")
    try:
        sock = socket.create_connection((HOST, srv.memcached_port), timeout=5)
        sock.sendall(b"set p 0 0 1\r\n3\r\n")
        sock.settimeout(0.3)
        with pytest.raises(socket.timeout):
            sock.recv(100)
    finally:
        r.call("CLIENT", "UNPAUSE")
    sock.settimeout(5)
    assert sock.recv(100) == b"STORED\r\n"
    sock.close()
    assert mc.get("p") == b"3"


def test_item_size_limit_is_configurable(mcserver):
    """memcached-max-item-size is memcached's -I: a value whose item passes it is refused, on the
    command line and at run time (CONFIG SET); stats settings reports it."""
    s = _private(mcserver, ["--memcached-max-item-size", "4kb"])
    try:
        port = s.memcached_port
        fits = 4096 - 48 - 8 - 1 - 2 - len("k")
        out = raw(port, b"set k 0 0 %d\r\n%s\r\nset k 0 0 %d\r\n%s\r\nget k\r\n" %
                  (fits, b"a" * fits, fits + 1, b"b" * (fits + 1)))
        assert out == b"STORED\r\nSERVER_ERROR object too large for cache\r\nEND\r\n"
        assert b"STAT item_size_max 4096\r\n" in raw(port, b"stats settings\r\n")
        with s.conn() as rc:
            assert rc.call("CONFIG", "GET", "memcached-max-item-size") == [
                b"memcached-max-item-size", b"4096"]
            assert rc.call("CONFIG", "SET", "memcached-max-item-size", "1mb") == "OK"
            assert isinstance(rc.call("CONFIG", "SET", "memcached-max-item-size", "100"),
                              RespError)
        out = raw(port, b"set k 0 0 %d\r\n%s\r\nmg k s\r\n" % (fits + 1, b"b" * (fits + 1)))
        assert out == b"STORED\r\nHD s%d\r\n" % (fits + 1)
    finally:
        s.stop()
