"""Streams: XADD/XRANGE/XDEL/XTRIM/XREAD, consumer groups and XINFO.

Entry IDs are explicit (from one increasing counter, so most XADDs succeed on whatever key they
hit, plus some stale or invalid ones for the error paths), so replies compare byte for byte.
Auto IDs (`*`) depend on the clock: they are only used on a key of their own (AUTO_KEY) whose
replies are compared by shape and whose dump leaves the IDs out. Time-dependent values (idle
times, delivery and seen times) and the radix-tree counters of XINFO are left out of the
comparison. BLOCK is only sent where data is available (XREADBLOCK-ALL), since Redis would wait.
"""

import re

AUTO_KEY = "stream:auto"
FIELDS = ["f", "g", "name", "a"]
GROUPS = ["g1", "g2", "grp"]
CONSUMERS = ["alice", "bob", "carol"]
ID_RE = re.compile(rb"^\d+-\d+$")
BIG_IDLE = "3600000"
NOISY_FIELDS = {b"radix-tree-keys", b"radix-tree-nodes", b"seen-time", b"idle"}


class _State:
    ms = 1
    recent = ["1-0"]


S = _State()


def _new_id(gen):
    r = gen.r
    S.ms += r.choice([0, 1, 1, 2, 5])
    p = r.random()
    if p < 0.6:
        i = "%d-%d" % (S.ms, r.randint(0, 3))
    elif p < 0.75:
        i = str(S.ms)
    elif p < 0.85:
        i = "%d-*" % S.ms
    else:
        i = r.choice(["0-0", "0-*", "0", "1-1", "abc", "-", "+", "1-x", "%d-0" % max(1, S.ms - 3),
                      "18446744073709551616", "%d-18446744073709551615" % S.ms])
        if r.random() < 0.02:
            i = "18446744073709551615-18446744073709551615"  # exhausts the key's IDs
    if "-" in i and "*" not in i and i[0].isdigit():
        S.recent.append(i)
        del S.recent[:-30]
    return i


def _any_id(gen, interval=False):
    r = gen.r
    p = r.random()
    if p < 0.6:
        i = r.choice(S.recent)
    elif p < 0.75:
        i = str(r.randint(0, S.ms + 2))
    else:
        i = r.choice(["0", "0-0", "0-1", "abc", "-1", "18446744073709551615-18446744073709551615",
                      "1-18446744073709551615"] + (["-", "+"] if interval else []))
    if interval and r.random() < 0.2:
        i = "(" + i
    return i


def _fields(gen):
    r = gen.r
    if r.random() < 0.03:
        n = r.choice([70, 150])
        return [x for j in range(n) for x in ("f%d" % j, gen.value())]
    n = r.choice([1, 1, 2, 2, 3])
    names = FIELDS[:n] if r.random() < 0.7 else r.sample(FIELDS, n)
    return [x for f in names for x in (f, gen.value())]


def _trim_opts(gen, xtrim=False):
    r = gen.r
    if not xtrim and r.random() < 0.7:
        return []
    kind = r.choice(["MAXLEN", "MAXLEN", "MINID"])
    out = [kind]
    op = r.choice(["", "", "=", "~"])
    if op:
        out.append(op)
    if kind == "MAXLEN":
        out.append(r.choice(["0", "1", "2", "5", "10", "50", "-1", "x"]))
    else:
        out.append(_any_id(gen))
    if r.random() < 0.2:
        out += ["LIMIT", r.choice(["0", "1", "10", "100", "-1", "y"])]
    if r.random() < 0.03:
        out += r.choice([["MINID", "1"], ["FOO"], ["LIMIT"]])
    return out


def _xadd(gen):
    r = gen.r
    args = ["XADD", gen.key()]
    if r.random() < 0.1:
        args.append("NOMKSTREAM")
    args += _trim_opts(gen)
    args.append(_new_id(gen))
    args += _fields(gen)
    if r.random() < 0.03:
        args.pop()
    return args


def _xrange(gen):
    r = gen.r
    name = r.choice(["XRANGE", "XREVRANGE"])
    a, b = _any_id(gen, True), _any_id(gen, True)
    if r.random() < 0.5:
        a, b = ("-", "+") if name == "XRANGE" else ("+", "-")
    args = [name, gen.key(), a, b]
    if r.random() < 0.5:
        args += ["COUNT", r.choice(["0", "1", "2", "5", "-1", "abc", "100"])]
    if r.random() < 0.03:
        args.append("FOO")
    return args


def _xread(gen):
    r = gen.r
    args = ["XREAD"]
    if r.random() < 0.4:
        args += ["COUNT", r.choice(["1", "2", "0", "-3", "x"])]
    keys = [gen.key() for _ in range(r.randint(1, 3))]
    ids = [r.choice(["0", "$", "0-0"] + [_any_id(gen)] * 3) for _ in keys]
    args += ["STREAMS"] + keys + ids
    p = r.random()
    if p < 0.04:
        args = args[:-1]
    elif p < 0.06:
        args = ["XREAD", "STREAMS", keys[0], ">"]
    elif p < 0.08:
        args = ["XREAD", "GROUP", "g1", "c", "STREAMS", keys[0], "0"]
    elif p < 0.1:
        args = ["XREAD", "COUNT", "1", keys[0], "0"]
    return args


def _xreadgroup(gen):
    r = gen.r
    args = ["XREADGROUP", "GROUP", r.choice(GROUPS), r.choice(CONSUMERS)]
    if r.random() < 0.5:
        args += ["COUNT", r.choice(["1", "2", "3", "10", "0"])]
    if r.random() < 0.15:
        args.append("NOACK")
    keys = [gen.key() for _ in range(r.choice([1, 1, 1, 2]))]
    ids = [r.choice([">", ">", ">", "0", "$"] + [_any_id(gen)]) for _ in keys]
    args += ["STREAMS"] + keys + ids
    if r.random() < 0.03:
        args = ["XREADGROUP", "STREAMS", keys[0], ">"]
    return args


def _xgroup(gen):
    r = gen.r
    k, g = gen.key(), r.choice(GROUPS)
    sub = r.choice(["CREATE", "CREATE", "CREATE", "SETID", "CREATECONSUMER", "DELCONSUMER",
                    "DESTROY", "HELP", "FOO", "create"])
    if sub.upper() == "CREATE":
        args = ["XGROUP", sub, k, g, r.choice(["$", "0", _any_id(gen)])]
        if r.random() < 0.5:
            args.append("MKSTREAM")
        if r.random() < 0.2:
            args += ["ENTRIESREAD", r.choice(["0", "3", "-1", "-2", "x", "100"])]
        return args
    if sub == "SETID":
        args = ["XGROUP", sub, k, g, r.choice(["$", "0", _any_id(gen)])]
        if r.random() < 0.3:
            args += ["ENTRIESREAD", r.choice(["0", "2", "-1", "-5"])]
        if r.random() < 0.05:
            args.append("MKSTREAM")
        return args
    if sub in ("CREATECONSUMER", "DELCONSUMER"):
        return ["XGROUP", sub, k, g, r.choice(CONSUMERS)]
    if sub == "DESTROY":
        return ["XGROUP", sub, k, g]
    if sub == "HELP":
        return ["XGROUP", "HELP"] + r.choice([[], [], ["x"]])
    return ["XGROUP", sub, k, g]


def _xpending(gen):
    r = gen.r
    args = ["XPENDING", gen.key(), r.choice(GROUPS)]
    if r.random() < 0.4:
        return args
    if r.random() < 0.3:
        args += ["IDLE", r.choice(["0", BIG_IDLE, "x"])]
    args += [r.choice(["-", _any_id(gen, True)]), r.choice(["+", _any_id(gen, True)]),
             r.choice(["10", "1", "0", "-1", "x"])]
    if r.random() < 0.4:
        args.append(r.choice(CONSUMERS + ["nobody"]))
    if r.random() < 0.03:
        args += ["extra", "x"]
    return args


def _xclaim(gen):
    r = gen.r
    args = ["XCLAIM", gen.key(), r.choice(GROUPS), r.choice(CONSUMERS),
            r.choice(["0", "0", BIG_IDLE, "-5", "x"])]
    args += [_any_id(gen) for _ in range(r.randint(1, 3))]
    for opt in r.sample(["IDLE", "TIME", "RETRYCOUNT", "FORCE", "JUSTID", "LASTID", "BAD"],
                        r.randint(0, 3)):
        if opt == "IDLE":
            args += [opt, r.choice(["0", "5000000", "x"])]
        elif opt == "TIME":
            args += [opt, r.choice(["1000", "x"])]
        elif opt == "RETRYCOUNT":
            args += [opt, r.choice(["0", "7", "x"])]
        elif opt == "LASTID":
            args += [opt, _any_id(gen)]
        elif opt == "BAD":
            if r.random() < 0.3:
                args.append("BAD")
        else:
            args.append(opt)
    return args


def _xautoclaim(gen):
    r = gen.r
    args = ["XAUTOCLAIM", gen.key(), r.choice(GROUPS), r.choice(CONSUMERS),
            r.choice(["0", "0", BIG_IDLE, "x"]), r.choice(["0", "-", _any_id(gen, True)])]
    if r.random() < 0.5:
        args += ["COUNT", r.choice(["1", "2", "5", "0", "x"])]
    if r.random() < 0.3:
        args.append("JUSTID")
    if r.random() < 0.03:
        args.append("FOO")
    return args


def _xinfo(gen):
    r = gen.r
    k = gen.key()
    return r.choice([["XINFO", "STREAM", k], ["XINFO", "STREAM", k, "FULL"],
                     ["XINFO", "STREAM", k, "FULL", "COUNT", r.choice(["1", "0", "-1", "x"])],
                     ["XINFO", "STREAM", k, "BAD"], ["XINFO", "GROUPS", k],
                     ["XINFO", "CONSUMERS", k, r.choice(GROUPS)], ["XINFO", "HELP"],
                     ["XINFO", "FOO", k], ["XINFO", "GROUPS"]])


def _xsetid(gen):
    r = gen.r
    args = ["XSETID", gen.key(), r.choice([_any_id(gen), str(S.ms + 10)])]
    if r.random() < 0.3:
        args += ["ENTRIESADDED", r.choice(["0", "5", "1000", "-1", "x"])]
    if r.random() < 0.3:
        args += ["MAXDELETEDID", r.choice(["0-1", _any_id(gen), "99999999999-0"])]
    return args


def _xaddmany(gen):
    n = gen.r.choice([120, 250])
    base = S.ms + 1
    S.ms += n // 3 + 2
    return ["XADDMANY-ALL", gen.key(), str(n), str(base)]


def choices(gen):
    r, k = gen.r, gen.key
    return [
        (4.5, lambda: _xadd(gen)),
        (0.2, lambda: _xaddmany(gen)),
        (2, lambda: _xrange(gen)),
        (0.8, lambda: ["XLEN", k()]),
        (1.2, lambda: ["XDEL", k()] + [_any_id(gen) for _ in range(r.randint(1, 3))]),
        (1, lambda: ["XTRIM", k()] + _trim_opts(gen, xtrim=True)),
        (1.2, lambda: _xread(gen)),
        (0.3, lambda: ["XREADBLOCK-ALL", k(), r.choice(["0", "100"])]),
        (1.8, lambda: _xgroup(gen)),
        (1.8, lambda: _xreadgroup(gen)),
        (1, lambda: ["XACK", k(), r.choice(GROUPS)] +
         [_any_id(gen) for _ in range(r.randint(1, 3))]),
        (0.9, lambda: _xpending(gen)),
        (0.8, lambda: _xclaim(gen)),
        (0.7, lambda: _xautoclaim(gen)),
        (0.9, lambda: _xinfo(gen)),
        (0.3, lambda: _xsetid(gen)),
        (0.4, lambda: ["XADD", AUTO_KEY] + r.choice([[], ["MAXLEN", "~", "5"], ["MAXLEN", "3"]]) +
         ["*"] + _fields(gen)),
        (0.1, lambda: ["XLEN", AUTO_KEY]),
    ]


def _upper(args):
    return args[0].upper() if args else ""


def _strip(v):
    """A reply without its time-dependent parts."""
    if isinstance(v, dict):
        return {k: _strip(x) for k, x in v.items() if k not in NOISY_FIELDS}
    if isinstance(v, list):
        if len(v) % 2 == 0 and len(v) >= 4 and all(isinstance(x, bytes) for x in v[::2]) and \
                any(x in NOISY_FIELDS or x in (b"length", b"name") for x in v[::2]):
            out = []
            for i in range(0, len(v), 2):
                if v[i] not in NOISY_FIELDS:
                    out += [v[i], _strip(v[i + 1])]
            return out
        return [("T" if isinstance(x, int) and x > 10 ** 11 else _strip(x)) for x in v]
    return v


def _pending_same(a, b):
    if not (isinstance(a, list) and isinstance(b, list) and len(a) == len(b)):
        return a == b
    for x, y in zip(a, b):
        if isinstance(x, list) and isinstance(y, list) and len(x) == len(y) == 4:
            if x[:2] != y[:2] or x[3] != y[3] or abs(x[2] - y[2]) > 200:
                return False
        elif x != y:
            return False
    return True


def same(args, a, b):
    name = _upper(args)
    if name == "XADD" and len(args) > 1 and args[1] == AUTO_KEY:
        if isinstance(a, bytes) and isinstance(b, bytes):
            return bool(ID_RE.match(a) and ID_RE.match(b))
        return a == b and type(a) is type(b)
    if name == "XINFO":
        return _strip(a) == _strip(b)
    if name == "XPENDING" and len(args) > 3:
        return _pending_same(a, b)
    return None


def order_free(args):
    name = _upper(args)
    return name == "XINFO" or (name == "XPENDING" and len(args) > 3) or \
        (name == "XADD" and len(args) > 1 and args[1] == AUTO_KEY)


def after(args):
    return []


def run(conn, args):
    if not args or args[0] not in ("XADDMANY-ALL", "XREADBLOCK-ALL"):
        return None
    key = args[1]
    if args[0] == "XREADBLOCK-ALL":
        head = conn.call("XRANGE", key, "-", "+", "COUNT", "1")
        if isinstance(head, list) and head:
            return (conn.call("XREAD", "BLOCK", args[2], "COUNT", "3", "STREAMS", key, "0"),)
        return (head,)
    out = []
    n, base = int(args[2]), int(args[3])
    for i in range(n):
        out.append(conn.call("XADD", key, "%d-%d" % (base + i // 3, i % 3), "f", str(i),
                             "g", "v" * (i % 50)))
    return (out,)


def dump(conn, key, typ):
    if typ != b"stream":
        return None
    if key == AUTO_KEY.encode():
        entries = conn.call("XRANGE", key, "-", "+")
        return ("auto", [e[1] for e in entries] if isinstance(entries, list) else entries)
    return (conn.call("XRANGE", key, "-", "+"), _strip(conn.call("XINFO", "STREAM", key)),
            _strip(conn.call("XINFO", "STREAM", key, "FULL", "COUNT", "0")))
