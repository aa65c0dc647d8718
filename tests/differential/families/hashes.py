"""Hashes: the H* commands on the shared keys, with small and large (hashtable) hashes.

HGETALL/HKEYS/HVALS replies are compared as multisets (a hashtable's order is its own). HSCAN is
run to completion as the pseudo-command HSCAN-ALL and compared as a set of pairs; HRANDFIELD runs
as HRANDFIELD-ALL, which checks the reply's shape and that every returned field (and value)
belongs to the hash, and compares only that summary.
"""

from kv_resp import RespError

FIELDS = ["f1", "f2", "f3", "a", "b", "1", "-1", "", "x" * 64, "y" * 65, "k\x00f"]
ORDER_FREE = {"HGETALL", "HKEYS", "HVALS"}


def _field(gen):
    r = gen.r
    if r.random() < 0.1:
        return "g%d" % r.randint(0, 700)  # fields of the large hashes
    return r.choice(FIELDS)


def _pairs(gen, n):
    out = []
    for _ in range(n):
        out += [_field(gen), gen.value()]
    return out


def _big_hset(gen):
    """Crosses hash-max-listpack-entries (512) or the 128-element mark in one command."""
    r = gen.r
    n = r.choice([130, 513, 600])
    base = r.randint(0, 100)
    args = ["HSET", gen.key()]
    for i in range(n):
        args += ["g%d" % (base + i), str(i)]
    return args


def choices(gen):
    r, k = gen.r, gen.key
    ints = ["0", "1", "-1", "5", "100", "-100", "9223372036854775807", "-9223372036854775808",
            "abc", "1.5", "", "007"]
    floats = ["0.1", "-0.1", "1.5", "2.0e2", "5e-3", "-3", "10", "abc", "", "inf", "nan",
              "1e308", ".5", "5."]
    return [
        (3.5, lambda: ["HSET", k()] + _pairs(gen, r.randint(1, 4))),
        (0.3, lambda: ["HSET", k()] + _pairs(gen, 1)[:1]),  # odd arguments
        (0.2, lambda: _big_hset(gen)),
        (1, lambda: ["HSETNX", k(), _field(gen), gen.value()]),
        (0.7, lambda: ["HMSET", k()] + _pairs(gen, r.randint(1, 3))),
        (2, lambda: ["HGET", k(), _field(gen)]),
        (1, lambda: ["HMGET", k()] + [_field(gen) for _ in range(r.randint(1, 4))]),
        (1, lambda: ["HGETALL", k()]),
        (0.5, lambda: [r.choice(["HKEYS", "HVALS"]), k()]),
        (1.5, lambda: ["HDEL", k()] + [_field(gen) for _ in range(r.randint(1, 4))]),
        (0.2, lambda: ["HDEL", k()] + ["g%d" % i for i in range(r.randint(0, 50), 720)]),
        (0.5, lambda: ["HEXISTS", k(), _field(gen)]),
        (1, lambda: ["HLEN", k()]),
        (0.5, lambda: ["HSTRLEN", k(), _field(gen)]),
        (1.5, lambda: ["HINCRBY", k(), _field(gen), r.choice(ints)]),
        (1.2, lambda: ["HINCRBYFLOAT", k(), _field(gen), r.choice(floats)]),
        (1.2, lambda: ["HRANDFIELD-ALL", k()] + r.choice(
            [[], ["1"], ["3"], ["-3"], ["0"], ["100"], ["-5", "WITHVALUES"], ["2", "withvalues"],
             ["1000", "WITHVALUES"], ["x"], ["-9223372036854775808"], ["9223372036854775807"],
             ["4611686018427387904", "WITHVALUES"], ["-4611686018427387904", "WITHVALUES"],
             ["1", "FOO"], ["1", "WITHVALUES", "x"]])),
        (0.8, lambda: ["HSCAN-ALL", k()] + r.choice(
            [[], ["COUNT", "3"], ["MATCH", "f*"], ["MATCH", "g1*", "COUNT", "50"],
             ["COUNT", "0"], ["COUNT", "x"], ["FOO"], ["TYPE", "hash"]])),
        (0.3, lambda: ["HSCAN", k(), r.choice(["abc", "1x", " 1", "99999999999999999999999"])]),
    ]


def _pairs_of(flat):
    return sorted(zip(flat[0::2], flat[1::2]))


def same(args, a, b):
    name = args[0].upper()
    if name in ORDER_FREE and isinstance(a, list) and isinstance(b, list):
        if name == "HGETALL":
            return _pairs_of(a) == _pairs_of(b) and len(a) == len(b)
        return sorted(a) == sorted(b)
    if name in ORDER_FREE and isinstance(a, dict) and isinstance(b, dict):
        return a == b
    if name in ("HSCAN-ALL", "HRANDFIELD-ALL"):
        return a == b
    return None


def order_free(args):
    return args[0].upper() in ORDER_FREE


def after(args):
    return []


def dump(conn, key, typ):
    if typ != b"hash":
        return None
    flat = conn.call("HGETALL", key)
    if isinstance(flat, dict):
        return sorted(flat.items())
    return (_pairs_of(flat), conn.call("OBJECT", "ENCODING", key))


def _hscan_all(conn, key, opts):
    seen, cursor = set(), b"0"
    for _ in range(100000):
        reply = conn.call("HSCAN", key, cursor, *opts)
        if isinstance(reply, RespError):
            return reply
        cursor, flat = reply
        seen.update(zip(flat[0::2], flat[1::2]))
        if cursor == b"0":
            return sorted(seen)
    return RespError("HSCAN did not terminate")


def _hrandfield_all(conn, key, opts):
    """HRANDFIELD's reply reduced to what both servers must agree on."""
    reply = conn.call("HRANDFIELD", key, *opts)
    if isinstance(reply, RespError) or reply is None:
        return reply
    content = conn.call("HGETALL", key)
    if isinstance(content, RespError):
        return ("wrongtype?", reply)
    if isinstance(content, list):
        content = dict(zip(content[0::2], content[1::2]))
    if isinstance(reply, bytes):
        return ("field", reply in content)
    withvalues = len(opts) == 2
    pairs = []
    if withvalues:
        if reply and isinstance(reply[0], list):
            shape = "nested"
            pairs = [tuple(p) for p in reply]
        else:
            shape = "flat"
            pairs = list(zip(reply[0::2], reply[1::2]))
    else:
        shape = "flat"
        pairs = [(f, content.get(f)) for f in reply]
    members = all(f in content and content[f] == v for f, v in pairs)
    fields = [f for f, _ in pairs]
    distinct = len(set(fields)) == len(fields)
    count = int(opts[0])
    return (shape, len(reply), len(pairs), members, distinct if count > 0 else None)


def run(conn, args):
    name = args[0].upper()
    if name == "HSCAN-ALL":
        return (_hscan_all(conn, args[1], args[2:]),)
    if name == "HRANDFIELD-ALL":
        return (_hrandfield_all(conn, args[1], args[2:]),)
    return None
