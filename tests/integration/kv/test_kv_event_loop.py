"""The event loop's wake-up policy (io/nap_policy.h): under many-client load a loop polls and
naps instead of sleeping in epoll_wait, so its clients' sends need not wake it; with napping off
(loop-nap-us 0) it never naps; idle, it sleeps and uses no CPU. INFO's loop_* fields count it."""

import subprocess
import time

import pytest

from kv_harness import cpu_ticks, info, target_is_redis
from kv_resp import RespError

pytestmark = pytest.mark.skipif(target_is_redis(), reason="strata-server option")

FIELDS = ("loop_max_nap_us", "loop_waits", "loop_sleeps", "loop_naps", "loop_events")


def loop(c):
    st = info(c, "server")
    return {f: int(st[f]) for f in FIELDS}


def load(port, clients=50, n=60000):
    r = subprocess.run(["redis-benchmark", "-p", str(port), "-t", "set", "-c", str(clients),
                        "-n", str(n), "-r", "100000", "-q"], capture_output=True, timeout=120)
    assert r.returncode == 0, r.stderr


def test_config_option_and_info_fields(server):
    with server.conn() as c:
        assert c.call("CONFIG", "GET", "loop-nap-us") in (
            [b"loop-nap-us", b"50"], {b"loop-nap-us": b"50"})
        for bad, why in (("1001", "between 0 and 1000"), ("-1", "between 0 and 1000"),
                         ("soon", "parsed into an integer")):
            err = c.call("CONFIG", "SET", "loop-nap-us", bad)
            assert isinstance(err, RespError) and why in err.message, err
        before = loop(c)
        assert before["loop_max_nap_us"] == 50
        assert before["loop_events"] > 0 and before["loop_waits"] >= before["loop_sleeps"]


def test_busy_loop_polls_instead_of_sleeping_and_idles_at_zero_cpu(start_server, threads):
    if threads != 1:
        pytest.skip("runs once")
    s = start_server(threads=1)
    with s.conn() as c:
        before = loop(c)
        load(s.port)
        after = loop(c)
        waits = after["loop_waits"] - before["loop_waits"]
        sleeps = after["loop_sleeps"] - before["loop_sleeps"]
        assert after["loop_events"] - before["loop_events"] >= 60000
        # Without naps every wait blocks; with 50 clients most of them poll (or nap) instead.
        assert waits - sleeps > waits // 4, (before, after)
        # Idle: after at most one more nap the loop sleeps; the process uses (almost) no CPU.
        time.sleep(0.3)
        idle = loop(c)
        t0 = cpu_ticks(s.pid)
        time.sleep(2)
        assert cpu_ticks(s.pid) - t0 <= 5  # the 10 Hz cron, and this INFO
        assert loop(c)["loop_naps"] == idle["loop_naps"]


def test_napping_off_never_naps(start_server, threads):
    if threads != 1:
        pytest.skip("runs once")
    s = start_server(threads=1, args=["--loop-nap-us", "0"])
    with s.conn() as c:
        assert c.call("CONFIG", "GET", "loop-nap-us") in (
            [b"loop-nap-us", b"0"], {b"loop-nap-us": b"0"})
        before = loop(c)
        load(s.port)
        after = loop(c)
        assert after["loop_naps"] == before["loop_naps"]
        assert after["loop_waits"] - before["loop_waits"] == \
            after["loop_sleeps"] - before["loop_sleeps"]
        # And back on at run time.
        assert c.call("CONFIG", "SET", "loop-nap-us", "50") == "OK"
        assert loop(c)["loop_max_nap_us"] == 50
