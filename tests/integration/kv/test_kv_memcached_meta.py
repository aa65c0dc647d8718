"""memcached's meta protocol (mg ms md ma mn me) and its leases on strata-server.

Every test runs on 1 and 4 shards, with raw sockets. Fixed cases and a random sequence of text and
meta commands (20,000 per shard count) are replayed against Debian's memcached 1.6.18 and the
replies compared byte for byte, CAS uniques, TTL seconds and the untracked h/l flags aside.
"""

import base64
import random
import re
import socket
import time

import pytest

from kv_harness import HOST, Server, strata_available, target_is_redis
import test_kv_memcached as base

pytestmark = pytest.mark.skipif(target_is_redis() or not strata_available(),
                                reason="strata-server's memcached listener")

real_memcached = base.real_memcached


@pytest.fixture(scope="module", params=[1, 4], ids=lambda n: "shards%d" % n)
def mcserver(request):
    s = Server(threads=request.param, memcached=True).start()
    yield s
    s.stop()


@pytest.fixture
def srv(mcserver):
    if not mcserver.alive():
        pytest.fail("server died:\n" + mcserver.log())
    with mcserver.conn() as admin:
        admin.call("FLUSHALL")
    yield mcserver
    assert mcserver.alive(), mcserver.log()


class Mc:
    """A raw memcached connection: send lines, read exactly the replies of a batch ending in mn."""

    def __init__(self, port):
        self.s = socket.create_connection((HOST, port), timeout=10)
        self.buf = b""

    def batch(self, data):
        self.s.sendall(data + b"mn\r\n")
        want = 1 + (b"\r\n" + data).count(b"\r\nmn\r\n")
        while not self.buf.endswith(b"MN\r\n") or (b"\r\n" + self.buf).count(b"\r\nMN\r\n") < want:
            chunk = self.s.recv(1 << 20)
            assert chunk, "connection closed"
            self.buf += chunk
        out, self.buf = self.buf[:-4], b""
        return out

    def close(self):
        self.s.close()


NORM = [
    (re.compile(rb"(?<=[ ])c\d+"), b"c<cas>"),
    (re.compile(rb"(?<=[ ])t\d+"), b"t<ttl>"),
    (re.compile(rb"(?<=[ ])l\d+"), b"l<idle>"),
    (re.compile(rb"^(VALUE \S+ \d+ \d+) \d+\r\n", re.M), rb"\1 <cas>\r\n"),
]
# memcached pads a counter that got shorter with spaces, in place; Strata stores the number.
PADDED_VALUE = re.compile(rb"^VALUE (\S+) (\d+) (\d+)((?: \S+)?)\r\n(\d+) +\r\n", re.M)
PADDED_VA = re.compile(rb"^VA (\d+)([^\r\n]*)\r\n(\d+) +\r\n", re.M)


def normalize(out):
    out = PADDED_VALUE.sub(
        lambda m: b"VALUE %s %s %d%s\r\n%s\r\n" %
        (m.group(1), m.group(2), len(m.group(5)), m.group(4), m.group(5)), out)
    out = PADDED_VA.sub(lambda m: b"VA %d%s\r\n%s\r\n" % (len(m.group(3)), m.group(2), m.group(3)),
                        out)
    for rx, rep in NORM:
        out = rx.sub(rep, out)
    return out


FIXED = [
    # h: fetched before this read (reads, touch and vivify mark it; u does not; set, append and
    # incr make a new item); l: seconds since the last access.
    b"set foo 0 0 1\r\nx\r\nmg foo h l\r\nmg foo h u\r\nmg foo h\r\nappend foo 0 0 1\r\ny\r\n"
    b"mg foo h\r\ntouch foo 0\r\nmg foo h\r\nms foo 1 MP\r\nz\r\nmg foo h\r\nmg viv N30 h\r\n"
    b"mg viv h\r\nset cnt 0 0 1\r\n1\r\nmg cnt\r\nincr cnt 1\r\nmg cnt h\r\nmd cnt I\r\nmg cnt h\r\n",
    b"mn\r\nmg foo\r\nmg foo v\r\nmg foo q\r\nmg foo k O123 v\r\n",
    b"ms foo 3\r\nbar\r\nmg foo\r\nmg foo q\r\nmg foo v q\r\nmg foo s v f t k O9\r\nmg foo c\r\n",
    b"ms foo 3 F5 T100 c\r\nbaz\r\nmg foo f t v s\r\nms foo 3 q\r\nbaz\r\nmg foo f t v\r\n",
    b"ms foo 3\r\nabc\r\nms foo 3 MA\r\nbaz\r\nms foo 3 ME\r\nbaz\r\nms bar 3 ME\r\nbaz\r\n"
    b"ms foo 3 MX\r\nbaz\r\nms foo 2 MP\r\nyy\r\nms nope 2 MA\r\nxx\r\nms nope 2 MR\r\nxx\r\n"
    b"ms foo 2 MR F3\r\nzz\r\nmg foo v f\r\nms foo 2 MS k O1 c\r\nqq\r\n",
    b"ms foo 2 C1\r\nzz\r\nms nope 2 C1\r\nzz\r\nmd foo q\r\nmd foo\r\nmd foo q\r\nmd foo k O5\r\n",
    b"ma cnt\r\nma cnt q\r\nma cnt N0 J10 v\r\nma cnt v\r\nma cnt MD D20 v t\r\nma cnt M- v\r\n"
    b"ma cnt M+ D5 v k O7\r\nma cnt MI D3 q\r\nma cnt v\r\nma cnt MZ\r\nma cnt Dx\r\nma cnt Jx\r\n",
    b"ms foo 3\r\nabc\r\nma foo\r\nma nope N100 J5 t v\r\nma nope2 N0 q v\r\n",
    b"mg\r\nmg foo zz\r\nmg foo v v\r\nms foo bar\r\nms foo\r\nms foo 2 vv v\r\nxx\r\nmg foo\r\n"
    b"ms foo -1\r\nmd foo v v\r\nmd\r\nma\r\nmx foo\r\nms foo 2 M\r\nxx\r\nmg foo Nx\r\n",
    b"ms foo 3\r\nabc\r\nmg Zm9v b v k\r\nmg Zm9 b v k\r\nmg foo b\r\nms YmluYXJ5 b 1 k\r\nx\r\n"
    b"mg YmluYXJ5 b k v\r\nmg binary k v\r\nmd YmluYXJ5 b k\r\n",
    b"ms foo 3 T100\r\nabc\r\nmd foo I T30\r\nmg foo v c t\r\nmg foo v c t\r\nmg foo v c\r\n"
    b"ms foo 3 C1 I\r\nnew\r\nmg foo v c\r\nget foo\r\n",
    b"mg viv N30 v c t\r\nmg viv N30 v c t\r\nmg viv N30 v q\r\nget viv\r\nms viv 1\r\nx\r\n"
    b"mg viv v N30\r\n",
    b"mg foo O12345678901234567890123456789012345678901234567890\r\nms foo 1 T-1\r\nx\r\nmg foo\r\n"
    b"ms foo 1\r\nx\r\nmg foo T-1 v\r\nmg foo v\r\nms foo 1\r\nx\r\nmg foo T0 t\r\n",
    b"ms foo 1 T100\r\nx\r\nmg foo R30 v\r\nmg foo R500 v\r\nmg foo R500 v\r\nmd foo\r\n",
    b"ms foo 2\r\nxyz\r\nmg foo v\r\nms foo 1 O" + b"9" * 40 + b"\r\nx\r\nmg foo v\r\n",
    b"ms foo 1 I\r\nx\r\nmd foo I q\r\nmg foo v\r\nmd foo I\r\nmg foo v\r\nmg foo v\r\n",
    b"mg " + b"k" * 250 + b" v\r\nmg " + b"k" * 251 + b" v\r\nmd " + b"k" * 251 + b"\r\n",
    b"mg a a1 a2 a3 a4 a5 a6 a7 a8 a9 b1 b2 b3 b4 b5 b6 b7 b8 b9\r\n"
    b"ma a a1 a2 a3 a4 a5 a6 a7 a8 a9 b1 b2 b3 b4 b5 b6 b7 b8 b9\r\n",
    b"set t 5 0 2\r\nhi\r\nmg t f v s\r\ngets t\r\nms t 2 F9\r\nho\r\nget t\r\n",
    # Append, prepend and a stale store keep the old TTL whatever T says.
    b"ms foo 3 T100\r\nabc\r\nms foo 1 MA T-1\r\nx\r\nmg foo v t\r\nms foo 1 MP T-1\r\ny\r\n"
    b"mg foo v t\r\nms foo 2 C1 I T-1\r\nzz\r\nmg foo v t\r\nms foo 2 T-1\r\nzz\r\nmg foo v\r\n",
]


@pytest.mark.parametrize("case", range(len(FIXED)))
def test_fixed_cases_vs_memcached(srv, real_memcached, case):
    got = []
    for port in (real_memcached, srv.memcached_port):
        c = Mc(port)
        try:
            c.batch(b"md foo\r\nmd bar\r\nmd nope\r\nmd cnt\r\nmd viv\r\nmd binary\r\nmd t\r\n"
                    b"md nope2\r\n")
            got.append(normalize(c.batch(FIXED[case])))
        finally:
            c.close()
    assert got[1] == got[0], FIXED[case][:200]


def test_me_answers_like_memcached(srv):
    c = Mc(srv.memcached_port)
    out = c.batch(b"me nope\r\nms foo 3\r\nabc\r\nme foo\r\nme\r\n")
    assert re.fullmatch(rb"EN\r\nHD\r\nME foo exp=-1 la=0 cas=\d+ fetch=no cls=1 size=\d+\r\n"
                        rb"CLIENT_ERROR bad command line format\r\n", out), out
    # fetch= and la= report the item without touching it.
    out = c.batch(b"mg foo\r\nme foo\r\nme foo\r\n")
    assert re.fullmatch(rb"HD\r\n(ME foo exp=-1 la=[01] cas=\d+ fetch=yes cls=1 size=\d+\r\n){2}",
                        out), out


# ---- random differential: text and meta commands ----

STR_KEYS = [b"s%d" % i for i in range(8)]
NUM_KEYS = [b"n%d" % i for i in range(4)]
LETTERS = b"abcdefghijklopqrstuvwxyz0123456789"  # no "mn": it ends a batch


def _value(rng):
    return bytes(rng.choice(LETTERS) for _ in range(rng.randint(0, 12)))


def _ttl(rng):
    return rng.choice([0, 0, 0, 1000, 3600, -1])


def _flags(rng, pool, n):
    picked = rng.sample(pool, rng.randint(0, min(n, len(pool))))
    return [f.encode() if isinstance(f, str) else f for f in picked]


def gen_command(rng, prefix):
    """One command as a template: b"{cas}" is replaced by each server's last CAS of the key."""
    numeric = rng.random() < 0.3
    k = prefix + rng.choice(NUM_KEYS if numeric else STR_KEYS)
    op = rng.random()
    opaque = b"O%d" % rng.randint(0, 999)
    if numeric:
        choice = rng.choice(["set", "incr", "decr", "ma", "ma", "mg", "get", "md", "delete",
                             "gets", "touch", "ms"])
        if choice == "set":
            return b"set %s 0 %d 3\r\n%03d\r\n" % (k, _ttl(rng), rng.randint(0, 999)), k
        if choice in ("incr", "decr"):
            return b"%s %s %d\r\n" % (choice.encode(), k, rng.randint(0, 50)), k
        if choice == "ma":
            # (No T: memcached 1.6.18 loses ma's new TTL when the item is still referenced by an
            # earlier reply of the same pipeline, and keeps it otherwise.)
            fl = _flags(rng, ["v", "q", "t", "c", "k", opaque, "N0", "N1000", "J7", "D3",
                              "MD", "M+", "C{cas}"], 4)
            return b"ma %s %s\r\n" % (k, b" ".join(fl)), k
        if choice == "mg":
            fl = _flags(rng, ["v", "t", "c", "f", "k", opaque, "q", "T0", "T1000", "N1000"], 4)
            return b"mg %s %s\r\n" % (k, b" ".join(fl)), k
        if choice == "ms":
            v = b"%d" % rng.randint(0, 99999)
            fl = _flags(rng, ["T0", "T1000", "F3", "q", "c", "ME", "MR", "C{cas}"], 3)
            return b"ms %s %d %s\r\n%s\r\n" % (k, len(v), b" ".join(fl), v), k
        if choice == "md":
            fl = _flags(rng, ["q", "k", opaque, "C{cas}"], 2)
            return b"md %s %s\r\n" % (k, b" ".join(fl)), k
        if choice == "touch":
            return b"touch %s %d\r\n" % (k, _ttl(rng)), k
        return b"%s %s\r\n" % (choice.encode(), k), k
    if op < 0.12:
        v = _value(rng)
        cmd = rng.choice([b"set", b"add", b"replace", b"append", b"prepend"])
        nr = b" noreply" if rng.random() < 0.1 else b""
        return b"%s %s %d %d %d%s\r\n%s\r\n" % (cmd, k, rng.randint(0, 5), _ttl(rng), len(v), nr,
                                               v), k
    if op < 0.17:
        v = _value(rng)
        return b"cas %s 0 0 %d {cas}\r\n%s\r\n" % (k, len(v), v), k
    if op < 0.25:
        return rng.choice([b"get %s\r\n", b"gets %s\r\n", b"delete %s\r\n",
                           b"touch %s 1000\r\n", b"gat 0 %s\r\n"]) % k, k
    if op < 0.55:
        fl = _flags(rng, ["v", "s", "t", "c", "f", "k", opaque, "q", "T1000", "N1000", "N0",
                          "R500", "R30", "h", "l", "u"], 5)
        if rng.random() < 0.15:
            return b"mg %s b %s\r\n" % (base64.b64encode(k), b" ".join(fl)), k
        return b"mg %s %s\r\n" % (k, b" ".join(fl)), k
    if op < 0.8:
        v = _value(rng)
        fl = _flags(rng, ["T0", "T1000", "F%d" % rng.randint(0, 9), "q", "c", "k", opaque,
                          rng.choice(["ME", "MA", "MP", "MR", "MS"]), "C{cas}", "I"], 4)
        if rng.random() < 0.1:
            return b"ms %s %d b %s\r\n%s\r\n" % (base64.b64encode(k), len(v), b" ".join(fl), v), k
        return b"ms %s %d %s\r\n%s\r\n" % (k, len(v), b" ".join(fl), v), k
    if op < 0.95:
        fl = _flags(rng, ["q", "k", opaque, "I", "T1000", "C{cas}"], 3)
        return b"md %s %s\r\n" % (k, b" ".join(fl)), k
    if op < 0.97:
        return b"mg %s v\r\nmg %s bogus\r\n" % (k, k), k
    return b"mg %s k q\r\n" % k, k


CAS_OUT = re.compile(rb"(?:^VALUE (\S+) \d+ \d+ (\d+)\r\n)|(?:^(?:VA \d+|HD)[^\r\n]* c(\d+)[^\r\n]*)",
                     re.M)


def _learn_cas(out, key, table):
    for m in CAS_OUT.finditer(out):
        if m.group(2):
            table[m.group(1)] = m.group(2)
        elif m.group(3):
            table[key] = m.group(3)


def run_random(port_a, port_b, seed, count, prefix):
    rng = random.Random(seed)
    conns = [Mc(port_a), Mc(port_b)]
    cas = [{}, {}]
    history = []
    try:
        done = 0
        while done < count:
            # One command per round trip when it uses a CAS (the value learnt just before),
            # else batches of up to 20.
            batch = []
            while len(batch) < 20 and done < count:
                cmd, key = gen_command(rng, prefix)
                done += 1
                batch.append((cmd, key))
                if b"{cas}" in cmd or b" c" in cmd or b"gets" in cmd:
                    break
            outs = []
            for i, c in enumerate(conns):
                data = b"".join(cmd.replace(b"{cas}", cas[i].get(key, b"0")) for cmd, key in batch)
                try:
                    out = c.batch(data)
                except socket.timeout:
                    raise AssertionError((data, [b"timeout on server %d" % i, c.buf], history[-40:]))
                if len(batch) == 1:
                    _learn_cas(out, batch[0][1], cas[i])
                outs.append(out)
            a, b = normalize(outs[0]), normalize(outs[1])
            sent = b"".join(c.replace(b"{cas}", b"<cas>") for c, _ in batch)
            history.append((sent, outs))
            assert b == a, (sent, outs, history[-40:])
    finally:
        for c in conns:
            c.close()


@pytest.mark.parametrize("seed", [7, 25, 61])
def test_random_differential_vs_memcached(srv, real_memcached, seed):
    prefix = b"r%d_%d_%d_" % (srv.threads, seed, random.randrange(1 << 30))
    run_random(real_memcached, srv.memcached_port, seed=srv.threads * 1000 + seed, count=20000,
               prefix=prefix)


def test_last_access_seconds(srv):
    """l: seconds since the item was last accessed, before this read (then it is 0 again)."""
    c = Mc(srv.memcached_port)
    try:
        assert c.batch(b"ms idle 1\r\nx\r\n") == b"HD\r\n"
        time.sleep(2.2)
        first = c.batch(b"mg idle l h\r\n")
        assert re.fullmatch(rb"HD l(\d+) h0\r\n", first), first
        assert int(first.split()[1][1:]) >= 2
        assert c.batch(b"mg idle l h\r\n") in (b"HD l0 h1\r\n", b"HD l1 h1\r\n")
    finally:
        c.close()
