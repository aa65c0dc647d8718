"""Pub/Sub: SUBSCRIBE, PSUBSCRIBE, SSUBSCRIBE and their UNSUBSCRIBEs, PUBLISH, SPUBLISH and
PUBSUB, with redis-py's PubSub objects and raw RESP2/RESP3 connections, on 1 and 4 shard threads.
Every test also passes against Redis (STRATA_SERVER_CMD=redis-server)."""

import socket
import threading
import time

import pytest
import redis

from kv_harness import run_threads, wait_until
from kv_resp import Conn, Push, RespError


@pytest.fixture(autouse=True)
def no_subscribers_left(server):
    """Closed connections leave their subscriptions once the server has seen the close (on their
    own thread): each test starts when the previous test's are gone."""
    with server.conn() as c:
        assert wait_until(lambda: c.call("PUBSUB", "NUMPAT") == 0 and
                          c.call("PUBSUB", "CHANNELS") == [] and
                          c.call("PUBSUB", "SHARDCHANNELS") == [], 10)
    yield


def rpy(server, **kw):
    return redis.Redis(host="127.0.0.1", port=server.port, **kw)


def next_message(p, timeout=5.0):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        m = p.get_message(timeout=0.1)
        if m is not None:
            return m
    raise AssertionError("no message within %.1fs" % timeout)


def test_pubsub_object_get_message_and_listen(server):
    r = rpy(server)
    p = r.pubsub()
    p.subscribe("news", "sport")
    assert next_message(p) == {"type": "subscribe", "pattern": None, "channel": b"news",
                               "data": 1}
    assert next_message(p)["data"] == 2
    p.psubscribe("n*")
    assert next_message(p) == {"type": "psubscribe", "pattern": None, "channel": b"n*",
                               "data": 3}
    assert r.publish("news", "hello") == 2
    assert next_message(p) == {"type": "message", "pattern": None, "channel": b"news",
                               "data": b"hello"}
    assert next_message(p) == {"type": "pmessage", "pattern": b"n*", "channel": b"news",
                               "data": b"hello"}
    assert r.publish("sport", "goal") == 1
    got = []
    for m in p.listen():
        got.append(m)
        break
    assert got == [{"type": "message", "pattern": None, "channel": b"sport", "data": b"goal"}]
    p.unsubscribe("news")
    assert next_message(p) == {"type": "unsubscribe", "pattern": None, "channel": b"news",
                               "data": 2}
    assert r.publish("news", "x") == 1  # the pattern still matches
    p.close()


def test_pattern_and_channel_handlers(server):
    r = rpy(server)
    got = []
    p = r.pubsub(ignore_subscribe_messages=True)
    p.subscribe(**{"orders": lambda m: got.append(("c", m["channel"], m["data"]))})
    p.psubscribe(**{"ord?rs": lambda m: got.append(("p", m["pattern"], m["data"]))})
    assert wait_until(lambda: r.pubsub_numsub("orders") == [(b"orders", 1)], 5)
    assert wait_until(lambda: r.pubsub_numpat() == 1, 5)  # redis-py does not wait for the replies
    assert r.publish("orders", "42") == 2
    deadline = time.monotonic() + 5
    while len(got) < 2 and time.monotonic() < deadline:
        p.get_message(timeout=0.1)
    assert sorted(got) == [("c", b"orders", b"42"), ("p", b"ord?rs", b"42")]
    p.close()


def test_publish_counts_receivers_on_every_thread(server):
    r = rpy(server)
    subs = []
    for i in range(12):
        p = rpy(server).pubsub()
        p.subscribe("fan")
        if i % 3 == 0:
            p.psubscribe("f*", "*n")
        subs.append(p)
    for p in subs:
        next_message(p)
    assert wait_until(lambda: r.pubsub_numsub("fan") == [(b"fan", 12)], 5)
    assert wait_until(lambda: r.pubsub_numpat() == 2, 5)
    assert r.publish("fan", "m") == 12 + 4 * 2
    for i, p in enumerate(subs):
        want = 3 if i % 3 == 0 else 1
        got = []
        while len(got) < want:
            m = next_message(p)
            if m["type"] in ("message", "pmessage"):
                got.append(m["data"])
        assert got == [b"m"] * want
    for p in subs:
        p.close()
    assert wait_until(lambda: r.pubsub_numsub("fan") == [(b"fan", 0)], 5)
    assert r.publish("fan", "m") == 0


def test_messages_of_one_publisher_arrive_in_order(server):
    subs = [server.conn(protocol=2 + (i % 2)) for i in range(6)]
    for s in subs:
        s.call("SUBSCRIBE", "seq")
    pub = server.conn()
    n = 3000
    replies = pub.pipeline([("PUBLISH", "seq", str(i)) for i in range(n)])
    assert replies == [6] * n
    for s in subs:
        got = [s.read() for _ in range(n)]
        assert [int(m[2]) for m in got] == list(range(n))
        assert all(m[0] == b"message" for m in got)
    for s in subs:
        s.close()
    pub.close()


def test_binary_channels_and_glob_patterns(server):
    sub = server.conn()
    chan = b"bin\x00ch\xff\r\n"
    assert sub.call("SUBSCRIBE", chan) == [b"subscribe", chan, 1]
    assert sub.call("PSUBSCRIBE", b"b?n\x00*") == [b"psubscribe", b"b?n\x00*", 2]
    sub.send_raw(b"")  # nothing
    pub = server.conn()
    assert pub.call("PUBLISH", chan, b"\x00payload\x00") == 2
    assert sub.read() == [b"message", chan, b"\x00payload\x00"]
    assert sub.read() == [b"pmessage", b"b?n\x00*", chan, b"\x00payload\x00"]
    for pat, chans, hit in [(b"h[ae]llo", b"hello", True), (b"h[^e]llo", b"hello", False),
                            (b"h\\*llo", b"h*llo", True), (b"h\\*llo", b"hallo", False),
                            (b"[a-c]x", b"bx", True)]:
        s = server.conn()
        s.call("PSUBSCRIBE", pat)
        assert pub.call("PUBLISH", chans, b"v") == (1 if hit else 0), pat
        s.close()
        assert wait_until(lambda: pub.call("PUBSUB", "NUMPAT") == 1, 10)
    assert pub.call("PUBSUB", "CHANNELS", b"bin*") == [chan]
    sub.close()
    pub.close()


def test_resp2_subscribed_mode_allows_only_subscription_commands(server):
    s = server.conn()
    s.call("SUBSCRIBE", "a")
    err = s.call("GET", "k")
    assert isinstance(err, RespError)
    assert str(err) == ("ERR Can't execute 'get': only (P|S)SUBSCRIBE / (P|S)UNSUBSCRIBE / "
                        "PING / QUIT / RESET are allowed in this context")
    err = s.call("CLIENT", "ID")
    assert str(err).startswith("ERR Can't execute 'client|id'")
    assert s.call("PING") == [b"pong", b""]
    assert s.call("PING", "x") == [b"pong", b"x"]
    assert s.call("UNSUBSCRIBE") == [b"unsubscribe", b"a", 0]
    assert s.call("PING") == "PONG"
    assert s.call("SET", "k", "v") == "OK"
    s.call("SSUBSCRIBE", "sc")
    assert str(s.call("GET", "k")).startswith("ERR Can't execute 'get'")
    assert s.call("SUNSUBSCRIBE") == [b"sunsubscribe", b"sc", 0]
    assert s.call("QUIT") == "OK"


def test_resp3_subscriber_runs_any_command_and_gets_pushes(server):
    s = server.conn(protocol=3)
    r = s.call("SUBSCRIBE", "c3")
    assert isinstance(r, Push) and r == [b"subscribe", b"c3", 1]
    assert s.call("SET", "k", "v") == "OK"
    assert s.call("GET", "k") == b"v"
    assert s.call("PING") == "PONG"
    pub = server.conn()
    assert pub.call("PUBLISH", "c3", "hi") == 1
    m = s.read()
    assert isinstance(m, Push) and m == [b"message", b"c3", b"hi"]
    assert s.call("GET", "k") == b"v"
    pub.close()
    s.close()


def test_unsubscribe_replies(server, proto):
    s = server.conn(protocol=proto)
    assert s.call("UNSUBSCRIBE") == [b"unsubscribe", None, 0]
    assert s.call("PUNSUBSCRIBE") == [b"punsubscribe", None, 0]
    assert s.call("SUNSUBSCRIBE") == [b"sunsubscribe", None, 0]
    s.send_raw(b"SUBSCRIBE a b a\r\n")
    assert [s.read() for _ in range(3)] == [[b"subscribe", b"a", 1], [b"subscribe", b"b", 2],
                                           [b"subscribe", b"a", 2]]
    s.send_raw(b"PSUBSCRIBE p*\r\n")
    assert s.read() == [b"psubscribe", b"p*", 3]
    s.send_raw(b"SSUBSCRIBE s1\r\n")
    assert s.read() == [b"ssubscribe", b"s1", 1]  # shard channels count apart
    s.send_raw(b"UNSUBSCRIBE nope\r\n")
    assert s.read() == [b"unsubscribe", b"nope", 3]
    s.send_raw(b"UNSUBSCRIBE\r\n")
    got = [s.read(), s.read()]
    assert sorted(got) == sorted([[b"unsubscribe", b"a", 2], [b"unsubscribe", b"b", 1]]) or \
        sorted(x[1] for x in got) == [b"a", b"b"]
    assert sorted(x[2] for x in got) == [1, 2]
    s.send_raw(b"PUNSUBSCRIBE\r\n")
    assert s.read() == [b"punsubscribe", b"p*", 0]
    s.send_raw(b"SUNSUBSCRIBE\r\n")
    assert s.read() == [b"sunsubscribe", b"s1", 0]
    s.close()


def test_sharded_pubsub(server):
    a, b = server.conn(), server.conn(protocol=3)
    assert a.call("SSUBSCRIBE", "orders:{1}") == [b"ssubscribe", b"orders:{1}", 1]
    assert b.call("SSUBSCRIBE", "orders:{1}", "orders:{2}") == [b"ssubscribe", b"orders:{1}", 1]
    assert b.read() == [b"ssubscribe", b"orders:{2}", 2]
    pub = server.conn()
    assert pub.call("SPUBLISH", "orders:{1}", "x") == 2
    assert pub.call("SPUBLISH", "orders:{2}", "y") == 1
    assert pub.call("PUBLISH", "orders:{1}", "z") == 0  # a different namespace
    assert a.read() == [b"smessage", b"orders:{1}", b"x"]
    assert b.read() == [b"smessage", b"orders:{1}", b"x"]
    assert b.read() == [b"smessage", b"orders:{2}", b"y"]
    assert sorted(pub.call("PUBSUB", "SHARDCHANNELS")) == [b"orders:{1}", b"orders:{2}"]
    assert pub.call("PUBSUB", "SHARDCHANNELS", "*2}") == [b"orders:{2}"]
    assert pub.call("PUBSUB", "SHARDNUMSUB", "orders:{1}", "nope") == [b"orders:{1}", 2,
                                                                        b"nope", 0]
    assert pub.call("PUBSUB", "CHANNELS") == []
    assert pub.call("PUBSUB", "NUMSUB") == []
    for c in (a, b, pub):
        c.close()


def test_pubsub_introspection_and_errors(server):
    c = server.conn()
    s = server.conn()
    s.call("SUBSCRIBE", "x1", "x2")
    s.read()
    s.call("PSUBSCRIBE", "x*")
    assert wait_until(lambda: c.call("PUBSUB", "NUMPAT") == 1, 5)
    assert sorted(c.call("PUBSUB", "CHANNELS")) == [b"x1", b"x2"]
    assert c.call("PUBSUB", "CHANNELS", "*2") == [b"x2"]
    assert c.call("PUBSUB", "NUMSUB", "x1", "x3") == [b"x1", 1, b"x3", 0]
    assert str(c.call("PUBSUB", "NOPE")).startswith("ERR unknown subcommand 'NOPE'")
    assert str(c.call("PUBSUB", "CHANNELS", "a", "b")).startswith("ERR unknown subcommand")
    assert str(c.call("PUBLISH", "a")) == "ERR wrong number of arguments for 'publish' command"
    assert str(c.call("SUBSCRIBE")) == "ERR wrong number of arguments for 'subscribe' command"
    info = c.call("INFO", "stats").decode()
    assert "pubsub_channels:2" in info and "pubsub_patterns:1" in info
    lst = c.call("CLIENT", "LIST", "TYPE", "pubsub").decode()
    assert lst.count("\n") == 1 and "sub=2 psub=1" in lst and "flags=P" in lst
    s.close()
    assert wait_until(lambda: c.call("PUBSUB", "NUMPAT") == 0, 5)
    c.close()


def test_reset_leaves_subscriptions(server):
    s = server.conn()
    s.call("SUBSCRIBE", "r1")
    s.call("PSUBSCRIBE", "r*")
    assert s.call("RESET") == "RESET"
    assert s.call("GET", "k") is None  # out of subscribed mode
    pub = server.conn()
    assert pub.call("PUBLISH", "r1", "x") == 0
    pub.close()
    s.close()


def test_publish_from_script_and_transaction(server):
    s = server.conn()
    s.call("SUBSCRIBE", "ev")
    c = server.conn()
    assert c.call("EVAL", "return redis.call('PUBLISH', 'ev', ARGV[1])", "0", "from-lua") == 1
    assert s.read() == [b"message", b"ev", b"from-lua"]
    assert c.call("MULTI") == "OK"
    assert c.call("PUBLISH", "ev", "in-tx") == "QUEUED"
    assert c.call("EXEC") == [1]
    assert s.read() == [b"message", b"ev", b"in-tx"]
    s.close()
    c.close()


def test_slow_subscriber_is_cut_off_fast_one_keeps_everything(server):
    admin = server.conn()
    old = admin.call("CONFIG", "GET", "client-output-buffer-limit")[1]
    admin.call("CONFIG", "SET", "client-output-buffer-limit", "pubsub 4mb 1mb 60")
    try:
        slow = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        slow.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)  # before connect: small window
        slow.connect(("127.0.0.1", server.port))
        slow.sendall(b"CLIENT SETNAME slow\r\nSUBSCRIBE feed\r\n")
        fast = server.conn()
        fast.call("SUBSCRIBE", "feed")
        assert wait_until(lambda: admin.call("PUBSUB", "NUMSUB", "feed")[1] == 2, 5)
        # 20 MB: past what the kernel buffers on the way to the slow reader, and its 4 MB limit.
        n, payload = 2000, b"x" * 10000
        received = []

        def reader():
            for _ in range(n):
                received.append(fast.read())

        t = threading.Thread(target=reader)
        t.start()
        pub = server.conn()
        counts = []
        for i in range(0, n, 50):
            counts += pub.pipeline([("PUBLISH", "feed", payload) for _ in range(50)])
            # The fast reader stays within 1.5 MB of the publisher, however slow the machine.
            assert wait_until(lambda: len(received) >= len(counts) - 100, 30)
        t.join(30)
        assert not t.is_alive()
        assert len(received) == n and all(m == [b"message", b"feed", payload] for m in received)
        assert counts[0] == 2
        # The slow one is cut off on the way (its thread notices, so the count follows).
        assert wait_until(lambda: b"name=slow" not in admin.call("CLIENT", "LIST"), 10)
        assert pub.call("PUBLISH", "feed", "after") == 1
        assert fast.read() == [b"message", b"feed", b"after"]
        slow.close()
        pub.close()
        fast.close()
    finally:
        admin.call("CONFIG", "SET", "client-output-buffer-limit", old)
        admin.close()


def test_event_based_invalidation_of_local_caches(server):
    """Cache-aside with pub/sub invalidation: 4 app instances keep a local dict; a writer updates
    keys and publishes their names; once the writes stop, no instance holds a stale value."""
    keys = ["user:%d" % i for i in range(50)]
    stop = threading.Event()
    instances = []

    class Instance:
        def __init__(self):
            self.r = rpy(server)
            self.local = {}
            self.gen = {}
            self.lock = threading.Lock()
            self.p = rpy(server).pubsub(ignore_subscribe_messages=True)
            self.p.subscribe(**{"user.updated": self.on_update})
            self.thread = self.p.run_in_thread(sleep_time=0.01, daemon=True)

        def on_update(self, m):
            k = m["data"].decode()
            with self.lock:
                self.local.pop(k, None)
                self.gen[k] = self.gen.get(k, 0) + 1

        def get(self, k):
            with self.lock:
                if k in self.local:
                    return self.local[k]
                gen = self.gen.get(k, 0)
            v = self.r.get(k)
            with self.lock:
                # A value read while an invalidation came in may be the old one: not kept.
                if self.gen.get(k, 0) == gen:
                    self.local[k] = v
            return v

    for _ in range(4):
        instances.append(Instance())
    assert wait_until(lambda: rpy(server).pubsub_numsub("user.updated")[0][1] == 4, 5)

    def app(inst):
        import random
        rnd = random.Random(id(inst))
        while not stop.is_set():
            inst.get(rnd.choice(keys))

    def writer():
        import random
        rnd = random.Random(7)
        w = rpy(server)
        for i in range(600):
            k = rnd.choice(keys)
            w.set(k, "v%d" % i)
            w.publish("user.updated", k)
        stop.set()

    run_threads([lambda i=i: app(i) for i in instances] + [writer], timeout=120)
    truth = rpy(server)
    # Every message published before the writes stopped is delivered within a moment.
    deadline = time.monotonic() + 5
    while True:
        stale = [(k, v) for inst in instances for k, v in list(inst.local.items())
                 if v != truth.get(k)]
        if not stale or time.monotonic() > deadline:
            break
        time.sleep(0.05)
    for inst in instances:
        inst.thread.stop()
        inst.thread.join(5)
    assert stale == []
