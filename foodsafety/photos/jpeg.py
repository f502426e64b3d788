"""Walk a JPEG's segment structure without decoding it: how many scans will the decoder run?

A progressive JPEG is decoded scan by scan and every scan visits every block of its
components, so a small file can repeat a tiny scan thousands of times and keep a core busy
for minutes (libjpeg's `djpeg -maxscans` guards against exactly this). Counting the scans
needs the structure: marker segments are skipped by their length, entropy-coded data up to
the next real marker (a 0xFF followed by 0x00 is a stuffed data byte, 0xFF 0xD0-0xD7 a restart
marker inside the scan, extra 0xFF bytes are fill), so an SOS inside an EXIF thumbnail or in
entropy-coded data is never counted. Counting stops at EOI, where the decoder stops.
"""

from __future__ import annotations

import re

SOI, EOI, SOS = 0xD8, 0xD9, 0xDA
_STANDALONE = {0x01, SOI, *range(0xD0, 0xD8)}  # markers without a length field
# The end of entropy-coded data: 0xFF (and fill bytes) followed by a byte that is neither a
# stuffed zero nor a restart marker.
_MARKER_IN_SCAN = re.compile(rb"\xff\xff*[^\x00\xd0-\xd7\xff]")  # "\xff+" defeats the literal-prefix search


def count_scans(data: bytes) -> int:
    """The number of SOS segments the decoder meets before EOI (or the end of the data)."""
    if not data.startswith(b"\xff\xd8"):
        return 0
    scans, pos, end = 0, 2, len(data)
    while pos < end:
        # Between segments decoders skip stray bytes up to the next 0xFF, then any fill bytes.
        pos = data.find(b"\xff", pos)
        if pos < 0:
            break
        while pos < end and data[pos] == 0xFF:
            pos += 1
        if pos >= end:
            break
        marker = data[pos]
        pos += 1
        if marker == EOI:
            break
        if marker in _STANDALONE or marker == 0x00:
            continue
        if pos + 2 > end:
            break
        length = (data[pos] << 8) | data[pos + 1]
        if length < 2:
            break  # a broken length: the decoder gives up here too
        pos += length
        if marker == SOS:
            scans += 1
            found = _MARKER_IN_SCAN.search(data, pos)
            if found is None:
                break
            pos = found.start()
    return scans
