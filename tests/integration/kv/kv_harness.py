"""Starts and stops server processes for the kv integration tests.

The server under test is strata-server from $STRATA_BUILD/src/kv/strata-server, or whatever
STRATA_SERVER_CMD names (a command line, e.g. "redis-server" to check that the suite itself is
correct against Redis). REDIS_SERVER_CMD names the reference Redis (default: redis-server) used by
the differential test.

Flags follow redis-server (`--port`, `--bind`, `--maxmemory`, ...). `--threads N` is strata's
shard count; it is dropped when the target is Redis, which has no such option. Redis is started
without persistence, and both are started with DEBUG enabled (`--enable-debug-command yes`; the
default is no) so they accept the same test commands; `debug=False` leaves the default.
"""

import os
import resource
import shlex
import signal
import socket
import subprocess
import tempfile
import time

from kv_resp import Conn, ConnectionClosed, RespError

HOST = "127.0.0.1"


def strata_command():
    cmd = os.environ.get("STRATA_SERVER_CMD")
    if cmd:
        return shlex.split(cmd)
    build = os.environ.get("STRATA_BUILD", "build/release")
    return [os.path.join(build, "src", "kv", "strata-server")]


def bench_tool(*path):
    """A tool under the build's bench/ folder (load generators, replayers): its path, and a
    pytest mark that skips the module when it is not built (STRATA_BENCH=OFF)."""
    import pytest

    root = os.path.dirname(os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(
        __file__)))))
    build = os.environ.get("STRATA_BUILD", os.path.join(root, "build", "release"))
    tool = os.path.join(build, "bench", *path)
    return tool, pytest.mark.skipif(not os.access(tool, os.X_OK),
                                    reason="%s is not built (STRATA_BENCH=OFF?)" % path[-1])


def redis_command():
    return shlex.split(os.environ.get("REDIS_SERVER_CMD", "redis-server"))


def is_redis_cmd(cmd):
    return "redis-server" in os.path.basename(cmd[0])


def target_is_redis():
    return is_redis_cmd(strata_command())


def strata_available():
    cmd = strata_command()
    exe = cmd[0]
    if os.sep in exe:
        return os.path.isfile(exe) and os.access(exe, os.X_OK)
    from shutil import which
    return which(exe) is not None


def free_port():
    s = socket.socket()
    s.bind((HOST, 0))
    port = s.getsockname()[1]
    s.close()
    return port


def cpu_ticks(pid):
    """utime + stime of a process (all threads), in clock ticks."""
    with open("/proc/%d/stat" % pid) as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return int(fields[11]) + int(fields[12])


def rss_bytes(pid):
    with open("/proc/%d/status" % pid) as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) * 1024
    return 0


class Server:
    """One server process on a free loopback port."""

    def __init__(self, cmd=None, threads=None, args=(), config_file=None, workdir=None,
                 port=None, password=None, bind=True, nofile=None, debug=True,
                 memcached=False):
        self.cmd = list(cmd or strata_command())
        if os.sep in self.cmd[0]:  # the server runs in its own workdir
            self.cmd[0] = os.path.abspath(self.cmd[0])
        self.redis = is_redis_cmd(self.cmd)
        self.threads = threads
        self.extra = list(args)
        self.config_file = config_file
        self.workdir = workdir or tempfile.mkdtemp(prefix="strata-kv-")
        self.port = port or free_port()
        self._auto_port = port is None
        self.password = password
        self.bind = bind  # False for tools that only take --port (bench/ok_server)
        self.nofile = nofile  # the process's open-file limit (soft and hard), if given
        self.debug = debug and bind  # bench/ok_server (bind=False) takes no such option
        # memcached=True: also serve the memcached text protocol (--memcached-port) on a free
        # port, self.memcached_port.
        self.memcached_port = free_port() if memcached else None
        self.proc = None
        self.log_path = os.path.join(self.workdir, "server-%d.log" % self.port)

    def argv(self):
        argv = list(self.cmd)
        if self.config_file:
            argv.append(self.config_file)
        argv += ["--port", str(self.port)] + (["--bind", HOST] if self.bind else [])
        if self.redis:
            argv += ["--save", "", "--appendonly", "no", "--dir", self.workdir,
                     "--daemonize", "no"]
        else:
            # As for redis-server: no automatic snapshots unless a test asks for them (its own
            # --save comes later and wins), so no test writes dump.rdb behind its back.
            argv += ["--save", ""]
            if self.threads is not None:
                argv += ["--threads", str(self.threads)]
        if self.debug:
            argv += ["--enable-debug-command", "yes"]
        if self.memcached_port:
            argv += ["--memcached-port", str(self.memcached_port)]
        packing = os.environ.get("STRATA_THREAD_PACKING")
        if packing and not self.redis and "--thread-packing" not in self.extra:
            argv += ["--thread-packing", packing]
        io = os.environ.get("STRATA_IO")
        if io and not self.redis and "--io" not in self.extra:
            argv += ["--io", io]
        argv += self.extra
        return argv

    def start(self, timeout=15.0, _attempt=0, wait_loaded=True):
        """Starts the server and returns once it answers PING. `wait_loaded`: and once it has
        loaded its dataset (a -LOADING reply means it is still loading); False returns at the
        first reply of any kind."""
        self._log = open(self.log_path, "wb")
        limit = None
        if self.nofile is not None:
            n = self.nofile

            def limit():
                resource.setrlimit(resource.RLIMIT_NOFILE, (n, n))
        self.proc = subprocess.Popen(self.argv(), stdout=self._log, stderr=subprocess.STDOUT,
                                     cwd=self.workdir, preexec_fn=limit)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                # A port free_port() found can be taken before the server binds it (another
                # process's outgoing connection, say): start again on a fresh one.
                if self._auto_port and _attempt < 2 and "in use" in self.log():
                    self._log.close()
                    self.port = free_port()
                    self.log_path = os.path.join(self.workdir, "server-%d.log" % self.port)
                    return self.start(timeout, _attempt + 1, wait_loaded)
                raise RuntimeError("server exited with %s at start: %s\n%s" %
                                   (self.proc.returncode, self.argv(), self.log()))
            try:
                c = Conn(self.port, timeout=2.0)
                if self.password:
                    c.call("AUTH", self.password)
                r = c.call("PING")  # any well-formed reply means the server is serving
                c.close()
                if not (wait_loaded and isinstance(r, RespError) and
                        r.message.startswith("LOADING")):
                    return self
            except (OSError, ConnectionClosed):
                pass
            time.sleep(0.02)
        self.kill()
        raise RuntimeError("server did not answer PING within %ss: %s\n%s" %
                           (timeout, self.argv(), self.log()))

    def log(self):
        try:
            with open(self.log_path, "rb") as f:
                return f.read()[-4000:].decode("utf-8", "replace")
        except OSError:
            return ""

    @property
    def pid(self):
        return self.proc.pid

    def alive(self):
        return self.proc is not None and self.proc.poll() is None

    def conn(self, protocol=2, timeout=10.0, **kw):
        c = Conn(self.port, timeout=timeout, **kw)
        if self.password:
            c.call("AUTH", self.password)
        if protocol == 3:
            r = c.call("HELLO", "3")
            assert isinstance(r, dict), r
            c.protocol = 3
        return c

    def stop(self, timeout=10.0):
        """SIGTERM, then SIGKILL after `timeout`. Returns the exit code."""
        if self.proc is None:
            return None
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self._log.close()
        return self.proc.returncode

    def kill(self):
        if self.proc and self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait()

    def wait_exit(self, timeout=10.0):
        try:
            return self.proc.wait(timeout)
        except subprocess.TimeoutExpired:
            return None

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc):
        self.stop()


def info(conn, section=None):
    """INFO as a dict of str -> str (RESP2 bulk or RESP3 verbatim)."""
    raw = conn.call("INFO", section) if section else conn.call("INFO")
    if not isinstance(raw, bytes):
        raise AssertionError("INFO failed: %r" % (raw,))
    out = {}
    for line in bytes(raw).decode().splitlines():
        if line and not line.startswith("#") and ":" in line:
            k, v = line.split(":", 1)
            out[k] = v
    return out


def wait_until(pred, timeout, interval=0.05):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        v = pred()
        if v:
            return v
        time.sleep(interval)
    return pred()


def target_redis_version():
    """(major, minor, patch) of the Redis under test, or None when the target is not Redis."""
    if not target_is_redis():
        return None
    out = subprocess.run(strata_command() + ["--version"], capture_output=True, text=True).stdout
    import re
    m = re.search(r"v=(\d+)\.(\d+)\.(\d+)", out)
    return tuple(int(x) for x in m.groups()) if m else (0, 0, 0)


def bulk_load(port, commands, password=None, chunk=10000):
    """Sends pre-encoded RESP commands (an iterable of bytes, each one command whose reply is
    +OK) in pipelined chunks; raises if any reply differs. Faster than one call per command."""
    c = Conn(port, timeout=120)
    if password:
        c.call("AUTH", password)
    batch = []

    def flush():
        c.send_raw(b"".join(batch))
        want = b"+OK\r\n" * len(batch)
        got = bytearray()
        while len(got) < len(want):
            piece = c.sock.recv(1 << 20)
            if not piece:
                raise ConnectionClosed("server closed the connection during load")
            got += piece
        if bytes(got) != want:
            bad = bytes(got).replace(b"+OK\r\n", b"")[:200]
            raise AssertionError("load got unexpected replies: %r" % bad)
        batch.clear()

    for cmd in commands:
        batch.append(cmd)
        if len(batch) >= chunk:
            flush()
    if batch:
        flush()
    c.close()


def run_threads(targets, timeout=120):
    """Runs each callable on its own thread and joins them; re-raises the first exception a
    thread raised, and fails if one does not finish within `timeout` seconds."""
    import threading
    errors = []

    def wrap(fn):
        def run():
            try:
                fn()
            except Exception as e:  # reported by the main thread
                errors.append(e)
        return run

    threads = [threading.Thread(target=wrap(t)) for t in targets]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout)
    assert not any(t.is_alive() for t in threads), "worker threads did not finish"
    if errors:
        raise errors[0]
