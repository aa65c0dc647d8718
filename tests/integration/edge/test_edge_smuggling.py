"""Request smuggling and malformed input: every ambiguous request gets a 4xx/5xx and the
connection is closed; the origin never sees a second (smuggled) request."""
import pytest

from edge_harness import Client, Resp, read_response

SMUGGLING = [
    ("cl-cl", b"POST /s HTTP/1.1\r\nHost: x\r\nContent-Length: 4\r\nContent-Length: 40\r\n\r\nGET /smuggled HTTP/1.1\r\nHost: x\r\n\r\n", 400),
    ("cl-te", b"POST /s HTTP/1.1\r\nHost: x\r\nContent-Length: 4\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\nGET /smuggled HTTP/1.1\r\nHost: x\r\n\r\n", 400),
    ("te-cl", b"POST /s HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\nContent-Length: 50\r\n\r\n0\r\n\r\nGET /smuggled HTTP/1.1\r\nHost: x\r\n\r\n", 400),
    ("te-identity", b"POST /s HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked, identity\r\n\r\n0\r\n\r\nGET /smuggled HTTP/1.1\r\nHost: x\r\n\r\n", 501),
    ("te-space", b"POST /s HTTP/1.1\r\nHost: x\r\nTransfer-Encoding : chunked\r\n\r\n0\r\n\r\nGET /smuggled HTTP/1.1\r\nHost: x\r\n\r\n", 400),
    ("te-obs-fold", b"POST /s HTTP/1.1\r\nHost: x\r\nTransfer-Encoding:\r\n chunked\r\n\r\n0\r\n\r\nGET /smuggled HTTP/1.1\r\nHost: x\r\n\r\n", 400),
    ("bare-lf", b"POST /s HTTP/1.1\nHost: x\nContent-Length: 0\n\nGET /smuggled HTTP/1.1\r\nHost: x\r\n\r\n", 400),
    ("bare-cr", b"GET /s HTTP/1.1\r\nHost: x\rX-Y: 1\r\n\r\nGET /smuggled HTTP/1.1\r\nHost: x\r\n\r\n", 400),
    ("bad-chunk-size", b"POST /s HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n-1\r\nx\r\n0\r\n\r\nGET /smuggled HTTP/1.1\r\nHost: x\r\n\r\n", 400),
    ("chunk-overflow", b"POST /s HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n10000000000000001\r\nx\r\n0\r\n\r\nGET /smuggled HTTP/1.1\r\nHost: x\r\n\r\n", 400),
    ("chunk-lf-only", b"POST /s HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n1\nx\r\n0\r\n\r\nGET /smuggled HTTP/1.1\r\nHost: x\r\n\r\n", 400),
    ("cl-plus", b"POST /s HTTP/1.1\r\nHost: x\r\nContent-Length: +4\r\n\r\nabcd", 400),
    ("two-hosts", b"GET /s HTTP/1.1\r\nHost: x\r\nHost: y\r\n\r\n", 400),
    ("no-host", b"GET /s HTTP/1.1\r\n\r\n", 400),
    ("http2-version", b"GET /s HTTP/2.0\r\nHost: x\r\n\r\n", 505),
    ("nul", b"GET /s HTTP/1.1\r\nHost: x\r\nX: a\x00b\r\n\r\n", 400),
    ("huge-header", b"GET /s HTTP/1.1\r\nHost: x\r\nX: " + b"a" * 70000 + b"\r\n\r\n", 400),
]


@pytest.mark.parametrize("name,raw,status", SMUGGLING, ids=[c[0] for c in SMUGGLING])
def test_ambiguous_requests_rejected_and_closed(origin, edge, name, raw, status):
    origin.route("/s", Resp(200, [], b"ok"))
    origin.route("/smuggled", Resp(200, [], b"SMUGGLED"))
    c = Client(edge.port)
    try:
        c.send(raw)
    except (BrokenPipeError, ConnectionResetError):
        pass
    r = read_response(c.sock)
    assert r is not None and r.status == status, name
    assert r.header("Connection") == "close"
    assert c.closed(), "connection must be closed after a framing error"
    assert origin.count("/smuggled") == 0
    assert origin.count("/s") == 0


def test_valid_pipelined_chunked_body_is_one_request(origin, edge):
    origin.route("/s", lambda req: Resp(200, [], b"len=%d" % len(req.body)))
    origin.route("/next", Resp(200, [], b"next"))
    c = Client(edge.port)
    c.send(b"POST /s HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n"
           b"5;ext=1\r\nhello\r\n0\r\nTrailer: x\r\n\r\nGET /next HTTP/1.1\r\nHost: x\r\n\r\n")
    assert read_response(c.sock).body == b"len=5"
    assert read_response(c.sock).body == b"next"


def test_bad_origin_response_is_502_and_not_cached(origin, edge):
    origin.route("/bad", Resp(raw=b"HTTP/1.1 200 OK\r\nContent-Length: 3\r\nContent-Length: 4\r\n\r\nabcd", close=True))
    c = Client(edge.port)
    r = c.request("GET", "/bad")
    assert r.status == 502
    origin.route("/bad2", Resp(raw=b"HTTP/1.1 200 OK\r\nX: a\r\n b\r\nContent-Length: 1\r\n\r\na", close=True))
    assert Client(edge.port).request("GET", "/bad2").status == 502


def test_slow_request_is_closed(origin, edge_factory):
    e = edge_factory(origin.url, config="[timeouts]\nclient_request_ms = 1000\n")
    c = Client(e.port)
    c.send(b"GET / HTTP/1.1\r\nHost: x\r\n")  # never finishes the head
    import time
    t0 = time.time()
    assert c.closed(timeout=5.0)
    assert time.time() - t0 < 4.0


def test_forwarding_loop_is_refused():
    import subprocess
    import time
    import urllib.request
    from edge_harness import EDGE_BIN, free_port
    # An edge whose upstream is itself.
    port, admin = free_port(), free_port()
    p = subprocess.Popen([EDGE_BIN, "--origin", "http://127.0.0.1:%d" % port, "--listen",
                          "127.0.0.1:%d" % port, "--admin", "127.0.0.1:%d" % admin],
                         stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        for _ in range(100):
            try:
                Client(port).close()
                break
            except OSError:
                time.sleep(0.05)
        r = Client(port).request("GET", "/loop")
        assert r.status == 508
        text = urllib.request.urlopen("http://127.0.0.1:%d/metrics" % admin).read().decode()
        requests = int([l for l in text.splitlines() if l.startswith("strata_edge_requests_total ")][0].split()[1])
        assert requests == 2  # the original and its one looped copy
    finally:
        p.terminate()
        p.wait(timeout=5)
