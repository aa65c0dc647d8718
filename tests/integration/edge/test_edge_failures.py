"""Failure modes: truncated origin bodies, origin timeouts, clients leaving mid-stream."""
import time

from edge_harness import Client, Resp, connect, get, read_response


def test_truncated_origin_body_is_not_cached(origin, edge):
    origin.route("/trunc", Resp(raw=b"HTTP/1.1 200 OK\r\nCache-Control: max-age=60\r\nContent-Length: 1000\r\n\r\n"
                                    + b"x" * 500, close=True))
    s = connect(edge.port)
    s.sendall(b"GET /trunc HTTP/1.1\r\nHost: x\r\n\r\n")
    got = b""
    s.settimeout(5)
    while True:
        d = s.recv(65536)
        if not d:
            break
        got += d
    head, body = got.split(b"\r\n\r\n", 1)
    assert b"Content-Length: 1000" in head
    assert len(body) == 500  # the client sees the truncation as a closed connection
    origin.route("/trunc", Resp(200, [("Cache-Control", "max-age=60")], b"whole"))
    assert get(edge, "/trunc").body == b"whole"
    assert origin.count("/trunc") == 2


def test_origin_timeout_is_504(origin, edge_factory):
    e = edge_factory(origin.url, config="[timeouts]\norigin_ms = 500\n")
    origin.route("/hang", Resp(200, [], b"late", delay=4.0))
    t0 = time.time()
    r = get(e, "/hang")
    assert r.status == 504
    assert time.time() - t0 < 3.0
    assert e.metric("origin_errors_total") == 1


def test_cache_fill_continues_after_client_leaves(origin, edge):
    body = b"z" * 300000
    origin.route("/fill", Resp(200, [("Cache-Control", "max-age=60")],
                               parts=[(body[:1000], 0.5), (body[1000:], 0)]))
    s = connect(edge.port)
    s.sendall(b"GET /fill HTTP/1.1\r\nHost: test.local\r\n\r\n")
    s.recv(100)
    s.close()  # leave while the origin is still sending
    time.sleep(1.0)
    r = get(edge, "/fill")
    assert r.body == body and r.header("X-Cache") == "HIT"
    assert origin.count("/fill") == 1


def test_pass_abandoned_when_client_leaves(origin, edge):
    origin.route("/passbig", Resp(200, [("Cache-Control", "no-store")],
                                  parts=[(b"p" * 1000, 1.0), (b"q" * 1000, 0)]))
    s = connect(edge.port)
    s.sendall(b"GET /passbig HTTP/1.1\r\nHost: x\r\n\r\n")
    s.recv(100)
    s.close()
    time.sleep(0.2)
    # The edge stays healthy and keeps serving.
    origin.route("/after", Resp(200, [], b"fine"))
    assert get(edge, "/after").body == b"fine"


def test_many_keepalive_clients_and_bad_ones_mixed(origin, edge):
    origin.route("/mix", Resp(200, [("Cache-Control", "max-age=60")], b"mix"))
    good = [Client(edge.port) for _ in range(20)]
    for i in range(3):
        bad = Client(edge.port)
        bad.send(b"GET / HTTP/1.1\r\nHost: x\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\n")
        assert read_response(bad.sock).status == 400
        for c in good:
            assert c.request("GET", "/mix").body == b"mix"
    assert origin.count("/mix") == 1


def test_connection_limit(origin, edge_factory):
    e = edge_factory(origin.url, config="max_connections = 3\n")
    origin.route("/c", Resp(200, [("Cache-Control", "max-age=60")], b"c"))
    # Earlier connections (the harness's start-up probes) close asynchronously: retry until all
    # three held connections are admitted, however loaded the machine is.
    deadline = time.time() + 10
    while True:
        held = [Client(e.port) for _ in range(3)]
        statuses = []
        for c in held:
            try:
                statuses.append(c.request("GET", "/c").status)
            except Exception:
                statuses.append(None)
        if statuses == [200, 200, 200]:
            break
        for c in held:
            c.sock.close()
        assert time.time() < deadline, statuses
        time.sleep(0.3)
    refused_before = e.metric("refused_connections_total")
    extra = Client(e.port)
    r = read_response(extra.sock)
    assert r.status == 503
    assert extra.closed()
    # A refusal in the accept path (descriptors exhausted) is counted just after its 503 is
    # sent, from another worker thread: wait for the count rather than race it.
    deadline = time.time() + 5
    while e.metric("refused_connections_total") < refused_before + 1 and time.time() < deadline:
        time.sleep(0.05)
    assert e.metric("refused_connections_total") == refused_before + 1
    held[0].close()
    # Once the edge has seen the close, a new client is admitted again.
    deadline = time.time() + 5
    while True:
        time.sleep(0.2)
        r = get(e, "/c")
        if r is not None and r.status == 200 or time.time() > deadline:
            break
    assert r.status == 200


def _status_of_fresh_connections(port, n, path):
    """Opens n connections at once, then asks each for `path` (with get()'s Host, so a path it
    cached is a hit and needs no origin connection): the statuses (None = closed). A request
    that does need the origin can wait behind a fetch that has no descriptor yet, hence the
    generous read timeout; a client left in the listen backlog would still time out."""
    socks = [connect(port) for _ in range(n)]
    statuses = []
    for s in socks:
        try:
            s.sendall(b"GET %s HTTP/1.1\r\nHost: test.local\r\n\r\n" % path.encode())
            r = read_response(s, timeout=15)
            statuses.append(r.status if r else None)
        except ConnectionError:
            statuses.append(None)  # refused before a response could be written
    for s in socks:
        s.close()
    return statuses


def test_out_of_descriptors_refuses_instead_of_hanging(origin, edge):
    import resource
    origin.route("/fd", Resp(200, [("Cache-Control", "max-age=60")], b"fd"))
    assert get(edge, "/fd").status == 200
    # Lower the running edge's open-file limit far under what max_connections assumed.
    before = resource.prlimit(edge.proc.pid, resource.RLIMIT_NOFILE)
    resource.prlimit(edge.proc.pid, resource.RLIMIT_NOFILE, (48, before[1]))  # soft only
    statuses = _status_of_fresh_connections(edge.port, 80, "/fd")
    resource.prlimit(edge.proc.pid, resource.RLIMIT_NOFILE, before)
    assert statuses.count(200) > 0 and statuses.count(503) > 0, statuses
    # Every client answered, none left hanging (a 502: no descriptor left for an origin
    # connection, with the object cached on another worker).
    assert set(statuses) <= {200, 502, 503}, statuses
    assert edge.metric("refused_connections_total") >= statuses.count(503)
    assert get(edge, "/fd").status == 200


def test_open_file_limit_lowers_max_connections(origin, tmp_path):
    import resource
    import subprocess
    from edge_harness import EDGE_BIN, free_port

    def limit():
        resource.setrlimit(resource.RLIMIT_NOFILE, (200, 200))

    origin.route("/lim", Resp(200, [("Cache-Control", "max-age=60")], b"lim"))
    port = free_port()
    log = open(tmp_path / "edge.log", "w")
    p = subprocess.Popen([EDGE_BIN, "--origin", origin.url, "--listen", "127.0.0.1:%d" % port,
                          "--admin", "127.0.0.1:%d" % free_port()],
                         stdout=log, stderr=subprocess.STDOUT, preexec_fn=limit)
    try:
        deadline = time.time() + 10
        while True:
            try:
                Client(port).sock.close()
                break
            except OSError:
                assert p.poll() is None and time.time() < deadline
                time.sleep(0.05)
        text = open(tmp_path / "edge.log").read()
        assert "max_connections has been reduced" in text, text
        statuses = _status_of_fresh_connections(port, 120, "/lim")
        assert set(statuses) <= {200, 502, 503} and statuses.count(503) > 0, statuses
    finally:
        p.terminate()
        p.wait(10)

    def too_low():
        resource.setrlimit(resource.RLIMIT_NOFILE, (40, 40))
    r = subprocess.run([EDGE_BIN, "--origin", origin.url, "--listen", "127.0.0.1:%d" % free_port(),
                        "--admin", "127.0.0.1:%d" % free_port()],
                       capture_output=True, text=True, timeout=20, preexec_fn=too_low)
    assert r.returncode == 1 and "ulimit" in r.stderr, r.stderr


def test_admin_out_of_descriptors_refuses_instead_of_hanging(origin, edge):
    import os
    import resource
    import socket
    pid = edge.proc.pid
    before = resource.prlimit(pid, resource.RLIMIT_NOFILE)
    # A new descriptor gets the lowest free number, which must be under the soft limit: setting
    # the limit to that number leaves the edge no descriptor but its spare.
    # Descriptors of earlier tests' connections may still be closing: set the limit, then check
    # that no number below it has come free meanwhile (else the edge could still accept), and
    # try again until the table is steady.
    def fds():
        return {int(n) for n in os.listdir("/proc/%d/fd" % pid)}

    for _ in range(50):
        used = fds()
        lowest_free = next(n for n in range(len(used) + 1) if n not in used)
        resource.prlimit(pid, resource.RLIMIT_NOFILE, (lowest_free, before[1]))  # soft only
        time.sleep(0.1)
        if all(n in fds() for n in range(lowest_free)):
            break
    try:
        statuses = []
        for _ in range(5):
            s = socket.create_connection(("127.0.0.1", edge.admin_port), timeout=5)
            s.sendall(b"GET /metrics HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
            head = s.recv(100)  # a timeout here is the hang this guards against
            statuses.append(int(head.split(b" ")[1]) if head else None)
            s.close()
        assert statuses == [503] * 5, statuses
    finally:
        resource.prlimit(pid, resource.RLIMIT_NOFILE, before)
    assert edge.metric("client_connections_total") >= 0  # the admin answers again
