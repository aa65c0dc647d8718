"""bench/kv_load, the lean load generator `make bench` runs at pipeline 16: it must send the
requests it reports, write the keys and values it is asked for, and stop with an error when a
reply is not what GET or SET answer."""

import subprocess

import pytest

from kv_harness import bench_tool

TOOL, pytestmark = bench_tool("kv_load", "kv_load")


def kv_load(port, *args):
    r = subprocess.run([TOOL, "--port", str(port)] + [str(a) for a in args],
                       capture_output=True, text=True, timeout=60)
    fields = dict(kv.split("=", 1) for kv in r.stdout.split()) if r.returncode == 0 else {}
    return r.returncode, fields, r.stderr


def commands_processed(c):
    return int(c.call("INFO", "stats").decode().split("total_commands_processed:")[1].split()[0])


@pytest.mark.parametrize("pipeline", [1, 16])
def test_sets_write_the_keyspace_and_gets_read_it(start_server, pipeline):
    s = start_server()
    with s.conn() as c:
        before = commands_processed(c)
    rc, f, err = kv_load(s.port, "--test", "set", "--keys", 20, "--size", 7, "--clients", 4,
                         "--pipeline", pipeline, "--requests", 2000)
    assert rc == 0, err
    # Whole batches: 2,000 requests in batches of `pipeline`.
    assert int(f["requests"]) == 2000
    assert float(f["rps"]) > 0 and float(f["p99_ms"]) >= float(f["p50_ms"]) > 0
    with s.conn() as c:
        assert commands_processed(c) - before >= 2000
        keys = sorted(k.decode() for k in c.call("KEYS", "*"))
        # 2,000 uniform draws among 20 keys leave none out.
        assert keys == ["key:%012d" % i for i in range(20)]
        assert c.call("GET", "key:000000000019") == b"x" * 7
    rc, f, err = kv_load(s.port, "--test", "get", "--keys", 40, "--clients", 3, "--pipeline",
                         pipeline, "--requests", 1000, "--pid", s.pid)
    assert rc == 0, err  # hits and misses (keys 20..39 do not exist) are both GET answers
    assert int(f["requests"]) == 1008 if pipeline == 16 else 1000
    assert float(f["server_us_per_req"]) >= 0


def test_a_reply_that_is_not_an_answer_to_get_stops_the_run(start_server):
    s = start_server()
    with s.conn() as c:
        c.call("RPUSH", "key:000000000000", "a")
    rc, f, err = kv_load(s.port, "--test", "get", "--keys", 1, "--clients", 1, "--requests", 10)
    assert rc == 3 and "unexpected reply" in err


def test_bad_arguments_are_refused():
    for args in (["--test", "del"], ["--clients", "0"], ["--pipeline"],
                 ["--threads", "9", "--clients", "2"]):
        r = subprocess.run([TOOL] + args, capture_output=True, text=True, timeout=10)
        assert r.returncode == 2 and "usage" in r.stderr
