#!/usr/bin/env python3
"""Copies every datagram of one multicast group:port to another, like a
misconfigured switch or router that leaks one class's traffic into the next
room. Usage: relay.py SRC_GROUP SRC_PORT DST_GROUP DST_PORT SECONDS
Prints {"final":true,"copied":N} when done."""
import json
import socket
import struct
import sys
import time

src, sport, dst, dport, secs = sys.argv[1], int(sys.argv[2]), sys.argv[3], int(sys.argv[4]), float(sys.argv[5])
rx = socket.socket(socket.AF_INET, socket.SOCK_DGRAM, socket.IPPROTO_UDP)
rx.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
rx.bind((src, sport))
rx.setsockopt(socket.IPPROTO_IP, socket.IP_ADD_MEMBERSHIP,
              struct.pack("4s4s", socket.inet_aton(src), socket.inet_aton("127.0.0.1")))
rx.settimeout(0.2)
tx = socket.socket(socket.AF_INET, socket.SOCK_DGRAM, socket.IPPROTO_UDP)
tx.setsockopt(socket.IPPROTO_IP, socket.IP_MULTICAST_TTL, 1)
tx.setsockopt(socket.IPPROTO_IP, socket.IP_MULTICAST_LOOP, 1)
tx.setsockopt(socket.IPPROTO_IP, socket.IP_MULTICAST_IF, socket.inet_aton("127.0.0.1"))
copied = 0
end = time.monotonic() + secs
while time.monotonic() < end:
    try:
        data = rx.recv(65536)
    except socket.timeout:
        continue
    tx.sendto(data, (dst, dport))
    copied += 1
print(json.dumps({"final": True, "copied": copied}, separators=(",", ":")))
