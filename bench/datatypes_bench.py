#!/usr/bin/python3
"""Data types: strata-server vs Debian's redis-server, memory per element and throughput,
measured in the same run with the same load.

Memory: each case loads one data set into a fresh server (pipelined, 1,000 elements per
command) and reports bytes per element from INFO used_memory and from the process RSS (deltas
against the empty server), with the ratio strata / redis:
  zset      one sorted set of 1M members "m:<n>" with random scores
  hash      one hash of 1M fields "f:<n>" with 8-byte values
  hashes10  100k hashes of 10 small fields each (per field)
  list      one list of 1M 8-byte elements
  intset    one set of 1M integers
  strset    one set of 1M strings "member:<n>"
  stream    one stream of 1M entries with 2 small fields

Throughput: redis-benchmark with 50 clients at pipeline 1 and 16 over random keys/members
(-r 100000): LPUSH RPOP SADD SPOP HSET ZADD ZPOPMIN LRANGE_100 and, as custom commands, ZRANK,
ZRANGE BYSCORE LIMIT 0 10, ZINCRBY, HINCRBY, XADD and SISMEMBER; requests/s and the server's
CPU time per request (user+sys from /proc/<pid>/stat), with ratios. A type a server does not
support shows as an error row. Nothing here asserts a timing; results are saved under
bench/results/.

Latency while deleting: a sorted set of 10M members (1M with --quick) is deleted with DEL while
another client sends GETs on the same shard (strata-server runs with --threads 1 here, so every
key shares it) back to back; the probe's p99 and maximum latency during the delete are printed.
strata-server frees large values on a background thread, so the probe should not notice.

Usage: datatypes_bench.py [--build build/release] [--quick] [--only memory|throughput|latency]
"""

import argparse
import csv
import io
import os
import random
import subprocess
import sys
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(ROOT, "tests", "integration", "kv"))

from kv_harness import Server, cpu_ticks, info, rss_bytes  # noqa: E402
from kv_resp import Conn, RespError  # noqa: E402

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import benchutil  # noqa: E402

TICKS = os.sysconf("SC_CLK_TCK")
CLIENTS = 50


def load(port, commands, chunk=100):
    """Sends pre-encoded commands in pipelined chunks; raises on the first error reply."""
    c = Conn(port, timeout=300)
    batch = []

    def flush():
        c.send_raw(b"".join(batch))
        for _ in batch:
            r = c.read()
            if isinstance(r, RespError):
                raise AssertionError("load: %s" % r.message)
        batch.clear()

    try:
        for cmd in commands:
            batch.append(cmd)
            if len(batch) >= chunk:
                flush()
        if batch:
            flush()
    finally:
        c.close()


def chunks(n, size=1000):
    for start in range(0, n, size):
        yield start, min(n, start + size)


def gen_zset(n):
    rnd = random.Random(1)
    for a, b in chunks(n):
        args = ["ZADD", "z"]
        for i in range(a, b):
            args += ["%.6f" % (rnd.random() * 1e6), "m:%d" % i]
        yield benchutil.resp(*args)


def gen_hash(n):
    for a, b in chunks(n):
        args = ["HSET", "h"]
        for i in range(a, b):
            args += ["f:%d" % i, "v%07d" % i]
        yield benchutil.resp(*args)


def gen_hashes10(n):
    for h in range(n // 10):
        args = ["HSET", "user:%d" % h]
        for f in range(10):
            args += ["field%d" % f, "val%d" % f]
        yield benchutil.resp(*args)


def gen_list(n):
    for a, b in chunks(n):
        yield benchutil.resp("RPUSH", "l", *["e%07d" % i for i in range(a, b)])


def gen_intset(n):
    for a, b in chunks(n):
        yield benchutil.resp("SADD", "si", *[str(i * 7) for i in range(a, b)])


def gen_strset(n):
    for a, b in chunks(n):
        yield benchutil.resp("SADD", "ss", *["member:%d" % i for i in range(a, b)])


def gen_stream(n):
    for i in range(n):
        yield benchutil.resp("XADD", "x", "%d-1" % (i + 1), "temp", str(i % 100), "hum", "42")


MEMORY_CASES = [
    ("zset", gen_zset), ("hash", gen_hash), ("hashes10", gen_hashes10), ("list", gen_list),
    ("intset", gen_intset), ("strset", gen_strset), ("stream", gen_stream),
]
# Targets against redis-server (strata / redis bytes per element), printed beside the ratios.
MEMORY_TARGETS = {"zset": 0.6, "hash": 0.7, "intset": 0.7, "hashes10": 0.8, "list": 1.0}


def used_memory(c):
    return int(info(c, "memory")["used_memory"])


def memory_case(spec, gen, n):
    s = Server(**spec).start()
    try:
        with s.conn() as c:
            time.sleep(0.3)
            base_used, base_rss = used_memory(c), rss_bytes(s.pid)
            load(s.port, gen(n))
            time.sleep(0.5)
            used, rss = used_memory(c), rss_bytes(s.pid)
        return {"used": (used - base_used) / n, "rss": (rss - base_rss) / n}
    finally:
        s.stop()


THROUGHPUT_TESTS = [
    ("LPUSH", ["-t", "lpush"]), ("RPOP", ["-t", "rpop"]), ("SADD", ["-t", "sadd"]),
    ("SPOP", ["-t", "spop"]), ("HSET", ["-t", "hset"]), ("ZADD", ["-t", "zadd"]),
    ("ZPOPMIN", ["-t", "zpopmin"]), ("LRANGE_100", ["-t", "lrange_100"]),
    ("ZRANK", ["ZRANK", "bench:z", "m:__rand_int__"]),
    ("ZRANGE BYSCORE", ["ZRANGE", "bench:z", "__rand_int__", "+inf", "BYSCORE", "LIMIT", "0",
                        "10"]),
    ("ZINCRBY", ["ZINCRBY", "bench:z", "1", "m:__rand_int__"]),
    ("HINCRBY", ["HINCRBY", "bench:h", "f:__rand_int__", "1"]),
    ("XADD", ["XADD", "bench:x", "MAXLEN", "~", "100000", "*", "f", "__rand_int__"]),
    ("SISMEMBER", ["SISMEMBER", "bench:s", "__rand_int__"]),
]


def preload_for_throughput(port):
    def gen():
        for a, b in chunks(100000):
            args = ["ZADD", "bench:z"]
            for i in range(a, b):
                args += [str(i), "m:%d" % i]
            yield benchutil.resp(*args)
            yield benchutil.resp("SADD", "bench:s", *[str(i) for i in range(a, b)])
    load(port, gen(), chunk=20)


def throughput_case(port, pid, argv_tail, pipeline, n):
    argv = ["redis-benchmark", "-p", str(port), "-c", str(CLIENTS), "-P", str(pipeline),
            "-r", "100000", "-n", str(n), "--csv"] + argv_tail
    t0 = cpu_ticks(pid)
    r = subprocess.run(argv, capture_output=True, timeout=600)
    t1 = cpu_ticks(pid)
    rows = list(csv.DictReader(io.StringIO(r.stdout.decode())))
    if r.returncode != 0 or not rows:
        return {"error": (r.stderr or r.stdout).decode("utf-8", "replace")[-120:]}
    # A server that rejects the command still answers fast: count error replies as failures.
    return {"rps": float(rows[0]["rps"]), "cpu_us": (t1 - t0) / TICKS * 1e6 / n}


def check_supported(port, argv_tail):
    """redis-benchmark does not report error replies: try the command once by hand."""
    if argv_tail[0] == "-t":
        return True
    c = Conn(port)
    try:
        r = c.call(*[a.replace("__rand_int__", "1") for a in argv_tail])
        return not (isinstance(r, RespError) and "unknown command" in str(r.message))
    finally:
        c.close()


def delete_latency(spec, members):
    """Probe GET latencies (ms) while another client DELetes a sorted set of `members`."""
    import threading
    s = Server(**spec).start()
    try:
        load(s.port, gen_zset(members), chunk=20)
        with s.conn() as c:
            c.call("SET", "probe", "x")
            n = c.call("ZCARD", "z")
            if n != members:
                raise AssertionError("ZCARD %r" % n)
        lat, stop = [], threading.Event()

        def probe():
            pc = Conn(s.port)
            while not stop.is_set():
                t0 = time.perf_counter()
                pc.call("GET", "probe")
                lat.append((time.perf_counter() - t0) * 1000)
            pc.close()

        t = threading.Thread(target=probe)
        t.start()
        time.sleep(0.5)
        lat.clear()
        with s.conn() as c:
            t0 = time.perf_counter()
            c.call("DEL", "z")
            del_ms = (time.perf_counter() - t0) * 1000
        time.sleep(1.0)
        stop.set()
        t.join()
        lat.sort()
        return {"del_ms": del_ms, "p99": lat[int(len(lat) * 0.99)], "max": lat[-1],
                "probes": len(lat)}
    finally:
        s.stop()


def ratio(a, b):
    if a is None or b is None or not b:
        return "-"
    return "%.2fx" % (a / b)


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--build", default=os.environ.get("STRATA_BUILD", "build/release"))
    ap.add_argument("--quick", action="store_true", help="10x smaller, for a smoke run")
    ap.add_argument("--only", choices=["memory", "throughput", "latency"], default=None)
    ns = ap.parse_args()
    strata = [os.path.join(ns.build, "src", "kv", "strata-server")]
    servers = [("redis", {"cmd": ["redis-server"]}), ("strata", {"cmd": strata})]
    n = 100_000 if ns.quick else 1_000_000
    lines = []

    def out(s=""):
        print(s, flush=True)
        lines.append(s)

    out("data types: %s, %d cores, %d elements per memory case" %
        (time.strftime("%Y-%m-%d %H:%M:%S"), os.cpu_count(), n))
    if ns.only in (None, "memory"):
        out()
        out("## Memory per element (used_memory and RSS deltas, bytes)")
        out("%-9s %12s %12s %12s %12s %8s %8s %7s" % ("case", "redis used", "strata used",
                                                        "redis rss", "strata rss", "used", "rss",
                                                        "target"))
        for name, gen in MEMORY_CASES:
            r = {}
            for sname, spec in servers:
                try:
                    r[sname] = memory_case(spec, gen, n)
                except Exception as e:  # an unsupported type: report, continue
                    r[sname] = {"used": None, "rss": None, "error": repr(e)[:80]}
            a, b = r["redis"], r["strata"]
            fmt = lambda v: "-" if v is None else "%.1f" % v  # noqa: E731
            out("%-9s %12s %12s %12s %12s %8s %8s %7s" % (
                name, fmt(a["used"]), fmt(b["used"]), fmt(a["rss"]), fmt(b["rss"]),
                ratio(b["used"], a["used"]), ratio(b["rss"], a["rss"]),
                "<= %.1fx" % MEMORY_TARGETS[name] if name in MEMORY_TARGETS else ""))
    if ns.only in (None, "throughput"):
        reqs = {1: 20_000 if ns.quick else 200_000, 16: 100_000 if ns.quick else 1_000_000}
        res = {}
        for sname, spec in servers:
            s = Server(**spec).start()
            try:
                preload_for_throughput(s.port)
                for test, tail in THROUGHPUT_TESTS:
                    for p in (1, 16):
                        if not check_supported(s.port, tail):
                            res[(sname, test, p)] = {"error": "unsupported"}
                            continue
                        res[(sname, test, p)] = throughput_case(s.port, s.pid, tail, p, reqs[p])
                        print("  %s %s P=%d %s" % (sname, test, p, res[(sname, test, p)]),
                              flush=True)
            finally:
                s.stop()
        out()
        out("## Throughput (redis-benchmark, 50 clients, -r 100000) and server CPU per request")
        out("%-15s %3s %11s %11s %7s %9s %9s %7s" % ("command", "P", "redis rps", "strata rps",
                                                     "rps", "redis us", "strata us", "cpu"))
        for test, _ in THROUGHPUT_TESTS:
            for p in (1, 16):
                a, b = res.get(("redis", test, p), {}), res.get(("strata", test, p), {})
                fmt = lambda d, k, f: f % d[k] if k in d else d.get("error", "-")[:11]  # noqa
                out("%-15s %3d %11s %11s %7s %9s %9s %7s" % (
                    test, p, fmt(a, "rps", "%.0f"), fmt(b, "rps", "%.0f"),
                    ratio(b.get("rps"), a.get("rps")), fmt(a, "cpu_us", "%.2f"),
                    fmt(b, "cpu_us", "%.2f"), ratio(b.get("cpu_us"), a.get("cpu_us"))))
        out("targets: rps >= 1.0x at P1 and >= 1.5x at P16; CPU per request <= 0.7x at P16")
    if ns.only in (None, "latency"):
        members = 1_000_000 if ns.quick else 10_000_000
        out()
        out("## Latency of GETs on the same shard while DEL frees a %d-member sorted set" % members)
        out("%-7s %10s %10s %10s %8s" % ("server", "DEL ms", "GET p99", "GET max", "probes"))
        for sname, spec in servers:
            spec = dict(spec)
            if sname == "strata":
                spec["threads"] = 1
            try:
                r = delete_latency(spec, members)
                out("%-7s %10.2f %10.3f %10.3f %8d" % (sname, r["del_ms"], r["p99"], r["max"],
                                                       r["probes"]))
            except Exception as e:
                out("%-7s error %r" % (sname, e))
        out("target: strata GET p99 under 2 ms while the sorted set is deleted")
    benchutil.save_results("datatypes", lines)


if __name__ == "__main__":
    main()
