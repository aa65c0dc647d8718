"""String commands: GET/SET and options, counters, ranges, multi-key forms, error texts."""

import time

import pytest

from kv_resp import RespError

E = RespError
NOT_INT = E("ERR value is not an integer or out of range")
NOT_FLOAT = E("ERR value is not a valid float")
SYNTAX = E("ERR syntax error")


def arity(cmd):
    return E("ERR wrong number of arguments for '%s' command" % cmd)


def test_get_set_basic(c):
    assert c.call("GET", "k") is None
    assert c.call("SET", "k", "v") == "OK"
    assert c.call("GET", "k") == b"v"
    assert c.call("SET", "k", "") == "OK"
    assert c.call("GET", "k") == b""
    binary = bytes(range(256)) * 4 + b"\r\n\x00"
    assert c.call("SET", "bin\x00key", binary) == "OK"
    assert c.call("GET", "bin\x00key") == binary


def test_get_set_reply_bytes(c, proto):
    assert c.call_raw("SET", "k", "hello") == b"+OK\r\n"
    assert c.call_raw("GET", "k") == b"$5\r\nhello\r\n"
    assert c.call_raw("GET", "nokey") == (b"$-1\r\n" if proto == 2 else b"_\r\n")
    assert c.call_raw("SET", "k", "v", "NX") == (b"$-1\r\n" if proto == 2 else b"_\r\n")
    assert c.call_raw("GET") == b"-ERR wrong number of arguments for 'get' command\r\n"


def test_set_large_value(c):
    v = b"x" * (4 << 20)
    assert c.call("SET", "big", v) == "OK"
    assert c.call("STRLEN", "big") == len(v)
    assert c.call("GET", "big") == v


def test_set_nx_xx(c):
    assert c.call("SET", "k", "1", "XX") is None
    assert c.call("EXISTS", "k") == 0
    assert c.call("SET", "k", "1", "NX") == "OK"
    assert c.call("SET", "k", "2", "NX") is None
    assert c.call("GET", "k") == b"1"
    assert c.call("SET", "k", "3", "XX") == "OK"
    assert c.call("GET", "k") == b"3"
    assert c.call("SET", "k", "4", "NX", "XX") == SYNTAX
    assert c.call("SET", "k", "4", "nx", "xx") == SYNTAX


def test_set_expire_options(c):
    assert c.call("SET", "k", "v", "EX", "100") == "OK"
    assert 99 <= c.call("TTL", "k") <= 100
    assert c.call("SET", "k", "v", "PX", "100000") == "OK"
    assert 99000 <= c.call("PTTL", "k") <= 100000
    now = int(time.time())
    assert c.call("SET", "k", "v", "EXAT", now + 200) == "OK"
    assert 198 <= c.call("TTL", "k") <= 200
    assert c.call("EXPIRETIME", "k") == now + 200
    assert c.call("SET", "k", "v", "PXAT", (now + 300) * 1000) == "OK"
    assert c.call("PEXPIRETIME", "k") == (now + 300) * 1000
    assert c.call("SET", "k", "v") == "OK"
    assert c.call("TTL", "k") == -1
    # lower-case options
    assert c.call("set", "k", "v", "ex", "50") == "OK"
    assert 49 <= c.call("ttl", "k") <= 50


def test_set_keepttl(c):
    c.call("SET", "k", "v", "EX", "100")
    assert c.call("SET", "k", "w", "KEEPTTL") == "OK"
    assert c.call("GET", "k") == b"w"
    assert 98 <= c.call("TTL", "k") <= 100
    assert c.call("SET", "k", "x") == "OK"
    assert c.call("TTL", "k") == -1
    assert c.call("SET", "k", "v", "EX", "10", "KEEPTTL") == SYNTAX
    assert c.call("SET", "k", "v", "KEEPTTL", "PX", "10") == SYNTAX


def test_set_get_option(c):
    assert c.call("SET", "k", "v1", "GET") is None
    assert c.call("SET", "k", "v2", "GET") == b"v1"
    assert c.call("GET", "k") == b"v2"
    assert c.call("SET", "k", "v3", "NX", "GET") == b"v2"
    assert c.call("GET", "k") == b"v2"
    assert c.call("SET", "n", "v", "XX", "GET") is None
    assert c.call("EXISTS", "n") == 0
    assert c.call("SET", "k", "v4", "GET", "EX", "100") == b"v2"
    assert c.call("TTL", "k") > 0


def test_set_expire_errors(c):
    bad = E("ERR invalid expire time in 'set' command")
    assert c.call("SET", "k", "v", "EX", "0") == bad
    assert c.call("SET", "k", "v", "EX", "-1") == bad
    assert c.call("SET", "k", "v", "PX", "0") == bad
    assert c.call("SET", "k", "v", "EXAT", "0") == bad
    assert c.call("SET", "k", "v", "EX", "abc") == NOT_INT
    assert c.call("SET", "k", "v", "EX", "1.5") == NOT_INT
    assert c.call("SET", "k", "v", "EX", "9223372036854775807") == bad
    assert c.call("SET", "k", "v", "EX") == SYNTAX
    assert c.call("SET", "k", "v", "EX", "10", "PX", "100") == SYNTAX
    assert c.call("SET", "k", "v", "FOO") == SYNTAX
    assert c.call("SET", "k") == arity("set")
    assert c.call("EXISTS", "k") == 0


def test_setnx_setex_psetex(c):
    assert c.call("SETNX", "k", "a") == 1
    assert c.call("SETNX", "k", "b") == 0
    assert c.call("GET", "k") == b"a"
    assert c.call("SETEX", "k", "100", "c") == "OK"
    assert c.call("GET", "k") == b"c"
    assert 99 <= c.call("TTL", "k") <= 100
    assert c.call("PSETEX", "p", "100000", "d") == "OK"
    assert 99000 <= c.call("PTTL", "p") <= 100000
    assert c.call("SETEX", "k", "0", "c") == E("ERR invalid expire time in 'setex' command")
    assert c.call("SETEX", "k", "-5", "c") == E("ERR invalid expire time in 'setex' command")
    assert c.call("PSETEX", "k", "0", "c") == E("ERR invalid expire time in 'psetex' command")
    assert c.call("SETEX", "k", "x", "c") == NOT_INT
    assert c.call("SETEX", "k", "10") == arity("setex")
    assert c.call("SETNX", "k") == arity("setnx")


def test_getset_getdel(c):
    assert c.call("GETSET", "k", "a") is None
    assert c.call("GETSET", "k", "b") == b"a"
    c.call("EXPIRE", "k", "100")
    assert c.call("GETSET", "k", "c") == b"b"
    assert c.call("TTL", "k") == -1
    assert c.call("GETDEL", "k") == b"c"
    assert c.call("GETDEL", "k") is None
    assert c.call("EXISTS", "k") == 0
    assert c.call("GETDEL", "a", "b") == arity("getdel")


def test_getex(c):
    assert c.call("GETEX", "k") is None
    c.call("SET", "k", "v")
    assert c.call("GETEX", "k") == b"v"
    assert c.call("TTL", "k") == -1
    assert c.call("GETEX", "k", "EX", "100") == b"v"
    assert 99 <= c.call("TTL", "k") <= 100
    assert c.call("GETEX", "k", "PX", "50000") == b"v"
    assert 49000 <= c.call("PTTL", "k") <= 50000
    assert c.call("GETEX", "k", "PERSIST") == b"v"
    assert c.call("TTL", "k") == -1
    now = int(time.time())
    assert c.call("GETEX", "k", "EXAT", now + 100) == b"v"
    assert c.call("EXPIRETIME", "k") == now + 100
    assert c.call("GETEX", "k", "PXAT", (now + 100) * 1000 + 5) == b"v"
    assert c.call("PEXPIRETIME", "k") == (now + 100) * 1000 + 5
    assert c.call("GETEX", "k", "EX", "0") == E("ERR invalid expire time in 'getex' command")
    assert c.call("GETEX", "k", "EX", "10", "PERSIST") == SYNTAX
    assert c.call("GETEX", "k", "FOO") == SYNTAX
    assert c.call("GETEX", "k", "EX") == SYNTAX
    assert c.call("GETEX") == arity("getex")


def test_mget_mset_msetnx(c):
    assert c.call("MSET", "a", "1", "b", "2", "c", "3") == "OK"
    assert c.call("MGET", "a", "b", "nokey", "c") == [b"1", b"2", None, b"3"]
    assert c.call("MSET", "a", "1", "b") == arity("mset")
    assert c.call("MSET") == arity("mset")
    assert c.call("MGET") == arity("mget")
    assert c.call("MSETNX", "x", "1", "a", "9") == 0
    assert c.call("EXISTS", "x") == 0
    assert c.call("GET", "a") == b"1"
    assert c.call("MSETNX", "x", "1", "y", "2") == 1
    assert c.call("MGET", "x", "y") == [b"1", b"2"]
    assert c.call("MSETNX", "x", "1", "y") == arity("msetnx")
    # The last value wins when a key repeats.
    assert c.call("MSET", "d", "1", "d", "2") == "OK"
    assert c.call("GET", "d") == b"2"
    # MSET clears TTLs.
    c.call("SET", "t", "v", "EX", "100")
    c.call("MSET", "t", "w")
    assert c.call("TTL", "t") == -1


def test_mget_many_keys(c):
    keys = ["key:%d" % i for i in range(500)]
    args = []
    for k in keys:
        args += [k, k.upper()]
    assert c.call("MSET", *args) == "OK"
    assert c.call("MGET", *keys) == [k.upper().encode() for k in keys]
    assert c.call("DBSIZE") == 500


def test_incr_decr(c):
    assert c.call("INCR", "n") == 1
    assert c.call("INCR", "n") == 2
    assert c.call("DECR", "n") == 1
    assert c.call("INCRBY", "n", "10") == 11
    assert c.call("DECRBY", "n", "20") == -9
    assert c.call("INCRBY", "n", "-1") == -10
    assert c.call("GET", "n") == b"-10"
    assert c.call("DECR", "m") == -1
    c.call("SET", "n", "9223372036854775806")
    assert c.call("INCR", "n") == 9223372036854775807
    assert c.call("INCR", "n") == E("ERR increment or decrement would overflow")
    c.call("SET", "n", "-9223372036854775808")
    assert c.call("DECR", "n") == E("ERR increment or decrement would overflow")
    assert c.call("DECRBY", "n", "-9223372036854775808") == E(
        "ERR decrement would overflow")
    for bad in ["abc", "1.5", " 1", "1 ", "", "01x", "9223372036854775808", "+1"]:
        c.call("SET", "s", bad)
        assert c.call("INCR", "s") == NOT_INT, bad
    c.call("SET", "s", "10")
    assert c.call("INCRBY", "s", "x") == NOT_INT
    assert c.call("INCRBY", "s", "1.0") == NOT_INT
    assert c.call("INCR") == arity("incr")
    assert c.call("INCRBY", "s") == arity("incrby")
    # INCR keeps the TTL.
    c.call("SET", "t", "1", "EX", "100")
    assert c.call("INCR", "t") == 2
    assert c.call("TTL", "t") > 0


def test_incr_reply_bytes(c):
    assert c.call_raw("INCRBY", "n", "42") == b":42\r\n"
    assert c.call_raw("INCR", "n") == b":43\r\n"


def test_incrbyfloat(c):
    assert c.call("INCRBYFLOAT", "f", "10.5") == b"10.5"
    assert c.call("INCRBYFLOAT", "f", "0.1") == b"10.6"
    assert c.call("INCRBYFLOAT", "f", "-5") == b"5.6"
    assert c.call("INCRBYFLOAT", "g", "5.0e3") == b"5000"
    assert c.call("INCRBYFLOAT", "g", "2.0e2") == b"5200"
    c.call("SET", "i", "3")
    assert c.call("INCRBYFLOAT", "i", "1") == b"4"
    assert c.call("INCRBYFLOAT", "i", "abc") == NOT_FLOAT
    assert c.call("INCRBYFLOAT", "i", "") == NOT_FLOAT
    assert c.call("INCRBYFLOAT", "i", "inf") == E(
        "ERR increment would produce NaN or Infinity")
    assert c.call("INCRBYFLOAT", "i", "nan") == NOT_FLOAT
    c.call("SET", "s", "hello")
    assert c.call("INCRBYFLOAT", "s", "1") == NOT_FLOAT
    assert c.call("INCRBYFLOAT", "s") == arity("incrbyfloat")
    c.call("SET", "h", "1.5")
    assert c.call("INCR", "h") == NOT_INT


def test_append_strlen(c):
    assert c.call("APPEND", "k", "Hello") == 5
    assert c.call("APPEND", "k", " World") == 11
    assert c.call("GET", "k") == b"Hello World"
    assert c.call("STRLEN", "k") == 11
    assert c.call("STRLEN", "nokey") == 0
    c.call("SET", "n", "12")
    assert c.call("APPEND", "n", "34") == 4
    assert c.call("INCR", "n") == 1235
    assert c.call("APPEND", "k") == arity("append")
    assert c.call("STRLEN") == arity("strlen")


def test_getrange(c):
    c.call("SET", "k", "This is a string")
    assert c.call("GETRANGE", "k", "0", "3") == b"This"
    assert c.call("GETRANGE", "k", "-3", "-1") == b"ing"
    assert c.call("GETRANGE", "k", "0", "-1") == b"This is a string"
    assert c.call("GETRANGE", "k", "10", "100") == b"string"
    assert c.call("GETRANGE", "k", "5", "3") == b""
    assert c.call("GETRANGE", "k", "-100", "2") == b"Thi"
    assert c.call("GETRANGE", "k", "100", "200") == b""
    assert c.call("GETRANGE", "nokey", "0", "-1") == b""
    assert c.call("GETRANGE", "k", "a", "1") == NOT_INT
    assert c.call("GETRANGE", "k", "0", "9223372036854775807") == b"This is a string"
    assert c.call("GETRANGE", "k", "-9223372036854775808", "0") == b"T"
    assert c.call("GETRANGE", "k", "0") == arity("getrange")
    c.call("SET", "n", "12345")
    assert c.call("GETRANGE", "n", "1", "2") == b"23"


def test_setrange(c):
    c.call("SET", "k", "Hello World")
    assert c.call("SETRANGE", "k", "6", "Redis") == 11
    assert c.call("GET", "k") == b"Hello Redis"
    assert c.call("SETRANGE", "z", "5", "ab") == 7
    assert c.call("GET", "z") == b"\x00" * 5 + b"ab"
    assert c.call("SETRANGE", "e", "3", "") == 0
    assert c.call("EXISTS", "e") == 0
    assert c.call("SETRANGE", "k", "0", "") == 11
    assert c.call("SETRANGE", "k", "-1", "x") == E("ERR offset is out of range")
    assert c.call("SETRANGE", "k", "x", "x") == NOT_INT
    assert c.call("SETRANGE", "k", "536870912", "x") == E(
        "ERR string exceeds maximum allowed size (proto-max-bulk-len)")
    assert c.call("SETRANGE", "k", "9223372036854775807", "x") == E(
        "ERR string exceeds maximum allowed size (proto-max-bulk-len)")
    assert c.call("GET", "k") == b"Hello Redis"
    c.call("SET", "n", "100")
    assert c.call("SETRANGE", "n", "1", "5") == 3
    assert c.call("INCR", "n") == 151
    assert c.call("SETRANGE", "k", "1") == arity("setrange")


def test_object_encoding_strings(c):
    c.call("SET", "i", "12345")
    assert c.call("OBJECT", "ENCODING", "i") == b"int"
    c.call("SET", "e", "hello")
    assert c.call("OBJECT", "ENCODING", "e") == b"embstr"
    c.call("SET", "r", "x" * 45)
    assert c.call("OBJECT", "ENCODING", "r") == b"raw"
    c.call("SET", "e44", "x" * 44)
    assert c.call("OBJECT", "ENCODING", "e44") == b"embstr"
    c.call("SET", "neg", "-42")
    assert c.call("OBJECT", "ENCODING", "neg") == b"int"
    c.call("SET", "lead0", "012")
    assert c.call("OBJECT", "ENCODING", "lead0") == b"embstr"
    c.call("APPEND", "e", "!")
    assert c.call("OBJECT", "ENCODING", "e") == b"raw"
    c.call("INCR", "n")
    assert c.call("OBJECT", "ENCODING", "n") == b"int"
    c.call("SETRANGE", "i", "0", "9")
    assert c.call("OBJECT", "ENCODING", "i") == b"raw"
    assert c.call("OBJECT", "ENCODING", "nokey") is None


@pytest.mark.parametrize("cmd,args", [
    ("GET", []), ("SET", ["k"]), ("SETNX", ["k"]), ("SETEX", ["k", "1"]),
    ("PSETEX", ["k", "1"]), ("GETSET", ["k"]), ("GETDEL", []), ("GETEX", []), ("MGET", []),
    ("MSET", ["k"]), ("MSETNX", ["k"]), ("INCR", []), ("DECR", []), ("INCRBY", ["k"]),
    ("DECRBY", ["k"]), ("INCRBYFLOAT", ["k"]), ("APPEND", ["k"]), ("STRLEN", []),
    ("GETRANGE", ["k", "0"]), ("SETRANGE", ["k", "0"]),
])
def test_string_arity(c, cmd, args):
    assert c.call(cmd, *args) == arity(cmd.lower())
