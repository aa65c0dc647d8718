#!/usr/bin/env python3
"""Compare policy-sim's hit counts (--csv) with a reference simulator's --json results.

usage: crosscheck.py SIM.csv REF.json [REF.json ...]
Prints one line per (trace, policy, capacity) found in both, and exits 1 if a policy listed in
--exact differs (default: the deterministic policies).
"""
import argparse
import csv
import json
import sys

EXACT = "lru,fifo,clock,sieve,arc,2q,s3fifo,s3fifo-t2,wtinylfu,opt"


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("csv")
    ap.add_argument("refs", nargs="+")
    ap.add_argument("--exact", default=EXACT)
    a = ap.parse_args()
    exact = set(a.exact.split(","))
    ours = {}
    with open(a.csv) as f:
        for row in csv.DictReader(f):
            ours[(row["trace"], row["policy"], int(row["capacity"]))] = (int(row["hits"]),
                                                                          int(row["requests"]))
    bad = 0
    n = 0
    print("| trace | policy | capacity | reference hits | policy-sim hits | difference (points) |")
    print("|---|---|---:|---:|---:|---:|")
    for path in a.refs:
        with open(path) as f:
            ref = json.load(f)
        for r in ref["results"]:
            key = (r["trace"], r["policy"], r["capacity"])
            if key not in ours:
                continue
            hits, reqs = ours[key]
            n += 1
            diff = 100.0 * (hits - r["hits"]) / reqs
            mark = ""
            if hits != r["hits"] and r["policy"] in exact:
                bad += 1
                mark = " MISMATCH"
            print("| %s | %s | %d | %d | %d | %+.4f%s |" % (key[0], key[1], key[2], r["hits"], hits,
                                                           diff, mark))
    print("\n%d cells compared, %d mismatches in exact policies" % (n, bad))
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
