#!/usr/bin/env python3
"""SET throughput with the append-only file on: strata-server against redis-server 7.0 in the
same run, appendfsync everysec and always, pipelines of 1 and 16 (redis-benchmark -t set -c 50).
A row with the append-only file off is the baseline: it shows what each server costs without the
log, so the AOF rows can be read against it. Each case runs --rounds times, the two servers
taking turns (which one goes first alternates); it prints the median requests per second of each
and the median of the per-round ratios strata / redis, and the median CPU redis-benchmark used in
each server's rounds, in cores: it is one thread, so near 1.00 the client, not the server, sets
the throughput.

A case must last long enough for the log's own rhythm (one fsync a second under everysec, a group
commit per loop turn under always) and the clients' start-up to average out: P1 runs 300k
requests (about 3 s), P16 runs 2.4M (2-8 s). Shorter cases swing by 20% from round to round.
Even so redis-server's own figure moves by up to 10% between rounds at P1, where redis-benchmark
saturates its core, so a case takes the median of 5 rounds.

  bench/aof_bench.py [--build build/dev] [--requests 300000] [--requests-p16 2400000]
                     [--threads 2] [--rounds 5]
"""

import argparse
import os
import resource
import shutil
import socket
import subprocess
import sys
import tempfile
import time


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start(cmd, workdir):
    port = free_port()
    argv = cmd + ["--port", str(port), "--bind", "127.0.0.1", "--dir", workdir]
    log = open(os.path.join(workdir, "server.log"), "wb")
    proc = subprocess.Popen(argv, stdout=log, stderr=subprocess.STDOUT, cwd=workdir)
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        try:
            out = subprocess.run(["redis-cli", "-p", str(port), "info", "persistence"],
                                 capture_output=True, text=True, timeout=5).stdout
            if (("aof_enabled:1" in out or "appendonly no" in argv_text(argv))
                    and "aof_rewrite_in_progress:0" in out and "loading:0" in out):
                return proc, port
        except subprocess.TimeoutExpired:
            pass
        time.sleep(0.1)
    proc.kill()
    raise RuntimeError("server did not start: %s" % " ".join(argv))


def argv_text(argv):
    return " ".join(argv)


def median(xs):
    xs = sorted(xs)
    n = len(xs)
    return xs[n // 2] if n % 2 else (xs[n // 2 - 1] + xs[n // 2]) / 2


def bench(port, requests, pipeline):
    """(requests/s, the CPU redis-benchmark used in cores)."""
    u0, w0 = resource.getrusage(resource.RUSAGE_CHILDREN), time.monotonic()
    out = subprocess.run(["redis-benchmark", "-p", str(port), "-t", "set", "-n", str(requests),
                          "-P", str(pipeline), "-c", "50", "-r", "100000", "-q"],
                         capture_output=True, text=True, timeout=600).stdout
    u1, w1 = resource.getrusage(resource.RUSAGE_CHILDREN), time.monotonic()
    cores = ((u1.ru_utime + u1.ru_stime) - (u0.ru_utime + u0.ru_stime)) / (w1 - w0)
    for line in out.replace("\r", "\n").splitlines():
        if line.startswith("SET:") and "requests per second" in line:
            return float(line.split()[1]), cores
    raise RuntimeError("no result: %r" % out)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--build", default=os.environ.get("STRATA_BUILD", "build/dev"))
    ap.add_argument("--requests", type=int, default=300000, help="per case at pipeline 1")
    ap.add_argument("--requests-p16", type=int, default=2400000, help="per case at pipeline 16")
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--rounds", type=int, default=5)
    a = ap.parse_args()
    strata = [os.path.abspath(os.path.join(a.build, "src/kv/strata-server")),
              "--threads", str(a.threads)]
    redis = ["redis-server", "--save", "", "--daemonize", "no"]
    print("%-10s %-3s %12s %12s %7s   %-16s %s" % ("fsync", "P", "strata/s", "redis/s", "ratio",
                                                  "per-round ratios", "client cores s/r"))
    for fsync in ["off", "everysec", "always"]:
        args = (["--appendonly", "no"] if fsync == "off" else
                ["--appendonly", "yes", "--appendfsync", fsync])
        for pipeline in [1, 16]:
            got = {"strata": [], "redis": []}
            client = {"strata": [], "redis": []}  # redis-benchmark's CPU, cores
            ratios = []
            requests = a.requests if pipeline == 1 else a.requests_p16
            for r in range(a.rounds):
                rps, cores = {}, {}
                order = ["strata", "redis"] if r % 2 == 0 else ["redis", "strata"]
                for name in order:
                    cmd = strata if name == "strata" else redis
                    d = tempfile.mkdtemp(prefix="aof-bench-")
                    proc, port = start(cmd + args, d)
                    try:
                        rps[name], cores[name] = bench(port, requests, pipeline)
                    finally:
                        proc.terminate()
                        proc.wait()
                        shutil.rmtree(d, ignore_errors=True)
                client["strata"].append(cores["strata"])
                client["redis"].append(cores["redis"])
                got["strata"].append(rps["strata"])
                got["redis"].append(rps["redis"])
                ratios.append(rps["strata"] / rps["redis"])
            print("%-10s %-3d %12.0f %12.0f %7.2f   %-16s %.2f/%.2f" % (
                fsync, pipeline, median(got["strata"]), median(got["redis"]), median(ratios),
                " ".join("%.2f" % r for r in ratios), median(client["strata"]),
                median(client["redis"])))
            sys.stdout.flush()


if __name__ == "__main__":
    main()
