"""Per-type parts of the differential test (kvdiff.py).

Each family module (hashes, lists, sets, ...) provides:
  choices(gen)            -> [(weight, lambda: [args...]), ...] commands on gen.key() keys
  same(args, a, b)        -> True/False to judge two parsed replies itself, None to leave it to
                             kvdiff's exact comparison (raw bytes)
  order_free(args)        -> True when the reply's element order is unspecified (SMEMBERS, ...):
                             the raw bytes are then not compared, only `same`
  after(args)             -> commands to run on both servers after `args` so that a random
                             effect (SPOP, ...) leaves them in the same state again
  dump(conn, key, type)   -> the key's contents for the periodic state comparison, or None if
                             the type is not this family's (type is the TYPE reply, bytes)
same, order_free, after and dump may be left out by a family that has nothing to say there.
Optionally:
  run(conn, args)         -> for pseudo-commands the family generates (names ending in "-ALL",
                             e.g. ["HSCAN-ALL", key, ...] iterating HSCAN to the end): a 1-tuple
                             (parsed reply,) compared with `same`; None for anything else.
                             conn.call(*args) returns a parsed reply (kv_resp.RespError on
                             errors).
  run_side(side, proto, args) -> like run, for pseudo-commands that need the whole server side
                             (kvdiff.Side: its own connections, `state`, the `shared` dict
                             through which the reference side, run first, hands its results to
                             the other); None for anything else.
  explain(args, a, b)     -> the text of a mismatch for a pseudo-command, or None.
  reset(side)             -> called when kvdiff resynchronises the servers after a mismatch.
  close(side)             -> called when a side closes its connections.
"""

import importlib
import os

_HERE = os.path.dirname(os.path.abspath(__file__))
ALL = []
for _name in sorted(f[:-3] for f in os.listdir(_HERE) if f.endswith(".py") and f != "__init__.py"):
    ALL.append(importlib.import_module("families." + _name))


def order_free(args):
    return any(f.order_free(args) for f in ALL if hasattr(f, "order_free"))


def after(args):
    out = []
    for f in ALL:
        if hasattr(f, "after"):
            out += f.after(args)
    return out


def same(args, a, b):
    """The first family's verdict on two replies to args, or None."""
    for f in ALL:
        verdict = f.same(args, a, b) if hasattr(f, "same") else None
        if verdict is not None:
            return verdict
    return None


def run(conn, args, side=None, proto=None):
    for f in ALL:
        r = None
        if side is not None and hasattr(f, "run_side"):
            r = f.run_side(side, proto, args)
        if r is None and hasattr(f, "run"):
            r = f.run(conn, args)
        if r is not None:
            return r
    return None


def explain(args, a, b):
    for f in ALL:
        text = f.explain(args, a, b) if hasattr(f, "explain") else None
        if text is not None:
            return text
    return None


def reset(side):
    for f in ALL:
        if hasattr(f, "reset"):
            f.reset(side)


def close(side):
    for f in ALL:
        if hasattr(f, "close"):
            f.close(side)


def dump_value(conn, key, typ):
    for f in ALL:
        v = f.dump(conn, key, typ) if hasattr(f, "dump") else None
        if v is not None:
            return v
    return conn.call("GET", key) if typ == b"string" else typ
