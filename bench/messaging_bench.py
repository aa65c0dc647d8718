#!/usr/bin/python3
"""Messaging: strata-server vs Debian's redis-server, Pub/Sub fan-out and reads under client-side
caching, measured in the same run with the same load (bench/msg_load).

Cases:
  fan-out 1 channel      1,000 subscribers SUBSCRIBE to ch:0; one publisher PUBLISHes 32-byte
                         messages to it with up to 32 PUBLISH in flight for --duration seconds.
  fan-out 100 ch + 10 pat
                         990 subscribers SUBSCRIBE to ch:0 .. ch:99 (round robin, 9-10 each) and
                         10 PSUBSCRIBE to ch:0* .. ch:9*; the publisher goes through the 100
                         channels in turn, so every message reaches its channel's subscribers and
                         exactly one pattern subscriber (about 11 deliveries per PUBLISH).
                         In both, the publisher waits while the deliveries the server reported
                         (the sum of PUBLISH replies) exceed what the subscribers received by more
                         than 1,000 messages per subscriber: the figure is sustained throughput,
                         far from client-output-buffer-limit pubsub (32mb 8mb 60). Reported:
                         delivered messages per second (sum over subscribers, from the first
                         PUBLISH until the subscribers have drained) and server CPU time per
                         delivered message; every owed message must arrive.
  tracking GET/SET P1, P4
                         50 RESP3 clients, each HELLO 3 + CLIENT TRACKING ON, 10,000 preloaded
                         keys, 90% GET / 10% SET on random keys at pipeline 1 and 4, for
                         --duration seconds: operations per second and server CPU per operation.
                         Then writes stop and the clients read invalidations for up to 1 s;
                         msg_load checks that every client got an invalidation of every key it
                         read (and had the reply of) before a later SET of that key by any client.

strata runs twice: with its default threads (no --threads: one shard thread per core, thread
packing auto) and as strata-sp with --threads 2 --thread-packing never (connections,
subscribers included, are spread over the two shard threads at accept, and both threads always
run: on a machine where the load generator needs a core of its own, this is the row that shows
what spreading costs or gains). Ratios are strata / redis: medians over --rounds R (default 3, the
servers taking turns within each round); "best" is the ratio of each server's best round. Servers
run on ports 27400-27499. Nothing here asserts a timing; results are saved under bench/results/.

Usage: messaging_bench.py [--build build/release] [--quick] [--rounds 3] [--duration 5]
"""

import argparse
import os
import statistics
import subprocess
import sys
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(ROOT, "tests", "integration", "kv"))

from kv_harness import Server, bulk_load, info  # noqa: E402

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import benchutil  # noqa: E402

PORTS = range(27400, 27500)
SUBSCRIBERS = 1000
WINDOW = 32  # PUBLISH in flight
LAG = 1000  # messages per subscriber the publisher may run ahead
MESSAGE_SIZE = 32
CLIENTS = 50
KEYS = 10_000
WRITE_PCT = 10

PUBSUB_CASES = [("fan-out 1 channel", {"channels": 1, "patterns": 0}),
                ("fan-out 100 ch + 10 pat", {"channels": 100, "patterns": 10})]
TRACKING_CASES = [("tracking GET/SET P1", 1), ("tracking GET/SET P4", 4)]
# strata configurations: name, extra threads setting, target (strata / redis) for each case.
# strata-sp: two shard threads that stay spread (--thread-packing never), subscribers on both.
STRATA = [("strata", None, 1.0), ("strata-sp", 2, 1.5)]
SPREAD_ARGS = ["--thread-packing", "never"]
TRACKING_TARGET = 1.0


def pick_port(taken):
    return benchutil.pick_port(PORTS, taken)


def preload(port):
    """trk:0 .. trk:<KEYS-1>, 32-byte values, the keys msg_load --mode tracking reads."""
    def gen():
        for a in range(0, KEYS, 1000):
            args = ["MSET"]
            for i in range(a, min(KEYS, a + 1000)):
                args += ["trk:%d" % i, "v" * 32]
            yield benchutil.resp(*args)
    bulk_load(port, gen(), chunk=10)


def msg_load(tool, server, args, duration):
    argv = [tool, "--port", str(server.port), "--pid", str(server.pid),
            "--duration", str(duration)] + [str(a) for a in args]
    try:
        r = subprocess.run(argv, capture_output=True, timeout=duration + 120)
    except subprocess.TimeoutExpired:
        return {"error": "msg_load timed out (server hung?)"}
    out = r.stdout.decode()
    if "mode=" not in out:
        return {"error": "rc %s: %s" % (r.returncode,
                                        (r.stderr or r.stdout).decode("utf-8", "replace")[-120:])}
    kv = {}
    for f in out.split():
        k, v = f.split("=", 1)
        try:
            kv[k] = float(v)
        except ValueError:
            kv[k] = v
    if r.returncode != 0:
        kv["failed"] = "rc %d %s" % (r.returncode, r.stderr.decode("utf-8", "replace")[-80:])
    return kv


def packing(server):
    """strata's shard threads running now and its thread packing counters (INFO server)."""
    with server.conn() as c:
        d = info(c, "server")
    return tuple(int(d.get(k, 0)) for k in ("shard_threads_running", "thread_spreads",
                                              "thread_packs"))


def run_case(kind, params, server, tool, duration):
    if kind == "pubsub":
        r = msg_load(tool, server, ["--mode", "pubsub", "--subscribers", SUBSCRIBERS,
                                    "--channels", params["channels"], "--patterns",
                                    params["patterns"], "--window", WINDOW, "--size",
                                    MESSAGE_SIZE, "--lag", LAG], duration)
        if "error" not in r:
            r["rate"], r["cpu_us"] = r["deliveries_per_sec"], r["server_cpu_us_per_delivery"]
        return r
    with server.conn() as c:
        c.call("FLUSHALL")
    preload(server.port)
    time.sleep(0.5)  # every server settles after its preload before it is timed
    r = msg_load(tool, server, ["--mode", "tracking", "--clients", CLIENTS, "--keys", KEYS,
                                "--prefix", "trk:", "--pipeline", params, "--write-pct",
                                WRITE_PCT], duration)
    if "error" not in r:
        r["rate"], r["cpu_us"] = r["ops_per_sec"], r["server_cpu_us_per_op"]
    return r


def cases():
    return ([(name, "pubsub", p) for name, p in PUBSUB_CASES] +
            [(name, "tracking", p) for name, p in TRACKING_CASES])


def brief(r):
    if "error" in r:
        return r["error"]
    keys = ("rate", "cpu_us", "missing", "max_sub_lag", "client_cpu", "publisher_waiting",
            "owed_pairs", "closed", "threads", "failed")
    return " ".join("%s=%s" % (k, ("%.4g" % r[k]) if isinstance(r[k], float) else r[k])
                    for k in keys if k in r)


def run_server(name, spec, rnd, tool, duration, samples, out):
    """One round of every case on one server process."""
    s = Server(**spec).start()
    try:
        for case, kind, params in cases():
            time.sleep(0.5)  # the previous case's connections are gone
            before = None if s.redis else packing(s)
            r = run_case(kind, params, s, tool, duration)
            if not s.alive():
                r = {"error": "server exited with %s" % s.proc.returncode}
            elif before and "error" not in r:
                after = packing(s)
                # Packed the whole case: one thread ran every shard from start to end.
                r["packed"] = before[0] == 1 and after[0] == 1 and after[1] == before[1]
                r["threads"] = "%d->%d spreads+%d packs+%d" % (
                    before[0], after[0], after[1] - before[1], after[2] - before[2])
            samples.setdefault((name, case), []).append(r)
            print("  round %d %-9s %-24s %s" % (rnd + 1, name, case, brief(r)), flush=True)
            if not s.alive():
                break
    finally:
        rc = s.stop()
        if rc not in (0, None):
            out("note: %s exited with %s" % (name, rc))


def median_of(runs):
    ok = [r for r in runs if "error" not in r]
    if not ok:
        return runs[0]
    return {"rate": statistics.median(r["rate"] for r in ok),
            "cpu_us": statistics.median(r["cpu_us"] for r in ok),
            "best": max(r["rate"] for r in ok),
            "missing": sum(int(r.get("missing", 0)) for r in ok),
            "owed": sum(int(r.get("owed_pairs", r.get("owed", 0))) for r in ok),
            "closed": sum(int(r.get("closed", 0)) for r in ok),
            "max_sub_lag": max(int(r.get("max_sub_lag", 0)) for r in ok),
            "client_cpu": max(r.get("client_cpu", 0) for r in ok),
            "failed": [r["failed"] for r in ok if "failed" in r],
            "packed": sum(1 for r in ok if r.get("packed")),
            "errors": len(runs) - len(ok), "runs": len(ok)}


def ratio(a, b):
    return None if a is None or b is None or not b else a / b


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--build", default=os.environ.get("STRATA_BUILD", "build/release"))
    ap.add_argument("--quick", action="store_true", help="2 s per case, one round")
    ap.add_argument("--rounds", type=int, default=int(os.environ.get("BENCH_ROUNDS", "3")))
    ap.add_argument("--duration", type=float, default=5.0, help="seconds per case")
    ns = ap.parse_args()
    build = os.path.abspath(ns.build)
    strata = os.path.join(build, "src", "kv", "strata-server")
    tool = os.path.join(build, "bench", "msg_load", "msg_load")
    lines = []

    def out(s=""):
        print(s, flush=True)
        lines.append(s)

    if not os.access(tool, os.X_OK):
        out("messaging: %s not built; no messaging section" % tool)
        return
    taken = set()
    servers = [(name, {"cmd": [strata], "threads": threads, "port": pick_port(taken),
                       "args": SPREAD_ARGS if threads else ()})
               for name, threads, _ in STRATA]
    servers.append(("redis", {"cmd": ["redis-server"], "port": pick_port(taken)}))
    rounds = 1 if ns.quick else max(1, ns.rounds)
    duration = 2.0 if ns.quick else ns.duration

    out("messaging: %s, %d cores, %d subscribers / %d tracking clients, %.0f s per case, median "
        "of %d rounds" % (time.strftime("%Y-%m-%d %H:%M:%S"), os.cpu_count(), SUBSCRIBERS,
                          CLIENTS, duration, rounds))
    samples = {}
    t_start = time.monotonic()
    for rnd in range(rounds):
        for name, spec in servers:
            run_server(name, spec, rnd, tool, duration, samples, out)
    res = {k: median_of(v) for k, v in samples.items()}

    out()
    out("servers: strata=%s with default threads (one per core: %d here, thread packing auto: "
        "every shard run by one thread while the machine has no idle core or the load is "
        "light) and strata-sp with --threads 2 --thread-packing never (both shard threads "
        "always run, the load generator shares the cores); redis=redis-server" %
        (strata, os.cpu_count()))
    num = lambda d, k, f: f % d[k] if k in d else "-"  # noqa: E731
    fmt = "%-24s %-9s %11s %11s %6s %9s %6s %9s %9s %6s  %s"
    head = ("case", "run", "strata", "redis", "ratio", "target", "best", "strata us",
            "redis us", "cpu", "note")
    out("## Pub/sub fan-out: delivered messages/s (sum over subscribers) and server CPU per "
        "delivered message, us")
    out(fmt % head)
    for case, kind, _ in cases():
        if kind == "tracking" and case == TRACKING_CASES[0][0]:
            out()
            out("## Reads under CLIENT TRACKING (90% GET / 10% SET): operations/s and server CPU "
                "per operation, us")
            out(fmt % head)
        for sname, _, target in STRATA:
            if kind == "tracking":
                target = TRACKING_TARGET
            a, b = res.get((sname, case), {}), res.get(("redis", case), {})
            rps = ratio(a.get("rate"), b.get("rate"))
            best = ratio(a.get("best"), b.get("best"))
            cpu = ratio(a.get("cpu_us"), b.get("cpu_us"))
            tgt = "" if rps is None else "%.1fx %s" % (target, "ok" if rps >= target else "miss")
            note = []
            for n, d in ((sname, a), ("redis", b)):
                if "error" in d:
                    note.append("%s: %s" % (n, d["error"][:60]))
                    continue
                if d.get("errors"):
                    note.append("%s: %d failed rounds" % (n, d["errors"]))
                if d.get("missing"):
                    note.append("%s: %d missing" % (n, d["missing"]))
                if d.get("failed"):
                    note.append("%s: %s" % (n, d["failed"][0][:60]))
                if d.get("closed"):
                    note.append("%s: %d subscribers disconnected" % (n, d["closed"]))
                if d.get("packed"):
                    note.append("%s packed on one thread in %d/%d rounds" %
                                (n, d["packed"], d["runs"]))
                if kind == "pubsub" and "max_sub_lag" in d:
                    note.append("%s lag<=%d" % (n, d["max_sub_lag"]))
            row = (case, sname, num(a, "rate", "%.0f"), num(b, "rate", "%.0f"),
                   "-" if rps is None else "%.2fx" % rps, tgt,
                   "-" if best is None else "%.2fx" % best, num(a, "cpu_us", "%.3f"),
                   num(b, "cpu_us", "%.3f"), "-" if cpu is None else "%.2fx" % cpu,
                   ", ".join(note))
            out((fmt % row).rstrip())
    out()
    for case, kind, _ in cases():
        for name, _ in servers:
            d = res.get((name, case), {})
            what = "invalidations" if kind == "tracking" else "messages"
            if "error" in d:
                status = "not measured (%s)" % d["error"][:80]
            elif d.get("missing"):
                status = "%d missing of %d owed" % (d["missing"], d["owed"])
            else:
                status = "all delivered (%d owed)" % d.get("owed", 0)
            out("%s: %s %-9s %s" % (what, case.ljust(24), name, status))
    out("targets: pub/sub strata >= %.1fx redis with default threads, >= %.1fx spread (strata-sp); "
        "tracking >= %.1fx (medians)" % (STRATA[0][2], STRATA[1][2], TRACKING_TARGET))
    out("\ntotal bench time %.0fs" % (time.monotonic() - t_start))
    benchutil.save_results("messaging", lines)


if __name__ == "__main__":
    main()
