"""Client and server controls: CLIENT REPLY, RESET, CLIENT PAUSE/UNPAUSE, CLIENT NO-EVICT,
CONFIG SET/GET with several parameters, SLOWLOG argument trimming, COMMAND GETKEYS /
GETKEYSANDFLAGS / LIST FILTERBY, and LATENCY. Replies are redis-server 7.0's, in RESP2 and RESP3.

No test relies on how fast the server is: a paused command is only checked not to have answered
yet, and to answer once the pause is over."""

import select
import socket
import time

import pytest

from kv_harness import info, target_is_redis
from kv_resp import RespError, encode

KEYS = ["k%d" % i for i in range(16)]  # spread over every shard


def no_reply_within(conn, seconds):
    """True if nothing arrives on the connection for `seconds`."""
    if conn.pos < len(conn.buf):
        return False
    r, _, _ = select.select([conn.sock], [], [], seconds)
    return not r


def err(text):
    return RespError(text)


# ------------------------------------------------------------------------------------ CLIENT REPLY


def test_client_reply_off_drops_every_reply_until_on(c):
    cmds = [("CLIENT", "REPLY", "OFF")]
    cmds += [("SET", k, "v") for k in KEYS]
    cmds += [("GET", k) for k in KEYS]
    cmds += [("NOSUCHCOMMAND",), ("MSET",) + tuple(x for k in KEYS for x in (k, "w"))]
    cmds += [("CLIENT", "REPLY", "ON"), ("GET", KEYS[3])]
    c.send_raw(b"".join(encode(*x) for x in cmds))
    assert c.read() == "OK"  # CLIENT REPLY ON
    assert c.read() == b"w"
    assert c.call("PING") == "PONG"
    # Commands sent one by one while OFF: nothing comes back either.
    c.send_raw(encode("CLIENT", "REPLY", "OFF"))
    for k in KEYS[:4]:
        c.send_raw(encode("INCR", k))  # errors too
        c.send_raw(encode("GET", k))
    assert no_reply_within(c, 0.2)
    assert c.call("CLIENT", "REPLY", "ON") == "OK"
    assert c.call("ECHO", "x") == b"x"


def test_client_reply_skip_drops_only_the_next_reply(c):
    cmds = []
    for k in KEYS:
        cmds += [("CLIENT", "REPLY", "SKIP"), ("SET", k, "v" + k), ("GET", k)]
    cmds += [("CLIENT", "REPLY", "SKIP"), ("MGET",) + tuple(KEYS), ("DBSIZE",)]
    c.send_raw(b"".join(encode(*x) for x in cmds))
    for k in KEYS:
        assert c.read() == ("v" + k).encode()
    assert c.read() == len(KEYS)
    # SKIP twice in a row still skips one command; an error reply is skipped too.
    c.send_raw(encode("CLIENT", "REPLY", "SKIP") + encode("CLIENT", "REPLY", "SKIP") +
               encode("PING", "a") + encode("PING", "b"))
    assert c.read() == b"b"
    c.send_raw(encode("CLIENT", "REPLY", "SKIP") + encode("NOSUCH") + encode("PING", "c"))
    assert c.read() == b"c"
    # SKIP while OFF is ignored.
    c.send_raw(encode("CLIENT", "REPLY", "OFF") + encode("CLIENT", "REPLY", "SKIP") +
               encode("CLIENT", "REPLY", "ON") + encode("PING", "d"))
    assert c.read() == "OK"
    assert c.read() == b"d"


def test_client_reply_skip_in_transaction_and_errors(c):
    c.send_raw(encode("CLIENT", "REPLY", "SKIP") + encode("MULTI") + encode("SET", "a", "1") +
               encode("EXEC") + encode("CLIENT", "REPLY", "SKIP") + encode("BLPOP", "nol", "0.01") +
               encode("GET", "a"))
    assert c.read() == "QUEUED"
    assert c.read() == ["OK"]
    assert c.read() == b"1"
    assert c.call("CLIENT", "REPLY", "MAYBE") == err("ERR syntax error")
    assert c.call("CLIENT", "REPLY") == err(
        "ERR wrong number of arguments for 'client|reply' command")


def test_client_reply_off_lets_subscription_data_through(server):
    c = server.conn()
    sub = server.conn()
    try:
        c.send_raw(encode("CLIENT", "REPLY", "OFF") + encode("SUBSCRIBE", "ch") + encode("PING") +
                   encode("UNSUBSCRIBE", "ch") + encode("SET", "a", "1") +
                   encode("CLIENT", "REPLY", "ON"))
        assert c.read() == [b"subscribe", b"ch", 1]
        assert c.read() == [b"unsubscribe", b"ch", 0]
        assert c.read() == "OK"
        c.send_raw(encode("CLIENT", "REPLY", "SKIP") + encode("SUBSCRIBE", "ch") + encode("PING"))
        assert c.read() == [b"subscribe", b"ch", 1]
        assert c.read() == [b"pong", b""]  # the SKIP went to SUBSCRIBE
        # Messages reach a subscriber whose replies are off.
        sub.send_raw(encode("CLIENT", "REPLY", "OFF") + encode("SUBSCRIBE", "ch2"))
        assert sub.read() == [b"subscribe", b"ch2", 1]
        other = server.conn()
        assert other.call("PUBLISH", "ch2", "hello") == 1
        other.close()
        assert sub.read() == [b"message", b"ch2", b"hello"]
    finally:
        c.close()
        sub.close()


# ------------------------------------------------------------------------------------------ RESET


def test_reset_clears_connection_state(c, server):
    other = server.conn()
    try:
        c.call("SET", "w", "1")
        assert c.call("WATCH", "w") == "OK"
        assert c.call("SELECT", "3") == "OK"
        assert c.call("CLIENT", "SETNAME", "someone") == "OK"
        assert c.call("CLIENT", "NO-EVICT", "ON") == "OK"
        assert c.call("MULTI") == "OK"
        assert c.call("SET", "x", "1") == "QUEUED"
        assert c.call("RESET") == "RESET"
        c.protocol = 2
        assert c.call("CLIENT", "GETNAME") is None
        # The transaction is gone, the watch too, and db 0 is selected.
        assert other.call("SET", "w", "2") == "OK"
        assert c.call("MULTI") == "OK"
        assert c.call("GET", "w") == "QUEUED"
        assert c.call("EXEC") == [b"2"]
        assert c.call("EXISTS", "x") == 0
        line = c.call("CLIENT", "INFO").decode()
        fields = dict(f.split("=", 1) for f in line.split())
        assert fields["db"] == "0" and fields["resp"] == "2" and fields["name"] == ""
        assert "e" in fields["flags"]  # CLIENT NO-EVICT survives RESET, as in Redis
        assert c.call("HELLO", "3")[b"proto"] == 3
        c.protocol = 3
        assert c.call("RESET") == "RESET"
        c.protocol = 2
        assert " resp=2" in c.call("CLIENT", "INFO").decode()
    finally:
        other.close()


def test_reset_turns_replies_back_on_and_leaves_monitor(server):
    c = server.conn()
    mon = server.conn()
    try:
        c.send_raw(encode("CLIENT", "REPLY", "OFF") + encode("SET", "a", "1") + encode("RESET"))
        assert c.read() == "RESET"
        assert c.call("GET", "a") == b"1"
        assert mon.call("MONITOR") == "OK"
        assert mon.call("RESET") == "RESET"
        c.call("SET", "b", "2")
        assert mon.call("PING") == "PONG"  # no monitor line before it
    finally:
        c.close()
        mon.close()


def test_reset_drops_authentication(start_server):
    s = start_server(args=["--requirepass", "sekret"])
    c = s.conn()
    try:
        assert c.call("GET", "a") == err("NOAUTH Authentication required.")
        assert c.call("AUTH", "sekret") == "OK"
        assert c.call("SET", "a", "1") == "OK"
        assert c.call("RESET") == "RESET"
        assert c.call("GET", "a") == err("NOAUTH Authentication required.")
    finally:
        c.close()


# ------------------------------------------------------------------------------- CLIENT NO-EVICT


def test_client_no_evict_replies(c):
    assert c.call("CLIENT", "NO-EVICT", "ON") == "OK"
    assert c.call("CLIENT", "NO-EVICT", "off") == "OK"
    assert c.call("CLIENT", "NO-EVICT", "maybe") == err("ERR syntax error")
    assert c.call("CLIENT", "NO-EVICT") == err(
        "ERR wrong number of arguments for 'client|no-evict' command")


# ---------------------------------------------------------------------------------- CLIENT PAUSE


def test_client_pause_argument_errors(c):
    assert c.call("CLIENT", "PAUSE", "abc") == err(
        "ERR timeout is not an integer or out of range")
    assert c.call("CLIENT", "PAUSE", "-1") == err("ERR timeout is negative")
    assert c.call("CLIENT", "PAUSE", "10", "foo") == err(
        "ERR CLIENT PAUSE mode must be WRITE or ALL")
    assert c.call("CLIENT", "PAUSE", "abc", "foo") == err(
        "ERR CLIENT PAUSE mode must be WRITE or ALL")
    assert c.call("CLIENT", "PAUSE", "10", "write", "x") == err(
        "ERR unknown subcommand or wrong number of arguments for 'PAUSE'. Try CLIENT HELP.")
    assert c.call("CLIENT", "PAUSE") == err(
        "ERR wrong number of arguments for 'client|pause' command")
    assert c.call("CLIENT", "UNPAUSE", "x") == err(
        "ERR wrong number of arguments for 'client|unpause' command")
    assert c.call("CLIENT", "PAUSE", "99999999999999999999") == err(
        "ERR timeout is not an integer or out of range")
    # A zero timeout pauses nothing.
    assert c.call("CLIENT", "PAUSE", "0") == "OK"
    assert c.call("SET", "a", "1") == "OK"
    assert c.call("CLIENT", "UNPAUSE") == "OK"


def test_client_pause_write_holds_writes_until_unpause(server, proto):
    admin = server.conn()
    writer = server.conn(protocol=proto)
    reader = server.conn(protocol=proto)
    try:
        for k in KEYS:
            admin.call("SET", k, "old")
        assert admin.call("CLIENT", "PAUSE", "100000", "WRITE") == "OK"
        writer.send_raw(b"".join(encode("SET", k, "new") for k in KEYS))
        # Reads go on, and see the old values.
        assert [reader.call("GET", k) for k in KEYS] == [b"old"] * len(KEYS)
        assert reader.call("PING") == "PONG"
        assert no_reply_within(writer, 0.3)
        # Scripts and queued writes wait too; a transaction of reads does not.
        reader.send_raw(encode("EVAL", "return 1", "0"))
        assert no_reply_within(reader, 0.2)
        assert admin.call("MULTI") == "OK"
        assert admin.call("GET", KEYS[0]) == "QUEUED"
        assert admin.call("EXEC") == [b"old"]
        assert admin.call("CLIENT", "UNPAUSE") == "OK"
        for _ in KEYS:
            assert writer.read() == "OK"
        assert reader.read() == 1
        assert [reader.call("GET", k) for k in KEYS] == [b"new"] * len(KEYS)
    finally:
        admin.close()
        writer.close()
        reader.close()


def test_client_pause_write_holds_publish(server):
    admin = server.conn()
    c = server.conn()
    try:
        assert admin.call("CLIENT", "PAUSE", "100000", "WRITE") == "OK"
        c.send_raw(encode("PUBLISH", "ch", "x"))
        assert no_reply_within(c, 0.3)
        assert admin.call("CLIENT", "UNPAUSE") == "OK"
        assert c.read() == 0
    finally:
        admin.call("CLIENT", "UNPAUSE")
        admin.close()
        c.close()


def test_client_pause_write_holds_exec_of_a_queued_write(server):
    admin = server.conn()
    c = server.conn()
    try:
        assert c.call("MULTI") == "OK"
        assert c.call("SET", "a", "1") == "QUEUED"
        assert admin.call("CLIENT", "PAUSE", "100000", "WRITE") == "OK"
        c.send_raw(encode("EXEC"))
        assert no_reply_within(c, 0.3)
        assert admin.call("CLIENT", "UNPAUSE") == "OK"
        assert c.read() == ["OK"]
        assert admin.call("GET", "a") == b"1"
    finally:
        admin.call("CLIENT", "UNPAUSE")
        admin.close()
        c.close()


def test_client_pause_all_holds_every_command_until_it_ends(server):
    admin = server.conn()
    c = server.conn()
    try:
        t0 = time.monotonic()
        assert admin.call("CLIENT", "PAUSE", "1500", "ALL") == "OK"
        c.send_raw(encode("PING") + encode("GET", "x"))
        # Even CLIENT UNPAUSE waits under an ALL pause, as in Redis.
        admin.send_raw(encode("CLIENT", "UNPAUSE"))
        assert no_reply_within(c, 0.3)
        assert c.read() == "PONG"
        assert time.monotonic() - t0 >= 1.4
        assert c.read() is None
        assert admin.read() == "OK"
    finally:
        admin.close()
        c.close()


def test_client_pause_write_keeps_expiring_keys(server):
    admin = server.conn()
    try:
        for k in KEYS:
            admin.call("SET", k, "v", "PX", "50")
        assert admin.call("CLIENT", "PAUSE", "100000", "WRITE") == "OK"
        time.sleep(0.6)  # several expiry cycles
        assert admin.call("DBSIZE") == len(KEYS)
        assert admin.call("CLIENT", "UNPAUSE") == "OK"
        deadline = time.monotonic() + 10
        while admin.call("DBSIZE") != 0:
            assert time.monotonic() < deadline
            time.sleep(0.05)
    finally:
        admin.call("CLIENT", "UNPAUSE")
        admin.close()


def test_client_pause_takes_the_stricter_type(start_server):
    s = start_server()  # its pause outlives the test
    admin = s.conn()
    c = s.conn()
    assert admin.call("CLIENT", "PAUSE", "100000", "WRITE") == "OK"
    assert admin.call("CLIENT", "PAUSE", "1", "ALL") == "OK"  # ALL, until the later end
    c.send_raw(encode("PING"))
    assert no_reply_within(c, 0.3)
    admin.send_raw(encode("CLIENT", "UNPAUSE"))
    assert no_reply_within(admin, 0.2)
    c.close()
    admin.close()


# ---------------------------------------------------------------------------------------- CONFIG


def test_config_set_several_parameters_is_all_or_nothing(c):
    old = c.call("CONFIG", "GET", "maxmemory-samples")
    try:
        assert c.call("CONFIG", "SET", "maxmemory-samples", "7", "slowlog-max-len", "77") == "OK"
        assert _config(c, "maxmemory-samples") == b"7"
        assert _config(c, "slowlog-max-len") == b"77"
        # The second fails: the first is put back.
        assert c.call("CONFIG", "SET", "maxmemory-samples", "9", "hz", "abc") == err(
            "ERR CONFIG SET failed (possibly related to argument 'hz') - argument couldn't be "
            "parsed into an integer")
        assert _config(c, "maxmemory-samples") == b"7"
        r = c.call("CONFIG", "SET", "maxmemory-samples", "9", "maxmemory-policy", "foo")
        assert r.startswith(  # Strata has more policies
            "ERR CONFIG SET failed (possibly related to argument 'maxmemory-policy') - argument(s) "
            "must be one of the following: "), r
        assert "volatile-ttl" in r.message and "allkeys-lru" in r.message
        assert _config(c, "maxmemory-samples") == b"7"
        # Names are checked before anything is applied, in order.
        assert c.call("CONFIG", "SET", "hz", "abc", "nosuch", "1") == err(
            "ERR Unknown option or number of arguments for CONFIG SET - 'nosuch'")
        assert c.call("CONFIG", "SET", "hz", "abc", "daemonize", "yes") == err(
            "ERR CONFIG SET failed (possibly related to argument 'daemonize') - can't set "
            "immutable config")
        assert c.call("CONFIG", "SET", "maxmemory-samples", "8", "MAXMEMORY-SAMPLES", "9") == err(
            "ERR CONFIG SET failed (possibly related to argument 'MAXMEMORY-SAMPLES') - duplicate "
            "parameter")
        assert c.call("CONFIG", "SET", "maxmemory-samples", "8", "hz") == err("ERR syntax error")
        assert c.call("CONFIG", "SET", "maxmemory-samples") == err(
            "ERR wrong number of arguments for 'config|set' command")
        assert _config(c, "maxmemory-samples") == b"7"
    finally:
        c.call("CONFIG", "SET", "maxmemory-samples", _flat(old)[1], "slowlog-max-len", "128")


def _flat(reply):
    if isinstance(reply, dict):
        out = []
        for k, v in reply.items():
            out += [k, v]
        return out
    return reply


def _config(c, name):
    r = _flat(c.call("CONFIG", "GET", name))
    assert len(r) == 2, r
    return r[1]


def test_config_get_several_patterns(c):
    r = _flat(c.call("CONFIG", "GET", "maxmemory", "maxmemory", "hz", "maxmemory-p*", "nosuch"))
    names = r[0::2]
    assert len(names) == len(set(names))  # each parameter once
    assert set(names) == {b"maxmemory", b"hz", b"maxmemory-policy"}
    r = _flat(c.call("CONFIG", "GET", "MAXMEMORY", "hz"))
    assert dict(zip(r[0::2], r[1::2])) == {b"MAXMEMORY": b"0", b"hz": b"10"}  # echoed as typed
    assert _flat(c.call("CONFIG", "GET", "nosuch", "nosuch2")) == []


# --------------------------------------------------------------------------------------- SLOWLOG


def test_slowlog_trims_arguments_as_redis(c):
    c.call("CONFIG", "SET", "slowlog-log-slower-than", "0")
    try:
        c.call("SLOWLOG", "RESET")
        c.call("RPUSH", "l", *["x%d" % i for i in range(40)])
        c.call("RPUSH", "m", *["y%d" % i for i in range(30)])  # 32 arguments: all kept
        c.call("SET", "s", "a" * 200)
        entries = c.call("SLOWLOG", "GET", "-1")
    finally:
        c.call("CONFIG", "SET", "slowlog-log-slower-than", "10000")
    by_key = {e[3][1]: e[3] for e in entries if e[3][0] in (b"RPUSH", b"SET")}
    rpush = by_key[b"l"]
    assert len(rpush) == 32
    assert rpush[:3] == [b"RPUSH", b"l", b"x0"] and rpush[30] == b"x28"
    assert rpush[31] == b"... (11 more arguments)"
    assert by_key[b"m"] == [b"RPUSH", b"m"] + [b"y%d" % i for i in range(30)]
    assert by_key[b"s"] == [b"SET", b"s", b"a" * 128 + b"... (72 more bytes)"]


# --------------------------------------------------------------------------------------- COMMAND


def _key_flags(reply):
    return [(k, sorted(x if isinstance(x, str) else x.decode() for x in f)) for k, f in reply]


def test_command_getkeys(c):
    assert c.call("COMMAND", "GETKEYS", "SET", "a", "b") == [b"a"]
    assert c.call("COMMAND", "GETKEYS", "MSET", "a", "1", "b", "2") == [b"a", b"b"]
    assert c.call("COMMAND", "GETKEYS", "ZUNIONSTORE", "d", "2", "a", "b") == [b"d", b"a", b"b"]
    assert c.call("COMMAND", "GETKEYS", "EVAL", "return 1", "2", "a", "b") == [b"a", b"b"]
    assert c.call("COMMAND", "GETKEYS", "EVAL", "return 1", "0") == []  # keys are optional
    assert c.call("COMMAND", "GETKEYS", "XREAD", "COUNT", "2", "STREAMS", "s1", "s2", "0",
                  "0") == [b"s1", b"s2"]
    assert c.call("COMMAND", "GETKEYS", "OBJECT", "ENCODING", "k") == [b"k"]
    assert c.call("COMMAND", "GETKEYS", "NOSUCH", "a") == err("ERR Invalid command specified")
    assert c.call("COMMAND", "GETKEYS", "PING", "x") == err(
        "ERR The command has no key arguments")
    assert c.call("COMMAND", "GETKEYS", "OBJECT", "HELP") == err(
        "ERR The command has no key arguments")
    assert c.call("COMMAND", "GETKEYS", "GET", "a", "b") == err(
        "ERR Invalid number of arguments specified for command")
    assert c.call("COMMAND", "GETKEYS", "ZUNIONSTORE", "d", "5", "a") == err(
        "ERR Invalid arguments specified for command")
    assert c.call("COMMAND", "GETKEYS", "GET") == err(
        "ERR wrong number of arguments for 'command|getkeys' command")


def test_command_getkeysandflags(c):
    def gkf(*args):
        return _key_flags(c.call("COMMAND", "GETKEYSANDFLAGS", *args))

    assert gkf("SET", "a", "b") == [(b"a", ["OW", "update"])]
    assert gkf("SET", "a", "b", "GET") == [(b"a", ["RW", "access", "update"])]
    assert gkf("GET", "a") == [(b"a", ["RO", "access"])]
    assert gkf("LMOVE", "a", "b", "LEFT", "RIGHT") == [
        (b"a", ["RW", "access", "delete"]), (b"b", ["RW", "insert"])]
    assert gkf("ZUNIONSTORE", "d", "2", "a", "b") == [
        (b"d", ["OW", "update"]), (b"a", ["RO", "access"]), (b"b", ["RO", "access"])]
    assert gkf("DEL", "a", "b") == [(b"a", ["RM", "delete"]), (b"b", ["RM", "delete"])]
    assert gkf("RENAME", "a", "b") == [
        (b"a", ["RW", "access", "delete"]), (b"b", ["OW", "update"])]
    assert gkf("SORT", "k", "BY", "x", "GET", "y", "STORE", "d") == [
        (b"k", ["RO", "access"]), (b"d", ["OW", "update"])]
    assert gkf("BITFIELD", "k", "GET", "u8", "0") == [(b"k", ["RO", "access"])]
    assert gkf("BITFIELD", "k", "SET", "u8", "0", "1") == [(b"k", ["RW", "access", "update"])]
    assert gkf("XREADGROUP", "GROUP", "g", "c", "STREAMS", "s", "0") == [
        (b"s", ["RO", "access"])]
    assert gkf("OBJECT", "ENCODING", "k") == [(b"k", ["RO"])]
    assert gkf("INCR", "k") == [(b"k", ["RW", "access", "update"])]
    assert gkf("LPUSH", "k", "x") == [(b"k", ["RW", "insert"])]
    assert c.call("COMMAND", "GETKEYSANDFLAGS", "PING", "x") == err(
        "ERR The command has no key arguments")
    assert c.call("COMMAND", "GETKEYSANDFLAGS", "NOSUCH", "x") == err("ERR Invalid command specified")
    assert c.call("COMMAND", "GETKEYSANDFLAGS", "PING") == err(
        "ERR wrong number of arguments for 'command|getkeysandflags' command")


def test_command_list_filterby(c):
    every = set(c.call("COMMAND", "LIST"))
    assert {b"get", b"set", b"client|list", b"config|get"} <= every
    assert set(c.call("COMMAND", "LIST", "FILTERBY", "PATTERN", "xa*")) == {
        b"xack", b"xadd", b"xautoclaim"}
    assert set(c.call("COMMAND", "LIST", "FILTERBY", "PATTERN", "config|*")) >= {
        b"config|get", b"config|set"}
    hll = set(c.call("COMMAND", "LIST", "FILTERBY", "ACLCAT", "hyperloglog"))
    assert {b"pfadd", b"pfcount", b"pfmerge"} <= hll and b"get" not in hll
    keyspace = set(c.call("COMMAND", "LIST", "FILTERBY", "ACLCAT", "KEYSPACE"))
    assert {b"dbsize", b"del", b"flushall"} <= keyspace and b"sort" not in keyspace
    assert b"command" in set(c.call("COMMAND", "LIST", "FILTERBY", "ACLCAT", "connection"))
    assert b"eval_ro" not in set(c.call("COMMAND", "LIST", "FILTERBY", "ACLCAT", "read"))
    assert c.call("COMMAND", "LIST", "FILTERBY", "ACLCAT", "nosuch") == []
    assert c.call("COMMAND", "LIST", "FILTERBY", "MODULE", "nosuch") == []
    assert c.call("COMMAND", "LIST", "FILTERBY", "FOO", "bar") == err("ERR syntax error")
    assert c.call("COMMAND", "LIST", "FILTERBY", "PATTERN") == err("ERR syntax error")


# --------------------------------------------------------------------------------------- LATENCY


def test_latency_monitor(c):
    assert c.call("LATENCY", "RESET") >= 0
    assert c.call("LATENCY", "LATEST") == []
    assert c.call("LATENCY", "HISTORY", "command") == []
    doctor = c.call("LATENCY", "DOCTOR")
    assert isinstance(doctor, bytes) and b"latency-monitor-threshold" in doctor
    c.call("DEBUG", "SLEEP", "0.02")  # below no threshold: not recorded while off
    assert c.call("LATENCY", "LATEST") == []
    assert c.call("CONFIG", "SET", "latency-monitor-threshold", "5") == "OK"
    try:
        t0 = int(time.time())
        c.call("DEBUG", "SLEEP", "0.02")
        c.call("DEBUG", "SLEEP", "0.03")
        latest = c.call("LATENCY", "LATEST")
        assert len(latest) == 1
        event, when, last, worst = latest[0]
        assert event == b"command" and t0 - 1 <= when <= int(time.time()) + 1
        assert 20 <= last and 30 <= worst and last <= worst
        hist = c.call("LATENCY", "HISTORY", "command")
        assert 1 <= len(hist) <= 2 and all(len(s) == 2 and s[1] >= 20 for s in hist)
        assert hist[-1][0] == when
        assert isinstance(c.call("LATENCY", "DOCTOR"), bytes)
        assert isinstance(c.call("LATENCY", "GRAPH", "command"), bytes)
        assert c.call("LATENCY", "GRAPH", "nosuch") == err(
            "ERR No samples available for event 'nosuch'")
        assert c.call("LATENCY", "RESET", "nosuch") == 0
        assert c.call("LATENCY", "RESET", "command", "nosuch") == 1
        assert c.call("LATENCY", "LATEST") == []
        assert c.call("CONFIG", "SET", "latency-monitor-threshold", "-1") == err(
            "ERR CONFIG SET failed (possibly related to argument 'latency-monitor-threshold') - "
            "argument must be between 0 and 9223372036854775807 inclusive")
    finally:
        c.call("CONFIG", "SET", "latency-monitor-threshold", "0")
        c.call("LATENCY", "RESET")
    assert c.call("LATENCY", "FOO") == err("ERR unknown subcommand 'FOO'. Try LATENCY HELP.")
    assert c.call("LATENCY", "HISTORY") == err(
        "ERR wrong number of arguments for 'latency|history' command")
    help_lines = c.call("LATENCY", "HELP")
    assert help_lines[0].startswith("LATENCY <subcommand>")
    assert "LATEST" in help_lines and "RESET [<event> ...]" in help_lines


# ------------------------------------------------------------------------------------ maxclients


def test_maxclients_is_exact_under_a_burst(start_server):
    """Every acceptor admits clients at once: together they never pass maxclients."""
    s = start_server(args=["--maxclients", "5"])
    admin = s.conn()
    try:
        for _ in range(3):
            deadline = time.monotonic() + 10
            while int(info(admin, "clients")["connected_clients"]) != 1:
                assert time.monotonic() < deadline
                time.sleep(0.02)
            socks = [socket.create_connection(("127.0.0.1", s.port), timeout=10)
                     for _ in range(40)]
            answered = 0
            for x in socks:
                try:
                    x.sendall(b"PING\r\n")
                    answered += x.recv(100) == b"+PONG\r\n"
                except OSError:
                    pass
            assert answered == 4
            for x in socks:
                x.close()
    finally:
        admin.close()
