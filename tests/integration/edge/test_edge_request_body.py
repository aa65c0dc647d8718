"""Request bodies stream to the origin as they arrive (Content-Length or chunked), with
back-pressure, under the strict body parser."""
import hashlib
import os
import socket
import threading
import time

from edge_harness import Client, Resp, connect, read_response


def digest_route(origin, path):
    origin.route(path, lambda req: Resp(200, [("X-Len", str(len(req.body))),
                                              ("X-Sha", hashlib.sha256(req.body).hexdigest())], b"ok"))


def wait_until(cond, timeout):
    deadline = time.time() + timeout
    while time.time() < deadline:
        if cond():
            return True
        time.sleep(0.01)
    return cond()


def test_large_post_streams_before_the_client_finishes(origin, edge):
    digest_route(origin, "/upload")
    body = os.urandom(20 << 20)
    half = len(body) // 2
    s = connect(edge.port, timeout=30)
    s.sendall(b"POST /upload HTTP/1.1\r\nHost: test.local\r\nContent-Length: %d\r\n\r\n" % len(body))
    s.sendall(body[:half])
    # The origin sees body bytes while the client still holds back the second half: nothing
    # waits for the whole body.
    assert wait_until(lambda: origin.body_seen >= 1 << 20, 10), origin.body_seen
    assert origin.count("/upload") == 0
    s.sendall(body[half:])
    r = read_response(s, timeout=30)
    s.close()
    assert r.status == 200 and r.body == b"ok"
    assert r.header("X-Len") == str(len(body))
    assert r.header("X-Sha") == hashlib.sha256(body).hexdigest()
    seen = origin.seen("/upload")[0]
    assert seen.header("Content-Length") == str(len(body))
    assert seen.first_body_at < seen.head_at + 5


def test_large_chunked_post_streams_rechunked(origin, edge):
    digest_route(origin, "/upload")
    body = os.urandom(20 << 20)
    c = Client(edge.port)
    c.sock.settimeout(30)
    c.send(b"POST /upload HTTP/1.1\r\nHost: test.local\r\nTransfer-Encoding: chunked\r\n\r\n")
    step = 100000
    last_write = None
    first_half_sent = False
    for i in range(0, len(body), step):
        piece = body[i:i + step]
        c.send(b"%x;ext=1\r\n%s\r\n" % (len(piece), piece))
        if not first_half_sent and i >= len(body) // 2:
            first_half_sent = True
            assert wait_until(lambda: origin.body_seen >= 1 << 20, 10), origin.body_seen
    c.send(b"0\r\nX-Trailer: dropped\r\n\r\n")
    last_write = time.time()
    r = read_response(c.sock, timeout=30)
    c.close()
    assert r.status == 200 and r.header("X-Len") == str(len(body))
    assert r.header("X-Sha") == hashlib.sha256(body).hexdigest()
    seen = origin.seen("/upload")[0]
    assert seen.chunked and seen.header("Transfer-Encoding") == "chunked"
    assert seen.header("X-Trailer") is None
    assert seen.first_body_at < last_write


def vm_hwm_kb(pid):
    with open("/proc/%d/status" % pid) as f:
        for line in f:
            if line.startswith("VmHWM:"):
                return int(line.split()[1])
    raise KeyError("VmHWM")


def test_slow_origin_pushes_back_on_the_client(origin, edge):
    digest_route(origin, "/slow-up")
    # The origin reads 64 KiB every 4 ms (about 16 MB/s); the client sends as fast as it can.
    origin.slow_body["/slow-up"] = (65536, 0.004)
    body = os.urandom(24 << 20)
    before = vm_hwm_kb(edge.proc.pid)
    s = connect(edge.port, timeout=30)
    s.sendall(b"POST /slow-up HTTP/1.1\r\nHost: test.local\r\nContent-Length: %d\r\n\r\n" % len(body)
              + body)
    r = read_response(s, timeout=60)
    s.close()
    assert r.status == 200 and r.header("X-Sha") == hashlib.sha256(body).hexdigest()
    # The edge held a bounded window of the body, not all of it (socket buffers are the
    # kernel's, not the edge's).
    grown_mb = (vm_hwm_kb(edge.proc.pid) - before) / 1024
    print("edge peak RSS grew by %.1f MB" % grown_mb)
    assert grown_mb < 12, grown_mb


def test_keep_alive_after_streamed_bodies_and_pipelining(origin, edge):
    digest_route(origin, "/a")
    c = Client(edge.port)
    for n in (0, 1, 70000, 300000):
        body = os.urandom(n)
        r = c.request("POST", "/a", body=body) if n else c.request("POST", "/a", headers=[("Content-Length", "0")])
        assert r.status == 200 and r.header("X-Len") == str(n)
    # Two pipelined chunked requests in one write.
    c.send(b"PUT /a HTTP/1.1\r\nHost: test.local\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n0\r\n\r\n"
           b"PUT /a HTTP/1.1\r\nHost: test.local\r\nTransfer-Encoding: chunked\r\n\r\n2\r\nde\r\n0\r\n\r\n")
    r1 = read_response(c.sock)
    r2 = read_response(c.sock)
    assert r1.header("X-Sha") == hashlib.sha256(b"abc").hexdigest()
    assert r2.header("X-Sha") == hashlib.sha256(b"de").hexdigest()
    c.close()


def test_bad_chunk_mid_stream_never_completes_upstream(origin, edge):
    digest_route(origin, "/bad")
    c = Client(edge.port)
    c.send(b"POST /bad HTTP/1.1\r\nHost: test.local\r\nTransfer-Encoding: chunked\r\n\r\n")
    c.send(b"%x\r\n%s\r\n" % (300000, b"x" * 300000))
    assert wait_until(lambda: origin.body_seen > 0, 5)
    c.send(b"zz\r\nnot hex\r\n0\r\n\r\n")
    r = read_response(c.sock)
    assert r.status == 400
    assert c.closed()
    time.sleep(0.3)
    assert origin.count("/bad") == 0  # the origin never received a complete request
    assert edge.metric("bad_requests_total") >= 1


def test_chunked_body_over_the_limit_is_cut(origin, edge_factory):
    e = edge_factory(origin.url, config="[cache]\nmax_request_body = 100000\n")
    digest_route(origin, "/lim")
    c = Client(e.port)
    c.send(b"POST /lim HTTP/1.1\r\nHost: test.local\r\nTransfer-Encoding: chunked\r\n\r\n")
    for _ in range(4):
        c.send(b"%x\r\n%s\r\n" % (40000, b"y" * 40000))
    r = read_response(c.sock)
    assert r.status == 413
    assert c.closed()
    assert origin.count("/lim") == 0
    r = Client(e.port).request("POST", "/lim", headers=[("Content-Length", "200000")])
    assert r.status == 413


def test_client_leaving_mid_body_aborts_the_origin_request(origin, edge):
    digest_route(origin, "/gone")
    s = connect(edge.port)
    s.sendall(b"POST /gone HTTP/1.1\r\nHost: test.local\r\nContent-Length: 1000000\r\n\r\n" + b"z" * 400000)
    assert wait_until(lambda: origin.body_seen >= 400000, 5)
    s.close()
    time.sleep(0.5)
    assert origin.count("/gone") == 0
    # The edge carries on.
    origin.route("/after", Resp(200, [], b"fine"))
    assert Client(edge.port).request("GET", "/after").body == b"fine"


def test_expect_continue_with_streamed_body(origin, edge):
    digest_route(origin, "/ec")
    c = Client(edge.port)
    c.send(b"POST /ec HTTP/1.1\r\nHost: test.local\r\nContent-Length: 5\r\nExpect: 100-continue\r\n\r\n")
    c.sock.settimeout(5)
    interim = c.sock.recv(100)
    assert interim.startswith(b"HTTP/1.1 100 Continue\r\n\r\n")
    c.sock._pending = interim[len(b"HTTP/1.1 100 Continue\r\n\r\n"):]
    c.send(b"hello")
    r = read_response(c.sock)
    assert r.status == 200 and r.header("X-Sha") == hashlib.sha256(b"hello").hexdigest()
    assert origin.seen("/ec")[0].header("Expect") is None


def test_early_origin_answer_reaches_the_client_mid_upload(origin, edge):
    origin.early["/early"] = Resp(413, [("Content-Type", "text/plain")], b"too big for me\n", close=True)
    s = connect(edge.port, timeout=10)
    s.sendall(b"POST /early HTTP/1.1\r\nHost: test.local\r\nContent-Length: %d\r\n\r\n" % (10 << 20)
              + b"q" * 100000)
    # The client has sent 100 KB of 10 MB and gets the origin's answer without sending more.
    r = read_response(s, timeout=10)
    assert r.status == 413 and r.body == b"too big for me\n"
    assert len(origin.early_seen) == 1
    # The rest of the body was never read: the connection closes after the answer.
    s.settimeout(5)
    try:
        while s.recv(65536):
            pass
    except ConnectionResetError:
        pass
    s.close()
    origin.route("/next", Resp(200, [], b"next"))
    assert Client(edge.port).request("GET", "/next").body == b"next"


# Slow request bodies: a client may not hold an origin connection by trickling its body. Small
# limits keep these tests short: 500 ms between reads, and at least 2000 B/s on average once
# the body has been awaited for one second.
SLOW_BODY_LIMITS = """
[timeouts]
client_body_ms = 500
client_body_min_rate = 2000
client_body_grace_ms = 1000
"""


def expect_408_and_close(s, timeout):
    r = read_response(s, timeout=timeout)
    assert r is not None and r.status == 408, r and r.status
    assert (r.header("Connection") or "").lower() == "close"
    s.settimeout(timeout)
    try:
        assert s.recv(65536) == b""
    except ConnectionResetError:
        pass


def test_stalled_body_gets_408_and_frees_the_origin_connection(origin, edge_factory):
    e = edge_factory(origin.url, config=SLOW_BODY_LIMITS)
    digest_route(origin, "/stall")
    s = connect(e.port)
    s.sendall(b"POST /stall HTTP/1.1\r\nHost: test.local\r\nContent-Length: 100000\r\n\r\n"
              + b"s" * 1000)
    # The origin has the request's head and first bytes on a connection of its own...
    assert wait_until(lambda: origin.body_seen >= 1000, 5)
    t0 = time.time()
    expect_408_and_close(s, timeout=10)
    # ... which the edge closes, half-written, instead of keeping or pooling it.
    assert time.time() - t0 < 5
    assert wait_until(lambda: origin.disconnects >= 1, 5)
    s.close()
    assert origin.count("/stall") == 0
    # The edge carries on.
    r = Client(e.port).request("POST", "/stall", body=b"quick")
    assert r.status == 200 and r.header("X-Sha") == hashlib.sha256(b"quick").hexdigest()


def test_trickled_bodies_below_the_minimum_rate_get_408(origin, edge_factory):
    e = edge_factory(origin.url, config=SLOW_BODY_LIMITS)
    digest_route(origin, "/trickle")
    n = 5
    outcomes = [None] * n

    def trickle(i):
        # One byte every 100 ms: never idle for 500 ms, but 10 B/s on average.
        s = connect(e.port)
        s.sendall(b"POST /trickle HTTP/1.1\r\nHost: test.local\r\nContent-Length: 10000\r\n\r\n")
        t0 = time.time()
        s.settimeout(0.1)
        got = b""
        try:
            while time.time() - t0 < 8 and b"\r\n\r\n" not in got:
                try:
                    s.sendall(b"t")
                except OSError:
                    pass
                try:
                    d = s.recv(65536)
                    if not d:
                        break
                    got += d
                except socket.timeout:
                    pass
                except ConnectionResetError:
                    break
        finally:
            s.close()
        outcomes[i] = (got.split(b"\r\n", 1)[0], time.time() - t0)

    threads = [threading.Thread(target=trickle, args=(i,)) for i in range(n)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    for line, elapsed in outcomes:
        assert line.startswith(b"HTTP/1.1 408 "), outcomes
        assert elapsed < 6, outcomes
    # Every origin connection the tricklers held was closed; none completed a request.
    assert wait_until(lambda: origin.disconnects >= n, 5), origin.disconnects
    assert origin.count("/trickle") == 0


def test_full_speed_uploads_pass_the_body_limits(origin, edge_factory):
    e = edge_factory(origin.url, config=SLOW_BODY_LIMITS)
    digest_route(origin, "/fast")
    body = os.urandom(8 << 20)
    c = Client(e.port)
    c.sock.settimeout(30)
    for _ in range(2):
        r = c.request("POST", "/fast", body=body)
        assert r.status == 200 and r.header("X-Sha") == hashlib.sha256(body).hexdigest()
    c.close()


def test_a_slow_origin_does_not_count_against_the_client(origin, edge_factory):
    # The origin reads nothing for 1.5 s: the edge stops reading the client meanwhile
    # (back-pressure), and that wait is not the client's.
    e = edge_factory(origin.url, config=SLOW_BODY_LIMITS)
    digest_route(origin, "/held")
    origin.body_delay["/held"] = 1.5
    body = os.urandom(24 << 20)
    s = connect(e.port, timeout=60)
    s.sendall(b"POST /held HTTP/1.1\r\nHost: test.local\r\nContent-Length: %d\r\n\r\n" % len(body)
              + body)
    r = read_response(s, timeout=60)
    s.close()
    assert r.status == 200 and r.header("X-Sha") == hashlib.sha256(body).hexdigest()
