#!/usr/bin/python3
"""FUNCTION DUMP payloads between Strata's encoder/decoder and a real redis-server, both ways.

Run by hand (not part of `make test`):
  /usr/bin/python3 tests/interop/function_dump_redis.py \
      --tool build/release/tests/interop/function-dump-tool [--redis redis-server] [--port N]

It starts redis-server without persistence on a loopback port, then:
  1. loads libraries with FUNCTION LOAD (small, LZF-compressible, binary bytes, a 20 KB one with
     a 32-bit length), takes FUNCTION DUMP, and checks that Strata's decoder reads back exactly
     the codes FUNCTION LIST WITHCODE shows, and that Strata's encoder, given those codes in the
     same order, produces Redis's bytes;
  2. encodes the libraries with Strata's encoder in another order, restores that payload with
     FUNCTION RESTORE ... FLUSH, and checks FUNCTION LIST WITHCODE and an FCALL of each library;
  3. sends damaged payloads to FUNCTION RESTORE and checks that Redis's error is the one Strata's
     decoder reports.
Needs redis-py (Debian's python3-redis). Prints one line per check and a summary; exits 1 on a
failure.
"""

import argparse
import os
import socket
import struct
import subprocess
import sys
import tempfile
import time

import redis


def free_port():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


def libraries():
    big = "#!lua name=big\n" + "".join(
        "redis.register_function('b%d', function(keys, args) return %d end)\n" % (i, i)
        for i in range(4))
    binary = (b"#!lua name=bin\nredis.register_function('bin1', function() return 'bin' end)\n"
              b"-- \x00\x01\xff\xfe\r\n--\xc3\xa9\x80\x7f")
    x, junk = 7, bytearray()
    for _ in range(20000):
        x = (x * 1103515245 + 12345) & 0xffffffff
        b = (x >> 16) & 0xff
        junk.append(32 if b in (10, 13) else b)
    large = (b"#!lua name=large\nredis.register_function('l1', function() return 'large' end)\n--"
             + bytes(junk))
    return {
        "tiny": (b"#!lua name=tiny\nredis.register_function('t1', function() return 't' end)", "t1"),
        "big": (big.encode(), "b2"),
        "bin": (binary, "bin1"),
        "large": (large, "l1"),
    }


class Tool:
    def __init__(self, path, workdir):
        self.path, self.workdir = path, workdir

    def encode(self, codes):
        files = []
        for i, code in enumerate(codes):
            name = os.path.join(self.workdir, "lib%d" % i)
            with open(name, "wb") as f:
                f.write(code)
            files.append(name)
        return subprocess.run([self.path, "encode"] + files, check=True,
                              stdout=subprocess.PIPE).stdout

    def decode(self, payload):
        out = subprocess.run([self.path, "decode"], input=payload, check=True,
                             stdout=subprocess.PIPE).stdout
        codes, pos = [], 0
        while True:
            nl = out.index(b"\n", pos)
            line = out[pos:nl]
            if line == b"OK" or line.startswith(b"ERROR "):
                return codes, (None if line == b"OK" else line[len(b"ERROR "):].decode())
            n = int(line)
            codes.append(out[nl + 1:nl + 1 + n])
            pos = nl + 1 + n + 1


def listed_codes(r):
    return {lib[1].decode(): lib[7] for lib in r.execute_command("FUNCTION", "LIST", "WITHCODE")}


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--tool", default="build/release/tests/interop/function-dump-tool")
    ap.add_argument("--redis", default="redis-server")
    ap.add_argument("--port", type=int, default=0)
    args = ap.parse_args()

    port = args.port or free_port()
    workdir = tempfile.mkdtemp(prefix="function-dump-")
    proc = subprocess.Popen([args.redis, "--port", str(port), "--bind", "127.0.0.1", "--save", "",
                             "--appendonly", "no", "--dir", workdir],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    passed, failed = 0, 0

    def check(name, ok, detail=""):
        nonlocal passed, failed
        print("%s %s%s" % ("ok  " if ok else "FAIL", name, "" if ok else ": " + detail))
        if ok:
            passed += 1
        else:
            failed += 1

    try:
        r = redis.Redis(port=port)
        for _ in range(100):
            try:
                r.ping()
                break
            except redis.ConnectionError:
                time.sleep(0.05)
        tool = Tool(os.path.abspath(args.tool), workdir)
        libs = libraries()
        version = r.info("server")["redis_version"]
        print("redis-server %s on port %d" % (version, port))

        # 1. Redis's payload through Strata's decoder and encoder.
        r.function_flush()
        for code, _ in libs.values():
            r.function_load(code)
        payload = r.execute_command("FUNCTION", "DUMP")
        codes, err = tool.decode(payload)
        check("decode Redis's payload", err is None and
              sorted(codes) == sorted(listed_codes(r).values()), "error %r" % err)
        check("encode gives Redis's bytes", tool.encode(codes) == payload)

        # 2. Strata's payload restored by Redis.
        ours = tool.encode([code for code, _ in reversed(list(libs.values()))])
        r.function_flush()
        r.function_load("#!lua name=old\nredis.register_function('old', function() return 1 end)")
        check("FUNCTION RESTORE FLUSH", r.execute_command("FUNCTION", "RESTORE", ours, "FLUSH") == b"OK")
        check("restored codes", listed_codes(r) == {name: code for name, (code, _) in libs.items()})
        for name, (_, function) in libs.items():
            try:
                reply = r.fcall(function, 0)
                check("FCALL %s" % function, reply is not None)
            except redis.ResponseError as e:
                check("FCALL %s" % function, False, str(e))

        # 3. Damaged payloads: Redis's error is the decoder's.
        def seal(body, version=10):
            b = body + struct.pack("<H", version)
            return b + struct.pack("<Q", crc64(b))

        small = libs["tiny"][0]
        good = b"\xf5" + bytes([0x40 | (len(small) >> 8), len(small) & 0xff]) + small
        bad_crc = bytearray(ours)
        bad_crc[-1] ^= 0x01
        cases = {
            "bad checksum": bytes(bad_crc),
            "short": b"\x0a\x00\x00",
            "version 11": seal(good, 11),
            "not a function": seal(b"\x00" + good[1:]),
            "truncated string": seal(good[:40]),
            "bad length": seal(b"\xf5\x82" + small),
            "bad encoding": seal(b"\xf5\xc5" + small),
            "bad LZF": seal(b"\xf5\xc3\x05\x20\xff\xff\xff\xff\xff"),
            "pre-GA engine": seal(b"\xf6\x04name\x3f"),
        }
        for name, bad in cases.items():
            _, err = tool.decode(bad)
            try:
                reply = "OK %r" % r.execute_command("FUNCTION", "RESTORE", bad)
            except redis.ResponseError as e:
                reply = "ERR " + str(e)
            check("error: " + name, err is not None and reply == err,
                  "redis %r, decoder %r" % (reply, err))
    finally:
        proc.terminate()
        proc.wait(timeout=10)
    print("%d passed, %d failed" % (passed, failed))
    return 1 if failed else 0


POLY = 0xad93d23594c935a9


def _table():
    rev = int("{:064b}".format(POLY)[::-1], 2)
    t = []
    for i in range(256):
        c = i
        for _ in range(8):
            c = (c >> 1) ^ rev if c & 1 else c >> 1
        t.append(c)
    return t


TABLE = _table()


def crc64(data, crc=0):
    """Redis's CRC-64, to seal hand-made payloads (Strata's own is in src/base/crc64.cc)."""
    for b in data:
        crc = TABLE[(crc ^ b) & 0xff] ^ (crc >> 8)
    return crc


assert crc64(b"123456789") == 0xe9c6d914c4b8d9ca


if __name__ == "__main__":
    sys.exit(main())
