#!/usr/bin/env python3
"""A hostile host on the class LAN, for the security test.

Forges plain RTP (valid H.264 syntax, the right channel extension), replays
genuine SRTP packets it captured, forges beacons, and opens control
connections that never speak TLS. Talks only to the given multicast group
and 127.0.0.1 inside the test's own network namespace.
"""
import os
import socket
import struct
import sys
import time

group, port, beacon_port, control_port, secs = (
    sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4]),
    float(sys.argv[5]))
channel = int(sys.argv[6])

rx = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
rx.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
rx.bind((group, port))
rx.setsockopt(socket.IPPROTO_IP, socket.IP_ADD_MEMBERSHIP,
              struct.pack("4s4s", socket.inet_aton(group), socket.inet_aton("0.0.0.0")))
rx.settimeout(2)
tx = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
tx.setsockopt(socket.IPPROTO_IP, socket.IP_MULTICAST_TTL, 1)

# 1. Capture genuine (encrypted) packets to replay later.
captured = []
end = time.time() + 1.0
while time.time() < end and len(captured) < 300:
    try:
        captured.append(rx.recv(2048))
    except socket.timeout:
        break

def forged_rtp(seq, ts, ssrc, payload):
    ext = struct.pack("!HHBHB", 0xBEDE, 1, 0x11, channel, 0)
    return struct.pack("!BBHII", 0x90, 96 | 0x80, seq & 0xffff, ts, ssrc) + ext + payload

# An IDR-looking NAL: type 5, then bytes that are not a valid picture.
idr = bytes([0x65]) + os.urandom(900)
sps = bytes([0x67, 0x42, 0xC0, 0x1E]) + os.urandom(8)

sent = replayed = beacons = conns = 0
deadline = time.time() + secs
seq = int.from_bytes(os.urandom(2), "big")
while time.time() < deadline:
    # 2. Forged plain RTP, with and without an SSRC of the genuine stream.
    for p in (sps, idr):
        tx.sendto(forged_rtp(seq, int(time.time() * 90000) & 0xffffffff, 0x1234, p), (group, port))
        seq += 1
        sent += 1
    if captured:
        genuine_ssrc = struct.unpack("!I", captured[0][8:12])[0]
        tx.sendto(forged_rtp(seq, 0, genuine_ssrc, idr), (group, port))
        sent += 1
        # 3. Replays of genuine packets, and a tampered copy.
        for pkt in captured[:20]:
            tx.sendto(pkt, (group, port))
            replayed += 1
        tampered = bytearray(captured[replayed % len(captured)])
        tampered[-1] ^= 1
        tx.sendto(bytes(tampered), (group, port))
        sent += 1
    # 4. Forged beacons pointing students at this host.
    b = b"LCB1" + struct.pack("!BBHHIQQQ", 1, 0, channel, control_port, 0x7f000001,
                              1, beacons + 1, int(time.time() * 1e6)) + os.urandom(32)
    tx.sendto(b, (group, beacon_port))
    beacons += 1
    # 5. A control connection that sends junk instead of TLS.
    try:
        c = socket.create_connection(("127.0.0.1", control_port), timeout=1)
        c.sendall(b"\x00\x00\x00\x10POWEROFF ALL NOW")
        c.close()
        conns += 1
    except OSError:
        pass
    time.sleep(0.1)
print('{"forged":%d,"replayed":%d,"beacons":%d,"conns":%d,"captured":%d,"final":true}'
      % (sent, replayed, beacons, conns, len(captured)))
