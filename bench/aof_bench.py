#!/usr/bin/env python3
"""SET throughput with the append-only file on: strata-server against redis-server 7.0 in the
same run, appendfsync everysec and always, pipelines of 1 and 16 (redis-benchmark -t set -c 50).
Prints requests per second and the ratio strata / redis for each case.

  bench/aof_bench.py [--build build/dev] [--requests 100000] [--threads 2]
"""

import argparse
import os
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
            if "aof_enabled:1" in out and "aof_rewrite_in_progress:0" in out:
                return proc, port
        except subprocess.TimeoutExpired:
            pass
        time.sleep(0.1)
    proc.kill()
    raise RuntimeError("server did not start: %s" % " ".join(argv))


def bench(port, requests, pipeline):
    out = subprocess.run(["redis-benchmark", "-p", str(port), "-t", "set", "-n", str(requests),
                          "-P", str(pipeline), "-c", "50", "-r", "100000", "-q"],
                         capture_output=True, text=True, timeout=600).stdout
    for line in out.replace("\r", "\n").splitlines():
        if line.startswith("SET:") and "requests per second" in line:
            return float(line.split()[1])
    raise RuntimeError("no result: %r" % out)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--build", default=os.environ.get("STRATA_BUILD", "build/dev"))
    ap.add_argument("--requests", type=int, default=100000)
    ap.add_argument("--threads", type=int, default=2)
    a = ap.parse_args()
    strata = [os.path.abspath(os.path.join(a.build, "src/kv/strata-server")),
              "--threads", str(a.threads)]
    redis = ["redis-server", "--save", "", "--daemonize", "no"]
    print("%-10s %-3s %12s %12s %7s" % ("fsync", "P", "strata/s", "redis/s", "ratio"))
    for fsync in ["everysec", "always"]:
        for pipeline in [1, 16]:
            rps = []
            for cmd in (strata, redis):
                d = tempfile.mkdtemp(prefix="aof-bench-")
                proc, port = start(cmd + ["--appendonly", "yes", "--appendfsync", fsync], d)
                try:
                    rps.append(bench(port, a.requests, pipeline))
                finally:
                    proc.terminate()
                    proc.wait()
                    shutil.rmtree(d, ignore_errors=True)
            print("%-10s %-3d %12.0f %12.0f %7.2f" % (fsync, pipeline, rps[0], rps[1],
                                                       rps[0] / rps[1]))
            sys.stdout.flush()


if __name__ == "__main__":
    main()
