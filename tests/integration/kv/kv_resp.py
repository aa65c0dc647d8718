"""A small blocking RESP2/RESP3 client for tests.

It speaks the wire protocol directly so tests can send malformed or partial input, switch to
RESP3 with HELLO 3 and assert exact reply bytes. Every read has a timeout, so a silent server
fails a test instead of hanging it.

Reply values:
  simple string -> Simple (a str subclass), bulk/verbatim -> bytes (Verbatim for '='),
  integer/big number -> int, null -> None, double -> float, boolean -> bool,
  error -> RespError (returned, not raised, unless raise_errors=True),
  array -> list, set -> RespSet (a list), map -> dict (list keys become tuples),
  push -> Push (a list). Attributes ('|') are read and dropped.
"""

import socket
import time


class RespError(Exception):
    """An error reply (-ERR ..., !<len> ...). Compares equal to another with the same text."""

    def __init__(self, message):
        super().__init__(message)
        self.message = message

    def __eq__(self, other):
        return isinstance(other, RespError) and other.message == self.message

    def __hash__(self):
        return hash(self.message)

    def __repr__(self):
        return "RespError(%r)" % self.message

    def startswith(self, prefix):
        return self.message.startswith(prefix)


class Simple(str):
    """A simple-string reply (+OK)."""


class Verbatim(bytes):
    """A RESP3 verbatim string; .fmt holds its 3-letter format."""

    fmt = "txt"


class RespSet(list):
    """A RESP3 set reply, kept in wire order."""


class Push(list):
    """A RESP3 push message."""


class ConnectionClosed(Exception):
    pass


class ProtocolError(Exception):
    pass


def encode(*args):
    """Encodes a command as a RESP multibulk request."""
    out = [b"*%d\r\n" % len(args)]
    for a in args:
        if isinstance(a, bytes):
            b = a
        elif isinstance(a, str):
            b = a.encode()
        elif isinstance(a, (int, float)):
            b = repr(a).encode() if isinstance(a, float) else str(a).encode()
        else:
            raise TypeError("cannot encode %r" % (a,))
        out.append(b"$%d\r\n" % len(b))
        out.append(b)
        out.append(b"\r\n")
    return b"".join(out)


def _hashable(v):
    if isinstance(v, list):
        return tuple(_hashable(x) for x in v)
    if isinstance(v, dict):
        return tuple((k, _hashable(x)) for k, x in v.items())
    return v


class Conn:
    """One blocking connection. Not thread-safe; use one per thread."""

    def __init__(self, port, host="127.0.0.1", timeout=10.0, protocol=2, raise_errors=False,
                 source=None):
        """`source`: the local address to connect from (e.g. "127.0.0.2", which Redis and
        strata-server treat as a remote client)."""
        self.host, self.port, self.timeout = host, port, timeout
        self.sock = socket.create_connection((host, port), timeout=timeout,
                                             source_address=(source, 0) if source else None)
        self.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        self.buf = bytearray()
        self.pos = 0
        self.raise_errors = raise_errors
        self.protocol = 2
        if protocol == 3:
            r = self.call("HELLO", "3")
            if isinstance(r, RespError):
                raise r
            self.protocol = 3

    # ---------------------------------------------------------------- low level
    def send_raw(self, data):
        self.sock.sendall(data)

    def _fill(self):
        try:
            chunk = self.sock.recv(1 << 16)
        except ConnectionResetError:
            chunk = b""
        if not chunk:
            raise ConnectionClosed("connection closed by server")
        self.buf += chunk

    def _line(self):
        while True:
            i = self.buf.find(b"\r\n", self.pos)
            if i >= 0:
                line = bytes(self.buf[self.pos:i])
                self.pos = i + 2
                return line
            self._fill()

    def _exact(self, n):
        while len(self.buf) - self.pos < n + 2:
            self._fill()
        data = bytes(self.buf[self.pos:self.pos + n])
        if self.buf[self.pos + n:self.pos + n + 2] != b"\r\n":
            raise ProtocolError("bulk not terminated by CRLF")
        self.pos += n + 2
        return data

    def _parse(self):
        line = self._line()
        if not line:
            raise ProtocolError("empty reply line")
        t, rest = line[:1], line[1:]
        if t == b"+":
            return Simple(rest.decode("utf-8", "replace"))
        if t == b"-":
            return RespError(rest.decode("utf-8", "replace"))
        if t == b":":
            return int(rest)
        if t == b"$":
            n = int(rest)
            return None if n < 0 else self._exact(n)
        if t in (b"*", b"~", b">"):
            n = int(rest)
            if n < 0:
                return None
            items = [self._parse() for _ in range(n)]
            return RespSet(items) if t == b"~" else Push(items) if t == b">" else items
        if t == b"%":
            n = int(rest)
            d = {}
            for _ in range(n):
                k = self._parse()
                d[_hashable(k)] = self._parse()
            return d
        if t == b"_":
            return None
        if t == b",":
            s = rest.decode()
            return float({"inf": "inf", "-inf": "-inf"}.get(s, s))
        if t == b"#":
            return rest == b"t"
        if t == b"(":
            return int(rest)
        if t == b"!":
            return RespError(self._exact(int(rest)).decode("utf-8", "replace"))
        if t == b"=":
            data = self._exact(int(rest))
            v = Verbatim(data[4:])
            v.fmt = data[:3].decode()
            return v
        if t == b"|":
            n = int(rest)
            for _ in range(2 * n):
                self._parse()
            return self._parse()
        raise ProtocolError("unknown reply type %r in %r" % (t, line))

    # ---------------------------------------------------------------- API
    def read(self):
        """Reads one reply (parsed)."""
        v = self._parse()
        self._compact()
        if self.raise_errors and isinstance(v, RespError):
            raise v
        return v

    def read_raw(self):
        """Reads one reply and returns its exact bytes."""
        start = self.pos
        self._parse()
        raw = bytes(self.buf[start:self.pos])
        self._compact()
        return raw

    def _compact(self):
        if self.pos == len(self.buf) or self.pos > (1 << 20):
            del self.buf[:self.pos]
            self.pos = 0

    def call(self, *args):
        self.send_raw(encode(*args))
        return self.read()

    def call_raw(self, *args):
        self.send_raw(encode(*args))
        return self.read_raw()

    def pipeline(self, commands):
        """Sends all commands in one write, then reads one reply per command."""
        self.send_raw(b"".join(encode(*c) for c in commands))
        return [self.read() for _ in commands]

    def read_until_closed(self, timeout=5.0):
        """Reads everything until the server closes; returns the bytes. Raises on timeout."""
        deadline = time.monotonic() + timeout
        data = bytes(self.buf[self.pos:])
        self.buf.clear()
        self.pos = 0
        while True:
            left = deadline - time.monotonic()
            if left <= 0:
                raise TimeoutError("server did not close the connection; got %r" % data[:200])
            self.sock.settimeout(left)
            try:
                chunk = self.sock.recv(1 << 16)
            except ConnectionResetError:
                chunk = b""
            except socket.timeout:
                continue
            if not chunk:
                self.sock.settimeout(self.timeout)
                return data
            data += chunk

    def is_closed(self, wait=2.0):
        """True if the server closed the connection within `wait` seconds (pending data ignored)."""
        try:
            self.read_until_closed(wait)
            return True
        except TimeoutError:
            return False

    def close(self):
        try:
            self.sock.close()
        except OSError:
            pass

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()


class _BytesParser(Conn):
    def __init__(self, data):  # no socket: parse from a complete buffer
        self.buf = bytearray(data)
        self.pos = 0
        self.raise_errors = False

    def _fill(self):
        raise ProtocolError("incomplete reply")


def drain(conn, quiet=0.3, limit=5.0):
    """Reads pushes until none arrives for `quiet` seconds."""
    out = []
    deadline = time.monotonic() + limit
    conn.sock.settimeout(quiet)
    try:
        while time.monotonic() < deadline:
            try:
                out.append(conn.read())
            except (socket.timeout, TimeoutError):
                break
    finally:
        conn.sock.settimeout(conn.timeout)
    return out


def parse_reply(data):
    """Parses one complete reply from bytes (as returned by Conn.read_raw)."""
    return _BytesParser(data)._parse()
