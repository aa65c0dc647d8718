"""A full disk under the append-only file and under background saves, on a small tmpfs the test
mounts (skipped with a message where mounting is impossible, e.g. without root).

The server must refuse writes with Redis's -MISCONF error while the disk is full, keep serving
reads, lose nothing it acknowledged, and take writes again by itself once space is freed."""

import os
import subprocess
import tempfile

import pytest
import redis as redispy

from kv_harness import target_is_redis, wait_until

pytestmark = pytest.mark.skipif(target_is_redis(), reason="mounts a filesystem for strata-server")

VALUE = b"v" * 4096


@pytest.fixture
def small_disk():
    """A 2 MB tmpfs mounted for the test, unmounted after it."""
    d = tempfile.mkdtemp(prefix="strata-full-")
    r = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=2m", "strata-test", d],
                       capture_output=True, text=True)
    if r.returncode != 0:
        os.rmdir(d)
        pytest.skip("cannot mount a tmpfs here: %s" % (r.stderr.strip() or r.returncode))
    yield d
    subprocess.run(["umount", "-l", d], capture_output=True)
    os.rmdir(d)


def fill_disk(d):
    """Writes a filler file until the filesystem is full; returns its path."""
    path = os.path.join(d, "filler")
    chunk = b"\0" * 65536
    fd = os.open(path, os.O_WRONLY | os.O_CREAT, 0o644)
    try:
        while True:
            try:
                os.write(fd, chunk)
            except OSError:
                break
        # Bytes are left over when the last chunk did not fit: take them in small steps.
        while True:
            try:
                os.write(fd, b"\0" * 512)
            except OSError:
                break
    finally:
        os.close(fd)
    return path


def client(srv):
    return redispy.Redis(host="127.0.0.1", port=srv.port, socket_timeout=10)


def set_until_refused(c, prefix, limit=500):
    """SETs keys until one is refused; returns (acknowledged keys, the refusal)."""
    acked = []
    for i in range(limit):
        k = "%s%d" % (prefix, i)
        try:
            assert c.set(k, VALUE)
        except redispy.ResponseError as e:
            return acked, str(e)
        acked.append(k)
    return acked, None


def writes_back(c):
    try:
        return c.set("probe", "1")
    except redispy.ResponseError:
        return False


def start_aof_with_keys(start_server, args):
    """A server logging to the AOF (its first base written), holding 20 keys written before."""
    srv = start_server(args)
    c = client(srv)
    assert wait_until(lambda: c.info("persistence")["aof_enabled"] == 1 and
                      c.info("persistence")["aof_rewrite_in_progress"] == 0, 30)
    before = ["before%d" % i for i in range(20)]
    for k in before:
        assert c.set(k, VALUE)
    return srv, c, before


def test_aof_disk_full_refuses_writes_then_recovers(start_server, small_disk):
    args = ["--dir", small_disk, "--appendonly", "yes", "--appendfsync", "everysec"]
    srv, c, before = start_aof_with_keys(start_server, args)
    filler = fill_disk(small_disk)

    acked, refusal = set_until_refused(c, "during")
    assert refusal is not None, "writes were never refused on a full disk"
    assert refusal.startswith("MISCONF Errors writing to the AOF file: No space left on device")
    assert c.info("persistence")["aof_last_write_status"] == "err"
    # Reads go on, including the keys acknowledged just before the write failed.
    for k in before + acked:
        assert c.get(k) == VALUE
    assert c.dbsize() == len(before) + len(acked)
    with pytest.raises(redispy.ResponseError, match="MISCONF"):
        c.ping()  # as in Redis, PING is refused too

    os.remove(filler)
    assert wait_until(lambda: writes_back(c), 20), "writes did not come back after space was freed"
    assert c.info("persistence")["aof_last_write_status"] == "ok"
    after = ["after%d" % i for i in range(20)]
    for k in after:
        assert c.set(k, VALUE)
    c.execute_command("BGREWRITEAOF")  # the log is readable and rewritable again
    assert wait_until(lambda: c.info("persistence")["aof_rewrite_in_progress"] == 0, 30)
    assert c.info("persistence")["aof_last_bgrewrite_status"] == "ok"
    assert c.set("last", VALUE)

    # Nothing acknowledged is lost: a hard kill and a restart from the log bring every key back.
    srv.proc.kill()
    srv.proc.wait(10)
    srv2 = start_server(args)
    c2 = client(srv2)
    for k in before + acked + after + ["last"]:
        assert c2.get(k) == VALUE, k
    assert c2.get("probe") == b"1"


def test_bgsave_disk_full_misconf_then_recovers(start_server, small_disk):
    srv = start_server(["--dir", small_disk])
    c = client(srv)
    for i in range(20):
        assert c.set("k%d" % i, VALUE)
    assert c.save()
    with open(os.path.join(small_disk, "dump.rdb"), "rb") as f:
        good = f.read()
    filler = fill_disk(small_disk)

    c.config_set("save", "1 1")
    assert c.set("k-new", VALUE)  # a change, so the rule fires within a second or two
    assert wait_until(lambda: c.info("persistence")["rdb_last_bgsave_status"] == "err", 20)
    with pytest.raises(redispy.ResponseError, match="^MISCONF"):
        c.set("refused", "x")
    assert c.get("k-new") == VALUE  # reads go on
    # The previous snapshot is intact and no temp file is left behind.
    with open(os.path.join(small_disk, "dump.rdb"), "rb") as f:
        assert f.read() == good
    assert sorted(os.listdir(small_disk)) == ["dump.rdb", "filler"]

    os.remove(filler)
    # The save rule retries (5 s after a failed try, as Redis) and writes come back.
    assert wait_until(lambda: writes_back(c), 30), "writes did not come back after space was freed"
    assert c.info("persistence")["rdb_last_bgsave_status"] == "ok"
    r = subprocess.run(["redis-check-rdb", os.path.join(small_disk, "dump.rdb")],
                       capture_output=True, text=True, timeout=60)
    assert r.returncode == 0, r.stdout + r.stderr
    c.config_set("save", "")


def test_rewrite_on_a_full_disk_keeps_buffered_records(start_server, small_disk):
    """A failed write leaves its records buffered (retried every second); a BGREWRITEAOF then
    switching to a new incr file must not drop them: the switch fails like the write, the
    rewrite reports err, and the records reach the old file once space is back."""
    args = ["--dir", small_disk, "--appendonly", "yes", "--appendfsync", "everysec",
            "--auto-aof-rewrite-percentage", "0"]
    srv, c, before = start_aof_with_keys(start_server, args)
    filler = fill_disk(small_disk)

    assert c.set("pending", VALUE)  # its record cannot be written: it stays buffered
    assert c.info("persistence")["aof_last_write_status"] == "err"
    assert c.execute_command("BGREWRITEAOF")
    assert wait_until(lambda: c.info("persistence")["aof_rewrite_in_progress"] == 0, 30)
    assert c.info("persistence")["aof_last_bgrewrite_status"] == "err"
    with pytest.raises(redispy.ResponseError, match="^MISCONF"):
        c.set("refused", "x")

    os.remove(filler)
    assert wait_until(lambda: writes_back(c), 20)
    c.execute_command("BGREWRITEAOF")
    assert wait_until(lambda: c.info("persistence")["aof_rewrite_in_progress"] == 0, 30)
    assert c.info("persistence")["aof_last_bgrewrite_status"] == "ok"
    assert c.set("last", VALUE)
    srv.proc.kill()
    srv.proc.wait(10)
    c2 = client(start_server(args))
    for k in before + ["pending", "last"]:
        assert c2.get(k) == VALUE, k
