"""Hashes through redis-py: a session store, a token-bucket rate limiter shared by several
clients (and, beside it, the fixed-window INCR + EXPIRE limiter), and a hash growing past the
compact encoding's limits."""

import threading
import time

import pytest

redis = pytest.importorskip("redis")


@pytest.fixture
def r(server):
    client = redis.Redis(host="127.0.0.1", port=server.port, decode_responses=True)
    yield client
    client.close()


# ---- Session store: HSET + EXPIRE, sliding renewal on every read, expiry removes it ----

def create_session(r, sid, user, ttl):
    with r.pipeline(transaction=False) as p:
        p.hset("session:" + sid, mapping={"user": user, "created": "1700000000", "hits": 0})
        p.expire("session:" + sid, ttl)
        p.execute()


def read_session(r, sid, ttl):
    """Returns the session and slides its expiry, or None once it has expired."""
    key = "session:" + sid
    with r.pipeline(transaction=False) as p:
        p.hgetall(key)
        p.hincrby(key, "hits", 1)
        p.expire(key, ttl)
        data, hits, _ = p.execute()
    if not data:
        r.delete(key)  # HINCRBY recreated a bare hash for a session that was gone
        return None
    data["hits"] = hits
    return data


def test_session_store(r):
    create_session(r, "abc", "alice", 100)
    create_session(r, "def", "bob", 100)
    s = read_session(r, "abc", 100)
    assert s == {"user": "alice", "created": "1700000000", "hits": 1}
    assert read_session(r, "abc", 100)["hits"] == 2
    assert 99 <= r.ttl("session:abc") <= 100
    assert r.object("encoding", "session:abc") == "listpack"
    assert r.hget("session:def", "user") == "bob"
    assert r.hdel("session:def", "user", "created", "hits") == 3
    assert r.exists("session:def") == 0  # an emptied hash is deleted
    assert read_session(r, "def", 100) is None
    assert r.exists("session:def") == 0


def test_session_sliding_expiry(r):
    create_session(r, "s1", "carol", 1)
    create_session(r, "s2", "dave", 1)
    # s1 is read every 300 ms, each read renewing it for 1 s; s2 is left alone.
    deadline = time.time() + 2.0
    while time.time() < deadline:
        assert read_session(r, "s1", 1) is not None
        time.sleep(0.3)
    assert r.exists("session:s2") == 0
    assert r.hget("session:s2", "user") is None
    assert r.hgetall("session:s1")["user"] == "carol"
    time.sleep(1.3)
    assert read_session(r, "s1", 1) is None
    assert r.exists("session:s1") == 0


# ---- Token bucket: HGET/HSET of tokens and timestamp in a pipeline, several clients ----

CAPACITY = 10
RATE = 5.0  # tokens per second of the (simulated) clock


def refill_and_take(tokens, ts, now):
    tokens = float(tokens) if tokens is not None else CAPACITY
    ts = float(ts) if ts is not None else now
    tokens = min(CAPACITY, tokens + (now - ts) * RATE)
    if tokens >= 1:
        return True, tokens - 1
    return False, tokens


def take(r, bucket, now):
    """One request against the bucket at time `now`; True if admitted. The bucket is read and
    written in two pipelines (each bucket has a single owner, so no race)."""
    with r.pipeline(transaction=False) as p:
        p.hget(bucket, "tokens")
        p.hget(bucket, "ts")
        tokens, ts = p.execute()
    admitted, tokens = refill_and_take(tokens, ts, now)
    with r.pipeline(transaction=False) as p:
        p.hset(bucket, mapping={"tokens": repr(tokens), "ts": repr(now)})
        p.expire(bucket, 3600)
        p.execute()
    return admitted


def run_clients(n, fn):
    errors = []

    def wrap(i):
        try:
            fn(i)
        except BaseException as e:  # noqa: BLE001
            errors.append(e)

    threads = [threading.Thread(target=wrap, args=(i,)) for i in range(n)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    assert not errors, errors


def test_token_bucket_per_client(server):
    results = {}

    def client(i):
        r = redis.Redis(host="127.0.0.1", port=server.port, decode_responses=True)
        admitted = 0
        # 40 requests in 2 simulated seconds: capacity 10 plus 10 tokens refilled.
        for k in range(40):
            admitted += take(r, "bucket:%d" % i, now=k * 0.05)
        results[i] = admitted
        r.close()

    run_clients(6, client)
    # The same arithmetic without a server: every client's bucket behaved exactly so.
    tokens, ts, expected = None, None, 0
    for k in range(40):
        ok, tokens = refill_and_take(tokens, ts, k * 0.05)
        tokens, ts = repr(tokens), repr(k * 0.05)
        expected += ok
    assert 18 <= expected <= 21
    assert results == {i: expected for i in range(6)}
    r = redis.Redis(host="127.0.0.1", port=server.port, decode_responses=True)
    for i in range(6):
        h = r.hgetall("bucket:%d" % i)
        assert set(h) == {"tokens", "ts"}
        assert float(h["ts"]) == pytest.approx(39 * 0.05)
        assert r.ttl("bucket:%d" % i) > 3000


def test_token_bucket_shared(server):
    """Clients sharing buckets take tokens with HINCRBY (atomic), never over-admitting."""
    r = redis.Redis(host="127.0.0.1", port=server.port, decode_responses=True)
    for b in range(3):
        r.hset("shared:%d" % b, mapping={"tokens": 25, "ts": 0})
    admitted = [0] * 4

    def client(i):
        c = redis.Redis(host="127.0.0.1", port=server.port, decode_responses=True)
        for _ in range(30):
            with c.pipeline(transaction=False) as p:
                for b in range(3):
                    p.hincrby("shared:%d" % b, "tokens", -1)
                left = p.execute()
            for v in left:
                if v >= 0:
                    admitted[i] += 1
        c.close()

    run_clients(4, client)
    assert sum(admitted) == 75
    for b in range(3):
        assert int(r.hget("shared:%d" % b, "tokens")) == 25 - 4 * 30


# ---- Encoding conversions ----

def test_hash_converts_to_hashtable(r):
    r.hset("h", mapping={"f%d" % i: i for i in range(512)})
    assert r.object("encoding", "h") == "listpack"
    assert r.hlen("h") == 512
    r.hset("h", "f511", "updated")
    assert r.object("encoding", "h") == "listpack"
    r.hset("h", "f512", "x")
    assert r.object("encoding", "h") == "hashtable"
    for i in range(500):
        r.hdel("h", "f%d" % i)
    assert r.object("encoding", "h") == "hashtable"  # never converts back
    assert r.hlen("h") == 13

    r.hset("v", "small", "x" * 64)
    assert r.object("encoding", "v") == "listpack"
    r.hset("v", "big", "x" * 65)
    assert r.object("encoding", "v") == "hashtable"
    assert r.hstrlen("v", "big") == 65
    assert r.hgetall("v") == {"small": "x" * 64, "big": "x" * 65}


def test_large_hash_scan_and_random(r):
    n = 20000
    with r.pipeline(transaction=False) as p:
        for base in range(0, n, 1000):
            p.hset("big", mapping={"f:%d" % i: "value-%d" % i for i in range(base, base + 1000)})
        p.execute()
    assert r.hlen("big") == n
    seen = {}
    cursor = 0
    while True:
        cursor, page = r.hscan("big", cursor, count=100)
        seen.update(page)
        if cursor == 0:
            break
    assert len(seen) == n and seen["f:123"] == "value-123"
    sample = r.hrandfield("big", 50, withvalues=True)
    assert len(sample) == 100
    pairs = dict(zip(sample[0::2], sample[1::2]))
    assert len(pairs) == 50 and all(v == "value-" + f[2:] for f, v in pairs.items())
    assert len(r.hrandfield("big", -300)) == 300
    matched = r.hscan("big", 0, match="f:1234*", count=n)[1]
    assert set(matched) == {"f:1234"} | {"f:1234%d" % i for i in range(10)}


def test_wrong_type_and_errors(r):
    r.set("s", "x")
    with pytest.raises(redis.ResponseError, match="WRONGTYPE"):
        r.hget("s", "f")
    with pytest.raises(redis.ResponseError, match="WRONGTYPE"):
        r.hset("s", "f", "v")
    r.hset("h", "n", "abc")
    with pytest.raises(redis.ResponseError, match="hash value is not an integer"):
        r.hincrby("h", "n", 1)
    with pytest.raises(redis.ResponseError, match="hash value is not a float"):
        r.hincrbyfloat("h", "n", 1.5)
    assert r.hincrbyfloat("h", "x", "10.5") == 10.5
    assert r.hincrbyfloat("h", "x", "0.1") == pytest.approx(10.6)
    assert r.hget("h", "x") == "10.6"


# ---- Fixed-window rate limiter: INCR + EXPIRE NX per window, shared by several clients ----

def test_fixed_window_rate_limiter(server):
    limit, per_client = 25, 20
    admitted = []
    lock = threading.Lock()

    def client(i):
        r = redis.Redis(host="127.0.0.1", port=server.port, decode_responses=True)
        mine = 0
        for _ in range(per_client):
            with r.pipeline(transaction=False) as p:
                p.incr("ratelimit:api:window")
                p.expire("ratelimit:api:window", 60, nx=True)
                count, _ = p.execute()
            mine += count <= limit
        with lock:
            admitted.append(mine)
        r.close()

    threads = [threading.Thread(target=client, args=(i,)) for i in range(6)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(30)
    r = redis.Redis(host="127.0.0.1", port=server.port, decode_responses=True)
    # Exactly `limit` requests were admitted in the window, whoever sent them.
    assert sum(admitted) == limit
    assert int(r.get("ratelimit:api:window")) == 6 * per_client
    assert 55 <= r.ttl("ratelimit:api:window") <= 60
    r.close()
