"""strata-edge serving: proxying, keep-alive, framing, streaming, HEAD, 1xx, Via, hop-by-hop."""
import socket
import subprocess
import time

from edge_harness import Client, Resp, connect, get, read_response, EDGE_BIN


def test_miss_then_hit_with_cache_headers(origin, edge):
    origin.route("/a", Resp(200, [("Cache-Control", "max-age=60"), ("X-End", "kept")], b"hello"))
    r1 = get(edge, "/a")
    assert r1.status == 200 and r1.body == b"hello"
    assert r1.header("X-Cache") == "MISS"
    assert "fwd=uri-miss" in r1.header("Cache-Status") and "stored" in r1.header("Cache-Status")
    assert r1.header("X-End") == "kept"
    assert r1.header("Via").endswith("strata-edge")
    r2 = get(edge, "/a")
    assert r2.body == b"hello"
    assert r2.header("X-Cache") == "HIT"
    assert r2.header("X-Cache-Hits") == "1"
    assert r2.header("Cache-Status").startswith("strata-edge; hit; ttl=")
    assert r2.header("Age") is not None
    assert origin.count("/a") == 1
    assert edge.metric("hits_total") == 1
    assert edge.metric("misses_total") == 1


def test_age_is_current_and_date_not_rewritten(origin, edge):
    date = "Thu, 01 Jan 2026 00:00:00 GMT"
    origin.route("/age", Resp(200, [("Cache-Control", "max-age=600"), ("Date", date), ("Age", "5")], b"x"))
    get(edge, "/age")
    time.sleep(1.1)
    r = get(edge, "/age")
    assert r.header("Date") == date
    # Date is in the past, so the apparent age dominates; Age keeps increasing.
    assert int(r.header("Age")) >= 6


def test_date_added_when_origin_has_none(origin, edge):
    origin.route("/nodate", Resp(200, [("Cache-Control", "max-age=60")], b"x"))
    r1 = get(edge, "/nodate")
    r2 = get(edge, "/nodate")
    assert r1.header("Date") is not None and r2.header("Date") == r1.header("Date")


def test_keep_alive_and_origin_pooling(origin, edge):
    origin.route("/k", lambda req: Resp(200, [("Cache-Control", "no-store")], b"k"))
    c = Client(edge.port)
    for _ in range(5):
        r = c.request("GET", "/k")
        assert r.status == 200 and r.body == b"k"
    c.close()
    assert origin.count("/k") == 5
    # One pooled origin connection carried all five requests.
    assert len(origin.conns) == 1


def test_chunked_origin_is_cached_and_served_with_length(origin, edge):
    origin.route("/c", Resp(200, [("Cache-Control", "max-age=60")], b"chunky body", chunked=True))
    r1 = get(edge, "/c")
    assert r1.body == b"chunky body"
    r2 = get(edge, "/c")
    assert r2.body == b"chunky body"
    assert r2.header("Content-Length") == "11"
    assert r2.header("Transfer-Encoding") is None


def test_large_body_is_streamed_before_origin_finishes(origin, edge):
    first = b"a" * 100000
    origin.route("/stream", Resp(200, [("Cache-Control", "max-age=60")],
                                 parts=[(first, 3.0), (b"b" * 1000, 0)]))
    s = connect(edge.port)
    t0 = time.time()
    s.sendall(b"GET /stream HTTP/1.1\r\nHost: x\r\n\r\n")
    got = b""
    while len(got) < 50000:
        got += s.recv(65536)
    assert time.time() - t0 < 2.0, "first bytes must arrive before the origin finished"
    s._pending = got
    # The rest of the response is still well-formed.
    s.close()
    r = get(edge, "/stream")
    assert r.body == first + b"b" * 1000


def test_head_and_methods_with_bodies(origin, edge):
    origin.route("/m", lambda req: Resp(200, [("X-Method", req.method), ("X-Len", str(len(req.body)))],
                                        b"body"))
    r = get(edge, "/m", method="HEAD")
    assert r.status == 200 and r.header("X-Method") == "HEAD" and r.body == b""
    assert r.header("Content-Length") == "4"  # the origin's, although no body follows
    for method in ("POST", "PUT", "PATCH", "DELETE", "FROBNICATE"):
        r = get(edge, "/m", method=method, body=b"payload")
        assert r.status == 200
        assert r.header("X-Method") == method
        assert r.header("X-Len") == "7"
    seen = origin.seen("/m")
    assert [x.body for x in seen if x.method == "FROBNICATE"] == [b"payload"]


def test_head_is_answered_from_a_stored_get(origin, edge):
    origin.route("/hg", Resp(200, [("Cache-Control", "max-age=60")], b"12345"))
    get(edge, "/hg")
    c = Client(edge.port)
    r = c.request("HEAD", "/hg")
    assert r.status == 200 and r.header("Content-Length") == "5" and r.header("X-Cache") == "HIT"
    # The connection stays usable: no body bytes followed the HEAD response.
    assert c.request("GET", "/hg").body == b"12345"
    assert origin.count("/hg") == 1


def test_chunked_request_body_is_forwarded(origin, edge):
    origin.route("/up", lambda req: Resp(200, [], req.body))
    c = Client(edge.port)
    c.send(b"POST /up HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n"
           b"5\r\nhello\r\n6\r\n world\r\n0\r\n\r\n")
    r = read_response(c.sock)
    assert r.status == 200 and r.body == b"hello world"
    # Streamed: decoded strictly, re-chunked by the edge (never the client's own framing).
    seen = origin.seen("/up")[0]
    assert seen.header("Content-Length") is None
    assert seen.header("Transfer-Encoding") == "chunked" and seen.chunked


def test_hop_by_hop_headers_removed_end_to_end_kept(origin, edge):
    origin.route("/h", Resp(200, [("Connection", "X-Secret"), ("X-Secret", "1"), ("Keep-Alive", "timeout=5"),
                                  ("X-Visible", "yes"), ("Cache-Control", "no-store")], b"h"))
    r = get(edge, "/h", headers=[("Connection", "X-Drop"), ("X-Drop", "1"), ("X-Keep", "Mixed Case"),
                                 ("Proxy-Authorization", "x"), ("TE", "trailers")])
    req = origin.seen("/h")[0]
    assert req.header("X-Drop") is None
    assert req.header("Proxy-Authorization") is None
    assert req.header("TE") is None
    assert req.header("X-Keep") == "Mixed Case"
    assert "strata-edge" in req.header("Via")
    assert r.header("X-Secret") is None and r.header("Keep-Alive") is None
    assert r.header("X-Visible") == "yes"


def test_interim_responses_relayed_not_cached(origin, edge):
    origin.route("/hints", Resp(200, [("Cache-Control", "max-age=60")], b"final",
                                interim=[(103, [("Link", "</s.css>; rel=preload")]), (102, [])]))
    c = Client(edge.port)
    r = c.request("GET", "/hints")
    assert [s for s, _ in r.interim] == [103, 102]
    assert r.interim[0][1][0] == ("Link", "</s.css>; rel=preload")
    assert r.status == 200 and r.body == b"final"
    r2 = Client(edge.port).request("GET", "/hints")
    assert r2.interim == [] and r2.header("X-Cache") == "HIT"


def test_expect_continue(origin, edge):
    origin.route("/e", lambda req: Resp(200, [], b"got " + req.body))
    s = connect(edge.port)
    s.sendall(b"PUT /e HTTP/1.1\r\nHost: x\r\nContent-Length: 3\r\nExpect: 100-continue\r\n\r\n")
    assert s.recv(100).startswith(b"HTTP/1.1 100 Continue")
    s.sendall(b"abc")
    r = read_response(s)
    assert r.body == b"got abc"
    assert origin.seen("/e")[0].header("Expect") is None


def test_pipelined_requests(origin, edge):
    origin.route("/p1", Resp(200, [("Cache-Control", "max-age=60")], b"one"))
    origin.route("/p2", Resp(200, [("Cache-Control", "max-age=60")], b"two"))
    c = Client(edge.port)
    c.send(b"GET /p1 HTTP/1.1\r\nHost: x\r\n\r\nGET /p2 HTTP/1.1\r\nHost: x\r\n\r\nGET /p1 HTTP/1.1\r\nHost: x\r\n\r\n")
    assert read_response(c.sock).body == b"one"
    assert read_response(c.sock).body == b"two"
    assert read_response(c.sock).body == b"one"


def test_origin_down_gives_502(edge_factory):
    e = edge_factory("http://127.0.0.1:1")
    r = get(e, "/x")
    assert r.status == 502
    assert e.metric("origin_errors_total") == 1


def test_http10_client(origin, edge):
    origin.route("/old", Resp(200, [("Cache-Control", "max-age=60")], b"old", chunked=True))
    s = connect(edge.port)
    s.sendall(b"GET /old HTTP/1.0\r\n\r\n")
    r = read_response(s)
    assert r.body == b"old"
    assert r.header("Transfer-Encoding") is None


def test_cli_requires_origin():
    p = subprocess.run([EDGE_BIN], capture_output=True, text=True)
    assert p.returncode == 2 and "--origin is required" in p.stderr
    p = subprocess.run([EDGE_BIN, "--origin", "http://127.0.0.1:1", "--memory", "lots"],
                       capture_output=True, text=True)
    assert p.returncode == 2 and "invalid --memory" in p.stderr


def test_healthz_and_metrics(origin, edge):
    import urllib.request
    assert urllib.request.urlopen(edge.admin_url + "/healthz").read() == b"ok\n"
    text = urllib.request.urlopen(edge.admin_url + "/metrics").read().decode()
    for name in ("requests_total", "hits_total", "misses_total", "stale_served_total",
                 "revalidations_total", "coalesced_waits_total", "origin_fetches_total",
                 "origin_errors_total", "bytes_from_cache_total", "bytes_from_origin_total",
                 "objects", "stored_bytes", "evictions_total", "purges_total"):
        assert "\nstrata_edge_" + name + " " in text, name
