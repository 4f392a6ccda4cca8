#!/usr/bin/env python3
"""Damages a Matroska file's audio track, for the tests of a film whose sound
cannot be decoded (test_cinema_bad_audio.sh).

  mkv_damage.py IN OUT --from A [B]     every audio frame from film time A
                                        (to B) is overwritten with bytes the
                                        decoder or the demuxer's parser
                                        rejects (its length kept)
  mkv_damage.py IN OUT --codec          the audio track's CodecID becomes one
                                        no decoder knows (same length)

Prints how many frames it damaged. Only what the test files need of EBML:
the Segment, Tracks/TrackEntry, Cluster/Timecode and (Simple)Block.
"""
import struct
import sys

SEGMENT, CLUSTER, TRACKS, TRACK_ENTRY = 0x18538067, 0x1F43B675, 0x1654AE6B, 0xAE
BLOCK_GROUP, SIMPLE_BLOCK, BLOCK = 0xA0, 0xA3, 0xA1
TRACK_NUMBER, TRACK_TYPE, CODEC_ID, TIMECODE = 0xD7, 0x83, 0x86, 0xE7
TIMECODE_SCALE, INFO = 0x2AD7B1, 0x1549A966
MASTERS = {SEGMENT, CLUSTER, TRACKS, TRACK_ENTRY, BLOCK_GROUP, INFO}


def vint(buf, pos, keep_marker):
    first = buf[pos]
    n = 1
    while n <= 8 and not first & (0x80 >> (n - 1)):
        n += 1
    if n > 8:
        raise ValueError("bad EBML number at %d" % pos)
    v = first if keep_marker else first & (0xFF >> n)
    for b in buf[pos + 1:pos + n]:
        v = v << 8 | b
    unknown = not keep_marker and v == (1 << (7 * n)) - 1
    return v, n, unknown


def elements(buf, pos, end):
    while pos < end:
        eid, n1, _ = vint(buf, pos, True)
        size, n2, unknown = vint(buf, pos + n1, False)
        data = pos + n1 + n2
        stop = end if unknown else min(end, data + size)
        yield eid, data, stop
        pos = stop


def uint(buf, a, b):
    return int.from_bytes(buf[a:b], "big") if b > a else 0


def main():
    src, dst, mode = sys.argv[1], sys.argv[2], sys.argv[3]
    after = float(sys.argv[4]) if mode == "--from" else 0.0
    until = float(sys.argv[5]) if mode == "--from" and len(sys.argv) > 5 \
        else float("inf")
    until = float(sys.argv[5]) if mode == "--from" and len(sys.argv) > 5 \
        else float("inf")
    buf = bytearray(open(src, "rb").read())
    audio = set()
    scale = 1000000
    damaged = 0

    def walk(pos, end, cluster_tc):
        nonlocal scale, damaged
        for eid, a, b in elements(buf, pos, end):
            if eid == TIMECODE_SCALE:
                scale = uint(buf, a, b)
            elif eid == TRACK_ENTRY:
                num = kind = None
                codec = None
                for cid, ca, cb in elements(buf, a, b):
                    if cid == TRACK_NUMBER:
                        num = uint(buf, ca, cb)
                    elif cid == TRACK_TYPE:
                        kind = uint(buf, ca, cb)
                    elif cid == CODEC_ID:
                        codec = (ca, cb)
                if kind == 2:
                    audio.add(num)
                    if mode == "--codec" and codec:
                        ca, cb = codec
                        buf[ca:cb] = b"A_" + b"X" * (cb - ca - 2)
                        damaged += 1
            elif eid == CLUSTER:
                tc = 0
                for cid, ca, cb in elements(buf, a, b):
                    if cid == TIMECODE:
                        tc = uint(buf, ca, cb)
                walk(a, b, tc)
            elif eid in (SIMPLE_BLOCK, BLOCK) and mode == "--from":
                track, n, _ = vint(buf, a, False)
                rel = struct.unpack(">h", bytes(buf[a + n:a + n + 2]))[0]
                t = (cluster_tc + rel) * scale / 1e9
                if track in audio and after <= t < until:
                    # No lacing in the files the tests make: the frame is
                    # the rest of the block. 0xff everywhere is no valid
                    # AAC/Opus/MP3 frame.
                    frame = a + n + 3
                    buf[frame:b] = b"\xff" * (b - frame)
                    damaged += 1
            elif eid in MASTERS:
                walk(a, b, cluster_tc)

    walk(0, len(buf), 0)
    open(dst, "wb").write(buf)
    print(damaged)
    return 0 if damaged else 1


if __name__ == "__main__":
    sys.exit(main())
