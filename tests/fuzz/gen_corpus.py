#!/usr/bin/env python3
"""Writes the seed corpora of the RTP fuzz targets (run from anywhere)."""
import os
import struct

HERE = os.path.dirname(os.path.abspath(__file__))
SSRC = 0x11223344
MTU = 1200


def rtp(seq, ts, marker, payload, ssrc=SSRC, pt=96):
    return struct.pack("!BBHII", 0x80, (0x80 if marker else 0) | pt,
                       seq & 0xffff, ts & 0xffffffff, ssrc) + payload


def nal(typ, size, seed):
    body = bytes(1 + (seed * 31 + i * 7) % 255 for i in range(size - 1))
    return bytes([0x60 | typ]) + body


def packetize(nals, seq, ts):
    """RFC 6184 like libcast: STAP-A for small neighbours, FU-A for big."""
    room = MTU - 12
    out = []
    i = 0
    while i < len(nals):
        n = nals[i]
        if len(n) > room:
            data, first = n[1:], True
            while data:
                chunk, data = data[:room - 2], data[room - 2:]
                hdr = (0x80 if first else 0) | (0 if data else 0x40)
                pl = bytes([(n[0] & 0xe0) | 28, hdr | (n[0] & 0x1f)]) + chunk
                last = not data and i == len(nals) - 1
                out.append(rtp(seq, ts, last, pl))
                seq, first = seq + 1, False
            i += 1
            continue
        group = [n]
        while (i + len(group) < len(nals) and
               1 + sum(2 + len(g) for g in group) + 2 +
               len(nals[i + len(group)]) <= room):
            group.append(nals[i + len(group)])
        if len(group) > 1:
            pl = bytes([0x78]) + b"".join(
                struct.pack("!H", len(g)) + g for g in group)
        else:
            pl = n
        i += len(group)
        out.append(rtp(seq, ts, i == len(nals), pl))
        seq += 1
    return out


def depack_input(cfg, pkts, jump_at=()):
    b = bytes([cfg])
    for k, p in enumerate(pkts):
        b += struct.pack("!H", len(p) | (0x8000 if k in jump_at else 0)) + p
    return b


def write(target, name, data):
    d = os.path.join(HERE, "corpus", target)
    os.makedirs(d, exist_ok=True)
    with open(os.path.join(d, name), "wb") as f:
        f.write(data)


def opus_rtp(seq, ts, payload, channel=7, pt=111):
    """RFC 7587 packet with the libcast channel extension (pt 112: signed
    Opus, the payload ending in a 64-byte signature)."""
    hdr = struct.pack("!BBHII", 0x90, pt, seq & 0xffff, ts & 0xffffffff,
                      0x0A0B0C0D)
    ext = struct.pack("!HHBHB", 0xBEDE, 1, 0x11, channel, 0)
    return hdr + ext + payload


def audio_input(pkts, ticks_before=()):
    b = b""
    for k, p in enumerate(pkts):
        b += struct.pack("!H", len(p) | (0x8000 if k in ticks_before else 0)) + p
    return b


def main():
    key = [nal(7, 12, 1), nal(8, 4, 2), nal(6, 30, 3), nal(5, 3000, 4)]
    inter = [nal(1, 700, 5), nal(1, 40, 6)]
    big = [nal(1, 6000, 7)]
    a = packetize(key, 65530, 0)
    b = packetize(inter, 65530 + len(a), 3000)
    c = packetize(big, 65530 + len(a) + len(b), 6000)
    stream = a + b + c
    write("fuzz_rtp_depack", "in_order", depack_input(0x3f, stream))
    swapped = stream[:]
    swapped[2], swapped[4] = swapped[4], swapped[2]
    swapped.insert(6, stream[5])
    write("fuzz_rtp_depack", "reorder_dup", depack_input(0x3f, swapped))
    lossy = stream[:3] + stream[4:]
    write("fuzz_rtp_depack", "loss", depack_input(0x1f, lossy, {4}))
    write("fuzz_rtp_depack", "small_window_au_limit",
          depack_input(0x42, stream))
    other = [rtp(100 + k, 90000, True, p[12:], ssrc=0x55)
             for k, p in enumerate(b)]
    write("fuzz_rtp_depack", "ssrc_change",
          depack_input(0xbf, a + other, {len(a)}))

    sr = struct.pack("!BBHIIIIII", 0x80, 200, 6, SSRC, 0xe1234567,
                     0x89abcdef, 90000, 10, 12000)
    cname = b"teacher@10.0.0.1"
    chunk = struct.pack("!IBB", SSRC, 1, len(cname)) + cname + b"\0"
    chunk += b"\0" * (-len(chunk) % 4)
    sdes = struct.pack("!BBH", 0x81, 202, len(chunk) // 4) + chunk
    rr = struct.pack("!BBHI", 0x80, 201, 1, 0x55)
    block = struct.pack("!IIIIII", 0x55, 0x01000010, 1234, 5, 6, 7)
    sr_rb = struct.pack("!BBHIIIIII", 0x81, 200, 12, SSRC, 0xe1234567,
                        0x89abcdef, 90000, 10, 12000) + block
    bye = struct.pack("!BBHI", 0x81, 203, 1, SSRC)
    write("fuzz_rtcp", "sr_sdes", sr + sdes)
    write("fuzz_rtcp", "rr_sr", rr + sr)
    write("fuzz_rtcp", "sr_block_bye", sr_rb + bye)
    write("fuzz_rtcp", "rr_only", rr)
    # The teacher's repair timing after the SDES: APP "LCRD".
    lcrd = struct.pack("!BBHI4sHBB", 0x80, 204, 3, SSRC, b"LCRD", 612, 128, 0)
    write("fuzz_rtcp", "sr_sdes_lcrd", sr + sdes + lcrd)
    write("fuzz_rtcp", "rtp", stream[0])

    # fuzz_h264_roundtrip: 2 bytes of MTU (28 + low 11 bits) and STAP-A
    # switch (top bit set: off), then one Annex B access unit.
    sc = b"\0\0\0\1"
    write("fuzz_h264_roundtrip", "key_1200",
          b"\x04\xa4" + sc + key[0] + sc + key[1] + b"\0\0\1" + key[3])
    write("fuzz_h264_roundtrip", "slices_100",
          b"\x00\x48" + sc + nal(1, 200, 8) + sc + nal(1, 3, 9) + sc +
          nal(1, 72, 10))
    write("fuzz_h264_roundtrip", "nostap",
          b"\x80\x48" + sc + nal(6, 10, 11) + sc + nal(1, 20, 12))
    # Voice: Opus TOC 0x78 (SILK wideband 20 ms) with filler bytes.
    frames = [opus_rtp(65530 + k, 960 * k, bytes([0x78]) + bytes(
        (k * 7 + i) & 0xff for i in range(40))) for k in range(12)]
    write("fuzz_audio_rtp", "in_order",
          audio_input(frames, set(range(2, 12))))
    mixed = [frames[0], frames[2], frames[1], frames[5], frames[5],
             frames[9], frames[3]]
    write("fuzz_audio_rtp", "reorder_loss_late",
          audio_input(mixed, {1, 3, 4, 5, 6}))
    signed = [opus_rtp(400 + k, 960 * k, bytes([0x78]) + bytes(
        (k * 5 + i) & 0xff for i in range(30)) + bytes(64), pt=112)
        for k in range(6)]
    write("fuzz_audio_rtp", "signed",
          audio_input(signed + [signed[1][:40]], {2, 3, 4, 5}))

    # fuzz_mauth: a bare auth payload (unsigned: the target re-signs), and
    # a stream of length-prefixed packets (top bit: re-sign) with the
    # frame's auth packet after it, then a forged packet of the same seq.
    import hashlib
    frame = packetize(inter, 700, 4000)
    hashes = b"".join(hashlib.blake2b(p, digest_size=16).digest()
                      for p in frame)
    first = 700
    payload = (struct.pack("!BBHIHH", 1, len(frame), first >> 32,
                           first & 0xffffffff, len(frame), 0) + hashes +
               b"\0" * 64)
    write("fuzz_mauth", "payload", payload)
    auth = rtp(700 + len(frame), 4000, False, payload, pt=100)

    def item(p, sign=False):
        return struct.pack("!H", len(p) | (0x8000 if sign else 0)) + p
    forged = rtp(700, 4000, False, nal(1, 300, 99))
    write("fuzz_mauth", "frame_signed",
          payload + b"".join(item(p) for p in frame) + item(auth, True) +
          item(forged))
    write("fuzz_mauth", "auth_first",
          payload + item(auth, True) + b"".join(item(p) for p in frame))


if __name__ == "__main__":
    main()
