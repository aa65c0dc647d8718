"""Scripting: EVAL/EVALSHA/EVAL_RO/EVALSHA_RO over a corpus of deterministic scripts that
redis.call (and redis.pcall) the commands of every family on the shared keys, SCRIPT
LOAD/EXISTS/FLUSH, and FCALL/FCALL_RO of small function libraries (FUNCTION LOAD/DELETE).

Each script can also run after redis.setresp(3), so command replies reach Lua as RESP3 types and
the script's result is converted back from them, in both client protocols. Scripts raise errors
on purpose (uncaught redis.call errors carry the script's SHA and line), return error tables
from pcall, and return every reply type Lua can produce.

Nondeterminism is kept out: no TIME, RANDOMKEY, SPOP, SRANDMEMBER or math.random, TTLs are
reduced to a sign, and unordered replies (SMEMBERS, HGETALL, KEYS, ...) are sorted in Lua with a
byte-wise comparison (table.sort's default uses strcoll). The few scripts that return an
unordered reply as is are compared as multisets (`same`/`order_free`)."""

import hashlib

from kv_resp import RespError

# Sorts a Lua array of strings byte-wise (independent of the server's locale).
_BSORT = """local function bsort(t)
  table.sort(t, function(a, b)
    local n = math.min(#a, #b)
    for i = 1, n do
      local x, y = string.byte(a, i), string.byte(b, i)
      if x ~= y then return x < y end
    end
    return #a < #b
  end)
  return t
end
"""

# Turns an SMEMBERS/SINTER/... reply into a sorted array under either protocol.
_MEMBERS = _BSORT + """local function members(r)
  if r.err then return r end
  local t = {}
  if r.set then for k in pairs(r.set) do t[#t+1] = k end else t = r end
  return bsort(t)
end
"""

# Turns an HGETALL reply into a sorted array of "field=value" under either protocol.
_FIELDS = _BSORT + """local function fields(r)
  if r.err then return r end
  local t = {}
  if r.map then
    for k, v in pairs(r.map) do t[#t+1] = k .. '=' .. v end
  else
    for i = 1, #r, 2 do t[#t+1] = r[i] .. '=' .. r[i+1] end
  end
  return bsort(t)
end
"""


_GUARD = ("for _, k in ipairs(KEYS) do\n"
          "  local t = redis.call('type', k).ok\n"
          "  if t ~= '%s' and t ~= 'none' then redis.call('del', k) end\n"
          "end\n")


class Script:
    """One script of the corpus. `typ`: the data type its keys should hold; half of its
    variants first delete declared keys of another type, so the random keys (shared with every
    other family) do not turn most runs into WRONGTYPE errors."""

    def __init__(self, body, nkeys=1, args=None, kind=None, resp3=True):
        self.body = body
        self.nkeys = nkeys
        self.args = args or (lambda gen: [])
        self.kind = kind  # None: exact; "map"/"set": the top-level reply's order is free
        self.resp3 = resp3
        self.set_type(None)

    def set_type(self, typ):
        bodies = [self.body] + ([_GUARD % typ + self.body] if typ else [])
        self.bodies = bodies + (["redis.setresp(3)\n" + b for b in bodies] if self.resp3 else [])


def _typed(typ, scripts):
    for s in scripts:
        s.set_type(typ)
    return scripts


def _v(gen):
    return [gen.value()]


def _vv(gen):
    return [gen.value(), gen.value()]


def _int(gen):
    return [gen.r.choice(["0", "1", "-1", "5", "100", "-100", "9223372036854775807", "abc",
                          "1.5", ""])]


def _float(gen):
    return [gen.r.choice(["0.1", "-0.1", "1.5", "2.0e2", "5e-3", "-3", "10", "abc", "inf",
                          "1e308", ".5"])]


FIELDS = ["f1", "f2", "a", "1", "", "x" * 64]
MEMBERS = ["a", "b", "c", "1", "2", "-1", "", "m" * 70]


def _field(gen):
    return gen.r.choice(FIELDS)


def _member(gen):
    return gen.r.choice(MEMBERS)


def _score(gen):
    return gen.r.choice(["0", "1", "-1", "1.5", "2.5e3", "inf", "-inf", "abc", "(1", "nan"])


def _range_bound(gen):
    return gen.r.choice(["-inf", "+inf", "0", "1", "(1", "2.5", "(2", "x"])


def _index(gen):
    return gen.r.choice(["0", "1", "-1", "2", "-2", "10", "-100", "x"])


def _ttl(gen):
    return gen.r.choice([gen.far_secs(), gen.far_secs(), "-1", "0", "abc", "9223372036854775807"])


COMMANDS = ["get", "incr", "lpop", "scard", "hlen", "zcard", "type", "strlen", "llen",
            "nosuchcmd", "eval", "multi", "blpop", "script", "client", "config",
            "debug", "exists", "persist", "smembers", "GET", "Incr"]


def _cmdname(gen):
    return [gen.r.choice(COMMANDS)]


def _cmd_and_arg(gen):
    name = gen.r.choice(["set", "incr", "incrby", "lpush", "sadd", "zadd", "hset", "append",
                         "getdel", "nosuchcmd", "eval", "watch", "brpop", "zscore"])
    return [name, gen.value()]


SCRIPTS = _typed("string", [
    Script("return redis.call('set', KEYS[1], ARGV[1])", args=_v),
    Script("return redis.call('get', KEYS[1])"),
    Script("return redis.pcall('incrby', KEYS[1], ARGV[1])", args=_int),
    Script("return redis.pcall('incrbyfloat', KEYS[1], ARGV[1])", args=_float),
    Script("local n = redis.call('append', KEYS[1], ARGV[1])\n"
           "return {n, redis.call('strlen', KEYS[1]), redis.call('getrange', KEYS[1], 0, 4)}",
           args=_v),
    Script("redis.call('mset', KEYS[1], ARGV[1], KEYS[2], ARGV[2])\n"
           "return redis.call('mget', KEYS[1], KEYS[2], KEYS[3])", nkeys=3, args=_vv),
    Script("local v = redis.call('get', KEYS[1])\n"
           "if v then redis.call('set', KEYS[2], v) return v end\n"
           "return {err = 'NOVALUE nothing to copy'}", nkeys=2),
    Script("return redis.call('set', KEYS[1], tonumber(ARGV[1]) or -1)",
           args=lambda gen: [gen.r.choice(["1", "0.1", "1e20", "-3.5", "1/3", "abc", "7"])]),
    Script("return tonumber(redis.call('get', KEYS[1]))"),
    Script("return {redis.call('setnx', KEYS[1], ARGV[1]), redis.call('getset', KEYS[2], "
           "ARGV[1])}", nkeys=2, args=_v),
    Script("return redis.call('getdel', KEYS[1])"),
])
SCRIPTS += _typed("hash", [
    Script("return redis.call('hset', KEYS[1], ARGV[1], ARGV[2])",
           args=lambda gen: [_field(gen), gen.value()]),
    Script("return redis.pcall('hincrby', KEYS[1], ARGV[1], ARGV[2])",
           args=lambda gen: [_field(gen)] + _int(gen)),
    Script("return redis.call('hmget', KEYS[1], ARGV[1], ARGV[2], ARGV[3])",
           args=lambda gen: [_field(gen), _field(gen), _field(gen)]),
    Script(_FIELDS + "return fields(redis.pcall('hgetall', KEYS[1]))"),
    Script("return {redis.call('hlen', KEYS[1]), redis.call('hexists', KEYS[1], ARGV[1]), "
           "redis.call('hstrlen', KEYS[1], ARGV[1])}", args=lambda gen: [_field(gen)]),
    Script("return redis.call('hgetall', KEYS[1])", kind="map"),
    Script("return redis.call('hdel', KEYS[1], ARGV[1], ARGV[2])",
           args=lambda gen: [_field(gen), _field(gen)]),
    Script("return redis.pcall('hincrbyfloat', KEYS[1], ARGV[1], ARGV[2])",
           args=lambda gen: [_field(gen)] + _float(gen)),
])
SCRIPTS += _typed("list", [
    Script("return redis.call('rpush', KEYS[1], ARGV[1], ARGV[2])", args=_vv),
    Script("return redis.call('lpush', KEYS[1], ARGV[1])", args=_v),
    Script("return redis.call('lrange', KEYS[1], ARGV[1], ARGV[2])",
           args=lambda gen: [_index(gen), _index(gen)]),
    Script("return {redis.call('lpop', KEYS[1]), redis.call('rpop', KEYS[1])}"),
    Script("return redis.call('lmove', KEYS[1], KEYS[2], ARGV[1], ARGV[2])", nkeys=2,
           args=lambda gen: [gen.r.choice(["LEFT", "RIGHT", "left", "UP"]),
                             gen.r.choice(["LEFT", "RIGHT"])]),
    Script("return {redis.call('llen', KEYS[1]), redis.call('lindex', KEYS[1], ARGV[1])}",
           args=lambda gen: [_index(gen)]),
    Script("return redis.pcall('lpos', KEYS[1], ARGV[1])", args=_v),
    Script("return redis.call('blmpop', 0, 2, KEYS[1], KEYS[2], 'LEFT', 'COUNT', ARGV[1])",
           nkeys=2, args=lambda gen: [gen.r.choice(["1", "2", "100", "0", "x"])]),
])
SCRIPTS += _typed("set", [
    Script("return redis.call('sadd', KEYS[1], ARGV[1], ARGV[2])",
           args=lambda gen: [_member(gen), _member(gen)]),
    Script(_MEMBERS + "return members(redis.pcall('smembers', KEYS[1]))"),
    Script("return redis.call('smembers', KEYS[1])", kind="set"),
    Script("return {redis.call('scard', KEYS[1]), redis.call('sismember', KEYS[1], ARGV[1]), "
           "redis.call('smismember', KEYS[1], ARGV[1], 'a')}", args=lambda gen: [_member(gen)]),
    Script(_MEMBERS + "return members(redis.pcall(ARGV[1], KEYS[1], KEYS[2]))", nkeys=2,
           args=lambda gen: [gen.r.choice(["sinter", "sunion", "sdiff"])]),
    Script("return redis.call('srem', KEYS[1], ARGV[1])", args=lambda gen: [_member(gen)]),
    Script("return redis.call('smove', KEYS[1], KEYS[2], ARGV[1])", nkeys=2,
           args=lambda gen: [_member(gen)]),
    Script("return redis.call('sinterstore', KEYS[1], KEYS[2], KEYS[3])", nkeys=3),
])
SCRIPTS += _typed("zset", [
    Script("return redis.pcall('zadd', KEYS[1], ARGV[1], ARGV[2])",
           args=lambda gen: [_score(gen), _member(gen)]),
    Script("return redis.call('zrange', KEYS[1], 0, -1, 'WITHSCORES')"),
    Script("return redis.call('zscore', KEYS[1], ARGV[1])", args=lambda gen: [_member(gen)]),
    Script("local s = redis.call('zscore', KEYS[1], ARGV[1])\n"
           "if type(s) ~= 'string' then return s end\n"
           "return {double = tonumber(s)}", args=lambda gen: [_member(gen)]),
    Script("return redis.pcall('zincrby', KEYS[1], ARGV[1], ARGV[2])",
           args=lambda gen: [_score(gen), _member(gen)]),
    Script("return redis.call('zrangebyscore', KEYS[1], ARGV[1], ARGV[2])",
           args=lambda gen: [_range_bound(gen), _range_bound(gen)]),
    Script("return {redis.call('zcard', KEYS[1]), redis.call('zrank', KEYS[1], ARGV[1])}",
           args=lambda gen: [_member(gen)]),
    Script("return redis.call('zpopmin', KEYS[1])"),
    Script("return redis.call('zunionstore', KEYS[1], 2, KEYS[2], KEYS[3])", nkeys=3),
    Script("return redis.call('zmscore', KEYS[1], ARGV[1], ARGV[2])",
           args=lambda gen: [_member(gen), _member(gen)]),
])
SCRIPTS += [
    # keys and expiry
    Script("return redis.call('expire', KEYS[1], ARGV[1])", args=lambda gen: [_ttl(gen)]),
    Script("local t = redis.call('ttl', KEYS[1])\n"
           "if t > 0 then return 'has ttl' end\n"
           "return t"),
    Script("return redis.call('persist', KEYS[1])"),
    Script("return redis.call('exists', KEYS[1], KEYS[2], KEYS[3])", nkeys=3),
    Script("return redis.call('del', KEYS[1], KEYS[2])", nkeys=2),
    Script("return redis.call('type', KEYS[1])"),
    Script("return redis.pcall('rename', KEYS[1], KEYS[2])", nkeys=2),
    Script("return redis.call('copy', KEYS[1], KEYS[2], 'REPLACE')", nkeys=2),
    Script("redis.call('select', ARGV[1])\n"
           "local r = redis.call('set', KEYS[1], ARGV[2])\n"
           "return {r, redis.call('dbsize'), redis.call('get', KEYS[1])}",
           args=lambda gen: [gen.r.choice(["0", "1", "2", "3", "16", "x"]), gen.value()]),
    Script(_BSORT + "return bsort(redis.call('keys', ARGV[1]))",
           nkeys=0, args=lambda gen: [gen.r.choice(["*", "k?", "*a*", "{tag}*", "nomatch"])]),
    Script("return redis.call('dbsize')", nkeys=0),
    Script("redis.call('pexpire', KEYS[1], ARGV[1])\nreturn redis.call('exists', KEYS[1])",
           args=lambda gen: [gen.r.choice(["-1", "0", "100000000", "abc"])]),
    Script("for i, k in ipairs(KEYS) do redis.call('set', k, ARGV[1]) end\n"
           "return redis.call('mget', unpack(KEYS))", nkeys=4, args=_v),
    # Keys the script does not declare.
    Script("local k = ARGV[1]\nredis.call('set', k, ARGV[2])\n"
           "return {redis.call('get', k), redis.call('type', k), redis.call('exists', k)}",
           nkeys=0, args=lambda gen: [gen.key(), gen.value()]),
    # errors, pcall and the redis.* helpers
    Script("return redis.call(ARGV[1], KEYS[1])", args=_cmdname),
    Script("local r = redis.pcall(ARGV[1], KEYS[1], ARGV[2])\n"
           "if type(r) == 'table' and r.err then return 'E:' .. r.err end\n"
           "return r", args=_cmd_and_arg),
    Script("return redis.pcall(ARGV[1], KEYS[1], ARGV[2])", args=_cmd_and_arg),
    Script("return redis.call('set', KEYS[1])"),
    Script("return redis.call()", nkeys=0),
    Script("return redis.call('get', {})"),
    Script("error(ARGV[1])", nkeys=0, args=_v),
    # error({err = nil}) crashes redis-server 7.0.15 (and the generator sometimes drops
    # arguments to test arity): never let the field be nil.
    Script("error({err = ARGV[1] or 'ERR none'})", nkeys=0,
           args=lambda gen: [gen.r.choice(["MYERR custom", "ERR x", "plain"])]),
    Script("return redis.error_reply(ARGV[1])", nkeys=0,
           args=lambda gen: [gen.r.choice(["MYERR custom", "-ERR x", "plain text", "a\r\nb"])]),
    Script("return redis.status_reply(ARGV[1])", nkeys=0,
           args=lambda gen: [gen.r.choice(["OK", "FINE", "a\r\nb"])]),
    Script("return {err = ARGV[1]}", nkeys=0,
           args=lambda gen: [gen.r.choice(["MYERR custom", "ERR x", "plain text", "a\r\nb"])]),
    Script("return {ok = ARGV[1]}", nkeys=0,
           args=lambda gen: [gen.r.choice(["OK", "status", "a\r\nb"])]),
    Script("return +", nkeys=0),
    Script("return nosuchglobal", nkeys=0),
    Script("x = 1", nkeys=0),
    Script("redis.call = nil", nkeys=0),
    Script("return redis.sha1hex(ARGV[1])", nkeys=0, args=_v),
    Script("redis.setresp(ARGV[1])", nkeys=0,
           args=lambda gen: [gen.r.choice(["2", "4", "x"])], resp3=False),
    Script("#!lua flags=no-writes\nreturn redis.call('get', KEYS[1])", resp3=False),
    Script("#!lua flags=no-writes\nreturn redis.call('set', KEYS[1], ARGV[1])", args=_v,
           resp3=False),
    Script("#!lua\nreturn redis.call('get', KEYS[1])", resp3=False),
    Script("#!lua flags=bogus\nreturn 1", nkeys=0, resp3=False),
    # Lua -> RESP conversion of every type
    Script("return tonumber(ARGV[1])", nkeys=0,
           args=lambda gen: [gen.r.choice(["1", "3.99", "-3.99", "0.5", "1e20", "0x10", "inf",
                                           "-inf", "nan", "abc", "9007199254740993",
                                           "123456789012"])]),
    Script("return {double = tonumber(ARGV[1])}", nkeys=0, args=_float),
    Script("return {big_number = ARGV[1]}", nkeys=0,
           args=lambda gen: [gen.r.choice(["0", "-1", "12345678901234567890123",
                                           "9223372036854775808"])]),
    Script("return {verbatim_string = {format = 'txt', string = ARGV[1]}}", nkeys=0, args=_v),
    Script("return {map = {[ARGV[1]] = ARGV[2]}}", nkeys=0, args=_vv),
    Script("return {map = {a = 1, b = {1, 2}, c = {ok = 'x'}}}", nkeys=0, kind="map"),
    Script("return {set = {[ARGV[1]] = true, [ARGV[2]] = true}}", nkeys=0, args=_vv,
           kind="set"),
    Script("return {1, ARGV[1], {ARGV[2], {true, false}}, {ok = 'x'}, {err = 'y'}, 3.7}",
           nkeys=0, args=_vv),
    Script("return {1, 2, nil, 3}", nkeys=0),
    Script("return {true, false, nil}", nkeys=0),
    Script("return ARGV[1] == 'a'", nkeys=0, args=lambda gen: [gen.r.choice(["a", "b"])]),
    Script("return", nkeys=0),
    Script("return {}", nkeys=0),
    # libraries
    Script("return cjson.encode({ARGV[1], tonumber(ARGV[2]) or 0, {k = 'v'}})", nkeys=0,
           args=lambda gen: [gen.r.choice(["a", "", "quote\"d", "x" * 50]),
                             gen.r.choice(["1", "1.5", "-3", "1e20"])]),
    Script("local t = cjson.decode(ARGV[1])\nreturn {t[1], t[2], type(t[3])}", nkeys=0,
           args=lambda gen: [gen.r.choice(['[1,"two",null]', '["a",2.5,{}]', '[1,2',
                                           '{"a":1}'])]),
    Script("return cmsgpack.pack(ARGV[1], tonumber(ARGV[2]) or 0)", nkeys=0,
           args=lambda gen: [gen.value(), gen.r.choice(["1", "-1", "300", "70000", "1.5"])]),
    Script("return {cmsgpack.unpack(cmsgpack.pack({ARGV[1], 2, {3}}))}", nkeys=0, args=_v),
    Script("local n = tonumber(ARGV[1]) or 0\n"
           "return {bit.band(n, 255), bit.bor(n, 1), bit.bxor(n, 5), bit.lshift(1, 7), "
           "bit.tohex(n)}", nkeys=0, args=_int),
    Script("return {struct.unpack('>I2i4', struct.pack('>I2i4', 258, tonumber(ARGV[1]) or 0))}",
           nkeys=0, args=lambda gen: [gen.r.choice(["1", "-1", "100000", "abc"])]),
]

_BY_BODY = {}
_BY_SHA = {}
for _s in SCRIPTS:
    for _b in _s.bodies:
        _BY_BODY[_b] = _s
        _BY_SHA[hashlib.sha1(_b.encode()).hexdigest()] = _s

# Function libraries: one function each, so FUNCTION LIST replies have a fixed order.
LIBS = {
    "dlib_call": "#!lua name=dlib_call\n"
                 "redis.register_function('dcall', function(keys, args)\n"
                 "  return redis.call(args[1], keys[1], unpack(args, 2))\n"
                 "end)",
    "dlib_get": "#!lua name=dlib_get\n"
                "redis.register_function{function_name='dget', callback=function(keys, args)\n"
                "  return redis.call('get', keys[1])\n"
                "end, flags={'no-writes'}, description='reads a key'}",
    "dlib_err": "#!lua name=dlib_err\n"
                "redis.register_function('derr', function(keys, args)\n"
                "  local r = redis.pcall('incr', keys[1])\n"
                "  if type(r) == 'table' then error(r) end\n"
                "  return r\n"
                "end)",
}


def _sha(body):
    return hashlib.sha1(body.encode()).hexdigest()


def choices(gen):
    r, k = gen.r, gen.key

    # Bodies sent lately with EVAL or SCRIPT LOAD: most EVALSHA calls pick one of them, so they
    # find the script cached more often than not. Kept on the generator (one per run).
    recent = gen.__dict__.setdefault("_scripting_recent", [])

    def remember(body):
        recent.append(body)
        del recent[:-40]
        return body

    def script_call():
        cmd = r.choice(["EVAL"] * 8 + ["EVALSHA"] * 3 + ["EVAL_RO", "EVALSHA_RO"])
        if cmd.startswith("EVALSHA") and recent and r.random() < 0.75:
            body = r.choice(recent)
            s = _BY_BODY[body]
        else:
            s = r.choice(SCRIPTS)
            body = r.choice(s.bodies)
        keys = [k() for _ in range(s.nkeys)]
        args = s.args(gen)
        numkeys = str(len(keys))
        if r.random() < 0.03:
            numkeys = r.choice(["-1", "x", str(len(keys) + len(args) + 1)])
        if cmd.startswith("EVALSHA"):
            return [cmd, _sha(body), numkeys] + keys + args
        return [cmd, remember(body), numkeys] + keys + args

    def some_sha():
        p = r.random()
        if p < 0.1:
            return r.choice(["f" * 40, "abc", ""])
        return _sha(r.choice(r.choice(SCRIPTS).bodies))

    def fcall():
        name = r.choice(["dcall", "dget", "derr", "nosuchfn"])
        cmd = r.choice(["FCALL", "FCALL", "FCALL_RO"])
        args = {"dcall": lambda: [r.choice(["get", "incr", "lpush", "sadd", "type", "set",
                                             "nosuchcmd", "eval"]), gen.value()],
                "dget": lambda: [], "derr": lambda: [], "nosuchfn": lambda: []}[name]()
        return [cmd, name, "1", k()] + args

    return [
        (7, script_call),
        (0.6, lambda: ["SCRIPT", "LOAD", remember(r.choice(r.choice(SCRIPTS).bodies))]),
        (0.5, lambda: ["SCRIPT", "EXISTS"] + [some_sha() for _ in range(r.randint(1, 4))]),
        (0.05, lambda: ["SCRIPT", "FLUSH"] + r.choice([[], ["ASYNC"], ["SYNC"], ["FOO"]])),
        (1, fcall),
        (0.3, lambda: ["FUNCTION", "LOAD"] + r.choice([[], ["REPLACE"], ["REPLACE"]]) +
         [LIBS[r.choice(sorted(LIBS))]]),
        (0.05, lambda: ["FUNCTION", "DELETE", r.choice(sorted(LIBS) + ["nolib"])]),
        (0.1, lambda: ["FUNCTION", "LIST", "LIBRARYNAME", r.choice(sorted(LIBS))] +
         r.choice([[], ["WITHCODE"]])),
        (0.02, lambda: ["FUNCTION", "FLUSH"]),
    ]


def _script_of(args):
    if len(args) < 2:
        return None
    name = args[0].upper()
    if name in ("EVAL", "EVAL_RO"):
        return _BY_BODY.get(args[1])
    if name in ("EVALSHA", "EVALSHA_RO"):
        return _BY_SHA.get(args[1].lower())
    return None


def _canon(v, kind):
    if kind == "map":
        if isinstance(v, dict):
            return ("map", sorted(v.items(), key=repr))
        if isinstance(v, list):
            return ("map", sorted(zip(v[0::2], v[1::2]), key=repr))
    if kind == "set" and isinstance(v, list):
        return (type(v).__name__, sorted(v, key=repr))
    return (type(v).__name__, v)


def _is_function_list(args):
    return len(args) >= 2 and args[0].upper() == "FUNCTION" and args[1].upper() == "LIST"


def same(args, a, b):
    if _is_function_list(args):
        # Redis lists libraries in its hash table's order: compare them as a set.
        if isinstance(a, list) and isinstance(b, list):
            return sorted(a, key=repr) == sorted(b, key=repr)
        return a == b
    s = _script_of(args)
    if s is None or s.kind is None:
        return None
    if isinstance(a, RespError) or isinstance(b, RespError):
        return a == b
    return type(a) is type(b) and _canon(a, s.kind) == _canon(b, s.kind)


def order_free(args):
    if _is_function_list(args):
        return True
    s = _script_of(args)
    return s is not None and s.kind is not None
