#!/usr/bin/python3
"""Differential test of access tracking: which commands count as an access for the eviction
policy, compared between redis-server and strata-server through OBJECT IDLETIME (LRU clock, with
a tolerance of 1 s) and OBJECT FREQ (LFU counter).

Every case is a command run against its own key. Redis touches a key on every lookup for reading
(lookupKeyRead: GET, GETEX, TOUCH, COPY's source, SET ... GET, ...) and for writing
(lookupKeyWrite: SET even when NX refuses it, APPEND, EXPIRE, RENAME, ...), and deliberately not
for EXISTS, TYPE, TTL, OBJECT and MEMORY USAGE.

- LRU: set every key, sleep 2.2 s, run each case once, then read OBJECT IDLETIME of each key:
  0 where the command touched it, 2 where it did not.
- LFU: with lfu-log-factor 0 (every access increments the counter by exactly 1) and
  lfu-decay-time 0 (no decay), set every key (counter 5), run each case three times, then read
  OBJECT FREQ: 5 plus the number of accesses the three runs made.

maxmemory is set (high) on both, so Redis stores INCR results as their own objects (with
maxmemory 0 it hands out shared integers whose LRU/LFU fields belong to no key).

Usage: access_diff.py [--threads N]  (prints the table; exit status 1 on a difference)
"""

import argparse
import os
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "integration", "kv"))

from kv_harness import Server, redis_command, strata_command  # noqa: E402
from kv_resp import Conn  # noqa: E402

# (name, command with {k} for the case's key, initial value, key whose metadata is read, its db)
CASES = [
    ("get", ["GET", "{k}"]),
    ("mget", ["MGET", "{k}", "{k}:absent"]),
    ("getrange", ["GETRANGE", "{k}", "0", "1"]),
    ("strlen", ["STRLEN", "{k}"]),
    ("getex", ["GETEX", "{k}"]),
    ("getex_ex", ["GETEX", "{k}", "EX", "100"]),
    ("set", ["SET", "{k}", "v2"]),
    ("set_nx", ["SET", "{k}", "v2", "NX"]),
    ("set_xx", ["SET", "{k}", "v2", "XX"]),
    ("set_get", ["SET", "{k}", "v2", "GET"]),
    ("set_nx_get", ["SET", "{k}", "v2", "NX", "GET"]),
    ("set_xx_get", ["SET", "{k}", "v2", "XX", "GET"]),
    ("set_keepttl", ["SET", "{k}", "v2", "KEEPTTL"]),
    ("setnx", ["SETNX", "{k}", "v2"]),
    ("setex", ["SETEX", "{k}", "100", "v2"]),
    ("getset", ["GETSET", "{k}", "v2"]),
    ("append", ["APPEND", "{k}", "x"]),
    ("setrange", ["SETRANGE", "{k}", "1", "x"]),
    ("mset", ["MSET", "{k}", "v2"]),
    ("msetnx", ["MSETNX", "{k}", "v2"]),
    ("exists", ["EXISTS", "{k}"]),
    ("type", ["TYPE", "{k}"]),
    ("ttl", ["TTL", "{k}"]),
    ("pttl", ["PTTL", "{k}"]),
    ("expiretime", ["EXPIRETIME", "{k}"]),
    ("object_encoding", ["OBJECT", "ENCODING", "{k}"]),
    ("memory_usage", ["MEMORY", "USAGE", "{k}"]),
    ("expire", ["EXPIRE", "{k}", "100"]),
    ("pexpire", ["PEXPIRE", "{k}", "100000"]),
    ("expire_nx", ["EXPIRE", "{k}", "100", "NX"]),
    ("expireat", ["EXPIREAT", "{k}", "99999999999"]),
    ("persist", ["PERSIST", "{k}"]),
    ("touch", ["TOUCH", "{k}"]),
    ("copy_source", ["COPY", "{k}", "{k}:copy"]),
    ("copy_onto_existing", ["COPY", "{k}:other", "{k}"]),
    ("rename", ["RENAME", "{k}", "{k}:renamed"], "{k}:renamed"),
    ("renamenx_existing_dst", ["RENAMENX", "{k}:other", "{k}"]),
    ("move", ["MOVE", "{k}", "1"], "{k}", 1),
    ("incr", ["INCR", "{k}"], None, 0, "10"),
    ("incrby", ["INCRBY", "{k}", "2"], None, 0, "10"),
    ("decr", ["DECR", "{k}"], None, 0, "10"),
    ("decrby", ["DECRBY", "{k}", "2"], None, 0, "10"),
    ("incrbyfloat", ["INCRBYFLOAT", "{k}", "1.5"], None, 0, "10"),
]


def _case(c):
    name, cmd = c[0], c[1]
    target = c[2] if len(c) > 2 and c[2] else "{k}"
    db = c[3] if len(c) > 3 else 0
    value = c[4] if len(c) > 4 else "hello"
    key = "key:" + name
    return (name, [a.replace("{k}", key) for a in cmd], target.replace("{k}", key), db, value,
            key)


def measure(port, mode):
    """Runs every case on the server at `port`; returns {name: IDLETIME or FREQ}."""
    cases = [_case(c) for c in CASES]
    c = Conn(port)
    c.call("FLUSHALL")
    c.call("CONFIG", "SET", "maxmemory", "1gb")
    if mode == "lru":
        c.call("CONFIG", "SET", "maxmemory-policy", "allkeys-lru")
    else:
        c.call("CONFIG", "SET", "maxmemory-policy", "allkeys-lfu")
        c.call("CONFIG", "SET", "lfu-log-factor", "0")
        c.call("CONFIG", "SET", "lfu-decay-time", "0")
    for name, cmd, target, db, value, key in cases:
        c.call("SET", key, value)
        c.call("SET", key + ":other", "other")
    if mode == "lru":
        time.sleep(2.2)
    for name, cmd, target, db, value, key in cases:
        for _ in range(1 if mode == "lru" else 3):
            c.call(*cmd)
    out = {}
    for name, cmd, target, db, value, key in cases:
        c.call("SELECT", str(db))
        out[name] = c.call("OBJECT", "IDLETIME" if mode == "lru" else "FREQ", target)
        c.call("SELECT", "0")
    c.close()
    return out


def run(threads=None, strata_cmd=None, redis_cmd=None, log=print):
    """Returns a list of differences (empty when strata-server tracks accesses as Redis)."""
    ref = Server(cmd=redis_cmd or redis_command()).start()
    sut = Server(cmd=strata_cmd or strata_command(), threads=threads).start()
    diffs = []
    try:
        for mode in ("lru", "lfu"):
            r, s = measure(ref.port, mode), measure(sut.port, mode)
            log("%s: %-24s %8s %8s" % (mode, "case", "redis", "strata"))
            for name, *_ in CASES:
                a, b = r[name], s[name]
                same = (abs(a - b) <= 1) if (mode == "lru" and isinstance(a, int) and
                                             isinstance(b, int)) else a == b
                log("%s: %-24s %8r %8r%s" % (mode, name, a, b, "" if same else "  <- differs"))
                if not same:
                    diffs.append("%s %s: redis %r, strata %r" % (
                        "OBJECT IDLETIME" if mode == "lru" else "OBJECT FREQ", name, a, b))
    finally:
        ref.stop()
        sut.stop()
    return diffs


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--threads", type=int, default=4)
    ap.add_argument("--strata", default=None, help="strata-server command line")
    ap.add_argument("--redis", default=None, help="reference redis-server command line")
    a = ap.parse_args()
    diffs = run(a.threads, a.strata.split() if a.strata else None,
                a.redis.split() if a.redis else None)
    print("\n".join(diffs) if diffs else "no differences")
    return 1 if diffs else 0


if __name__ == "__main__":
    sys.exit(main())
