"""Client limits: maxclients, the process's open-file limit, and the idle timeout.

A client over a limit must get redis-server's error and a closed connection, never a connection
left hanging in the listen backlog."""

import resource
import socket
import subprocess
import time

import pytest

from kv_harness import Server, free_port, info, strata_command, target_is_redis
from kv_resp import RespError

MAX_CLIENTS_ERR = b"-ERR max number of clients reached\r\n"


def ping_all(port, n, timeout=5.0):
    """Opens n connections at once, then PINGs on each; returns (answered, rejected, socks)."""
    socks = [socket.create_connection(("127.0.0.1", port), timeout=timeout) for _ in range(n)]
    answered = rejected = 0
    for s in socks:
        try:
            s.sendall(b"PING\r\n")
            d = s.recv(100)
        except ConnectionResetError:
            d = b""
        if d == b"+PONG\r\n":
            answered += 1
        elif d in (MAX_CLIENTS_ERR, b""):  # the error, then the close
            rejected += 1
        else:
            raise AssertionError("unexpected reply %r" % d)
    return answered, rejected, socks


def wait_clients(conn, n, timeout=5.0):
    deadline = time.monotonic() + timeout
    while int(info(conn, "clients")["connected_clients"]) != n:
        assert time.monotonic() < deadline, info(conn, "clients")
        time.sleep(0.02)


def test_maxclients_rejects_with_error(start_server):
    s = start_server(args=["--maxclients", "5"])
    admin = s.conn()
    wait_clients(admin, 1)
    answered, rejected, socks = ping_all(s.port, 7)
    assert (answered, rejected) == (4, 3)
    assert int(info(admin, "stats")["rejected_connections"]) >= 3
    for x in socks:
        x.close()
    wait_clients(admin, 1)
    answered, rejected, socks = ping_all(s.port, 4)  # room again
    assert (answered, rejected) == (4, 0)
    for x in socks:
        x.close()


def test_open_file_limit_lowers_maxclients(threads, tmp_path):
    s = Server(threads=threads, workdir=str(tmp_path), nofile=64).start()
    try:
        admin = s.conn()
        m = int(admin.call("CONFIG", "GET", "maxclients")[1])
        assert 1 <= m <= 64 - 32, m
        assert "maxclients" in s.log() and "reduced" in s.log()
        answered, rejected, socks = ping_all(s.port, 80)
        assert answered <= m - 1 and answered + rejected == 80, (answered, rejected, m)
        for x in socks:
            x.close()
        # Raising it past what the open-file limit allows is refused, with what would fit.
        r = admin.call("CONFIG", "SET", "maxclients", "1000")
        assert isinstance(r, RespError) and "not able to handle the specified number" in str(r), r
        assert int(admin.call("CONFIG", "GET", "maxclients")[1]) == m
        assert admin.call("CONFIG", "SET", "maxclients", "10") == "OK"
    finally:
        s.stop()


def test_open_file_limit_too_low_to_start(tmp_path):
    def limit():
        resource.setrlimit(resource.RLIMIT_NOFILE, (20, 20))

    r = subprocess.run(strata_command() + ["--port", str(free_port())], capture_output=True,
                       timeout=20, cwd=str(tmp_path), preexec_fn=limit)
    out = (r.stdout + r.stderr).decode()
    assert r.returncode == 1, out
    assert "ulimit" in out


@pytest.mark.skipif(target_is_redis(), reason="redis-server leaves such clients in the backlog")
def test_out_of_descriptors_rejects_instead_of_hanging(start_server):
    s = start_server()
    # Lower the running server's limit under what its maxclients assumed.
    before = resource.prlimit(s.pid, resource.RLIMIT_NOFILE)
    resource.prlimit(s.pid, resource.RLIMIT_NOFILE, (48, before[1]))  # soft only
    answered, rejected, socks = ping_all(s.port, 80)
    resource.prlimit(s.pid, resource.RLIMIT_NOFILE, before)
    assert answered + rejected == 80 and rejected > 0 and answered > 0
    for x in socks:
        x.close()
    with s.conn() as c:
        assert c.call("PING") == "PONG"
        assert int(info(c, "stats")["rejected_connections"]) >= rejected
    assert "out of file descriptors" in s.log()


def test_idle_timeout_closes_only_idle_clients(start_server):
    s = start_server(args=["--timeout", "1"])
    idle = s.conn()
    busy = s.conn()
    assert idle.call("PING") == "PONG"
    t0 = time.monotonic()
    while time.monotonic() - t0 < 3.0:
        assert busy.call("PING") == "PONG"
        time.sleep(0.2)
    assert idle.is_closed(5)
    assert busy.call("PING") == "PONG"
