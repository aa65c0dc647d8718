#!/usr/bin/python3
"""memcached protocol: strata-server (--memcached-port, --threads 2) vs Debian's memcached -t 2,
measured in the same run with the same load.

Throughput: 50 connections, get/set 9:1 and 1:1, 32-byte and 1 KB values over 100k keys
(preloaded). The load comes from memaslap (Debian's libmemcached-tools installs it as memcaslap):
one load thread, so each server has the other core to itself as far as 2 cores allow; it also
gives p99 (the upper bound of its power-of-two latency bucket) and the server's CPU time per
request is read from /proc. Without memaslap the built-in generator below is used: worker processes each
driving some of the 50 connections, every connection keeping a window of requests in flight
(pipelined), reading every reply. Throughput is requests/s; the ratio is strata / memcached.

Memory: 1M items of 16-byte keys and 32-byte values (and 1 KB with --full) loaded with noreply sets into a fresh
server; RSS per item from /proc/<pid>/status (delta against the empty server).

Nothing here asserts a timing; results are saved under bench/results/.

Usage: memcached_bench.py [--build build/dev] [--seconds 5] [--full]
"""

import argparse
import multiprocessing
import os
import random
import re
import shutil
import socket
import subprocess
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from benchutil import ROOT, pick_port, save_results  # noqa: E402

CONNECTIONS = 50
KEYS = 100_000
WINDOW = 8  # requests in flight per connection (built-in generator)


def rss_kb(pid):
    with open("/proc/%d/status" % pid) as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    return 0


def wait_port(port, timeout=10):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
            return
        except OSError:
            time.sleep(0.05)
    raise RuntimeError("server on port %d did not start" % port)


def start_memcached(port):
    argv = [shutil.which("memcached") or "/usr/bin/memcached", "-p", str(port), "-U", "0", "-t",
            "2", "-m", "4096", "-c", "4096", "-l", "127.0.0.1"]
    if os.geteuid() == 0:
        argv += ["-u", "nobody"]
    p = subprocess.Popen(argv, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    wait_port(port)
    return p


def start_strata(build, port, mport):
    binary = os.path.join(ROOT, build, "src", "kv", "strata-server")
    p = subprocess.Popen([binary, "--port", str(port), "--memcached-port", str(mport),
                          "--threads", "2", "--bind", "127.0.0.1", "--save", ""],
                         stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    wait_port(mport)
    return p


def load(port, count, size, prefix=b"key:"):
    """Stores `count` 16-byte keys with noreply sets, pipelined; then waits for the mn reply."""
    s = socket.create_connection(("127.0.0.1", port))
    value = b"v" * size
    batch = []
    for i in range(count):
        batch.append(b"set %s%012d 0 0 %d noreply\r\n%s\r\n" % (prefix, i, size, value))
        if len(batch) == 2000:
            s.sendall(b"".join(batch))
            batch = []
    s.sendall(b"".join(batch) + b"mn\r\n")
    buf = b""
    while not buf.endswith(b"MN\r\n"):
        chunk = s.recv(1 << 16)
        if not chunk:
            raise RuntimeError("connection closed while loading")
        buf += chunk
    s.close()


def _reply_done(buf, pos):
    """The end of one reply starting at buf[pos] (STORED / END / VALUE ... END), or -1."""
    if buf.startswith(b"VALUE", pos):
        head_end = buf.find(b"\r\n", pos)
        if head_end < 0:
            return -1
        n = int(buf[pos:head_end].split()[3])
        end = head_end + 2 + n + 2 + 5  # data CRLF "END\r\n"
        return end if len(buf) >= end else -1
    e = buf.find(b"\r\n", pos)
    return -1 if e < 0 else e + 2


def _worker(port, conns, seconds, get_ratio, size, seed, out):
    import selectors
    rng = random.Random(seed)
    value = b"v" * size
    sel = selectors.DefaultSelector()
    state = []
    for _ in range(conns):
        s = socket.create_connection(("127.0.0.1", port))
        s.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        s.setblocking(False)
        st = {"sock": s, "buf": b"", "pos": 0, "inflight": 0}
        state.append(st)
        sel.register(s, selectors.EVENT_READ, st)

    def send(st, n):
        reqs = []
        for _ in range(n):
            k = rng.randrange(KEYS)
            if rng.random() < get_ratio:
                reqs.append(b"get key:%012d\r\n" % k)
            else:
                reqs.append(b"set key:%012d 0 0 %d\r\n%s\r\n" % (k, size, value))
        st["sock"].sendall(b"".join(reqs))
        st["inflight"] += n

    for st in state:
        send(st, WINDOW)
    done = 0
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        for key, _ in sel.select(timeout=0.5):
            st = key.data
            try:
                chunk = st["sock"].recv(1 << 18)
            except BlockingIOError:
                continue
            if not chunk:
                raise RuntimeError("server closed a connection")
            st["buf"] += chunk
            got = 0
            while True:
                e = _reply_done(st["buf"], st["pos"])
                if e < 0:
                    break
                st["pos"] = e
                got += 1
            st["buf"] = st["buf"][st["pos"]:]
            st["pos"] = 0
            st["inflight"] -= got
            done += got
            if got:
                send(st, got)
    for st in state:
        st["sock"].close()
    out.put(done)


def builtin_load(port, seconds, get_ratio, size):
    procs = 2
    q = multiprocessing.Queue()
    workers = []
    for i in range(procs):
        conns = CONNECTIONS // procs + (1 if i < CONNECTIONS % procs else 0)
        w = multiprocessing.Process(target=_worker,
                                    args=(port, conns, seconds, get_ratio, size, i + 1, q))
        w.start()
        workers.append(w)
    total = sum(q.get() for _ in workers)
    for w in workers:
        w.join()
    return total / seconds


def cpu_seconds(pid):
    """User plus system CPU time of a process so far, in seconds."""
    with open("/proc/%d/stat" % pid) as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def log2_p99(text):
    """p99 latency (upper bound of its power-of-two bucket, in us) from the "Total Statistics"
    Log2 Dist table memaslap prints: a row "k:" holds the counts of [2^k, 2^(k+1)), ..."""
    block = text[text.rindex("Total Statistics ("):]
    counts = {}
    for m in re.finditer(r"^\s+(\d+):((?:\s+\d+)+)\s*$", block, re.M):
        for i, c in enumerate(m.group(2).split()):
            counts[int(m.group(1)) + i] = int(c)
    total = sum(counts.values())
    seen = 0
    for k in sorted(counts):
        seen += counts[k]
        if seen >= 0.99 * total:
            return 2 ** (k + 1)
    return 0


def memaslap_load(tool, port, seconds, get_ratio, size, pid):
    """memaslap (memcaslap in Debian's libmemcached-tools): one load thread, 50 connections,
    16-byte keys, fixed-size values, the given get share. Returns (req/s, p99 us, CPU us/req)."""
    cfg = "/tmp/strata-memaslap-%d.cfg" % os.getpid()
    with open(cfg, "w") as f:
        f.write("key\n16 16 1\nvalue\n%d %d 1\ncmd\n0 %g\n1 %g\n" %
                (size, size, 1 - get_ratio, get_ratio))
    cpu0 = cpu_seconds(pid)
    out = subprocess.run([tool, "-s", "127.0.0.1:%d" % port, "-c", str(CONNECTIONS), "-T", "1",
                          "-t", "%ds" % seconds, "-S", "%ds" % seconds, "-F", cfg],
                         capture_output=True, text=True, check=True).stdout
    cpu = cpu_seconds(pid) - cpu0
    os.unlink(cfg)
    m = re.search(r"Run time: \S+ Ops: (\d+) TPS: (\d+)", out)
    if not m:
        raise RuntimeError("unexpected memaslap output:\n" + out)
    ops = int(m.group(1))
    return int(m.group(2)), log2_p99(out), cpu * 1e6 / max(ops, 1)


def load_tool():
    """memaslap from Debian's libmemcached-tools (installed as memcaslap), or an older
    libmemcached's memaslap; memcslap has neither a get/set mix nor a value size, so it is not
    used."""
    for name in ("memcaslap", "memaslap"):
        tool = shutil.which(name)
        if tool:
            return tool
    return None


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--build", default="build/dev")
    ap.add_argument("--seconds", type=int, default=5)
    ap.add_argument("--full", action="store_true", help="also 1M items of 1 KB for memory")
    args = ap.parse_args()
    tool = load_tool()
    lines = ["memcached protocol bench: strata-server --threads 2 vs memcached -t 2, "
             "%d connections, %d keys, load: %s" %
             (CONNECTIONS, KEYS, tool or "built-in generator (pipelined, window %d)" % WINDOW)]
    print(lines[0])
    taken = set()
    ports = range(23000, 24000)
    rows = []
    for size in (32, 1024):
        for get_ratio, mix in ((0.9, "9:1"), (0.5, "1:1")):
            result = {}
            for name in ("memcached", "strata"):
                mport = pick_port(ports, taken)
                if name == "memcached":
                    proc = start_memcached(mport)
                else:
                    proc = start_strata(args.build, pick_port(ports, taken), mport)
                try:
                    load(mport, KEYS, size)
                    if tool:
                        result[name] = memaslap_load(tool, mport, args.seconds, get_ratio, size,
                                                     proc.pid)
                    else:
                        result[name] = (builtin_load(mport, args.seconds, get_ratio, size), 0, 0)
                finally:
                    proc.terminate()
                    proc.wait(10)
            mc, st = result["memcached"], result["strata"]
            line = ("get:set %s %5d B  memcached %8.0f req/s p99 %5d us %5.2f us CPU/req  "
                    "strata %8.0f req/s p99 %5d us %5.2f us CPU/req  "
                    "ratio %.2f, CPU/req ratio %.2f" %
                    (mix, size, mc[0], mc[1], mc[2], st[0], st[1], st[2], st[0] / mc[0],
                     st[2] / mc[2] if mc[2] else 0))
            print(line)
            lines.append(line)
    for size in ((32, 1024) if args.full else (32,)):
        per = {}
        for name in ("memcached", "strata"):
            mport = pick_port(ports, taken)
            proc = (start_memcached(mport) if name == "memcached" else start_strata(
                args.build, pick_port(ports, taken), mport))
            try:
                before = rss_kb(proc.pid)
                load(mport, 1_000_000, size)
                time.sleep(0.5)
                per[name] = (rss_kb(proc.pid) - before) * 1024 / 1_000_000
            finally:
                proc.terminate()
                proc.wait(10)
        line = ("1M items of %4d B: RSS/item memcached %.0f B, strata %.0f B, ratio %.2f" %
                (size, per["memcached"], per["strata"], per["strata"] / per["memcached"]))
        print(line)
        lines.append(line)
    save_results("memcached", lines)


if __name__ == "__main__":
    main()
