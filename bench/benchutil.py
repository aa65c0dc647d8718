"""Helpers shared by the side-by-side benches (atomicity, data types, messaging)."""

import os
import socket
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def port_free(port):
    s = socket.socket()
    try:
        s.bind(("127.0.0.1", port))
        return True
    except OSError:
        return False
    finally:
        s.close()


def pick_port(ports, taken):
    """A free port of `ports` not in `taken` (which it joins)."""
    for p in ports:
        if p not in taken and port_free(p):
            taken.add(p)
            return p
    raise RuntimeError("no free port in %d-%d" % (ports[0], ports[-1]))


def resp(*args):
    """One command in RESP."""
    out = [b"*%d\r\n" % len(args)]
    for a in args:
        a = a if isinstance(a, bytes) else str(a).encode()
        out.append(b"$%d\r\n%s\r\n" % (len(a), a))
    return b"".join(out)


def save_results(name, lines):
    """Writes the printed report to bench/results/<name>-<time>.txt."""
    os.makedirs(os.path.join(ROOT, "bench", "results"), exist_ok=True)
    path = os.path.join(ROOT, "bench", "results",
                        "%s-%s.txt" % (name, time.strftime("%Y%m%d-%H%M%S")))
    with open(path, "w") as f:
        f.write("\n".join(lines) + "\n")
    print("saved %s" % path)
