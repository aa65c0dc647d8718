#!/usr/bin/python3
"""strata-server vs Debian's redis-server, measured in the same run with the same load.

For every server (redis-server; strata-server with its default shard threads; strata-server with
--threads 1; strata-server sending with a send() per connection, --io epoll, where its default
sends a loop turn's replies with one io_uring call; the +OK-to-everything bench/ok_server with one
loop thread when built, as the I/O ceiling: an idle or lightly loaded strata-server packs its
shards onto one thread too, and the +OK server reads and sends as strata-server does by default
(--io batch: a turn's replies in one io_uring call); and the same +OK server on io_uring, ok_uring,
where the machine allows it: the ceiling of a server that pays one system call per loop turn for
all its sockets, no read() and no readiness event) it runs redis-benchmark SET and GET with 50
clients, pipeline 1 and 16, 3- and 100-byte values over a 1,000,000-key keyspace (-r 1000000; GET
runs against a preloaded keyspace of that value size), and records requests/s, p50 and p99 latency
(redis-benchmark --csv) and the server's CPU time per request (user+sys from /proc/<pid>/stat
before and after each case) and its context switches per request (every thread's voluntary +
involuntary switches from /proc/<pid>/task/*/status: on a machine shared with the load generator
these, not the commands, are what multi-threaded servers pay for at pipeline 1), and the CPU
redis-benchmark itself used, in cores (one thread: near 1.00 the load generator, not the server,
sets the pace). At pipeline 16 redis-benchmark is that bottleneck against a fast server, so the P16
cases run once more from bench/kv_load when it is built (rows marked kv_load): the same requests
and keys from a load generator that needs about 0.5 us of CPU per request where redis-benchmark
needs 0.7, leaving the server the core it needs; its latencies are per batch of 16. It also loads
1,000,000 keys (16-byte keys, 32-byte values) into a fresh server and reports bytes per key from
INFO used_memory and from the process RSS. Results are printed as tables with ratios against
redis-server and saved under bench/results/. Nothing here asserts a timing.

With --rounds R (default 3) the whole matrix runs R times, the servers taking turns within each
round, and every figure is the median of its R measurements: the machine's noise then lands on
every server alike instead of on whichever ran during a busy minute.

Usage: kv_bench.py [--build build/release] [--scale 1.0] [--rounds 3] [--quick]
"""

import argparse
import csv
import io
import os
import resource
import statistics
import subprocess
import sys
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(ROOT, "tests", "integration", "kv"))

from kv_harness import Server, bulk_load, cpu_ticks, info, rss_bytes  # noqa: E402

TICKS = os.sysconf("SC_CLK_TCK")
KEYSPACE = 1_000_000
CLIENTS = 50


def context_switches(pid):
    """Voluntary + involuntary context switches of every thread of a process so far."""
    total = 0
    try:
        for tid in os.listdir("/proc/%d/task" % pid):
            try:
                with open("/proc/%d/task/%s/status" % (pid, tid)) as f:
                    for line in f:
                        if "ctxt_switches:" in line:  # voluntary_ and nonvoluntary_
                            total += int(line.split()[1])
            except OSError:  # the thread ended meanwhile
                pass
    except OSError:
        return 0
    return total


def load(port, n, value_size):
    """SET key:%012d (redis-benchmark's key format, 16 bytes) for n keys."""
    val = b"v" * value_size
    head = b"*3\r\n$3\r\nSET\r\n$16\r\n"
    tail = b"\r\n$%d\r\n%s\r\n" % (value_size, val)
    bulk_load(port, (head + b"key:%012d" % i + tail for i in range(n)))


def run_measured(pid, argv):
    """Runs a load generator; returns its result and the server's CPU seconds, context switches
    and the generator's own CPU in cores over the run."""
    t0 = cpu_ticks(pid) if pid else 0
    c0 = context_switches(pid) if pid else 0
    u0, w0 = resource.getrusage(resource.RUSAGE_CHILDREN), time.monotonic()
    r = subprocess.run(argv, capture_output=True, timeout=600)
    u1, w1 = resource.getrusage(resource.RUSAGE_CHILDREN), time.monotonic()
    t1 = cpu_ticks(pid) if pid else 0
    c1 = context_switches(pid) if pid else 0
    client = ((u1.ru_utime + u1.ru_stime) - (u0.ru_utime + u0.ru_stime)) / (w1 - w0)
    return r, ((t1 - t0) / TICKS if pid else None), ((c1 - c0) if pid else None), client


def case_result(rps, p50, p99, n, server_cpu, server_ctx, client_cores):
    return {
        "rps": rps,
        "p50": p50,
        "p99": p99,
        "cpu_us": server_cpu * 1e6 / n if server_cpu is not None else None,
        "ctx_per_100": server_ctx * 100 / n if server_ctx is not None else None,
        # The load generator's CPU, in cores: near 1.0 it is the bottleneck (it is one thread),
        # and the throughput ratio then says little about the server.
        "client_cores": client_cores,
    }


def failure(r):
    return {"error": (r.stderr or r.stdout).decode("utf-8", "replace")[-200:]}


def bench_case(port, pid, test, pipeline, size, n):
    argv = ["redis-benchmark", "-p", str(port), "-t", test, "-c", str(CLIENTS), "-P", str(pipeline),
            "-d", str(size), "-r", str(KEYSPACE), "-n", str(n), "--csv"]
    r, cpu, ctx, client = run_measured(pid, argv)
    rows = list(csv.DictReader(io.StringIO(r.stdout.decode())))
    if r.returncode != 0 or not rows:
        return failure(r)
    row = rows[0]
    return case_result(float(row["rps"]), float(row["p50_latency_ms"]),
                       float(row["p99_latency_ms"]), n, cpu, ctx, client)


def kv_load_case(kv_load, port, pid, test, pipeline, size, n):
    """The same requests from bench/kv_load, a load generator that spends about 0.5 us of CPU per
    pipelined request where redis-benchmark spends 0.7, so that at P16 the server, not the
    client, is the bottleneck. Its latencies are per batch (send to the batch's last reply)."""
    argv = [kv_load, "--port", str(port), "--test", test, "--clients", str(CLIENTS),
            "--pipeline", str(pipeline), "--size", str(size), "--keys", str(KEYSPACE),
            "--requests", str(n)]
    r, cpu, ctx, _ = run_measured(pid, argv)
    if r.returncode != 0:
        return failure(r)
    f = dict(kv.split("=", 1) for kv in r.stdout.decode().split())
    return case_result(float(f["rps"]), float(f["p50_ms"]), float(f["p99_ms"]),
                       int(f["requests"]), cpu, ctx, float(f["client_cores"]))


def kv_load_cmd(build):
    p = os.path.join(build, "bench", "kv_load", "kv_load")
    return p if os.access(p, os.X_OK) else None


def shard_threads_running(server):
    """strata-server: how many shard threads ran at the end of a case (thread packing)."""
    try:
        with server.conn() as c:
            v = info(c, "server").get("shard_threads_running")
        return None if v is None else int(v)
    except Exception:
        return None


def used_memory(c):
    try:
        return int(info(c, "memory")["used_memory"])
    except (AssertionError, KeyError, ValueError):
        return None


def memory_case(server, n=KEYSPACE):
    """Bytes per key (INFO used_memory and RSS deltas) after loading n 16 B/32 B keys."""
    with server.conn() as c:
        base_used, base_rss = used_memory(c), rss_bytes(server.pid)
        load(server.port, n, 32)
        dbsize = c.call("DBSIZE")
        if dbsize != n:
            raise AssertionError("DBSIZE %r after loading %d keys" % (dbsize, n))
        time.sleep(0.5)
        used, rss = used_memory(c), rss_bytes(server.pid)
    return {"used_per_key": None if used is None or base_used is None else (used - base_used) / n,
            "rss_per_key": (rss - base_rss) / n}


CEILINGS = ("ok_server", "ok_uring")


def uring_ok(cmd):
    """Whether the +OK server can run its io_uring loop here (seccomp may forbid it)."""
    return subprocess.run(cmd + ["--io", "uring", "--check"], capture_output=True).returncode == 0


def ok_server_cmd(build):
    for p in (os.path.join(build, "bench", "ok_server", "ok_server"),
              os.path.join(build, "bench", "ok_server")):
        if os.path.isfile(p) and os.access(p, os.X_OK):
            return [p]
    return None


def fmt_num(v, spec):
    return "-" if v is None else format(v, spec)


def print_table(title, cases, servers, results, key, spec, better, out):
    ref = servers[0][0]
    names = [name for name, _ in servers]
    head = ["case"] + [x for name in names for x in ([name] if name == ref else [name, "x"+ref])]
    rows = []
    for case in cases:
        row = [case]
        base = results.get((ref, case), {}).get(key)
        for name in names:
            v = results.get((name, case), {}).get(key)
            row.append(fmt_num(v, spec))
            if name != ref:
                row.append("-" if v is None or not base else "%.2f" % (v / base))
        rows.append(row)
    widths = [max(len(str(r[i])) for r in rows + [head]) for i in range(len(head))]
    out("\n%s (%sxredis = ratio to redis-server)" % (title, "%s is better; " % better if better else ""))
    out("  ".join(h.rjust(w) if i else h.ljust(w) for i, (h, w) in enumerate(zip(head, widths))))
    for r in rows:
        out("  ".join(str(c).rjust(w) if i else str(c).ljust(w)
                      for i, (c, w) in enumerate(zip(r, widths))))


def run_server(name, spec, rnd, ns, n_p1, n_p16, mem, samples, out):
    """One round of every case on one server (memory per key on the first round only)."""
    is_ok = name in CEILINGS
    # Memory first, on a fresh process, so earlier loads don't inflate RSS.
    if not is_ok and rnd == 0:
        s = Server(**spec).start()
        try:
            mem[name] = memory_case(s, KEYSPACE if not ns.quick else 10000)
        except Exception as e:  # report and go on with the other measurements
            out("note: %s memory measurement failed: %r" % (name, e))
        finally:
            s.stop()
    s = Server(**spec).start()
    try:
        for d in (3, 100):
            if not is_ok:
                try:
                    with s.conn() as c:
                        c.call("FLUSHALL")
                    load(s.port, KEYSPACE if not ns.quick else 10000, d)
                    time.sleep(1)  # every server settles after the bulk load before it is timed
                except Exception as e:
                    out("note: %s preload failed: %r" % (name, e))
            lean = [(16, True)] if ns.kv_load else []
            for p, use_kv_load in [(1, False), (16, False)] + lean:
                for t in ("SET", "GET"):
                    case = "%s d=%d P=%d%s" % (t, d, p, " kv_load" if use_kv_load else "")
                    if use_kv_load:
                        r = kv_load_case(ns.kv_load, s.port, s.pid, t.lower(), p, d, 2 * n_p16)
                    else:
                        r = bench_case(s.port, s.pid, t.lower(), p, d, n_p1 if p == 1 else n_p16)
                    running = shard_threads_running(s)
                    if running is not None:
                        r["threads_running"] = running
                    samples.setdefault((name, case), []).append(r)
                    print("  round %d %-10s %-16s %s" % (rnd + 1, name, case, r), flush=True)
    finally:
        rc = s.stop()
        if rc not in (0, None) and not is_ok:
            out("note: %s exited with %s" % (name, rc))


def main():
    ap = argparse.ArgumentParser(description="strata-server vs redis-server benchmark")
    ap.add_argument("--build", default=os.environ.get("STRATA_BUILD", "build/release"))
    ap.add_argument("--scale", type=float, default=float(os.environ.get("BENCH_SCALE", "1")))
    ap.add_argument("--rounds", type=int, default=int(os.environ.get("BENCH_ROUNDS", "3")))
    ap.add_argument("--quick", action="store_true", help="tiny run to check the script")
    ns = ap.parse_args()
    build = os.path.abspath(ns.build)
    strata = os.path.join(build, "src", "kv", "strata-server")
    scale = 0.02 if ns.quick else ns.scale
    n_p1, n_p16 = int(150_000 * scale), int(1_500_000 * scale)

    ns.kv_load = kv_load_cmd(build)
    if not ns.kv_load:
        print("note: bench/kv_load not built; no kv_load rows")
    servers = [("redis", dict(cmd=["redis-server"]))]
    if os.access(strata, os.X_OK):
        servers += [("strata", dict(cmd=[strata])), ("strata-t1", dict(cmd=[strata], threads=1)),
                    ("strata-epoll", dict(cmd=[strata, "--io", "epoll"]))]
    else:
        print("note: %s not built; measuring redis-server only" % strata)
    ok = ok_server_cmd(build)
    if ok:
        servers.append(("ok_server", dict(cmd=ok + ["--io", "batch"], bind=False, threads=1)))
        if uring_ok(ok):
            servers.append(("ok_uring", dict(cmd=ok + ["--io", "uring"], bind=False, threads=1)))
        else:
            print("note: io_uring is not available here; no ok_uring ceiling")

    lines = []

    def out(s=""):
        print(s, flush=True)
        lines.append(s)

    rounds = 1 if ns.quick else max(1, ns.rounds)
    out("kv bench: %s, %d cores, redis-benchmark -c %d -r %d, -n %d (P1) / %d (P16), "
        "median of %d rounds" % (time.strftime("%Y-%m-%d %H:%M:%S"), os.cpu_count(), CLIENTS,
                                 KEYSPACE, n_p1, n_p16, rounds))
    cases = ["%s d=%d P=%d" % (t, d, p) for d in (3, 100) for p in (1, 16) for t in ("SET", "GET")]
    if ns.kv_load:
        cases += ["%s d=%d P=16 kv_load" % (t, d) for d in (3, 100) for t in ("SET", "GET")]
    results, mem = {}, {}
    t_start = time.monotonic()
    samples = {}
    for rnd in range(rounds):
        for name, spec in servers:
            run_server(name, spec, rnd, ns, n_p1, n_p16, mem, samples, out)
    for key, runs in samples.items():
        ok_runs = [r for r in runs if "error" not in r]
        if not ok_runs:
            results[key] = runs[0]
            continue
        results[key] = {f: statistics.median(r[f] for r in ok_runs) if ok_runs[0][f] is not None
                        else None for f in ("rps", "p50", "p99", "cpu_us", "ctx_per_100",
                                           "client_cores")}
    out("\nservers: " + ", ".join(
        "%s=%s" % (n, " ".join(sp["cmd"] + (["--threads", str(sp["threads"])]
                                                         if "threads" in sp else [])))
        for n, sp in servers))
    print_table("Throughput, requests/s", cases, servers, results, "rps", ",.0f", "higher", out)
    print_table("p50 latency, ms", cases, servers, results, "p50", ".3f", "lower", out)
    print_table("p99 latency, ms", cases, servers, results, "p99", ".3f", "lower", out)
    cpu_servers = [x for x in servers if x[0] not in CEILINGS] + [x for x in servers
                                                                   if x[0] in CEILINGS]
    print_table("Server CPU time per request, us (user+sys)", cases, cpu_servers, results,
                "cpu_us", ".2f", "lower", out)
    print_table("Server context switches per 100 requests (all threads; each is a sleep and a "
                "wake-up, or a preemption)", cases, cpu_servers, results, "ctx_per_100", ".1f",
                "lower", out)
    print_table("Load generator CPU, cores (redis-benchmark, or kv_load in its rows; each is one "
                "thread: near 1.00 it, not the server, sets the throughput)", cases, servers,
                results, "client_cores", ".2f", None, out)
    mem_servers = [x for x in servers if x[0] in mem]
    print_table("Memory per key after loading %d keys (16 B keys, 32 B values), bytes" %
                (KEYSPACE if not ns.quick else 10000),
                ["used_memory", "RSS"], mem_servers,
                {(n, "used_memory"): {"v": m["used_per_key"]} for n, m in mem.items()} |
                {(n, "RSS"): {"v": m["rss_per_key"]} for n, m in mem.items()},
                "v", ".1f", "lower", out)
    out("\ntotal bench time %.0fs" % (time.monotonic() - t_start))
    os.makedirs(os.path.join(ROOT, "bench", "results"), exist_ok=True)
    path = os.path.join(ROOT, "bench", "results", "kv-%s.txt" % time.strftime("%Y%m%d-%H%M%S"))
    with open(path, "w") as f:
        f.write("\n".join(lines) + "\n")
    print("saved %s" % path)


if __name__ == "__main__":
    main()
