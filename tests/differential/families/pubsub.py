"""Pub/sub and keyspace notifications.

Each server gets eight more connections: six subscribers (three RESP2, three RESP3) that
SUBSCRIBE / PSUBSCRIBE / SSUBSCRIBE and unsubscribe from a small set of channels and glob patterns
(binary names, `*`, `?`, ranges, escapes, malformed classes), and two notification subscribers
(RESP2 and RESP3) that PSUBSCRIBE `__key*@*__:*` for the whole run.

Two pseudo-commands:
  ["PS-ALL", target, command...]   one pub/sub step. target is a subscriber ("r2a", ...), which
                                   runs the command (subscriptions, PING, a command RESP2
                                   refuses in subscribed mode, ...), or "pub": kvdiff's own
                                   connection, which runs PUBLISH / SPUBLISH / PUBSUB.
  ["NOTIFY-ALL", "||", cmd, "||", cmd, ...]   a block of commands of every family run on kvdiff's
                                   connection between CONFIG SET notify-keyspace-events <classes>
                                   and CONFIG SET notify-keyspace-events "".

After every step each subscriber is drained: it is sent PING with a token and read up to the
token's reply, so the frames before it are what the step made it receive (replies and pushes in
wire order). On Redis a push is written before the command that caused it replies; strata-server
may deliver it a little later (another thread), so on the other side each subscriber is first
read until it has received as many frames as Redis's did (or PUSH_WAIT passes), then synced.

Compared per step: the reply on kvdiff's connection, and every subscriber's frames, byte for
byte, except where Redis's order is a hash-table order or unspecified:
  - UNSUBSCRIBE / PUNSUBSCRIBE / SUNSUBSCRIBE without arguments: the channel names as a multiset,
    the counts in order;
  - PUBSUB CHANNELS / SHARDCHANNELS: as a set;
  - one message matching several patterns of one subscriber: those pmessages as a multiset;
  - a subscriber that publishes to itself (RESP3): its reply and its own message in either order;
  - in notification blocks, events of different keys as a multiset (keys on different shard
    threads publish independently); each key's own events keep their order.
"""

import socket
import time

import families
from kv_resp import ConnectionClosed, ProtocolError, _BytesParser, encode, parse_reply

PUSH_WAIT = 2.0  # how long the second server may take to deliver what Redis delivered
TOKEN = b"\x01sync"
SYNC = encode("PING", TOKEN)

SUBS = ["r2a", "r2b", "r2c", "r3a", "r3b", "r3c"]
NOTIFY_SUBS = ["n2", "n3"]
NOTIFY_PATTERN = "__key*@*__:*"
NOTIFY_CHANNELS = ["__keyevent@0__:set", "__keyspace@0__:k1"]  # n3 also has these

CHANNELS = ["a", "b", "ab", "abc", "hello", "hallo", "hxllo", "h\x00llo", "", "a*", "[a]", "-",
            "\\", "{t}1", "{t}2", "c" * 70, "\xff\r\n", "__keyspace@0__:k1", "k1"]
# Published to but never subscribed: reached through patterns only.
PUBLISH_ONLY = ["hbllo", "c", "]", "a\\", "aXb", "x:k1", "heeello", "[", "b" * 70, "^"]
PATTERNS = ["*", "a*", "*b", "?", "a?", "??", "[a-c]", "[a-c]*", "[^a]*", "[c-a]", "h[ae]llo",
            "h?llo", "h*o", "a\\*", "\\*", "[\\]]", "[", "a[", "[a-", "\\", "a\\", "**", "*?*",
            "h\x00*", "{t}*", "[]]", "[a-]", "__key*@0__:*", "*:k?", "*\xff*", "[^]", "h[^a-f]llo"]
SHARD_CHANNELS = ["a", "b", "{t}1", "{t}2", "s", "", "x\x00y", "hello"]
MESSAGES = ["", "hi", "hello world", "\x00\r\n\xff", "1", "m" * 100, "z" * 5000]
PUBSUB_PATTERNS = ["*", "a*", "?", "h?llo", "[a-c]*", "{t}*", "*\\*", "[", "nomatch", "__key*"]

# notify-keyspace-events values the blocks run with (the last two are refused).
MIXES = ["KEA", "KEA", "KEA", "Kg$", "El", "KEAn", "KEAm", "KEAnm", "Ksh", "Ezt", "K$lshz",
         "Egx", "AK", "E", "KA", "g$lE", "KEd", "Kn", "Em", "KEA", "Kw", "Q"]

PSEUDO = ("PS-ALL", "NOTIFY-ALL")
SEP = "||"

_nested = [False]

_KINDS = {b"message", b"pmessage", b"smessage", b"subscribe", b"psubscribe", b"ssubscribe",
          b"unsubscribe", b"punsubscribe", b"sunsubscribe"}
_UNSUBS = ("UNSUBSCRIBE", "PUNSUBSCRIBE", "SUNSUBSCRIBE")


# ------------------------------------------------------------------------------ generation

def _chans(gen, pool, lo=1, hi=3):
    return [gen.r.choice(pool) for _ in range(gen.r.randint(lo, hi))]


def _ps_sub(gen):
    r = gen.r
    target = r.choice(SUBS)
    p = r.random()
    if p < 0.2:
        cmd = ["SUBSCRIBE"] + _chans(gen, CHANNELS)
    elif p < 0.37:
        cmd = ["PSUBSCRIBE"] + _chans(gen, PATTERNS)
    elif p < 0.5:
        cmd = ["SSUBSCRIBE"] + _chans(gen, SHARD_CHANNELS)
    elif p < 0.62:
        cmd = ["UNSUBSCRIBE"] + _chans(gen, CHANNELS, 0 if r.random() < 0.2 else 1)
    elif p < 0.72:
        cmd = ["PUNSUBSCRIBE"] + _chans(gen, PATTERNS, 0 if r.random() < 0.2 else 1)
    elif p < 0.8:
        cmd = ["SUNSUBSCRIBE"] + _chans(gen, SHARD_CHANNELS, 0 if r.random() < 0.2 else 1)
    elif p < 0.87:
        cmd = ["PING"] + r.choice([[], [], ["hi"], [""], ["a", "b"]])
    elif p < 0.97:
        # Refused by RESP2 in subscribed mode; RESP3 (and RESP2 with no subscription) runs it.
        cmd = r.choice([["GET", gen.key()], ["ECHO", "x"], ["DBSIZE"], ["PUBSUB", "NUMPAT"],
                        ["PUBLISH", r.choice(CHANNELS), r.choice(MESSAGES)],
                        ["SPUBLISH", r.choice(SHARD_CHANNELS), r.choice(MESSAGES)],
                        ["EXISTS", gen.key(), gen.key()]])
    else:
        cmd = [r.choice(["SUBSCRIBE", "PSUBSCRIBE", "SSUBSCRIBE"])]  # arity error
    if r.random() < 0.05:
        cmd[0] = cmd[0].lower()
    return ["PS-ALL", target] + cmd


def _ps_pub(gen):
    r = gen.r
    p = r.random()
    if p < 0.45:
        cmd = ["PUBLISH", r.choice(CHANNELS + PUBLISH_ONLY), r.choice(MESSAGES)]
    elif p < 0.6:
        cmd = ["SPUBLISH", r.choice(SHARD_CHANNELS + ["c", "{t}3"]), r.choice(MESSAGES)]
    elif p < 0.7:
        cmd = ["PUBSUB", "CHANNELS"] + ([r.choice(PUBSUB_PATTERNS)] if r.random() < 0.6 else [])
    elif p < 0.8:
        cmd = ["PUBSUB", "NUMSUB"] + _chans(gen, CHANNELS + ["zz"], 0, 4)
    elif p < 0.85:
        cmd = ["PUBSUB", "NUMPAT"]
    elif p < 0.91:
        cmd = ["PUBSUB", "SHARDCHANNELS"] + ([r.choice(PUBSUB_PATTERNS)] if r.random() < 0.6
                                             else [])
    elif p < 0.97:
        cmd = ["PUBSUB", "SHARDNUMSUB"] + _chans(gen, SHARD_CHANNELS + ["zz"], 0, 4)
    else:
        cmd = r.choice([["PUBLISH", "a"], ["SPUBLISH", "a"], ["PUBSUB"], ["PUBSUB", "FOO"],
                        ["PUBSUB", "NUMPAT", "x"], ["PUBSUB", "CHANNELS", "a", "b"],
                        ["PUBSUB", "SHARDCHANNELS", "a", "b"], ["PUBSUB", "NUMSUB", ""],
                        ["PUBLISH", "a", "b", "c"]])
    if r.random() < 0.05:
        cmd[0] = cmd[0].lower()
    return ["PS-ALL", "pub"] + cmd


def _far(gen):
    return gen.far_secs()


def _elems(gen):
    return [gen.r.choice(["a", "b", "c", "1", "2", "3", "x" * 70])
            for _ in range(gen.r.randint(1, 4))]


# Keys the notification blocks aim their typed commands at (besides kvdiff's shared keys, which
# hold any type and mostly answer WRONGTYPE), so most commands change something.
POOLS = {"string": ["nv:1", "nv:2{t}"], "list": ["nl:1", "nl:2{t}"], "set": ["ns:1", "ns:2{t}"],
         "zset": ["nz:1", "nz:2{t}"], "hash": ["nh:1", "nh:2{t}"], "stream": ["nx:1", "nx:2{t}"]}
ALL_POOL = [key for keys in POOLS.values() for key in keys]


def _notify_cmds(gen):
    """Commands picked for the events they raise; one or two steps (a push, then a blocking pop
    it serves at once)."""
    r, v = gen.r, gen.value

    def k():
        return r.choice(ALL_POOL) if r.random() < 0.5 else gen.key()

    def tk(kind):
        return r.choice(POOLS[kind]) if r.random() < 0.75 else gen.key()

    s, l, st, z, h, x = (lambda: tk("string")), (lambda: tk("list")), (lambda: tk("set")), \
        (lambda: tk("zset")), (lambda: tk("hash")), (lambda: tk("stream"))
    pick = r.choice([
        # generic
        lambda: [[r.choice(["EXPIRE", "PEXPIRE"]), k(), _far(gen) + r.choice(["", "000"])]],
        lambda: [[r.choice(["EXPIRE", "PEXPIRE"]), k(), r.choice(["-5", "0"])]],
        lambda: [["EXPIREAT", k(), r.choice(["1", _far(gen)])]],
        lambda: [["PERSIST", k()]],
        lambda: [["SET", s(), v(), "EX", _far(gen)]],
        lambda: [["GETEX", s()] + r.choice([["PXAT", "1"], ["EX", _far(gen)], ["PERSIST"], []])],
        lambda: [[r.choice(["RENAME", "RENAMENX"]), k(), k()]],
        lambda: [["COPY", k(), k()] + r.choice([[], ["REPLACE"], ["DB", r.choice("0123")],
                                                ["DB", r.choice("0123"), "REPLACE"]])],
        lambda: [["MOVE", k(), r.choice("0123")]],
        lambda: [[r.choice(["DEL", "UNLINK"])] + [k() for _ in range(r.randint(1, 4))]],
        lambda: [["TOUCH", k(), k()]],
        lambda: [["SELECT", r.choice("0012")]],
        lambda: [["SWAPDB", "0", r.choice("123")]],
        # strings
        lambda: [["MSET"] + [y for _ in range(r.randint(1, 3)) for y in (s(), v())]],
        lambda: [["MSETNX"] + [y for _ in range(r.randint(1, 3)) for y in (s(), v())]],
        lambda: [[r.choice(["SET", "SETNX", "GETSET", "APPEND"]), s(), v()]],
        lambda: [[r.choice(["INCR", "DECR", "GETDEL", "GET", "STRLEN"]), s()]],
        lambda: [["INCRBYFLOAT", s(), "1.5"]],
        lambda: [["SETRANGE", s(), r.choice(["0", "3"]), r.choice(["ab", ""])]],
        lambda: [["MGET", s(), k()]],
        # hashes
        lambda: [["HSET", h(), "f", v(), r.choice(["f", "g"]), v()]],
        lambda: [["HDEL", h(), "f", "g"]],
        lambda: [[r.choice(["HINCRBY", "HINCRBYFLOAT"]), h(), "f", "2"]],
        lambda: [["HSETNX", h(), "g", v()]],
        lambda: [["HGET", h(), "f"]],
        # lists, and blocking pops served at once
        lambda: [[r.choice(["LPUSH", "RPUSH"]), l()] + _elems(gen)],
        lambda: [["LINSERT", l(), "BEFORE", "a", "z"]],
        lambda: [["LSET", l(), r.choice(["0", "-1", "9"]), "q"]],
        lambda: [["LTRIM", l(), r.choice(["1", "0", "5"]), "-1"]],
        lambda: [["LREM", l(), "0", "a"]],
        lambda: [[r.choice(["LPOP", "RPOP"]), l()] + r.choice([[], ["2"], ["100"]])],
        lambda: [["RPOPLPUSH", l(), l()]],
        lambda: [["LMOVE", l(), l(), "LEFT", "RIGHT"]],
        lambda: (lambda a, b: [["RPUSH", a] + _elems(gen), r.choice([
            ["BLPOP", a, b, "0.01"], ["BRPOP", a, b, "0.01"],
            ["BLMOVE", a, b, r.choice(["LEFT", "RIGHT"]), r.choice(["LEFT", "RIGHT"]), "0.01"],
            ["BRPOPLPUSH", a, b, "0.01"], ["BRPOPLPUSH", a, a, "0.01"],
            ["BLMPOP", "0.01", "2", a, b, r.choice(["LEFT", "RIGHT"]), "COUNT",
             r.choice(["1", "2", "10"])]])])(l(), l()),
        # sets
        lambda: [["SADD", st()] + _elems(gen)],
        lambda: [["SREM", st()] + _elems(gen)],
        lambda: [["SMOVE", st(), st(), r.choice(["a", "b"])]],
        lambda: [[r.choice(["SINTERSTORE", "SUNIONSTORE", "SDIFFSTORE"]), st(), st(), st()]],
        lambda: [["SPOP", st(), "100"]],
        # sorted sets
        lambda: [["ZADD", z()] + [y for _ in range(r.randint(1, 3))
                                  for y in (r.choice(["1", "2", "-1.5"]), r.choice("abc"))]],
        lambda: [["ZINCRBY", z(), "1", r.choice("abc")]],
        lambda: [["ZREM", z(), r.choice("abc"), r.choice("abc")]],
        lambda: [[r.choice(["ZPOPMIN", "ZPOPMAX"]), z()] + r.choice([[], ["5"]])],
        lambda: [["ZREMRANGEBYSCORE", z(), "-inf", "1"]],
        lambda: [["ZREMRANGEBYRANK", z(), "0", "0"]],
        lambda: [[r.choice(["ZUNIONSTORE", "ZINTERSTORE", "ZDIFFSTORE"]), z(), "2", z(), z()]],
        lambda: [["ZRANGESTORE", z(), z(), "0", "-1"]],
        lambda: (lambda a, b: [["ZADD", a, "1", "a", "2", "b"], r.choice([
            ["BZPOPMIN", a, b, "0.01"], ["BZPOPMAX", b, a, "0.01"],
            ["BZMPOP", "0.01", "2", a, b, r.choice(["MIN", "MAX"]), "COUNT", "3"]])])(z(), z()),
        # streams
        lambda: [["XADD", x(), _stream_id(gen), "f", v()]],
        lambda: [["XADD", x(), "NOMKSTREAM", _stream_id(gen), "f", "1"]],
        lambda: [["XADD", x(), "MAXLEN", "2", _stream_id(gen), "f", "1"]],
        lambda: [["XTRIM", x(), "MAXLEN", r.choice(["0", "1", "5"])]],
        lambda: [["XDEL", x(), r.choice(_recent_ids())]],
        lambda: [["XGROUP", "CREATE", x(), "g1", r.choice(["$", "0"])] +
                 r.choice([[], ["MKSTREAM"]])],
        lambda: [["XGROUP", r.choice(["CREATECONSUMER", "DELCONSUMER"]), x(), "g1",
                  r.choice(["alice", "bob"])]],
        lambda: [["XGROUP", "DESTROY", x(), "g1"]],
        lambda: [["XGROUP", "SETID", x(), "g1", "0"]],
        lambda: [["XREADGROUP", "GROUP", "g1", r.choice(["alice", "carol"]), "COUNT", "2",
                  "STREAMS", x(), ">"]],
        lambda: [["XSETID", x(), "99999999-0"]],
        # geo
        lambda: [["GEOADD", r.choice(["geo:a", z()]), "13.361389", "38.115556", "Palermo",
                  "15.087269", "37.502669", "Catania"]],
        lambda: [["GEOSEARCHSTORE", r.choice(["geo:dst", z()]), "geo:a", "FROMLONLAT", "15",
                  "37", "BYRADIUS", "500", "km"] + r.choice([[], ["STOREDIST"]])],
        lambda: [["GEORADIUS", "geo:a", "15", "37", "500", "km",
                  r.choice(["STORE", "STOREDIST"]), r.choice(["geo:dst", z()])]],
        # bitmaps, HyperLogLog
        lambda: [["SETBIT", s(), r.choice(["0", "7", "100"]), r.choice("01")]],
        lambda: [["BITOP", r.choice(["AND", "OR", "XOR"]), s(), s(), s()]],
        lambda: [["BITFIELD", s(), "SET", "u8", "0", "200", "INCRBY", "u8", "8", "1"]],
        lambda: [["PFADD", s()] + _elems(gen)],
        lambda: [["PFMERGE", s(), s(), s()]],
        lambda: [["PFCOUNT", s()]],
        # SORT ... STORE
        lambda: (lambda a: [["RPUSH", a, "3", "1", "2"],
                            ["SORT", a, "STORE", k()] + r.choice([[], ["DESC"]])])(l()),
        lambda: [["SORT", l(), "ALPHA", "STORE", k()]],
        # scripts
        lambda: [["EVAL", "redis.call('set', KEYS[1], ARGV[1]) return redis.call('del', KEYS[2])",
                  "2", s(), k(), v()]],
        lambda: [["EVAL", "return redis.pcall('lpush', KEYS[1], 'a')", "1", l()]],
    ])
    return pick()


def _stream_id(gen):
    import families.streams as streams
    return streams._new_id(gen)


def _recent_ids():
    import families.streams as streams
    return streams.S.recent


def _nested_command(gen):
    """A command of another family (transactions and scripts included)."""
    _nested[0] = True
    try:
        return gen.command()
    finally:
        _nested[0] = False


def _notify(gen):
    r = gen.r
    steps = [["CONFIG", "SET", "notify-keyspace-events", r.choice(MIXES)],
             ["CONFIG", "GET", "notify-keyspace-events"]]
    for _ in range(r.randint(3, 10)):
        if r.random() < 0.35:
            steps.append(_nested_command(gen))
        else:
            steps += _notify_cmds(gen)
    steps.append(["CONFIG", "SET", "notify-keyspace-events", ""])
    out = ["NOTIFY-ALL"]
    for s in steps:
        out += [SEP] + s
    return out


def choices(gen):
    import families.transactions as tx
    if _nested[0] or tx._nested[0]:
        return []
    return [(13, lambda: _ps_sub(gen)), (9, lambda: _ps_pub(gen)), (2, lambda: _notify(gen))]


def _split(args):
    """A pseudo-command's steps: [(target, command, keyed)]."""
    if args[0] == "PS-ALL":
        return [(args[1], list(args[2:]), False)]
    steps, cur = [], None
    for a in args[1:]:
        if a == SEP:
            if cur is not None:
                steps.append(("main", cur, True))
            cur = []
        else:
            cur.append(a)
    if cur is not None:
        steps.append(("main", cur, True))
    return steps


# ------------------------------------------------------------------------------ connections

def _try_frame(conn):
    """One complete frame from what the connection has buffered, or None."""
    if conn.pos >= len(conn.buf):
        return None
    data = bytes(conn.buf[conn.pos:])
    p = _BytesParser(data)
    try:
        p._parse()
    except ProtocolError as e:
        if "incomplete" in str(e):
            return None
        raise
    conn.pos += p.pos
    conn._compact()
    return data[:p.pos]


def _read_frame(conn, deadline):
    """The next raw frame, or None when the deadline passes first."""
    while True:
        raw = _try_frame(conn)
        if raw is not None:
            return raw
        left = deadline - time.monotonic()
        if left <= 0:
            return None
        conn.sock.settimeout(left)
        try:
            chunk = conn.sock.recv(1 << 16)
        except socket.timeout:
            return None
        except ConnectionResetError:
            chunk = b""
        finally:
            conn.sock.settimeout(conn.timeout)
        if not chunk:
            raise ConnectionClosed("connection closed by server")
        conn.buf += chunk


def _is_token(raw):
    v = parse_reply(raw)
    return v == TOKEN or (type(v) is list and len(v) == 2 and v[0] == b"pong" and v[1] == TOKEN)


def _until_token(conn, name):
    frames = []
    deadline = time.monotonic() + 10.0
    while True:
        raw = _read_frame(conn, deadline)
        if raw is None:
            raise TimeoutError("subscriber %s did not answer PING; it got %r" % (name, frames))
        if _is_token(raw):
            return frames
        frames.append(raw)


def _state(side):
    st = side.state.get("pubsub")
    if st is None:
        subs = {}
        for name in SUBS + NOTIFY_SUBS:
            subs[name] = side.server.conn(protocol=int(name[1]))
        subs["n2"].call("PSUBSCRIBE", NOTIFY_PATTERN)
        subs["n3"].call("PSUBSCRIBE", NOTIFY_PATTERN)
        for ch in NOTIFY_CHANNELS:
            subs["n3"].call("SUBSCRIBE", ch)
        st = side.state["pubsub"] = {"subs": subs}
    return st


def _collect(side, expect):
    """Every subscriber's frames up to a PING sync; with `expect` (the reference's frame
    counts), first waits for that many frames."""
    subs = _state(side)["subs"]
    out = {n: [] for n in subs}
    if expect is not None:
        deadline = time.monotonic() + PUSH_WAIT
        for n, c in subs.items():
            while len(out[n]) < expect.get(n, 0):
                raw = _read_frame(c, deadline)
                if raw is None:
                    break
                out[n].append(raw)
    for c in subs.values():
        c.send_raw(SYNC)
    for n, c in subs.items():
        out[n] += _until_token(c, n)
    return out


def reset(side):
    """Drops the subscribers' own subscriptions (the notification subscribers keep theirs) and
    switches notifications off; a connection that fails is replaced."""
    st = side.state.get("pubsub")
    try:
        side.checker.call("CONFIG", "SET", "notify-keyspace-events", "")
    except (OSError, ConnectionClosed, ProtocolError):
        pass
    if st is None:
        return
    try:
        for n, c in st["subs"].items():
            if n in SUBS:
                c.send_raw(encode("UNSUBSCRIBE") + encode("PUNSUBSCRIBE") +
                           encode("SUNSUBSCRIBE"))
            c.send_raw(SYNC)
        for n, c in st["subs"].items():
            _until_token(c, n)
        if not side.reference:
            time.sleep(0.1)  # late deliveries
        for c in st["subs"].values():
            while _read_frame(c, time.monotonic()) is not None:
                pass
    except (OSError, ConnectionClosed, ProtocolError):
        close(side)


def close(side):
    st = side.state.pop("pubsub", None)
    if st:
        for c in st["subs"].values():
            c.close()


# ------------------------------------------------------------------------------ comparison

def _push(raw):
    """A pub/sub frame as a list ([kind, ...]), or None for anything else."""
    try:
        v = parse_reply(raw)
    except ProtocolError:
        return None
    if isinstance(v, list) and v and isinstance(v[0], bytes) and v[0] in _KINDS:
        return v
    return None


def _pattern_runs(frames):
    """Frames with each run of pmessages for one (channel, message) sorted: Redis walks the
    matching patterns in hash-table order."""
    out, i = [], 0
    while i < len(frames):
        v = _push(frames[i])
        j = i + 1
        if v is not None and v[0] == b"pmessage" and len(v) == 4:
            while j < len(frames):
                w = _push(frames[j])
                if w is None or w[0] != b"pmessage" or len(w) != 4 or w[2:] != v[2:]:
                    break
                j += 1
        out += sorted(frames[i:j])
        i = j
    return out


def _event_key(raw):
    """(db, key) of a keyspace or keyevent message, else None."""
    v = _push(raw)
    if v is None or v[0] not in (b"message", b"pmessage"):
        return None
    ch, msg = v[-2], v[-1]
    for prefix, of_key in ((b"__keyspace@", True), (b"__keyevent@", False)):
        if isinstance(ch, bytes) and ch.startswith(prefix) and b"__:" in ch:
            db, rest = ch[len(prefix):].split(b"__:", 1)
            return (db, rest if of_key else msg)
    return None


def _by_key(frames):
    """Frames grouped by the key of their event, each group in order; other frames in order."""
    groups = {}
    for raw in frames:
        groups.setdefault(_event_key(raw), []).append(raw)
    return sorted(groups.items(), key=repr)


def _mass_unsub(frames):
    """An UNSUBSCRIBE without arguments: Redis lists the names in hash-table order."""
    kinds, names, counts, rest = [], [], [], []
    for raw in frames:
        v = _push(raw)
        if v is not None and len(v) == 3 and v[0].endswith(b"unsubscribe"):
            kinds.append(raw[:1] + v[0])
            names.append(v[1])
            counts.append(v[2])
        else:
            rest.append(raw)
    return ("unsubscribe-all", kinds, sorted(names, key=repr), counts, rest)


def _canon(target, cmd, keyed, name, frames):
    if name == target and cmd:
        cname = cmd[0].upper()
        if cname in _UNSUBS and len(cmd) == 1:
            return _mass_unsub(frames)
        if cname in ("PUBLISH", "SPUBLISH"):
            return sorted(frames)  # its own message and the reply, in either order
    frames = _pattern_runs(frames)
    return _by_key(frames) if keyed else frames


def _pub_reply(cmd, raw):
    if len(cmd) >= 2 and cmd[0].upper() == "PUBSUB" and \
            cmd[1].upper() in ("CHANNELS", "SHARDCHANNELS"):
        v = parse_reply(raw)
        if isinstance(v, list):
            return (raw[:1], sorted(v))
    return raw


# ------------------------------------------------------------------------------ running

def _run_step(side, proto, step, expect):
    target, cmd, keyed = step
    rec = {"raw": None, "parsed": None}
    subs = _state(side)["subs"]
    if target in subs:
        subs[target].send_raw(encode(*cmd))
    else:
        ra, pa = side.raw_and_parsed(proto, cmd)
        if ra is not None and not keyed:
            ra = _pub_reply(cmd, ra)
        rec["raw"], rec["parsed"] = ra, pa
        # A random effect (SPOP, ...) is evened out as kvdiff does; its events count too.
        for fix in families.after(cmd):
            side.conns[proto].call(*fix)
    frames = _collect(side, expect)
    rec["counts"] = {n: len(f) for n, f in frames.items()}
    rec["frames"] = {n: _canon(target, cmd, keyed, n, f) for n, f in frames.items()}
    return rec


def _fmt(cmd):
    s = " ".join(repr(a) if (not a or any(ch in a for ch in " \r\n\x00\"'\x01")) else a
                 for a in cmd)
    return s if len(s) < 300 else s[:300] + "..."


def _short(v):
    s = repr(v)
    return s if len(s) < 1500 else s[:1500] + "..."


def _compare(side, step, ref, got):
    """None if the step's results agree, else a description."""
    target, cmd, keyed = step
    lines = []
    if target not in _state(side)["subs"]:
        if keyed:
            ok = side.match(cmd, ref["raw"], ref["parsed"], got["raw"], got["parsed"])
        else:
            ok = ref["raw"] == got["raw"]
        if not ok:
            lines.append("      reply  redis : %s\n             strata: %s" % (
                _short(ref["raw"] if ref["raw"] is not None else ref["parsed"]),
                _short(got["raw"] if got["raw"] is not None else got["parsed"])))
    for n in ref["frames"]:
        if ref["frames"][n] != got["frames"].get(n):
            lines.append("      %s  redis : %s\n           strata: %s" % (
                n, _short(ref["frames"][n]), _short(got["frames"].get(n))))
    if not lines:
        return None
    return "    step on %s: %s\n%s" % (target, _fmt(cmd), "\n".join(lines))


def run_side(side, proto, args):
    if not args or args[0] not in PSEUDO:
        return None
    steps = _split(args)
    if side.reference:
        side.shared["pubsub"] = [_run_step(side, proto, s, None) for s in steps]
        return (("ref", len(steps)),)
    refs = side.shared.get("pubsub") or []
    for i, s in enumerate(steps):
        if i >= len(refs):
            return (("diff", "    the reference ran only %d steps" % len(refs)),)
        got = _run_step(side, proto, s, refs[i]["counts"])
        d = _compare(side, s, refs[i], got)
        if d is not None:
            return (("diff", "  step %d of %d\n%s" % (i + 1, len(steps), d)),)
    return (("ok",),)


def same(args, a, b):
    if not args or args[0] not in PSEUDO:
        return None
    return isinstance(b, tuple) and b[:1] == ("ok",)


def explain(args, a, b):
    if not args or args[0] not in PSEUDO:
        return None
    if isinstance(b, tuple) and b[:1] == ("diff",):
        return b[1]
    return "    redis : %r\n    strata: %r" % (a, b)


def order_free(args):
    return False


def after(args):
    return []
