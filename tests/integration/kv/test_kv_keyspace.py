"""Keyspace commands: DEL/EXISTS/TYPE, expiry family, RENAME/COPY/MOVE, KEYS/SCAN, databases, OBJECT."""

import time

import pytest

from kv_resp import RespError

E = RespError
NOT_INT = E("ERR value is not an integer or out of range")
SYNTAX = E("ERR syntax error")


def arity(cmd):
    return E("ERR wrong number of arguments for '%s' command" % cmd)


def test_del_unlink_exists_touch(c):
    c.call("MSET", "a", "1", "b", "2", "c", "3")
    assert c.call("EXISTS", "a") == 1
    assert c.call("EXISTS", "a", "a", "b", "nokey") == 3
    assert c.call("TOUCH", "a", "b", "nokey") == 2
    assert c.call("DEL", "a", "nokey", "a") == 1
    assert c.call("UNLINK", "b", "c", "nokey") == 2
    assert c.call("EXISTS", "a", "b", "c") == 0
    assert c.call("DEL", "a") == 0
    for cmd in ("DEL", "UNLINK", "EXISTS", "TOUCH"):
        assert c.call(cmd) == arity(cmd.lower())


def test_del_many_keys_across_shards(c):
    keys = ["k%d" % i for i in range(300)]
    c.call("MSET", *[x for k in keys for x in (k, "v")])
    assert c.call("EXISTS", *keys) == 300
    assert c.call("DEL", *keys[:100], "missing") == 100
    assert c.call("UNLINK", *keys) == 200
    assert c.call("DBSIZE") == 0


def test_type(c, proto):
    c.call("SET", "s", "v")
    assert c.call("TYPE", "s") == "string"
    assert c.call("TYPE", "nokey") == "none"
    assert c.call_raw("TYPE", "s") == b"+string\r\n"
    assert c.call("TYPE") == arity("type")


def test_ttl_pttl_persist(c):
    assert c.call("TTL", "nokey") == -2
    assert c.call("PTTL", "nokey") == -2
    assert c.call("EXPIRETIME", "nokey") == -2
    assert c.call("PEXPIRETIME", "nokey") == -2
    c.call("SET", "k", "v")
    assert c.call("TTL", "k") == -1
    assert c.call("PTTL", "k") == -1
    assert c.call("EXPIRETIME", "k") == -1
    assert c.call("PEXPIRETIME", "k") == -1
    assert c.call("PERSIST", "k") == 0
    assert c.call("EXPIRE", "k", "100") == 1
    assert 99 <= c.call("TTL", "k") <= 100
    assert 99000 <= c.call("PTTL", "k") <= 100000
    assert c.call("PERSIST", "k") == 1
    assert c.call("TTL", "k") == -1
    assert c.call("PERSIST", "nokey") == 0


def test_expire_variants(c):
    c.call("SET", "k", "v")
    assert c.call("EXPIRE", "nokey", "100") == 0
    assert c.call("PEXPIRE", "k", "100000") == 1
    assert 99 <= c.call("TTL", "k") <= 100
    now = int(time.time())
    assert c.call("EXPIREAT", "k", now + 500) == 1
    assert c.call("EXPIRETIME", "k") == now + 500
    assert c.call("PEXPIREAT", "k", (now + 600) * 1000 + 123) == 1
    assert c.call("PEXPIRETIME", "k") == (now + 600) * 1000 + 123
    assert c.call("EXPIRETIME", "k") == now + 600
    assert c.call("EXPIRE", "k", "abc") == NOT_INT
    assert c.call("EXPIRE", "k", "10", "FOO") == E("ERR Unsupported option FOO")
    assert c.call("EXPIRE", "k") == arity("expire")
    assert c.call("PEXPIREAT", "k") == arity("pexpireat")


def test_expire_in_past_deletes(c):
    c.call("SET", "k", "v")
    assert c.call("EXPIRE", "k", "-1") == 1
    assert c.call("EXISTS", "k") == 0
    c.call("SET", "k", "v")
    assert c.call("PEXPIRE", "k", "0") == 1
    assert c.call("EXISTS", "k") == 0
    c.call("SET", "k", "v")
    assert c.call("EXPIREAT", "k", "1") == 1
    assert c.call("GET", "k") is None
    c.call("SET", "k", "v")
    assert c.call("PEXPIREAT", "k", int(time.time() * 1000) - 10) == 1
    assert c.call("EXISTS", "k") == 0


def test_expire_overflow(c):
    c.call("SET", "k", "v")
    assert c.call("EXPIRE", "k", "9223372036854775807") == E(
        "ERR invalid expire time in 'expire' command")
    assert c.call("PEXPIRE", "k", "9223372036854775807") == E(
        "ERR invalid expire time in 'pexpire' command")
    assert c.call("EXPIREAT", "k", "9223372036854775807") == E(
        "ERR invalid expire time in 'expireat' command")
    assert c.call("EXPIRE", "k", "9223372036854775808") == NOT_INT
    assert c.call("TTL", "k") == -1


def test_expire_flags(c):
    c.call("SET", "k", "v")
    # No TTL: XX and GT fail, NX and LT set.
    assert c.call("EXPIRE", "k", "100", "XX") == 0
    assert c.call("EXPIRE", "k", "100", "GT") == 0
    assert c.call("TTL", "k") == -1
    assert c.call("EXPIRE", "k", "100", "NX") == 1
    assert c.call("EXPIRE", "k", "200", "NX") == 0
    assert c.call("EXPIRE", "k", "200", "XX") == 1
    assert 199 <= c.call("TTL", "k") <= 200
    assert c.call("EXPIRE", "k", "100", "GT") == 0
    assert c.call("EXPIRE", "k", "300", "GT") == 1
    assert c.call("EXPIRE", "k", "400", "LT") == 0
    assert c.call("EXPIRE", "k", "50", "LT") == 1
    assert 49 <= c.call("TTL", "k") <= 50
    c.call("PERSIST", "k")
    assert c.call("EXPIRE", "k", "50", "LT") == 1
    assert c.call("PEXPIRE", "k", "100", "xx", "gt") == 0
    assert c.call("EXPIRE", "k", "10", "NX", "XX") == E(
        "ERR NX and XX, GT or LT options at the same time are not compatible")
    assert c.call("EXPIRE", "k", "10", "GT", "LT") == E(
        "ERR GT and LT options at the same time are not compatible")
    assert c.call("EXPIRE", "k", "10", "NX", "GT") == E(
        "ERR NX and XX, GT or LT options at the same time are not compatible")


def test_lazy_expiry(c):
    c.call("SET", "k", "v", "PX", "100")
    c.call("SET", "k2", "v", "PX", "100")
    assert c.call("GET", "k") == b"v"
    time.sleep(0.25)
    assert c.call("GET", "k") is None
    assert c.call("EXISTS", "k2") == 0
    assert c.call("TTL", "k") == -2
    assert c.call("SET", "k", "new", "XX") is None


def test_expired_key_not_visible_to_any_command(c):
    c.call("SET", "a", "1", "PX", "50")
    c.call("SET", "b", "5", "PX", "50")
    time.sleep(0.2)
    assert c.call("MGET", "a", "b") == [None, None]
    assert c.call("INCR", "b") == 1
    assert c.call("TTL", "b") == -1
    assert c.call("APPEND", "a", "x") == 1
    assert c.call("KEYS", "*") in ([b"a", b"b"], [b"b", b"a"])


def test_rename(c):
    c.call("SET", "a", "1", "EX", "100")
    assert c.call("RENAME", "a", "b") == "OK"
    assert c.call("EXISTS", "a") == 0
    assert c.call("GET", "b") == b"1"
    assert 99 <= c.call("TTL", "b") <= 100
    c.call("SET", "c", "3")
    assert c.call("RENAME", "b", "c") == "OK"
    assert c.call("GET", "c") == b"1"
    assert c.call("TTL", "c") > 0
    assert c.call("RENAME", "nokey", "x") == E("ERR no such key")
    assert c.call("RENAME", "c", "c") == "OK"
    assert c.call("GET", "c") == b"1"
    assert c.call("RENAME", "nokey", "nokey") == E("ERR no such key")
    assert c.call("RENAME", "c") == arity("rename")


def test_renamenx(c):
    c.call("MSET", "a", "1", "b", "2")
    assert c.call("RENAMENX", "a", "b") == 0
    assert c.call("MGET", "a", "b") == [b"1", b"2"]
    assert c.call("RENAMENX", "a", "c") == 1
    assert c.call("MGET", "a", "c") == [None, b"1"]
    assert c.call("RENAMENX", "nokey", "d") == E("ERR no such key")
    assert c.call("RENAMENX", "c", "c") == 0


def test_rename_many_pairs_across_shards(c):
    # Different names hash to different shards; every rename must move the value intact.
    for i in range(200):
        c.call("SET", "src%d" % i, "val%d" % i, "EX", "1000")
    for i in range(200):
        assert c.call("RENAME", "src%d" % i, "dst-%d" % (i * 7919)) == "OK"
    assert c.call("DBSIZE") == 200
    for i in range(200):
        assert c.call("GET", "dst-%d" % (i * 7919)) == b"val%d" % i
        assert c.call("EXISTS", "src%d" % i) == 0
    assert c.call("TTL", "dst-0") > 990


def test_copy(c):
    c.call("SET", "a", "hello", "EX", "100")
    assert c.call("COPY", "a", "b") == 1
    assert c.call("GET", "b") == b"hello"
    assert 99 <= c.call("TTL", "b") <= 100
    assert c.call("COPY", "a", "b") == 0
    c.call("SET", "a", "world")
    assert c.call("COPY", "a", "b", "REPLACE") == 1
    assert c.call("GET", "b") == b"world"
    assert c.call("TTL", "b") == -1
    assert c.call("COPY", "nokey", "b") == 0
    assert c.call("COPY", "a", "a") == E("ERR source and destination objects are the same")
    assert c.call("COPY", "a", "x", "DB", "1") == 1
    assert c.call("EXISTS", "x") == 0
    c.call("SELECT", "1")
    assert c.call("GET", "x") == b"world"
    c.call("SELECT", "0")
    assert c.call("COPY", "a", "a", "DB", "1") == 1
    assert c.call("COPY", "a", "a", "DB", "1") == 0
    assert c.call("COPY", "a", "a", "DB", "1", "REPLACE") == 1
    assert c.call("COPY", "a", "y", "DB", "99") == E("ERR DB index is out of range")
    assert c.call("COPY", "a", "y", "DB", "x") == NOT_INT
    assert c.call("COPY", "a", "y", "FOO") == SYNTAX
    assert c.call("COPY", "a") == arity("copy")
    # The copy is independent of the source.
    c.call("SET", "n", "10")
    c.call("COPY", "n", "m")
    c.call("INCR", "n")
    assert c.call("MGET", "n", "m") == [b"11", b"10"]


def test_keys(c):
    c.call("MSET", "hello", "1", "hallo", "2", "hxllo", "3", "hllo", "4", "heeeello", "5",
           "a*b", "6", "other", "7")
    assert sorted(c.call("KEYS", "*")) == sorted(
        [b"hello", b"hallo", b"hxllo", b"hllo", b"heeeello", b"a*b", b"other"])
    assert sorted(c.call("KEYS", "h?llo")) == [b"hallo", b"hello", b"hxllo"]
    assert sorted(c.call("KEYS", "h*llo")) == [b"hallo", b"heeeello", b"hello", b"hllo", b"hxllo"]
    assert sorted(c.call("KEYS", "h[ae]llo")) == [b"hallo", b"hello"]
    assert sorted(c.call("KEYS", "h[^e]llo")) == [b"hallo", b"hxllo"]
    assert sorted(c.call("KEYS", "h[a-b]llo")) == [b"hallo"]
    assert c.call("KEYS", "a\\*b") == [b"a*b"]
    assert c.call("KEYS", "nomatch*") == []
    assert c.call("KEYS") == arity("keys")


def test_keys_pathological_pattern_is_bounded(c):
    c.call("SET", "a" * 100, "v")
    pattern = "*a" * 5000 + "b"
    t0 = time.monotonic()
    assert c.call("KEYS", pattern) == []
    assert time.monotonic() - t0 < 5


def scan_all(c, *opts, count=None):
    seen, cursor, calls = [], b"0", 0
    while True:
        args = ["SCAN", cursor, *opts]
        if count:
            args += ["COUNT", count]
        reply = c.call(*args)
        assert isinstance(reply, list) and len(reply) == 2, reply
        cursor, keys = reply
        seen += keys
        calls += 1
        assert calls < 100000
        if cursor == b"0":
            return seen


def test_scan_basic(c):
    keys = {b"key:%d" % i for i in range(1000)}
    c.call("MSET", *[x for k in keys for x in (k, b"v")])
    assert set(scan_all(c)) == keys
    assert set(scan_all(c, count=7)) == keys
    assert set(scan_all(c, "MATCH", "key:1*", count=100)) == {k for k in keys if k.startswith(b"key:1")}
    assert set(scan_all(c, "TYPE", "string")) == keys
    assert scan_all(c, "TYPE", "list") == []
    assert set(scan_all(c, "MATCH", "*9", "TYPE", "string")) == {k for k in keys if k.endswith(b"9")}


def test_scan_errors(c):
    assert c.call("SCAN", "abc") == E("ERR invalid cursor")
    assert c.call("SCAN", "0", "COUNT", "0") == SYNTAX
    assert c.call("SCAN", "0", "COUNT", "x") == NOT_INT
    assert c.call("SCAN", "0", "MATCH") == SYNTAX
    assert c.call("SCAN", "0", "FOO", "bar") == SYNTAX
    assert c.call("SCAN") == arity("scan")
    assert c.call("SCAN", "0") == [b"0", []]


def test_scan_empty_reply_bytes(c):
    assert c.call_raw("SCAN", "0") == b"*2\r\n$1\r\n0\r\n*0\r\n"


def test_scan_guarantee_while_table_grows(c, server):
    # Keys present for the whole scan must be returned even though the table grows (rehashes)
    # between SCAN calls.
    stable = {b"stable:%d" % i for i in range(2000)}
    c.call("MSET", *[x for k in stable for x in (k, b"v")])
    writer = server.conn()
    seen, cursor, added, calls = set(), b"0", 0, 0
    while True:
        cursor, keys = c.call("SCAN", cursor, "COUNT", "50")
        seen.update(keys)
        calls += 1
        # Grow the table a lot (2k -> 62k keys) during the first part of the scan.
        if added < 60000:
            batch = [x for i in range(added, added + 1000) for x in (b"grow:%d" % i, b"v")]
            writer.call("MSET", *batch)
            added += 1000
        if cursor == b"0" or calls > 20000:
            break
    writer.close()
    assert cursor == b"0"
    missing = stable - seen
    assert not missing, "%d stable keys not returned by SCAN, e.g. %r" % (len(missing), sorted(missing)[:5])


def test_scan_guarantee_while_keys_deleted(c, server):
    stable = {b"s:%d" % i for i in range(1000)}
    churn = [b"c:%d" % i for i in range(5000)]
    c.call("MSET", *[x for k in list(stable) + churn for x in (k, b"v")])
    other = server.conn()
    seen, cursor, calls = set(), b"0", 0
    while True:
        cursor, keys = c.call("SCAN", cursor, "COUNT", "20")
        seen.update(keys)
        calls += 1
        other.call("DEL", *churn[calls * 50:(calls + 1) * 50] or [b"none"])
        if cursor == b"0" or calls > 10000:
            break
    other.close()
    assert not stable - seen


def test_randomkey(c):
    assert c.call("RANDOMKEY") is None
    c.call("MSET", "a", "1", "b", "2", "c", "3")
    for _ in range(20):
        assert c.call("RANDOMKEY") in (b"a", b"b", b"c")
    c.call("SET", "only", "x")
    c.call("DEL", "a", "b", "c")
    assert c.call("RANDOMKEY") == b"only"


def test_dbsize_select(c):
    assert c.call("DBSIZE") == 0
    c.call("MSET", "a", "1", "b", "2")
    assert c.call("DBSIZE") == 2
    assert c.call("SELECT", "3") == "OK"
    assert c.call("DBSIZE") == 0
    assert c.call("GET", "a") is None
    c.call("SET", "a", "db3")
    assert c.call("SELECT", "0") == "OK"
    assert c.call("GET", "a") == b"1"
    assert c.call("SELECT", "16") == E("ERR DB index is out of range")
    assert c.call("SELECT", "-1") == E("ERR DB index is out of range")
    assert c.call("SELECT", "x") == NOT_INT
    assert c.call("SELECT") == arity("select")
    assert c.call("DBSIZE", "x") == arity("dbsize")


def test_select_is_per_connection(c, server):
    c.call("SELECT", "5")
    c.call("SET", "k", "five")
    with server.conn() as other:
        assert other.call("GET", "k") is None
        other.call("SELECT", "5")
        assert other.call("GET", "k") == b"five"


def test_swapdb(c, server):
    c.call("SET", "k", "zero")
    c.call("SELECT", "1")
    c.call("SET", "k", "one")
    c.call("SET", "k1", "only1")
    assert c.call("SWAPDB", "0", "1") == "OK"
    assert c.call("GET", "k") == b"zero"
    assert c.call("DBSIZE") == 1
    with server.conn() as other:  # other connection is on DB 0
        assert other.call("GET", "k") == b"one"
        assert other.call("GET", "k1") == b"only1"
    assert c.call("SWAPDB", "0", "0") == "OK"
    assert c.call("SWAPDB", "0", "16") == E("ERR DB index is out of range")
    assert c.call("SWAPDB", "x", "1") == E("ERR invalid first DB index")
    assert c.call("SWAPDB", "0", "y") == E("ERR invalid second DB index")
    assert c.call("SWAPDB", "0") == arity("swapdb")


def test_move(c):
    c.call("SET", "k", "v", "EX", "100")
    assert c.call("MOVE", "k", "2") == 1
    assert c.call("EXISTS", "k") == 0
    assert c.call("MOVE", "k", "2") == 0
    c.call("SELECT", "2")
    assert c.call("GET", "k") == b"v"
    assert c.call("TTL", "k") > 0
    c.call("SELECT", "0")
    c.call("SET", "k", "other")
    assert c.call("MOVE", "k", "2") == 0
    assert c.call("GET", "k") == b"other"
    assert c.call("MOVE", "k", "0") == E("ERR source and destination objects are the same")
    assert c.call("MOVE", "k", "16") == E("ERR DB index is out of range")
    assert c.call("MOVE", "k", "x") == NOT_INT
    assert c.call("MOVE", "k") == arity("move")


def test_flushdb_flushall(c):
    c.call("MSET", "a", "1", "b", "2")
    c.call("SELECT", "1")
    c.call("SET", "c", "3")
    assert c.call("FLUSHDB") == "OK"
    assert c.call("DBSIZE") == 0
    c.call("SELECT", "0")
    assert c.call("DBSIZE") == 2
    c.call("SELECT", "1")
    c.call("SET", "c", "3")
    assert c.call("FLUSHALL") == "OK"
    assert c.call("DBSIZE") == 0
    c.call("SELECT", "0")
    assert c.call("DBSIZE") == 0
    c.call("SET", "a", "1")
    assert c.call("FLUSHALL", "ASYNC") == "OK"
    assert c.call("DBSIZE") == 0
    c.call("SET", "a", "1")
    assert c.call("FLUSHALL", "SYNC") == "OK"
    assert c.call("FLUSHDB", "ASYNC") == "OK"
    assert c.call("FLUSHDB", "SYNC") == "OK"
    assert c.call("FLUSHALL", "FOO") == SYNTAX
    assert c.call("FLUSHDB", "FOO") == SYNTAX
    assert c.call("FLUSHALL", "SYNC", "ASYNC") == SYNTAX


def test_object_misc(c):
    c.call("SET", "k", "hello")
    assert c.call("OBJECT", "REFCOUNT", "k") == 1
    assert c.call("OBJECT", "REFCOUNT", "nokey") is None
    idle = c.call("OBJECT", "IDLETIME", "k")
    assert isinstance(idle, int) and 0 <= idle <= 2
    assert c.call("OBJECT", "IDLETIME", "nokey") is None
    assert c.call("OBJECT", "FREQ", "k") == E(
        "ERR An LFU maxmemory policy is not selected, access frequency not tracked. "
        "Please note that when switching between policies at runtime LRU and LFU data "
        "will take some time to adjust.")
    assert c.call("OBJECT", "FOO", "k") == E(
        "ERR unknown subcommand 'FOO'. Try OBJECT HELP.")
    assert c.call("OBJECT", "ENCODING") == E(
        "ERR wrong number of arguments for 'object|encoding' command")
    assert c.call("OBJECT") == arity("object")


def test_object_freq_with_lfu(start_server):
    s = start_server(["--maxmemory-policy", "allkeys-lfu"])
    with s.conn() as c:
        c.call("SET", "k", "v")
        for _ in range(50):
            c.call("GET", "k")
        freq = c.call("OBJECT", "FREQ", "k")
        assert isinstance(freq, int) and freq > 1
        assert c.call("OBJECT", "FREQ", "nokey") is None
        assert c.call("OBJECT", "IDLETIME", "k") == E(
            "ERR An LFU maxmemory policy is selected, idle time not tracked. "
            "Please note that when switching between policies at runtime LRU and LFU data "
            "will take some time to adjust.")


def test_memory_usage(c):
    c.call("SET", "small", "v")
    c.call("SET", "big", "x" * 10000)
    small = c.call("MEMORY", "USAGE", "small")
    big = c.call("MEMORY", "USAGE", "big")
    assert isinstance(small, int) and 0 < small < 200
    assert 10000 < big < 20000
    assert c.call("MEMORY", "USAGE", "big", "SAMPLES", "5") == big
    assert c.call("MEMORY", "USAGE", "nokey") is None
    assert c.call("MEMORY", "USAGE") == E(
        "ERR wrong number of arguments for 'memory|usage' command")


@pytest.mark.parametrize("cmd,args", [
    ("DEL", []), ("UNLINK", []), ("EXISTS", []), ("TOUCH", []), ("TYPE", []),
    ("EXPIRE", ["k"]), ("PEXPIRE", ["k"]), ("EXPIREAT", ["k"]), ("PEXPIREAT", ["k"]),
    ("TTL", []), ("PTTL", []), ("EXPIRETIME", []), ("PEXPIRETIME", []), ("PERSIST", []),
    ("RENAME", ["k"]), ("RENAMENX", ["k"]), ("COPY", ["k"]), ("KEYS", []), ("SCAN", []),
    ("RANDOMKEY", ["x"]), ("DBSIZE", ["x"]), ("SELECT", []), ("SWAPDB", ["0"]), ("MOVE", ["k"]),
])
def test_keyspace_arity(c, cmd, args):
    assert c.call(cmd, *args) == arity(cmd.lower())
