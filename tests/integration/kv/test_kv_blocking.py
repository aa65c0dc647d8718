"""Blocking commands (BLPOP & co., BZPOPMIN & co., XREAD BLOCK): immediate service, timeouts,
arrival order, wake-ups across shards, disconnects, CLIENT UNBLOCK, and a job queue."""

import socket
import threading
import time

from kv_harness import info, wait_until
from kv_resp import RespError

# Keys that land on different shards with 4 shard threads (and are just keys with 1).
SPREAD = ["q:%d" % i for i in range(16)]


def blocked(server):
    with server.conn() as c:
        return int(info(c, "clients")["blocked_clients"])


def wait_blocked(server, n, timeout=10):
    assert wait_until(lambda: blocked(server) == n, timeout), \
        "expected %d blocked clients, have %d" % (n, blocked(server))


class Async:
    """Runs one blocking call on its own connection and thread; .result() joins it."""

    def __init__(self, server, *args, proto=2):
        self.conn = server.conn(protocol=proto, timeout=30)
        self.value = None
        self.error = None
        self.done_at = None
        self.t = threading.Thread(target=self._run, args=args)
        self.started = time.monotonic()
        self.t.start()

    def _run(self, *args):
        try:
            self.value = self.conn.call(*args)
        except Exception as e:  # reported by result()
            self.error = e
        self.done_at = time.monotonic()

    def result(self, timeout=20):
        self.t.join(timeout)
        assert not self.t.is_alive(), "blocking call did not return"
        self.conn.close()
        if self.error:
            raise self.error
        return self.value


def test_served_at_once_when_data_is_there(server, c):
    c.call("RPUSH", "q", "a", "b")
    assert c.call("BLPOP", "nothing", "q", "0") == [b"q", b"a"]
    assert c.call("BRPOP", "q", "0") == [b"q", b"b"]
    assert c.call("EXISTS", "q") == 0


def test_timeout_errors_and_wrongtype(server, c):
    assert c.call("BLPOP", "q", "-1") == RespError("ERR timeout is negative")
    assert c.call("BLPOP", "q", "abc") == RespError("ERR timeout is not a float or out of range")
    c.call("SET", "s", "x")
    assert c.call("BLPOP", "s", "0").message.startswith("WRONGTYPE")
    # The first key with data wins, even if a later key has the wrong type.
    c.call("RPUSH", "q", "v")
    assert c.call("BLPOP", "q", "s", "0") == [b"q", b"v"]


def test_fractional_timeout(server):
    a = Async(server, "BLPOP", "q", "0.2")
    assert a.result() is None
    took = a.done_at - a.started
    assert 0.15 <= took < 5, took


def test_waiters_are_served_in_arrival_order(server, c):
    waiters = []
    for i in range(3):
        waiters.append(Async(server, "BLPOP", "q", "0"))
        wait_blocked(server, i + 1)
    c.call("RPUSH", "q", "a", "b", "c")
    assert [w.result() for w in waiters] == [[b"q", b"a"], [b"q", b"b"], [b"q", b"c"]]
    assert c.call("EXISTS", "q") == 0


def test_a_consumed_push_is_never_visible(server, c):
    w = Async(server, "BLPOP", "q", "0")
    wait_blocked(server, 1)
    # In one pipeline: the waiter is served right after RPUSH, before LLEN runs.
    assert c.pipeline([["RPUSH", "q", "x"], ["LLEN", "q"]]) == [1, 0]
    assert w.result() == [b"q", b"x"]


def test_wakeup_from_a_key_on_another_shard(server, c):
    w = Async(server, "BLPOP", *SPREAD, "0")
    wait_blocked(server, 1)
    c.call("RPUSH", SPREAD[11], "v")
    assert w.result() == [SPREAD[11].encode(), b"v"]
    wait_blocked(server, 0)
    # Nothing was left behind on the other keys' shards.
    for k in SPREAD:
        c.call("RPUSH", k, "later")
    assert [c.call("LLEN", k) for k in SPREAD] == [1] * len(SPREAD)


def test_one_push_serves_one_of_several_clients(server, c):
    waiters = [Async(server, "BLPOP", "q", "0") for _ in range(4)]
    wait_blocked(server, 4)
    c.call("RPUSH", "q", "one")
    wait_blocked(server, 3)
    c.call("RPUSH", "q", "two", "three", "four")
    got = sorted(w.result()[1] for w in waiters)
    assert got == [b"four", b"one", b"three", b"two"]


def test_disconnect_while_blocked_leaves_nothing(server, c):
    s = socket.create_connection(("127.0.0.1", server.port))
    s.sendall(b"*3\r\n$5\r\nBLPOP\r\n$1\r\nq\r\n$1\r\n0\r\n")
    wait_blocked(server, 1)
    s.close()
    wait_blocked(server, 0)
    c.call("RPUSH", "q", "kept")
    assert c.call("LRANGE", "q", "0", "-1") == [b"kept"]


def test_client_unblock(server, c):
    w = Async(server, "BLPOP", "q", "0")
    wait_blocked(server, 1)
    ids = [int(line.split("id=")[1].split()[0])
           for line in c.call("CLIENT", "LIST").decode().splitlines() if "cmd=blpop" in line]
    assert len(ids) == 1
    assert c.call("CLIENT", "UNBLOCK", str(ids[0])) == 1
    assert w.result() is None
    assert c.call("CLIENT", "UNBLOCK", str(ids[0])) == 0
    w = Async(server, "BLPOP", "q", "0")
    wait_blocked(server, 1)
    ids = [int(line.split("id=")[1].split()[0])
           for line in c.call("CLIENT", "LIST").decode().splitlines() if "cmd=blpop" in line]
    assert c.call("CLIENT", "UNBLOCK", str(ids[0]), "ERROR") == 1
    err = w.result()
    assert isinstance(err, RespError) and err.message.startswith("UNBLOCKED")


def test_blmove_between_shards(server, c):
    src, dst = SPREAD[0], SPREAD[7]
    w = Async(server, "BLMOVE", src, dst, "LEFT", "RIGHT", "0")
    wait_blocked(server, 1)
    c.call("RPUSH", src, "m")
    assert w.result() == b"m"
    assert c.call("LRANGE", dst, "0", "-1") == [b"m"]
    assert c.call("EXISTS", src) == 0
    assert c.call("BLMOVE", src, dst, "LEFT", "RIGHT", "0.05") is None
    assert c.call("BRPOPLPUSH", dst, src, "0") == b"m"


def test_blmove_between_shards_is_atomic(server, c):
    """One element circulates between two lists on different shards through two clients blocked
    in BLMOVE, in both directions: EXISTS over both keys (one atomic read of both shards) must
    always find it in exactly one of them, never in neither (mid-move) nor in both."""
    a, b = SPREAD[0], SPREAD[7]
    c.call("DEL", a, b)
    stop = threading.Event()
    moves = [0]
    seen = []

    def mover(src, dst):
        def run():
            with server.conn(timeout=30) as m:
                while not stop.is_set():
                    if m.call("BLMOVE", src, dst, "LEFT", "RIGHT", "0.2") is not None:
                        moves[0] += 1
        return run

    def observer():
        with server.conn() as o:
            while not stop.is_set():
                seen.append(o.call("EXISTS", a, b))

    threads = [threading.Thread(target=f) for f in (mover(a, b), mover(b, a))]
    for t in threads:
        t.start()
    wait_blocked(server, 2)
    c.call("RPUSH", a, "token")
    observers = [threading.Thread(target=observer) for _ in range(2)]
    for t in observers:
        t.start()
    threads += observers
    time.sleep(2.0)
    stop.set()
    for t in threads:
        t.join(30)
    assert moves[0] > 50, moves[0]
    bad = [n for n in seen if n != 1]
    assert not bad, "%d of %d reads saw the element in %s lists" % (len(bad), len(seen), set(bad))
    assert c.call("LLEN", a) + c.call("LLEN", b) == 1


def test_blmove_between_shards_moves_every_element_once(server, c):
    """Eight clients blocked in BLMOVE from one list to lists on other shards, while LPUSHes and
    a cross-shard LMOVE compete for the same source: every element ends up in exactly one
    destination."""
    src = SPREAD[1]
    dsts = [SPREAD[2], SPREAD[3], SPREAD[4], SPREAD[5]]
    c.call("DEL", src, *dsts)
    stop = threading.Event()

    def mover(dst):
        def run():
            with server.conn(timeout=30) as m:
                while not stop.is_set():
                    m.call("BLMOVE", src, dst, "RIGHT", "LEFT", "0.1")
        return run

    movers = [threading.Thread(target=mover(dsts[i % 4])) for i in range(8)]
    for t in movers:
        t.start()
    wait_blocked(server, 8)
    with server.conn() as p:
        for i in range(3000):
            p.call("LPUSH", src, "e%d" % i)
            if i % 10 == 0:
                p.call("LMOVE", src, dsts[0], "RIGHT", "LEFT")
    assert wait_until(lambda: c.call("LLEN", src) == 0, 20)
    stop.set()
    for t in movers:
        t.join(30)
    got = []
    for d in dsts:
        got += c.call("LRANGE", d, "0", "-1")
    assert sorted(got) == sorted(b"e%d" % i for i in range(3000))


def test_blmpop(server, c):
    c.call("RPUSH", "b", "1", "2", "3")
    assert c.call("BLMPOP", "0", "2", "a", "b", "RIGHT", "COUNT", "2") == [b"b", [b"3", b"2"]]
    assert c.call("BLMPOP", "0", "2", "a", "b", "LEFT", "COUNT", "5") == [b"b", [b"1"]]
    w = Async(server, "BLMPOP", "0", "2", "a", "b", "LEFT")
    wait_blocked(server, 1)
    c.call("RPUSH", "a", "x", "y")
    assert w.result() == [b"a", [b"x"]]


def test_bzpopmin_and_bzpopmax(server, c):
    w = Async(server, "BZPOPMIN", "z1", SPREAD[3], "0")
    wait_blocked(server, 1)
    c.call("ZADD", SPREAD[3], "2", "b", "1", "a")
    assert w.result() == [SPREAD[3].encode(), b"a", b"1"]
    r = c.call("BZPOPMAX", SPREAD[3], "0")  # the score is a double in RESP3
    assert r[:2] == [SPREAD[3].encode(), b"b"] and float(r[2]) == 2
    assert c.call("BZPOPMIN", "z1", "0.05") is None


def test_xread_block(server, c):
    c.call("XADD", "s", "1-1", "f", "old")
    w = Async(server, "XREAD", "BLOCK", "0", "STREAMS", "s", "$")
    wait_blocked(server, 1)
    c.call("XADD", "s", "2-1", "f", "new")
    assert w.result() == [[b"s", [[b"2-1", [b"f", b"new"]]]]]
    assert c.call("XREAD", "BLOCK", "50", "STREAMS", "s", "$") is None


def test_xreadgroup_block(server, c):
    c.call("XGROUP", "CREATE", "s", "g", "$", "MKSTREAM")
    w = Async(server, "XREADGROUP", "GROUP", "g", "alice", "BLOCK", "0", "STREAMS", "s", ">")
    wait_blocked(server, 1)
    c.call("XADD", "s", "5-1", "f", "v")
    assert w.result() == [[b"s", [[b"5-1", [b"f", b"v"]]]]]
    assert c.call("XPENDING", "s", "g")[0] == 1


def test_job_queue_every_job_done_exactly_once(server, c):
    jobs = 400
    done, lock = [], threading.Lock()

    def worker():
        with server.conn(timeout=30) as w:
            while True:
                r = w.call("BRPOP", "jobs", "1")
                if r is None:
                    return
                with lock:
                    done.append(r[1])

    threads = [threading.Thread(target=worker) for _ in range(8)]
    for t in threads:
        t.start()
    for i in range(0, jobs, 20):
        c.call("LPUSH", "jobs", *["job:%d" % j for j in range(i, i + 20)])
    for t in threads:
        t.join(60)
    assert not any(t.is_alive() for t in threads)
    assert sorted(done) == sorted(("job:%d" % j).encode() for j in range(jobs))
