"""RFC 9111 behaviour end to end: storability, freshness, validation, Vary, SWR/SIE,
invalidation, ranges, targeted cache control."""
import threading
import time
from email.utils import formatdate

from edge_harness import Client, Resp, get


def cached_twice(origin, edge, path, resp, headers=(), **kw):
    origin.route(path, resp)
    get(edge, path, headers, **kw)
    r = get(edge, path, headers, **kw)
    return r, origin.count(path)


def test_storability_rules(origin, edge):
    now = time.time()
    cases = [
        ("/s/maxage", Resp(200, [("Cache-Control", "max-age=60")], b"x"), (), 1),
        ("/s/nostore", Resp(200, [("Cache-Control", "no-store, max-age=60")], b"x"), (), 2),
        ("/s/private", Resp(200, [("Cache-Control", "private, max-age=60")], b"x"), (), 2),
        ("/s/none", Resp(200, [], b"x"), (), 2),
        ("/s/500", Resp(500, [("Cache-Control", "max-age=60")], b"x"), (), 2),
        ("/s/auth", Resp(200, [("Cache-Control", "max-age=60")], b"x"), (("Authorization", "Basic eA=="),), 2),
        ("/s/auth-public", Resp(200, [("Cache-Control", "public, max-age=60")], b"x"),
         (("Authorization", "Basic eA=="),), 1),
        ("/s/req-nostore", Resp(200, [("Cache-Control", "max-age=60")], b"x"), (("Cache-Control", "no-store"),), 2),
        ("/s/cookie", Resp(200, [("Cache-Control", "max-age=60"), ("Set-Cookie", "a=b")], b"x"), (), 2),
        ("/s/vary-star", Resp(200, [("Cache-Control", "max-age=60"), ("Vary", "*")], b"x"), (), 2),
        ("/s/heuristic", Resp(200, [("Last-Modified", "Thu, 01 Jan 2015 00:00:00 GMT")], b"x"), (), 1),
        ("/s/expires", Resp(200, [("Date", formatdate(now, usegmt=True)),
                                  ("Expires", formatdate(now + 60, usegmt=True))], b"x"), (), 1),
        ("/s/expired-by-age", Resp(200, [("Date", "Thu, 01 Jan 2015 00:00:00 GMT"),
                                         ("Expires", "Thu, 01 Jan 2015 00:01:00 GMT")], b"x"), (), 2),
        ("/s/expires-invalid", Resp(200, [("Expires", "0")], b"x"), (), 2),
    ]
    for path, resp, headers, want in cases:
        _, n = cached_twice(origin, edge, path, resp, headers)
        assert n == want, path


def session_cookies(origin, path, delay=0.0):
    """A login-like page: cacheable by its Cache-Control, but each answer sets its own cookie."""
    issued = []
    lock = threading.Lock()

    def handler(req):
        with lock:
            issued.append("session=%d" % (len(issued) + 1))
            cookie = issued[-1]
        return Resp(200, [("Cache-Control", "max-age=60"), ("Set-Cookie", cookie)],
                    b"welcome", delay=delay)

    origin.route(path, handler)
    return issued


def test_set_cookie_responses_are_not_stored_by_default(origin, edge):
    session_cookies(origin, "/login")
    first = get(edge, "/login")
    second = get(edge, "/login")
    assert first.status == 200 and first.header("Set-Cookie") == "session=1"
    # Another user never receives the first user's cookie: the origin answers both.
    assert second.status == 200 and second.header("Set-Cookie") == "session=2"
    assert origin.count("/login") == 2
    assert edge.metric("objects") == 0
    assert first.header("X-Cache") == "MISS"
    status = first.header("Cache-Status")
    assert "fwd=uri-miss" in status and "fwd-status=200" in status and "detail=set-cookie" in status
    assert "stored" not in status and "hit" not in status.replace("hit-for-pass", "")
    # Remembered as hit-for-pass, like other uncacheable responses.
    status = second.header("Cache-Status")
    assert "fwd=bypass" in status and "detail=hit-for-pass" in status


def test_set_cookie_requests_are_not_serialised_behind_each_other(origin, edge):
    session_cookies(origin, "/slow-login", delay=0.8)
    results = [None] * 4

    def run(i):
        results[i] = get(edge, "/slow-login")

    t0 = time.time()
    threads = [threading.Thread(target=run, args=(i,)) for i in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    elapsed = time.time() - t0
    # Coalesced misses are released together when the answer turns out to set a cookie, and
    # each client gets its own answer (4 x 0.8 s if they were serialised).
    assert sorted(r.header("Set-Cookie") for r in results) == ["session=%d" % i for i in range(1, 5)]
    assert origin.count("/slow-login") == 4
    assert elapsed < 3.0, elapsed


def test_set_cookie_stored_when_the_operator_opts_in(origin, edge_factory, tmp_path):
    for e in (edge_factory(origin.url, "--store-set-cookie"),
              edge_factory(origin.url, config="[cache]\nstore_set_cookie = true\n")):
        path = "/shared-%d" % e.port
        session_cookies(origin, path)
        first = get(e, path)
        second = get(e, path)
        assert "stored" in first.header("Cache-Status")
        assert second.header("X-Cache") == "HIT" and second.header("Set-Cookie") == "session=1"
        assert origin.count(path) == 1


def test_refuse_set_cookie_still_accepted(origin, edge_factory):
    for e in (edge_factory(origin.url, "--refuse-set-cookie"),
              edge_factory(origin.url, config="[cache]\nrefuse_set_cookie = true\n"),
              # The old default written out does not bring storing back.
              edge_factory(origin.url, config="[cache]\nrefuse_set_cookie = false\n")):
        path = "/cookie-%d" % e.port
        _, n = cached_twice(origin, e, path,
                            Resp(200, [("Cache-Control", "max-age=60"), ("Set-Cookie", "a=b")], b"x"))
        assert n == 2, path


def test_s_maxage_and_cdn_cache_control_override(origin, edge):
    _, n = cached_twice(origin, edge, "/t1", Resp(200, [("Cache-Control", "max-age=0, s-maxage=60")], b"x"))
    assert n == 1
    _, n = cached_twice(origin, edge, "/t2", Resp(200, [("Cache-Control", "no-store"), ("CDN-Cache-Control", "max-age=60")], b"x"))
    assert n == 1
    _, n = cached_twice(origin, edge, "/t3", Resp(200, [("Cache-Control", "max-age=60"), ("Strata-Cache-Control", "no-store")], b"x"))
    assert n == 2


def test_expiry_and_revalidation_304_updates_headers(origin, edge):
    calls = []

    def handler(req):
        calls.append(req.header("If-None-Match"))
        if req.header("If-None-Match") == '"v1"':
            return Resp(304, [("Cache-Control", "max-age=60"), ("X-Fresh", "2"), ("Content-Length", "999")])
        return Resp(200, [("Cache-Control", "max-age=1"), ("ETag", '"v1"'), ("X-Fresh", "1")], b"body-v1")

    origin.route("/val", handler)
    assert get(edge, "/val").body == b"body-v1"
    time.sleep(1.2)
    r = get(edge, "/val")
    assert calls == [None, '"v1"']
    assert r.status == 200 and r.body == b"body-v1"
    assert r.header("X-Fresh") == "2"
    assert r.header("Content-Length") == "7"
    assert "fwd=stale" in r.header("Cache-Status") and "fwd-status=304" in r.header("Cache-Status")
    r = get(edge, "/val")
    assert r.header("X-Cache") == "HIT" and origin.count("/val") == 2
    assert edge.metric("revalidations_total") == 1


def test_client_conditionals_answered_from_cache(origin, edge):
    origin.route("/cond", Resp(200, [("Cache-Control", "max-age=60"), ("ETag", '"e1"'),
                                     ("Last-Modified", "Thu, 01 Jan 2015 00:00:00 GMT")], b"cond"))
    get(edge, "/cond")
    r = get(edge, "/cond", [("If-None-Match", 'W/"e1"')])
    assert r.status == 304 and r.header("ETag") == '"e1"' and r.body == b""
    r = get(edge, "/cond", [("If-None-Match", '"other"'), ("If-Modified-Since", "Thu, 01 Jan 2015 00:00:00 GMT")])
    assert r.status == 200  # If-None-Match takes precedence
    r = get(edge, "/cond", [("If-Modified-Since", "Thu, 01 Jan 2015 00:00:00 GMT")])
    assert r.status == 304
    assert origin.count("/cond") == 1


def test_no_cache_and_must_revalidate(origin, edge):
    origin.route("/nc", Resp(200, [("Cache-Control", "no-cache, max-age=60"), ("ETag", '"n"')], b"nc"))
    get(edge, "/nc")
    get(edge, "/nc")
    assert origin.count("/nc") == 2
    assert origin.seen("/nc")[1].header("If-None-Match") == '"n"'
    origin.route("/mr", Resp(200, [("Cache-Control", "max-age=1, must-revalidate, stale-if-error=60")], b"mr"))
    get(edge, "/mr")
    time.sleep(1.2)
    origin.route("/mr", Resp(503, [], b"down"))
    assert get(edge, "/mr").status == 503  # must-revalidate forbids serving stale


def test_request_no_cache_forces_validation(origin, edge):
    origin.route("/rq", Resp(200, [("Cache-Control", "max-age=60")], b"rq"))
    get(edge, "/rq")
    r = get(edge, "/rq", [("Cache-Control", "no-cache")])
    assert origin.count("/rq") == 2
    assert "fwd=request" in r.header("Cache-Status")


def test_stale_while_revalidate_serves_stale_and_refreshes_once(origin, edge):
    n = [0]

    def handler(req):
        n[0] += 1
        return Resp(200, [("Cache-Control", "max-age=1, stale-while-revalidate=30")], ("v%d" % n[0]).encode(),
                    delay=1.0 if n[0] > 1 else 0)

    origin.route("/swr", handler)
    assert get(edge, "/swr").body == b"v1"
    time.sleep(1.2)
    t0 = time.time()
    results = []
    threads = [threading.Thread(target=lambda: results.append(get(edge, "/swr"))) for _ in range(5)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert time.time() - t0 < 0.9, "stale responses must not wait for the refresh"
    assert all(r.body == b"v1" for r in results)
    assert all("stale-while-revalidate" in r.header("Cache-Status") for r in results)
    time.sleep(1.5)
    assert origin.count("/swr") == 2  # exactly one background refresh
    assert get(edge, "/swr").body == b"v2"
    assert edge.metric("stale_served_total") >= 5


def test_stale_if_error_when_origin_fails_or_is_down(origin, edge):
    origin.route("/sie", Resp(200, [("Cache-Control", "max-age=1, stale-if-error=60")], b"good"))
    get(edge, "/sie")
    time.sleep(1.2)
    origin.route("/sie", Resp(500, [], b"bad"))
    r = get(edge, "/sie")
    assert r.status == 200 and r.body == b"good"
    assert "stale-if-error" in r.header("Cache-Status")
    origin.stop()
    r = get(edge, "/sie")
    assert r.status == 200 and r.body == b"good"
    r = get(edge, "/other")
    assert r.status == 502


def test_vary_variants_and_normalisation(origin, edge):
    origin.route("/v", lambda req: Resp(200, [("Cache-Control", "max-age=60"), ("Vary", "Accept-Encoding")],
                                        ("enc=%s" % req.header("Accept-Encoding")).encode()))
    assert get(edge, "/v", [("Accept-Encoding", "gzip")]).body == b"enc=gzip"
    assert get(edge, "/v", [("Accept-Encoding", "br")]).body == b"enc=br"
    assert get(edge, "/v", [("Accept-Encoding", "GZIP")]).body == b"enc=gzip"
    r = get(edge, "/v", [("Accept-Encoding", "br")])
    assert r.body == b"enc=br" and r.header("X-Cache") == "HIT"
    r = get(edge, "/v")
    assert r.body == b"enc=None" and "fwd=vary-miss" in r.header("Cache-Status")
    assert origin.count("/v") == 3


def test_variant_cap(origin, edge_factory):
    e = edge_factory(origin.url, config="[cache]\nmax_variants = 3\n")
    origin.route("/cap", lambda req: Resp(200, [("Cache-Control", "max-age=60"), ("Vary", "X-V")],
                                          req.header("X-V").encode()))
    for i in range(5):
        get(e, "/cap", [("X-V", str(i))])
    assert e.metric("objects") == 3
    get(e, "/cap", [("X-V", "4")])
    assert origin.count("/cap") == 5
    get(e, "/cap", [("X-V", "0")])
    assert origin.count("/cap") == 6


def test_unsafe_method_invalidates(origin, edge):
    origin.route("/inv", lambda req: Resp(200 if req.method != "GET" else 200,
                                          [("Cache-Control", "max-age=60"), ("Location", "/inv2")], b"i"))
    origin.route("/inv2", Resp(200, [("Cache-Control", "max-age=60")], b"i2"))
    get(edge, "/inv")
    get(edge, "/inv2")
    get(edge, "/inv", method="POST", body=b"x")
    get(edge, "/inv")
    get(edge, "/inv2")
    assert origin.count("/inv", "GET") == 2
    assert origin.count("/inv2") == 2
    assert edge.metric("invalidations_total") == 2
    # A failed unsafe request does not invalidate.
    origin.route("/inv3", lambda req: Resp(500 if req.method == "DELETE" else 200,
                                           [("Cache-Control", "max-age=60")], b"3"))
    get(edge, "/inv3")
    get(edge, "/inv3", method="DELETE")
    get(edge, "/inv3")
    assert origin.count("/inv3", "GET") == 1


def test_ranges_from_cache(origin, edge):
    origin.route("/r", Resp(200, [("Cache-Control", "max-age=60"), ("Content-Type", "text/plain")], b"0123456789"))
    get(edge, "/r")
    r = get(edge, "/r", [("Range", "bytes=2-4")])
    assert r.status == 206 and r.body == b"234" and r.header("Content-Range") == "bytes 2-4/10"
    r = get(edge, "/r", [("Range", "bytes=-3")])
    assert r.body == b"789"
    r = get(edge, "/r", [("Range", "bytes=0-1,5-6")])
    assert r.status == 206 and r.header("Content-Type").startswith("multipart/byteranges")
    assert b"Content-Range: bytes 0-1/10" in r.body and b"56" in r.body
    r = get(edge, "/r", [("Range", "bytes=20-30")])
    assert r.status == 416 and r.header("Content-Range") == "bytes */10"
    r = get(edge, "/r", [("Range", "bytes=0-99999999999999999999999999")])
    assert r.status == 200 and r.body == b"0123456789"
    r = get(edge, "/r", [("Range", "bytes=-9223372036854775808")])
    assert r.status == 200
    assert origin.count("/r") == 1


def test_heuristic_freshness_only_for_heuristic_statuses(origin, edge):
    lm = "Thu, 01 Jan 2015 00:00:00 GMT"
    _, n = cached_twice(origin, edge, "/h200", Resp(200, [("Last-Modified", lm)], b"x"))
    assert n == 1
    _, n = cached_twice(origin, edge, "/h302", Resp(302, [("Last-Modified", lm), ("Location", "/x")], b"x"))
    assert n == 2
