"""Lists: pushes and pops at both ends (with COUNT), ranges, LPOS/LINSERT/LREM/LTRIM/LSET with
negative and out-of-range indexes, LMOVE/RPOPLPUSH/LMPOP (same key, other shards, wrong types),
on gen.key() keys so they collide with strings and the keyspace commands; node sizes and
list-compress-depth switched on both servers alike."""

# A small pool so LPOS/LREM/LINSERT find their pivots; numbers and non-canonical numbers
# ("007", "+1", "-0") exercise the integer encoding; long values cross the 64-byte mark.
ELEMS = ["a", "b", "c", "a", "1", "2", "-1", "0", "007", "+1", "-0", "10000", "-70000",
         "9223372036854775807", "-9223372036854775808", "", "hello world", "x" * 70, "y" * 300]
IDX = ["0", "1", "2", "-1", "-2", "3", "5", "-5", "10", "-100", "100", "9223372036854775807",
       "-9223372036854775808", "x", "1.5", ""]


def _elem(gen):
    return gen.r.choice(ELEMS) if gen.r.random() < 0.85 else gen.value()


def _elems(gen):
    r = gen.r
    p = r.random()
    if p < 0.02:
        # Large pushes: many nodes, long ranges.
        return [_elem(gen) for _ in range(r.choice([130, 600, 1100]))]
    if p < 0.04:
        return ["z" * r.choice([5000, 9000])]
    return [_elem(gen) for _ in range(r.randint(1, 5))]


def _side(gen):
    return gen.r.choice(["LEFT", "RIGHT", "left", "right", "LEFT", "RIGHT", "up"])


def _lpos_opts(gen):
    r = gen.r
    opts = []
    for _ in range(r.randint(0, 3)):
        kind = r.choice(["RANK", "COUNT", "MAXLEN", "RANK", "COUNT", "FOO"])
        if kind == "RANK":
            opts += [kind, r.choice(["1", "2", "-1", "-2", "3", "0", "-9223372036854775808",
                                     "9223372036854775807", "x"])]
        elif kind == "FOO":
            opts.append(kind)
        else:
            opts += [kind, r.choice(["0", "1", "2", "5", "-1", "x"])]
    return opts


def _lmpop(gen):
    r = gen.r
    n = r.randint(1, 3)
    keys = [gen.key() for _ in range(n)]
    numkeys = str(n) if r.random() < 0.9 else r.choice(["0", "-1", "x", str(n + 1), "99"])
    args = ["LMPOP", numkeys] + keys + [_side(gen)]
    if r.random() < 0.5:
        args += ["COUNT", r.choice(["1", "2", "3", "10", "0", "-1", "x"])]
    if r.random() < 0.05:
        args += r.choice([["COUNT", "1"], ["FOO"]])
    return args


def choices(gen):
    r, k = gen.r, gen.key
    return [
        (3, lambda: [r.choice(["LPUSH", "RPUSH"]), k()] + _elems(gen)),
        (0.8, lambda: [r.choice(["LPUSHX", "RPUSHX"]), k()] + _elems(gen)),
        (2, lambda: [r.choice(["LPOP", "RPOP"]), k()] +
         r.choice([[], [], ["1"], ["2"], ["0"], ["5"], ["100"], ["-1"], ["x"], ["1", "2"]])),
        (0.8, lambda: ["LLEN", k()]),
        (2, lambda: ["LRANGE", k(), r.choice(IDX), r.choice(IDX)]),
        (1, lambda: ["LINDEX", k(), r.choice(IDX)]),
        (1, lambda: ["LSET", k(), r.choice(IDX), _elem(gen)]),
        (1.5, lambda: ["LINSERT", k(), r.choice(["BEFORE", "AFTER", "before", "after", "MIDDLE"]),
                       _elem(gen), _elem(gen)]),
        (1.5, lambda: ["LREM", k(), r.choice(["0", "1", "2", "-1", "-2", "5", "-9223372036854775808",
                                              "x"]), _elem(gen)]),
        (1.5, lambda: ["LTRIM", k(), r.choice(IDX), r.choice(IDX)]),
        (1.5, lambda: ["LPOS", k(), _elem(gen)] + _lpos_opts(gen)),
        (1, lambda: ["LMOVE", k(), k(), _side(gen), _side(gen)]),
        (0.4, lambda: (lambda key: ["LMOVE", key, key, _side(gen), _side(gen)])(k())),
        (0.5, lambda: ["RPOPLPUSH", k(), k()]),
        (0.8, lambda: _lmpop(gen)),
        (0.3, lambda: ["OBJECT", "ENCODING", k()]),
        # Node size and compression change no reply. Both servers get these from the same
        # stream, so they always run with the same settings, and the lists meet every command
        # split into small nodes and with their interior nodes compressed.
        (0.15, lambda: ["CONFIG", "SET", "list-compress-depth", r.choice(["0", "1", "1", "2"])]),
        (0.15, lambda: ["CONFIG", "SET", "list-max-listpack-size",
                        r.choice(["-2", "-1", "2", "4", "16"])]),
    ]


def same(args, a, b):
    return None


def order_free(args):
    return False


def after(args):
    return []


def dump(conn, key, typ):
    return conn.call("LRANGE", key, "0", "-1") if typ == b"list" else None
