"""Leases: memcached's stale/win semantics (mg N, md I, W/Z/X) and LEASE.GET/SET/RELEASE over RESP,
on one lease state per key.

Every test runs on 1 and 4 shards. The stampede tests run ~1,000 concurrent clients (asyncio
sockets) against one hot key whose recompute takes 200 ms; they count recomputes, never time.
"""

import asyncio
import os
import re
import time

import pytest

from kv_harness import HOST, Server, strata_available, target_is_redis
from kv_resp import RespError
from test_kv_memcached_meta import Mc, normalize
import test_kv_memcached as base

pytestmark = pytest.mark.skipif(target_is_redis() or not strata_available(),
                                reason="strata-server's memcached listener and LEASE commands")

real_memcached = base.real_memcached
CLIENTS = 1000
RECOMPUTE_S = 0.2


@pytest.fixture(scope="module", params=[1, 4], ids=lambda n: "shards%d" % n)
def mcserver(request):
    s = Server(threads=request.param, memcached=True, args=["--maxclients", "5000"]).start()
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
def r(srv):
    c = srv.conn()
    yield c
    c.close()


# ---- memcached protocol ----

LEASE_SCRIPT = (
    # A miss vivifies: one winner (W), the others see Z on the empty placeholder.
    b"mg k N30 v t\r\nmg k N30 v\r\nmg k v\r\n"
    # The winner fills; the value is plain again.
    b"ms k 3 T100\r\nnew\r\nmg k v N30\r\n"
    # Invalidation: the next reader wins with the stale value (X W), others get X Z.
    b"md k I T30\r\nmg k v t\r\nmg k v\r\nmg k v N30\r\n"
    # A fill with an older CAS and I stays stale; a normal set clears the lease.
    b"ms k 3 C1 I\r\nold\r\nmg k v\r\nms k 3\r\nnow\r\nmg k v\r\n"
    # md I on a missing key, md q I, and R (recache) wins once.
    b"md nope I\r\nms k 1 T50\r\nx\r\nmg k R100 v\r\nmg k R100 v\r\n"
    b"get k\r\nmd k q\r\nmg k v\r\n"
)


def test_lease_flags_match_memcached(srv, real_memcached):
    got = []
    for port in (real_memcached, srv.memcached_port):
        c = Mc(port)
        try:
            c.batch(b"md k\r\nmd nope\r\n")
            got.append(normalize(c.batch(LEASE_SCRIPT)))
        finally:
            c.close()
    assert got[1] == got[0]
    assert b" W" in got[1] and b" Z" in got[1] and b" X" in got[1]


def test_stale_set_refused_memcached(srv):
    """Reader A misses and wins the fill; writer B updates and deletes the key; A's late fill
    with its old CAS is refused."""
    a, b = Mc(srv.memcached_port), Mc(srv.memcached_port)
    try:
        out = a.batch(b"mg hot N30 c v\r\n")
        m = re.match(rb"VA 0 c(\d+) W\r\n\r\n$", out)
        assert m, out
        token = m.group(1)
        assert b.batch(b"mg hot v\r\n") == b"VA 0 Z\r\n\r\n"
        assert b.batch(b"ms hot 2\r\nv2\r\n") == b"HD\r\n"
        assert a.batch(b"ms hot 2 C" + token + b"\r\nv1\r\n") == b"EX\r\n"
        assert b.batch(b"md hot\r\n") == b"HD\r\n"
        assert a.batch(b"ms hot 2 C" + token + b"\r\nv1\r\n") == b"NF\r\n"
        assert a.batch(b"mg hot v\r\n") == b"EN\r\n"
    finally:
        a.close()
        b.close()


def test_win_expires(srv):
    """A fill handed out and never done does not wedge the key: the placeholder has the N ttl."""
    c = Mc(srv.memcached_port)
    try:
        assert c.batch(b"mg w N1 v\r\n") == b"VA 0 W\r\n\r\n"
        assert c.batch(b"mg w N1 v\r\n") == b"VA 0 Z\r\n\r\n"
        time.sleep(2.2)
        assert c.batch(b"mg w N1 v\r\n") == b"VA 0 W\r\n\r\n"
    finally:
        c.close()


# ---- RESP ----


def test_lease_get_set_release(r):
    win = r.call("LEASE.GET", "k", "10000")
    assert win[0] == b"WIN" and len(win) == 2, win
    token = win[1]
    assert r.call("LEASE.GET", "k", "10000") == [b"WAIT"]
    assert r.call("GET", "k") == b""  # the placeholder, as memcached's vivified item
    assert isinstance(r.call("LEASE.SET", "k", "123", "v"), RespError)
    assert r.call("LEASE.SET", "k", token, "v1", "EX", "100") == "OK"
    assert r.call("LEASE.GET", "k", "10000") == [b"HIT", b"v1"]
    assert 0 < r.call("TTL", "k") <= 100
    # A used token is gone.
    assert isinstance(r.call("LEASE.SET", "k", token, "v2"), RespError)
    # RELEASE of a placeholder deletes it, and the next reader wins.
    r.call("DEL", "k")
    token = r.call("LEASE.GET", "k", "10000")[1]
    assert r.call("LEASE.RELEASE", "k", "1") == 0
    assert r.call("LEASE.RELEASE", "k", token) == 1
    assert r.call("EXISTS", "k") == 0
    assert r.call("LEASE.GET", "k", "10000")[0] == b"WIN"


def test_lease_errors(r):
    assert r.call("LEASE.GET", "k", "0") == RespError("ERR invalid lease ttl")
    assert r.call("LEASE.GET", "k", "x") == RespError("ERR invalid lease ttl")
    assert isinstance(r.call("LEASE.GET", "k"), RespError)
    assert isinstance(r.call("LEASE.SET", "k", "1", "v", "EX"), RespError)
    assert isinstance(r.call("LEASE.SET", "k", "1", "v", "KEEPTTL", "1"), RespError)
    r.call("HSET", "h", "f", "v")
    assert str(r.call("LEASE.GET", "h", "100")).find("WRONGTYPE") >= 0
    r.call("SELECT", "1")
    assert isinstance(r.call("LEASE.GET", "k", "100"), RespError)
    r.call("SELECT", "0")


def test_stale_set_refused_resp(srv):
    """Reader A misses and takes a lease; writer B updates and deletes the key; A's late set with
    its old token is refused, and the key keeps B's outcome."""
    a, b = srv.conn(), srv.conn()
    try:
        kind, token = a.call("LEASE.GET", "hot", "10000")
        assert kind == b"WIN"
        assert b.call("SET", "hot", "fresh") == "OK"
        assert b.call("DEL", "hot") == 1
        err = a.call("LEASE.SET", "hot", token, "late")
        assert isinstance(err, RespError) and err.message.startswith("ERR "), err
        assert a.call("GET", "hot") is None
        # An update alone voids it too.
        kind, token = a.call("LEASE.GET", "hot", "10000")
        b.call("SET", "hot", "fresh")
        assert isinstance(a.call("LEASE.SET", "hot", token, "late"), RespError)
        assert a.call("GET", "hot") == b"fresh"
    finally:
        a.close()
        b.close()


def test_lease_expires(r):
    kind, token = r.call("LEASE.GET", "e", "200")
    assert kind == b"WIN"
    time.sleep(0.5)
    assert isinstance(r.call("LEASE.SET", "e", token, "late"), RespError)
    assert r.call("LEASE.GET", "e", "200")[0] == b"WIN"


def test_cross_protocol_leases(srv, r):
    c = Mc(srv.memcached_port)
    try:
        # A RESP lease: memcached readers see the placeholder taken (Z).
        kind, token = r.call("LEASE.GET", "x", "10000")
        assert kind == b"WIN"
        assert c.batch(b"mg x v N30\r\n") == b"VA 0 Z\r\n\r\n"
        # A memcached write voids the RESP token.
        assert c.batch(b"ms x 2\r\nmc\r\n") == b"HD\r\n"
        assert isinstance(r.call("LEASE.SET", "x", token, "resp"), RespError)
        # memcached invalidation: the RESP reader wins with the stale value, memcached sees Z.
        assert c.batch(b"md x I\r\n") == b"HD\r\n"
        win = r.call("LEASE.GET", "x", "10000")
        assert win[0] == b"WIN" and win[2] == b"mc", win
        assert c.batch(b"mg x v\r\n") == b"VA 2 Z X\r\nmc\r\n"
        assert r.call("LEASE.GET", "x", "10000") == [b"STALE", b"mc"]
        assert r.call("LEASE.SET", "x", win[1], "re") == "OK"
        assert c.batch(b"mg x v\r\n") == b"VA 2\r\nre\r\n"
        # A memcached win (mg c) is a token LEASE.SET accepts.
        assert c.batch(b"md x I\r\n") == b"HD\r\n"
        out = c.batch(b"mg x v c\r\n")
        m = re.match(rb"VA 2 c(\d+) X W\r\n", out)
        assert m, out
        assert r.call("LEASE.GET", "x", "10000") == [b"STALE", b"re"]
        assert r.call("LEASE.SET", "x", m.group(1), "from-resp") == "OK"
        assert r.call("LEASE.GET", "x", "10000") == [b"HIT", b"from-resp"]
    finally:
        c.close()


# ---- stampede: ~1,000 concurrent clients on one expired hot key ----


async def _mc_client(port, leases, stats):
    reader, writer = await asyncio.open_connection(HOST, port)

    async def cmd(data):
        writer.write(data)
        await writer.drain()
        head = await reader.readline()
        m = re.match(rb"VA (\d+)", head)
        value = None
        if m:
            value = (await reader.readexactly(int(m.group(1)) + 2))[:-2]
        if head.startswith(b"VALUE"):
            n = int(head.split()[3])
            value = (await reader.readexactly(n + 2))[:-2]
            await reader.readline()  # END
        return head, value

    try:
        while True:
            if leases:
                head, value = await cmd(b"mg hot v c N30\r\n")
                if head.startswith(b"CLIENT_ERROR") or head.startswith(b"SERVER_ERROR"):
                    stats["errors"] += 1
                    return
                flags = head.split()[2:]
                if b"W" in flags:
                    stats["recomputes"] += 1
                    await asyncio.sleep(RECOMPUTE_S)
                    cas = [f for f in flags if f.startswith(b"c")][0][1:]
                    await cmd(b"ms hot 5 T100 C" + cas + b"\r\nfresh\r\n")
                    stats["fresh"] += 1
                    return
                if b"X" in flags:
                    stats["stale"] += 1
                    return
                if b"Z" in flags:
                    await asyncio.sleep(0.01)  # someone is filling: wait for the value
                    continue
                stats["fresh" if value == b"fresh" else "other"] += 1
                return
            head, value = await cmd(b"get hot\r\n")
            if value is not None:
                stats["fresh"] += 1
                return
            stats["recomputes"] += 1
            await asyncio.sleep(RECOMPUTE_S)
            await cmd(b"set hot 0 100 5\r\nfresh\r\n")
            stats["fresh"] += 1
            return
    finally:
        writer.close()


def _resp(*args):
    out = b"*%d\r\n" % len(args)
    for a in args:
        a = a if isinstance(a, bytes) else str(a).encode()
        out += b"$%d\r\n%s\r\n" % (len(a), a)
    return out


async def _read_resp(reader):
    line = await reader.readline()
    t, rest = line[:1], line[1:-2]
    if t == b"*":
        return [await _read_resp(reader) for _ in range(int(rest))]
    if t == b"$":
        n = int(rest)
        return None if n < 0 else (await reader.readexactly(n + 2))[:-2]
    if t == b"-":
        return RespError(rest.decode())
    return rest


async def _resp_client(port, leases, stats):
    reader, writer = await asyncio.open_connection(HOST, port)

    async def call(*args):
        writer.write(_resp(*args))
        await writer.drain()
        return await _read_resp(reader)

    try:
        while True:
            if leases:
                rep = await call("LEASE.GET", "hot", 5000)
                if isinstance(rep, RespError):
                    stats["errors"] += 1
                    return
                if rep[0] == b"WIN":
                    stats["recomputes"] += 1
                    await asyncio.sleep(RECOMPUTE_S)
                    ok = await call("LEASE.SET", "hot", rep[1], "fresh", "EX", 100)
                    stats["fresh" if ok == b"OK" else "errors"] += 1
                    return
                if rep[0] == b"WAIT":
                    await asyncio.sleep(0.01)
                    continue
                stats["stale" if rep[0] == b"STALE" else "fresh"] += 1
                return
            rep = await call("GET", "hot")
            if rep is not None:
                stats["fresh"] += 1
                return
            stats["recomputes"] += 1
            await asyncio.sleep(RECOMPUTE_S)
            await call("SET", "hot", "fresh", "EX", 100)
            stats["fresh"] += 1
            return
    finally:
        writer.close()


def _stampede(port, client, leases):
    stats = {"recomputes": 0, "errors": 0, "stale": 0, "fresh": 0, "other": 0}

    async def main():
        await asyncio.gather(*(client(port, leases, stats) for _ in range(CLIENTS)))

    asyncio.run(main())
    assert stats["stale"] + stats["fresh"] + stats["other"] + stats["errors"] == CLIENTS, stats
    return stats


@pytest.mark.parametrize("proto", ["memcached", "resp"])
def test_stampede(srv, r, proto):
    port = srv.memcached_port if proto == "memcached" else srv.port
    client = _mc_client if proto == "memcached" else _resp_client
    # The hot key has expired.
    r.call("SET", "hot", "old", "PX", "1")
    time.sleep(0.05)
    with_leases = _stampede(port, client, True)
    assert with_leases["recomputes"] == 1, with_leases
    assert with_leases["errors"] == 0 and with_leases["other"] == 0, with_leases
    # Invalidated rather than expired: one refill, everyone else served the stale value.
    if proto == "memcached":
        assert Mc(srv.memcached_port).batch(b"md hot I\r\n") == b"HD\r\n"
    else:
        win = r.call("LEASE.GET", "hot", 60000)  # mark stale through memcached's md I instead
        assert win[0] == b"HIT"
        assert Mc(srv.memcached_port).batch(b"md hot I\r\n") == b"HD\r\n"
    stale = _stampede(port, client, True)
    assert stale["recomputes"] == 1 and stale["errors"] == 0, stale
    assert stale["stale"] == CLIENTS - 1, stale
    # Without leases: plain get + set, the herd.
    r.call("DEL", "hot")
    herd = _stampede(port, client, False)
    print("\n%s stampede, %d clients: with leases %d recompute(s); without leases %d" %
          (proto, CLIENTS, with_leases["recomputes"], herd["recomputes"]))
    assert herd["recomputes"] >= 1 and herd["errors"] == 0


@pytest.mark.parametrize("how", ["save", "bgsave", "bgrewriteaof"])
def test_placeholders_are_left_out_of_snapshots_and_aof_bases(tmp_path, how):
    """An unfilled lease's empty placeholder is not data: SAVE, BGSAVE and an AOF rewrite's base
    leave it out (with it, the restarted server would answer a hit with an empty value until the
    lease's deadline), and keep the filled key beside it."""
    args = ["--appendonly", "yes"] if how == "bgrewriteaof" else []
    s = Server(threads=2, workdir=str(tmp_path), args=args).start()
    try:
        with s.conn() as c:
            token = c.call("LEASE.GET", "filled", "60000")[1]
            assert c.call("LEASE.SET", "filled", token, "v") == "OK"
            assert c.call("LEASE.GET", "open", "60000")[0] == b"WIN"
            assert c.call("LEASE.GET", "open2", "60000")[0] == b"WIN"
            if how == "save":
                assert c.call("SAVE") == "OK"
            elif how == "bgsave":
                c.call("BGSAVE")
            else:
                c.call("BGREWRITEAOF")
            field = "aof_rewrite_in_progress" if how == "bgrewriteaof" else "rdb_bgsave_in_progress"
            deadline = time.monotonic() + 20
            while time.monotonic() < deadline:
                info = c.call("INFO", "persistence").decode()
                done = ("aof_rewrites:2" in info if how == "bgrewriteaof" else
                        os.path.exists(os.path.join(str(tmp_path), "dump.rdb")))
                if "%s:0" % field in info and done:
                    break
                time.sleep(0.05)
        s.kill()
        s = Server(threads=2, workdir=str(tmp_path), args=args).start()
        with s.conn() as c:
            assert c.call("GET", "filled") == b"v"
            assert c.call("EXISTS", "open", "open2") == 0
            assert c.call("LEASE.GET", "open", "60000")[0] == b"WIN"
    finally:
        s.stop()


@pytest.mark.parametrize("threads", [1, 4])
def test_lease_fills_survive_an_aof_restart(tmp_path, threads):
    """A LEASE.SET fill is logged like the SET it is; an unfilled placeholder is not (a lease does
    not outlive the process, and an empty value without its lease would read as a hit)."""
    args = ["--appendonly", "yes", "--appendfsync", "always"]
    s = Server(threads=threads, workdir=str(tmp_path), args=args).start()
    try:
        with s.conn() as c:
            token = c.call("LEASE.GET", "filled", "10000")[1]
            assert c.call("LEASE.SET", "filled", token, "v", "EX", "1000") == "OK"
            assert c.call("LEASE.GET", "open", "10000")[0] == b"WIN"
            c.call("SET", "plain", "1")
        s.kill()
        s = Server(threads=threads, workdir=str(tmp_path), args=args).start()
        with s.conn() as c:
            assert c.call("GET", "filled") == b"v"
            assert 0 < c.call("TTL", "filled") <= 1000
            assert c.call("EXISTS", "open") == 0
            assert c.call("GET", "plain") == b"1"
            assert c.call("LEASE.GET", "open", "10000")[0] == b"WIN"
    finally:
        s.stop()
