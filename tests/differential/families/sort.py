"""SORT and SORT_RO: numeric and ALPHA sorts, DESC, LIMIT windows, BY weights in string keys and
hash fields, BY nosort, GET patterns (#, strings, hash fields, keys of other types), STORE (onto
any key, the source itself, an empty result deleting the destination) and the error paths.

The family keeps its own lists (sl:*), sorted sets (sz:*) and sets (ss:*) of small numbers and
words, whose
elements name the weight keys w_<elem> (strings) and o_<elem> (hashes with fields w and name);
it also sorts the shared gen.key() keys that the other families fill.

Where the reference server's order is not deterministic the replies are compared as multisets:
ties between ALPHA weights (its sort is stable on a list's order, but a set or sorted set is read
in hash-table order, and SORT ... BY ... LIMIT uses an unstable partial sort), and BY nosort on a
key that may be a set. A LIMIT window over such ties is compared by its length only. A STORE of
such a result is followed by a binary ALPHA re-sort of the destination on both servers.
"""

NUMS = ["1", "2", "3", "10", "-5", "1.5", "007", "0", "-0", "42", "1e3", "2.5", "-7", "100",
        "0x1f", "inf", "-inf", "99", "13", "8"]
BAD_NUMS = ["abc", "1e400", "nan", "12abc", "3 "]
WORDS = ["a", "b", "c", "apple", "banana", "cherry", "Zed", "zed", "a b", "", "x" * 70, "10",
         "9", "dog", "cat"]
LIST_KEYS = ["sl:a", "sl:b", "sl:c"]
ZSET_KEYS = ["sz:a", "sz:b", "sz:c"]
SET_KEYS = ["ss:a", "ss:b", "ss:c"]
OWN = LIST_KEYS + ZSET_KEYS + SET_KEYS
DESTS = ["sd:a", "sd:b"]
BY_PATTERNS = ["w_*", "o_*->w", "o_*->name", "nosort", "w_*", "o_*->w", "missing_*", "k*", "w_*",
               "k*->f", "o_*->", "#", "w_*\x00x", "*"]
GET_PATTERNS = ["#", "w_*", "o_*->name", "o_*->w", "nokey", "missing_*", "k*", "k*->f",
                "o_*->", "*"]
LIMITS = ["0", "1", "2", "3", "5", "-1", "-3", "100", "9223372036854775807",
          "-9223372036854775808"]


def _elem(gen):
    r = gen.r
    return r.choice(NUMS) if r.random() < 0.6 else r.choice(WORDS)


def _weight(gen):
    r = gen.r
    if r.random() < 0.01:
        return r.choice(BAD_NUMS)
    # Mostly distinct weights: ties only now and then.
    return str(r.randint(-1000, 1000)) if r.random() < 0.85 else r.choice(["1", "1.5", "0", "-0"])


def _opts(gen, readonly):
    r = gen.r
    opts = []
    for _ in range(r.randint(0, 4)):
        kind = r.choice(["BY", "GET", "GET", "LIMIT", "ASC", "DESC", "ALPHA", "ALPHA", "STORE"])
        if kind == "BY":
            opts += ["BY", r.choice(BY_PATTERNS)]
        elif kind == "GET":
            opts += ["GET", r.choice(GET_PATTERNS)]
        elif kind == "LIMIT":
            opts += ["LIMIT", r.choice(LIMITS), r.choice(LIMITS)]
        elif kind == "STORE":
            if readonly and r.random() < 0.8:
                continue
            opts += ["STORE", r.choice(DESTS + [gen.key(), r.choice(OWN)])]
        else:
            opts.append(kind.lower() if r.random() < 0.1 else kind)
    return opts


def _sort(gen, key):
    r = gen.r
    ro = r.random() < 0.3
    return ["SORT_RO" if ro else "SORT", key] + _opts(gen, ro)


def _bad(gen):
    r = gen.r
    k = r.choice(OWN)
    return r.choice([
        ["SORT"],
        ["SORT_RO"],
        ["SORT", k, "LIMIT", "1"],
        ["SORT", k, "LIMIT", "x", "1"],
        ["SORT", k, "LIMIT", "1", "1.5"],
        ["SORT", k, "BY"],
        ["SORT", k, "GET"],
        ["SORT", k, "STORE"],
        ["SORT_RO", k, "STORE", "sd:a"],
        ["SORT", k, "FOO"],
        ["SORT", k, "ALPHA", "DESC", "LIMIT", "0", "2", "FOO"],
        ["SORT", gen.key(), "LIMIT", "x", "y"],
    ])


def _pool(gen, key):
    """Elements for one of the family's keys: the first of each kind holds numbers only (so
    numeric sorts succeed), the second words, the third both."""
    r = gen.r
    if key.endswith(":a"):
        return r.choice(NUMS)
    if key.endswith(":b"):
        return r.choice(WORDS)
    return _elem(gen)


def _push(gen):
    r = gen.r
    key = r.choice(LIST_KEYS)
    n = r.choice([130, 600]) if r.random() < 0.02 else r.randint(1, 6)
    elems = [_pool(gen, key) for _ in range(n)]
    if r.random() < 0.05 and key == "sl:c":
        elems.append(r.choice(BAD_NUMS))
    return [r.choice(["RPUSH", "LPUSH"]), key] + elems


def _zadd(gen):
    r = gen.r
    n = r.choice([130, 200]) if r.random() < 0.02 else r.randint(1, 5)
    key = r.choice(ZSET_KEYS)
    args = ["ZADD", key]
    for _ in range(n):
        args += [str(r.randint(-50, 50)) if r.random() < 0.9 else r.choice(["1", "inf"]),
                 _pool(gen, key) if n < 100 else str(r.randint(0, 100000))]
    return args


def _sadd(gen):
    r = gen.r
    if r.random() < 0.03:
        # Past set-max-intset-entries (512) or with words: the table encodings.
        return ["SADD", r.choice(SET_KEYS)] + [str(r.randint(-10 ** 6, 10 ** 6))
                                              for _ in range(r.choice([100, 600]))]
    key = r.choice(SET_KEYS)
    return ["SADD", key] + [_pool(gen, key) for _ in range(r.randint(1, 5))]


def choices(gen):
    r = gen.r
    return [
        (2, lambda: _push(gen)),
        (0.8, lambda: _zadd(gen)),
        (0.8, lambda: _sadd(gen)),
        (1.5, lambda: ["MSET"] + sum([["w_" + _elem(gen), _weight(gen)]
                                      for _ in range(r.randint(1, 4))], [])),
        (1.5, lambda: ["HSET", "o_" + _elem(gen), "w", _weight(gen), "name",
                       r.choice(WORDS) + r.choice(["", "1", "2"])]),
        (6, lambda: _sort(gen, r.choice(OWN))),
        (3, lambda: _sort(gen, gen.key())),
        (1, lambda: _bad(gen)),
        (0.4, lambda: ["OBJECT", "ENCODING", r.choice(ZSET_KEYS + SET_KEYS)]),
        (0.6, lambda: ["LRANGE", r.choice(DESTS), "0", "-1"]),
        (0.5, lambda: ["DEL", r.choice(OWN + DESTS)]),
    ]


def _is_sort(args):
    return args and args[0].upper() in ("SORT", "SORT_RO")


def _parse(args):
    """The options the reference server would take from a SORT invocation (None if invalid)."""
    o = {"alpha": False, "by": None, "dontsort": False, "limit": False, "gets": 0, "store": None}
    ro = args[0].upper() == "SORT_RO"
    j = 2
    while j < len(args):
        a = args[j].lower()
        left = len(args) - j - 1
        if a in ("asc", "desc"):
            pass
        elif a == "alpha":
            o["alpha"] = True
        elif a == "limit" and left >= 2:
            o["limit"] = True
            j += 2
        elif a == "store" and not ro and left >= 1:
            o["store"] = args[j + 1]
            j += 1
        elif a == "by" and left >= 1:
            o["by"] = args[j + 1]
            if "*" not in args[j + 1].split("\x00")[0]:
                o["dontsort"] = True
            j += 1
        elif a == "get" and left >= 1:
            o["gets"] += 1
            j += 1
        else:
            return None
        j += 1
    return o


def _ties_possible(args):
    """True when the reference server's order may depend on its hash-table or partial-sort
    order rather than on the data."""
    o = _parse(args)
    if o is None or len(args) < 2:
        return False
    key = args[1]
    own_list = key in LIST_KEYS
    own_zset = key in ZSET_KEYS
    if o["dontsort"]:
        # Lists and sorted sets keep their own order; a set is read in table order (unless
        # stored, which sorts it).
        return not (own_list or own_zset) and o["store"] is None
    if not o["alpha"]:
        return False  # numeric: equal scores are ordered by the elements' bytes
    if o["by"] is not None:
        # Ties between looked-up values: stable on a list without LIMIT only.
        return not own_list or o["limit"]
    # ALPHA on the elements: only elements equal up to a NUL byte tie; own keys have none.
    return not (own_list or own_zset or key in SET_KEYS)


def same(args, a, b):
    if not _is_sort(args) or not _ties_possible(args):
        return None
    if a == b:
        return True
    if not (isinstance(a, list) and isinstance(b, list)) or len(a) != len(b):
        return False
    if _parse(args)["limit"]:
        return True  # the window over tied elements is itself implementation-defined
    g = max(1, _parse(args)["gets"])
    ga = sorted((tuple(a[i:i + g]) for i in range(0, len(a), g)), key=repr)
    gb = sorted((tuple(b[i:i + g]) for i in range(0, len(b), g)), key=repr)
    return ga == gb


def order_free(args):
    return _is_sort(args) and _ties_possible(args)


def after(args):
    if not _is_sort(args) or not _ties_possible(args):
        return []
    o = _parse(args)
    if o["store"] is None:
        return []
    if o["limit"]:
        return [["DEL", o["store"]]]  # even the window's elements are implementation-defined
    # Bring a stored result whose order was implementation-defined to one order on both sides
    # (ALPHA with STORE compares whole byte strings: a total order).
    return [["SORT", o["store"], "ALPHA", "STORE", o["store"]]]


def dump(conn, key, typ):
    return None


def run(conn, args):
    # The reference server reads SORT's numbers with strtod but never clears errno first, so an
    # ERANGE left behind by an earlier command (an overflowing HSCAN cursor, ...) fails a later
    # SORT of valid numbers. A score parse (which clears errno; on a missing key with XX it
    # changes nothing) just before each SORT removes that history. None: SORT itself then runs
    # as usual and is compared byte for byte.
    if _is_sort(args):
        conn.call("ZADD", "sort:errno", "XX", "1", "m")
    return None
