#!/usr/bin/python3
"""Differential test: the same seeded random command stream against redis-server and
strata-server, replies compared exactly.

Each server gets two connections, one in RESP2 and one in RESP3 (HELLO 3); every command goes to
one of the two at random (the same one on both servers), so per-connection state (SELECT) and
both reply encodings are covered. The generator uses a small keyspace so commands collide on the
same keys, valid and invalid arguments, TTLs, several databases, and error paths.

Nondeterminism is kept out: no TIME/RANDOMKEY/INFO/CLIENT ID; TTLs are far in the future (or in the
past, which deletes deterministically) and TTL-reading replies are compared with a tolerance;
KEYS replies are compared as sorted lists; SCAN is run to completion and compared as a set.
The data types, transactions, scripts, pub/sub and keyspace notifications are families in
families/ (see families/__init__.py); pub/sub (families/pubsub.py) adds subscriber connections
and compares every message each of them receives.
After a mismatch both servers are flushed (data, script cache, functions) so one difference does
not cascade, and every `check_every` commands the complete contents of the test databases are
compared.

Usage:
  kvdiff.py [--seed N] [--count N] [--threads N] [--strata CMD] [--redis CMD] [--max-mismatches N]
            [--protos 2,3] [--exclude CMD,...]
The seed is printed first; pass it back with --seed to replay a run. `--strata redis-server` runs
Redis against Redis, which checks the harness itself (it must report no mismatch).
"""

import argparse
import os
import random
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "integration", "kv"))

from kv_harness import Server, redis_command, strata_command  # noqa: E402
from kv_resp import ConnectionClosed, RespError, parse_reply  # noqa: E402

import families  # noqa: E402  (tests/differential/families: one generator module per type)

NDB = 4
KEYS = ["k%d" % i for i in range(8)] + ["{tag}a", "{tag}b", "long:" + "x" * 40, "k\x00bin"]
INTS = ["0", "1", "-1", "42", "100", "-100", "9223372036854775807", "-9223372036854775808",
        "9223372036854775806", "12345678901234567890", "007", "+5", " 3", "1 ", "0x10"]
FLOATS = ["0.1", "-0.1", "1.5", "2.0e2", "5e-3", "-3", "10", "abc", "", "inf", "-inf", "nan",
          "1e20", "3.0000000000000001", ".5", "5."]
STRINGS = ["", "a", "hello", "x" * 44, "y" * 45, "z" * 300, "\x00\r\n\xff", "12abc", "1.5",
           "-0", "99999999999999999999", "w" * 1000, "u" * 600]  # the last two: out-of-line values
EXPIRE_OPTS = [[], ["NX"], ["XX"], ["GT"], ["LT"], ["NX", "XX"], ["GT", "LT"], ["nx"], ["FOO"],
               ["XX", "GT"]]


class Gen:
    """Builds one random command: (args, compare-kind)."""

    def __init__(self, rnd):
        self.r = rnd

    def key(self):
        return self.r.choice(KEYS)

    def value(self):
        p = self.r.random()
        if p < 0.45:
            return self.r.choice(INTS)
        if p < 0.55:
            return self.r.choice(FLOATS)
        return self.r.choice(STRINGS)

    def far_secs(self):
        return str(self.r.choice([1000, 5000, 100000, 3600 * 24 * 365]) + self.r.randint(0, 500))

    def past_or_bad(self):
        return self.r.choice(["-1", "0", "-100", "abc", "1.5", "", "9223372036854775807",
                              "9223372036854775808", "-9223372036854775808"])

    def ttl_value(self, unit="s"):
        if self.r.random() < 0.8:
            v = int(self.far_secs())
            return str(v * 1000 if unit == "ms" else v)
        return self.past_or_bad()

    def abs_time(self, unit="s", past=False):
        """A far-future absolute time, or an invalid one; with past=True also valid past times
        (only for commands that then delete the key at once: a key SET with a past time lingers
        until expiry reclaims it, which would make DBSIZE timing-dependent)."""
        now = int(time.time())
        if self.r.random() < 0.8:
            t = now + int(self.far_secs())
        else:
            t = self.r.choice([1, 0, -5, now - 100] if past else [0, -5])
        return str(t * 1000 if unit == "ms" else t)

    def set_cmd(self):
        args = ["SET", self.key(), self.value()]
        opts = []
        if self.r.random() < 0.3:
            opts.append(self.r.choice(["NX", "XX"]))
        if self.r.random() < 0.4:
            kind = self.r.choice(["EX", "PX", "EXAT", "PXAT", "KEEPTTL"])
            if kind == "KEEPTTL":
                opts.append(kind)
            elif kind in ("EX", "PX"):
                opts += [kind, self.ttl_value("ms" if kind == "PX" else "s")]
            else:
                opts += [kind, self.abs_time("ms" if kind == "PXAT" else "s")]
        if self.r.random() < 0.2:
            opts.append("GET")
        if self.r.random() < 0.05:
            opts.append(self.r.choice(["FOO", "EX", "nx", "PX", "KEEPTTL"]))
        self.r.shuffle(opts) if self.r.random() < 0.1 else None
        return args + opts

    def command(self):
        r, k, v = self.r, self.key, self.value
        choices = [
            (12, lambda: self.set_cmd()),
            (10, lambda: ["GET", k()]),
            (2, lambda: ["SETNX", k(), v()]),
            (2, lambda: ["SETEX", k(), self.ttl_value(), v()]),
            (2, lambda: ["PSETEX", k(), self.ttl_value("ms"), v()]),
            (2, lambda: ["GETSET", k(), v()]),
            (2, lambda: ["GETDEL", k()]),
            (3, lambda: ["GETEX", k()] + r.choice([[], ["EX", self.ttl_value()],
                                                   ["PX", self.ttl_value("ms")],
                                                   ["EXAT", self.abs_time()],
                                                   ["PXAT", self.abs_time("ms")], ["PERSIST"],
                                                   ["EX"], ["FOO"], ["EX", "10", "PERSIST"]])),
            (4, lambda: ["MGET"] + [k() for _ in range(r.randint(1, 6))]),
            (3, lambda: ["MSET"] + [x for _ in range(r.randint(1, 4)) for x in (k(), v())]),
            (2, lambda: ["MSETNX"] + [x for _ in range(r.randint(1, 3)) for x in (k(), v())]),
            (5, lambda: [r.choice(["INCR", "DECR"]), k()]),
            (4, lambda: [r.choice(["INCRBY", "DECRBY"]), k(), r.choice(INTS)]),
            (4, lambda: ["INCRBYFLOAT", k(), r.choice(FLOATS + INTS[:6])]),
            (3, lambda: ["APPEND", k(), v()]),
            (2, lambda: ["STRLEN", k()]),
            (3, lambda: ["GETRANGE", k(), r.choice(INTS[:6] + ["-3", "2", "abc"]),
                         r.choice(INTS[:6] + ["-2", "5", "9223372036854775807"])]),
            (3, lambda: ["SETRANGE", k(), r.choice(["0", "1", "3", "10", "-1", "abc",
                                                    "536870912"]), v()]),
            (4, lambda: [r.choice(["DEL", "UNLINK", "EXISTS", "TOUCH"])] +
             [k() for _ in range(r.randint(1, 4))]),
            (2, lambda: ["TYPE", k()]),
            (4, lambda: [r.choice(["EXPIRE", "PEXPIRE"]), k()] + [None] + r.choice(EXPIRE_OPTS)),
            (3, lambda: [r.choice(["EXPIREAT", "PEXPIREAT"]), k()] + [None] +
             r.choice(EXPIRE_OPTS)),
            (4, lambda: [r.choice(["TTL", "PTTL", "EXPIRETIME", "PEXPIRETIME"]), k()]),
            (2, lambda: ["PERSIST", k()]),
            (2, lambda: [r.choice(["RENAME", "RENAMENX"]), k(), k()]),
            (2, lambda: ["COPY", k(), k()] + r.choice([[], ["REPLACE"], ["DB", str(r.randint(0, NDB))],
                                                        ["DB", str(r.randint(0, NDB - 1)),
                                                         "REPLACE"], ["DB", "x"], ["FOO"]])),
            (2, lambda: ["KEYS", r.choice(["*", "k?", "k[0-3]", "*a*", "{tag}*", "[^k]*", "k\\*",
                                           "nomatch", "*[", "long:*"])]),
            (1, lambda: ["SCAN-ALL"] + r.choice([[], ["MATCH", "k*"], ["COUNT", "3"],
                                                 ["TYPE", "string"], ["TYPE", "list"],
                                                 ["MATCH", "*b*", "COUNT", "2"]])),
            (2, lambda: ["DBSIZE"]),
            (2, lambda: ["SELECT", r.choice(["0", "0", "1", "2", "3", "16", "-1", "x"])]),
            (1, lambda: ["SWAPDB", str(r.randint(0, NDB - 1)), r.choice(["0", "1", "3", "x", "99"])]),
            (1, lambda: ["MOVE", k(), r.choice(["0", "1", "2", "16", "x"])]),
            (0.2, lambda: ["FLUSHDB"] + r.choice([[], ["ASYNC"], ["SYNC"], ["FOO"]])),
            (0.1, lambda: ["FLUSHALL"] + r.choice([[], ["ASYNC"], ["SYNC"]])),
            (2, lambda: ["OBJECT", "ENCODING", k()]),
            (1, lambda: ["OBJECT", r.choice(["FOO", "ENCODING"])]),
            (1, lambda: ["PING"] + r.choice([[], ["hi"], ["a", "b"]])),
            (1, lambda: ["ECHO"] + r.choice([[v()], [], ["a", "b"]])),
            (1, lambda: [r.choice(["NOSUCHCMD", "GETT", "sett", "XYZ"])] +
             [v() for _ in range(r.randint(0, 3))]),
            (0.5, lambda: ["CONFIG", "GET", r.choice(["maxmemory", "maxmemory-policy",
                                                      "nosuchparam", "maxmemory-p*"])]),
        ]
        # Each data-type family adds its commands on the same keys, so types collide
        # (WRONGTYPE) and the keyspace commands (TYPE, COPY, RENAME, ...) see every type.
        for fam in families.ALL:
            choices += fam.choices(self)
        total = sum(w for w, _ in choices)
        x = r.random() * total
        for w, f in choices:
            x -= w
            if x <= 0:
                break
        args = f()
        if None in args:
            i = args.index(None)
            unit = "ms" if args[0].startswith("P") else "s"
            args[i] = (self.ttl_value(unit) if "AT" not in args[0] else
                       self.abs_time(unit, past=True))
        # Occasionally break the arity or change the case of the command name.
        p = r.random()
        pseudo = args[0].endswith("-ALL")
        if p < 0.03 and len(args) > 1 and not pseudo:
            args = args[:r.randint(1, len(args) - 1)]
        elif p < 0.05 and not pseudo:
            args = [args[0].lower()] + args[1:]
        return args


TTL_CMDS = {"TTL": 1, "PTTL": 1000, "EXPIRETIME": 1, "PEXPIRETIME": 1000}


def replies_match(args, ra, pa, rb, pb):
    """The verdict on two replies to `args` (raw bytes, or None for a pseudo-command, and
    parsed): the command's tolerance, then the raw bytes where they are exact."""
    ok = same(args, pa, pb)
    name = args[0].upper()
    if ok and ra is not None and name not in TTL_CMDS and name != "KEYS" and \
            not families.order_free(args):
        ok = ra == rb
    return ok


def same(cmd, a, b):
    """Compares two parsed replies for `cmd` with the command's tolerance."""
    name = cmd[0].upper()
    verdict = families.same(cmd, a, b)
    if verdict is not None:
        return verdict
    if name in TTL_CMDS and isinstance(a, int) and isinstance(b, int):
        if a < 0 or b < 0:
            return a == b
        return abs(a - b) <= TTL_CMDS[name]
    if name == "KEYS" and isinstance(a, list) and isinstance(b, list):
        return sorted(a) == sorted(b)
    return a == b and type(a) is type(b)


class Side:
    """One server with its RESP2 and RESP3 connections and a checker connection.

    Families that need more than one connection (pub/sub) keep their own in `state`; the
    reference side (Redis) runs each command first, and `shared` (one dict for both sides) lets a
    family hand the reference's results to the other side. `match` is kvdiff's verdict on two
    replies (replies_match), for families that run commands of the others."""

    def __init__(self, server, protos=(2, 3), reference=False, shared=None):
        self.server = server
        self.reference = reference
        self.shared = shared if shared is not None else {}
        self.state = {}
        self.match = replies_match
        self.conns = {p: server.conn(protocol=p) for p in protos}
        self.checker = server.conn(protocol=2)

    def raw_and_parsed(self, proto, args):
        c = self.conns[proto]
        if args[0] == "SCAN-ALL":
            return None, self.scan_all(c, args[1:])
        handled = families.run(c, args, side=self, proto=proto)
        if handled is not None:
            return None, handled[0]
        raw = c.call_raw(*args)
        return raw, parse_reply(raw)

    @staticmethod
    def scan_all(c, opts):
        seen, cursor = set(), b"0"
        for _ in range(100000):
            reply = c.call("SCAN", cursor, *opts)
            if isinstance(reply, RespError):
                return reply
            cursor, keys = reply
            seen.update(keys)
            if cursor == b"0":
                return sorted(seen)
        return RespError("SCAN did not terminate")

    def resync(self):
        self.checker.call("FLUSHALL")
        # The script cache and function libraries outlive FLUSHALL; a server without them
        # answers with an error, which is ignored.
        self.checker.call("SCRIPT", "FLUSH")
        self.checker.call("FUNCTION", "FLUSH")
        for c in self.conns.values():
            c.call("SELECT", "0")
        families.reset(self)

    def dump(self):
        """The full contents of the test DBs: {db: {key: (type, value, has_ttl)}}."""
        out = {}
        c = self.checker
        for db in range(NDB):
            c.call("SELECT", str(db))
            keys = c.call("KEYS", "*")
            d = {}
            for key in keys:
                t = c.call("TYPE", key)
                d[key] = (t, families.dump_value(c, key, t), c.call("TTL", key) >= 0)
            out[db] = d
        c.call("SELECT", "0")
        return out

    def close(self):
        families.close(self)
        for c in list(self.conns.values()) + [self.checker]:
            c.close()


def fmt(args):
    return " ".join(repr(a) if (not a or any(ch in a for ch in " \r\n\x00\"'")) else a
                    for a in args)


def run(seed, count, strata_cmd=None, redis_cmd=None, threads=None, max_mismatches=20,
        check_every=1000, log=print, protos=(2, 3), exclude=()):
    """Runs one differential session; returns a list of mismatch descriptions. `protos` and
    `exclude` (command names) narrow the run while a server is incomplete."""
    exclude = {x.upper() for x in exclude}
    rnd = random.Random(seed)
    gen = Gen(rnd)
    log("kvdiff: seed=%d count=%d threads=%s" % (seed, count, threads))
    ref = Server(cmd=redis_cmd or redis_command()).start()
    sut = Server(cmd=strata_cmd or strata_command(), threads=threads).start()
    mismatches = []
    try:
        shared = {}
        a, b = Side(ref, protos, reference=True, shared=shared), Side(sut, protos, shared=shared)
        a.resync()
        b.resync()
        for i in range(count):
            args = gen.command()
            proto = 2 if rnd.random() < 0.5 else 3
            if args[0].upper() in exclude or proto not in protos:
                continue
            try:
                ra, pa = a.raw_and_parsed(proto, args)
                rb, pb = b.raw_and_parsed(proto, args)
            except (ConnectionClosed, OSError) as e:
                mismatches.append("#%d RESP%d %s: connection error %r (seed %d)" %
                                  (i, proto, fmt(args), e, seed))
                break
            ok = replies_match(args, ra, pa, rb, pb)
            if not ok:
                detail = families.explain(args, pa, pb)
                if detail is not None:
                    shown = fmt([x if len(x) <= 80 else x[:80] + "..." for x in args])
                    mismatches.append("#%d RESP%d %s\n%s\n    (replay: --seed %d)" %
                                      (i, proto, shown if len(shown) < 2000 else
                                       shown[:2000] + "...", detail, seed))
                else:
                    mismatches.append(
                        "#%d RESP%d %s\n    redis : %r\n    strata: %r\n    (replay: --seed %d)" %
                        (i, proto, fmt(args), ra if ra is not None else pa,
                         rb if rb is not None else pb, seed))
                a.resync()
                b.resync()
            else:
                # Commands with a random effect (SPOP, ...) leave the two servers in different
                # states: the family names commands that bring them back together, run on the
                # same connection (same database).
                for fix in families.after(args):
                    a.conns[proto].call(*fix)
                    b.conns[proto].call(*fix)
                if (i + 1) % check_every == 0 or i == count - 1:
                    da, db = a.dump(), b.dump()
                    if da != db:
                        diff = []
                        for dbi in range(NDB):
                            for key in sorted(set(da[dbi]) | set(db[dbi])):
                                if da[dbi].get(key) != db[dbi].get(key):
                                    diff.append("db%d %r: redis=%r strata=%r" %
                                                (dbi, key, da[dbi].get(key), db[dbi].get(key)))
                        mismatches.append("state differs after #%d (seed %d):\n    %s" %
                                          (i, seed, "\n    ".join(diff[:10])))
                        a.resync()
                        b.resync()
            if len(mismatches) >= max_mismatches:
                break
        a.close()
        b.close()
        if not sut.alive():
            mismatches.append("strata-server died (exit %s); log:\n%s" %
                              (sut.proc.returncode, sut.log()))
    finally:
        ref.stop()
        sut.stop()
    return mismatches


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--seed", type=int, default=None)
    ap.add_argument("--count", type=int, default=20000)
    ap.add_argument("--threads", type=int, default=4)
    ap.add_argument("--strata", default=None, help="strata-server command line")
    ap.add_argument("--redis", default=None, help="reference redis-server command line")
    ap.add_argument("--max-mismatches", type=int, default=20)
    ap.add_argument("--protos", default="2,3", help="RESP versions to use, e.g. 2")
    ap.add_argument("--exclude", default="", help="comma-separated commands to leave out")
    ns = ap.parse_args()
    seed = ns.seed if ns.seed is not None else random.SystemRandom().randrange(1 << 32)
    strata = ns.strata.split() if ns.strata else None
    redis = ns.redis.split() if ns.redis else None
    t0 = time.monotonic()
    mm = run(seed, ns.count, strata, redis, ns.threads, ns.max_mismatches,
             protos=tuple(int(x) for x in ns.protos.split(",")),
             exclude=[x for x in ns.exclude.split(",") if x])
    for m in mm:
        print("MISMATCH " + m)
    print("kvdiff: seed=%d, %d commands, %d mismatches, %.1fs" %
          (seed, ns.count, len(mm), time.monotonic() - t0))
    return 1 if mm else 0


if __name__ == "__main__":
    sys.exit(main())
