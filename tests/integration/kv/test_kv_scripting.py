"""Lua scripting and functions: EVAL/EVALSHA/EVAL_RO/EVALSHA_RO, SCRIPT LOAD/EXISTS/FLUSH/KILL,
FUNCTION LOAD/LIST/DELETE/FLUSH/STATS/DUMP/RESTORE/KILL, FCALL/FCALL_RO.

Replies and error texts are Redis 7.0.15's, byte for byte where the type matters (the raw
connection `c`, RESP2 and RESP3): redis.call over every data type, redis.pcall error tables, the
redis.* helpers, Lua -> RESP conversion under redis.setresp(2) and (3), the sandbox and its
libraries (cjson, cmsgpack, bit, struct), commands scripts may not run, read-only scripts, and
the function libraries. Then what users rely on with real clients (redis-py): scripts that touch
keys on every shard, declared in KEYS or not, are atomic under concurrent clients; redis-py's
Lock; a token bucket under 50 clients; scripts inside MULTI and against WATCH.
"""

import hashlib
import random
import threading
import time

import pytest

from kv_harness import run_threads
from kv_resp import RespError, RespSet, Verbatim

E = RespError
NOSCRIPT = E("NOSCRIPT No matching script. Please use EVAL.")
redis = pytest.importorskip("redis")

# Keys spread over every shard with 4 shard threads.
ACCTS = ["acct:%d" % i for i in range(32)]


def sha1(body):
    return hashlib.sha1(body.encode() if isinstance(body, str) else body).hexdigest()


def script_error(body, message, line=1):
    """The error an uncaught error in an EVAL script ends in."""
    return E("%s script: %s, on @user_script:%d." % (message, sha1(body), line))


def function_error(name, message, line):
    return E("%s script: %s, on @user_function:%d." % (message, name, line))


@pytest.fixture(autouse=True)
def _no_scripts(server):
    """FLUSHALL keeps the script cache and the function libraries: every test starts without."""
    with server.conn() as admin:
        admin.call("SCRIPT", "FLUSH")
        admin.call("FUNCTION", "FLUSH")
    yield


def client(server, **kw):
    return redis.Redis(host="127.0.0.1", port=server.port, **kw)


# ------------------------------------------------------------------------------------------------
# EVAL / EVALSHA / SCRIPT


def test_eval_keys_and_argv(c):
    body = "return {KEYS[1], KEYS[2], ARGV[1], ARGV[2], #KEYS, #ARGV}"
    assert c.call("EVAL", body, "2", "k1", "k2", "a1", "a2") == [b"k1", b"k2", b"a1", b"a2", 2, 2]
    assert c.call("EVAL", "return #KEYS + #ARGV", "0") == 0
    assert c.call("EVAL", "return KEYS", "2", "a", "b", "c") == [b"a", b"b"]
    assert c.call("EVAL", "return ARGV", "2", "a", "b", "c") == [b"c"]
    assert c.call("eval", "return 'lower case'", "0") == b"lower case"
    # Binary-safe keys and arguments.
    assert c.call("EVAL", "return {KEYS[1], ARGV[1], #ARGV[1]}", "1", b"k\x00\xff",
                  b"\r\n\x00") == [b"k\x00\xff", b"\r\n\x00", 3]


def test_script_load_evalsha_exists_flush(c):
    body = "return 'loaded ' .. ARGV[1]"
    sha = sha1(body)
    assert c.call("SCRIPT", "LOAD", body) == sha.encode()
    assert c.call("SCRIPT", "LOAD", body) == sha.encode()  # loading twice is harmless
    assert c.call("EVALSHA", sha, "0", "x") == b"loaded x"
    assert c.call("EVALSHA", sha.upper(), "0", "y") == b"loaded y"  # any case
    assert c.call("EVALSHA_RO", sha, "0", "z") == b"loaded z"
    missing = "f" * 40
    assert c.call("SCRIPT", "EXISTS", sha, missing, sha.upper(), "short") == [1, 0, 1, 0]
    assert c.call("EVALSHA", missing, "0") == NOSCRIPT
    assert c.call("EVALSHA", "abc", "0") == NOSCRIPT
    assert c.call("EVALSHA", sha + "0", "0") == NOSCRIPT
    assert c.call("EVALSHA_RO", missing, "0") == NOSCRIPT
    for flush in (["SCRIPT", "FLUSH"], ["SCRIPT", "FLUSH", "ASYNC"], ["script", "flush", "sync"]):
        assert c.call("SCRIPT", "LOAD", body) == sha.encode()
        assert c.call(*flush) == "OK"
        assert c.call("SCRIPT", "EXISTS", sha) == [0]
        assert c.call("EVALSHA", sha, "0", "x") == \
            NOSCRIPT
    # EVAL caches the script it ran.
    assert c.call("EVAL", body, "0", "e") == b"loaded e"
    assert c.call("SCRIPT", "EXISTS", sha) == [1]
    assert c.call("EVALSHA", sha, "0", "f") == b"loaded f"


def test_script_subcommand_errors(c):
    assert c.call("SCRIPT", "FLUSH", "FOO") == E("ERR SCRIPT FLUSH only support SYNC|ASYNC option")
    assert c.call("SCRIPT", "FLUSH", "SYNC", "ASYNC") == \
        E("ERR SCRIPT FLUSH only support SYNC|ASYNC option")
    assert c.call("SCRIPT", "FOO") == E("ERR unknown subcommand 'FOO'. Try SCRIPT HELP.")
    assert c.call("SCRIPT") == E("ERR wrong number of arguments for 'script' command")
    assert c.call("SCRIPT", "EXISTS") == \
        E("ERR wrong number of arguments for 'script|exists' command")
    assert c.call("SCRIPT", "LOAD") == E("ERR wrong number of arguments for 'script|load' command")
    assert c.call("SCRIPT", "LOAD", "a", "b") == \
        E("ERR wrong number of arguments for 'script|load' command")
    assert c.call("SCRIPT", "KILL") == E("NOTBUSY No scripts in execution right now.")
    assert c.call("FUNCTION", "KILL") == E("NOTBUSY No scripts in execution right now.")
    # A script that does not compile is not cached.
    assert c.call("SCRIPT", "LOAD", "return +") == E(
        "ERR Error compiling script (new function): user_script:1: unexpected symbol near '+'")
    assert c.call("SCRIPT", "EXISTS", sha1("return +")) == [0]


def test_evalsha_from_another_connection(server):
    """The script cache is the server's: EVAL or SCRIPT LOAD on one connection, EVALSHA on any
    other; SCRIPT FLUSH on any connection empties it for all."""
    body = "return redis.call('incr', KEYS[1])"
    sha = sha1(body)
    with server.conn() as a, server.conn(protocol=3) as b, server.conn() as d:
        assert b.call("EVALSHA", sha, "1", "n") == NOSCRIPT
        assert a.call("EVAL", body, "1", "n") == 1
        assert b.call("EVALSHA", sha, "1", "n") == 2
        assert d.call("EVALSHA", sha, "1", "n") == 3
        assert d.call("SCRIPT", "FLUSH") == "OK"
        assert a.call("EVALSHA", sha, "1", "n") == NOSCRIPT
        other = "return 'via load'"
        assert b.call("SCRIPT", "LOAD", other) == sha1(other).encode()
        assert a.call("EVALSHA", sha1(other), "0") == b"via load"
        assert d.call("SCRIPT", "EXISTS", sha1(other), sha) == [1, 0]
    # A connection opened later sees it too.
    with server.conn() as late:
        assert late.call("EVALSHA", sha1(other), "0") == b"via load"


def test_numkeys_and_arity_errors(c):
    for cmd in ("EVAL", "EVAL_RO"):
        assert c.call(cmd, "return 1") == \
            E("ERR wrong number of arguments for '%s' command" % cmd.lower())
        assert c.call(cmd, "return 1", "1") == \
            E("ERR Number of keys can't be greater than number of args")
        assert c.call(cmd, "return 1", "3", "a", "b") == \
            E("ERR Number of keys can't be greater than number of args")
        assert c.call(cmd, "return 1", "-1") == E("ERR Number of keys can't be negative")
        assert c.call(cmd, "return 1", "x") == E("ERR value is not an integer or out of range")
        assert c.call(cmd, "return 1", "1.5", "a") == \
            E("ERR value is not an integer or out of range")
    assert c.call("EVAL") == E("ERR wrong number of arguments for 'eval' command")
    sha = c.call("SCRIPT", "LOAD", "return 1").decode()
    for cmd in ("EVALSHA", "EVALSHA_RO"):
        assert c.call(cmd, sha) == E("ERR wrong number of arguments for '%s' command" % cmd.lower())
        assert c.call(cmd, sha, "2", "a") == \
            E("ERR Number of keys can't be greater than number of args")
        assert c.call(cmd, sha, "-5", "a") == E("ERR Number of keys can't be negative")
    # numkeys equal to the number of arguments is fine.
    assert c.call("EVAL", "return #KEYS", "2", "a", "b") == 2


def test_compile_and_runtime_errors(c):
    assert c.call("EVAL", "return +", "0") == E(
        "ERR Error compiling script (new function): user_script:1: unexpected symbol near '+'")
    body = "local a = 1\nerror('boom')"
    assert c.call("EVAL", body, "0") == script_error(body, "ERR user_script:2: boom", line=2)
    body = "error('plain', 0)"
    assert c.call("EVAL", body, "0") == script_error(body, "ERR plain")
    body = "error({err='MYCODE custom failure'})"
    assert c.call("EVAL", body, "0") == script_error(body, "MYCODE custom failure")
    body = "return nosuchvar"
    assert c.call("EVAL", body, "0") == script_error(
        body, "ERR user_script:1: Script attempted to access nonexistent global variable "
              "'nosuchvar'")
    body = "return redis.sha1hex()"
    assert c.call("EVAL", body, "0") == script_error(body, "ERR wrong number of arguments")
    # pcall in Lua catches errors raised by redis.call.
    body = ("local ok, e = pcall(redis.call, 'nosuchcmd')\n"
            "return {tostring(ok), type(e), e}")
    assert c.call("EVAL", body, "0") == \
        [b"false", b"string", b"ERR Unknown Redis command called from script"]
    body = "local ok, e = pcall(function() error('inner') end) return {tostring(ok), e}"
    assert c.call("EVAL", body, "0") == [b"false", b"user_script:1: inner"]


# ------------------------------------------------------------------------------------------------
# redis.call over the data types


def test_call_strings(c):
    body = """
    local k = KEYS[1]
    local out = {}
    out[#out+1] = redis.call('set', k, '10')
    out[#out+1] = redis.call('incrby', k, 5)
    out[#out+1] = redis.call('incrbyfloat', k, '0.5')
    out[#out+1] = redis.call('append', k, 'x')
    out[#out+1] = redis.call('get', k)
    out[#out+1] = redis.call('strlen', k)
    out[#out+1] = redis.call('getrange', k, 0, 1)
    out[#out+1] = redis.call('setnx', k, 'no')
    out[#out+1] = redis.call('getset', k, 'new')
    out[#out+1] = redis.call('mset', KEYS[2], 'b', KEYS[3], 'c')
    out[#out+1] = redis.call('mget', k, KEYS[2], KEYS[3], 'nosuchkey')
    out[#out+1] = redis.call('get', 'nosuchkey')
    out[#out+1] = redis.call('set', k, 'x', 'NX')
    out[#out+1] = redis.call('getdel', KEYS[3])
    return out
    """
    nil = None
    assert c.call("EVAL", body, "3", "s1", "s2", "s3") == [
        "OK", 15, b"15.5", 5, b"15.5x", 5, b"15", 0, b"15.5x", "OK",
        [b"new", b"b", b"c", nil], nil, nil, b"c"]
    assert c.call("MGET", "s1", "s2", "s3") == [b"new", b"b", None]
    # Lua numbers as arguments: integers as integers, others with 17 significant digits.
    body = ("redis.call('set', KEYS[1], 5) redis.call('set', KEYS[2], 0.1) "
            "redis.call('set', KEYS[3], -3.5) redis.call('set', KEYS[4], 1e20) "
            "return redis.call('mget', KEYS[1], KEYS[2], KEYS[3], KEYS[4])")
    assert c.call("EVAL", body, "4", "n1", "n2", "n3", "n4") == \
        [b"5", b"0.10000000000000001", b"-3.5", b"1e+20"]


def test_call_hashes(c):
    body = """
    local h = KEYS[1]
    local out = {}
    out[#out+1] = redis.call('hset', h, 'f1', 'v1', 'f2', 'v2')
    out[#out+1] = redis.call('hget', h, 'f1')
    out[#out+1] = redis.call('hincrby', h, 'n', 3)
    out[#out+1] = redis.call('hincrbyfloat', h, 'n', '1.5')
    out[#out+1] = redis.call('hmget', h, 'f2', 'nofield', 'n')
    out[#out+1] = redis.call('hexists', h, 'f2')
    out[#out+1] = redis.call('hdel', h, 'f2', 'nofield')
    out[#out+1] = redis.call('hlen', h)
    out[#out+1] = redis.call('hsetnx', h, 'f1', 'x')
    local all = redis.call('hgetall', h)
    local pairs_ = {}
    for i = 1, #all, 2 do pairs_[#pairs_+1] = all[i] .. '=' .. all[i+1] end
    table.sort(pairs_)
    out[#out+1] = pairs_
    return out
    """
    assert c.call("EVAL", body, "1", "h") == [
        2, b"v1", 3, b"4.5", [b"v2", None, b"4.5"], 1, 1, 2, 0, [b"f1=v1", b"n=4.5"]]
    assert c.call("HGET", "h", "n") == b"4.5"


def test_call_lists(c):
    body = """
    local l = KEYS[1]
    local out = {}
    out[#out+1] = redis.call('rpush', l, 'a', 'b', 'c')
    out[#out+1] = redis.call('lpush', l, 'z')
    out[#out+1] = redis.call('lrange', l, 0, -1)
    out[#out+1] = redis.call('lpop', l)
    out[#out+1] = redis.call('rpop', l, 2)
    out[#out+1] = redis.call('llen', l)
    out[#out+1] = redis.call('lindex', l, 0)
    out[#out+1] = redis.call('lmove', l, KEYS[2], 'LEFT', 'RIGHT')
    out[#out+1] = redis.call('lpop', l)
    out[#out+1] = redis.call('lrange', KEYS[2], 0, -1)
    out[#out+1] = redis.call('exists', l)
    return out
    """
    assert c.call("EVAL", body, "2", "l1", "l2") == [
        3, 4, [b"z", b"a", b"b", b"c"], b"z", [b"c", b"b"], 1, b"a", b"a", None, [b"a"], 0]
    # A blocking pop with a timeout never blocks a script: it answers at once.
    body = "return {redis.call('blmpop', 0, 1, KEYS[1], 'LEFT'), 'after'}"
    t0 = time.monotonic()
    assert c.call("EVAL", body, "1", "emptylist") == [None, b"after"]
    assert time.monotonic() - t0 < 2


def test_call_sets(c):
    body = """
    local s, t = KEYS[1], KEYS[2]
    local out = {}
    out[#out+1] = redis.call('sadd', s, 'a', 'b', 'c', 'a')
    out[#out+1] = redis.call('sadd', t, 'b', 'c', 'd')
    out[#out+1] = redis.call('scard', s)
    out[#out+1] = redis.call('sismember', s, 'a')
    out[#out+1] = redis.call('smismember', s, 'a', 'x')
    out[#out+1] = redis.call('srem', s, 'a', 'x')
    local inter = redis.call('sinter', s, t)
    table.sort(inter)
    out[#out+1] = inter
    local union = redis.call('sunion', s, t)
    table.sort(union)
    out[#out+1] = union
    out[#out+1] = redis.call('sdiffstore', KEYS[3], t, s)
    out[#out+1] = redis.call('smembers', KEYS[3])
    return out
    """
    assert c.call("EVAL", body, "3", "s1", "s2", "s3") == [
        3, 3, 3, 1, [1, 0], 1, [b"b", b"c"], [b"b", b"c", b"d"], 1, [b"d"]]


def test_call_zsets(c):
    body = """
    local z = KEYS[1]
    local out = {}
    out[#out+1] = redis.call('zadd', z, 1, 'a', 2.5, 'b', 3, 'c')
    out[#out+1] = redis.call('zscore', z, 'b')
    out[#out+1] = redis.call('zincrby', z, 1, 'a')
    out[#out+1] = redis.call('zrange', z, 0, -1, 'WITHSCORES')
    out[#out+1] = redis.call('zrank', z, 'c')
    out[#out+1] = redis.call('zrangebyscore', z, '(2', '+inf')
    out[#out+1] = redis.call('zcard', z)
    out[#out+1] = redis.call('zrem', z, 'a', 'nope')
    out[#out+1] = redis.call('zpopmax', z)
    out[#out+1] = redis.call('zscore', z, 'nope')
    return out
    """
    assert c.call("EVAL", body, "1", "z") == [
        3, b"2.5", b"2", [b"a", b"2", b"b", b"2.5", b"c", b"3"], 2, [b"b", b"c"], 3, 1,
        [b"c", b"3"], None]


def test_call_keyspace_and_expiry(c):
    body = """
    local k, k2 = KEYS[1], KEYS[2]
    local out = {}
    redis.call('set', k, 'v')
    out[#out+1] = redis.call('ttl', k)
    out[#out+1] = redis.call('expire', k, 100)
    local ttl = redis.call('ttl', k)
    out[#out+1] = (ttl > 95 and ttl <= 100) and 'ttl ok' or ttl
    out[#out+1] = redis.call('persist', k)
    out[#out+1] = redis.call('ttl', k)
    out[#out+1] = redis.call('pexpire', k, 100000)
    out[#out+1] = redis.call('exists', k, k2, k)
    out[#out+1] = redis.call('type', k)
    out[#out+1] = redis.call('rename', k, k2)
    out[#out+1] = redis.call('type', k)
    out[#out+1] = redis.call('copy', k2, k)
    out[#out+1] = redis.call('del', k, k2, 'nosuchkey')
    out[#out+1] = redis.call('ttl', k2)
    out[#out+1] = redis.call('expire', k2, 100)
    return out
    """
    assert c.call("EVAL", body, "2", "x1", "x2") == [
        -1, 1, b"ttl ok", 1, -1, 1, 2, "string", "OK", "none", 1, 2, -2, 0]
    c.call("SET", "x3", "v")
    assert c.call("EVAL", "return redis.call('expire', KEYS[1], 50)", "1", "x3") == 1
    assert 45 <= c.call("TTL", "x3") <= 50
    # An expiry in the past deletes at once.
    assert c.call("EVAL", "return {redis.call('pexpire', KEYS[1], -1), redis.call('exists', "
                          "KEYS[1])}", "1", "x3") == [1, 0]


def test_call_errors_and_wrong_type(c):
    c.call("SET", "str", "text")
    body = "return redis.call('lpush', KEYS[1], 'x')"
    assert c.call("EVAL", body, "1", "str") == script_error(
        body, "WRONGTYPE Operation against a key holding the wrong kind of value")
    body = "return redis.call('incr', KEYS[1])"
    assert c.call("EVAL", body, "1", "str") == script_error(
        body, "ERR value is not an integer or out of range")
    body = "return redis.call('nosuchcommand', 'a')"
    assert c.call("EVAL", body, "0") == script_error(
        body, "ERR Unknown Redis command called from script")
    body = "return redis.call('get')"
    assert c.call("EVAL", body, "0") == script_error(
        body, "ERR Wrong number of args calling Redis command from script")
    body = "return redis.call()"
    assert c.call("EVAL", body, "0") == script_error(
        body, "ERR Please specify at least one argument for this redis lib call")
    for arg in ("{}", "true", "nil"):
        body = "return redis.call('set', 'k', %s)" % arg
        assert c.call("EVAL", body, "0") == script_error(
            body, "ERR Lua redis lib command arguments must be strings or integers")
    body = "return redis.call('xread', 'BLOCK', '0', 'STREAMS', 's', '$')"
    assert c.call("EVAL", body, "0") == script_error(
        body, "ERR xread command is not allowed with BLOCK option from scripts")


def test_script_error_keeps_earlier_writes(c):
    """No rollback: the writes before a failing redis.call stay, on every shard."""
    c.call("SET", ACCTS[5], "not a number")
    body = ("for i = 1, #KEYS - 1 do redis.call('set', KEYS[i], 'written') end\n"
            "redis.call('incr', KEYS[#KEYS])\n"
            "redis.call('set', 'never', '1')")
    keys = ACCTS[8:24] + [ACCTS[5]]
    assert c.call("EVAL", body, str(len(keys)), *keys) == script_error(
        body, "ERR value is not an integer or out of range", line=2)
    assert c.call("MGET", *ACCTS[8:24]) == [b"written"] * 16
    assert c.call("EXISTS", "never") == 0


def test_pcall_error_tables(c):
    c.call("SET", "str", "text")
    # A returned error table is sent as is: no script suffix.
    assert c.call("EVAL", "return redis.pcall('incr', KEYS[1])", "1", "str") == \
        E("ERR value is not an integer or out of range")
    assert c.call("EVAL", "return redis.pcall('lpush', KEYS[1], 'x')", "1", "str") == \
        E("WRONGTYPE Operation against a key holding the wrong kind of value")
    assert c.call("EVAL", "return redis.pcall('nosuch')", "0") == \
        E("ERR Unknown Redis command called from script")
    assert c.call("EVAL", "return redis.pcall('hset', 'h')", "0") == \
        E("ERR Wrong number of args calling Redis command from script")
    assert c.call("EVAL", "return redis.pcall('eval', 'return 1', '0')", "0") == \
        E("ERR This Redis command is not allowed from script")
    body = """
    local r = redis.pcall('lpush', KEYS[1], 'x')
    local n = 0
    for k, v in pairs(r) do n = n + 1 end
    return {type(r), r.err, n > 0 and 'has fields' or 'empty', redis.pcall('get', KEYS[1])}
    """
    assert c.call("EVAL", body, "1", "str") == [
        b"table", b"WRONGTYPE Operation against a key holding the wrong kind of value",
        b"has fields", b"text"]
    # The script goes on after the error; successful pcalls return plain values.
    body = ("local e = redis.pcall('incr', KEYS[1]) "
            "local ok = redis.pcall('incr', KEYS[2]) "
            "return {e.err, ok}")
    assert c.call("EVAL", body, "2", "str", "ctr") == \
        [b"ERR value is not an integer or out of range", 1]
    # Inside a nested reply, an error table is an error element.
    assert c.call("EVAL", "return {1, redis.pcall('incr', KEYS[1]), 3}", "1", "str") == \
        [1, E("ERR value is not an integer or out of range"), 3]


def test_error_reply_status_reply_sha1hex(c):
    assert c.call("EVAL", "return redis.error_reply('MY custom error')", "0") == \
        E("MY custom error")
    assert c.call("EVAL", "return redis.error_reply('-ERR with dash')", "0") == \
        E("ERR with dash")
    assert c.call("EVAL", "return redis.status_reply('FINE')", "0") == "FINE"
    assert c.call("EVAL", "local t = redis.error_reply('X y') return {type(t), t.err}", "0") == \
        [b"table", b"X y"]
    assert c.call("EVAL", "local t = redis.status_reply('S') return {type(t), t.ok}", "0") == \
        [b"table", b"S"]
    assert c.call("EVAL", "return redis.error_reply()", "0") == \
        E("ERR wrong number or type of arguments")
    assert c.call("EVAL", "return redis.status_reply()", "0") == \
        E("ERR wrong number or type of arguments")
    assert c.call("EVAL", "return redis.sha1hex('')", "0") == \
        b"da39a3ee5e6b4b0d3255bfef95601890afd80709"
    assert c.call("EVAL", "return redis.sha1hex(ARGV[1])", "0", b"abc\x00\xff") == \
        sha1(b"abc\x00\xff").encode()
    assert c.call("EVAL", "return redis.sha1hex(123)", "0") == sha1("123").encode()
    assert c.call("EVAL", "return {redis.REDIS_VERSION, redis.REDIS_VERSION_NUM}", "0") == \
        [b"7.0.15", 0x07000f]
    assert c.call("EVAL", "return {redis.LOG_DEBUG, redis.LOG_VERBOSE, redis.LOG_NOTICE, "
                          "redis.LOG_WARNING}", "0") == [0, 1, 2, 3]
    assert c.call("EVAL", "return redis.log(redis.LOG_WARNING, 'from a test script')", "0") is None


# ------------------------------------------------------------------------------------------------
# Lua -> RESP conversion


def test_lua_to_resp(c, proto):
    null = b"$-1\r\n" if proto == 2 else b"_\r\n"
    cases = [
        ("return 1", b":1\r\n"),
        ("return 3.99", b":3\r\n"),  # numbers truncate
        ("return -3.99", b":-3\r\n"),
        ("return 0.5", b":0\r\n"),
        ("return 123456789012", b":123456789012\r\n"),
        ("return 'str'", b"$3\r\nstr\r\n"),
        ("return ''", b"$0\r\n\r\n"),
        ("return true", b":1\r\n"),
        ("return false", null),
        ("return nil", null),
        ("return", null),
        ("return {}", b"*0\r\n"),
        ("return {1, 2, 3, 'ciao', {1, 2}}",
         b"*5\r\n:1\r\n:2\r\n:3\r\n$4\r\nciao\r\n*2\r\n:1\r\n:2\r\n"),
        ("return {1, 2, nil, 4}", b"*2\r\n:1\r\n:2\r\n"),  # arrays stop at the first nil
        ("local t = {} t[1] = 'a' t[3] = 'c' return t", b"*1\r\n$1\r\na\r\n"),
        ("return {1, 2, 3, foo = 'bar'}", b"*3\r\n:1\r\n:2\r\n:3\r\n"),  # hash part dropped
        ("return {a = 1}", b"*0\r\n"),
        ("return {true, false, 1.5}", b"*3\r\n:1\r\n" + null + b":1\r\n"),
        ("return {err = 'My Error'}", b"-My Error\r\n"),
        ("return {err = 'bad\\r\\nline'}", b"-bad  line\r\n"),
        ("return {ok = 'fine'}", b"+fine\r\n"),
        ("return {ok = 'a\\r\\nb'}", b"+a  b\r\n"),
        ("return {1, {err = 'e'}, {ok = 'o'}}", b"*3\r\n:1\r\n-e\r\n+o\r\n"),
        ("return {1, {2, {3, {4, {'deep'}}}}}",
         b"*2\r\n:1\r\n*2\r\n:2\r\n*2\r\n:3\r\n*2\r\n:4\r\n*1\r\n$4\r\ndeep\r\n"),
        ("return redis.call('set', 'k', 'v')", b"+OK\r\n"),
        ("return redis.call('get', 'nosuchkey')", null),
        # RESP3 types built in Lua, downgraded for RESP2 clients.
        ("return {double = 3.5}", b"$3\r\n3.5\r\n" if proto == 2 else b",3.5\r\n"),
        ("return {double = 3.14}",
         b"$18\r\n3.1400000000000001\r\n" if proto == 2 else b",3.1400000000000001\r\n"),
        ("return {double = 100}", b"$3\r\n100\r\n" if proto == 2 else b",100\r\n"),
        ("return {double = 1/0}", b"$3\r\ninf\r\n" if proto == 2 else b",inf\r\n"),
        ("return {double = -1/0}", b"$4\r\n-inf\r\n" if proto == 2 else b",-inf\r\n"),
        ("return {big_number = '123456789012345678901234567890'}",
         b"$30\r\n123456789012345678901234567890\r\n" if proto == 2 else
         b"(123456789012345678901234567890\r\n"),
        ("return {map = {a = 1}}",
         b"*2\r\n$1\r\na\r\n:1\r\n" if proto == 2 else b"%1\r\n$1\r\na\r\n:1\r\n"),
        ("return {map = {a = {1, 2}}}",
         b"*2\r\n$1\r\na\r\n*2\r\n:1\r\n:2\r\n" if proto == 2 else
         b"%1\r\n$1\r\na\r\n*2\r\n:1\r\n:2\r\n"),
        ("return {set = {a = true}}", b"*1\r\n$1\r\na\r\n" if proto == 2 else b"~1\r\n$1\r\na\r\n"),
        ("return {verbatim_string = {format = 'txt', string = 'hello'}}",
         b"$5\r\nhello\r\n" if proto == 2 else b"=9\r\ntxt:hello\r\n"),
    ]
    for body, want in cases:
        assert (body, c.call_raw("EVAL", body, "0")) == (body, want)
    v = c.call("EVAL", "return {verbatim_string = {format = 'txt', string = 'hello'}}", "0")
    assert v == b"hello" and isinstance(v, Verbatim) == (proto == 3)


def test_lua_to_resp_after_setresp3(c, proto):
    """After redis.setresp(3) booleans keep their type for RESP3 clients (RESP2: 1 and 0)."""
    null = b"$-1\r\n" if proto == 2 else b"_\r\n"
    cases = [
        ("return true", b":1\r\n" if proto == 2 else b"#t\r\n"),
        ("return false", b":0\r\n" if proto == 2 else b"#f\r\n"),
        ("return nil", null),
        ("return {1, true, false, 'x'}",
         b"*4\r\n:1\r\n:1\r\n:0\r\n$1\r\nx\r\n" if proto == 2 else
         b"*4\r\n:1\r\n#t\r\n#f\r\n$1\r\nx\r\n"),
        ("return {double = 1.5}", b"$3\r\n1.5\r\n" if proto == 2 else b",1.5\r\n"),
    ]
    for body, want in cases:
        body = "redis.setresp(3) " + body
        assert (body, c.call_raw("EVAL", body, "0")) == (body, want)
    body = "redis.setresp(4)"
    assert c.call("EVAL", body, "0") == script_error(body, "ERR RESP version must be 2 or 3.")
    body = "redis.setresp()"
    assert c.call("EVAL", body, "0") == script_error(
        body, "ERR redis.setresp() requires one argument.")


def test_command_replies_under_setresp3(c, proto):
    """Command replies reach Lua as RESP3 types after redis.setresp(3) and go back to the
    client in its own protocol."""
    c.call("HSET", "h", "f", "v")
    c.call("SADD", "s", "m")
    c.call("ZADD", "z", "2.5", "a", "3", "b")
    c.call("SET", "str", "x")
    resp2 = proto == 2
    cases = [
        ("return redis.call('hgetall', 'h')",
         b"*2\r\n$1\r\nf\r\n$1\r\nv\r\n" if resp2 else b"%1\r\n$1\r\nf\r\n$1\r\nv\r\n"),
        ("return redis.call('hgetall', 'nohash')", b"*0\r\n" if resp2 else b"%0\r\n"),
        ("return redis.call('smembers', 's')", b"*1\r\n$1\r\nm\r\n" if resp2 else
         b"~1\r\n$1\r\nm\r\n"),
        ("return redis.call('zscore', 'z', 'a')", b"$3\r\n2.5\r\n" if resp2 else b",2.5\r\n"),
        ("return redis.call('zrange', 'z', 0, -1, 'WITHSCORES')",
         b"*2\r\n*2\r\n$1\r\na\r\n$3\r\n2.5\r\n*2\r\n$1\r\nb\r\n$1\r\n3\r\n" if resp2 else
         b"*2\r\n*2\r\n$1\r\na\r\n,2.5\r\n*2\r\n$1\r\nb\r\n,3\r\n"),
        ("return redis.call('get', 'nosuchkey')", b"$-1\r\n" if resp2 else b"_\r\n"),
        ("return redis.call('set', 'k', 'v')", b"+OK\r\n"),
        # What the Lua side sees.
        ("local r = redis.call('hgetall', 'h') return {type(r), type(r.map), r.map.f}",
         b"*3\r\n$5\r\ntable\r\n$5\r\ntable\r\n$1\r\nv\r\n"),
        ("local r = redis.call('smembers', 's') return {type(r.set), tostring(r.set.m)}",
         b"*2\r\n$5\r\ntable\r\n$4\r\ntrue\r\n"),
        ("local r = redis.call('zscore', 'z', 'a') return {type(r), tostring(r.double)}",
         b"*2\r\n$5\r\ntable\r\n$3\r\n2.5\r\n"),
        ("local r = redis.call('zmscore', 'z', 'a', 'nope') return {type(r[1]), type(r[2])}",
         b"*2\r\n$5\r\ntable\r\n$3\r\nnil\r\n"),
        ("return type(redis.call('get', 'nosuchkey'))", b"$3\r\nnil\r\n"),
        ("return redis.call('set', 'k', 'v').ok", b"$2\r\nOK\r\n"),
        ("return redis.pcall('incr', 'str').err",
         b"$43\r\nERR value is not an integer or out of range\r\n"),
    ]
    for body, want in cases:
        body = "redis.setresp(3) " + body
        assert (body, c.call_raw("EVAL", body, "0")) == (body, want)
    # Under RESP2 (the default) the same replies are flat and null is false.
    body = "local r = redis.call('hgetall', 'h') return {type(r), #r}"
    assert c.call("EVAL", body, "0") == [b"table", 2]
    assert c.call("EVAL", "return type(redis.call('get', 'nosuchkey'))", "0") == b"boolean"
    assert c.call("EVAL", "redis.setresp(2) return redis.call('zscore', 'z', 'a')", "0") == b"2.5"


# ------------------------------------------------------------------------------------------------
# Sandbox and libraries


@pytest.mark.parametrize("name", ["os", "io", "loadfile", "dofile", "require", "package",
                                  "module", "debug", "print", "setfenv", "getfenv", "newproxy"])
def test_sandbox_globals_absent(c, name):
    body = "return type(%s)" % name
    assert c.call("EVAL", body, "0") == script_error(
        body, "ERR user_script:1: Script attempted to access nonexistent global variable "
              "'%s'" % name)


def test_sandbox_globals_present(c):
    names = ["cjson", "cmsgpack", "bit", "struct", "math", "string", "table", "redis",
             "coroutine", "_G", "pcall", "xpcall", "tostring", "tonumber", "unpack", "select",
             "error", "rawget", "setmetatable", "loadstring", "load", "pairs", "ipairs",
             "gcinfo", "collectgarbage"]
    body = "return {%s}" % ", ".join("type(%s)" % n for n in names)
    want = [b"function" if n not in ("cjson", "cmsgpack", "bit", "struct", "math", "string",
                                     "table", "redis", "coroutine", "_G") else b"table"
            for n in names]
    assert c.call("EVAL", body, "0") == want
    assert c.call("EVAL", "return _VERSION", "0") == b"Lua 5.1"
    assert c.call("EVAL", "return loadstring('return 5')()", "0") == 5


@pytest.mark.parametrize("stmt", [
    "x = 1", "_G.x = 1", "redis = nil", "redis.call = function() return 1 end", "redis.x = 1",
    "cjson.encode = nil", "string.x = 1", "math.random = nil", "table.insert = nil",
    "local function f() y = 2 end f()",
])
def test_sandbox_read_only(c, stmt):
    assert c.call("EVAL", stmt, "0") == script_error(
        stmt, "ERR user_script:1: Attempt to modify a readonly table")
    # Nothing changed for the next script.
    assert c.call("EVAL", "return {type(redis.call), type(cjson.encode), type(string.x)}",
                  "0") == [b"function", b"function", b"nil"]


def test_sandbox_rawset_and_setmetatable(c):
    for stmt in ("rawset(_G, 'x', 1)", "setmetatable(_G, nil)"):
        assert c.call("EVAL", stmt, "0") == script_error(
            stmt, "ERR Attempt to modify a readonly table")
    # Local tables are the script's own.
    assert c.call("EVAL", "local t = {} t.x = 1 rawset(t, 'y', 2) return {t.x, t.y}", "0") == \
        [1, 2]


def test_cjson(c):
    assert c.call("EVAL", "return cjson.encode({1, 2, 3, {a = 'b'}})", "0") == \
        b'[1,2,3,{"a":"b"}]'
    assert c.call("EVAL", "return cjson.encode({a = 1})", "0") == b'{"a":1}'
    body = ("local t = cjson.decode(ARGV[1]) "
            "return {t.a[1], t.a[2], tostring(t.a[3].b), t.c, tostring(t.n == cjson.null)}")
    assert c.call("EVAL", body, "0", '{"a":[1,2,{"b":true}],"c":"x","n":null}') == \
        [1, 2, b"true", b"x", b"true"]
    assert c.call("EVAL", "return cjson.encode(cjson.decode(ARGV[1]))", "0",
                  '[1.5,null,"x"]') == b'[1.5,null,"x"]'
    body = "return cjson.decode('[1,2')"
    assert c.call("EVAL", body, "0") == script_error(
        body, "ERR user_script:1: Expected comma or array end but found T_END at character 5")
    # A common use: values stored as JSON and updated atomically.
    c.call("SET", "doc", '{"n":1}')
    body = ("local d = cjson.decode(redis.call('get', KEYS[1])) d.n = d.n + tonumber(ARGV[1]) "
            "redis.call('set', KEYS[1], cjson.encode(d)) return d.n")
    assert c.call("EVAL", body, "1", "doc", "41") == 42
    assert c.call("GET", "doc") == b'{"n":42}'


def test_cmsgpack(c):
    assert c.call("EVAL", "return cmsgpack.pack({1, 2, 3})", "0") == b"\x93\x01\x02\x03"
    assert c.call("EVAL", "return cmsgpack.pack('abc')", "0") == b"\xa3abc"
    body = ("local t = cmsgpack.unpack(cmsgpack.pack({1, 2, 'x', {a = 5}})) "
            "return {t[1], t[3], t[4].a}")
    assert c.call("EVAL", body, "0") == [1, b"x", 5]
    assert c.call("EVAL", "return {cmsgpack.unpack(ARGV[1])}", "0", b"\x01\xa2hi\xc3") == \
        [1, b"hi", 1]


def test_bit_and_struct(c):
    body = ("return {bit.band(12, 10), bit.bor(12, 10), bit.bxor(12, 10), bit.lshift(1, 4), "
            "bit.rshift(256, 4), bit.bnot(0), bit.tohex(255), bit.arshift(-256, 4)}")
    assert c.call("EVAL", body, "0") == [8, 14, 6, 16, 16, -1, b"000000ff", -16]
    assert c.call("EVAL", "return struct.pack('>I2', 258)", "0") == b"\x01\x02"
    assert c.call("EVAL", "return {struct.unpack('>I2', struct.pack('>I2', 258))}", "0") == \
        [258, 3]
    assert c.call("EVAL", "return {struct.unpack('<i4i4', struct.pack('<i4i4', -5, 7))}", "0") \
        == [-5, 7, 9]
    assert c.call("EVAL", "return struct.size('>I4')", "0") == 4
    assert c.call("EVAL", "return struct.pack('<HBs', 1, 2, 'ab')", "0") == b"\x01\x00\x02ab\x00"


# ------------------------------------------------------------------------------------------------
# What scripts may not do


@pytest.mark.parametrize("cmd", [
    ["eval", "return 1", "0"], ["evalsha", "f" * 40, "0"], ["eval_ro", "return 1", "0"],
    ["fcall", "f", "0"], ["fcall_ro", "f", "0"], ["multi"], ["exec"], ["discard"],
    # (The pub/sub commands join this list once strata-server has them.)
    ["watch", "k"], ["unwatch"], ["script", "load", "return 1"], ["script", "flush"],
    ["function", "flush"], ["function", "list"], ["blpop", "l", "0"], ["brpop", "l", "1"],
    ["blmove", "a", "b", "LEFT", "LEFT", "0"], ["brpoplpush", "a", "b", "0"],
    ["bzpopmin", "z", "0"], ["client", "id"], ["config", "get", "maxmemory"],
    ["debug", "sleep", "0"], ["auth", "x"], ["hello"], ["monitor"], ["reset"],
], ids=lambda cmd: cmd[0] + ("-" + cmd[1] if cmd[0] in ("script", "function") else ""))
def test_commands_not_allowed_from_scripts(c, cmd):
    lua_args = ", ".join("'%s'" % a for a in cmd)
    body = "return redis.call(%s)" % lua_args
    assert c.call("EVAL", body, "0") == script_error(
        body, "ERR This Redis command is not allowed from script")
    assert c.call("EVAL", "return redis.pcall(%s)" % lua_args, "0") == \
        E("ERR This Redis command is not allowed from script")
    assert c.call("PING") == "PONG"  # the connection is in no special state afterwards


def test_select_inside_a_script_stays_inside(c):
    body = ("redis.call('select', ARGV[1]) redis.call('set', KEYS[1], 'in db') "
            "return redis.call('dbsize')")
    assert c.call("EVAL", body, "1", "dbkey", "3") == 1
    assert c.call("EXISTS", "dbkey") == 0  # the client is still in database 0
    assert c.call("SELECT", "3") == "OK"
    assert c.call("GET", "dbkey") == b"in db"
    # A script starts in its client's database.
    assert c.call("EVAL", "return redis.call('get', KEYS[1])", "1", "dbkey") == b"in db"
    c.call("SELECT", "0")


def test_read_only_scripts(c):
    c.call("SET", "k", "v")
    ro_err = "ERR Write commands are not allowed from read-only scripts."
    body = "return redis.call('set', KEYS[1], 'x')"
    assert c.call("EVAL_RO", body, "1", "k") == script_error(body, ro_err)
    sha = c.call("SCRIPT", "LOAD", body).decode()
    assert c.call("EVALSHA_RO", sha, "1", "k") == script_error(body, ro_err)
    assert c.call("EVALSHA", sha, "1", "k") == "OK"  # the same script writes under EVALSHA
    body = "return redis.pcall('del', KEYS[1])"
    assert c.call("EVAL_RO", body, "1", "k") == E(ro_err)
    assert c.call("EVAL_RO", "return redis.call('get', KEYS[1])", "1", "k") == b"x"
    # A no-writes shebang makes EVAL read-only too.
    body = "#!lua flags=no-writes\nreturn redis.call('set', KEYS[1], 'y')"
    assert c.call("EVAL", body, "1", "k") == script_error(body, ro_err, line=2)
    body = "#!lua flags=no-writes\nreturn redis.call('get', KEYS[1])"
    assert c.call("EVAL", body, "1", "k") == b"x"
    assert c.call("EVAL_RO", body, "1", "k") == b"x"
    # A shebang without no-writes declares a script that may write: *_RO refuses it outright.
    body = "#!lua\nreturn redis.call('get', KEYS[1])"
    assert c.call("EVAL", body, "1", "k") == b"x"
    assert c.call("EVAL_RO", body, "1", "k") == \
        E("ERR Can not execute a script with write flag using *_ro command.")
    assert c.call("GET", "k") == b"x"


def test_shebang_errors(c):
    assert c.call("EVAL", "#!lua flags=foo\nreturn 1", "0") == \
        E("ERR Unexpected flag in script shebang: foo")
    assert c.call("EVAL", "#!lua name=x\nreturn 1", "0") == \
        E("ERR Unknown lua shebang option: name=x")
    assert c.call("EVAL", "#!notlua\nreturn 1", "0") == \
        E("ERR Unexpected engine in script shebang: #!notlua")
    assert c.call("EVAL", "#!lua flags=no-writes,allow-oom\nreturn 1", "0") == 1
    assert c.call("EVAL", "#!lua flags=\nreturn redis.call('set', 'k', '1')", "0") == "OK"


# ------------------------------------------------------------------------------------------------
# Scripts across shards


def test_script_reads_and_writes_keys_on_every_shard(c):
    c.call("MSET", *[x for i, k in enumerate(ACCTS) for x in (k, str(i))])
    # Declared: read them all, write them all, read back its own writes.
    body = """
    local sum = 0
    for i, k in ipairs(KEYS) do sum = sum + tonumber(redis.call('get', k)) end
    for i, k in ipairs(KEYS) do redis.call('set', k, sum + i) end
    local back = redis.call('mget', unpack(KEYS))
    return {sum, back[1], back[#back], redis.call('exists', unpack(KEYS))}
    """
    total = sum(range(32))
    assert c.call("EVAL", body, str(len(ACCTS)), *ACCTS) == \
        [total, str(total + 1).encode(), str(total + 32).encode(), 32]
    assert c.call("MGET", *ACCTS) == [str(total + i + 1).encode() for i in range(32)]
    # Undeclared: the script builds the key names itself (numkeys 0).
    body = """
    local n = tonumber(ARGV[1])
    local sum = 0
    for i = 0, n - 1 do
      local k = 'acct:' .. i
      sum = sum + tonumber(redis.call('get', k))
      redis.call('set', k, i)
      redis.call('set', 'new:' .. i, i * 2)
    end
    return {sum, redis.call('get', 'acct:31'), redis.call('get', 'new:31')}
    """
    assert c.call("EVAL", body, "0", "32") == [sum(total + i + 1 for i in range(32)), b"31", b"62"]
    assert c.call("MGET", *ACCTS) == [str(i).encode() for i in range(32)]
    assert c.call("MGET", *["new:%d" % i for i in range(32)]) == \
        [str(i * 2).encode() for i in range(32)]
    # Keys of every type, on every shard, in one script.
    body = """
    for i = 1, 16 do
      redis.call('hset', 'th:' .. i, 'f', i)
      redis.call('rpush', 'tl:' .. i, i)
      redis.call('sadd', 'ts:' .. i, i)
      redis.call('zadd', 'tz:' .. i, i, 'm')
    end
    local n = 0
    for i = 1, 16 do
      n = n + redis.call('hget', 'th:' .. i, 'f') + redis.call('lindex', 'tl:' .. i, 0)
        + redis.call('scard', 'ts:' .. i) + redis.call('zscore', 'tz:' .. i, 'm')
    end
    return n
    """
    assert c.call("EVAL", body, "0") == 3 * sum(range(1, 17)) + 16
    assert c.call("DBSIZE") == 32 * 2 + 64


TRANSFER_DECLARED = """
local from, to = KEYS[tonumber(ARGV[1])], KEYS[tonumber(ARGV[2])]
local n = tonumber(redis.call('get', from))
if n <= 0 then return 0 end
redis.call('decr', from)
redis.call('incr', to)
return 1
"""

TRANSFER_UNDECLARED = """
local from, to = 'acct:' .. ARGV[1], 'acct:' .. ARGV[2]
local n = tonumber(redis.call('get', from))
if n <= 0 then return 0 end
redis.call('decrby', from, 1)
redis.call('incrby', to, 1)
return 1
"""

SUM_ALL = """
local s = 0
for i = 0, 31 do s = s + tonumber(redis.call('get', 'acct:' .. i)) end
return s
"""


@pytest.mark.parametrize("declared", [True, False], ids=["declared", "undeclared"])
def test_concurrent_transfers_keep_the_sum(server, declared):
    """Two clients move units between counters on different shards with a script; readers
    (MGET, a read-only script, MULTI/EXEC) never see the total change."""
    with server.conn() as admin:
        admin.call("MSET", *[x for k in ACCTS for x in (k, "100")])
    total = 100 * len(ACCTS)
    stop = threading.Event()
    bad = []
    reads = [0]
    moved = [0, 0]

    def mover(idx, seed):
        def run():
            r = client(server)
            rnd = random.Random(seed)
            script = r.register_script(TRANSFER_DECLARED if declared else TRANSFER_UNDECLARED)
            try:
                for _ in range(300):
                    a, b = rnd.sample(range(len(ACCTS)), 2)
                    if declared:
                        moved[idx] += script(keys=ACCTS, args=[a + 1, b + 1])
                    else:
                        moved[idx] += script(keys=[], args=[a, b])
            finally:
                r.close()
        return run

    def movers_done(fns):
        def run():
            try:
                run_threads(fns)
            finally:
                stop.set()
        return run

    def mget_reader():
        with server.conn() as c:
            while not stop.is_set():
                vals = c.call("MGET", *ACCTS)
                reads[0] += 1
                if sum(int(v) for v in vals) != total:
                    bad.append(("mget", vals))
                    return

    def script_reader():
        with server.conn(protocol=3) as c:
            sha = c.call("SCRIPT", "LOAD", "#!lua flags=no-writes\n" + SUM_ALL).decode()
            while not stop.is_set():
                s = c.call("EVALSHA_RO", sha, "0")
                reads[0] += 1
                if s != total:
                    bad.append(("script", s))
                    return

    def tx_reader():
        with server.conn() as c:
            while not stop.is_set():
                c.call("MULTI")
                for k in ACCTS:
                    c.call("GET", k)
                vals = c.call("EXEC")
                if sum(int(v) for v in vals) != total:
                    bad.append(("multi", vals))
                    return

    run_threads([movers_done([mover(0, 1), mover(1, 2)]), mget_reader, script_reader,
                 tx_reader])
    assert not bad, bad[:2]
    assert reads[0] > 10
    assert sum(moved) > 0
    with server.conn() as c:
        vals = [int(v) for v in c.call("MGET", *ACCTS)]
        assert sum(vals) == total and min(vals) >= 0


@pytest.mark.parametrize("declared", [True, False], ids=["declared", "undeclared"])
def test_script_writes_every_shard_at_once(server, declared):
    """A script sets 32 keys to the same generation; MGET and a reading script never see two
    generations at once."""
    stop = threading.Event()
    bad = []
    if declared:
        body = "for i, k in ipairs(KEYS) do redis.call('set', k, ARGV[1]) end return #KEYS"
    else:
        body = "for i = 0, 31 do redis.call('set', 'acct:' .. i, ARGV[1]) end return 32"
    reader_body = ("local v = redis.call('mget', unpack(KEYS)) "
                   "for i = 2, #v do if v[i] ~= v[1] then return {err = 'torn'} end end "
                   "return v[1]")

    def writer():
        with server.conn() as c:
            try:
                for gen in range(300):
                    keys = ACCTS if declared else []
                    assert c.call("EVAL", body, str(len(keys)), *(keys + [str(gen)])) == 32
            finally:
                stop.set()

    def mget_reader():
        with server.conn() as c:
            while not stop.is_set():
                vals = c.call("MGET", *ACCTS)
                if len(set(vals)) != 1:
                    bad.append(vals)
                    return

    def script_reader():
        with server.conn() as c:
            while not stop.is_set():
                v = c.call("EVAL_RO", reader_body, str(len(ACCTS)), *ACCTS)
                if isinstance(v, RespError):
                    bad.append(v)
                    return

    with server.conn() as admin:
        admin.call("MSET", *[x for k in ACCTS for x in (k, "init")])
    run_threads([writer, mget_reader, script_reader])
    assert not bad, bad[:2]
    with server.conn() as c:
        assert c.call("MGET", *ACCTS) == [b"299"] * 32


# ------------------------------------------------------------------------------------------------
# Real clients


def test_redis_py_scripts(server):
    r = client(server, decode_responses=True)
    try:
        incr = r.register_script("return redis.call('incrby', KEYS[1], ARGV[1])")
        assert incr(keys=["ctr"], args=[5]) == 5
        assert r.script_exists(incr.sha) == [True]
        r.script_flush()
        assert incr(keys=["ctr"], args=[2]) == 7  # reloads itself after NOSCRIPT
        assert r.eval("return {KEYS[1], ARGV[1]}", 1, "k", "a") == ["k", "a"]
        sha = r.script_load("return 'sha'")
        assert r.evalsha(sha, 0) == "sha"
        assert r.evalsha_ro(sha, 0) == "sha"
        assert r.eval_ro("return redis.call('get', KEYS[1])", 1, "ctr") == "7"
        with pytest.raises(redis.exceptions.NoScriptError):
            r.evalsha("0" * 40, 0)
        with pytest.raises(redis.exceptions.ResponseError, match="not allowed from read-only"):
            r.eval_ro("return redis.call('set', KEYS[1], 'x')", 1, "k")
        # Pipelined script calls.
        with r.pipeline(transaction=False) as p:
            for _ in range(100):
                incr(keys=["ctr"], args=[1], client=p)
            assert p.execute() == list(range(8, 108))
    finally:
        r.close()


def test_redis_py_lock_mutual_exclusion(server):
    """redis-py's Lock (SET NX PX to acquire, Lua scripts to release and extend): 20 threads
    contend; never two holders at once, and a read-modify-write under the lock loses nothing."""
    inside = [0]
    guard = threading.Lock()
    bad = []
    failed = threading.Event()  # one worker failed: the others stop instead of waiting

    def worker():
        r = client(server)
        try:
            for _ in range(10):
                lock = r.lock("resource", timeout=10, sleep=0.002)
                while not lock.acquire(blocking_timeout=1):
                    if failed.is_set():
                        return
                try:
                    with guard:
                        inside[0] += 1
                        if inside[0] != 1:
                            bad.append(inside[0])
                    if not r.set("holder", "x", nx=True):
                        bad.append("holder key present")
                    n = int(r.get("count") or 0)
                    r.set("count", n + 1)
                    assert lock.owned()
                    r.delete("holder")
                    with guard:
                        inside[0] -= 1
                finally:
                    lock.release()
        except BaseException:
            failed.set()
            raise
        finally:
            r.close()

    run_threads([worker] * 20)
    assert not bad, bad[:5]
    with server.conn() as c:
        assert c.call("GET", "count") == b"200"
        assert c.call("EXISTS", "resource", "holder") == 0


def test_redis_py_lock_not_owner(server):
    r = client(server)
    try:
        a = r.lock("res", timeout=10)
        assert a.acquire(blocking=False)
        b = r.lock("res", timeout=10)
        assert not b.acquire(blocking=False)
        with pytest.raises(redis.exceptions.LockError):
            b.release()  # b never acquired it
        # A holder whose lock expired and was taken by another cannot release or extend it.
        stale = r.lock("res2", timeout=0.2)
        assert stale.acquire(blocking=False)
        time.sleep(0.4)
        fresh = r.lock("res2", timeout=10)
        assert fresh.acquire(blocking=False)
        with pytest.raises(redis.exceptions.LockNotOwnedError):
            stale.extend(10)
        with pytest.raises(redis.exceptions.LockNotOwnedError):
            stale.reacquire()
        with pytest.raises(redis.exceptions.LockNotOwnedError):
            stale.release()  # (forgets its token)
        assert fresh.owned() and fresh.locked()
        assert r.get("res2") == fresh.local.token
        assert 9 <= r.ttl("res2") <= 10
        assert fresh.extend(20)
        assert 28 <= r.ttl("res2") <= 30
        fresh.release()
        assert not fresh.locked()
        assert a.locked()
        a.release()
        assert r.exists("res", "res2") == 0
    finally:
        r.close()


TOKEN_BUCKET = """
local key = KEYS[1]
local capacity = tonumber(ARGV[1])
local rate = tonumber(ARGV[2])       -- tokens per millisecond
local now = tonumber(ARGV[3])
local want = tonumber(ARGV[4])
if now < 0 then
  local t = redis.call('TIME')
  now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
end
local state = redis.call('HMGET', key, 'tokens', 'ts')
local tokens, ts = tonumber(state[1]), tonumber(state[2])
if tokens == nil then tokens, ts = capacity, now end
if now > ts then
  tokens = math.min(capacity, tokens + (now - ts) * rate)
  ts = now
end
local granted = 0
if tokens >= want then
  tokens = tokens - want
  granted = 1
end
redis.call('HSET', key, 'tokens', tokens, 'ts', ts)
redis.call('PEXPIRE', key, 60000)
return granted
"""


def test_token_bucket_under_50_clients(server):
    """50 clients take tokens from buckets on a script: grants never exceed what the bucket
    holds. With a clock passed in, the count is exact; with TIME and no refill too."""
    barrier = threading.Barrier(50)
    granted = {"fixed1": 0, "fixed2": 0, "time": 0}
    guard = threading.Lock()

    def worker(i):
        def run():
            r = client(server)
            try:
                bucket = r.register_script(TOKEN_BUCKET)
                mine = {"fixed1": 0, "fixed2": 0, "time": 0}
                barrier.wait(30)
                for _ in range(3):  # capacity 40, no time passes: 40 of 150 granted
                    mine["fixed1"] += bucket(keys=["bucket:fixed"], args=[40, 0.01, 1000, 1])
                barrier.wait(30)
                for _ in range(3):  # 1000 ms later at 0.01/ms: 10 more tokens
                    mine["fixed2"] += bucket(keys=["bucket:fixed"], args=[40, 0.01, 2000, 1])
                for _ in range(2):  # server clock, no refill: 25 of 100 granted, 2 each
                    mine["time"] += bucket(keys=["bucket:time"], args=[50, 0, -1, 2])
                with guard:
                    for k, v in mine.items():
                        granted[k] += v
            except BaseException:
                barrier.abort()  # the others fail at once instead of waiting out the barrier
                raise
            finally:
                r.close()
        return run

    run_threads([worker(i) for i in range(50)])
    assert granted == {"fixed1": 40, "fixed2": 10, "time": 25}
    with server.conn() as c:
        assert c.call("HMGET", "bucket:fixed", "tokens", "ts") == [b"0", b"2000"]
        assert c.call("HGET", "bucket:time", "tokens") == b"0"
        assert 0 < c.call("PTTL", "bucket:fixed") <= 60000


# ------------------------------------------------------------------------------------------------
# Transactions


def test_eval_inside_multi(c):
    c.call("SCRIPT", "LOAD", "return 'cached'")
    assert c.call("MULTI") == "OK"
    assert c.call("EVAL", "return redis.call('incr', KEYS[1])", "1", "mk") == "QUEUED"
    assert c.call("EVALSHA", sha1("return 'cached'"), "0") == "QUEUED"
    assert c.call("EVAL", "return redis.call('nosuch')", "0") == "QUEUED"
    assert c.call("EVALSHA", "f" * 40, "0") == "QUEUED"
    assert c.call("EVAL", "return 1", "5") == "QUEUED"  # numkeys is checked when it runs
    assert c.call("EVAL", "return redis.call('incr', KEYS[1])", "1", "mk") == "QUEUED"
    assert c.call("EXEC") == [
        1, b"cached",
        script_error("return redis.call('nosuch')", "ERR Unknown Redis command called from script"),
        NOSCRIPT,
        E("ERR Number of keys can't be greater than number of args"), 2]
    # Wrong arity while queuing aborts the transaction.
    c.call("MULTI")
    assert c.call("EVAL", "return 1") == E("ERR wrong number of arguments for 'eval' command")
    assert c.call("EXEC") == E("EXECABORT Transaction discarded because of previous errors.")
    # Scripts and plain commands across shards in one transaction.
    c.call("MULTI")
    c.call("EVAL", "for i, k in ipairs(KEYS) do redis.call('set', k, 'tx') end return #KEYS",
           str(len(ACCTS)), *ACCTS)
    c.call("MGET", *ACCTS)
    c.call("FCALL", "nosuchfunction", "0")
    r = c.call("EXEC")
    assert r[0] == 32 and r[1] == [b"tx"] * 32 and r[2] == E("ERR Function not found")


def test_watch_sees_script_writes(server):
    with server.conn() as w, server.conn() as other:
        # A script that writes a watched key, declared or not, fails the EXEC.
        for body, keys in [("return redis.call('set', KEYS[1], 'x')", ["wk"]),
                           ("return redis.call('set', 'wk', 'y')", [])]:
            assert w.call("WATCH", "wk") == "OK"
            assert other.call("EVAL", body, str(len(keys)), *keys) == "OK"
            w.call("MULTI")
            w.call("GET", "wk")
            assert w.call("EXEC") is None
        # A script that only reads it does not.
        w.call("WATCH", "wk")
        assert other.call("EVAL", "return redis.call('get', 'wk')", "0") == b"y"
        w.call("MULTI")
        w.call("GET", "wk")
        assert w.call("EXEC") == [b"y"]
        # Nor does a script that fails before writing it.
        w.call("WATCH", "wk")
        assert isinstance(other.call("EVAL", "redis.call('nosuch') redis.call('set', 'wk', 'z')",
                                     "0"), RespError)
        w.call("MULTI")
        w.call("GET", "wk")
        assert w.call("EXEC") == [b"y"]


def test_optimistic_script_vs_watch_clients(server):
    """Scripted increments and redis-py WATCH/MULTI/EXEC increments of the same counter from 20
    clients: none is lost."""
    def scripted():
        r = client(server)
        incr = r.register_script("local n = tonumber(redis.call('get', KEYS[1]) or '0') "
                                 "redis.call('set', KEYS[1], n + 1) return n + 1")
        for _ in range(25):
            incr(keys=["counter"])
        r.close()

    def optimistic():
        r = client(server)
        for _ in range(25):
            with r.pipeline() as p:
                while True:
                    try:
                        p.watch("counter")
                        n = int(p.get("counter") or 0)
                        p.multi()
                        p.set("counter", n + 1)
                        p.execute()
                        break
                    except redis.WatchError:
                        continue
        r.close()

    run_threads([scripted] * 10 + [optimistic] * 10)
    with server.conn() as c:
        assert c.call("GET", "counter") == b"500"


# ------------------------------------------------------------------------------------------------
# Functions

MYLIB = """#!lua name=mylib
redis.register_function('myset', function(keys, args)
  return redis.call('set', keys[1], args[1])
end)
redis.register_function{
  function_name='myget',
  callback=function(keys, args) return redis.call('get', keys[1]) end,
  flags={'no-writes'},
  description='reads'}
"""

MYLIB_V2 = """#!lua name=mylib
redis.register_function('myset', function(keys, args)
  return redis.call('set', keys[1], 'v2:' .. args[1])
end)
redis.register_function('mynew', function(keys, args) return 'new' end)
"""

LIBA = "#!lua name=liba\nredis.register_function('fa', function(keys, args) return 'a' end)"
LIBB = "#!lua name=libb\nredis.register_function('fb', function(keys, args) return 'b' end)"


def as_dict(entry):
    """A FUNCTION LIST/STATS map as a dict with str keys (RESP2: a flat array)."""
    if isinstance(entry, list):
        entry = dict(zip(entry[0::2], entry[1::2]))
    return {(k.decode() if isinstance(k, bytes) else k): v for k, v in entry.items()}


def libraries(conn, *args):
    out = {}
    for lib in conn.call("FUNCTION", "LIST", *args):
        d = as_dict(lib)
        d["functions"] = sorted((as_dict(f) for f in d["functions"]), key=lambda f: f["name"])
        out[d["library_name"].decode()] = d
    return out


def test_function_load_and_call(c):
    assert c.call("FUNCTION", "LOAD", MYLIB) == b"mylib"
    assert c.call("FCALL", "myset", "1", "k", "v") == "OK"
    assert c.call("FCALL", "myget", "1", "k") == b"v"
    assert c.call("FCALL_RO", "myget", "1", "k") == b"v"
    assert c.call("fcall", "MYGET", "1", "k") == b"v"  # function names ignore case
    assert c.call("FCALL_RO", "myset", "1", "k", "x") == \
        E("ERR Can not execute a script with write flag using *_ro command.")
    assert c.call("FCALL", "nosuch", "0") == E("ERR Function not found")
    assert c.call("FCALL_RO", "nosuch", "0") == E("ERR Function not found")
    assert c.call("FCALL", "myget", "5", "k") == \
        E("ERR Number of keys can't be greater than number of args")
    assert c.call("FCALL", "myget", "-1", "k") == E("ERR Number of keys can't be negative")
    # A bad numkeys is FCALL's own text (EVAL: "value is not an integer"), checked after the
    # function is found.
    assert c.call("FCALL", "myget", "x") == E("ERR Bad number of keys provided")
    assert c.call("FCALL", "myget", "1.5", "k") == E("ERR Bad number of keys provided")
    assert c.call("FCALL", "nosuch", "x") == E("ERR Function not found")
    assert c.call("FCALL", "nosuch", "5") == E("ERR Function not found")
    assert c.call("FCALL", "myget") == E("ERR wrong number of arguments for 'fcall' command")
    assert c.call("FCALL_RO", "myget") == E("ERR wrong number of arguments for 'fcall_ro' command")
    assert c.call("GET", "k") == b"v"
    # Loading the same library again needs REPLACE; REPLACE swaps the whole library.
    assert c.call("FUNCTION", "LOAD", MYLIB) == E("ERR Library 'mylib' already exists")
    assert c.call("FUNCTION", "LOAD", "REPLACE", MYLIB_V2) == b"mylib"
    assert c.call("FCALL", "myset", "1", "k", "w") == "OK"
    assert c.call("GET", "k") == b"v2:w"
    assert c.call("FCALL", "mynew", "0") == b"new"
    assert c.call("FCALL", "myget", "1", "k") == E("ERR Function not found")
    assert c.call("FUNCTION", "LOAD", "replace", MYLIB) == b"mylib"
    assert c.call("FCALL", "mynew", "0") == E("ERR Function not found")
    assert c.call("FUNCTION", "LOAD", "FOO", MYLIB) == E("ERR Unknown option given: FOO")
    assert c.call("FUNCTION", "LOAD") == \
        E("ERR wrong number of arguments for 'function|load' command")


def test_function_name_conflicts(c):
    assert c.call("FUNCTION", "LOAD", LIBA) == b"liba"
    conflict = "#!lua name=libc\nredis.register_function('fa', function() return 'c' end)"
    assert c.call("FUNCTION", "LOAD", conflict) == E("ERR Function fa already exists")
    assert c.call("FUNCTION", "LOAD", "REPLACE", conflict) == E("ERR Function fa already exists")
    assert c.call("FCALL", "fa", "0") == b"a"
    assert list(libraries(c)) == ["liba"]


def test_function_keys_args_and_errors(c):
    lib = """#!lua name=errlib
local function boom(keys, args)
  error('kaboom')
end
redis.register_function('boom', boom)
redis.register_function('callbad', function(keys, args) return redis.call('nosuch') end)
redis.register_function('ret', function(keys, args) return {keys[1], args[1], #keys, #args} end)
redis.register_function('glob', function(keys, args) x = 1 end)
redis.register_function{function_name='ro_write', callback=function(keys, args) return redis.call('set', keys[1], 'x') end, flags={'no-writes'}}
redis.register_function('pcallbad', function(keys, args) return redis.pcall('incr', keys[1]) end)
"""
    assert c.call("FUNCTION", "LOAD", lib) == b"errlib"
    assert c.call("FCALL", "ret", "1", "k", "a") == [b"k", b"a", 1, 1]
    assert c.call("FCALL", "ret", "0", "a", "b") == []  # keys[1] is nil: the array ends there
    assert c.call("FCALL", "ret", "2", "k1", "k2", "a") == [b"k1", b"a", 2, 1]
    assert c.call("FCALL", "boom", "0") == \
        function_error("boom", "ERR user_function:3: kaboom", 3)
    assert c.call("FCALL", "callbad", "0") == \
        function_error("callbad", "ERR Unknown Redis command called from script", 6)
    assert c.call("FCALL", "glob", "0") == \
        function_error("glob", "ERR user_function:8: Attempt to modify a readonly table", 8)
    ro_err = "ERR Write commands are not allowed from read-only scripts."
    assert c.call("FCALL", "ro_write", "1", "k") == function_error("ro_write", ro_err, 9)
    assert c.call("FCALL_RO", "ro_write", "1", "k") == function_error("ro_write", ro_err, 9)
    c.call("SET", "s", "text")
    assert c.call("FCALL", "pcallbad", "1", "s") == \
        E("ERR value is not an integer or out of range")
    assert c.call("EXISTS", "k") == 0


def test_function_ret_without_keys(c):
    lib = "#!lua name=r\nredis.register_function('ret', function(keys, args) " \
          "return {#keys, #args, args[1], args[2]} end)"
    c.call("FUNCTION", "LOAD", lib)
    assert c.call("FCALL", "ret", "0", "a", "b") == [0, 2, b"a", b"b"]


def test_function_load_errors(c):
    cases = [
        ("return 1", "ERR Missing library metadata"),
        ("#!lua\nreturn 1", "ERR Library name was not given"),
        ("#!lua name=x\nreturn 1", "ERR No functions registered"),
        ("#!lua name=x y\nreturn 1", "ERR Invalid metadata value given: y"),
        ("#!lua name=x foo=bar\nreturn 1", "ERR Invalid metadata value given: foo=bar"),
        ("#!js name=x\nreturn 1", "ERR Engine 'js' not found"),
        ("#!lua name=x-1\nredis.register_function('f', function() return 1 end)",
         "ERR Library names can only contain letters, numbers, or underscores(_) and must be at "
         "least one character long"),
        ("#!lua name=x\nreturn +",
         "ERR Error compiling function: user_function:2: unexpected symbol near '+'"),
        ("#!lua name=x\nredis.call('set','a','b')",
         "ERR Error registering functions: ERR user_function:2: Script attempted to access "
         "nonexistent global variable 'call'"),
        ("#!lua name=x\nredis.register_function('f', function() return 1 end)\n"
         "redis.register_function('f', function() return 1 end)",
         "ERR Error registering functions: ERR Function already exists in the library"),
        ("#!lua name=x\nredis.register_function('f')",
         "ERR Error registering functions: ERR calling redis.register_function with a single "
         "argument is only applicable to Lua table (representing named arguments)."),
        ("#!lua name=x\nredis.register_function('f', 'notfn')",
         "ERR Error registering functions: ERR second argument to redis.register_function must "
         "be a function"),
        ("#!lua name=x\nredis.register_function{function_name='f', callback=function() return 1 "
         "end, flags={'bad'}}", "ERR Error registering functions: ERR unknown flag given"),
        ("#!lua name=x\nredis.register_function{function_name='f', callback=function() return 1 "
         "end, flags='no-writes'}",
         "ERR Error registering functions: ERR flags argument to redis.register_function must be "
         "a table representing function flags"),
        ("#!lua name=x\nredis.register_function{function_name='f'}",
         "ERR Error registering functions: ERR redis.register_function must get a callback "
         "argument"),
        ("#!lua name=x\nredis.register_function{function_name='f', callback=function() return 1 "
         "end, foo=1}",
         "ERR Error registering functions: ERR unknown argument given to "
         "redis.register_function"),
        ("#!lua name=x\nredis.register_function('1f-', function() return 1 end)",
         "ERR Error registering functions: ERR Library names can only contain letters, numbers, "
         "or underscores(_) and must be at least one character long"),
    ]
    for code, err in cases:
        assert (code, c.call("FUNCTION", "LOAD", code)) == (code, E(err))
    assert c.call("FUNCTION", "LIST") == []


def test_function_list_shape(c, proto):
    c.call("FUNCTION", "LOAD", MYLIB)
    c.call("FUNCTION", "LOAD", LIBA)
    libs = c.call("FUNCTION", "LIST")
    assert isinstance(libs, list) and len(libs) == 2
    entry = [x for x in libs if as_dict(x)["library_name"] == b"mylib"][0]
    if proto == 3:
        assert isinstance(entry, dict)
        assert list(entry) == [b"library_name", b"engine", b"functions"]
        funcs = sorted(entry[b"functions"], key=lambda f: f[b"name"])
        assert funcs == [
            {b"name": b"myget", b"description": b"reads", b"flags": ["no-writes"]},
            {b"name": b"myset", b"description": None, b"flags": []}]
        assert all(isinstance(f[b"flags"], RespSet) for f in funcs)
    else:
        assert entry[:5] == [b"library_name", b"mylib", b"engine", b"LUA", b"functions"]
        funcs = sorted(entry[5], key=lambda f: f[1])
        assert funcs == [
            [b"name", b"myget", b"description", b"reads", b"flags", ["no-writes"]],
            [b"name", b"myset", b"description", None, b"flags", []]]
    # WITHCODE adds library_code; LIBRARYNAME filters with a case-insensitive glob.
    with_code = libraries(c, "WITHCODE")
    assert with_code["mylib"]["library_code"] == MYLIB.encode()
    assert with_code["liba"]["library_code"] == LIBA.encode()
    assert "library_code" not in libraries(c)["mylib"]
    assert list(libraries(c, "LIBRARYNAME", "my*")) == ["mylib"]
    assert list(libraries(c, "LIBRARYNAME", "MYLIB")) == ["mylib"]
    assert list(libraries(c, "libraryname", "li?a", "withcode")) == ["liba"]
    assert sorted(libraries(c, "LIBRARYNAME", "*lib*")) == ["liba", "mylib"]
    assert c.call("FUNCTION", "LIST", "LIBRARYNAME", "my") == []
    assert c.call("FUNCTION", "LIST", "LIBRARYNAME") == E("ERR library name argument was not given")
    assert c.call("FUNCTION", "LIST", "FOO") == E("ERR Unknown argument FOO")
    assert c.call("FUNCTION", "LIST", "WITHCODE", "WITHCODE") == E("ERR Unknown argument WITHCODE")
    # Every flag a function can declare, in the order given.
    flags = ["no-writes", "allow-oom", "allow-stale", "no-cluster", "allow-cross-slot-keys"]
    c.call("FUNCTION", "LOAD", "#!lua name=flagged\nredis.register_function{function_name='ff', "
           "callback=function() return 1 end, flags={%s}}" % ", ".join("'%s'" % f for f in flags))
    assert libraries(c, "LIBRARYNAME", "flagged")["flagged"]["functions"][0]["flags"] == \
        flags
    assert c.call("FCALL", "ff", "0") == 1


def test_function_delete_flush_stats(c, proto):
    def stats():
        s = as_dict(c.call("FUNCTION", "STATS"))
        assert list(s) == ["running_script", "engines"] and s["running_script"] is None
        engines = as_dict(s["engines"])
        assert list(engines) == ["LUA"]
        return as_dict(engines["LUA"])

    raw = c.call_raw("FUNCTION", "STATS")
    if proto == 3:
        assert raw == (b"%2\r\n$14\r\nrunning_script\r\n_\r\n$7\r\nengines\r\n%1\r\n$3\r\nLUA\r\n"
                       b"%2\r\n$15\r\nlibraries_count\r\n:0\r\n$15\r\nfunctions_count\r\n:0\r\n")
    else:
        assert raw == (b"*4\r\n$14\r\nrunning_script\r\n$-1\r\n$7\r\nengines\r\n*2\r\n"
                       b"$3\r\nLUA\r\n*4\r\n$15\r\nlibraries_count\r\n:0\r\n"
                       b"$15\r\nfunctions_count\r\n:0\r\n")
    c.call("FUNCTION", "LOAD", MYLIB)
    c.call("FUNCTION", "LOAD", LIBA)
    assert stats() == {"libraries_count": 2, "functions_count": 3}
    assert c.call("FUNCTION", "DELETE", "nolib") == E("ERR Library not found")
    assert c.call("FUNCTION", "DELETE", "mylib") == "OK"
    assert c.call("FUNCTION", "DELETE", "mylib") == E("ERR Library not found")
    assert c.call("FCALL", "myget", "1", "k") == E("ERR Function not found")
    assert stats() == {"libraries_count": 1, "functions_count": 1}
    assert list(libraries(c)) == ["liba"]
    assert c.call("FUNCTION", "DELETE") == \
        E("ERR wrong number of arguments for 'function|delete' command")
    assert c.call("FUNCTION", "DELETE", "a", "b") == \
        E("ERR wrong number of arguments for 'function|delete' command")
    assert c.call("FUNCTION", "STATS", "x") == \
        E("ERR wrong number of arguments for 'function|stats' command")
    for flush in (["FUNCTION", "FLUSH"], ["FUNCTION", "FLUSH", "ASYNC"],
                  ["function", "flush", "sync"]):
        c.call("FUNCTION", "LOAD", "REPLACE", LIBA)
        assert c.call(*flush) == "OK"
        assert c.call("FUNCTION", "LIST") == []
        assert c.call("FCALL", "fa", "0") == E("ERR Function not found")
    assert stats() == {"libraries_count": 0, "functions_count": 0}
    assert c.call("FUNCTION", "FLUSH", "FOO") == \
        E("ERR FUNCTION FLUSH only supports SYNC|ASYNC option")
    assert c.call("FUNCTION", "FOO") == E("ERR unknown subcommand 'FOO'. Try FUNCTION HELP.")
    assert c.call("FUNCTION") == E("ERR wrong number of arguments for 'function' command")
    # FLUSHALL and SCRIPT FLUSH leave functions alone; FUNCTION FLUSH leaves the script cache.
    c.call("FUNCTION", "LOAD", LIBA)
    sha = c.call("SCRIPT", "LOAD", "return 1").decode()
    c.call("FLUSHALL")
    c.call("SCRIPT", "FLUSH")
    assert c.call("FCALL", "fa", "0") == b"a"
    c.call("SCRIPT", "LOAD", "return 1")
    c.call("FUNCTION", "FLUSH")
    assert c.call("SCRIPT", "EXISTS", sha) == [1]


def test_function_dump_restore(c):
    c.call("FUNCTION", "LOAD", LIBA)
    c.call("FUNCTION", "LOAD", LIBB)
    dump = c.call("FUNCTION", "DUMP")
    assert isinstance(dump, bytes) and dump
    with_code = libraries(c, "WITHCODE")
    # Into an empty registry: everything back, callable.
    assert c.call("FUNCTION", "FLUSH") == "OK"
    assert c.call("FUNCTION", "RESTORE", dump) == "OK"
    assert libraries(c, "WITHCODE") == with_code
    assert c.call("FCALL", "fa", "0") == b"a" and c.call("FCALL", "fb", "0") == b"b"
    # APPEND (the default) refuses a library that exists, and restores nothing.
    c.call("FUNCTION", "DELETE", "liba")
    assert c.call("FUNCTION", "RESTORE", dump) == E("ERR Library libb already exists")
    assert c.call("FUNCTION", "RESTORE", dump, "APPEND") == E("ERR Library libb already exists")
    assert list(libraries(c)) == ["libb"]
    # REPLACE swaps the libraries of the same name and keeps the others.
    b2 = "#!lua name=libb\nredis.register_function('fb2', function() return 'b2' end)"
    c.call("FUNCTION", "LOAD", "REPLACE", b2)
    c.call("FUNCTION", "LOAD", MYLIB)
    assert c.call("FUNCTION", "RESTORE", dump, "REPLACE") == "OK"
    assert sorted(libraries(c)) == ["liba", "libb", "mylib"]
    assert c.call("FCALL", "fb", "0") == b"b"
    assert c.call("FCALL", "fb2", "0") == E("ERR Function not found")
    # REPLACE still refuses a function name owned by another library.
    c.call("FUNCTION", "DELETE", "liba")
    c.call("FUNCTION", "LOAD", "#!lua name=libc\nredis.register_function('fa', function() "
           "return 'c' end)")
    assert c.call("FUNCTION", "RESTORE", dump, "REPLACE") == E("ERR Function fa already exists")
    assert c.call("FCALL", "fa", "0") == b"c"
    # FLUSH drops everything first.
    assert c.call("FUNCTION", "RESTORE", dump, "flush") == "OK"
    assert libraries(c, "WITHCODE") == with_code
    # Bad payloads and policies.
    assert c.call("FUNCTION", "RESTORE", dump, "FOO") == \
        E("ERR Wrong restore policy given, value should be either FLUSH, APPEND or REPLACE.")
    assert c.call("FUNCTION", "RESTORE", b"garbage") == \
        E("ERR DUMP payload version or checksum are wrong")
    assert c.call("FUNCTION", "RESTORE", dump[:-3]) == \
        E("ERR DUMP payload version or checksum are wrong")
    corrupt = dump[:5] + bytes([dump[5] ^ 0x01]) + dump[6:]
    assert c.call("FUNCTION", "RESTORE", corrupt, "FLUSH") == \
        E("ERR DUMP payload version or checksum are wrong")
    assert libraries(c, "WITHCODE") == with_code
    assert c.call("FUNCTION", "RESTORE") == \
        E("ERR wrong number of arguments for 'function|restore' command")
    # An empty registry dumps to a payload that restores to nothing.
    c.call("FUNCTION", "FLUSH")
    empty = c.call("FUNCTION", "DUMP")
    c.call("FUNCTION", "LOAD", LIBA)
    assert c.call("FUNCTION", "RESTORE", empty, "FLUSH") == "OK"
    assert c.call("FUNCTION", "LIST") == []


def test_function_dump_into_another_server(server, start_server):
    with server.conn() as a:
        a.call("FUNCTION", "LOAD", MYLIB)
        dump = a.call("FUNCTION", "DUMP")
        code = libraries(a, "WITHCODE")
    other = start_server()
    with other.conn(protocol=3) as b:
        assert b.call("FUNCTION", "RESTORE", dump) == "OK"
        assert libraries(b, "WITHCODE") == code
        assert code["mylib"]["library_code"] == MYLIB.encode()
        assert b.call("FCALL", "myset", "1", "k", "v") == "OK"
        assert b.call("FCALL_RO", "myget", "1", "k") == b"v"


def test_functions_are_shared_by_connections(server):
    with server.conn() as a, server.conn(protocol=3) as b:
        assert b.call("FCALL", "fa", "0") == E("ERR Function not found")
        assert a.call("FUNCTION", "LOAD", LIBA) == b"liba"
        assert b.call("FCALL", "fa", "0") == b"a"
        assert b.call("FUNCTION", "LOAD", "REPLACE", LIBA.replace("'a'", "'a2'")) == b"liba"
        assert a.call("FCALL", "fa", "0") == b"a2"
        assert b.call("FUNCTION", "DELETE", "liba") == "OK"
        assert a.call("FCALL", "fa", "0") == E("ERR Function not found")
    r = client(server, decode_responses=True)
    try:
        assert r.function_load(MYLIB) == "mylib"
        assert r.fcall("myset", 1, "k", "v") == "OK"
        assert r.fcall_ro("myget", 1, "k") == "v"
        with pytest.raises(redis.exceptions.ResponseError, match="already exists"):
            r.function_load(MYLIB)
        assert r.function_load(MYLIB, replace=True) == "mylib"
        lst = r.function_list(library="my*")
        assert len(lst) == 1 and lst[0][1] == "mylib"
    finally:
        r.close()


def test_function_across_shards_and_in_multi(c):
    lib = """#!lua name=bank
redis.register_function('move', function(keys, args)
  local n = tonumber(redis.call('get', keys[1]))
  if n < tonumber(args[1]) then return redis.error_reply('ERR insufficient funds') end
  redis.call('decrby', keys[1], args[1])
  redis.call('incrby', keys[2], args[1])
  return n - tonumber(args[1])
end)
redis.register_function{function_name='total', callback=function(keys, args)
  local s = 0
  for i = 0, 31 do s = s + tonumber(redis.call('get', 'acct:' .. i) or '0') end
  return s
end, flags={'no-writes'}}
"""
    c.call("FUNCTION", "LOAD", lib)
    c.call("MSET", *[x for k in ACCTS for x in (k, "10")])
    assert c.call("FCALL", "move", "2", ACCTS[0], ACCTS[17], "4") == 6
    assert c.call("FCALL", "move", "2", ACCTS[0], ACCTS[17], "7") == E("ERR insufficient funds")
    assert c.call("FCALL_RO", "total", "0") == 320
    c.call("MULTI")
    for i in range(31):
        c.call("FCALL", "move", "2", ACCTS[i + 1], ACCTS[i], "1")
    c.call("FCALL_RO", "total", "0")
    r = c.call("EXEC")
    assert r[-1] == 320 and len(r) == 32
    assert c.call("MGET", ACCTS[0], ACCTS[17], ACCTS[31]) == [b"7", b"14", b"9"]
