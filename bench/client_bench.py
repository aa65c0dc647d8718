#!/usr/bin/env python3
"""`make bench-client`: libstrata's speed, each figure beside its reference in the same run.

1. L1 hit: ns per NearCache hit with 1 and 2 threads against one mutex around an
   unordered_map (bench/client_local/near_cache_bench), and against a synchronous GET from
   strata-server (client-throughput --op sync-get).
2. Pipelined throughput at P16 (50 connections): the client's async API (client-throughput)
   against redis-benchmark's own req/s on the same server, GET and SET, against strata-server
   and redis-server. Target: >= 0.9x.
3. GetOrLoad under a herd: 1,000 callers on one expired key, a 50 ms loader, in 1 process and
   in 4 (client-herd): loader runs and p99 waiting time.
"""
import argparse
import os
import re
import subprocess
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from benchutil import ROOT, pick_port, save_results  # noqa: E402

lines = []


def out(s=""):
    print(s, flush=True)
    lines.append(s)


def start(cmd, port):
    p = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    for _ in range(300):
        r = subprocess.run(["redis-cli", "-p", str(port), "ping"], capture_output=True, text=True)
        if r.stdout.strip() == "PONG":
            return p
        time.sleep(0.02)
    p.kill()
    raise RuntimeError("server on %d did not start" % port)


def stop(p):
    p.kill()
    p.wait()


def redis_benchmark(port, op, n):
    r = subprocess.run(["redis-benchmark", "-p", str(port), "-P", "16", "-c", "50", "-n", str(n),
                        "-r", "100000", "-t", op, "-q"], capture_output=True, text=True)
    m = re.findall(r"([0-9.]+) requests per second", r.stdout.replace("\r", "\n"))
    return float(m[-1]) if m else 0.0


def client_rate(build, port, op, secs):
    r = subprocess.run([os.path.join(build, "bench/client/client-throughput"), "--port", str(port),
                        "--op", op, "--conns", "50", "--pipeline", "16", "--seconds", str(secs)],
                       capture_output=True, text=True)
    m = re.search(r"([0-9.]+) requests per second", r.stdout)
    return float(m.group(1)) if m else 0.0


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--build", default="build/release")
    ap.add_argument("--quick", action="store_true")
    a = ap.parse_args()
    build = os.path.abspath(a.build)
    secs = 1 if a.quick else 3
    n = 500000 if a.quick else 2000000

    out("== L1 (near cache) hit, ns per Get")
    nb = os.path.join(build, "bench/client_local/near_cache_bench")
    if os.path.exists(nb):
        r = subprocess.run([nb, "--benchmark_min_time=%s" % ("0.1" if a.quick else "0.5")],
                           capture_output=True, text=True)
        for line in r.stdout.splitlines():
            if line.startswith("BM_"):
                out("  " + line)
    else:
        out("  (near_cache_bench not built: needs Google Benchmark)")

    taken = set()
    servers = [("strata", [os.path.join(build, "src/kv/strata-server"), "--save", ""]),
               ("redis", ["redis-server", "--save", "", "--appendonly", "no"])]
    for name, cmd in servers:
        port = pick_port(range(7600, 7700), taken)
        p = start(cmd + ["--port", str(port)], port)
        try:
            r = subprocess.run([os.path.join(build, "bench/client/client-throughput"), "--port",
                                str(port), "--op", "sync-get", "--seconds", str(secs)],
                               capture_output=True, text=True)
            out("== %s-server: synchronous GET round trip (what an L1 hit saves)" % name)
            out("  " + r.stdout.strip())
            out("== %s-server: pipelined throughput, P16, 50 connections" % name)
            for op in ("get", "set"):
                rb = redis_benchmark(port, op, n)
                cl = client_rate(build, port, op, secs)
                out("  %-4s redis-benchmark %10.0f req/s   libstrata %10.0f req/s   ratio %.2fx"
                    % (op.upper(), rb, cl, cl / rb if rb else 0))
            out("== %s-server: GetOrLoad herd (1,000 callers, one expired key, 50 ms loader)"
                % name)
            herd = os.path.join(build, "bench/client/client-herd")
            for procs in (1, 4):
                r = subprocess.run([herd, "--port", str(port), "--callers", "1000",
                                    "--processes", str(procs)], capture_output=True, text=True)
                out("  " + r.stdout.strip())
        finally:
            stop(p)
    save_results("client", lines)


if __name__ == "__main__":
    main()
