"""How scripts run: atomic whatever keys they touch, BUSY and SCRIPT/FUNCTION KILL, SHUTDOWN of
a busy script, MONITOR and INFO for scripts.

A script whose declared keys share a shard runs on that shard; one that touches any other key
(undeclared, on another shard, or held by a transaction) is undone and run again with every
shard (docs/design/atomicity.md). These tests check the outcome a client sees: each script
takes effect exactly once, in order, and no reader sees half of it. They pass against Redis
too (STRATA_SERVER_CMD=redis-server), where every script is trivially atomic.
"""

import socket
import threading
import time

import pytest
import redis

from kv_harness import run_threads
from kv_resp import RespError


@pytest.fixture(autouse=True)
def _no_scripts(server):
    with server.conn() as admin:
        admin.call("SCRIPT", "FLUSH")
        admin.call("FUNCTION", "FLUSH")
    yield


def client(server, **kw):
    return redis.Redis(host="127.0.0.1", port=server.port, **kw)


KEYS = ["acct:%d" % i for i in range(16)]  # spread over every shard

# Declares its first key only, then writes a key it was given as an argument.
HALF_DECLARED = """
redis.call('incr', KEYS[1])
redis.call('incr', ARGV[1])
return redis.call('get', KEYS[1])"""


def test_undeclared_writes_take_effect_once(server):
    """A script that wrote its own key before touching another shard's is undone and rerun:
    each call still counts once, its reply is the rerun's, and pipelined calls keep order."""
    r = client(server)
    p = r.pipeline(transaction=False)
    for i in range(200):
        a, b = KEYS[i % 16], KEYS[(i * 7 + 3) % 16]
        if a == b:
            b = KEYS[(i + 1) % 16]
        p.eval(HALF_DECLARED, 1, a, b)
        p.get(a)
    replies = p.execute()
    for i in range(0, len(replies), 2):
        assert replies[i] == replies[i + 1]  # the GET after it sees its write
    assert sum(int(r.get(k) or 0) for k in KEYS) == 400


def test_first_escalation_in_a_batch_keeps_its_own_shards_order(server):
    """The same script (unknown to the server so far, so it starts on its shard) in one
    pipeline with commands on its key before and after it."""
    r = client(server)
    body = HALF_DECLARED + " -- " + str(time.time())  # a SHA1 no earlier run escalated
    p = r.pipeline(transaction=False)
    p.set(KEYS[0], 10)
    p.eval(body, 1, KEYS[0], KEYS[5])
    p.incr(KEYS[0])
    p.get(KEYS[5])
    assert p.execute() == [True, b"11", 12, b"1"]


def test_undeclared_script_under_concurrency_keeps_the_sum(server):
    """Transfers between random accounts by scripts that declare one key, none, or both,
    while readers check the total with MGET and in MULTI: never a torn state."""
    r = client(server)
    r.mset({k: 100 for k in KEYS})
    bodies = [
        ("redis.call('decrby', KEYS[1], 1) redis.call('incrby', ARGV[1], 1) return 1", 1),
        ("redis.call('decrby', ARGV[1], 1) redis.call('incrby', ARGV[2], 1) return 1", 0),
        ("redis.call('decrby', KEYS[1], 1) redis.call('incrby', KEYS[2], 1) return 1", 2),
    ]
    stop = threading.Event()
    bad = []

    def mover(n):
        c = client(server)
        p = c.pipeline(transaction=False)
        for i in range(600):
            body, nkeys = bodies[(i + n) % 3]
            a, b = KEYS[(i * 5 + n) % 16], KEYS[(i * 3 + n + 1) % 16]
            if a == b:
                continue
            p.eval(body, nkeys, *([a, b][:nkeys] + [a, b][nkeys:]))
            if i % 8 == 7:
                p.execute()
        p.execute()

    def reader():
        c = client(server)
        while not stop.is_set():
            total = sum(int(x) for x in c.mget(KEYS))
            if total != 1600:
                bad.append(total)
            tx = c.pipeline(transaction=True)
            tx.mget(KEYS)
            total = sum(int(x) for x in tx.execute()[0])
            if total != 1600:
                bad.append(("multi", total))

    rd = threading.Thread(target=reader)
    rd.start()
    try:
        run_threads([lambda n=n: mover(n) for n in range(6)])
    finally:
        stop.set()
        rd.join()
    assert bad == []
    assert sum(int(x) for x in r.mget(KEYS)) == 1600


def test_script_meets_a_transaction_holding_its_key(server):
    """MULTI/EXEC transactions and scripts on the same keys from many clients: every
    increment lands exactly once."""
    def tx_client():
        c = client(server)
        for _ in range(150):
            p = c.pipeline(transaction=True)
            p.incr(KEYS[1])
            p.incr(KEYS[2])
            p.execute()

    def script_client():
        c = client(server)
        for _ in range(150):
            c.eval("redis.call('incr', KEYS[1]) return redis.call('incr', ARGV[1])", 1,
                   KEYS[1], KEYS[2])

    run_threads([tx_client, tx_client, script_client, script_client])
    r = client(server)
    assert r.get(KEYS[1]) == b"600"
    assert r.get(KEYS[2]) == b"600"


def test_whole_database_commands_inside_a_script(server):
    r = client(server)
    r.mset({k: 1 for k in KEYS})
    assert r.eval("redis.call('set', KEYS[1], 'x') return redis.call('dbsize')", 1, "fresh") == 17
    assert r.eval("redis.call('set', KEYS[1], 'y') redis.call('flushdb') "
                  "return redis.call('dbsize')", 1, "fresh") == 0
    assert r.dbsize() == 0


def test_script_writes_inside_multi_across_shards(server):
    r = client(server)
    p = r.pipeline(transaction=True)
    p.set(KEYS[3], "a")
    p.eval("return redis.call('append', ARGV[1], redis.call('get', KEYS[1]))", 1, KEYS[3],
           KEYS[9])
    p.get(KEYS[9])
    assert p.execute() == [True, 1, b"a"]


# ------------------------------------------------------------------------------------------------
# BUSY, SCRIPT KILL, FUNCTION KILL, SHUTDOWN NOSAVE


def _start_busy(server, body, *args):
    """Runs an endless script on its own connection; returns (thread, result holder)."""
    out = {}

    def run():
        c = server.conn(timeout=30.0)
        try:
            out["reply"] = c.call(*([body[0]] + list(body[1:]) + list(args)))
        except Exception as e:  # the connection may close (SHUTDOWN)
            out["reply"] = e
        finally:
            c.close()

    t = threading.Thread(target=run)
    t.start()
    return t, out


def _wait_busy(server, deadline=10.0):
    end = time.time() + deadline
    with server.conn() as c:
        while time.time() < end:
            reply = c.call("PING")
            if isinstance(reply, RespError) and reply.message.startswith("BUSY"):
                return reply
            time.sleep(0.02)
    raise AssertionError("the script never made the server BUSY")


@pytest.fixture
def busy_server(start_server, threads):
    srv = start_server(args=["--busy-reply-threshold", "200"], threads=threads)
    return srv


def test_script_kill_stops_a_script_that_has_not_written(busy_server):
    t, out = _start_busy(busy_server, ["EVAL", "local i = 0 while true do i = i + 1 end", "0"])
    assert _wait_busy(busy_server).message == \
        "BUSY Redis is busy running a script. You can only call SCRIPT KILL or SHUTDOWN NOSAVE."
    with busy_server.conn() as c:
        assert c.call("FUNCTION", "STATS") == RespError(
            "BUSY Redis is busy running a script. You can only call SCRIPT KILL or SHUTDOWN "
            "NOSAVE.")
        assert c.call("FUNCTION", "KILL") == RespError(
            "BUSY Redis is busy running a script. You can only call SCRIPT KILL or SHUTDOWN "
            "NOSAVE.")
        assert c.call("GET", "k") == RespError(
            "BUSY Redis is busy running a script. You can only call SCRIPT KILL or SHUTDOWN "
            "NOSAVE.")
        assert c.call("SCRIPT", "KILL") == "OK"
    t.join(10)
    assert not t.is_alive()
    assert isinstance(out["reply"], RespError)
    assert out["reply"].message.startswith("ERR Script killed by user with SCRIPT KILL...")
    with busy_server.conn() as c:
        assert c.call("PING") == "PONG"
        assert c.call("SCRIPT", "KILL") == RespError("NOTBUSY No scripts in execution right now.")


def test_function_kill(busy_server):
    with busy_server.conn() as c:
        assert c.call("FUNCTION", "LOAD",
                      "#!lua name=spin\nredis.register_function('spin', function() "
                      "while true do end end)") == b"spin"
    t, out = _start_busy(busy_server, ["FCALL", "spin", "0"])
    assert _wait_busy(busy_server).message == \
        "BUSY Redis is busy running a script. You can only call FUNCTION KILL or SHUTDOWN NOSAVE."
    with busy_server.conn() as c:
        assert c.call("SCRIPT", "KILL") == RespError(
            "BUSY Redis is busy running a script. You can only call FUNCTION KILL or SHUTDOWN "
            "NOSAVE.")
        stats = c.call("FUNCTION", "STATS")
        running = dict(zip(stats[1][0::2], stats[1][1::2]))
        assert running[b"name"] == b"spin"
        assert running[b"command"] == [b"FCALL", b"spin", b"0"]
        assert running[b"duration_ms"] >= 200
        assert c.call("FUNCTION", "KILL") == "OK"
    t.join(10)
    # Redis 7.0 names SCRIPT KILL in the error whichever command killed it.
    assert out["reply"].message.startswith("ERR Script killed by user with SCRIPT KILL...")


def test_a_script_that_wrote_is_unkillable_until_shutdown_nosave(busy_server):
    t, out = _start_busy(busy_server,
                         ["EVAL", "redis.call('set', KEYS[1], 'v') while true do end", "1", "k"])
    _wait_busy(busy_server)
    with busy_server.conn() as c:
        assert c.call("SCRIPT", "KILL") == RespError(
            "UNKILLABLE Sorry the script already executed write commands against the dataset. "
            "You can either wait the script termination or kill the server in a hard way using "
            "the SHUTDOWN NOSAVE command.")
        try:
            c.call("SHUTDOWN", "NOSAVE")
        except Exception:  # the server closes the connection as it exits
            pass
    assert busy_server.wait_exit(10) is not None
    t.join(10)
    assert not t.is_alive()


# ------------------------------------------------------------------------------------------------
# MONITOR, INFO


def test_monitor_shows_the_script_then_its_commands(server):
    with server.conn() as mon, server.conn() as c:
        assert mon.call("MONITOR") == "OK"
        assert c.call("EVAL", "redis.call('set', KEYS[1], '1') return redis.call('get', KEYS[1])",
                      "1", "mk") == b"1"
        lines = []
        while len(lines) < 3:
            lines.append(mon.read())
    assert '"EVAL"' in lines[0].upper() and "lua]" not in lines[0]
    assert lines[1].endswith('[0 lua] "set" "mk" "1"')
    assert lines[2].endswith('[0 lua] "get" "mk"')


def test_commandstats_count_script_commands(server):
    with server.conn() as c:
        c.call("CONFIG", "RESETSTAT")
        for _ in range(3):
            c.call("EVAL", "return redis.call('incr', KEYS[1])", "1", "cnt")
        c.call("EVAL", "return redis.call('nosuchcommand')", "0")
        stats = c.call("INFO", "commandstats").decode()
    calls = {line.split(":")[0]: line.split(":")[1] for line in stats.split("\r\n")
             if line.startswith("cmdstat_")}
    assert "calls=4," in calls["cmdstat_eval"]
    assert "failed_calls=1" in calls["cmdstat_eval"]
    assert "calls=3," in calls["cmdstat_incr"]
