"""Sets: SADD ... SSCAN on the shared keyspace, so sets collide with strings and other types.

Replies whose order is unspecified (SMEMBERS, SINTER, SUNION, SDIFF, SPOP/SRANDMEMBER with a
count) are compared as sets or multisets; random choices (SPOP, SRANDMEMBER) only by count and
membership, and a key touched by SPOP is deleted on both servers afterwards. SSCAN runs to the
end (SSCAN-ALL) and is compared as a set.
"""

from kv_resp import RespError

INT_MEMBERS = ["0", "1", "-1", "2", "7", "42", "100", "-100", "32767", "32768", "-32769",
               "2147483648", "-2147483649", "9223372036854775807", "-9223372036854775808"]
STR_MEMBERS = ["a", "b", "c", "hello", "", "007", "-0", "+5", " 3", "1.5", "x" * 70,
               "\x00\r\n", "99999999999999999999"]

ORDER_FREE = {"SMEMBERS", "SINTER", "SUNION", "SDIFF", "SSCAN-ALL"}
RANDOM = {"SPOP", "SRANDMEMBER"}


class _Gen:
    def __init__(self, gen):
        self.g = gen
        self.r = gen.r

    def member(self):
        p = self.r.random()
        if p < 0.6:
            return self.r.choice(INT_MEMBERS)
        if p < 0.65:
            return str(self.r.randint(-1000, 1000))
        return self.r.choice(STR_MEMBERS)

    def members(self, lo=1, hi=5):
        p = self.r.random()
        if p < 0.03:
            # Cross the intset limit (512) or stay close to it.
            n = self.r.choice([510, 512, 513, 600])
            base = self.r.randint(0, 5) * 100
            return [str(base + i) for i in range(n)]
        if p < 0.05:
            return ["m%d" % self.r.randint(0, 300) for _ in range(self.r.randint(100, 200))]
        return [self.member() for _ in range(self.r.randint(lo, hi))]

    def count(self):
        return self.r.choice(["0", "1", "2", "3", "5", "10", "-1", "-3", "-10", "abc", "1.5",
                              "600", "-9223372036854775808", "9223372036854775807"])

    def keys(self, lo=1, hi=4):
        return [self.g.key() for _ in range(self.r.randint(lo, hi))]

    def scan_opts(self):
        return self.r.choice([[], ["COUNT", "3"], ["MATCH", "1*"], ["MATCH", "*a*", "COUNT", "2"],
                              ["COUNT", "100"], ["MATCH", "m1*"]])

    def intercard(self):
        keys = self.keys()
        n = str(len(keys))
        p = self.r.random()
        if p < 0.05:
            n = self.r.choice(["0", "-1", "abc", str(len(keys) + 1)])
        opts = []
        if self.r.random() < 0.4:
            opts = ["LIMIT", self.r.choice(["0", "1", "2", "5", "-1", "x"])]
        elif self.r.random() < 0.05:
            opts = self.r.choice([["LIMIT"], ["FOO", "1"]])
        return ["SINTERCARD", n] + keys + opts


def choices(gen):
    g = _Gen(gen)
    k, r = gen.key, gen.r
    return [
        (4, lambda: ["SADD", k()] + g.members()),
        (2, lambda: ["SREM", k()] + g.members(1, 4)),
        (1.5, lambda: ["SMEMBERS", k()]),
        (1, lambda: ["SISMEMBER", k(), g.member()]),
        (1, lambda: ["SMISMEMBER", k()] + [g.member() for _ in range(r.randint(1, 4))]),
        (1, lambda: ["SCARD", k()]),
        (1, lambda: ["SPOP", k()] + r.choice([[], [], [g.count()], ["1", "2"]])),
        (1, lambda: ["SRANDMEMBER", k()] + r.choice([[], [g.count()], [g.count()], ["1", "2"]])),
        (1, lambda: ["SMOVE", k(), k(), g.member()]),
        (1, lambda: [r.choice(["SINTER", "SUNION", "SDIFF"])] + g.keys()),
        (1.5, lambda: [r.choice(["SINTERSTORE", "SUNIONSTORE", "SDIFFSTORE"]), k()] + g.keys()),
        (1, lambda: g.intercard()),
        (1, lambda: ["SSCAN-ALL", k()] + g.scan_opts()),
        (0.5, lambda: ["SSCAN", k(), r.choice(["0", "abc", "-1", "18446744073709551616", ""])] +
         # Only error paths: a valid step's reply depends on the hash table's layout.
         r.choice([["COUNT", "0"], ["COUNT", "x"], ["TYPE", "set"], ["MATCH"], ["FOO", "1"]])),
        (1, lambda: ["OBJECT", "ENCODING", k()]),
    ]


def _multiset(x):
    return sorted(x, key=lambda v: (type(v).__name__, v))


def same(args, a, b):
    name = args[0].upper()
    if isinstance(a, RespError) or isinstance(b, RespError):
        if name in ORDER_FREE or name in RANDOM:
            return type(a) is type(b) and a == b
        return None
    if name in ORDER_FREE:
        if isinstance(a, (list, set)) and isinstance(b, (list, set)):
            return type(a) is type(b) and _multiset(a) == _multiset(b)
        return a == b
    if name in RANDOM:
        if len(args) == 2:
            # One random member (or nil): compare presence only.
            return (a is None) == (b is None) and type(a) is type(b)
        if isinstance(a, (list, set)) and isinstance(b, (list, set)):
            if type(a) is not type(b) or len(a) != len(b):
                return False
            # With a count covering the whole set both return everything.
            return True
        return a == b and type(a) is type(b)
    return None


def order_free(args):
    name = args[0].upper()
    return name in ORDER_FREE or name in RANDOM


def after(args):
    name = args[0].upper()
    if name == "SPOP" and len(args) >= 2:
        return [["DEL", args[1]]]
    return []


def dump(conn, key, typ):
    if typ != b"set":
        return None
    return ("set", sorted(conn.call("SMEMBERS", key)), conn.call("OBJECT", "ENCODING", key))


def run(conn, args):
    if args[0] != "SSCAN-ALL":
        return None
    key, opts = args[1], args[2:]
    seen, cursor = set(), b"0"
    for _ in range(100000):
        reply = conn.call("SSCAN", key, cursor, *opts)
        if isinstance(reply, RespError):
            return (reply,)
        cursor, members = reply
        seen.update(members)
        if cursor == b"0":
            return (sorted(seen),)
    return (RespError("SSCAN did not terminate"),)
