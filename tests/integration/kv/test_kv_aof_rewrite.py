"""BGREWRITEAOF without blocking: the new base is written in the background by BGSAVE's walk while
the shards serve. A writer keeps getting replies while the rewrite runs; after SIGKILL and a
restart every acknowledged write is there; redis-check-aof accepts the directory and
redis-server 7.0 loads it with the same keys. A rewrite whose base cannot be written keeps the
old files and the new incr; BGREWRITEAOF during a BGSAVE (and BGSAVE during a rewrite) is
scheduled as in Redis."""

import os
import shutil
import subprocess
import threading
import time

import pytest
import redis as redispy

from kv_harness import Server, redis_command, target_is_redis, wait_until
from test_kv_aof import (AOF_DIR, MANIFEST, aof_args, check_aof, compare_contents,
                         info_persistence, manifest, wait_aof_ready)
from test_kv_snapshot import client, fill, state

pytestmark = pytest.mark.skipif(target_is_redis(), reason="strata's rewrite (forkless)")

BIG = int(os.environ.get("STRATA_AOF_REWRITE_KEYS", "1000000"))


def pipe_fill(srv, n, prefix="key"):
    """n string keys through redis-cli --pipe (a raw RESP stream: fast)."""
    buf = bytearray()
    for i in range(n):
        k = b"%s:%d" % (prefix.encode(), i)
        v = b"value:%d" % i
        buf += b"*3\r\n$3\r\nSET\r\n$%d\r\n%s\r\n$%d\r\n%s\r\n" % (len(k), k, len(v), v)
    p = subprocess.run(["redis-cli", "-p", str(srv.port), "--pipe"], input=bytes(buf),
                       capture_output=True, timeout=300)
    assert p.returncode == 0 and b"errors: 0" in p.stdout, p.stdout + p.stderr


class Writer:
    """SETs w:<i> and INCRs a counter, one request at a time, recording what was acknowledged
    and the longest wait for a reply."""

    def __init__(self, srv):
        self.srv = srv
        self.acked = 0
        self.incrs = 0
        self.max_wait = 0.0
        self.stop = threading.Event()
        self.t = threading.Thread(target=self.run)

    def run(self):
        c = redispy.Redis(host="127.0.0.1", port=self.srv.port, socket_timeout=30)
        i = 0
        while not self.stop.is_set():
            t0 = time.monotonic()
            assert c.set("w:%d" % i, i)
            i += 1
            self.acked = i
            self.incrs = c.incr("counter")
            self.max_wait = max(self.max_wait, time.monotonic() - t0)

    def __enter__(self):
        self.t.start()
        return self

    def __exit__(self, *exc):
        self.stop.set()
        self.t.join(60)


def raw(srv, *args):
    """The reply as sent (redis-py turns these status replies into True)."""
    conn = srv.conn()
    try:
        return conn.call_raw(*args)
    finally:
        conn.close()


def loaded(c):
    try:
        return c.info("persistence")["loading"] == 0
    except redispy.BusyLoadingError:
        return False


def keys_of(c, prefix, n):
    out = []
    names = ["%s:%d" % (prefix, i) for i in range(n)]
    for i in range(0, n, 20000):
        out += c.mget(names[i:i + 20000])
    return out


def redis_on_a_copy(tmp_path, timeout):
    """redis-server 7.0 started on a copy of the AOF directory in tmp_path."""
    copy = tmp_path / "redis"
    copy.mkdir()
    shutil.copytree(os.path.join(str(tmp_path), AOF_DIR), str(copy / AOF_DIR))
    return Server(cmd=redis_command(), workdir=str(copy),
                  args=["--dir", str(copy), "--appendonly", "yes"]).start(timeout=timeout)


def test_rewrite_serves_writes_and_loses_nothing(start_server, tmp_path):
    srv = start_server(args=aof_args("everysec", ["--auto-aof-rewrite-percentage", "0"]))
    wait_aof_ready(srv)
    pipe_fill(srv, BIG)
    c = client(srv)
    assert c.dbsize() == BIG
    with Writer(srv) as w:
        time.sleep(0.2)
        assert raw(srv, "BGREWRITEAOF") == b"+Background append only file rewriting started\r\n"
        seen = []  # the writer's acknowledged count each time the rewrite was seen running
        deadline = time.time() + 300
        while time.time() < deadline:
            running = info_persistence(srv)["aof_rewrite_in_progress"] == 1
            if not running:
                break
            seen.append(w.acked)
            if len(seen) == 1:
                assert raw(srv, "BGREWRITEAOF") == (
                    b"-ERR Background append only file rewriting already in progress\r\n")
            time.sleep(0.005)
        assert len(seen) >= 2, "the rewrite was not seen running"
        # Writes were answered while the rewrite ran (the shards were not held for it).
        assert seen[-1] > seen[0], seen
        time.sleep(0.2)
    print("rewrite seen running %d times, %d writes answered meanwhile, longest wait %.1f ms"
          % (len(seen), seen[-1] - seen[0], w.max_wait * 1000))
    i = info_persistence(srv)
    # The first base (made at start) and this one.
    assert i["aof_last_bgrewrite_status"] == "ok" and i["aof_rewrites"] == 2
    assert i["aof_rewrite_scheduled"] == 0 and i["aof_last_rewrite_time_sec"] >= 0
    acked, incrs = w.acked, w.incrs
    files = sorted(os.listdir(os.path.join(str(tmp_path), AOF_DIR)))
    assert files == sorted([MANIFEST, "appendonly.aof.2.base.rdb", "appendonly.aof.2.incr.aof"])

    srv.kill()  # SIGKILL: no shutdown flush
    code, out = check_aof(os.path.join(str(tmp_path), AOF_DIR, MANIFEST))
    assert code == 0, out
    again = start_server(args=aof_args("everysec"))
    c = client(again)
    assert keys_of(c, "w", acked) == [b"%d" % k for k in range(acked)]
    assert int(c.get("counter")) >= incrs
    assert keys_of(c, "key", BIG) == [b"value:%d" % k for k in range(BIG)]
    extra = c.dbsize() - BIG - acked - 1
    assert extra in (0, 1)  # the writer's last SET may have been logged without its reply
    ours = {"w": acked + extra, "key": BIG}
    # redis-server 7.0 loads the same directory with the same keys.
    r = redis_on_a_copy(tmp_path, timeout=120)
    try:
        rc = client(r)
        assert wait_until(lambda: loaded(rc), 120)
        assert rc.dbsize() == c.dbsize()
        for prefix, n in ours.items():
            assert keys_of(rc, prefix, n) == keys_of(c, prefix, n), prefix
        assert rc.get("counter") == c.get("counter")
    finally:
        r.stop()


@pytest.mark.parametrize("preamble", ["yes", "no"])
def test_rewrite_is_point_in_time_under_writes(start_server, tmp_path, preamble):
    """Every type, several databases; overwrites, deletes, new keys, SWAPDB and FLUSHDB race
    with the rewrite; the restarted server and redis-server hold what the live one held."""
    args = aof_args("everysec", ["--aof-use-rdb-preamble", preamble])
    srv = start_server(args=args)
    wait_aof_ready(srv)
    fill(srv)
    pipe_fill(srv, 20000, "bulk")
    c = client(srv)
    stop = threading.Event()

    def churn():
        w = client(srv)
        i = 0
        while not stop.is_set():
            p = w.pipeline(transaction=False)
            p.set("bulk:%d" % (i * 7 % 20000), "new%d" % i)
            p.delete("bulk:%d" % (i * 13 % 20000))
            p.set("fresh:%d" % i, i, ex=10000)
            p.hset("hash:%d" % (i % 50), "f%d" % i, i)
            p.rpush("list:%d" % (i % 50), i)
            p.zadd("zs:%d" % (i % 50), {"m%d" % i: i})
            p.execute()
            i += 1

    t = threading.Thread(target=churn)
    t.start()
    try:
        time.sleep(0.1)
        c.execute_command("BGREWRITEAOF")
        w2 = client(srv, 5)
        w2.set("in-five", "x")
        c.swapdb(1, 5)
        client(srv, 15).flushdb()
        assert wait_until(lambda: info_persistence(srv)["aof_rewrite_in_progress"] == 0, 120)
        time.sleep(0.1)
    finally:
        stop.set()
        t.join(30)
    assert info_persistence(srv)["aof_last_bgrewrite_status"] == "ok"
    c.bgrewriteaof()  # a second one, from a base made the same way
    wait_aof_ready(srv)
    c.set("last", "1")
    before = state(srv)
    srv.kill()
    code, out = check_aof(os.path.join(str(tmp_path), AOF_DIR, MANIFEST))
    assert code == 0, out
    again = start_server(args=args)
    assert state(again) == before
    r = redis_on_a_copy(tmp_path, timeout=60)
    try:
        mine, theirs = compare_contents(again, r)
        assert mine == theirs
        assert client(r).dbsize() == client(again).dbsize()
    finally:
        r.stop()


def test_failed_rewrite_keeps_the_new_incr(start_server, tmp_path):
    srv = start_server(args=aof_args("always"))
    wait_aof_ready(srv)
    c = client(srv)
    c.set("before", "1")
    d = os.path.join(str(tmp_path), AOF_DIR)
    assert [l[1] for l in manifest(str(tmp_path))] == ["appendonly.aof.1.base.rdb",
                                                       "appendonly.aof.1.incr.aof"]
    # A directory where the new base goes: the base is written, but its rename fails.
    os.mkdir(os.path.join(d, "appendonly.aof.2.base.rdb"))
    c.bgrewriteaof()
    assert wait_until(lambda: info_persistence(srv)["aof_rewrite_in_progress"] == 0, 30)
    i = info_persistence(srv)
    assert i["aof_last_bgrewrite_status"] == "err" and i["aof_rewrites"] == 1  # the first base
    assert "Background AOF rewrite failed" in srv.log()
    # The old base and incr are kept, and the new incr (where writes go now) is listed.
    assert [l[1] for l in manifest(str(tmp_path))] == [
        "appendonly.aof.1.base.rdb", "appendonly.aof.1.incr.aof", "appendonly.aof.2.incr.aof"]
    assert not [f for f in os.listdir(d) if f.startswith("temp-")]
    c.set("after-failure", "2")
    srv.kill()
    code, out = check_aof(os.path.join(d, MANIFEST))
    assert code == 0, out
    srv = start_server(args=aof_args("always"))
    c = client(srv)
    assert (c.get("before"), c.get("after-failure")) == (b"1", b"2")
    # Once the obstacle is gone a rewrite succeeds and the history is deleted.
    os.rmdir(os.path.join(d, "appendonly.aof.2.base.rdb"))
    c.bgrewriteaof()
    wait_aof_ready(srv)
    assert info_persistence(srv)["aof_last_bgrewrite_status"] == "ok"
    assert sorted(os.listdir(d)) == sorted([MANIFEST, "appendonly.aof.2.base.rdb",
                                            "appendonly.aof.3.incr.aof"])
    c.set("after-success", "3")
    srv.kill()
    c = client(start_server(args=aof_args("always")))
    assert (c.get("before"), c.get("after-failure"), c.get("after-success")) == (b"1", b"2", b"3")


def test_rewrite_and_bgsave_are_scheduled_after_each_other(start_server, tmp_path):
    srv = start_server(args=aof_args("everysec", ["--auto-aof-rewrite-percentage", "0"]))
    wait_aof_ready(srv)
    pipe_fill(srv, BIG // 2)
    c = client(srv)
    # BGREWRITEAOF during a BGSAVE: scheduled, started once the save is done.
    assert raw(srv, "BGSAVE") == b"+Background saving started\r\n"
    assert raw(srv, "BGREWRITEAOF") == b"+Background append only file rewriting scheduled\r\n"
    i = info_persistence(srv)
    if i["rdb_bgsave_in_progress"] == 1:
        assert i["aof_rewrite_scheduled"] == 1
    assert wait_until(lambda: info_persistence(srv)["aof_rewrites"] == 2, 120)
    i = info_persistence(srv)
    assert i["aof_rewrite_scheduled"] == 0 and i["aof_last_bgrewrite_status"] == "ok"
    assert i["rdb_saves"] == 1 and i["rdb_last_bgsave_status"] == "ok"
    # BGSAVE during a rewrite: refused with Redis's text, or scheduled with SCHEDULE.
    assert raw(srv, "BGREWRITEAOF") == b"+Background append only file rewriting started\r\n"
    if info_persistence(srv)["aof_rewrite_in_progress"] == 1:
        assert raw(srv, "BGSAVE") == (
            b"-ERR Another child process is active (AOF?): can't BGSAVE right now. Use BGSAVE "
            b"SCHEDULE in order to schedule a BGSAVE whenever possible.\r\n")
    r = raw(srv, "BGSAVE", "SCHEDULE")
    assert r in (b"+Background saving scheduled\r\n", b"+Background saving started\r\n")
    assert wait_until(lambda: info_persistence(srv)["rdb_saves"] == 2, 120)
    wait_aof_ready(srv)
    assert info_persistence(srv)["aof_rewrites"] == 3
    assert os.path.exists(os.path.join(str(tmp_path), "dump.rdb"))


def test_a_failed_first_base_stops_the_start_and_publishes_no_manifest(start_server, tmp_path):
    """Creating the AOF at start: the server serves no write until its first base and manifest
    are on disk (a write acknowledged before would be in an incr no manifest lists). When that
    base cannot be written the start stops, as Redis's does, and leaves no manifest, so the next
    start still loads dbfilename."""
    srv = start_server()
    client(srv).set("from-rdb", "x")
    client(srv).save()
    srv.stop()
    d = os.path.join(str(tmp_path), AOF_DIR)
    os.makedirs(os.path.join(d, "appendonly.aof.1.base.rdb"))  # the base's rename fails
    with pytest.raises(RuntimeError) as e:
        start_server(args=aof_args())
    assert "exited with 1" in str(e.value), e.value
    assert "Can't create the append-only file's first base" in str(e.value), e.value
    assert not os.path.exists(os.path.join(d, MANIFEST))
    os.rmdir(os.path.join(d, "appendonly.aof.1.base.rdb"))
    again = start_server(args=aof_args())
    wait_aof_ready(again)
    c = client(again)
    assert c.get("from-rdb") == b"x"
    assert [l[1] for l in manifest(str(tmp_path))] == ["appendonly.aof.1.base.rdb",
                                                       "appendonly.aof.1.incr.aof"]
