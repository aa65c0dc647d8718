"""HOTKEYS: the most accessed keys from the per-shard trackers, on 1 and 4 shards; the
hotkeys-tracking option; and redis-cli --hotkeys (SCAN + OBJECT FREQ under an LFU policy)."""

import shutil
import subprocess
import time

import pytest
import redis

from kv_harness import Server, strata_available, target_is_redis

pytestmark = pytest.mark.skipif(target_is_redis() or not strata_available(),
                                reason="HOTKEYS is a strata-server command")

COLD = 3000
HOT = {"hot:a": 1200, "hot:b": 800, "hot:c": 500}


@pytest.fixture(scope="module", params=[1, 4], ids=lambda n: "shards%d" % n)
def server(request):
    s = Server(threads=request.param).start()
    yield s
    s.stop()


@pytest.fixture
def r(server):
    if not server.alive():
        pytest.fail("server died:\n" + server.log())
    c = redis.Redis(host="127.0.0.1", port=server.port, socket_timeout=30)
    c.config_set("hotkeys-tracking", "yes")
    c.config_set("hotkeys-sample-period", "8")
    c.flushall()
    c.execute_command("HOTKEYS", "RESET")
    yield c
    c.close()
    assert server.alive(), server.log()


def hammer(r):
    """Writes the cold and hot keys, then reads each hot key HOT[k] times and each cold key once,
    interleaved, through pipelines."""
    p = r.pipeline(transaction=False)
    for i in range(COLD):
        p.set("cold:%d" % i, i)
    for k in HOT:
        p.set(k, "v")
    p.execute()
    rounds = max(HOT.values())
    cold = 0
    for i in range(rounds):
        for k, n in HOT.items():
            if i < n:
                p.get(k)
        for _ in range(3):
            p.get("cold:%d" % (cold % COLD))
            cold += 1
        if i % 200 == 199:
            p.execute()
    p.execute()


def pairs(flat):
    assert len(flat) % 2 == 0
    return [(flat[i].decode(), flat[i + 1]) for i in range(0, len(flat), 2)]


def test_hot_keys_come_first(r):
    hammer(r)
    top = pairs(r.execute_command("HOTKEYS", "COUNT", "3"))
    assert [k for k, _ in top] == ["hot:a", "hot:b", "hot:c"]
    # Estimated accesses: roughly the reads plus the write, never wildly off.
    for k, n in top:
        assert HOT[k] // 2 <= n <= HOT[k] * 2, top
    assert top[0][1] > top[1][1] > top[2][1]
    # Default count is 10, hottest first.
    ten = pairs(r.execute_command("HOTKEYS"))
    assert len(ten) == 10
    assert [k for k, _ in ten[:3]] == ["hot:a", "hot:b", "hot:c"]
    assert all(ten[i][1] >= ten[i + 1][1] for i in range(9))
    # A large count returns what is tracked (at most 64 per shard), no more.
    many = pairs(r.execute_command("HOTKEYS", "COUNT", "100000"))
    assert 10 <= len(many) <= 64 * 4
    assert len({k for k, _ in many}) == len(many)


def test_resp3_replies_pairs(server, r):
    hammer(r)
    c = server.conn(protocol=3)
    try:
        top = c.call("HOTKEYS", "COUNT", "2")
    finally:
        c.close()
    assert len(top) == 2
    assert [p[0] for p in top] == [b"hot:a", b"hot:b"]
    assert all(isinstance(p[1], int) for p in top)


def test_deleted_and_expired_keys_are_not_reported(r):
    hammer(r)
    r.delete("hot:a")
    r.pexpire("hot:b", 1)
    time.sleep(0.05)
    top = [k for k, _ in pairs(r.execute_command("HOTKEYS", "COUNT", "5"))]
    assert "hot:a" not in top and "hot:b" not in top
    assert top[0] == "hot:c"


def test_other_databases_are_apart(server, r):
    r1 = redis.Redis(host="127.0.0.1", port=server.port, db=1, socket_timeout=30)
    try:
        hammer(r1)
        assert r.execute_command("HOTKEYS") == []
        assert [k for k, _ in pairs(r1.execute_command("HOTKEYS", "COUNT", "1"))] == ["hot:a"]
    finally:
        r1.close()


def test_swapdb_moves_hot_keys(server, r):
    r1 = redis.Redis(host="127.0.0.1", port=server.port, db=1, socket_timeout=30)
    try:
        hammer(r1)
        r.execute_command("SWAPDB", 0, 1)
        assert [k for k, _ in pairs(r.execute_command("HOTKEYS", "COUNT", "3"))] == \
            ["hot:a", "hot:b", "hot:c"]
        assert r1.execute_command("HOTKEYS") == []
    finally:
        r1.close()


def test_reset(r):
    hammer(r)
    assert r.execute_command("HOTKEYS")
    assert r.execute_command("HOTKEYS", "RESET") == b"OK"
    assert r.execute_command("HOTKEYS") == []
    for _ in range(100):
        r.get("hot:c")
    top = pairs(r.execute_command("HOTKEYS"))
    assert [k for k, _ in top] == ["hot:c"]
    assert top[0][1] > 0


@pytest.mark.parametrize("args", [
    ["COUNT"], ["COUNT", "0"], ["COUNT", "-3"], ["COUNT", "abc"], ["COUNT", "1", "2"],
    ["FOO"], ["RESET", "now"], ["COUNT", "99999999999999999999"],
])
def test_bad_arguments(server, r, args):
    with pytest.raises(redis.ResponseError):
        r.execute_command("HOTKEYS", *args)
    # Raw reply: a Redis-style -ERR line.
    c = server.conn()
    try:
        raw = c.call_raw("HOTKEYS", *args)
    finally:
        c.close()
    assert raw.startswith(b"-ERR "), raw


def test_help(r):
    lines = r.execute_command("HOTKEYS", "HELP")
    assert any(b"RESET" in l for l in lines)


def test_tracking_off_stops_counting(r):
    assert r.config_get("hotkeys-tracking") == {"hotkeys-tracking": "yes"}
    r.config_set("hotkeys-tracking", "no")
    assert r.config_get("hotkeys-tracking") == {"hotkeys-tracking": "no"}
    hammer(r)
    assert r.execute_command("HOTKEYS") == []
    r.config_set("hotkeys-tracking", "yes")
    for _ in range(50):
        r.get("hot:b")
    top = pairs(r.execute_command("HOTKEYS"))
    assert top[0][0] == "hot:b"
    with pytest.raises(redis.ResponseError):
        r.config_set("hotkeys-tracking", "maybe")


def test_sample_period_one_counts_every_access(r):
    r.config_set("hotkeys-sample-period", "1")
    r.set("x", 1)
    r.set("y", 1)
    p = r.pipeline(transaction=False)
    for _ in range(99):
        p.get("x")
    for _ in range(9):
        p.incr("y")
    p.execute()
    # One write and 99 reads of x; one write and 9 INCRs of y.
    assert pairs(r.execute_command("HOTKEYS")) == [("x", 100), ("y", 10)]
    for bad in ("0", "-1", "abc", "1.5"):
        with pytest.raises(redis.ResponseError):
            r.config_set("hotkeys-sample-period", bad)
    assert r.config_get("hotkeys-sample-period") == {"hotkeys-sample-period": "1"}


def test_command_docs(server):
    c = server.conn()
    try:
        info = c.call("COMMAND", "INFO", "hotkeys")
        docs = c.call("COMMAND", "DOCS", "hotkeys")
    finally:
        c.close()
    assert info[0][0] == b"hotkeys" and info[0][1] == -1
    assert "admin" in [f if isinstance(f, str) else f.decode() for f in info[0][2]]
    assert docs[0] == b"hotkeys"
    fields = dict(zip(docs[1][::2], docs[1][1::2]))
    assert fields[b"group"] == b"server"
    assert b"most accessed keys" in fields[b"summary"]


def test_config_option_at_start():
    s = Server(threads=2, args=["--hotkeys-tracking", "no"]).start()
    try:
        c = redis.Redis(host="127.0.0.1", port=s.port, socket_timeout=30)
        assert c.config_get("hotkeys-tracking") == {"hotkeys-tracking": "no"}
        assert c.config_get("hotkeys-sample-period") == {"hotkeys-sample-period": "8"}
        c.set("k", 1)
        for _ in range(20):
            c.get("k")
        assert c.execute_command("HOTKEYS") == []
        c.close()
    finally:
        s.stop()


def test_config_file(tmp_path):
    conf = tmp_path / "strata.conf"
    conf.write_text("hotkeys-tracking yes\nhotkeys-sample-period 1\n")
    s = Server(threads=2, config_file=str(conf)).start()
    try:
        c = redis.Redis(host="127.0.0.1", port=s.port, socket_timeout=30)
        assert c.config_get("hotkeys-sample-period") == {"hotkeys-sample-period": "1"}
        c.set("k", 1)
        for _ in range(6):
            c.get("k")
        assert c.execute_command("HOTKEYS") == [b"k", 7]
        c.close()
    finally:
        s.stop()


@pytest.mark.skipif(shutil.which("redis-cli") is None, reason="needs redis-cli")
def test_redis_cli_hotkeys(server, r):
    # redis-cli --hotkeys refuses to run unless maxmemory-policy is an LFU one, then SCANs and
    # asks OBJECT FREQ of each key.
    hammer(r)
    r.config_set("maxmemory-policy", "allkeys-lfu")
    try:
        hammer(r)
        out = subprocess.run(["redis-cli", "-p", str(server.port), "--hotkeys"],
                             capture_output=True, text=True, timeout=60)
    finally:
        r.config_set("maxmemory-policy", "noeviction")
    assert out.returncode == 0, out.stdout + out.stderr
    for k in HOT:
        assert 'keyname: "%s"' % k in out.stdout, out.stdout
