"""Connection and server commands: PING/ECHO/QUIT/RESET, HELLO, CLIENT, COMMAND, INFO, CONFIG,
SLOWLOG, MONITOR, TIME, LASTSAVE, DEBUG SLEEP, unknown commands."""

import re
import threading
import time

import pytest

from kv_harness import info, target_redis_version, wait_until
from kv_resp import Conn, ConnectionClosed, RespError

E = RespError
SYNTAX = E("ERR syntax error")


def arity(cmd):
    return E("ERR wrong number of arguments for '%s' command" % cmd)


def test_ping_echo(c, proto):
    assert c.call("PING") == "PONG"
    assert c.call_raw("PING") == b"+PONG\r\n"
    assert c.call("PING", "hello") == b"hello"
    assert c.call_raw("PING", "hi") == b"$2\r\nhi\r\n"
    assert c.call("PING", "a", "b") == arity("ping")
    assert c.call("ECHO", "x\r\ny") == b"x\r\ny"
    assert c.call("ECHO", "") == b""
    assert c.call("ECHO") == arity("echo")
    assert c.call("ECHO", "a", "b") == arity("echo")
    assert c.call("ping") == "PONG"
    assert c.call("PiNg") == "PONG"


def test_unknown_command(c):
    assert c.call("FOO") == E("ERR unknown command 'FOO', with args beginning with: ")
    assert c.call("foo", "a", "b") == E(
        "ERR unknown command 'foo', with args beginning with: 'a' 'b' ")
    assert c.call_raw("nosuch") == b"-ERR unknown command 'nosuch', with args beginning with: \r\n"
    # Arguments are quoted up to 128 characters in total; CR/LF become spaces.
    assert c.call("foo", "a" * 200, "b") == E(
        "ERR unknown command 'foo', with args beginning with: '%s' " % ("a" * 128))
    assert c.call("foo", "a" * 100, "b" * 100) == E(
        "ERR unknown command 'foo', with args beginning with: '%s' '%s' " % ("a" * 100, "b" * 25))
    assert c.call("f" * 200) == E(
        "ERR unknown command '%s', with args beginning with: " % ("f" * 128))
    assert c.call("foo", "a\r\nb", "c d") == E(
        "ERR unknown command 'foo', with args beginning with: 'a  b' 'c d' ")
    # The connection stays usable.
    assert c.call("PING") == "PONG"


def test_quit(server, proto):
    c = server.conn(protocol=proto)
    c.call("SET", "k", "v")
    assert c.call("QUIT") == "OK"
    assert c.is_closed()
    with server.conn() as other:
        assert other.call("GET", "k") == b"v"


def test_quit_discards_pipelined_tail(server):
    c = server.conn()
    c.send_raw(b"*1\r\n$4\r\nQUIT\r\n*3\r\n$3\r\nSET\r\n$4\r\nqkey\r\n$1\r\nv\r\n")
    assert c.read() == "OK"
    assert c.is_closed()
    with server.conn() as other:
        assert other.call("EXISTS", "qkey") == 0


def test_reset(c, server):
    c.call("SELECT", "2")
    c.call("CLIENT", "SETNAME", "before")
    assert c.call_raw("RESET") == b"+RESET\r\n"
    assert c.call("CLIENT", "GETNAME") is None
    c.call("SET", "k", "v")
    with server.conn() as other:
        assert other.call("GET", "k") == b"v"  # back on DB 0
    # RESET returns to RESP2.
    assert c.call_raw("GET", "nokey") == b"$-1\r\n"


def test_hello(server):
    with server.conn() as c:
        r = c.call("HELLO")
        assert isinstance(r, list)  # RESP2: a flat list
        d = dict(zip(r[::2], r[1::2]))
        assert d[b"proto"] == 2
        assert isinstance(d[b"id"], int)
        assert d[b"mode"] == b"standalone"
        assert d[b"role"] == b"master"
        assert b"server" in d and b"version" in d
        r3 = c.call("HELLO", "3")
        assert isinstance(r3, dict)
        assert r3[b"proto"] == 3
        assert r3[b"id"] == d[b"id"]
        assert c.call_raw("GET", "nokey") == b"_\r\n"
        assert c.call("HELLO", "2")[5] == 2
        assert c.call_raw("GET", "nokey") == b"$-1\r\n"
        assert c.call("HELLO", "4") == E("NOPROTO unsupported protocol version")
        assert c.call("HELLO", "1") == E("NOPROTO unsupported protocol version")
        assert c.call("HELLO", "x") == E("ERR Protocol version is not an integer or out of range")
        assert c.call("HELLO", "3", "SETNAME", "myname")[b"proto"] == 3
        assert c.call("CLIENT", "GETNAME") == b"myname"
        assert c.call("HELLO", "3", "FOO") == E("ERR Syntax error in HELLO option 'FOO'")
        # Without requirepass the default user takes any password.
        assert c.call("HELLO", "3", "AUTH", "default", "x")[b"proto"] == 3


def test_resp3_reply_types(c, proto):
    c.call("SET", "k", "v")
    if proto == 3:
        assert c.call_raw("HELLO", "3")[:1] == b"%"
        assert c.call_raw("CONFIG", "GET", "maxmemory") == b"%1\r\n$9\r\nmaxmemory\r\n$1\r\n0\r\n"
        assert c.call_raw("MGET", "k", "nokey") == b"*2\r\n$1\r\nv\r\n_\r\n"
        assert c.call_raw("OBJECT", "ENCODING", "nokey") == b"_\r\n"
    else:
        assert c.call_raw("CONFIG", "GET", "maxmemory") == b"*2\r\n$9\r\nmaxmemory\r\n$1\r\n0\r\n"
        assert c.call_raw("MGET", "k", "nokey") == b"*2\r\n$1\r\nv\r\n$-1\r\n"
        assert c.call_raw("OBJECT", "ENCODING", "nokey") == b"$-1\r\n"


def test_client_id_name(c, server):
    cid = c.call("CLIENT", "ID")
    assert isinstance(cid, int) and cid > 0
    with server.conn() as other:
        assert other.call("CLIENT", "ID") != cid
    assert c.call("CLIENT", "GETNAME") is None
    assert c.call("CLIENT", "SETNAME", "worker-1") == "OK"
    assert c.call("CLIENT", "GETNAME") == b"worker-1"
    assert c.call("CLIENT", "SETNAME", "a b") == E(
        "ERR Client names cannot contain spaces, newlines or special characters.")
    assert c.call("CLIENT", "SETNAME", "a\nb") == E(
        "ERR Client names cannot contain spaces, newlines or special characters.")
    assert c.call("CLIENT", "GETNAME") == b"worker-1"
    assert c.call("CLIENT", "SETNAME", "") == "OK"
    assert c.call("CLIENT", "GETNAME") is None
    assert c.call("CLIENT", "FOO") == E("ERR unknown subcommand 'FOO'. Try CLIENT HELP.")
    assert c.call("CLIENT") == arity("client")
    assert c.call("CLIENT", "SETNAME") == E(
        "ERR wrong number of arguments for 'client|setname' command")


def parse_client_line(line):
    return dict(f.split("=", 1) for f in line.split(" ") if "=" in f)


def test_client_list_info(c, server):
    c.call("CLIENT", "SETNAME", "lister")
    cid = c.call("CLIENT", "ID")
    c.call("SELECT", "3")
    with server.conn() as other:
        other.call("CLIENT", "SETNAME", "other")
        lines = bytes(c.call("CLIENT", "LIST")).decode().strip().split("\n")
        clients = [parse_client_line(x) for x in lines]
        by_name = {x.get("name"): x for x in clients}
        assert "lister" in by_name and "other" in by_name
        me = by_name["lister"]
        assert me["id"] == str(cid)
        assert me["db"] == "3"
        assert re.match(r"127\.0\.0\.1:\d+$", me["addr"])
        assert me["laddr"] == "127.0.0.1:%d" % server.port
        assert me["cmd"] == "client|list"
        assert me["resp"] == str(c.protocol)
        ids = bytes(c.call("CLIENT", "LIST", "ID", str(cid))).decode().strip().split("\n")
        assert len(ids) == 1 and parse_client_line(ids[0])["name"] == "lister"
    mine = parse_client_line(bytes(c.call("CLIENT", "INFO")).decode().strip())
    assert mine["id"] == str(cid) and mine["name"] == "lister" and mine["cmd"] == "client|info"


def test_client_kill(c, server):
    victim = server.conn()
    vid = victim.call("CLIENT", "ID")
    assert c.call("CLIENT", "KILL", "ID", str(vid)) == 1
    assert victim.is_closed()
    assert c.call("CLIENT", "KILL", "ID", "999999") == 0
    victim2 = server.conn()
    vinfo = parse_client_line(bytes(victim2.call("CLIENT", "INFO")).decode().strip())
    assert c.call("CLIENT", "KILL", vinfo["addr"]) == "OK"
    assert victim2.is_closed()
    assert c.call("CLIENT", "KILL", "1.2.3.4:5") == E("ERR No such client")
    assert c.call("CLIENT", "KILL", "ADDR", "1.2.3.4:5") == 0
    assert c.call("PING") == "PONG"


def test_client_no_evict(c):
    assert c.call("CLIENT", "NO-EVICT", "on") == "OK"
    assert c.call("CLIENT", "NO-EVICT", "off") == "OK"
    assert c.call("CLIENT", "NO-EVICT", "maybe") == SYNTAX


@pytest.mark.skipif((target_redis_version() or (99,)) < (7, 2), reason="Redis < 7.2 has no CLIENT SETINFO")
def test_client_setinfo(c):
    assert c.call("CLIENT", "SETINFO", "LIB-NAME", "strata-tests") == "OK"
    assert c.call("CLIENT", "SETINFO", "LIB-VER", "1.0") == "OK"
    me = parse_client_line(bytes(c.call("CLIENT", "INFO")).decode().strip())
    assert me["lib-name"] == "strata-tests" and me["lib-ver"] == "1.0"
    assert c.call("CLIENT", "SETINFO", "LIB-NAME", "a b") == E(
        "ERR lib-name cannot contain spaces, newlines or special characters.")
    assert c.call("CLIENT", "SETINFO", "FOO", "x") == E("ERR Unrecognized option 'FOO'")


def test_command(c):
    n = c.call("COMMAND", "COUNT")
    names = c.call("COMMAND", "LIST")
    lower = {bytes(x).lower() for x in names}
    # COMMAND LIST names subcommands too (config|get); COMMAND COUNT counts commands.
    assert isinstance(n, int) and n == len([x for x in lower if b"|" not in x])
    assert b"config|get" in lower
    for cmd in (b"get", b"set", b"mset", b"scan", b"hello", b"command", b"info", b"client"):
        assert cmd in lower
    info_get = c.call("COMMAND", "INFO", "get")
    assert len(info_get) == 1
    get = info_get[0]
    assert get[0] == b"get" and get[1] == 2 and get[3:6] == [1, 1, 1]
    mset = c.call("COMMAND", "INFO", "MSET")[0]
    assert mset[0] == b"mset" and mset[1] == -3 and mset[3:6] == [1, -1, 2]
    assert c.call("COMMAND", "INFO", "nosuchcmd") == [None]
    docs = c.call("COMMAND", "DOCS", "get")
    if isinstance(docs, list):
        docs = dict(zip(docs[::2], docs[1::2]))
    assert b"get" in docs
    d = docs[b"get"]
    if isinstance(d, list):
        d = dict(zip(d[::2], d[1::2]))
    assert d[b"group"] == b"string"
    assert isinstance(d[b"summary"], bytes) and d[b"summary"]
    full = c.call("COMMAND")
    assert len(full) == n
    assert c.call("COMMAND", "FOO") == E("ERR unknown subcommand 'FOO'. Try COMMAND HELP.")


@pytest.mark.parametrize("command,keys", [
    ("SORT a STORE b", [b"a", b"b"]),
    ("SORT a BY w_* LIMIT 0 1 GET store STORE d", [b"a", b"d"]),
    ("ZUNIONSTORE d 2 a b", [b"d", b"a", b"b"]),
    ("ZUNIONSTORE d 5 a b", "ERR Invalid arguments specified for command"),
    ("ZINTER 2 a b", [b"a", b"b"]),
    ("XREAD COUNT 2 STREAMS s1 s2 0 0", [b"s1", b"s2"]),
    ("XREAD STREAMS s1 s2 0", [b"s1"]),
    ("XREADGROUP GROUP g c STREAMS s1 0", [b"s1"]),
    ("GEORADIUS g 0 0 1 km STORE d", [b"g", b"d"]),
    ("GEORADIUSBYMEMBER g m 1 km STOREDIST d", [b"g", b"d"]),
    ("LMPOP 2 a b LEFT", [b"a", b"b"]),
    ("BLMPOP 0 1 a LEFT", [b"a"]),
    ("BZMPOP 0 2 a b MIN", [b"a", b"b"]),
    ("SINTERCARD 2 a b", [b"a", b"b"]),
    ("MSET a 1 b 2", [b"a", b"b"]),
    ("PING x", "ERR The command has no key arguments"),
])
def test_command_getkeys(c, command, keys):
    """Commands whose key positions depend on their arguments, as Redis finds them."""
    got = c.call("COMMAND", "GETKEYS", *command.split())
    assert got == (E(keys) if isinstance(keys, str) else keys)


def test_command_info_movablekeys(c):
    for name, rng in (("sort", [1, 1, 1]), ("zunionstore", [1, 1, 1]), ("xread", [0, 0, 0]),
                      ("georadius", [1, 1, 1]), ("lmpop", [0, 0, 0])):
        info_ = c.call("COMMAND", "INFO", name)[0]
        assert "movablekeys" in [str(f) for f in info_[2]], name
        assert info_[3:6] == rng, name


def test_info_sections(c, server):
    c.call("SET", "k", "v")
    c.call("SET", "t", "v", "EX", "1000")
    c.call("GET", "k")
    c.call("GET", "nokey")
    all_ = info(c)
    for field in ("tcp_port", "process_id", "uptime_in_seconds", "connected_clients",
                  "used_memory", "maxmemory", "maxmemory_policy", "total_commands_processed",
                  "keyspace_hits", "keyspace_misses", "expired_keys", "evicted_keys",
                  "total_connections_received", "db0"):
        assert field in all_, field
    assert all_["tcp_port"] == str(server.port)
    assert all_["process_id"] == str(server.pid)
    assert all_["maxmemory"] == "0"
    assert all_["maxmemory_policy"] == "noeviction"
    assert int(all_["used_memory"]) > 0
    assert int(all_["keyspace_hits"]) >= 1 and int(all_["keyspace_misses"]) >= 1
    assert re.match(r"keys=2,expires=1,avg_ttl=\d+$", all_["db0"]), all_["db0"]
    assert "cmdstat_get" not in all_  # commandstats is not in the default sections
    raw = bytes(c.call("INFO", "server")).decode()
    assert raw.startswith("# Server\r\n")
    assert "used_memory:" not in raw
    mem = info(c, "memory")
    assert "used_memory" in mem and "connected_clients" not in mem
    stats = info(c, "commandstats")
    assert re.match(r"calls=\d+,usec=\d+,usec_per_call=[\d.]+", stats["cmdstat_get"])
    assert int(stats["cmdstat_get"].split(",")[0].split("=")[1]) >= 2
    ks = info(c, "keyspace")
    assert set(ks) == {"db0"}
    assert info(c, "nosuchsection") == {}


def test_info_resp3_is_verbatim(c, proto):
    raw = c.call_raw("INFO", "server")
    if proto == 3:
        assert raw.startswith(b"=") and raw.split(b"\r\n", 1)[1].startswith(b"txt:# Server")
    else:
        assert raw.startswith(b"$")


def test_info_counters(c):
    c.call("CONFIG", "RESETSTAT")
    c.call("SET", "k", "v")
    for _ in range(3):
        c.call("GET", "k")
    c.call("GET", "nokey")
    c.call("MGET", "k", "nokey", "nokey2")
    s = info(c, "stats")
    assert int(s["keyspace_hits"]) == 4
    assert int(s["keyspace_misses"]) == 3
    c.call("SET", "e", "v", "PX", "10")
    time.sleep(0.05)
    assert c.call("GET", "e") is None
    assert int(info(c, "stats")["expired_keys"]) == 1
    assert c.call("CONFIG", "RESETSTAT") == "OK"
    s = info(c, "stats")
    assert s["keyspace_hits"] == "0" and s["keyspace_misses"] == "0" and s["expired_keys"] == "0"


def test_info_connected_clients(server):
    with server.conn() as c:
        # Connections of earlier tests close asynchronously: count from when only c is left.
        assert wait_until(lambda: int(info(c, "clients")["connected_clients"]) == 1, 5)
        base = 1
        extra = [server.conn() for _ in range(5)]
        for x in extra:
            x.call("PING")
        assert int(info(c, "clients")["connected_clients"]) == base + 5
        for x in extra:
            x.close()
        assert wait_until(lambda: int(info(c, "clients")["connected_clients"]) == base, 5)


def config_get(c, name):
    r = c.call("CONFIG", "GET", name)
    if isinstance(r, list):
        r = dict(zip(r[::2], r[1::2]))
    return r


def test_config_get_set(c):
    assert config_get(c, "maxmemory") == {b"maxmemory": b"0"}
    assert config_get(c, "maxmemory-policy") == {b"maxmemory-policy": b"noeviction"}
    assert config_get(c, "port") == {b"port": str(c.port).encode()}
    assert config_get(c, "nosuchoption") == {}
    both = config_get(c, "maxmemory*")
    assert both[b"maxmemory"] == b"0" and both[b"maxmemory-policy"] == b"noeviction"
    try:
        assert c.call("CONFIG", "SET", "maxmemory", "10mb") == "OK"
        assert config_get(c, "maxmemory") == {b"maxmemory": b"10485760"}
        assert int(info(c, "memory")["maxmemory"]) == 10485760
        assert c.call("CONFIG", "SET", "maxmemory-policy", "allkeys-lru") == "OK"
        assert info(c, "memory")["maxmemory_policy"] == "allkeys-lru"
        # Redis lists its 8 policies; a server with more policies may list those too.
        err = c.call("CONFIG", "SET", "maxmemory-policy", "foo")
        prefix = ("ERR CONFIG SET failed (possibly related to argument 'maxmemory-policy') - "
                  "argument(s) must be one of the following: ")
        assert isinstance(err, RespError) and err.message.startswith(prefix), err
        listed = err.message[len(prefix):].split(", ")
        assert {"volatile-lru", "volatile-lfu", "volatile-random", "volatile-ttl", "allkeys-lru",
                "allkeys-lfu", "allkeys-random", "noeviction"} <= set(listed), listed
        assert c.call("CONFIG", "SET", "maxmemory", "abc") == E(
            "ERR CONFIG SET failed (possibly related to argument 'maxmemory') - argument must be "
            "a memory value")
        assert c.call("CONFIG", "SET", "foo", "1") == E(
            "ERR Unknown option or number of arguments for CONFIG SET - 'foo'")
        assert c.call("CONFIG", "SET", "maxmemory") == E(
            "ERR wrong number of arguments for 'config|set' command")
        assert c.call("CONFIG", "FOO") == E("ERR unknown subcommand 'FOO'. Try CONFIG HELP.")
    finally:
        c.call("CONFIG", "SET", "maxmemory", "0")
        c.call("CONFIG", "SET", "maxmemory-policy", "noeviction")


def test_slowlog(c):
    try:
        assert c.call("CONFIG", "SET", "slowlog-log-slower-than", "0") == "OK"
        assert c.call("SLOWLOG", "RESET") == "OK"
        c.call("SET", "slowkey", "slowvalue")
        n = c.call("SLOWLOG", "LEN")
        assert isinstance(n, int) and n >= 1
        entries = c.call("SLOWLOG", "GET", "100")
        args = [e[3] for e in entries]
        assert [b"SET", b"slowkey", b"slowvalue"] in args
        e = entries[args.index([b"SET", b"slowkey", b"slowvalue"])]
        assert isinstance(e[0], int) and abs(e[1] - time.time()) < 60 and e[2] >= 0
        assert re.match(rb"127\.0\.0\.1:\d+$", e[4])
        assert len(c.call("SLOWLOG", "GET", "1")) == 1
        assert c.call("SLOWLOG", "RESET") == "OK"
        assert [b"SET", b"slowkey", b"slowvalue"] not in [x[3] for x in c.call("SLOWLOG", "GET")]
        c.call("CONFIG", "SET", "slowlog-log-slower-than", "-1")
        c.call("SLOWLOG", "RESET")
        c.call("SET", "a", "b")
        assert c.call("SLOWLOG", "LEN") == 0
        assert c.call("SLOWLOG", "FOO") == E("ERR unknown subcommand 'FOO'. Try SLOWLOG HELP.")
    finally:
        c.call("CONFIG", "SET", "slowlog-log-slower-than", "10000")


def test_monitor(server):
    mon = server.conn()
    assert mon.call("MONITOR") == "OK"
    with server.conn() as c:
        c.call("SELECT", "2")
        c.call("SET", "mkey", "hello world")
        c.call("GET", "mkey")
    lines = []
    deadline = time.monotonic() + 5
    while len(lines) < 3 and time.monotonic() < deadline:
        lines.append(mon.read())
    mon.close()
    text = [str(x) for x in lines]
    set_line = [x for x in text if '"SET"' in x or '"set"' in x]
    assert set_line, text
    assert re.match(r'^\d+\.\d{6} \[2 127\.0\.0\.1:\d+\] "(SET|set)" "mkey" "hello world"$',
                    set_line[0]), set_line[0]


def test_time_lastsave(c):
    t = c.call("TIME")
    assert isinstance(t, list) and len(t) == 2
    secs, usecs = int(t[0]), int(t[1])
    assert abs(secs - time.time()) < 5
    assert 0 <= usecs < 1000000
    ls = c.call("LASTSAVE")
    assert isinstance(ls, int) and ls <= time.time() + 1
    assert c.call("TIME", "x") == arity("time")


def test_debug_sleep(c, server):
    t0 = time.monotonic()
    assert c.call("DEBUG", "SLEEP", "0.2") == "OK"
    assert time.monotonic() - t0 >= 0.19
    assert c.call("DEBUG", "SLEEP", "0") == "OK"


def test_many_connections(server):
    conns = [server.conn() for _ in range(200)]
    for i, x in enumerate(conns):
        x.send_raw(b"*3\r\n$3\r\nSET\r\n$6\r\nconn%02d\r\n$1\r\n1\r\n" % (i % 100))
    for x in conns:
        assert x.read() == "OK"
    for x in conns:
        x.close()
    with server.conn() as c:
        assert c.call("DBSIZE") == 100


def test_concurrent_incr_is_exact(server):
    def worker():
        with server.conn() as c:
            for _ in range(10):
                c.pipeline([("INCR", "counter")] * 100)
    threads = [threading.Thread(target=worker) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    with server.conn() as c:
        assert c.call("GET", "counter") == b"8000"


def test_client_disconnect_midcommand_does_not_hurt(server):
    for partial in (b"*3\r\n$3\r\nSET\r\n$1\r\nk", b"*2\r\n$3\r\nGET", b"PI"):
        x = Conn(server.port)
        x.send_raw(partial)
        x.close()
    with server.conn() as c:
        assert c.call("PING") == "PONG"
        assert c.call("EXISTS", "k") == 0
