"""RDB snapshot files: SAVE writes dir/dbfilename in Redis 7.0's format (RDB version 10) and the
server loads it at start. Round trips strata -> strata (same and different shard counts),
strata -> redis-server (and redis-check-rdb), redis-server -> strata, for every type in its
encodings, TTLs and several databases; corrupt and truncated files stop the start; dir and
dbfilename checks; LASTSAVE and INFO persistence; rdbchecksum / rdbcompression no."""

import os
import shutil
import subprocess
import time

import pytest
import redis as redispy

from kv_harness import Server, redis_command
from kv_resp import RespError
from test_kv_dump_restore import contents, encoding, populate

DBS = [0, 1, 5, 15]


def client(srv, db=0):
    return redispy.Redis(host="127.0.0.1", port=srv.port, db=db, socket_timeout=60)


def fill(srv):
    """Every type and encoding in db 0, a few keys with TTLs, and keys in other databases."""
    c = client(srv)
    populate(c)
    c.set("ttl:str", "v", ex=10000)
    c.rpush("ttl:list", "a", "b")
    c.pexpireat("ttl:list", int(time.time() * 1000) + 5_000_000)
    c.pfadd("hll", *["e%d" % i for i in range(100)])
    for db in DBS[1:]:
        d = client(srv, db)
        d.set("db%d:str" % db, "in db %d" % db)
        d.hset("db%d:hash" % db, mapping={"f": db})
        d.zadd("db%d:zset" % db, {"m": db})
        d.set("db%d:ttl" % db, "t", px=7_000_000)
        d.close()
    c.close()


def state(srv):
    """Every key of every database: type, contents, encoding and whether it has a TTL."""
    out = {}
    for db in DBS:
        c = client(srv, db)
        for k in sorted(c.keys("*")):
            ttl = c.pttl(k)
            out[(db, k)] = (contents(c, k), encoding(c, k), ttl > 0)
        c.close()
    return out


def ttls(srv):
    out = {}
    for db in DBS:
        c = client(srv, db)
        for k in c.keys("*"):
            t = c.pttl(k)
            if t > 0:
                out[(db, k)] = t
        c.close()
    return out


def start_redis(workdir, filename="dump.rdb", args=()):
    return Server(cmd=redis_command(), workdir=workdir,
                  args=["--dir", workdir, "--dbfilename", filename] + list(args)).start()


def expect_start_failure(start_server, **kw):
    with pytest.raises(RuntimeError) as exc:
        start_server(**kw)
    return str(exc.value)


# ---------------------------------------------------------------- round trips

def test_save_and_restart(start_server, tmp_path):
    srv = start_server()
    fill(srv)
    before, before_ttl = state(srv), ttls(srv)
    assert client(srv).save()
    srv.stop()
    assert (tmp_path / "dump.rdb").exists()
    assert not [p for p in os.listdir(tmp_path) if p.startswith("temp-")]
    again = start_server()
    assert state(again) == before
    after_ttl = ttls(again)
    assert after_ttl.keys() == before_ttl.keys()
    for k, t in before_ttl.items():
        assert 0 <= t - after_ttl[k] < 60_000, k  # absolute expiry times are kept
    assert "Done loading RDB, keys loaded: %d" % len(before) in again.log()


@pytest.mark.parametrize("other", [1, 3], ids=["to1", "to3"])
def test_restart_with_another_shard_count(start_server, other):
    srv = start_server()
    fill(srv)
    before = state(srv)
    client(srv).save()
    srv.stop()
    again = start_server(threads=other)
    assert state(again) == before
    # Keys landed on their owning shards: every one is reachable and writable.
    c = client(again)
    for (db, k) in before:
        if db == 0:
            assert c.exists(k) == 1
    assert c.dbsize() == sum(1 for (db, _) in before if db == 0)


def test_shutdown_save(start_server, tmp_path):
    srv = start_server()
    client(srv).set("k", "v")
    c = client(srv)
    try:
        c.shutdown(save=True)
    except redispy.ConnectionError:
        pass
    assert srv.wait_exit(10) == 0
    assert (tmp_path / "dump.rdb").exists()
    assert client(start_server()).get("k") == b"v"


def test_expired_keys_are_not_loaded(start_server):
    srv = start_server()
    c = client(srv)
    c.set("gone", "v", px=300)
    c.set("kept", "v")
    c.save()
    srv.stop()
    time.sleep(0.5)
    again = start_server()
    c = client(again)
    assert c.exists("gone") == 0 and c.get("kept") == b"v"
    assert "keys expired: 1" in again.log()


def test_no_file_starts_empty(start_server, tmp_path):
    srv = start_server()
    assert client(srv).dbsize() == 0
    assert "Loading RDB" not in srv.log()


# ---------------------------------------------------------------- interchange with redis-server

def test_strata_file_passes_redis_check_rdb_and_loads_into_redis(start_server, tmp_path):
    srv = start_server()
    fill(srv)
    expected = state(srv)
    client(srv).save()
    path = str(tmp_path / "dump.rdb")
    check = subprocess.run(["redis-check-rdb", path], capture_output=True, text=True)
    assert check.returncode == 0, check.stdout + check.stderr
    assert "RDB looks OK" in check.stdout
    redis_dir = str(tmp_path / "redis")
    os.mkdir(redis_dir)
    shutil.copy(path, os.path.join(redis_dir, "strata.rdb"))
    r = start_redis(redis_dir, "strata.rdb")
    try:
        assert state(r) == expected
    finally:
        r.stop()


def test_redis_file_loads_into_strata(start_server, tmp_path):
    redis_dir = str(tmp_path / "redis")
    os.mkdir(redis_dir)
    r = start_redis(redis_dir)
    try:
        fill(r)
        expected = state(r)
        client(r).save()
    finally:
        r.stop()
    shutil.copy(os.path.join(redis_dir, "dump.rdb"), str(tmp_path / "dump.rdb"))
    srv = start_server()
    assert state(srv) == expected


def test_rdbchecksum_and_rdbcompression_no(start_server, tmp_path):
    srv = start_server(args=["--rdbchecksum", "no", "--rdbcompression", "no"])
    fill(srv)
    expected = state(srv)
    client(srv).save()
    srv.stop()
    data = (tmp_path / "dump.rdb").read_bytes()
    assert data[-8:] == b"\0" * 8
    assert b"v" * 10000 in data  # long strings written plain
    assert state(start_server()) == expected
    redis_dir = str(tmp_path / "redis")
    os.mkdir(redis_dir)
    shutil.copy(str(tmp_path / "dump.rdb"), redis_dir)
    r = start_redis(redis_dir)
    try:
        assert state(r) == expected
    finally:
        r.stop()


# ---------------------------------------------------------------- bad files

def saved_file(start_server, tmp_path, args=()):
    srv = start_server(args=args)
    fill(srv)
    client(srv).save()
    srv.stop()
    return (tmp_path / "dump.rdb").read_bytes()


def test_corrupt_files_stop_the_start(start_server, tmp_path):
    good = saved_file(start_server, tmp_path)
    path = tmp_path / "dump.rdb"
    cases = {
        "magic": b"RUDIS" + good[5:],
        "version": good[:5] + b"0011" + good[9:],
        "checksum": good[:-1] + bytes([good[-1] ^ 1]),
        "flipped": good[:len(good) // 2] + bytes([good[len(good) // 2] ^ 0x55]) +
        good[len(good) // 2 + 1:],
        "truncated-head": good[:7],
        "truncated-middle": good[:len(good) // 3],
        "truncated-checksum": good[:-3],
        "no-eof": good[:-9],
    }
    for name, data in cases.items():
        path.write_bytes(data)
        msg = expect_start_failure(start_server)
        assert "exited with 1" in msg, (name, msg)
        assert "dump.rdb" in msg and "Bad RDB file" in msg, (name, msg)
        assert "byte offset" in msg, (name, msg)
    path.write_bytes(good)
    start_server()


def test_bad_object_without_checksum(start_server, tmp_path):
    good = saved_file(start_server, tmp_path, args=["--rdbchecksum", "no"])
    # The first key of db 0: replace its type byte with one no Redis writes.
    at = good.index(b"\xfe\x00\xfb") + 3
    # RESIZEDB's two lengths (small here: one byte each unless large).
    data = bytearray(good)
    pos = at
    for _ in range(2):
        b = data[pos]
        pos += {0: 1, 1: 2}.get(b >> 6, 5 if b == 0x80 else 9)
    if data[pos] == 0xfc:
        pos += 9
    data[pos] = 0x42
    (tmp_path / "dump.rdb").write_bytes(bytes(data))
    msg = expect_start_failure(start_server)
    assert "byte offset %d" % pos in msg, msg


def test_duplicate_keys_stop_the_start(start_server, tmp_path):
    srv = start_server()
    c = client(srv)
    c.set("a", "1")
    c.save()
    srv.stop()
    data = (tmp_path / "dump.rdb").read_bytes()
    # SELECTDB 0 + RESIZEDB 1 0 + one key: repeat the key record.
    start = data.index(b"\xfe\x00\xfb\x01\x00") + 5
    end = len(data) - 9
    body = data[:start] + data[start:end] * 2 + b"\xff"
    (tmp_path / "dump.rdb").write_bytes(body + b"\0" * 8)  # a zero checksum is not checked
    msg = expect_start_failure(start_server)
    assert "duplicate key 'a'" in msg, msg


# ---------------------------------------------------------------- commands and configuration

def test_dir_and_dbfilename_are_protected_configs(start_server, tmp_path):
    # CONFIG SET dir + dbfilename + SAVE would write a file anywhere: as in Redis 7, only with
    # enable-protected-configs (yes, or local for loopback clients).
    c = client(start_server())
    for name, value in (("dir", str(tmp_path)), ("dbfilename", "x.rdb")):
        with pytest.raises(redispy.ResponseError) as e:
            c.config_set(name, value)
        assert str(e.value) == ("CONFIG SET failed (possibly related to argument '%s') - can't "
                                "set protected config" % name)
    assert c.config_get("dbfilename")["dbfilename"] == "dump.rdb"
    with pytest.raises(redispy.ResponseError, match="can't set immutable config"):
        c.config_set("enable-protected-configs", "yes")
    local = client(start_server(args=["--enable-protected-configs", "local"]))
    assert local.config_set("dbfilename", "y.rdb")


def test_config_dir_and_dbfilename(start_server, tmp_path):
    srv = start_server(args=["--enable-protected-configs", "yes"])
    c = client(srv)
    assert c.config_get("dir")["dir"] == str(tmp_path)
    assert c.config_get("dbfilename")["dbfilename"] == "dump.rdb"
    with pytest.raises(redispy.ResponseError, match="dbfilename can't be a path, just a filename"):
        c.config_set("dbfilename", "sub/x.rdb")
    with pytest.raises(redispy.ResponseError, match="No such file or directory"):
        c.config_set("dir", str(tmp_path / "missing"))
    other = tmp_path / "other"
    other.mkdir()
    c.config_set("dir", str(other))
    c.config_set("dbfilename", "mine.rdb")
    assert c.config_get("dir")["dir"] == str(other)
    c.set("k", "v")
    assert c.save()
    assert (other / "mine.rdb").exists() and not (tmp_path / "dump.rdb").exists()
    srv.stop()
    again = start_server(args=["--dir", str(other), "--dbfilename", "mine.rdb"])
    assert client(again).get("k") == b"v"


def test_rdbchecksum_is_fixed_at_start(start_server):
    c = client(start_server())
    assert c.config_get("rdbchecksum")["rdbchecksum"] == "yes"
    with pytest.raises(redispy.ResponseError, match="can't set immutable config"):
        c.config_set("rdbchecksum", "no")
    c.config_set("rdbcompression", "no")
    assert c.config_get("rdbcompression")["rdbcompression"] == "no"


def persistence(c):
    return c.info("persistence")


def test_lastsave_and_info(start_server):
    c = client(start_server())
    first = c.lastsave()
    info = persistence(c)
    assert info["rdb_saves"] == 0 and info["loading"] == 0
    assert info["rdb_last_bgsave_status"] == "ok"
    for i in range(5):
        c.set("k%d" % i, i)
    assert persistence(c)["rdb_changes_since_last_save"] == 5
    time.sleep(1.1)
    assert c.save()
    assert c.lastsave() > first
    info = persistence(c)
    assert info["rdb_saves"] == 1 and info["rdb_changes_since_last_save"] == 0
    assert info["rdb_last_save_time"] == int(c.lastsave().timestamp())
    c.set("x", 1)
    assert persistence(c)["rdb_changes_since_last_save"] == 1


def test_failed_save_keeps_the_previous_file(start_server, tmp_path):
    srv = start_server()
    c = client(srv)
    c.set("k", "old")
    c.save()
    good = (tmp_path / "dump.rdb").read_bytes()
    c.set("k", "new")
    # The temp file's name taken by a directory: the write fails before the rename.
    (tmp_path / ("temp-%d.rdb" % srv.pid)).mkdir()
    with pytest.raises(redispy.ResponseError):
        c.save()
    assert (tmp_path / "dump.rdb").read_bytes() == good
    assert persistence(c)["rdb_last_bgsave_status"] == "err"
    assert "Failed opening the temp RDB file" in srv.log()
    (tmp_path / ("temp-%d.rdb" % srv.pid)).rmdir()
    assert c.save()
    assert persistence(c)["rdb_last_bgsave_status"] == "ok"


def test_save_is_one_point_in_time(start_server, threads, tmp_path):
    # Transactions move a unit between keys on (with 4 shards) different shards while SAVE runs:
    # every saved file holds a consistent pair.
    import threading
    srv = start_server(args=["--enable-protected-configs", "yes"])
    c = client(srv)
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
    try:
        files = []
        for i in range(5):
            c.config_set("dbfilename", "snap%d.rdb" % i)
            assert c.save()
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
        assert len(set(total[0::2])) == 1, (f, total)  # every transaction whole or absent
        again.stop()


def test_save_and_shutdown_refused_in_multi(start_server):
    srv = start_server()
    with srv.conn() as c:
        for cmd in (["SAVE"], ["SHUTDOWN", "SAVE"]):
            assert c.call("MULTI") == "OK"
            assert c.call("SET", "k", "v") == "QUEUED"
            assert c.call(*cmd) == RespError("ERR Command not allowed inside a transaction")
            err = c.call("EXEC")
            assert isinstance(err, RespError) and err.message.startswith("EXECABORT"), err
        assert c.call("EXISTS", "k") == 0
    assert srv.alive()


def test_save_under_maxmemory_evicts_nothing(start_server):
    # SAVE's serialized copy is freed once written: writes just under the limit afterwards evict
    # nothing.
    srv = start_server(args=["--maxmemory-policy", "allkeys-lru"])
    c = client(srv)
    p = c.pipeline(transaction=False)
    for i in range(4000):
        p.set("key:%d" % i, "v" * 500)
    p.execute()
    used = c.info("memory")["used_memory"]
    c.config_set("maxmemory", used + 2_000_000)
    for _ in range(3):
        assert c.save()
    time.sleep(0.3)  # every shard has freed its part and published its memory
    for i in range(200):
        c.set("more:%d" % i, "x")
    assert c.info("stats")["evicted_keys"] == 0
    assert c.dbsize() == 4200


def test_memcached_items_are_saved_as_strings(start_server, tmp_path):
    # Items stored over the memcached protocol live in database 0 and are saved with it; their
    # client flags live beside the keyspace and are not part of the file.
    import socket
    srv = start_server(memcached=True)
    s = socket.create_connection(("127.0.0.1", srv.memcached_port), timeout=5)
    s.sendall(b"set plain 0 0 5\r\nhello\r\nset flagged 42 0 3\r\nabc\r\n")
    got = b""
    while got.count(b"STORED\r\n") < 2:
        got += s.recv(1024)
    s.close()
    assert client(srv).save()
    srv.stop()
    again = start_server()
    c = client(again)
    assert c.get("plain") == b"hello" and c.get("flagged") == b"abc"
