"""What a student played (or ffmpeg decoded), read back for the tests that
check sound: 48 kHz mono 16-bit WAV cut into 20 ms frames, loudness, and
the power of a pitch by the Goertzel filter. lib.sh puts this folder on
PYTHONPATH."""
import math
import struct
import wave

RATE = 48000
FRAME = 960  # 20 ms


def power(x, f):
    """Power of pitch f (Hz) in the samples x."""
    k = 2 * math.cos(2 * math.pi * f / RATE)
    s1 = s2 = 0.0
    for v in x:
        s1, s2 = v + k * s1 - s2, s1
    return s1 * s1 + s2 * s2 - k * s1 * s2


def frames(path):
    """The file's 20 ms frames, each a tuple of samples."""
    w = wave.open(path)
    assert w.getframerate() == RATE and w.getnchannels() == 1, path
    n = w.getnframes()
    pcm = struct.unpack("<%dh" % n, w.readframes(n))
    return [pcm[i:i + FRAME] for i in range(0, n - FRAME + 1, FRAME)]


def rms(x):
    return math.sqrt(sum(v * v for v in x) / len(x)) if x else 0.0


def loud(frs, level=1000):
    """The frames louder than level (RMS)."""
    return [f for f in frs if rms(f) > level]


def share(frs, f0, pitches, most=100):
    """f0's share of the power the pitches share, summed over at most
    `most` frames spread evenly (frames apart do not keep the tone's
    phase, so each frame's power is summed, not the samples)."""
    step = max(1, len(frs) // most)
    p = {f: sum(power(x, f) for x in frs[::step]) for f in pitches}
    total = sum(p.values())
    return p[f0] / total if total else 0.0
