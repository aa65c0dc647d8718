"""The dataset load at start, as clients see it (Redis's loading behaviour): while the server loads
its RDB snapshot or its AOF (base and command tail), commands without Redis's ok-loading flag are
answered -LOADING (PING and GET included; INFO, ECHO, CLIENT, CONFIG GET ... still run), INFO
persistence shows loading:1 with the loading_* fields, and once everything is in, every key is
there and loading:0. Each case runs against strata-server and against redis-server 7.0 with the
same files, so the test is differential.

The files are written here (a plain RDB of strings, then an AOF directory whose tail is many
commands), large enough that loading takes a while. No timing is asserted: when a load ends
before the probes ran, the case is retried with more data, then skipped with the reason."""

import os
import shutil
import socket
import struct
import time

import pytest
import redis as redispy

from kv_harness import Server, redis_command, strata_command, target_is_redis
from kv_resp import RespError

LOADING = "LOADING Redis is loading the dataset in memory"
LOADING_FIELDS = ["loading_start_time", "loading_total_bytes", "loading_rdb_used_mem",
                  "loading_loaded_bytes", "loading_loaded_perc", "loading_eta_seconds"]
BASE_KEYS = 1_500_000
VALUE = b"v" * 24


def rdb_length(n):
    if n < 64:
        return bytes([n])
    if n < 16384:
        return bytes([0x40 | (n >> 8), n & 0xFF])
    return b"\x80" + struct.pack(">I", n)


def rdb_string(s):
    return rdb_length(len(s)) + s


def write_rdb(path, keys):
    """A version-10 RDB of `keys` strings key:<i> = VALUE + i (no checksum: 8 zero bytes)."""
    out = [b"REDIS0010", b"\xfa" + rdb_string(b"redis-ver") + rdb_string(b"7.0.15"),
           b"\xfe\x00\xfb" + rdb_length(keys) + rdb_length(0)]
    val_head = rdb_length(len(VALUE) + 7)
    chunk = []
    for i in range(keys):
        k = b"key:%d" % i
        chunk.append(b"\x00%c%s%s%s%07d" % (len(k), k, val_head, VALUE, i))
        if len(chunk) >= 100_000:
            out.append(b"".join(chunk))
            chunk = []
    out.append(b"".join(chunk))
    out.append(b"\xff" + b"\x00" * 8)
    with open(path, "wb") as f:
        f.write(b"".join(out))


def resp(*args):
    return b"*%d\r\n" % len(args) + b"".join(b"$%d\r\n%s\r\n" % (len(a), a) for a in args)


def write_aof(dirpath, keys, tail):
    """An AOF directory: an RDB base of `keys` strings, then `tail` commands (INCRs of a counter
    and SETs of tail:<i>)."""
    os.makedirs(dirpath, exist_ok=True)
    write_rdb(os.path.join(dirpath, "appendonly.aof.1.base.rdb"), keys)
    parts = [resp(b"SELECT", b"0")]
    for i in range(tail):
        parts.append(resp(b"INCR", b"counter") if i % 2 else resp(b"SET", b"tail:%d" % i, b"t"))
    with open(os.path.join(dirpath, "appendonly.aof.1.incr.aof"), "wb") as f:
        f.write(b"".join(parts))
    with open(os.path.join(dirpath, "appendonly.aof.manifest"), "w") as f:
        f.write("file appendonly.aof.1.base.rdb seq 1 type b\n"
                "file appendonly.aof.1.incr.aof seq 1 type i\n")


def client(srv):
    return redispy.Redis(host="127.0.0.1", port=srv.port, socket_timeout=60)


def info_persistence(c):
    return c.info("persistence")


def probe_while_loading(srv):
    """Probes a server that is loading. Returns None when the load was over before the probes
    could see it, else a list of what was seen (each assertion made here holds whatever the
    timing)."""
    c = client(srv)
    seen = []
    raw = srv.conn()
    r = raw.call("PING")  # the exact text on the wire
    raw.close()
    if not isinstance(r, RespError):
        return None  # already loaded
    assert r.message == LOADING, r
    try:
        c.ping()
        seen.append("ping-after-load")
    except redispy.exceptions.BusyLoadingError:
        seen.append("ping")
    try:
        c.get("key:1")
        got_value = True
    except redispy.exceptions.BusyLoadingError:
        seen.append("get")
        got_value = False
    if srv.memcached_port:  # strata's memcached listener refuses keyed requests the same way
        with socket.create_connection(("127.0.0.1", srv.memcached_port), timeout=30) as m:
            m.sendall(b"get key:1\r\n")
            line = m.makefile("rb").readline()
        if line == b"SERVER_ERROR loading the dataset in memory\r\n":
            seen.append("memcached")
        else:
            assert line.startswith(b"VALUE") or line == b"END\r\n", line
    # Allowed while loading: INFO, ECHO, CLIENT, CONFIG GET, TIME.
    info = info_persistence(c)
    assert c.echo("hi") == b"hi"
    assert c.client_id() > 0
    assert c.config_get("maxmemory") == {"maxmemory": "0"}
    assert len(c.time()) == 2
    if info["loading"] == 1:
        seen.append("info")
        for f in LOADING_FIELDS:
            assert f in info, (f, info)
        assert info["loading_total_bytes"] > 0
        assert 0 <= info["loading_loaded_bytes"] <= info["loading_total_bytes"]
    elif not got_value:
        return None
    # A transaction whose command is refused while loading is aborted, as any refused command.
    p = client(srv).pipeline(transaction=True)
    p.get("key:2")
    try:
        p.execute()
    except (redispy.exceptions.BusyLoadingError, redispy.exceptions.ExecAbortError):
        seen.append("multi")
    return seen


def wait_loaded(srv, timeout=120):
    c = client(srv)
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            c.ping()
            return c
        except redispy.exceptions.BusyLoadingError:
            time.sleep(0.05)
    raise AssertionError("still loading after %ss" % timeout)


def start_loading(cmd, workdir, args, memcached=False):
    srv = Server(cmd=cmd, workdir=workdir, args=list(args), threads=None, memcached=memcached)
    return srv.start(timeout=60, wait_loaded=False)


TARGETS = ["strata", "redis"]


def command_of(target):
    return redis_command() if target == "redis" else strata_command()


def is_strata(target):
    """Whether `target` runs strata-server (with STRATA_SERVER_CMD=redis-server both are Redis)."""
    return target == "strata" and not target_is_redis()


def server_args(target, extra):
    args = ["--dir", None] + list(extra)
    if is_strata(target):
        args += ["--threads", "4"]
    return args


def run_loading_case(tmp_path, target, make_files, extra_args, check_after):
    keys = BASE_KEYS
    for attempt in range(3):
        workdir = str(tmp_path / ("%s-%d" % (target, attempt)))
        os.makedirs(workdir)
        make_files(workdir, keys)
        args = server_args(target, extra_args)
        args[1] = workdir
        srv = start_loading(command_of(target), workdir, args, memcached=is_strata(target))
        try:
            seen = probe_while_loading(srv)
            c = wait_loaded(srv)
            assert info_persistence(c)["loading"] == 0
            for f in LOADING_FIELDS:
                assert f not in info_persistence(c)
            check_after(c, keys, srv)
        finally:
            srv.stop()
        shutil.rmtree(workdir, ignore_errors=True)
        if seen and "info" in seen:
            return seen
        keys *= 2
    pytest.skip("%s loaded %d keys before the probes ran (machine too fast for this size)" %
                (target, keys // 2))


@pytest.mark.parametrize("target", TARGETS)
def test_rdb_loading(tmp_path, target):
    def make(workdir, keys):
        write_rdb(os.path.join(workdir, "dump.rdb"), keys)

    def check(c, keys, srv):
        assert c.dbsize() == keys
        for i in (0, 1, keys // 2, keys - 1):
            assert c.get("key:%d" % i) == VALUE + b"%07d" % i
        if is_strata(target):
            log = open(srv.log_path, "rb").read().decode()
            assert "Done loading RDB, keys loaded: %d, keys expired: 0." % keys in log
            assert "DB loaded from disk:" in log

    run_loading_case(tmp_path, target, make, [], check)


@pytest.mark.parametrize("target", TARGETS)
def test_aof_loading(tmp_path, target):
    tail = 200_000

    def make(workdir, keys):
        write_aof(os.path.join(workdir, "appendonlydir"), keys // 2, tail)

    def check(c, keys, srv):
        assert c.dbsize() == keys // 2 + tail // 2 + 1
        assert c.get("key:0") == VALUE + b"0000000"
        assert c.get("tail:0") == b"t" and c.get("tail:%d" % (tail - 2)) == b"t"
        assert int(c.get("counter")) == tail // 2
        # The log is on once loading is over: an acknowledged write survives a SIGKILL.
        assert c.set("after-load", "yes")
        srv.kill()
        srv.start(timeout=120)
        again = client(srv)
        assert again.get("after-load") == b"yes"
        assert int(again.get("counter")) == tail // 2

    run_loading_case(tmp_path, target, make, ["--appendonly", "yes"], check)


def test_bad_file_still_stops_the_start(tmp_path):
    """A file damaged near its end: the keys before it were handed out, yet the start fails
    naming the file and the offset."""
    if target_is_redis():
        pytest.skip("strata's own message for a bad file")
    workdir = str(tmp_path)
    path = os.path.join(workdir, "dump.rdb")
    write_rdb(path, 200_000)
    data = bytearray(open(path, "rb").read())
    data[-20] = 0x42  # inside the last value: an unknown type byte or a bad length
    data[-30] = 0x0E
    open(path, "wb").write(bytes(data[:-12]))  # and truncated
    srv = Server(workdir=workdir, args=["--dir", workdir], threads=4)
    with pytest.raises(RuntimeError) as exc:
        srv.start(timeout=60)
    msg = str(exc.value)
    assert "exited with 1" in msg and "Bad RDB file" in msg and "byte offset" in msg, msg
