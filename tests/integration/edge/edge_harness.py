"""Harness for strata-edge end-to-end tests (imported by conftest.py and the tests).

`origin` is a scripted HTTP/1.1 origin running in the test process: tests register a handler
per path and it records every request it sees (so tests can count origin fetches). `edge_factory`
starts strata-edge processes on free loopback ports and stops them afterwards.
"""
import os
import socket
import subprocess
import threading
import time
import urllib.request

import pytest

BUILD = os.environ.get("STRATA_BUILD", os.path.join(os.path.dirname(__file__), "../../../build/release"))
EDGE_BIN = os.path.join(BUILD, "src/edge/strata-edge")


class Sock(socket.socket):
    """A socket that can carry the bytes read past the end of a response."""
    _pending = b""


def connect(port, timeout=5.0):
    s = Sock(socket.AF_INET, socket.SOCK_STREAM)
    s.settimeout(timeout)
    s.connect(("127.0.0.1", port))
    return s


def free_port():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


class Resp:
    def __init__(self, status=200, headers=None, body=b"", chunked=False, delay=0.0,
                 interim=None, parts=None, close=False, raw=None):
        self.status = status
        self.headers = list(headers or [])
        self.body = body if isinstance(body, bytes) else body.encode()
        self.chunked = chunked
        self.delay = delay          # before the head
        self.interim = interim or []  # [(status, [(name, value)])]
        self.parts = parts          # [(bytes, delay_after)] streamed body pieces
        self.close = close
        self.raw = raw              # exact bytes to send instead


class Request:
    def __init__(self, method, target, version, headers, body):
        self.method = method
        self.target = target
        self.version = version
        self.headers = headers  # list of (name, value) as received
        self.body = body
        self.head_at = None         # time the head was read
        self.first_body_at = None   # time the first body byte arrived
        self.body_received = 0
        self.chunked = False        # the body came chunked

    def header(self, name):
        for n, v in self.headers:
            if n.lower() == name.lower():
                return v
        return None


class Origin:
    """A threaded socket-level HTTP/1.1 origin with per-path scripted responses."""

    def __init__(self):
        self.port = free_port()
        self.routes = {}
        self.requests = []
        self.lock = threading.Lock()
        self.sock = socket.socket()
        self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.sock.bind(("127.0.0.1", self.port))
        self.sock.listen(256)
        self.running = True
        self.conns = []
        self.slow_body = {}     # path -> (bytes per read, pause): read that body slowly
        self.early = {}         # path -> Resp sent right after the head, body unread, then close
        self.early_seen = []    # requests answered early
        self.body_delay = {}    # path -> seconds to wait after the head before reading the body
        self.disconnects = 0    # connections that ended (closed by the peer or after a reply)
        self.body_seen = 0      # body bytes of the request currently being read
        self.body_events = []   # arrival times of body reads
        self.thread = threading.Thread(target=self._accept, daemon=True)
        self.thread.start()

    @property
    def url(self):
        return "http://127.0.0.1:%d" % self.port

    def route(self, path, handler):
        """handler: Resp, or a function(Request) -> Resp."""
        self.routes[path] = handler

    def count(self, path=None, method=None):
        with self.lock:
            return sum(1 for r in self.requests
                       if (path is None or r.target == path) and (method is None or r.method == method))

    def seen(self, path):
        with self.lock:
            return [r for r in self.requests if r.target == path]

    def stop(self):
        self.running = False
        try:
            self.sock.close()
        except OSError:
            pass
        for c in list(self.conns):
            try:
                c.shutdown(socket.SHUT_RDWR)
                c.close()
            except OSError:
                pass

    def _accept(self):
        while self.running:
            try:
                c, _ = self.sock.accept()
            except OSError:
                return
            self.conns.append(c)
            threading.Thread(target=self._serve, args=(c,), daemon=True).start()

    def _serve(self, c):
        buf = b""
        try:
            while self.running:
                while b"\r\n\r\n" not in buf:
                    d = c.recv(65536)
                    if not d:
                        return
                    buf += d
                head, buf = buf.split(b"\r\n\r\n", 1)
                lines = head.decode("latin-1").split("\r\n")
                method, target, version = lines[0].split(" ")
                headers = []
                for line in lines[1:]:
                    n, v = line.split(":", 1)
                    headers.append((n, v.strip()))
                req = Request(method, target, version, headers, b"")
                req.head_at = time.time()
                if target in self.early:
                    # Answer without reading the body, then close (e.g. a 413).
                    with self.lock:
                        self.early_seen.append(req)
                    self._send(c, req, self.early[target])
                    return
                if target in self.body_delay:
                    time.sleep(self.body_delay[target])
                cl = req.header("content-length")
                te = req.header("transfer-encoding")
                if te is not None:
                    assert te.lower() == "chunked", te
                    req.body, buf = self._read_chunked(c, req, buf)
                    if req.body is None:
                        return
                elif cl:
                    n = int(cl)
                    step, pause = self.slow_body.get(target, (65536, 0))
                    if buf:
                        self._body_progress(req, len(buf[:n]))
                    while len(buf) < n:
                        if pause:
                            time.sleep(pause)
                        d = c.recv(step)
                        if not d:
                            return
                        self._body_progress(req, len(d))
                        buf += d
                    req.body, buf = buf[:n], buf[n:]
                with self.lock:
                    self.requests.append(req)
                h = self.routes.get(target.split("?")[0]) or self.routes.get(target)
                if h is None:
                    resp = Resp(404, [("Content-Type", "text/plain")], b"no route\n")
                else:
                    resp = h(req) if callable(h) else h
                if not self._send(c, req, resp):
                    return
        except OSError:
            return
        finally:
            try:
                c.close()
            except OSError:
                pass
            with self.lock:
                self.disconnects += 1

    def _body_progress(self, req, n):
        """Records when body bytes of the request being read arrive (see body_seen)."""
        if n <= 0:
            return
        now = time.time()
        with self.lock:
            if req.first_body_at is None:
                req.first_body_at = now
            req.body_received += n
            self.body_seen = req.body_received
            self.body_events.append(now)

    def _read_chunked(self, c, req, buf):
        """Reads a chunked request body; returns (body, rest) or (None, b"") on EOF."""
        body = b""

        def need(cond):
            nonlocal buf
            while not cond():
                d = c.recv(65536)
                if not d:
                    return False
                self._body_progress(req, len(d))
                buf += d
            return True

        self._body_progress(req, len(buf))
        while True:
            if not need(lambda: b"\r\n" in buf):
                return None, b""
            line, buf = buf.split(b"\r\n", 1)
            size = int(line.split(b";")[0], 16)
            if size == 0:
                if not need(lambda: b"\r\n" in buf):
                    return None, b""
                while not buf.startswith(b"\r\n"):  # trailers
                    _, buf = buf.split(b"\r\n", 1)
                    if not need(lambda: b"\r\n" in buf):
                        return None, b""
                req.chunked = True
                return body, buf[2:]
            if not need(lambda: len(buf) >= size + 2):
                return None, b""
            assert buf[size:size + 2] == b"\r\n"
            body += buf[:size]
            buf = buf[size + 2:]

    def _send(self, c, req, resp):
        if resp.delay:
            time.sleep(resp.delay)
        if resp.raw is not None:
            c.sendall(resp.raw)
            return not resp.close
        for st, hs in resp.interim:
            out = "HTTP/1.1 %d Interim\r\n" % st + "".join("%s: %s\r\n" % kv for kv in hs) + "\r\n"
            c.sendall(out.encode())
        head = "HTTP/1.1 %d X\r\n" % resp.status
        names = [n.lower() for n, _ in resp.headers]
        for n, v in resp.headers:
            head += "%s: %s\r\n" % (n, v)
        body = resp.body if resp.parts is None else b"".join(p for p, _ in resp.parts)
        no_body = req.method == "HEAD" or resp.status in (204, 304)
        if resp.chunked or resp.parts is not None:
            if "transfer-encoding" not in names and not no_body:
                head += "Transfer-Encoding: chunked\r\n"
        elif "content-length" not in names and resp.status not in (204, 304):
            head += "Content-Length: %d\r\n" % len(body)
        if resp.close:
            head += "Connection: close\r\n"
        head += "\r\n"
        c.sendall(head.encode())
        if no_body:
            return not resp.close
        if resp.parts is not None:
            for piece, pause in resp.parts:
                c.sendall(b"%x\r\n%s\r\n" % (len(piece), piece))
                if pause:
                    time.sleep(pause)
            c.sendall(b"0\r\n\r\n")
        elif resp.chunked:
            if body:
                c.sendall(b"%x\r\n%s\r\n" % (len(body), body))
            c.sendall(b"0\r\n\r\n")
        else:
            c.sendall(body)
        return not resp.close


class Edge:
    def __init__(self, origin_url, extra_args=(), config=None, tmp_path=None):
        # A port free_port() found can be taken before the edge binds it (another process's
        # outgoing connection, say): then start again on fresh ports.
        for attempt in range(3):
            if self._start(origin_url, extra_args, config, tmp_path):
                return
            log = open(self.log_path).read()
            if "Address already in use" not in log or attempt == 2:
                raise RuntimeError("strata-edge did not start: " + log)

    def _start(self, origin_url, extra_args, config, tmp_path):
        self.port = free_port()
        self.admin_port = free_port()
        args = [EDGE_BIN, "--origin", origin_url, "--listen", "127.0.0.1:%d" % self.port,
                "--admin", "127.0.0.1:%d" % self.admin_port]
        if config is not None:
            path = os.path.join(str(tmp_path), "edge-%d.toml" % self.port)
            with open(path, "w") as f:
                f.write(config)
            args += ["--config", path]
        args += list(extra_args)
        # STRATA_EDGE_THREADS runs every edge the tests start with that many workers (unless the
        # test chooses its own thread count or configuration).
        threads = os.environ.get("STRATA_EDGE_THREADS")
        if threads and config is None and "--threads" not in args:
            args += ["--threads", threads]
        self.log_path = os.path.join(str(tmp_path) if tmp_path else "/tmp", "edge-%d.log" % self.port)
        self.log = open(self.log_path, "w")
        self.proc = subprocess.Popen(args, stdout=self.log, stderr=subprocess.STDOUT)
        deadline = time.time() + 10
        while time.time() < deadline:
            try:
                socket.create_connection(("127.0.0.1", self.port), timeout=0.2).close()
                socket.create_connection(("127.0.0.1", self.admin_port), timeout=0.2).close()
                return True
            except OSError:
                if self.proc.poll() is not None:
                    break
                time.sleep(0.05)
        self.stop()
        return False

    @property
    def url(self):
        return "http://127.0.0.1:%d" % self.port

    @property
    def admin_url(self):
        return "http://127.0.0.1:%d" % self.admin_port

    def metric(self, name):
        text = urllib.request.urlopen(self.admin_url + "/metrics", timeout=5).read().decode()
        for line in text.splitlines():
            if line.startswith("strata_edge_" + name + " "):
                return int(line.split()[1])
        raise KeyError(name)

    def stop(self):
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=5)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self.log.close()


@pytest.fixture
def origin():
    o = Origin()
    yield o
    o.stop()


@pytest.fixture
def edge_factory(tmp_path):
    edges = []

    def make(origin_url, *args, config=None):
        e = Edge(origin_url, args, config=config, tmp_path=tmp_path)
        edges.append(e)
        return e

    yield make
    for e in edges:
        e.stop()


@pytest.fixture
def edge(origin, edge_factory):
    return edge_factory(origin.url, "--purge-token", "sekret", "--allow-purge-method")


class RawResponse:
    def __init__(self, status, headers, body, interim):
        self.status = status
        self.headers = headers
        self.body = body
        self.interim = interim

    def header(self, name):
        for n, v in self.headers:
            if n.lower() == name.lower():
                return v
        return None


def read_response(sock, method="GET", timeout=5.0):
    """Reads one response (after any 1xx) from a socket; returns RawResponse or None on EOF."""
    sock.settimeout(timeout)
    buf = getattr(sock, "_pending", b"")
    interim = []
    while True:
        while b"\r\n\r\n" not in buf:
            d = sock.recv(65536)
            if not d:
                sock._pending = b""
                return None
            buf += d
        head, buf = buf.split(b"\r\n\r\n", 1)
        lines = head.decode("latin-1").split("\r\n")
        status = int(lines[0].split(" ")[1])
        headers = [(l.split(":", 1)[0], l.split(":", 1)[1].strip()) for l in lines[1:]]
        if 100 <= status < 200:
            interim.append((status, headers))
            continue
        break
    resp = RawResponse(status, headers, b"", interim)
    if method == "HEAD" or status in (204, 304):
        sock._pending = buf
        return resp
    te = resp.header("transfer-encoding")
    cl = resp.header("content-length")
    if te and te.lower() == "chunked":
        body = b""
        while True:
            while b"\r\n" not in buf:
                buf += sock.recv(65536)
            line, buf = buf.split(b"\r\n", 1)
            size = int(line.split(b";")[0], 16)
            while len(buf) < size + 2:
                buf += sock.recv(65536)
            body += buf[:size]
            buf = buf[size + 2:]
            if size == 0:
                break
        resp.body = body
    elif cl is not None:
        n = int(cl)
        while len(buf) < n:
            d = sock.recv(65536)
            if not d:
                break
            buf += d
        resp.body, buf = buf[:n], buf[n:]
    else:
        while True:
            d = sock.recv(65536)
            if not d:
                break
            buf += d
        resp.body, buf = buf, b""
    sock._pending = buf
    return resp


class Client:
    """A keep-alive raw HTTP/1.1 client (exact bytes in, parsed responses out)."""

    def __init__(self, port):
        self.sock = connect(port)

    def send(self, data):
        self.sock.sendall(data if isinstance(data, bytes) else data.encode())

    def request(self, method, path, headers=(), body=b"", host="test.local"):
        h = "%s %s HTTP/1.1\r\nHost: %s\r\n" % (method, path, host)
        for n, v in headers:
            h += "%s: %s\r\n" % (n, v)
        if body:
            h += "Content-Length: %d\r\n" % len(body)
        self.send(h.encode() + b"\r\n" + body)
        return read_response(self.sock, method)

    def closed(self, timeout=2.0):
        """True when the server closed the connection (EOF) within the timeout."""
        self.sock.settimeout(timeout)
        try:
            while True:
                d = self.sock.recv(65536)
                if not d:
                    return True
        except (ConnectionResetError, BrokenPipeError):
            return True
        except socket.timeout:
            return False

    def close(self):
        self.sock.close()


def get(edge, path, headers=(), method="GET", host="test.local", body=b""):
    c = Client(edge.port)
    try:
        return c.request(method, path, headers, body=body, host=host)
    finally:
        c.close()
