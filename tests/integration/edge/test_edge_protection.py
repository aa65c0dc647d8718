"""Protecting the origin: coalescing, hit-for-pass, purges, tiers, memory budget."""
import threading
import time
import urllib.error
import urllib.request

from edge_harness import Client, Resp, get


def parallel(n, fn):
    results = [None] * n
    def run(i):
        results[i] = fn()
    threads = [threading.Thread(target=run, args=(i,)) for i in range(n)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return results


def test_concurrent_misses_coalesce_into_one_fetch(origin, edge):
    origin.route("/slow", Resp(200, [("Cache-Control", "max-age=60")], b"slow body", delay=0.5))
    results = parallel(20, lambda: get(edge, "/slow"))
    assert all(r.status == 200 and r.body == b"slow body" for r in results)
    assert origin.count("/slow") == 1
    assert edge.metric("coalesced_waits_total") == 19
    assert sum(1 for r in results if "collapsed" in r.header("Cache-Status")) == 19


def test_coalesced_waiters_stream_large_body(origin, edge):
    body = bytes(range(256)) * 2000
    origin.route("/big", Resp(200, [("Cache-Control", "max-age=60")],
                              parts=[(body[:100000], 0.3), (body[100000:], 0)], delay=0.2))
    results = parallel(8, lambda: get(edge, "/big"))
    assert all(r.body == body for r in results)
    assert origin.count("/big") == 1


def test_uncacheable_releases_waiters_in_parallel_hit_for_pass(origin, edge):
    origin.route("/private", Resp(200, [("Cache-Control", "private")], b"mine", delay=1.0))
    t0 = time.time()
    results = parallel(6, lambda: get(edge, "/private"))
    elapsed = time.time() - t0
    assert all(r.body == b"mine" for r in results)
    assert origin.count("/private") == 6
    # Waiters are released together, not serialised behind each other (6 x 1 s).
    assert elapsed < 3.0, elapsed
    # Remembered as hit-for-pass: later requests go straight to the origin, in parallel.
    t0 = time.time()
    results = parallel(4, lambda: get(edge, "/private"))
    assert time.time() - t0 < 2.5  # 4 x 1 s if serialised
    assert any("hit-for-pass" in (r.header("Cache-Status") or "") for r in results)


def admin(edge, path, token="sekret", method="POST"):
    req = urllib.request.Request(edge.admin_url + path, method=method, data=b"" if method == "POST" else None)
    if token:
        req.add_header("Authorization", "Bearer " + token)
    try:
        with urllib.request.urlopen(req, timeout=5) as r:
            return r.status, r.read().decode()
    except urllib.error.HTTPError as e:
        return e.code, e.read().decode()


def test_purge_api_url_tag_all(origin, edge):
    origin.route("/p/a", Resp(200, [("Cache-Control", "max-age=60"), ("Surrogate-Key", "red blue")], b"a"))
    origin.route("/p/b", Resp(200, [("Cache-Control", "max-age=60"), ("Cache-Tag", "blue,green")], b"b"))
    origin.route("/p/c", Resp(200, [("Cache-Control", "max-age=60"), ("Vary", "X-V")], b"c"))
    for p in ("/p/a", "/p/b"):
        get(edge, p)
    get(edge, "/p/c", [("X-V", "1")])
    get(edge, "/p/c", [("X-V", "2")])
    assert edge.metric("objects") == 4

    assert admin(edge, "/purge/url?url=http://test.local/p/c", token=None)[0] == 401
    assert admin(edge, "/purge/url?url=http://test.local/p/c", token="wrong")[0] == 401
    assert admin(edge, "/purge/url?url=http://test.local/p/c") == (200, '{"purged": 2}\n')
    assert admin(edge, "/purge/tag?tag=blue") == (200, '{"purged": 2}\n')
    assert edge.metric("objects") == 0
    get(edge, "/p/a")
    assert origin.count("/p/a") == 2
    assert admin(edge, "/purge/tag?tag=bad%0d%0aX-Injected:%201")[0] == 400
    assert admin(edge, "/purge/all") == (200, '{"purged": 1}\n')
    assert admin(edge, "/purge/all", method="GET")[0] == 405
    assert edge.metric("purges_total") == 5


def test_soft_purge_keeps_stale_for_swr_and_sie(origin, edge):
    origin.route("/soft", Resp(200, [("Cache-Control", "max-age=600, stale-if-error=600"),
                                     ("Surrogate-Key", "s")], b"old"))
    get(edge, "/soft")
    assert admin(edge, "/purge/tag?tag=s&soft=1") == (200, '{"purged": 1}\n')
    assert edge.metric("objects") == 1
    origin.route("/soft", Resp(503, [], b"down"))
    r = get(edge, "/soft")
    assert r.status == 200 and r.body == b"old" and "stale-if-error" in r.header("Cache-Status")
    origin.route("/soft", Resp(200, [("Cache-Control", "max-age=600")], b"new"))
    assert get(edge, "/soft").body == b"new"


def test_purge_method_on_main_listener(origin, edge):
    origin.route("/pm", Resp(200, [("Cache-Control", "max-age=60"), ("Surrogate-Key", "k1")], b"pm"))
    get(edge, "/pm")
    assert get(edge, "/pm", method="PURGE").status == 401
    r = get(edge, "/pm", method="PURGE", headers=[("Authorization", "Bearer sekret")])
    assert r.status == 200 and r.body == b'{"purged": 1}\n'
    get(edge, "/pm")
    assert origin.count("/pm") == 2
    r = get(edge, "/", method="PURGE", headers=[("Authorization", "Bearer sekret"), ("Purge-Tag", "k1")])
    assert r.body == b'{"purged": 1}\n'
    assert origin.count("/", None) == 0


def test_purge_method_forwarded_when_disabled(origin, edge_factory):
    e = edge_factory(origin.url)
    origin.route("/fw", lambda req: Resp(200, [("X-M", req.method)], b""))
    assert get(e, "/fw", method="PURGE").header("X-M") == "PURGE"


def test_tiers_shield_collapses_misses_of_several_edges(origin, edge_factory):
    origin.route("/tier", Resp(200, [("Cache-Control", "max-age=60")], b"tiered", delay=0.5))
    shield = edge_factory(origin.url)
    edges = [edge_factory(shield.url) for _ in range(3)]
    results = parallel(12, lambda: None)
    results = []
    lock = threading.Lock()

    def hit(e):
        r = get(e, "/tier")
        with lock:
            results.append(r)

    threads = [threading.Thread(target=hit, args=(edges[i % 3],)) for i in range(12)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert all(r.body == b"tiered" for r in results)
    assert origin.count("/tier") == 1
    assert shield.metric("origin_fetches_total") == 1
    assert sum(e.metric("origin_fetches_total") for e in edges) == 3
    # Cache-Status lists the shield's entry before the edge's.
    assert any(r.header("Cache-Status").count("strata-edge") == 2 for r in results)
    # A second round is served by the edges themselves.
    for e in edges:
        assert get(e, "/tier").header("X-Cache") == "HIT"
    assert shield.metric("requests_total") == 3


def test_memory_budget_evicts_and_large_objects_not_cached(origin, edge_factory):
    e = edge_factory(origin.url, "--memory", "1mb", "--threads", "1")  # one 1 MB shard
    body = b"x" * 100000
    for i in range(20):
        origin.route("/o%d" % i, Resp(200, [("Cache-Control", "max-age=60")], body))
        get(e, "/o%d" % i)
    assert e.metric("evictions_total") > 0
    assert e.metric("stored_bytes") <= 1024 * 1024
    big = b"y" * 200000  # > 10% of the budget
    origin.route("/huge", Resp(200, [("Cache-Control", "max-age=60")], big))
    assert get(e, "/huge").body == big
    assert get(e, "/huge").body == big
    assert origin.count("/huge") == 2
    # Same for a streamed (chunked) body that only turns out large while arriving.
    origin.route("/huge2", Resp(200, [("Cache-Control", "max-age=60")], parts=[(big[:50000], 0), (big[50000:], 0)]))
    assert get(e, "/huge2").body == big
    assert get(e, "/huge2").body == big
    assert origin.count("/huge2") == 2
