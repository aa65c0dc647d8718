"""The server process: SIGTERM/SHUTDOWN exit 0, config file and flags, --help/--version, bad
options, and the stock redis-cli / redis-benchmark tools against it."""

import os
import signal
import subprocess
import threading
import time

import pytest

from kv_harness import Server, free_port, info, strata_command, target_is_redis
from kv_resp import Conn, ConnectionClosed, RespError, encode


def run(argv, timeout=20, **kw):
    return subprocess.run(argv, capture_output=True, timeout=timeout, **kw)


def test_sigterm_exits_zero(start_server):
    s = start_server()
    conns = [s.conn() for _ in range(5)]
    conns[0].call("SET", "k", "v")
    s.proc.send_signal(signal.SIGTERM)
    assert s.wait_exit(10) == 0, s.log()
    for c in conns:
        assert c.is_closed(5)


def test_sigterm_under_load_exits_zero(start_server):
    s = start_server()
    stop = threading.Event()

    def load():
        try:
            c = Conn(s.port, timeout=5)
            while not stop.is_set():
                c.pipeline([("SET", "k%d" % i, "v") for i in range(100)])
        except (OSError, ConnectionClosed):
            pass

    threads = [threading.Thread(target=load) for _ in range(3)]
    for t in threads:
        t.start()
    time.sleep(0.3)
    s.proc.send_signal(signal.SIGTERM)
    rc = s.wait_exit(10)
    stop.set()
    for t in threads:
        t.join(10)
    assert rc == 0, s.log()


@pytest.mark.parametrize("args", [[], ["NOSAVE"], ["nosave"], ["SAVE"]],
                         ids=["plain", "nosave", "nosave-lower", "save"])
def test_shutdown_command_exits_zero(start_server, args):
    s = start_server()
    other = s.conn()
    c = s.conn()
    c.call("SET", "k", "v")
    c.send_raw(encode("SHUTDOWN", *args))
    assert c.is_closed(10)  # no reply on success: the connection just closes
    assert s.wait_exit(10) == 0, s.log()
    assert other.is_closed(5)


def test_shutdown_bad_argument(server):
    with server.conn() as c:
        assert c.call("SHUTDOWN", "FOO") == RespError("ERR syntax error")
        assert c.call("SHUTDOWN", "NOSAVE", "SAVE") == RespError("ERR syntax error")
        assert c.call("PING") == "PONG"
    assert server.alive()


def test_config_file_and_flag_override(tmp_path, threads):
    conf = tmp_path / "strata.conf"
    conf.write_text("# comment line\n\n"
                    "maxmemory 5mb\n"
                    "maxmemory-policy allkeys-lru\n"
                    "slowlog-log-slower-than 5000\n"
                    "requirepass \"file pass\"\n")
    s = Server(threads=threads, config_file=str(conf), workdir=str(tmp_path),
               password="file pass").start()
    try:
        with s.conn() as c:
            m = info(c, "memory")
            assert m["maxmemory"] == str(5 << 20)
            assert m["maxmemory_policy"] == "allkeys-lru"
            assert c.call("CONFIG", "GET", "slowlog-log-slower-than")[-1] == b"5000"
        with Conn(s.port) as c:
            assert c.call("PING") == RespError("NOAUTH Authentication required.")
    finally:
        assert s.stop() == 0
    # Flags after the file override it.
    s = Server(threads=threads, config_file=str(conf), workdir=str(tmp_path), password="flagpw",
               args=["--maxmemory", "6mb", "--requirepass", "flagpw"]).start()
    try:
        with s.conn() as c:
            assert info(c, "memory")["maxmemory"] == str(6 << 20)
            assert info(c, "memory")["maxmemory_policy"] == "allkeys-lru"
    finally:
        assert s.stop() == 0


def test_version_flag():
    r = run(strata_command() + ["--version"])
    out = (r.stdout + r.stderr).decode()
    assert r.returncode == 0, out
    assert any(ch.isdigit() for ch in out) and "v" in out.lower()


def test_help_flag():
    r = run(strata_command() + ["--help"])
    out = (r.stdout + r.stderr).decode()
    assert "usage" in out.lower(), out
    assert "--port" in out or "port" in out
    # redis-server exits 1 after printing usage; any clean exit (0 or 1) is acceptable.
    assert r.returncode in (0, 1)


@pytest.mark.parametrize("args", [
    ["--no-such-option", "1"],
    ["--port", "abc"],
    ["--port", "70000"],
    ["--maxmemory", "lots"],
    ["--maxmemory-policy", "sometimes"],
    ["/nonexistent/strata.conf"],
], ids=["unknown", "port-nan", "port-range", "maxmemory", "policy", "missing-file"])
def test_bad_option_exits_one(tmp_path, args):
    argv = strata_command() + args
    if "--port" not in args:
        argv += ["--port", str(free_port())]
    r = run(argv, cwd=str(tmp_path))
    out = (r.stdout + r.stderr).decode()
    assert r.returncode == 1, out
    assert out.strip(), "no explanation printed"


def test_port_in_use_exits_one(server, tmp_path):
    # Each shard listens on its own SO_REUSEPORT socket; a second server on the same port must
    # still fail like redis-server does, not join the group and take some of the connections.
    for bind in ("127.0.0.1", "0.0.0.0"):
        r = run(strata_command() + ["--port", str(server.port), "--bind", bind],
                cwd=str(tmp_path))
        out = (r.stdout + r.stderr).decode()
        assert r.returncode == 1, out
        assert "Address already in use" in out
    pids = set()
    for _ in range(20):
        with server.conn() as c:
            pids.add(int(info(c, "server")["process_id"]))
    assert pids == {server.pid}


@pytest.mark.skipif(target_is_redis(), reason="--threads is strata's shard count")
@pytest.mark.parametrize("value", ["-1", "abc", "100000"])  # 0 means one per core
def test_bad_threads_exits_one(tmp_path, value):
    r = run(strata_command() + ["--threads", value, "--port", str(free_port())],
            cwd=str(tmp_path))
    assert r.returncode == 1, (r.stdout + r.stderr).decode()


def cli(port, *args, input=None):
    r = run(["redis-cli", "-p", str(port), *args], input=input)
    assert r.returncode == 0, r.stderr
    return r.stdout.decode()


def test_redis_cli(server):
    p = server.port
    assert cli(p, "ping") == "PONG\n"
    assert cli(p, "set", "greeting", "hello world") == "OK\n"
    assert cli(p, "get", "greeting") == "hello world\n"
    assert cli(p, "--raw", "incrby", "n", "5") == "5\n"
    assert cli(p, "--no-raw", "mget", "greeting", "nokey") == "1) \"hello world\"\n2) (nil)\n"
    assert cli(p, "--no-raw", "dbsize") == "(integer) 2\n"
    assert cli(p, "--no-raw", "nosuchcmd").startswith("(error) ERR unknown command 'nosuchcmd'")
    assert "redis_version" in cli(p, "info", "server") or "# Server" in cli(p, "info", "server")
    assert cli(p, "-3", "--no-raw", "get", "nokey") == "(nil)\n"
    assert cli(p, "-3", "--no-raw", "config", "get", "maxmemory") == "1# \"maxmemory\" => \"0\"\n"
    assert sorted(cli(p, "--scan", "--pattern", "g*").split()) == ["greeting"]
    assert cli(p, "-n", "2", "set", "db2key", "x") == "OK\n"
    assert cli(p, "-n", "2", "get", "db2key") == "x\n"


def test_redis_cli_pipe(server):
    n = 20000
    data = b"".join(encode("SET", "pipe:%d" % i, "value-%d" % i) for i in range(n))
    data += b"".join(encode("INCR", "pipe:counter") for _ in range(100))
    out = cli(server.port, "--pipe", input=data)
    assert "errors: 0, replies: %d" % (n + 100) in out, out
    with server.conn() as c:
        assert c.call("DBSIZE") == n + 1
        assert c.call("GET", "pipe:12345") == b"value-12345"
        assert c.call("GET", "pipe:counter") == b"100"


def test_redis_cli_pipe_inline(server):
    data = b"".join(b"SET inl:%d %d\r\n" % (i, i) for i in range(1000))
    out = cli(server.port, "--pipe", input=data)
    assert "errors: 0, replies: 1000" in out, out


def test_redis_benchmark_smoke(server):
    r = run(["redis-benchmark", "-p", str(server.port), "-t", "set,get,incr,mset", "-n", "5000",
             "-c", "10", "-P", "4", "-q"], timeout=60)
    out = r.stdout.decode()
    assert r.returncode == 0, r.stderr
    for t in ("SET", "GET", "INCR", "MSET"):
        assert t in out and "requests per second" in out, out
    with server.conn() as c:
        assert c.call("GET", "counter:__rand_int__") is not None
