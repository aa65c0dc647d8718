"""Sorted sets: ZADD and its options, ranks, every ZRANGE form, removals, pops, set algebra,
ZRANDMEMBER (shape only) and ZSCAN (run to the end, compared as a set).

Lexicographic commands run on two extra keys whose members all have score 0: with mixed scores
their result depends on the encoding's search order, in Redis as well.
"""

from kv_resp import RespError

LEX_KEYS = ["zlex:a", "zlex:b"]
# GEO commands read their own keys: decoding arbitrary scores (inf, negative) is undefined in
# Redis's C code, so only GEOADD also writes to the shared keys.
GEO_KEYS = ["geo:a", "geo:b"]
GEO_POINTS = {"Palermo": ["13.361389", "38.115556"], "Catania": ["15.087269", "37.502669"],
              "Rome": ["12.496366", "41.902782"], "Naples": ["14.268124", "40.851799"],
              "Paris": ["2.352222", "48.856613"], "Oslo": ["10.752245", "59.913868"],
              "Nord": ["20.5", "84.9"], "Sud": ["-70.25", "-84.5"], "Fiji": ["179.9", "-17.5"],
              "Samoa": ["-179.8", "-13.75"], "Zero": ["0", "0"], "Quito": ["-78.4678", "-0.1807"]}
GEO_CENTERS = [["15", "37"], ["13.5", "38"], ["0", "0"], ["179.5", "-15"], ["-180", "85"],
               ["2.35", "48.85"], ["200", "10"], ["x", "1"]]
GEO_UNITS = ["m", "km", "mi", "ft", "KM", "parsec"]
GEO_DIST = ["0", "1", "100", "250", "500", "1000", "5000", "20000", "-1", "x"]
MEMBERS = ["a", "b", "c", "d", "e", "f", "m1", "m2", "m10", "", "\x00z", "x" * 65, "y" * 64]
SCORES = ["0", "1", "-1", "2", "3", "1.5", "-2.5", "10", "100", "0.1", "-0", "inf", "-inf",
          "+inf", "1e300", "5e-3", "007"]
BAD_SCORES = ["nan", "abc", "", "1e400", "(1", " 1", "1 ", "0x10"]
BOUNDS = ["-inf", "+inf", "inf", "0", "1", "(1", "2", "(2", "-1", "(-1", "1.5", "10", "(inf",
          "(-inf", "3", "(3"]
BAD_BOUNDS = ["abc", "nan", "(", "((1", "", " 1", "1x"]
LEX = ["-", "+", "[a", "(a", "[b", "(c", "[m", "(m1", "[m10", "(z", "[", "("]
BAD_LEX = ["a", "", "+x", "-x", "b"]
INDEXES = ["0", "1", "-1", "2", "-2", "5", "-100", "100", "9223372036854775807",
           "-9223372036854775808"]
BAD_INTS = ["x", "1.5", "", "99999999999999999999"]

ZADD_OPTS = [[], [], [], ["NX"], ["XX"], ["CH"], ["GT"], ["LT"], ["INCR"], ["GT", "CH"],
             ["XX", "LT"], ["NX", "XX"], ["GT", "LT"], ["NX", "GT"], ["NX", "LT"], ["nx"],
             ["INCR", "XX"], ["INCR", "NX"], ["XX", "GT", "CH"]]


def _r(gen):
    return gen.r


def choices(gen):
    r = gen.r
    k = gen.key

    def member():
        return r.choice(MEMBERS)

    def score():
        return r.choice(BAD_SCORES) if r.random() < 0.04 else r.choice(SCORES)

    def bound():
        return r.choice(BAD_BOUNDS) if r.random() < 0.04 else r.choice(BOUNDS)

    def lex():
        return r.choice(BAD_LEX) if r.random() < 0.04 else r.choice(LEX)

    def index():
        return r.choice(BAD_INTS) if r.random() < 0.03 else r.choice(INDEXES)

    def zadd():
        args = ["ZADD", k()] + r.choice(ZADD_OPTS)
        p = r.random()
        if p < 0.04:  # cross the listpack entry limit in one command
            n = r.randint(125, 140)
            base = r.randint(0, 50)
            for i in range(n):
                args += [str(r.randint(-20, 20)), "m%d" % (base + i)]
        else:
            for _ in range(r.randint(1, 4)):
                args += [score(), member()]
        if r.random() < 0.03:
            args = args[:-1]  # odd pair count
        return args

    def lex_zadd():
        args = ["ZADD", r.choice(LEX_KEYS)] + r.choice([[], [], ["NX"], ["CH"]])
        if r.random() < 0.05:
            for i in range(r.randint(120, 140)):
                args += ["0", "n%03d" % r.randint(0, 400)]
        else:
            for _ in range(r.randint(1, 5)):
                args += ["0", r.choice(MEMBERS + ["ab", "abc", "b", "ba", "m", "zz"])]
        return args

    def limit():
        return ["LIMIT", r.choice(["0", "1", "2", "-1", "5", "100", "x"]),
                r.choice(["1", "2", "0", "-1", "-5", "3", "9223372036854775807"])]

    def zrange():
        key = k()
        form = r.random()
        if form < 0.35:
            args = ["ZRANGE", key, index(), index()]
            opts = []
            if r.random() < 0.3:
                opts.append("REV")
            if r.random() < 0.4:
                opts.append("WITHSCORES")
            if r.random() < 0.05:
                opts += limit()
        elif form < 0.7:
            args = ["ZRANGE", key, bound(), bound(), "BYSCORE"]
            opts = []
            if r.random() < 0.4:
                opts.append("REV")
            if r.random() < 0.4:
                opts.append("WITHSCORES")
            if r.random() < 0.4:
                opts += limit()
        else:
            args = ["ZRANGE", r.choice(LEX_KEYS), lex(), lex(), "BYLEX"]
            opts = []
            if r.random() < 0.4:
                opts.append("REV")
            if r.random() < 0.4:
                opts += limit()
            if r.random() < 0.04:
                opts.append("WITHSCORES")
        if r.random() < 0.03:
            opts.append(r.choice(["FOO", "BYSCORE", "BYLEX", "REV"]))
        r.shuffle(opts) if r.random() < 0.2 else None
        return args + opts

    def legacy_range():
        name = r.choice(["ZREVRANGE", "ZRANGEBYSCORE", "ZREVRANGEBYSCORE", "ZRANGEBYLEX",
                         "ZREVRANGEBYLEX"])
        if name == "ZREVRANGE":
            args = [name, k(), index(), index()]
        elif "LEX" in name:
            args = [name, r.choice(LEX_KEYS), lex(), lex()]
        else:
            args = [name, k(), bound(), bound()]
        if r.random() < 0.4:
            args.append("WITHSCORES")
        if r.random() < 0.3:
            args += limit()
        return args

    def setop():
        name = r.choice(["ZUNION", "ZINTER", "ZDIFF", "ZINTERCARD", "ZUNIONSTORE", "ZINTERSTORE",
                         "ZDIFFSTORE"])
        n = r.randint(1, 3)
        keys = [k() for _ in range(n)]
        numkeys = str(n) if r.random() > 0.05 else r.choice(["0", "-1", "x", str(n + 2)])
        args = [name] + ([k()] if name.endswith("STORE") else []) + [numkeys] + keys
        if r.random() < 0.4:
            args += ["WEIGHTS"] + [r.choice(["1", "2", "-1", "0.5", "0", "inf", "x"])
                                   for _ in range(n)]
        if r.random() < 0.4:
            args += ["AGGREGATE", r.choice(["SUM", "MIN", "MAX", "max", "AVG"])]
        if r.random() < 0.4:
            args.append("WITHSCORES")
        if name == "ZINTERCARD" and r.random() < 0.5:
            args += ["LIMIT", r.choice(["0", "1", "2", "-1", "x"])]
        return args

    def geoadd():
        key = r.choice(GEO_KEYS) if r.random() < 0.85 else k()
        args = ["GEOADD", key] + r.choice([[], [], [], ["NX"], ["XX"], ["CH"], ["NX", "XX"]])
        for _ in range(r.randint(1, 3)):
            name = r.choice(list(GEO_POINTS))
            lon, lat = GEO_POINTS[name]
            if r.random() < 0.05:
                lon, lat = r.choice([["181", "0"], ["0", "86"], ["x", "1"], ["1", ""]])
            args += [lon, lat, name]
        return args

    def geo_shape():
        if r.random() < 0.5:
            return ["BYRADIUS", r.choice(GEO_DIST), r.choice(GEO_UNITS)]
        return ["BYBOX", r.choice(GEO_DIST), r.choice(GEO_DIST), r.choice(GEO_UNITS)]

    def geo_opts(store=False):
        opts = []
        if not store:
            for o in ["WITHDIST", "WITHCOORD", "WITHHASH"]:
                if r.random() < 0.3:
                    opts.append(o)
        if r.random() < 0.4:
            opts.append(r.choice(["ASC", "DESC"]))
        if r.random() < 0.3:
            opts += ["COUNT", r.choice(["1", "2", "5", "0", "x"])]
            if r.random() < 0.3:
                opts.append("ANY")
        return opts

    def geosearch():
        key = r.choice(GEO_KEYS)
        center = (["FROMMEMBER", r.choice(list(GEO_POINTS))] if r.random() < 0.4 else
                  ["FROMLONLAT"] + r.choice(GEO_CENTERS))
        parts = [center, geo_shape()]
        if r.random() < 0.03:
            parts.pop(r.randrange(2))
        if r.random() < 0.3:
            dst = r.choice(GEO_KEYS + ["geo:dst"])
            extra = ["STOREDIST"] if r.random() < 0.3 else []
            return ["GEOSEARCHSTORE", dst, key] + [x for p in parts for x in p] + \
                geo_opts(store=True) + extra
        return ["GEOSEARCH", key] + [x for p in parts for x in p] + geo_opts()

    def georadius():
        key = r.choice(GEO_KEYS)
        name = r.choice(["GEORADIUS", "GEORADIUS_RO", "GEORADIUSBYMEMBER",
                         "GEORADIUSBYMEMBER_RO"])
        args = [name, key]
        args += (r.choice(GEO_CENTERS) if "MEMBER" not in name else
                 [r.choice(list(GEO_POINTS))])
        args += [r.choice(GEO_DIST), r.choice(GEO_UNITS)]
        if r.random() < 0.2 and not name.endswith("_RO"):
            return args + geo_opts(store=True) + [r.choice(["STORE", "STOREDIST"]),
                                                  r.choice(GEO_KEYS + ["geo:dst"])]
        return args + geo_opts()

    return [
        (1.2, geoadd),
        (0.6, lambda: [r.choice(["GEOPOS", "GEOHASH"]), r.choice(GEO_KEYS)] +
         [r.choice(list(GEO_POINTS) + ["nope"]) for _ in range(r.randint(1, 3))]),
        (0.4, lambda: ["GEODIST", r.choice(GEO_KEYS), r.choice(list(GEO_POINTS)),
                       r.choice(list(GEO_POINTS))] + r.choice([[], ["km"], ["mi"], ["ft"],
                                                               ["x"], ["km", "x"]])),
        (1, geosearch),
        (0.8, georadius),
        (3, zadd),
        (1, lex_zadd),
        (1, lambda: ["ZINCRBY", k(), score(), member()]),
        (1, lambda: ["ZSCORE", k(), member()] if r.random() < 0.6 else
         ["ZMSCORE", k()] + [member() for _ in range(r.randint(1, 3))]),
        (0.8, lambda: [r.choice(["ZRANK", "ZREVRANK"]), k(), member()]),
        (0.4, lambda: ["ZCARD", r.choice([k(), r.choice(LEX_KEYS)])]),
        (0.6, lambda: ["ZCOUNT", k(), bound(), bound()]),
        (0.4, lambda: ["ZLEXCOUNT", r.choice(LEX_KEYS), lex(), lex()]),
        (2.2, zrange),
        (1.2, legacy_range),
        (0.5, lambda: (lambda z: ["ZRANGESTORE", k(), z[1] if "BYLEX" in z else k()] + z[2:])(
            zrange())),
        (1, lambda: ["ZREM", k()] + [member() for _ in range(r.randint(1, 3))]),
        (0.3, lambda: ["ZREM", r.choice(LEX_KEYS)] + [r.choice(MEMBERS) for _ in range(3)]),
        (0.6, lambda: r.choice([["ZREMRANGEBYRANK", k(), index(), index()],
                                ["ZREMRANGEBYSCORE", k(), bound(), bound()],
                                ["ZREMRANGEBYLEX", r.choice(LEX_KEYS), lex(), lex()]])),
        (1, lambda: [r.choice(["ZPOPMIN", "ZPOPMAX"]), k()] +
         r.choice([[], [], ["1"], ["2"], ["0"], ["-1"], ["100"], ["x"], ["1", "2"]])),
        (0.5, lambda: ["ZMPOP"] + (lambda ks: [str(len(ks))] + ks)([k() for _ in range(
            r.randint(1, 3))]) + [r.choice(["MIN", "MAX", "min", "FOO"])] +
         r.choice([[], ["COUNT", "2"], ["COUNT", "0"], ["COUNT", "100"], ["COUNT"],
                   ["COUNT", "1", "COUNT", "1"]])),
        (1.8, setop),
        (0.5, lambda: ["ZRANDMEMBER", k()] + r.choice(
            [[], ["1"], ["3"], ["-3"], ["0"], ["100"], ["-100"], ["3", "WITHSCORES"],
             ["-3", "WITHSCORES"], ["x"], ["3", "FOO"], ["-9223372036854775808"],
             ["9223372036854775807", "WITHSCORES"]])),
        (0.4, lambda: ["ZSCAN-ALL", r.choice([k(), r.choice(LEX_KEYS)])] +
         r.choice([[], ["COUNT", "3"], ["MATCH", "m*"], ["MATCH", "*", "COUNT", "1"],
                   ["COUNT", "0"], ["FOO"]])),
        (0.3, lambda: ["OBJECT", "ENCODING", r.choice(LEX_KEYS)]),
    ]


def same(args, a, b):
    name = args[0].upper()
    if name == "ZRANDMEMBER":
        if isinstance(a, list) and isinstance(b, list):
            return len(a) == len(b)
        if isinstance(a, bytes) and isinstance(b, bytes):
            return True
        return a == b and type(a) is type(b)
    if name == "ZSCAN-ALL":
        return a == b
    return None


def order_free(args):
    return args[0].upper() == "ZRANDMEMBER"


def after(args):
    return []


def dump(conn, key, typ):
    if typ != b"zset":
        return None
    return (conn.call("ZRANGE", key, "0", "-1", "WITHSCORES"),
            conn.call("OBJECT", "ENCODING", key))


def run(conn, args):
    if args[0] != "ZSCAN-ALL":
        return None
    key, opts = args[1], args[2:]
    seen, cursor = set(), b"0"
    for _ in range(100000):
        reply = conn.call("ZSCAN", key, cursor, *opts)
        if isinstance(reply, RespError):
            return (reply,)
        cursor, items = reply
        for i in range(0, len(items), 2):
            seen.add((items[i], items[i + 1]))
        if cursor == b"0":
            return (sorted(seen),)
    return (RespError("ZSCAN did not terminate"),)
