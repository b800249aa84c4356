#!/usr/bin/env python3
"""Writes the raw A-law payload the rtp_stream scenarios play.

usage: alaw.py OUT [SECONDS]

The baseline kit ships g711a.alaw cut from SIPp's g711a.pcap; on a clone
without the kit the bench scripts write this instead: SECONDS (default 7.08,
the kit's length) of a 440 Hz + 1 kHz tone at -12 dBFS, 8 kHz, G.711 A-law
(ITU-T G.711, the even bits inverted). For a relay one payload is as good as
another: 160 bytes every 20 ms.
"""
import math
import sys


def alaw(sample):
    """One 16-bit linear sample to A-law."""
    s = sample >> 3  # 13-bit magnitude range
    sign = 0x80 if s >= 0 else 0x00
    if s < 0:
        s = -s - 1
    if s > 0xFFF:
        s = 0xFFF
    if s < 32:
        code = s >> 1
    else:
        seg = s.bit_length() - 5  # 1..7
        code = (seg << 4) | ((s >> seg) & 0x0F)
    return (code | sign) ^ 0x55


def main(a):
    if len(a) not in (2, 3):
        sys.exit(__doc__)
    secs = float(a[2]) if len(a) == 3 else 7.08
    n = int(8000 * secs)
    amp = 32767 * 10 ** (-12 / 20) / 2
    out = bytearray(alaw(int(amp * (math.sin(2 * math.pi * 440 * i / 8000) +
                                    math.sin(2 * math.pi * 1000 * i / 8000)))) for i in range(n))
    with open(a[1], 'wb') as f:
        f.write(out)


if __name__ == '__main__':
    main(sys.argv)
