"""Client and server controls: CLIENT REPLY, RESET, CLIENT PAUSE/UNPAUSE, CLIENT NO-EVICT,
CONFIG SET/GET with several parameters, SLOWLOG argument trimming, COMMAND GETKEYS /
GETKEYSANDFLAGS / LIST FILTERBY, and LATENCY. Replies are redis-server 7.0's, in RESP2 and RESP3.

No test relies on how fast the server is: a paused command is only checked not to have answered
yet, and to answer once the pause is over."""

import select
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
