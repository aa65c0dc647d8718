"""Differential run (tests/differential/kvdiff.py): a seeded random stream of commands of every
family (strings, keyspace, data types, transactions, scripts, pub/sub, keyspace notifications)
against Debian's redis-server and strata-server, replies and pushed messages compared exactly in
RESP2 and RESP3. KVDIFF_SEED replays a seed, KVDIFF_COUNT changes the length (default 20,000),
KVDIFF_EXCLUDE leaves commands or pseudo-commands out (comma-separated, e.g. NOTIFY-ALL)."""

import os
import random
import sys

import pytest

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "..", "differential"))

import access_diff  # noqa: E402
import kvdiff  # noqa: E402


@pytest.mark.parametrize("shards", [1, 4], ids=lambda n: "shards%d" % n)
def test_differential_against_redis(shards):
    seed = int(os.environ.get("KVDIFF_SEED", random.SystemRandom().randrange(1 << 32)))
    count = int(os.environ.get("KVDIFF_COUNT", "20000"))
    print("kvdiff seed %d (replay: KVDIFF_SEED=%d or tests/differential/kvdiff.py --seed %d "
          "--threads %d)" % (seed, seed, seed, shards))
    exclude = [x for x in os.environ.get("KVDIFF_EXCLUDE", "").split(",") if x]
    mismatches = kvdiff.run(seed, count, threads=shards, log=lambda *a: None, exclude=exclude)
    assert not mismatches, "seed %d, %d mismatches:\n%s" % (
        seed, len(mismatches), "\n".join(mismatches))


@pytest.mark.parametrize("shards", [1, 4], ids=lambda n: "shards%d" % n)
def test_access_tracking_against_redis(shards):
    """tests/differential/access_diff.py: OBJECT IDLETIME and OBJECT FREQ after each command, so
    every command that Redis counts as an access (SET ... NX GET included) reaches the eviction
    policy here too, and those Redis leaves alone (EXISTS, TYPE, TTL, OBJECT) do not."""
    diffs = access_diff.run(threads=shards, log=lambda *a: None)
    assert not diffs, "\n".join(diffs)
