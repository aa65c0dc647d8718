"""bench/trace_replay (trace-replay) and bench/policy_e2e.py, the end-to-end part of
`make bench-policy`: counts on traces small enough to work out by hand, plain and xz."""

import json
import lzma
import os
import shutil
import subprocess
import sys

import pytest

from kv_harness import bench_tool, target_is_redis

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(
    __file__)))))
BUILD = os.environ.get("STRATA_BUILD", os.path.join(ROOT, "build", "release"))
TOOL, pytestmark = bench_tool("trace_replay", "trace-replay")


def replay(port, trace, *args):
    r = subprocess.run([TOOL, "--port", str(port)] + list(args) + [str(trace)],
                       capture_output=True, text=True, timeout=60)
    assert r.returncode == 0, r.stderr
    return json.loads(r.stdout)


def write_trace(path, keys):
    text = "".join("%d\n" % k for k in keys).encode()
    if str(path).endswith(".xz"):
        text = lzma.compress(text)
    path.write_bytes(text)
    return path


@pytest.mark.parametrize("name", ["tiny.keys", "tiny.keys.xz"])
def test_getset_one_at_a_time(start_server, tmp_path, name):
    s = start_server()
    trace = write_trace(tmp_path / name, [1, 1, 2, 2, 1])
    r = replay(s.port, trace, "--pipeline", "1")
    assert (r["requests"], r["unique"], r["hits"], r["misses"], r["errors"]) == (5, 2, 3, 2, 0)
    assert r["hit_ratio"] == pytest.approx(0.6)
    with s.conn() as c:
        assert c.call("DBSIZE") == 2
        assert len(c.call("GET", "key:000000000001")) == 1000  # trace key 1 was remapped to id 1


def test_getset_batch_misses_repeats_within_it(start_server, tmp_path):
    # One pipeline of 20 GETs answers all five before any SET: every request misses once, then
    # a second replay finds every key.
    s = start_server()
    trace = write_trace(tmp_path / "tiny.keys", [1, 1, 2, 2, 1])
    r = replay(s.port, trace)
    assert (r["hits"], r["misses"]) == (0, 5)
    r = replay(s.port, trace, "--value-size", "10")
    assert (r["hits"], r["misses"]) == (5, 0)
    with s.conn() as c:
        assert c.call("DBSIZE") == 2


def test_setnxget_pipelined(start_server, tmp_path):
    s = start_server()
    trace = write_trace(tmp_path / "tiny.keys.xz", [1, 1, 2, 2, 1])
    r = replay(s.port, trace, "--mode", "setnxget")
    assert (r["requests"], r["hits"], r["misses"], r["errors"]) == (5, 3, 2, 0)


def test_limit_and_counts_add_up(start_server, tmp_path):
    s = start_server()
    keys = [(i * i) % 97 for i in range(3000)]
    trace = write_trace(tmp_path / "mod97.keys", keys)
    r = replay(s.port, trace, "--limit", "1000", "--pipeline", "7")
    assert r["requests"] == 1000 and r["hits"] + r["misses"] == 1000
    assert r["unique"] == len(set(keys[:1000]))
    st = subprocess.run([TOOL, "--stats", str(trace)], capture_output=True, text=True)
    assert json.loads(st.stdout)["requests"] == 3000


def test_fill(start_server):
    s = start_server()
    r = subprocess.run([TOOL, "--port", str(s.port), "--mode", "fill", "--count", "250",
                        "--value-size", "100"], capture_output=True, text=True, timeout=60)
    assert r.returncode == 0, r.stderr
    assert json.loads(r.stdout)["errors"] == 0
    with s.conn() as c:
        assert c.call("DBSIZE") == 250
        assert c.call("STRLEN", "key:000000000249") == 100


@pytest.mark.skipif(target_is_redis() or shutil.which("redis-server") is None,
                    reason="needs strata-server and redis-server")
def test_policy_e2e_driver(tmp_path, threads):
    if threads != 1:
        pytest.skip("the driver starts its own servers; once is enough")
    keys = [int(1000 * (i * 0.618034 % 1) ** 3) for i in range(4000)]  # skewed over ~1000 keys
    trace = write_trace(tmp_path / "skew.keys.xz", keys)
    r = subprocess.run([sys.executable, os.path.join(ROOT, "bench", "policy_e2e.py"), "--build",
                        BUILD, "--sizes", "0.1", "--modes", "setnxget", "--no-default-threads",
                        "--results", str(tmp_path), str(trace)],
                       capture_output=True, text=True, timeout=300)
    assert r.returncode == 0, r.stdout[-2000:] + r.stderr[-2000:]
    assert "maxmemory = used_memory empty + K x per_key" in r.stdout
    for policy in ("allkeys-lru", "allkeys-lfu", "allkeys-lrfu"):
        assert "strata  %s" % policy in r.stdout
        if policy != "allkeys-lrfu":
            assert "redis   %s" % policy in r.stdout
    assert "misses cut" in r.stdout and "average misses cut, setnxget" in r.stdout
    assert len(list(tmp_path.glob("policy-e2e-*.txt"))) == 1
