"""Bitmaps, bit fields, HyperLogLog and LCS: commands on string values, on the same keys as the
string commands, so they meet integers, embedded strings, long values and each other's results
(an HLL appended to, a bitmap counted as an HLL, ...)."""

OFFSETS = ["0", "1", "7", "8", "15", "63", "100", "1000", "8191", "20000", "3", "31", "-1", "abc",
           "", "4294967296", "+1"]
BITFIELD_TYPES = ["i1", "u1", "i5", "u7", "i8", "u8", "i16", "u16", "i32", "u31", "i63", "u63",
                  "i64", "i8", "u8", "u4", "i3"]
BAD_BITFIELD_TYPES = ["u64", "i65", "i0", "x8", "I8", "u", ""]
FIELD_OFFSETS = ["0", "3", "7", "8", "13", "64", "100", "#0", "#1", "#5", "#", "-1", "#-1", "x"]
FIELD_VALUES = ["0", "1", "-1", "5", "100", "127", "128", "-128", "255", "256", "-129", "1000",
                "9223372036854775807", "-9223372036854775808", "abc", "1.5"]
RANGES = ["0", "1", "2", "-1", "-2", "-3", "5", "10", "100", "-100", "abc", "9223372036854775807",
          "-9223372036854775808"]
ELEMENTS = ["a", "b", "c", "foo", "bar", "", "\x00", "x" * 50] + ["e%d" % i for i in range(40)]


def choices(gen):
    r, k = gen.r, gen.key

    def offset():
        return r.choice(OFFSETS)

    def rng():
        return r.choice(RANGES)

    def unit():
        return r.choice(["BIT", "BYTE", "bit", "byte", "FOO"])

    def bitcount():
        args = ["BITCOUNT", k()]
        n = r.random()
        if n < 0.3:
            return args
        if n < 0.35:
            return args + [rng()]
        args += [rng(), rng()]
        if n > 0.6:
            args.append(unit())
        if n > 0.95:
            args.append("BIT")
        return args

    def bitpos():
        args = ["BITPOS", k(), r.choice(["0", "1", "1", "0", "2", "-1", "x"])]
        n = r.randint(0, 4)
        if n >= 1:
            args.append(rng())
        if n >= 2:
            args.append(rng())
        if n >= 3:
            args.append(unit())
        if n >= 4 and r.random() < 0.3:
            args.append("BIT")
        return args

    def bitop():
        op = r.choice(["AND", "OR", "XOR", "NOT", "and", "not", "FOO"])
        n = 1 if op.upper() == "NOT" and r.random() < 0.8 else r.randint(1, 3)
        return ["BITOP", op, k()] + [k() for _ in range(n)]

    def ftype():
        return r.choice(BAD_BITFIELD_TYPES if r.random() < 0.08 else BITFIELD_TYPES)

    def hll_key():
        # Sketches stay sketches only until a string command overwrites them: aim the HyperLogLog
        # commands at keys a PFADD touched lately more often than at random.
        recent = gen.__dict__.setdefault("hll_keys", [])
        if recent and r.random() < 0.6:
            return r.choice(recent)
        key = k()
        recent.append(key)
        del recent[:-3]
        return key

    def field_op(read_only):
        p = r.random()
        if p < 0.35 or read_only and p < 0.85:
            return ["GET", ftype(), r.choice(FIELD_OFFSETS)]
        if p < 0.6:
            return ["SET", ftype(), r.choice(FIELD_OFFSETS),
                    r.choice(FIELD_VALUES)]
        if p < 0.85:
            return ["INCRBY", ftype(), r.choice(FIELD_OFFSETS),
                    r.choice(FIELD_VALUES)]
        if p < 0.97:
            return ["OVERFLOW", r.choice(["WRAP", "SAT", "FAIL", "sat", "BAD"])]
        return r.choice([["GET", "i8"], ["FOO"], ["SET", "i8", "0"]])

    def bitfield(read_only=False):
        args = ["BITFIELD_RO" if read_only else "BITFIELD", k()]
        for _ in range(r.randint(0, 4)):
            args += field_op(read_only)
        return args

    def pfadd():
        n = r.choice([0, 1, 1, 2, 3, 5, 10, 50, 300])
        if n >= 50:
            elems = ["p%d" % r.randint(0, 5000) for _ in range(n)]
        else:
            elems = [r.choice(ELEMENTS) for _ in range(n)]
        return ["PFADD", hll_key()] + elems

    def lcs():
        opts = []
        for _ in range(r.randint(0, 3)):
            opts += r.choice([["LEN"], ["IDX"], ["WITHMATCHLEN"], ["MINMATCHLEN", rng()],
                              ["MINMATCHLEN"], ["idx"], ["FOO"]])
        return ["LCS", k(), k()] + opts

    return [
        (2, lambda: ["SETBIT", k(), offset(), r.choice(["0", "1", "1", "0", "1", "2", "-1", "x"])]),
        (1, lambda: ["GETBIT", k(), offset()]),
        (1.5, bitcount),
        (1.5, bitpos),
        (2, bitop),
        (2, bitfield),
        (0.5, lambda: bitfield(True)),
        (2.5, pfadd),
        (1.5, lambda: ["PFCOUNT"] + [hll_key() for _ in range(r.choice([1, 1, 2, 3]))]),
        (1, lambda: ["PFMERGE", hll_key()] + [hll_key() for _ in range(r.randint(0, 3))]),
        (1.5, lcs),
    ]


def same(args, a, b):
    return None


def order_free(args):
    return False


def after(args):
    return []


def dump(conn, key, typ):
    return None  # string values: the strings family dumps them
