#!/usr/bin/python3
"""Atomic operations: strata-server vs Debian's redis-server, throughput of Lua scripts and
MULTI/EXEC transactions, measured in the same run with the same load.

Cases, each with 50 clients at pipeline 1 and 16:
  EVALSHA lock release   the compare-and-delete script that releases a lock only when its token
                         matches, via redis-benchmark `evalsha <sha> 1 lock:__rand_int__ tok`.
                         Before each measurement the server is flushed and the keys
                         lock:000000000000 .. lock:<n-1> are set to "tok", with n the number of
                         calls and -r n: about 1 - 1/e (63%) of the calls find their lock held
                         with the matching token and delete it, the others find it already
                         released (GET nil) and return 0. The measured share of deleting calls is
                         printed with each row.
  EVALSHA token bucket   a rate limiter: one hash per bucket (fields tokens and ts), refilled by
                         the time elapsed since the last call (redis.call('TIME')), one token
                         taken when there is one, written back with HSET and given a PEXPIRE of
                         the time a full refill takes; returns 1 (allowed) or 0. Buckets are
                         bucket:__rand_int__ over -r 100000, capacity 10, 5 tokens per second.
  MULTI INCR EXPIRE EXEC one transaction (MULTI, INCR counter:K, EXPIRE counter:K 100, EXEC) per
                         unit on counter:__rand_int__ over -r 100000, sent by bench/txn_load
                         (redis-benchmark sends one command per request): transactions/s, each
                         being four commands; a batch at pipeline 16 is 16 transactions.

Each figure is requests/s and the server's CPU time per request (user+sys from /proc/<pid>/stat;
for MULTI/EXEC, transactions/s and CPU time per transaction), with ratios strata / redis. With
--rounds R (default 3) the whole matrix runs R times, the servers taking turns within each round,
and every figure is the median of its R measurements; the "best" column is the ratio of each
server's best round. Both servers run on ports 27300-27399. --check-client also measures INCR
with both redis-benchmark and bench/txn_load, to show that the transaction load generator is not
the bottleneck. Nothing here asserts a timing; results are saved under bench/results/.

Usage: atomicity_bench.py [--build build/release] [--quick] [--rounds 3] [--check-client]
"""

import argparse
import csv
import io
import os
import statistics
import subprocess
import sys
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(ROOT, "tests", "integration", "kv"))

from kv_harness import Server, bulk_load, cpu_ticks  # noqa: E402
from kv_resp import RespError  # noqa: E402

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import benchutil  # noqa: E402

TICKS = os.sysconf("SC_CLK_TCK")
CLIENTS = 50
PIPELINES = (1, 16)
PORTS = range(27300, 27400)
KEYSPACE = 100_000  # buckets and transaction counters

LOCK_RELEASE = ('if redis.call("get",KEYS[1]) == ARGV[1] then return redis.call("del",KEYS[1]) '
                'else return 0 end')

TOKEN_BUCKET = """\
local capacity = tonumber(ARGV[1])
local rate = tonumber(ARGV[2])
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local v = redis.call('HMGET', KEYS[1], 'tokens', 'ts')
local tokens = tonumber(v[1])
local ts = tonumber(v[2])
if tokens == nil then
  tokens = capacity
  ts = now
end
tokens = math.min(capacity, tokens + math.max(0, now - ts) * rate / 1000)
local allowed = 0
if tokens >= 1 then
  tokens = tokens - 1
  allowed = 1
end
redis.call('HSET', KEYS[1], 'tokens', tokens, 'ts', now)
redis.call('PEXPIRE', KEYS[1], math.ceil(capacity / rate * 1000))
return allowed
"""
BUCKET_CAPACITY, BUCKET_RATE = "10", "5"

TRANSACTION = ["MULTI", "INCR counter:__rand_int__", "EXPIRE counter:__rand_int__ 100", "EXEC"]

CASES = ["EVALSHA lock release", "EVALSHA token bucket", "MULTI INCR EXPIRE EXEC"]
CHECK_CASES = ["INCR redis-benchmark", "INCR txn_load"]
# Targets against redis-server (strata / redis requests per second) by pipeline depth.
TARGETS = {1: 1.0, 16: 1.3}


def pick_port(taken):
    return benchutil.pick_port(PORTS, taken)


def fill_locks(port, n):
    """lock:%012d (redis-benchmark's __rand_int__ format) = tok for 0 <= i < n."""
    def gen():
        for a in range(0, n, 1000):
            args = ["MSET"]
            for i in range(a, min(n, a + 1000)):
                args += ["lock:%012d" % i, "tok"]
            yield benchutil.resp(*args)
    bulk_load(port, gen(), chunk=50)


def redis_benchmark(server, argv_tail, pipeline, n, keyspace):
    argv = ["redis-benchmark", "-p", str(server.port), "-c", str(CLIENTS), "-P", str(pipeline),
            "-r", str(keyspace), "-n", str(n), "--csv"] + argv_tail
    t0 = cpu_ticks(server.pid)
    r = subprocess.run(argv, capture_output=True, timeout=600)
    t1 = cpu_ticks(server.pid)
    rows = list(csv.DictReader(io.StringIO(r.stdout.decode())))
    if r.returncode != 0 or not rows:
        return {"error": (r.stderr or r.stdout).decode("utf-8", "replace")[-120:]}
    return {"rps": float(rows[0]["rps"]), "cpu_us": (t1 - t0) / TICKS * 1e6 / n}


def txn_load(tool, server, commands, pipeline, n, keyspace):
    argv = [tool, "--port", str(server.port), "--clients", str(CLIENTS), "--pipeline",
            str(pipeline), "--requests", str(n), "--keyspace", str(keyspace)]
    for c in commands:
        argv += ["--cmd", c]
    t0 = cpu_ticks(server.pid)
    r = subprocess.run(argv, capture_output=True, timeout=600)
    t1 = cpu_ticks(server.pid)
    out = r.stdout.decode()
    if r.returncode != 0 or "units_per_sec=" not in out:
        return {"error": (r.stderr or r.stdout).decode("utf-8", "replace")[-120:]}
    kv = dict(f.split("=", 1) for f in out.split())
    return {"rps": float(kv["units_per_sec"]), "cpu_us": (t1 - t0) / TICKS * 1e6 / n}


def check_reply(c, want, *args):
    """Runs a case's command once by hand: redis-benchmark does not report error replies."""
    got = c.call(*args)
    if isinstance(got, RespError) or got != want:
        raise AssertionError("%s answered %r, expected %r" % (args[0], got, want))


def run_case(case, server, shas, pipeline, n, tools):
    with server.conn() as c:
        # Each case's command once by hand first, then a clean keyspace (and the locks).
        if case == "EVALSHA lock release":
            c.call("SET", "lock:check", "tok")
            check_reply(c, 1, "EVALSHA", shas["lock"], 1, "lock:check", "tok")
            check_reply(c, 0, "EVALSHA", shas["lock"], 1, "lock:check", "tok")
        elif case == "EVALSHA token bucket":
            check_reply(c, 1, "EVALSHA", shas["bucket"], 1, "bucket:check", BUCKET_CAPACITY,
                        BUCKET_RATE)
        elif case == "MULTI INCR EXPIRE EXEC":
            c.call("MULTI")
            c.call("INCR", "counter:check")
            c.call("EXPIRE", "counter:check", "100")
            check_reply(c, [1, 1], "EXEC")
        c.call("FLUSHALL")
        if case == "EVALSHA lock release":
            fill_locks(server.port, n)
            before = c.call("DBSIZE")
    time.sleep(0.5)  # every server settles after its preload before it is timed
    if case == "EVALSHA lock release":
        r = redis_benchmark(server, ["evalsha", shas["lock"], "1", "lock:__rand_int__", "tok"],
                            pipeline, n, n)
        with server.conn() as c:
            r["deleted"] = (before - c.call("DBSIZE")) / n
        return r
    if case == "EVALSHA token bucket":
        return redis_benchmark(server, ["evalsha", shas["bucket"], "1", "bucket:__rand_int__",
                                        BUCKET_CAPACITY, BUCKET_RATE], pipeline, n, KEYSPACE)
    if case == "MULTI INCR EXPIRE EXEC":
        if not tools.get("txn_load"):
            return {"error": "txn_load not built"}
        return txn_load(tools["txn_load"], server, TRANSACTION, pipeline, n, KEYSPACE)
    if case == "INCR redis-benchmark":
        return redis_benchmark(server, ["INCR", "counter:__rand_int__"], pipeline, n, KEYSPACE)
    if case == "INCR txn_load":
        if not tools.get("txn_load"):
            return {"error": "txn_load not built"}
        return txn_load(tools["txn_load"], server, ["INCR counter:__rand_int__"], pipeline, n,
                        KEYSPACE)
    raise ValueError(case)


def run_server(name, spec, rnd, cases, reqs, tools, samples, out):
    """One round of every case on one server process."""
    s = Server(**spec).start()
    try:
        with s.conn() as c:
            shas = {"lock": c.call("SCRIPT", "LOAD", LOCK_RELEASE).decode(),
                    "bucket": c.call("SCRIPT", "LOAD", TOKEN_BUCKET).decode()}
        for case in cases:
            for p in PIPELINES:
                try:
                    r = run_case(case, s, shas, p, reqs[p], tools)
                except (AssertionError, RespError) as e:
                    r = {"error": str(e)[:120]}
                samples.setdefault((name, case, p), []).append(r)
                print("  round %d %-7s %-24s P=%-2d %s" % (rnd + 1, name, case, p, r), flush=True)
    finally:
        rc = s.stop()
        if rc not in (0, None):
            out("note: %s exited with %s" % (name, rc))


def median_of(runs):
    ok = [r for r in runs if "error" not in r]
    if not ok:
        return runs[0]
    return ({k: statistics.median(r[k] for r in ok) for k in ok[0]} |
            {"best_rps": max(r["rps"] for r in ok), "runs": len(ok)})


def ratio(a, b):
    return None if a is None or b is None or not b else a / b


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--build", default=os.environ.get("STRATA_BUILD", "build/release"))
    ap.add_argument("--quick", action="store_true", help="10x fewer requests, one round")
    ap.add_argument("--rounds", type=int, default=int(os.environ.get("BENCH_ROUNDS", "3")))
    ap.add_argument("--check-client", action="store_true",
                    help="also INCR via redis-benchmark and via txn_load (client headroom)")
    ns = ap.parse_args()
    build = os.path.abspath(ns.build)
    strata = os.path.join(build, "src", "kv", "strata-server")
    tool = os.path.join(build, "bench", "txn_load", "txn_load")
    tools = {"txn_load": tool if os.access(tool, os.X_OK) else None}
    taken = set()
    servers = [("strata", {"cmd": [strata], "port": pick_port(taken)}),
               ("redis", {"cmd": ["redis-server"], "port": pick_port(taken)})]
    reqs = {1: 20_000 if ns.quick else 200_000, 16: 100_000 if ns.quick else 1_000_000}
    rounds = 1 if ns.quick else max(1, ns.rounds)
    cases = CASES + (CHECK_CASES if ns.check_client else [])
    lines = []

    def out(s=""):
        print(s, flush=True)
        lines.append(s)

    out("atomicity: %s, %d cores, %d clients, -n %d (P1) / %d (P16), median of %d rounds" %
        (time.strftime("%Y-%m-%d %H:%M:%S"), os.cpu_count(), CLIENTS, reqs[1], reqs[16], rounds))
    if not tools["txn_load"]:
        out("note: %s not built; no MULTI/EXEC rows" % tool)
    samples = {}
    t_start = time.monotonic()
    for rnd in range(rounds):
        for name, spec in servers:
            run_server(name, spec, rnd, cases, reqs, tools, samples, out)
    res = {k: median_of(v) for k, v in samples.items()}

    out()
    out("servers: strata=%s (default threads), redis=redis-server" % strata)
    out("## Throughput, requests/s (MULTI/EXEC: transactions/s), and server CPU per request, us")
    head = ("case", "P", "strata rps", "redis rps", "ratio", "target", "best", "strata us",
            "redis us", "cpu", "note")
    fmt = "%-24s %3s %11s %11s %6s %9s %6s %9s %9s %6s  %s"
    out(fmt % head)
    for case in cases:
        for p in PIPELINES:
            a, b = res.get(("strata", case, p), {}), res.get(("redis", case, p), {})
            rps = ratio(a.get("rps"), b.get("rps"))
            best = ratio(a.get("best_rps"), b.get("best_rps"))
            cpu = ratio(a.get("cpu_us"), b.get("cpu_us"))
            target = ""
            if case in CASES and rps is not None:
                target = "%.1fx %s" % (TARGETS[p], "ok" if rps >= TARGETS[p] else "miss")
            note = []
            for n, d in (("strata", a), ("redis", b)):
                if "error" in d:
                    note.append("%s: %s" % (n, d["error"][:60]))
                elif "deleted" in d:
                    note.append("%s deleted %.0f%%" % (n, d["deleted"] * 100))
            num = lambda d, k, f: f % d[k] if k in d else "-"  # noqa: E731
            row = (case, p, num(a, "rps", "%.0f"), num(b, "rps", "%.0f"),
                   "-" if rps is None else "%.2fx" % rps, target,
                   "-" if best is None else "%.2fx" % best, num(a, "cpu_us", "%.2f"),
                   num(b, "cpu_us", "%.2f"), "-" if cpu is None else "%.2fx" % cpu,
                   ", ".join(note))
            out((fmt % row).rstrip())
    out("targets: strata rps >= %.1fx redis at P1 and >= %.1fx at P16 (medians)" %
        (TARGETS[1], TARGETS[16]))
    out("\ntotal bench time %.0fs" % (time.monotonic() - t_start))
    benchutil.save_results("atomicity", lines)


if __name__ == "__main__":
    main()
