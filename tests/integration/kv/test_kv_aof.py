"""Append-only file: every write logged in Redis 7's multi-part layout (dir/appendonlydir: a
manifest, a base file, incr files), replayed at start. Round trips of every type at each shard
count, the rewrites of relative or random commands (SET EX, SPOP, INCRBYFLOAT, scripts,
MULTI/EXEC), files exchanged with redis-server 7.0 both ways (and checked by redis-check-aof),
torn tails, BGREWRITEAOF, CONFIG SET appendonly, and a crash loop (SIGKILL at random moments)
checking that no acknowledged write is lost under appendfsync always."""

import os
import random
import shutil
import socket
import subprocess
import threading
import time

import pytest
import redis as redispy

from kv_harness import Server, redis_command, wait_until
from test_kv_snapshot import DBS, client, fill, state, ttls

AOF_DIR = "appendonlydir"
MANIFEST = "appendonly.aof.manifest"
KILLS = int(os.environ.get("STRATA_AOF_KILLS", "30"))


def aof_args(fsync="always", extra=()):
    return ["--appendonly", "yes", "--appendfsync", fsync] + list(extra)


def info_persistence(srv):
    return client(srv).info("persistence")


def wait_aof_ready(srv, timeout=30):
    """Until the AOF is on and no rewrite runs (a base is being created at start)."""
    def ready():
        i = info_persistence(srv)
        return i.get("aof_enabled") == 1 and i.get("aof_rewrite_in_progress") == 0
    assert wait_until(ready, timeout), info_persistence(srv)


def aof_files(workdir):
    d = os.path.join(workdir, AOF_DIR)
    return sorted(os.listdir(d)) if os.path.isdir(d) else []


def manifest(workdir):
    with open(os.path.join(workdir, AOF_DIR, MANIFEST)) as f:
        return [line.split() for line in f.read().splitlines() if line.strip()]


def incr_path(workdir):
    last = [l for l in manifest(workdir) if l[5] == "i"][-1]
    return os.path.join(workdir, AOF_DIR, last[1])


def incr_bytes(workdir):
    with open(incr_path(workdir), "rb") as f:
        return f.read()


def check_aof(path):
    """redis-check-aof on a manifest (or file): its exit status and output."""
    p = subprocess.run(["redis-check-aof", path], capture_output=True, text=True, timeout=60)
    return p.returncode, p.stdout + p.stderr


# ---------------------------------------------------------------- round trips


@pytest.mark.parametrize("fsync", ["always", "everysec"])
def test_round_trip_every_type(start_server, tmp_path, fsync):
    srv = start_server(args=aof_args(fsync))
    wait_aof_ready(srv)
    fill(srv)
    before, before_ttl = state(srv), ttls(srv)
    srv.stop()
    files = aof_files(str(tmp_path))
    assert MANIFEST in files
    assert any(f.endswith(".base.rdb") for f in files)
    assert any(f.endswith(".incr.aof") for f in files)
    again = start_server(args=aof_args(fsync))
    assert state(again) == before
    after_ttl = ttls(again)
    assert after_ttl.keys() == before_ttl.keys()
    for k, t in before_ttl.items():
        assert 0 <= t - after_ttl[k] < 60_000, k
    assert "DB loaded from append only file" in again.log()
    # Restarting again (the incr file is appended to, not replaced) keeps everything.
    c = client(again)
    c.set("after-restart", "1")
    again.stop()
    third = start_server(args=aof_args(fsync))
    assert client(third).get("after-restart") == b"1"
    assert {k: v for k, v in state(third).items() if k != (0, b"after-restart")} == before


def test_appendonly_at_start_takes_the_rdb_as_base(start_server, tmp_path):
    srv = start_server()
    c = client(srv)
    c.set("from-rdb", "x")
    c.save()
    srv.stop()
    srv = start_server(args=aof_args())
    wait_aof_ready(srv)
    client(srv).set("from-aof", "y")
    srv.stop()
    os.unlink(os.path.join(str(tmp_path), "dump.rdb"))
    again = start_server(args=aof_args())
    c = client(again)
    assert c.get("from-rdb") == b"x" and c.get("from-aof") == b"y"


@pytest.mark.parametrize("fsync", ["always", "everysec"])
def test_writes_right_after_the_aof_is_created_survive_a_kill(start_server, tmp_path, fsync):
    """A server that creates its AOF at start (with an RDB to take in, or nothing) serves no write
    before the AOF's first base and manifest exist: a write acknowledged at once, then SIGKILL,
    is there after the restart (under everysec too: the kill comes after the next fsync)."""
    for round in range(8):
        workdir = os.path.join(str(tmp_path), "r%d" % round)
        os.makedirs(workdir)
        if round % 2 == 1:  # an RDB to take in as the first base
            srv = start_server(workdir=workdir)
            client(srv).set("from-rdb", "x")
            client(srv).save()
            srv.stop()
        srv = start_server(args=aof_args(fsync), workdir=workdir)
        c = client(srv)
        assert c.set("first", "1") is True
        assert c.incr("n") == 1
        if fsync == "everysec":
            time.sleep(1.5)
        srv.kill()
        again = start_server(args=aof_args(fsync), workdir=workdir)
        c = client(again)
        assert c.get("first") == b"1" and c.get("n") == b"1", round
        assert c.get("from-rdb") == (b"x" if round % 2 == 1 else None), round
        again.stop()


def test_set_ex_keeps_its_absolute_expiry(start_server, tmp_path):
    srv = start_server(args=aof_args())
    wait_aof_ready(srv)
    c = client(srv)
    c.set("k-ex", "v", ex=100)
    c.setex("k-setex", 100, "v")
    c.psetex("k-psetex", 100_000, "v")
    c.set("k-px", "v")
    c.pexpire("k-px", 100_000)
    c.set("k-e", "v")
    c.expire("k-e", 100)
    c.set("k-getex", "v")
    c.getex("k-getex", ex=100)
    c.set("persisted", "v", ex=100)
    c.getex("persisted", persist=True)
    data = incr_bytes(str(tmp_path)).lower()
    assert b"pxat" in data and b"pexpireat" in data
    for name in [b"setex", b"psetex", b"expire", b"pexpire", b"getex"]:
        assert b"$%d\r\n%s\r\n" % (len(name), name) not in data, name
    srv.stop()
    time.sleep(1.5)
    again = start_server(args=aof_args())
    c = client(again)
    for k in ["k-ex", "k-setex", "k-psetex", "k-px", "k-e", "k-getex"]:
        t = c.pttl(k)
        # Absolute: the time spent stopped counts (a relative TTL would be back to 100 s).
        assert 0 < t <= 100_000 - 1400, (k, t)
    assert c.pttl("persisted") == -1


def test_random_and_float_commands_are_logged_as_their_effect(start_server, tmp_path):
    srv = start_server(args=aof_args())
    wait_aof_ready(srv)
    c = client(srv)
    c.sadd("s", *range(50))
    popped = c.spop("s", 10)
    one = c.spop("s")
    c.set("f", "1.5")
    c.expire("f", 1000)
    c.incrbyfloat("f", 0.25)
    c.incrbyfloat("f", "1e3")
    sid = c.xadd("stream", {"a": "1"})
    data = incr_bytes(str(tmp_path)).lower()
    assert b"spop" not in data and b"srem" in data
    assert b"incrbyfloat" not in data and b"keepttl" in data
    assert sid in data
    before = (sorted(c.smembers("s")), c.get("f"), c.xrange("stream"))
    srv.stop()
    again = start_server(args=aof_args())
    c = client(again)
    assert (sorted(c.smembers("s")), c.get("f"), c.xrange("stream")) == before
    assert not set(popped) & c.smembers("s") and one not in c.smembers("s")
    assert c.ttl("f") > 0


def test_scripts_and_transactions(start_server, tmp_path):
    srv = start_server(args=aof_args())
    wait_aof_ready(srv)
    c = client(srv)
    script = """
        redis.call('set', KEYS[1], ARGV[1])
        redis.call('incr', KEYS[2])
        local m = redis.call('spop', KEYS[3])
        redis.call('set', KEYS[1] .. ':popped', m or '')
        return 1"""
    c.sadd("{t}set", "a", "b", "c")
    assert c.eval(script, 3, "{t}k", "{t}n", "{t}set", "v1") == 1
    sha = c.script_load(script)
    assert c.evalsha(sha, 3, "{t}k", "{t}n", "{t}set", "v2") == 1
    p = c.pipeline(transaction=True)
    p.set("tx:a", "1")
    p.incr("tx:b")
    p.rpush("tx:c", "x", "y")
    p.execute()
    p = c.pipeline(transaction=True)  # keys on several shards at 4 shards
    for i in range(10):
        p.set("tx:many:%d" % i, i)
    p.execute()
    data = incr_bytes(str(tmp_path)).lower()
    assert b"eval" not in data  # scripts are logged as their effects
    assert data.count(b"multi") >= 4 and data.count(b"multi") == data.count(b"exec")
    before = {k: c.dump(k) for k in sorted(c.keys("*"))}
    srv.stop()
    again = start_server(args=aof_args())
    c = client(again)
    assert {k: c.dump(k) for k in sorted(c.keys("*"))} == before


def test_blocking_pops_are_logged(start_server, tmp_path):
    srv = start_server(args=aof_args())
    wait_aof_ready(srv)
    c = client(srv)
    c.rpush("bl", "a", "b", "c")
    assert c.blpop(["bl"], 1) == (b"bl", b"a")
    c.zadd("bz", {"m1": 1, "m2": 2})
    c.bzpopmin(["bz"], 1)
    # A client blocked first, then served by a push.
    got = []
    t = threading.Thread(target=lambda: got.append(client(srv).brpop(["bl2"], 10)))
    t.start()
    wait_until(lambda: client(srv).info("clients")["blocked_clients"] == 1, 10)
    c.rpush("bl2", "x", "y")
    t.join(10)
    assert got == [(b"bl2", b"y")]
    before = {k: c.dump(k) for k in sorted(c.keys("*"))}
    srv.stop()
    again = start_server(args=aof_args())
    c = client(again)
    assert {k: c.dump(k) for k in sorted(c.keys("*"))} == before


# ---------------------------------------------------------------- exchanges with redis-server


def compare_contents(a, b):
    from test_kv_dump_restore import contents
    out = []
    for srv in (a, b):
        d = {}
        for db in DBS:
            c = client(srv, db)
            for k in sorted(c.keys("*")):
                d[(db, k)] = (contents(c, k), c.pttl(k) > 0)
            c.close()
        out.append(d)
    return out


def test_redis_loads_strata_aof(start_server, tmp_path):
    srv = start_server(args=aof_args())
    wait_aof_ready(srv)
    fill(srv)
    c = client(srv)
    c.incrbyfloat("str:float", 2.5)
    c.set("str:ex", "v", ex=5000)
    srv.stop()
    code, out = check_aof(os.path.join(str(tmp_path), AOF_DIR, MANIFEST))
    assert code == 0, out
    assert "is valid" in out
    copy = tmp_path / "redis"
    copy.mkdir()
    shutil.copytree(os.path.join(str(tmp_path), AOF_DIR), str(copy / AOF_DIR))
    again = start_server(args=aof_args())
    r = Server(cmd=redis_command(), workdir=str(copy),
               args=["--dir", str(copy), "--appendonly", "yes"]).start()
    try:
        mine, theirs = compare_contents(again, r)
        assert mine == theirs
    finally:
        r.stop()


def test_strata_loads_redis_aof(start_server, tmp_path):
    d = tmp_path / "r"
    d.mkdir()
    r = Server(cmd=redis_command(), workdir=str(d),
               args=["--dir", str(d), "--appendonly", "yes", "--appendfsync", "always"]).start()
    try:
        assert wait_until(lambda: client(r).info("persistence")["aof_rewrite_in_progress"] == 0
                          and client(r).info("persistence")["aof_enabled"] == 1, 20)
        fill(r)
        c = client(r)
        c.incrbyfloat("float", 1.25)
        c.sadd("spop", *range(20))
        c.spop("spop", 5)
        c.eval("redis.call('set', KEYS[1], 'x'); redis.call('incr', KEYS[2])", 2, "{s}a", "{s}b")
    finally:
        r.stop()
    os.makedirs(os.path.join(str(tmp_path), AOF_DIR), exist_ok=True)
    for f in os.listdir(str(d / AOF_DIR)):
        shutil.copy(str(d / AOF_DIR / f), os.path.join(str(tmp_path), AOF_DIR, f))
    srv = start_server(args=aof_args())
    r2 = Server(cmd=redis_command(), workdir=str(d),
                args=["--dir", str(d), "--appendonly", "yes"]).start()
    try:
        mine, theirs = compare_contents(srv, r2)
        assert mine == theirs
    finally:
        r2.stop()


# ---------------------------------------------------------------- torn and corrupt files


def test_truncated_tail(start_server, tmp_path):
    srv = start_server(args=aof_args())
    wait_aof_ready(srv)
    c = client(srv)
    for i in range(20):
        c.set("k%d" % i, i)
    srv.stop()
    path = incr_path(str(tmp_path))
    good = os.path.getsize(path)
    with open(path, "ab") as f:
        f.write(b"*3\r\n$3\r\nset\r\n$2\r\nzz\r\n$5\r\nval")
    with pytest.raises(RuntimeError):
        start_server(args=aof_args(extra=["--aof-load-truncated", "no"]))
    assert os.path.getsize(path) > good  # refused: left as it was
    srv = start_server(args=aof_args())
    c = client(srv)
    assert c.dbsize() == 20 and c.exists("zz") == 0
    assert os.path.getsize(path) == good  # the torn record was cut off
    assert "short read while loading the AOF" in srv.log()
    c.set("after", "1")
    srv.stop()
    again = start_server(args=aof_args())
    assert client(again).dbsize() == 21


def test_torn_transaction_is_dropped_whole(start_server, tmp_path):
    srv = start_server(args=aof_args())
    wait_aof_ready(srv)
    client(srv).set("a", "1")
    srv.stop()
    path = incr_path(str(tmp_path))
    with open(path, "ab") as f:
        f.write(b"*1\r\n$5\r\nMULTI\r\n*3\r\n$3\r\nset\r\n$1\r\nb\r\n$1\r\n2\r\n")
    srv = start_server(args=aof_args())
    c = client(srv)
    assert c.get("a") == b"1" and c.exists("b") == 0


def test_corruption_in_the_middle_is_refused(start_server, tmp_path):
    srv = start_server(args=aof_args())
    wait_aof_ready(srv)
    c = client(srv)
    for i in range(10):
        c.set("k%d" % i, i)
    srv.stop()
    path = incr_path(str(tmp_path))
    data = bytearray(open(path, "rb").read())
    mid = len(data) // 2
    data[mid:mid + 4] = b"!!!!"
    open(path, "wb").write(bytes(data))
    with pytest.raises(RuntimeError):
        start_server(args=aof_args())
    logs = [open(os.path.join(str(tmp_path), f), errors="replace").read()
            for f in os.listdir(str(tmp_path)) if f.startswith("server-")]
    assert any("Bad file format reading the append only file" in l and "offset" in l
               for l in logs)


# ---------------------------------------------------------------- rewriting and turning on


def test_bgrewriteaof_shrinks_and_keeps_data(start_server, tmp_path):
    srv = start_server(args=aof_args("everysec"))
    wait_aof_ready(srv)
    c = client(srv)
    p = c.pipeline(transaction=False)
    for i in range(5000):
        p.incr("counter")
        p.set("k%d" % (i % 10), "v" * 100)
    p.execute()
    c.set("ex", "v", ex=1000)
    before = {k: c.dump(k) for k in sorted(c.keys("*"))}
    d = os.path.join(str(tmp_path), AOF_DIR)
    size_before = sum(os.path.getsize(os.path.join(d, f)) for f in os.listdir(d))
    old = set(os.listdir(d))
    assert c.bgrewriteaof()
    wait_aof_ready(srv)
    i = info_persistence(srv)
    assert i["aof_last_bgrewrite_status"] == "ok" and i["aof_rewrites"] >= 1
    files = set(os.listdir(d))
    size_after = sum(os.path.getsize(os.path.join(d, f)) for f in files)
    assert size_after < size_before / 5
    assert not (old - {MANIFEST}) & files  # the old base and incr files are gone
    assert len([f for f in files if f.endswith(".base.rdb")]) == 1
    c.incr("counter")
    srv.stop()
    code, out = check_aof(os.path.join(d, MANIFEST))
    assert code == 0, out
    again = start_server(args=aof_args())
    c = client(again)
    assert int(c.get("counter")) == 5001
    before.pop(b"counter")
    assert {k: c.dump(k) for k in sorted(c.keys("*")) if k != b"counter"} == before
    assert c.ttl("ex") > 0


def test_auto_rewrite(start_server, tmp_path):
    srv = start_server(args=aof_args("no", ["--auto-aof-rewrite-min-size", "100kb",
                                            "--auto-aof-rewrite-percentage", "100"]))
    wait_aof_ready(srv)
    c = client(srv)
    p = c.pipeline(transaction=False)
    for i in range(3000):
        p.set("k", "v" * 100)
    p.execute()
    assert wait_until(lambda: info_persistence(srv)["aof_rewrites"] >= 1, 20)
    wait_aof_ready(srv)
    assert c.get("k") == b"v" * 100


def test_config_set_appendonly(start_server, tmp_path):
    srv = start_server()
    c = client(srv)
    c.set("before", "1")
    assert info_persistence(srv)["aof_enabled"] == 0
    assert c.config_set("appendonly", "yes")
    wait_aof_ready(srv)
    assert c.config_get("appendonly") == {"appendonly": "yes"}
    c.set("after", "2")
    assert c.config_set("appendfsync", "always")
    c.set("always", "3")
    with pytest.raises(redispy.ResponseError):
        c.config_set("appendfsync", "sometimes")
    srv.stop()
    again = start_server(args=aof_args())
    c = client(again)
    assert (c.get("before"), c.get("after"), c.get("always")) == (b"1", b"2", b"3")
    assert c.config_set("appendonly", "no")
    assert info_persistence(again)["aof_enabled"] == 0


# ---------------------------------------------------------------- crash loop


def crash_round(start_server, tmp_path, fsync, seed):
    """One run: a writer pipelines SET/INCR, recording what was acknowledged, until SIGKILL."""
    rnd = random.Random(seed)
    srv = start_server(args=aof_args(fsync))
    wait_aof_ready(srv)
    acked_incr = {}
    sent_incr = {}
    acked_sets = set()
    stop = threading.Event()

    def writer():
        try:
            c = redispy.Redis(host="127.0.0.1", port=srv.port, socket_timeout=5)
            n = 0
            while not stop.is_set():
                p = c.pipeline(transaction=False)
                batch = []
                for _ in range(rnd.randint(1, 32)):
                    if rnd.random() < 0.5:
                        k = "c%d" % rnd.randint(0, 7)
                        sent_incr[k] = sent_incr.get(k, 0) + 1
                        p.incr(k)
                        batch.append(("incr", k))
                    else:
                        n += 1
                        k = "s:%d:%d" % (seed, n)
                        p.set(k, k)
                        batch.append(("set", k))
                res = p.execute()
                for (kind, k), v in zip(batch, res):
                    if kind == "incr":
                        acked_incr[k] = max(acked_incr.get(k, 0), v)
                    else:
                        acked_sets.add(k)
        except (redispy.ConnectionError, redispy.TimeoutError, ConnectionResetError,
                socket.error):
            pass

    seen_incr = {}

    def reader():
        # Another client reads the counters: a value it was shown must survive too (a read's
        # reply waits for the records it may have observed, as every reply does).
        try:
            c = redispy.Redis(host="127.0.0.1", port=srv.port, socket_timeout=5)
            keys = ["c%d" % i for i in range(8)]
            while not stop.is_set():
                for k, v in zip(keys, c.mget(keys) if rnd.random() < 0.5 else
                                [c.get(k) for k in keys]):
                    if v is not None:
                        seen_incr[k] = max(seen_incr.get(k, 0), int(v))
        except (redispy.ConnectionError, redispy.TimeoutError, ConnectionResetError,
                socket.error):
            pass

    threads = [threading.Thread(target=writer), threading.Thread(target=reader)]
    for t in threads:
        t.start()
    time.sleep(rnd.uniform(0.01, 0.25))
    srv.kill()
    stop.set()
    for t in threads:
        t.join(10)
    # Reading a value acknowledges it as much as writing it does.
    for k, v in seen_incr.items():
        acked_incr[k] = max(acked_incr.get(k, 0), v)
    return acked_incr, sent_incr, acked_sets


@pytest.mark.parametrize("fsync", ["always", "everysec"])
def test_crash_loop(start_server, tmp_path, fsync):
    seed0 = random.randrange(1 << 30)
    totals_acked = {}
    totals_sent = {}
    all_sets = set()
    for i in range(KILLS if fsync == "always" else max(5, KILLS // 3)):
        acked, sent, sets = crash_round(start_server, tmp_path, fsync, seed0 + i)
        # Counters continue from what survived: acknowledged values are absolute.
        for k, v in acked.items():
            totals_acked[k] = max(totals_acked.get(k, 0), v)
        for k, v in sent.items():
            totals_sent[k] = totals_sent.get(k, 0) + v
        all_sets |= sets
        check = start_server(args=aof_args(fsync))
        c = client(check)
        for k in list(totals_sent):
            got = int(c.get(k) or 0)
            # SIGKILL keeps what was written to the kernel: replies wait for the write under
            # every policy (for the fsync too under always), so nothing acknowledged is lost.
            assert got >= totals_acked.get(k, 0), (k, got, totals_acked.get(k), seed0 + i)
            assert got <= totals_sent[k], (k, got, totals_sent[k])
            # What survived is what later rounds build on.
            totals_acked[k] = got
            totals_sent[k] = got
        missing = [k for k in sets if c.exists(k) == 0]
        assert not missing, (missing[:5], seed0 + i)
        check.kill()


def resp(*args):
    out = b"*%d\r\n" % len(args)
    for a in args:
        a = a.encode() if isinstance(a, str) else a
        out += b"$%d\r\n%s\r\n" % (len(a), a)
    return out


def read_replies(sock, count):
    """Reads `count` complete RESP replies (pushes included) from a socket, as raw bytes each."""
    buf = b""
    out = []

    def parse(i):
        t = buf[i:i + 1]
        end = buf.index(b"\r\n", i)
        line = buf[i + 1:end]
        i = end + 2
        if t in (b"+", b"-", b":", b"_", b",", b"#"):
            return i
        if t in (b"$", b"="):
            n = int(line)
            if n < 0:
                return i
            if len(buf) < i + n + 2:
                raise ValueError
            return i + n + 2
        if t in (b"*", b">", b"~", b"%"):
            n = int(line) * (2 if t == b"%" else 1)
            for _ in range(max(n, 0)):
                i = parse(i)
            return i
        raise AssertionError(buf[i:i + 40])

    pos = 0
    while len(out) < count:
        try:
            nxt = parse(pos)
            out.append(buf[pos:nxt])
            pos = nxt
            continue
        except (ValueError, IndexError):
            pass
        chunk = sock.recv(65536)
        assert chunk, out
        buf += chunk
    return out


@pytest.mark.parametrize("fsync", ["always", "everysec"])
def test_held_replies_keep_their_order(start_server, tmp_path, fsync):
    """Replies wait for the log, but never reorder: a read, a PING, an error and a push that
    come after a held write on the same connection come after its reply, in request order
    (the same bytes as redis-server sends)."""
    srv = start_server(args=aof_args(fsync))
    wait_aof_ready(srv)
    s = socket.create_connection(("127.0.0.1", srv.port), timeout=10)
    s.sendall(resp("HELLO", "3"))
    read_replies(s, 1)
    s.sendall(resp("SUBSCRIBE", "ch"))
    assert read_replies(s, 1) == [b">3\r\n$9\r\nsubscribe\r\n$2\r\nch\r\n:1\r\n"]
    cmds, expected, pushes = [], [], []
    for i in range(300):
        k = "k%d" % i
        cmds += [("SET", k, "v%d" % i), ("GET", k), ("INCR", "n"), ("PING",),
                 ("GET", "k%d" % (i // 2)), ("INCR", k)]
        expected += [b"+OK\r\n", b"$%d\r\nv%d\r\n" % (len("v%d" % i), i),
                     b":%d\r\n" % (i + 1), b"+PONG\r\n",
                     b"$%d\r\nv%d\r\n" % (len("v%d" % (i // 2)), i // 2),
                     b"-ERR value is not an integer or out of range\r\n"]
        if i % 50 == 0:
            # A message to this very client. Redis puts the push before PUBLISH's own reply;
            # Strata delivers pushes once the input read so far is answered. Either way it
            # never comes before the replies of the commands sent before the PUBLISH.
            cmds.append(("PUBLISH", "ch", "m%d" % i))
            msg = b"m%d" % i
            pushes.append((len(expected),
                           b">3\r\n$7\r\nmessage\r\n$2\r\nch\r\n$%d\r\n%s\r\n"
                           % (len(msg), msg)))
            expected.append(b":1\r\n")
    s.sendall(b"".join(resp(*c) for c in cmds))
    got = read_replies(s, len(expected) + len(pushes))
    replies = [r for r in got if not r.startswith(b">")]
    assert replies == expected
    seen = [(len([r for r in got[:i] if not r.startswith(b">")]), r)
            for i, r in enumerate(got) if r.startswith(b">")]
    assert [p for _, p in seen] == [p for _, p in pushes]
    for (before, _), (at, _) in zip(seen, pushes):
        assert before >= at, (before, at)
    s.close()


def test_base_made_of_commands(start_server, tmp_path):
    """aof-use-rdb-preamble no: the base is RESP commands (RESTORE ... ABSTTL per key)."""
    args = aof_args(extra=["--aof-use-rdb-preamble", "no"])
    srv = start_server(args=args)
    wait_aof_ready(srv)
    fill(srv)
    c = client(srv)
    assert c.bgrewriteaof()
    wait_aof_ready(srv)
    c.set("after-rewrite", "1")
    before = state(srv)
    srv.stop()
    files = aof_files(str(tmp_path))
    assert any(f.endswith(".base.aof") for f in files), files
    assert not any(f.endswith(".base.rdb") for f in files), files
    code, out = check_aof(os.path.join(str(tmp_path), AOF_DIR, MANIFEST))
    assert code == 0, out
    copy = tmp_path / "redis"
    copy.mkdir()
    shutil.copytree(os.path.join(str(tmp_path), AOF_DIR), str(copy / AOF_DIR))
    again = start_server(args=args)
    assert state(again) == before
    r = Server(cmd=redis_command(), workdir=str(copy),
               args=["--dir", str(copy), "--appendonly", "yes"]).start()
    try:
        mine, theirs = compare_contents(again, r)
        assert mine == theirs
    finally:
        r.stop()


def test_expiry_and_eviction_are_logged_as_del(start_server, tmp_path):
    args = aof_args("everysec", ["--maxmemory-policy", "allkeys-random"])
    srv = start_server(args=args)
    wait_aof_ready(srv)
    c = client(srv)
    c.set("short", "v", px=50)
    time.sleep(0.2)
    assert c.get("short") is None  # lazily expired
    assert b"$3\r\ndel\r\n$5\r\nshort\r\n" in incr_bytes(str(tmp_path))
    if c.info("memory")["mem_allocator"].startswith("libc"):
        # A sanitized build counts memory process-wide, not per shard: no eviction test there.
        return
    used = c.info("memory")["used_memory"]
    c.config_set("maxmemory", used + 2_000_000)
    for i in range(3000):  # one by one: a turn's log buffer counts in used memory
        c.set("big:%d" % i, "x" * 2000)
    assert c.info("stats")["evicted_keys"] > 0
    c.config_set("maxmemory", 0)  # no more evictions (the cron evicts too)
    left = sorted(c.keys("big:*"))
    srv.stop()
    again = start_server(args=args)
    assert sorted(client(again).keys("big:*")) == left


def test_multi_key_pops(start_server, tmp_path):
    srv = start_server(args=aof_args())
    wait_aof_ready(srv)
    c = client(srv)
    c.rpush("l1", "a", "b", "c")
    c.rpush("l2", "x", "y")
    c.zadd("z1", {"m1": 1, "m2": 2, "m3": 3})
    assert c.execute_command("LMPOP", 2, "l0", "l1", "LEFT", "COUNT", 2) == [b"l1", [b"a", b"b"]]
    assert c.execute_command("BLMPOP", 1, 2, "l1", "l2", "RIGHT") == [b"l1", [b"c"]]
    c.execute_command("ZMPOP", 1, "z1", "MIN", "COUNT", 2)
    c.execute_command("BZMPOP", 1, 1, "z1", "MAX")
    c.execute_command("LMPOP", 1, "none", "LEFT")  # nothing popped
    before = {k: c.dump(k) for k in sorted(c.keys("*"))}
    srv.stop()
    again = start_server(args=aof_args())
    c = client(again)
    assert {k: c.dump(k) for k in sorted(c.keys("*"))} == before


def memcached_batch(srv, batch):
    """Sends `batch` and an mn on one memcached connection; returns every reply up to MN."""
    s = socket.create_connection(("127.0.0.1", srv.memcached_port), timeout=10)
    s.sendall(batch + b"mn\r\n")
    buf = b""
    while not buf.endswith(b"MN\r\n"):
        chunk = s.recv(65536)
        assert chunk
        buf += chunk
    s.close()
    return buf


@pytest.mark.parametrize("fsync", ["always", "everysec"])
def test_memcached_writes_are_logged_before_their_replies(start_server, tmp_path, fsync):
    """memcached-protocol stores go through the same log and the same reply hold: what was
    acknowledged survives a SIGKILL."""
    srv = start_server(args=aof_args(fsync), memcached=True)
    wait_aof_ready(srv)
    batch = b"".join(b"set mc%d 0 0 3\r\nv%02d\r\n" % (i, i % 100) for i in range(500))
    batch += b"ms meta 2 T1000\r\nhi\r\n"
    assert memcached_batch(srv, batch) == b"STORED\r\n" * 500 + b"HD\r\nMN\r\n"
    srv.kill()
    again = start_server(args=aof_args(fsync))
    c = client(again)
    assert c.dbsize() == 501
    assert c.get("mc499") == b"v99"
    assert c.get("meta") == b"hi" and 0 < c.ttl("meta") <= 1000


def test_memcached_flush_all_is_logged(start_server, tmp_path):
    """flush_all is in the log (as FLUSHDB in database 0), so a restart does not bring flushed
    items back, and the stores after it survive."""
    srv = start_server(args=aof_args("always"), memcached=True)
    wait_aof_ready(srv)
    c = client(srv)
    c.execute_command("SELECT", 1)
    c.set("other-db", "kept")
    batch = b"".join(b"set mc%d 0 0 1\r\nx\r\n" % i for i in range(20))
    batch += b"flush_all\r\nset after 0 0 1\r\ny\r\n"
    assert memcached_batch(srv, batch) == b"STORED\r\n" * 20 + b"OK\r\nSTORED\r\nMN\r\n"
    srv.kill()
    again = start_server(args=aof_args("always"))
    c = client(again)
    assert c.keys("*") == [b"after"]
    c.execute_command("SELECT", 1)
    assert c.get("other-db") == b"kept"
