#!/usr/bin/python3
"""Persistence: BGSAVE and restart, strata-server (forkless snapshot) vs Debian's redis-server
(fork), in the same run with the same data and load.

Data: --keys N string keys (default 5M, 32-byte values) plus N/100 each of hashes (10 fields),
lists (10 elements) and sorted sets (10 members), loaded pipelined into a fresh server.

BGSAVE: while redis-benchmark runs SETs over the same keys (-t set -r N -P 16 -c 20: overwrites of
the string keys, same sizes), BGSAVE is started and INFO persistence polled until it ends.
Reported: the wall time from BGSAVE to the end, the RSS just before (with the load running), and the peak memory during the save, sampled every 20 ms: strata's
VmRSS; for redis-server the parent's VmRSS plus the fork child's Private_Dirty (the pages the
save actually costs), from /proc. Then the server is stopped and started again on the file, and
the load time it logs ("DB loaded from disk: X seconds") is reported. Ratios are strata / redis.
Nothing here asserts a timing; results are saved under bench/results/.

Usage: persistence_bench.py [--build build/release] [--keys N] [--threads T]
"""

import argparse
import os
import re
import subprocess
import sys
import tempfile
import threading
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(ROOT, "tests", "integration", "kv"))

from kv_harness import Server, info, rss_bytes  # noqa: E402
from kv_resp import Conn, RespError  # noqa: E402

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import benchutil  # noqa: E402


def enc(*args):
    out = [b"*%d\r\n" % len(args)]
    for a in args:
        a = a if isinstance(a, bytes) else str(a).encode()
        out.append(b"$%d\r\n%s\r\n" % (len(a), a))
    return b"".join(out)


def commands(n):
    val = b"x" * 32
    for i in range(n):
        yield enc(b"SET", b"key:%012d" % i, val)  # redis-benchmark's key names: it overwrites
    for i in range(n // 100):
        yield enc(b"HSET", b"hash:%d" % i, *[x for f in range(10) for x in (b"f%d" % f, b"v%d" % i)])
        yield enc(b"RPUSH", b"list:%d" % i, *[b"e%d" % e for e in range(10)])
        yield enc(b"ZADD", b"zset:%d" % i, *[x for m in range(10) for x in (m, b"m%d" % m)])


def load(port, n, chunk=1000):
    c = Conn(port, timeout=600)
    batch = []

    def flush():
        c.send_raw(b"".join(batch))
        for _ in batch:
            r = c.read()
            if isinstance(r, RespError):
                raise AssertionError("load: %s" % r.message)
        batch.clear()

    try:
        for cmd in commands(n):
            batch.append(cmd)
            if len(batch) >= chunk:
                flush()
        if batch:
            flush()
    finally:
        c.close()


def children(pid):
    out = []
    try:
        for t in os.listdir("/proc/%d/task" % pid):
            with open("/proc/%d/task/%s/children" % (pid, t)) as f:
                out += [int(x) for x in f.read().split()]
    except OSError:
        pass
    return out


def private_dirty(pid):
    try:
        with open("/proc/%d/smaps_rollup" % pid) as f:
            for line in f:
                if line.startswith("Private_Dirty:"):
                    return int(line.split()[1]) * 1024
    except OSError:
        pass
    return 0


def memory_now(pid, forked):
    total = rss_bytes(pid)
    if forked:
        for ch in children(pid):
            total += private_dirty(ch)
    return total


def run_one(name, spec, n, build):
    workdir = tempfile.mkdtemp(prefix="persist-bench-")
    spec = dict(spec)
    spec["workdir"] = workdir
    args = list(spec.pop("args", []))
    if spec.get("cmd") and "redis-server" in spec["cmd"][0]:
        args += ["--dir", workdir]
    s = Server(args=args, **spec).start()
    forked = s.redis
    row = {"server": name}
    try:
        t = time.time()
        load(s.port, n)
        row["fill_s"] = time.time() - t
        c = s.conn(timeout=600)
        bench = subprocess.Popen(
            ["redis-benchmark", "-p", str(s.port), "-t", "set", "-r", str(n), "-n", "100000000",
             "-P", "16", "-c", "20", "-q", "-d", "32"],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        time.sleep(1.5)
        # With the write load already running (its connections and buffers count in both).
        before = memory_now(s.pid, False)
        row["rss_before"] = before
        peak = [before]
        stop = threading.Event()

        def sample():
            while not stop.is_set():
                peak[0] = max(peak[0], memory_now(s.pid, forked))
                time.sleep(0.02)

        th = threading.Thread(target=sample)
        th.start()
        t = time.time()
        c.call("BGSAVE")
        while True:
            p = info(c, "persistence")
            if p["rdb_bgsave_in_progress"] == "0":
                break
            time.sleep(0.02)
        row["bgsave_s"] = time.time() - t
        stop.set()
        th.join()
        bench.terminate()
        bench.wait()
        row["rss_peak"] = peak[0]
        row["status"] = p["rdb_last_bgsave_status"]
        c.close()
    finally:
        s.stop(timeout=60)
    s2 = Server(args=args, **spec).start(timeout=600)
    try:
        deadline = time.time() + 600  # redis-server answers LOADING while it loads
        while True:
            log = open(s2.log_path).read()
            m = re.search(r"DB loaded from disk: ([0-9.]+) seconds", log)
            if m or time.time() > deadline:
                break
            time.sleep(0.1)
        row["load_s"] = float(m.group(1)) if m else float("nan")
        if not m:
            print("%s: no load time in its log:\n%s" % (name, log[-2000:]))
    finally:
        s2.stop(timeout=60)
    subprocess.run(["rm", "-rf", workdir])
    return row


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--build", default=os.path.join(ROOT, "build", "release"))
    ap.add_argument("--keys", type=int, default=5_000_000)
    ap.add_argument("--threads", type=int, default=4)
    a = ap.parse_args()
    strata = [os.path.join(os.path.abspath(a.build), "src", "kv", "strata-server")]
    rows = [
        run_one("strata", {"cmd": strata, "threads": a.threads, "debug": False}, a.keys, a.build),
        run_one("redis", {"cmd": ["redis-server"], "debug": False}, a.keys, a.build),
    ]
    mb = 1024 * 1024
    lines = ["keys=%d (+%d each of hashes, lists, zsets), strata threads=%d, concurrent "
             "redis-benchmark SET -P 16 -c 20" % (a.keys, a.keys // 100, a.threads),
             "%-7s %9s %10s %10s %11s %9s %7s" % ("server", "bgsave_s", "rss_before", "rss_peak",
                                                   "peak/before", "load_s", "status")]
    for r in rows:
        lines.append("%-7s %9.2f %8.0fMB %8.0fMB %11.3f %9.2f %7s" % (
            r["server"], r["bgsave_s"], r["rss_before"] / mb, r["rss_peak"] / mb,
            r["rss_peak"] / r["rss_before"], r["load_s"], r["status"]))
    s, r = rows
    lines.append("ratios strata/redis: bgsave time %.2f, peak memory %.2f, load time %.2f" % (
        s["bgsave_s"] / r["bgsave_s"], s["rss_peak"] / r["rss_peak"], s["load_s"] / r["load_s"]))
    print("\n".join(lines))
    benchutil.save_results("persistence", lines)


if __name__ == "__main__":
    main()
