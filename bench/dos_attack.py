#!/usr/bin/env python3
"""A hostile student host, for bench/dos.sh and tests/integration/test_flood.sh.

Modes (every one stops by itself after SECS seconds, and bounds its work):
  hold    HOST PORT N SECS      N TCP connections opened and held, never
                                speaking; one the teacher closes is opened
                                again (at most 100 000 connects in all)
  trickle HOST PORT N SECS      N TCP connections, each sending a TLS
                                ClientHello one byte every 300 ms
  udp     HOST PORTS PPS SECS   random datagrams (garbage, and garbage that
                                starts like RTP/RTCP) at PPS per port to
                                each of PORTS (comma separated)
Prints one JSON line of what it did. Only ever talks to HOST, an address of
the caller's private lab.
"""
import errno
import json
import os
import random
import resource
import select
import socket
import struct
import sys
import time

MAX_CONNECTS = 100000


def client_hello():
    """A plausible TLS 1.3 ClientHello record (random, never valid)."""
    body = (b"\x03\x03" + os.urandom(32) + b"\x20" + os.urandom(32) +
            b"\x00\x02\x13\x01\x01\x00")
    ext = os.urandom(180)
    body += struct.pack("!H", len(ext)) + ext
    hs = b"\x01" + struct.pack("!I", len(body))[1:] + body
    return b"\x16\x03\x01" + struct.pack("!H", len(hs)) + hs


def tcp(host, port, n, secs, trickle):
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    want = n + 64
    if soft < want:
        resource.setrlimit(resource.RLIMIT_NOFILE, (max(want, soft),
                                                    max(want, hard)))
    end = time.monotonic() + secs
    conns = {}          # fd -> [socket, bytes sent, next send time]
    poller = select.poll()
    connects = closed = sent = 0
    hello = client_hello()
    while time.monotonic() < end:
        # Top up to n, at most 200 new connections per round.
        k = 0
        while len(conns) < n and connects < MAX_CONNECTS and k < 200:
            s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
            s.setblocking(False)
            try:
                s.connect((host, port))
            except BlockingIOError:
                pass
            except OSError:
                s.close()
                break
            conns[s.fileno()] = [s, 0, time.monotonic() + 0.3]
            poller.register(s.fileno(), select.POLLIN)
            connects += 1
            k += 1
        for fd, ev in poller.poll(50):
            c = conns.get(fd)
            if c is None:
                continue
            try:
                data = c[0].recv(4096)
            except BlockingIOError:
                continue
            except OSError:
                data = b""
            if not data:
                poller.unregister(fd)
                c[0].close()
                del conns[fd]
                closed += 1
        if trickle:
            now = time.monotonic()
            for fd, c in list(conns.items()):
                if now < c[2]:
                    continue
                c[2] = now + 0.3
                if c[1] >= len(hello):
                    continue
                try:
                    c[0].send(hello[c[1]:c[1] + 1])
                    c[1] += 1
                    sent += 1
                except (BlockingIOError, OSError):
                    pass
    for c in conns.values():
        c[0].close()
    return {"connects": connects, "closed_by_peer": closed,
            "held_at_end": len(conns), "bytes_trickled": sent}


def udp(host, ports, pps, secs):
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    end = time.monotonic() + secs
    start = time.monotonic()
    n = errors = 0
    # Precomputed payloads: random bytes, and random bytes behind a
    # plausible RTP or RTCP (RR, NACK, PLI, APP) first word.
    pay = []
    for i in range(256):
        body = os.urandom(random.randint(8, 1200))
        kind = i % 3
        if kind == 1:
            body = struct.pack("!BBH", 0x80, 96, i) + body
        elif kind == 2:
            pt = random.choice((201, 204, 205, 206))
            body = struct.pack("!BBH", 0x81, pt, len(body) // 4) + body
        pay.append(body)
    while True:
        now = time.monotonic()
        if now >= end:
            break
        due = int((now - start) * pps)
        while n < due * len(ports):
            try:
                s.sendto(pay[n % 256], (host, ports[n % len(ports)]))
            except OSError:
                errors += 1
            n += 1
        time.sleep(0.002)
    return {"datagrams": n, "errors": errors, "ports": ports, "pps_per_port":
            pps}


def main():
    mode = sys.argv[1]
    if mode in ("hold", "trickle"):
        r = tcp(sys.argv[2], int(sys.argv[3]), int(sys.argv[4]),
                float(sys.argv[5]), mode == "trickle")
    elif mode == "udp":
        ports = [int(p) for p in sys.argv[3].split(",") if p]
        r = udp(sys.argv[2], ports, int(sys.argv[4]), float(sys.argv[5]))
    else:
        sys.exit("dos_attack.py: hold|trickle|udp")
    r["mode"] = mode
    print(json.dumps(r), flush=True)


if __name__ == "__main__":
    main()
