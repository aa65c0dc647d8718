"""MULTI/EXEC/DISCARD/WATCH/UNWATCH: transactions made of the other families' commands, on the
same keys, in one pseudo-command ["TX-ALL", ...] that sends MULTI, the commands, then EXEC (or
DISCARD) on one connection and compares every reply: the QUEUED acknowledgements, errors while
queuing (EXECABORT), per-command runtime errors and EXEC's array. WATCH comes before MULTI,
sometimes followed by a write to the watched key on the same connection (EXEC then fails)."""

import families

# Replies that differ between runs or servers even when both are right: left out of transactions.
_UNSTABLE = {"TTL", "PTTL", "EXPIRETIME", "PEXPIRETIME", "KEYS", "SCAN", "RANDOMKEY", "SPOP",
             "SRANDMEMBER", "HRANDFIELD", "ZRANDMEMBER", "OBJECT", "XADD", "XAUTOCLAIM", "XCLAIM",
             "XPENDING", "XINFO", "XREADGROUP", "MEMORY", "DEBUG", "SORT", "SORT_RO",
             "FUNCTION"}  # FUNCTION LIST lists libraries in Redis's hash-table order

_nested = [False]


def _inner(gen):
    """A command of another family, stable enough to compare inside EXEC's reply."""
    for _ in range(50):
        _nested[0] = True
        try:
            args = gen.command()
        finally:
            _nested[0] = False
        name = args[0].upper()
        if name.endswith("-ALL") or name in _UNSTABLE or families.order_free(args) or \
                families.after(args) or name in ("SELECT", "SWAPDB", "MOVE", "FLUSHALL",
                                                 "FLUSHDB", "CONFIG"):
            continue
        return args
    return ["PING"]


def choices(gen):
    if _nested[0]:
        return []
    r, k = gen.r, gen.key

    def tx():
        body = [_inner(gen) for _ in range(r.randint(0, 5))]
        out = ["TX-ALL"]
        if r.random() < 0.3:
            watched = k()
            out += ["WATCH", watched, "|"]
            if r.random() < 0.5:
                out += ["SET", watched, gen.value(), "|"]
        out += ["MULTI", "|"]
        if r.random() < 0.05:
            out += ["NOSUCHCOMMAND", "x", "|"]
        for cmd in body:
            out += cmd + ["|"]
        out += [r.choice(["EXEC"] * 9 + ["DISCARD"])]
        return out

    return [(3, tx)]



def run(conn, args):
    if args[0] != "TX-ALL":
        return None
    cmds, cur = [], []
    for a in args[1:]:
        if a == "|":
            cmds.append(cur)
            cur = []
        else:
            cur.append(a)
    cmds.append(cur)
    replies = [conn.call(*c) for c in cmds]
    conn.call("UNWATCH")  # DISCARD leaves the watch in place; the next command starts clean
    return (replies,)
