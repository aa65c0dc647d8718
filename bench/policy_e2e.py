#!/usr/bin/python3
"""End-to-end hit ratios: cache traces replayed through real strata-server and redis-server
processes used as a look-aside cache (the last part of `make bench-policy`).

For every trace and cache size (1% and 10% of the unique keys of the replayed requests), the
memory limit comes from Redis itself: a redis-server without a limit is measured empty, K keys of
the replay's format (16-byte keys, 1000-byte values) are loaded with `trace-replay --mode fill`,
and it is measured again:

    per_key   = (used_memory after K keys - used_memory empty) / K
    maxmemory = used_memory empty + K x per_key

Every server then gets that same maxmemory: strata-server (--threads 1) with each allkeys-* policy
it accepts, strata-server with its default thread count and the recommended allkeys-lrfu, and
redis-server with allkeys-lru and allkeys-lfu, one fresh process at a time. bench/trace_replay
replays the requests (GET, then SET the misses, in pipelines of 20; and again with one
SET key value NX GET per request) and each run records hit ratio, misses, keys held at the end
(DBSIZE), used_memory and used_memory/maxmemory, and evicted_keys. Each table ends with a summary
line: strata's allkeys-lrfu against Redis's better policy, misses cut % =
(redis_best_misses - strata_misses) / redis_best_misses. Results are also saved under
bench/results/.

Usage: policy_e2e.py [--build build/release] [--limit N | --full] [--quick] [--sizes 0.01,0.1]
                     [--modes getset,setnxget] [--no-default-threads] [--results DIR] TRACE...
"""

import argparse
import json
import os
import shutil
import subprocess
import sys
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(ROOT, "tests", "integration", "kv"))

from kv_harness import Server, info  # noqa: E402

RECOMMENDED = "allkeys-lrfu"
REDIS_POLICIES = ("allkeys-lru", "allkeys-lfu")
MODES = {"getset": "GET, then SET the misses", "setnxget": "SET key value NX GET"}
PIPELINE = 20
VALUE_SIZE = 1000
DEFAULT_LIMIT = 1_000_000
QUICK_LIMIT = 100_000


def strata_policies(strata):
    """The allkeys-* names strata-server's --help lists."""
    out = subprocess.run([strata, "--help"], capture_output=True, text=True).stdout
    for line in out.splitlines():
        if line.startswith("maxmemory-policy values:"):
            return [p for p in line.split(":", 1)[1].split() if p.startswith("allkeys-")]
    raise RuntimeError("strata-server --help lists no maxmemory-policy values")


def replay(tool, port, args):
    r = subprocess.run([tool, "--port", str(port)] + args, capture_output=True, text=True,
                       timeout=3600)
    if r.returncode != 0:
        raise RuntimeError("trace-replay %s failed: %s" % (" ".join(args), r.stderr.strip()))
    return json.loads(r.stdout.strip().splitlines()[-1])


def trace_stats(tool, path, limit):
    r = subprocess.run([tool, "--stats", "--limit", str(limit), path], capture_output=True,
                       text=True)
    if r.returncode != 0:
        raise RuntimeError("trace-replay --stats %s failed: %s" % (path, r.stderr.strip()))
    return json.loads(r.stdout)


def used_memory(server):
    with server.conn() as c:
        return int(info(c, "memory")["used_memory"])


def empty_used_memory(cmd, threads):
    s = Server(cmd=cmd, threads=threads, debug=False).start()
    try:
        return used_memory(s)
    finally:
        s.stop()


def measure_maxmemory(tool, keys):
    """maxmemory for `keys` keys of the replay's format, measured in redis-server."""
    s = Server(cmd=["redis-server"], debug=False).start()
    try:
        empty = used_memory(s)
        r = replay(tool, s.port, ["--mode", "fill", "--count", str(keys), "--pipeline",
                                  str(PIPELINE), "--value-size", str(VALUE_SIZE)])
        if r["errors"]:
            raise RuntimeError("filling redis-server: %s" % r.get("first_error"))
        loaded = used_memory(s)
    finally:
        s.stop()
    per_key = (loaded - empty) / keys
    return {"empty": empty, "per_key": per_key, "maxmemory": int(round(empty + keys * per_key))}


def run_one(tool, spec, maxmemory, path, mode, limit):
    """One fresh server, one replay; returns the replay's counts plus the server's end state."""
    args = ["--maxmemory", str(maxmemory), "--maxmemory-policy", spec["policy"]]
    s = Server(cmd=spec["cmd"], threads=spec["threads"], args=args, debug=False).start()
    try:
        r = replay(tool, s.port, ["--mode", mode, "--pipeline", str(PIPELINE), "--value-size",
                                  str(VALUE_SIZE), "--limit", str(limit), path])
        with s.conn() as c:
            r["keys"] = c.call("DBSIZE")
            r["used_memory"] = int(info(c, "memory")["used_memory"])
            r["evicted_keys"] = int(info(c, "stats")["evicted_keys"])
    finally:
        rc = s.stop()
    if rc not in (0, None):
        r["note"] = "exit %s" % rc
    return r


def fmt_table(rows, maxmemory):
    head = ["server", "policy", "threads", "hit %", "misses", "keys at end", "used_memory",
            "used/max", "evicted", "secs"]
    body, notes = [], []
    for spec, r in rows:
        body.append([spec["server"], spec["policy"], spec["threads_label"],
                     "%.2f" % (100 * r["hit_ratio"]), "{:,}".format(r["misses"]),
                     "{:,}".format(r["keys"]), "{:,}".format(r["used_memory"]),
                     "%.2f" % (r["used_memory"] / maxmemory), "{:,}".format(r["evicted_keys"]),
                     "%.1f" % r["seconds"]])
        if r.get("errors"):
            notes.append("note: %s %s threads %s: %d error replies, the first: %s" %
                         (spec["server"], spec["policy"], spec["threads_label"], r["errors"],
                          r.get("first_error")))
        if r.get("note"):
            notes.append("note: %s %s threads %s: %s" % (spec["server"], spec["policy"],
                                                         spec["threads_label"], r["note"]))
    widths = [max(len(x[i]) for x in body + [head]) for i in range(len(head))]
    lines = ["  ".join(h.ljust(w) if i < 3 else h.rjust(w) for i, (h, w) in
                       enumerate(zip(head, widths)))]
    for x in body:
        lines.append("  ".join(v.ljust(w) if i < 3 else v.rjust(w) for i, (v, w) in
                               enumerate(zip(x, widths))).rstrip())
    return lines + notes


def summary(rows):
    """(strata recommended misses, best redis policy, its misses, misses cut fraction)."""
    strata = [r for spec, r in rows if spec["server"] == "strata" and spec["threads"] == 1 and
              spec["policy"] == RECOMMENDED]
    redis = [(r["misses"], spec["policy"]) for spec, r in rows if spec["server"] == "redis"]
    if not strata or not redis:
        return None
    best_misses, best_policy = min(redis)
    s = strata[0]["misses"]
    cut = (best_misses - s) / best_misses if best_misses else 0.0
    return s, best_policy, best_misses, cut


def main():
    ap = argparse.ArgumentParser(description="end-to-end hit ratios: strata-server vs redis-server")
    ap.add_argument("traces", nargs="+")
    ap.add_argument("--build", default=os.environ.get("STRATA_BUILD", "build/release"))
    ap.add_argument("--limit", type=int, default=DEFAULT_LIMIT,
                    help="replay the first N requests of each trace (default %d)" % DEFAULT_LIMIT)
    ap.add_argument("--full", action="store_true", help="replay every request of every trace")
    ap.add_argument("--quick", action="store_true",
                    help="smoke check: first %d requests of the first two traces" % QUICK_LIMIT)
    ap.add_argument("--sizes", default="0.01,0.1",
                    help="cache sizes, fractions of the replayed unique keys (default 0.01,0.1)")
    ap.add_argument("--modes", default="getset,setnxget")
    ap.add_argument("--results", default=os.path.join(ROOT, "bench", "results"),
                    help="directory the output is saved to (default bench/results)")
    ap.add_argument("--no-default-threads", action="store_true",
                    help="skip the strata-server run with its default thread count")
    ns = ap.parse_args()

    build = os.path.abspath(ns.build)
    strata = os.path.join(build, "src", "kv", "strata-server")
    tool = os.path.join(build, "bench", "trace_replay", "trace-replay")
    for exe in (strata, tool):
        if not os.access(exe, os.X_OK):
            sys.exit("policy_e2e: %s is not built" % exe)
    if shutil.which("redis-server") is None:
        sys.exit("policy_e2e: redis-server is not installed (it sets maxmemory and is compared)")
    modes = ns.modes.split(",")
    if any(m not in MODES for m in modes):
        sys.exit("policy_e2e: --modes takes getset and/or setnxget")
    sizes = [float(x) for x in ns.sizes.split(",")]
    traces = ns.traces[:2] if ns.quick else ns.traces
    limit = QUICK_LIMIT if ns.quick else (0 if ns.full else ns.limit)

    specs = [{"server": "strata", "cmd": [strata], "threads": 1, "threads_label": "1",
              "policy": p} for p in strata_policies(strata)]
    if not ns.no_default_threads:
        specs.append({"server": "strata", "cmd": [strata], "threads": None,
                      "threads_label": "default", "policy": RECOMMENDED})
    specs += [{"server": "redis", "cmd": ["redis-server"], "threads": None, "threads_label": "1",
               "policy": p} for p in REDIS_POLICIES]

    lines = []

    def out(s=""):
        print(s, flush=True)
        lines.append(s)

    t_start = time.monotonic()
    out("policy e2e: %s, %d cores, %s, pipeline %d, %d-byte values, 16-byte keys" %
        (time.strftime("%Y-%m-%d %H:%M:%S"), os.cpu_count(),
         "all requests" if limit == 0 else "first %d requests per trace" % limit, PIPELINE,
         VALUE_SIZE))
    out("maxmemory per trace and size, measured in redis-server: per_key = (used_memory after K "
        "keys - used_memory empty) / K; maxmemory = used_memory empty + K x per_key")
    out("empty used_memory (no keys; what is left of maxmemory holds keys): " + ", ".join(
        "%s %s" % (label, "{:,}".format(empty_used_memory(cmd, threads)))
        for label, cmd, threads in (("redis-server", ["redis-server"], None),
                                    ("strata-server --threads 1", [strata], 1),
                                    ("strata-server default threads", [strata], None))))
    results = {}  # (mode, trace, size) -> (header, rows, maxmemory)
    for path in traces:
        t_trace = time.monotonic()
        mode_secs = dict.fromkeys(modes, 0.0)
        measure_secs = 0.0
        st = trace_stats(tool, path, limit)
        name = st["trace"]
        for frac in sizes:
            k = max(2, round(frac * st["unique"]))
            t0 = time.monotonic()
            mm = measure_maxmemory(tool, k)
            header = ("%s: %s requests, %s unique keys; %g%% = %s keys; maxmemory = %s + %s x "
                      "%.1f = %s bytes" % (name, "{:,}".format(st["requests"]),
                                           "{:,}".format(st["unique"]), 100 * frac,
                                           "{:,}".format(k), "{:,}".format(mm["empty"]),
                                           "{:,}".format(k), mm["per_key"],
                                           "{:,}".format(mm["maxmemory"])))
            measure_secs += time.monotonic() - t0
            print("== %s (measured in %.1fs)" % (header, time.monotonic() - t0), flush=True)
            for mode in modes:
                t_mode = time.monotonic()
                rows = []
                for spec in specs:
                    r = run_one(tool, spec, mm["maxmemory"], path, mode, limit)
                    rows.append((spec, r))
                    print("  %-8s %-6s %-16s %-7s hit %.2f%% keys %s (%.1fs)" %
                          (mode, spec["server"], spec["policy"], spec["threads_label"],
                           100 * r["hit_ratio"], r["keys"], r["seconds"]), flush=True)
                results[(mode, name, frac)] = (header, rows, mm["maxmemory"])
                mode_secs[mode] += time.monotonic() - t_mode
        out("time %s: %.0fs (maxmemory measurement %.0fs, %s)" %
            (name, time.monotonic() - t_trace, measure_secs,
             ", ".join("%s %.0fs" % (m, t) for m, t in mode_secs.items())))

    for mode in modes:
        out("\n## %s (%s), pipelines of %d" % (mode, MODES[mode], PIPELINE))
        cuts = {}
        for (m, name, frac), (header, rows, mm) in results.items():
            if m != mode:
                continue
            out("\n" + header)
            for line in fmt_table(rows, mm):
                out(line)
            s = summary(rows)
            if s:
                misses, best, best_misses, cut = s
                cuts.setdefault(frac, []).append(cut)
                out("summary %s %g%%: strata %s %s misses vs redis %s (better of %s) %s misses: "
                    "misses cut %+.1f%%" % (name, 100 * frac, RECOMMENDED, "{:,}".format(misses),
                                            best, "/".join(REDIS_POLICIES),
                                            "{:,}".format(best_misses), 100 * cut))
        out("")
        for frac, c in sorted(cuts.items()):
            out("average misses cut, %s, %g%%: %+.1f%% over %d traces" %
                (mode, 100 * frac, 100 * sum(c) / len(c), len(c)))
        every = [x for c in cuts.values() for x in c]
        if every:
            out("average misses cut, %s, overall: %+.1f%% over %d trace/size cells" %
                (mode, 100 * sum(every) / len(every), len(every)))
    out("\ntotal e2e time %.0fs" % (time.monotonic() - t_start))
    os.makedirs(ns.results, exist_ok=True)
    saved = os.path.join(ns.results, "policy-e2e-%s.txt" % time.strftime("%Y%m%d-%H%M%S"))
    with open(saved, "w") as f:
        f.write("\n".join(lines) + "\n")
    print("saved %s" % saved)


if __name__ == "__main__":
    main()
