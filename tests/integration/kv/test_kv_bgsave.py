"""BGSAVE: forkless background snapshots. The file passes redis-check-rdb and loads into
redis-server and strata with the same contents; it holds the keyspace as it was when BGSAVE
started, whatever the writes (overwrites, deletes, new keys, FLUSHALL, SWAPDB) that run while it
is written; save rules start one; a failed background save makes writes answer MISCONF until a
later save succeeds. Replies are compared with redis-server where they are deterministic."""

import os
import shutil
import subprocess
import time

import pytest
import redis as redispy

from kv_harness import Server, redis_command
from test_kv_snapshot import client, fill, start_redis, state

MISCONF = ("MISCONF Redis is configured to save RDB snapshots, but it's currently unable to "
           "persist to disk. Commands that may modify the data set are disabled, because this "
           "instance is configured to report errors during writes if RDB snapshotting fails "
           "(stop-writes-on-bgsave-error option). Please check the Redis logs for details about "
           "the RDB error.")


def persistence(c):
    return c.info("persistence")


def wait_done(c, saves_before, timeout=120):
    """Waits for the running background save to end; returns INFO persistence."""
    deadline = time.time() + timeout
    while time.time() < deadline:
        info = persistence(c)
        if info["rdb_bgsave_in_progress"] == 0 and (
                info["rdb_saves"] > saves_before or info["rdb_last_bgsave_status"] == "err"):
            return info
        time.sleep(0.05)
    raise AssertionError("BGSAVE did not finish")


def raw(c, *args):
    try:
        return c.execute_command(*args)
    except redispy.ResponseError as e:
        return "ERR:" + str(e)


def check_rdb(path):
    out = subprocess.run(["redis-check-rdb", path], capture_output=True, text=True)
    assert out.returncode == 0, out.stdout + out.stderr
    assert "RDB looks OK" in out.stdout


def test_bgsave_file_loads_everywhere(start_server, tmp_path):
    srv = start_server()
    fill(srv)
    expected = state(srv)
    c = client(srv)
    assert c.execute_command("BGSAVE") in (b"Background saving started", "Background saving started",
                                           True)
    info = wait_done(c, 0)
    assert info["rdb_last_bgsave_status"] == "ok" and info["rdb_saves"] == 1
    assert info["rdb_changes_since_last_save"] == 0
    assert info["rdb_last_bgsave_time_sec"] >= 0
    assert "Background saving started" in srv.log()
    assert "Background saving terminated with success" in srv.log()
    path = str(tmp_path / "dump.rdb")
    assert not [p for p in os.listdir(tmp_path) if p.startswith("temp-")]
    check_rdb(path)
    redis_dir = str(tmp_path / "redis")
    os.mkdir(redis_dir)
    shutil.copy(path, os.path.join(redis_dir, "strata.rdb"))
    r = start_redis(redis_dir, "strata.rdb")
    try:
        assert state(r) == expected
    finally:
        r.stop()
    srv.stop()
    assert state(start_server()) == expected


def test_bgsave_replies_match_redis(start_server, tmp_path):
    def script(srv):
        c = srv.conn()
        out = [c.call_raw("BGSAVE", "foo"), c.call_raw("BGSAVE", "SCHEDULE", "x"),
               c.call_raw("BGSAVE", "SCHEDULE")]
        wait_done(client(srv), 0)
        out.append(c.call_raw("LASTSAVE") != b":0\r\n")
        c.close()
        return out

    srv = start_server()
    redis_dir = str(tmp_path / "redis")
    os.mkdir(redis_dir)
    r = start_redis(redis_dir)
    try:
        want = script(r)
    finally:
        r.stop()
    got = script(srv)
    assert got == want
    assert got[2] == b"+Background saving started\r\n"


def test_bgsave_and_bgrewriteaof_inside_multi_match_redis(start_server, tmp_path):
    """Redis 7.0 queues BGSAVE and BGREWRITEAOF in MULTI and schedules them when EXEC runs them
    (its cron starts them afterwards); SAVE is refused in MULTI."""
    def script(srv, workdir):
        c = srv.conn()
        out = [c.call_raw("SET", "k", "v"), c.call_raw("MULTI"), c.call_raw("SAVE"),
               c.call_raw("BGSAVE"), c.call_raw("EXEC")]
        out += [c.call_raw("MULTI"), c.call_raw("BGSAVE"), c.call_raw("BGREWRITEAOF"),
                c.call_raw("BGSAVE", "SCHEDULE"), c.call_raw("BGSAVE", "NOW"), c.call_raw("EXEC")]
        cl = client(srv)
        deadline = time.time() + 60
        while time.time() < deadline:
            i = persistence(cl)
            if (i["rdb_saves"] >= 1 and i["aof_rewrites"] >= 1 and i["rdb_bgsave_in_progress"] == 0
                    and i["aof_rewrite_in_progress"] == 0 and i["aof_rewrite_scheduled"] == 0):
                break
            time.sleep(0.05)
        i = persistence(cl)
        out += [i["rdb_saves"], i["aof_rewrites"], i["rdb_last_bgsave_status"],
                i["aof_last_bgrewrite_status"], os.path.exists(os.path.join(workdir, "dump.rdb"))]
        c.close()
        return out

    redis_dir = str(tmp_path / "redis")
    os.mkdir(redis_dir)
    r = start_redis(redis_dir)
    try:
        want = script(r, redis_dir)
    finally:
        r.stop()
    got = script(start_server(), str(tmp_path))
    assert got == want
    assert got[-5:] == [1, 1, "ok", "ok", True]
    assert got[10] == (b"*4\r\n+Background saving scheduled\r\n"
                       b"+Background append only file rewriting scheduled\r\n"
                       b"+Background saving scheduled\r\n-ERR syntax error\r\n"), got[10]


N = 200_000


def big_fill(c):
    p = c.pipeline(transaction=False)
    for i in range(N):
        p.set("s:%d" % i, "v%d" % i)
        if i % 20000 == 19999:
            p.execute()
    for i in range(2000):
        p.hset("h:%d" % i, mapping={"a": i, "b": "x%d" % i})
        p.rpush("l:%d" % i, "a", i, "c")
        p.sadd("set:%d" % i, "m1", "m%d" % i)
        p.zadd("z:%d" % i, {"a": 1, "b": i})
    p.execute()


def snapshot_of(c):
    """The values of every key big_fill wrote (and none other: DBSIZE is checked too)."""
    out = {"dbsize": c.dbsize()}
    keys = ["s:%d" % i for i in range(N)]
    vals = []
    for i in range(0, N, 20000):
        vals += c.mget(keys[i:i + 20000])
    out["strings"] = vals
    p = c.pipeline(transaction=False)
    for i in range(2000):
        p.hgetall("h:%d" % i)
        p.lrange("l:%d" % i, 0, -1)
        p.smembers("set:%d" % i)
        p.zrange("z:%d" % i, 0, -1, withscores=True)
    out["others"] = p.execute()
    return out


def test_bgsave_is_point_in_time(start_server, threads, tmp_path):
    srv = start_server()
    c = client(srv)
    big_fill(c)
    before = snapshot_of(c)
    # BGSAVE, then at once (one pipeline) writes of every kind while it runs, and a second
    # BGSAVE and a SAVE that must be refused while INFO still reports the first one running.
    p = c.pipeline(transaction=False)
    p.execute_command("BGSAVE")
    p.info("persistence")
    p.execute_command("BGSAVE")
    p.execute_command("SAVE")
    p.info("persistence")
    for i in range(0, N, 3):
        p.set("s:%d" % i, "changed")
    for i in range(1, N, 7):
        p.delete("s:%d" % i)
    for i in range(20000):
        p.set("new:%d" % i, "n")
    for i in range(0, 2000, 2):
        p.hset("h:%d" % i, "a", "changed")
        p.rpush("l:%d" % i, "more")
        p.srem("set:%d" % i, "m1")
        p.zincrby("z:%d" % i, 5, "a")
        p.expire("h:%d" % (i + 1), 1000)
    p.info("persistence")
    res = p.execute(raise_on_error=False)
    assert res[0] in (True, b"Background saving started")
    if res[1]["rdb_bgsave_in_progress"] == 1 and res[4]["rdb_bgsave_in_progress"] == 1:
        assert "Background save already in progress" in str(res[2])
        assert "Background save already in progress" in str(res[3])
    info = wait_done(c, 0)
    assert info["rdb_last_bgsave_status"] == "ok"
    # The walk was really incremental: the save was seen running after the writes began, or
    # writes had to write buckets out ahead of the walk.
    assert res[-1]["rdb_bgsave_in_progress"] == 1 or info["rdb_last_cow_size"] > 0
    assert c.get("s:0") == b"changed"
    srv.stop()
    check_rdb(str(tmp_path / "dump.rdb"))
    again = start_server()
    ca = client(again)
    assert snapshot_of(ca) == before
    assert ca.exists("new:0") == 0 and ca.ttl("h:1") == -1


def test_flushall_and_swapdb_during_bgsave(start_server, tmp_path):
    srv = start_server()
    c = client(srv)
    p = c.pipeline(transaction=False)
    for i in range(50000):
        p.set("k%d" % i, i)
    p.execute()
    d1 = client(srv, 1)
    d1.set("one", "1")
    p = c.pipeline(transaction=False)
    p.execute_command("BGSAVE")
    p.swapdb(0, 1)
    p.flushall()
    p.set("after", "x")
    p.execute()
    wait_done(c, 0)
    srv.stop()
    again = start_server()
    ca = client(again)
    assert ca.dbsize() == 50000 and ca.get("k49999") == b"49999" and ca.exists("after") == 0
    assert client(again, 1).dbsize() == 1 and client(again, 1).get("one") == b"1"


def test_save_rules_start_a_bgsave(start_server, tmp_path):
    srv = start_server()
    c = client(srv)
    assert c.config_get("save") == {"save": ""}
    c.config_set("save", "1 1")
    assert c.config_get("save") == {"save": "1 1"}
    first = c.lastsave()
    c.set("k", "v")
    deadline = time.time() + 30
    while c.lastsave() == first and time.time() < deadline:
        time.sleep(0.1)
    assert c.lastsave() != first
    assert (tmp_path / "dump.rdb").exists()
    assert "changes in 1 seconds. Saving..." in srv.log()
    with pytest.raises(redispy.ResponseError, match="Invalid save parameters"):
        c.config_set("save", "1")
    c.config_set("save", "")
    assert c.config_get("save") == {"save": ""}


def misconf_scenario(srv, workdir):
    """A background save that fails for any user (the file name taken by a non-empty directory,
    so the rename fails): writes and PING get MISCONF, reads work."""
    c = client(srv)
    c.set("k", "v")
    os.makedirs(os.path.join(workdir, "dump.rdb", "x"))
    assert c.execute_command("BGSAVE") in (True, b"Background saving started")
    deadline = time.time() + 30
    while time.time() < deadline:
        info = persistence(c)
        if info["rdb_bgsave_in_progress"] == 0 and info["rdb_last_bgsave_status"] == "err":
            break
        time.sleep(0.05)
    out = [persistence(c)["rdb_last_bgsave_status"], raw(c, "SET", "k", "w"), raw(c, "GET", "k"),
           raw(c, "PING"), raw(c, "DEL", "k"), raw(c, "EXISTS", "k")]
    return c, out


def test_misconf_after_failed_bgsave(start_server, tmp_path):
    srv = start_server(args=["--save", "3600 1"])
    c, got = misconf_scenario(srv, str(tmp_path))
    redis_dir = str(tmp_path / "redis")
    os.mkdir(redis_dir)
    r = start_redis(redis_dir, args=["--save", "3600 1"])
    try:
        rc, want = misconf_scenario(r, redis_dir)
        rc.config_set("save", "")  # else its final save at SIGTERM fails and it keeps running
    finally:
        r.stop()
    assert got == want
    assert got[1] == "ERR:" + MISCONF
    assert "Background saving error" in srv.log()
    # Fixed: the cron's retry (once the failed try is 5 s old) saves, and writes come back.
    shutil.rmtree(str(tmp_path / "dump.rdb"))
    c.config_set("save", "1 1")
    deadline = time.time() + 40
    while time.time() < deadline:
        if raw(c, "SET", "k", "w") is True:
            break
        time.sleep(0.2)
    assert c.get("k") == b"w"
    assert persistence(c)["rdb_last_bgsave_status"] == "ok"
    assert (tmp_path / "dump.rdb").is_file()
    c.config_set("stop-writes-on-bgsave-error", "no")
    assert c.config_get("stop-writes-on-bgsave-error") == {"stop-writes-on-bgsave-error": "no"}


def test_bgsave_is_one_point_in_time_across_shards(start_server, tmp_path):
    # Transactions move units between keys (on different shards with 4 shards) while BGSAVE
    # runs: every file holds each transaction whole or not at all.
    import threading
    srv = start_server(args=["--enable-protected-configs", "yes"])
    c = client(srv)
    p = c.pipeline(transaction=False)
    for i in range(100000):  # enough buckets that each save takes many slices
        p.set("fill:%d" % i, i)
    p.execute()
    pairs = [("a%d" % i, "b%d" % i) for i in range(8)]
    for a, b in pairs:
        c.mset({a: 0, b: 0})
    stop = threading.Event()

    def mover():
        m = client(srv)
        while not stop.is_set():
            p = m.pipeline(transaction=True)
            for a, b in pairs:
                p.incr(a)
                p.decr(b)
            p.execute()
        m.close()

    t = threading.Thread(target=mover)
    t.start()
    files = []
    try:
        for i in range(4):
            c.config_set("dbfilename", "snap%d.rdb" % i)
            saves = persistence(c)["rdb_saves"]
            assert c.execute_command("BGSAVE") in (True, b"Background saving started")
            assert wait_done(c, saves)["rdb_last_bgsave_status"] == "ok"
            files.append("snap%d.rdb" % i)
    finally:
        stop.set()
        t.join()
    srv.stop()
    for f in files:
        again = start_server(args=["--dbfilename", f])
        v = client(again).mget([k for p in pairs for k in p])
        total = [int(x) for x in v]
        assert all(total[2 * i] == -total[2 * i + 1] for i in range(len(pairs))), (f, total)
        assert len(set(total[0::2])) == 1, (f, total)
        assert client(again).dbsize() == 100000 + 2 * len(pairs)
        again.stop()


def test_stop_signal_and_shutdown_save_with_save_rules(start_server, tmp_path):
    # As Redis: with save rules, SIGTERM and a plain SHUTDOWN write a final snapshot; without
    # (the harness's --save ""), neither does.
    srv = start_server(args=["--save", "3600 1"])
    client(srv).set("k", "by-sigterm")
    assert srv.stop() == 0
    assert "Saving the final RDB snapshot before exiting." in srv.log()
    again = start_server(args=["--save", "3600 1"])
    c = client(again)
    assert c.get("k") == b"by-sigterm"
    c.set("k", "by-shutdown")
    try:
        c.shutdown()
    except redispy.ConnectionError:
        pass
    assert again.wait_exit(10) == 0
    third = start_server()
    c = client(third)
    assert c.get("k") == b"by-shutdown"
    c.set("k", "not-saved")
    assert third.stop() == 0
    assert client(start_server()).get("k") == b"by-shutdown"


def test_shutdown_nosave_during_bgsave_leaves_no_temp_file(start_server, tmp_path):
    srv = start_server()
    c = client(srv)
    p = c.pipeline(transaction=False)
    for i in range(100000):
        p.set("k%d" % i, i)
    p.execute()
    conn = srv.conn()
    conn.send_raw(b"*1\r\n$6\r\nBGSAVE\r\n*2\r\n$8\r\nSHUTDOWN\r\n$6\r\nNOSAVE\r\n")
    assert srv.wait_exit(20) == 0
    assert not [f for f in os.listdir(tmp_path) if f.startswith("temp-")]


def test_failed_foreground_save_does_not_deny_writes(start_server, tmp_path):
    def scenario(srv, workdir):
        c = client(srv)
        pid = c.info("server")["process_id"]
        os.mkdir(os.path.join(workdir, "temp-%d.rdb" % pid))
        out = [raw(c, "SAVE") is not True, raw(c, "SET", "k", "v")]
        os.rmdir(os.path.join(workdir, "temp-%d.rdb" % pid))
        c.config_set("save", "")
        return out

    got = scenario(start_server(args=["--save", "3600 1"]), str(tmp_path))
    redis_dir = str(tmp_path / "redis")
    os.mkdir(redis_dir)
    r = start_redis(redis_dir, args=["--save", "3600 1"])
    try:
        want = scenario(r, redis_dir)
    finally:
        r.stop()
    assert got == want == [True, True]
