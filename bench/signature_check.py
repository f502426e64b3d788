"""What checking the operator's signature costs the web worker (it decodes in process, not in
the photo sandbox): ms per check, and the decoded pixels Pillow holds meanwhile, for a phone's
signature and for the largest PNG the server accepts.

    .venv/bin/python bench/signature_check.py --repeat 50
"""

from __future__ import annotations

import argparse
import io
import statistics
import sys
import time
from pathlib import Path

from PIL import Image, ImageDraw

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from foodsafety.records.signature import (  # noqa: E402
    MAX_HEIGHT,
    MAX_WIDTH,
    SignatureRejected,
    check_signature,
)


def png(size: tuple[int, int], lines: int) -> bytes:
    image = Image.new("RGBA", size, (0, 0, 0, 0))
    draw = ImageDraw.Draw(image)
    width, height = size
    for n in range(lines):  # zigzags across the whole canvas: more ink, a larger file
        y = (n * 37) % height
        draw.line([(0, y), (width // 3, height - y), (2 * width // 3, y), (width - 1, height - y)],
                  fill=(17, 17, 17, 255), width=5)
    buffer = io.BytesIO()
    image.save(buffer, "PNG")
    return buffer.getvalue()


def measure(name: str, data: bytes, repeat: int) -> None:
    try:
        check_signature(data)
        outcome = "accepted"
    except SignatureRejected as rejected:
        outcome = f"refused ({rejected})"
    with Image.open(io.BytesIO(data)) as image:  # what a full decode holds (nothing if refused first)
        fits = image.width <= MAX_WIDTH and image.height <= MAX_HEIGHT
        pixels = image.width * image.height * len(image.getbands()) if fits else 0
    times = []
    for _ in range(repeat):
        started = time.perf_counter()
        try:
            check_signature(data)
        except SignatureRejected:
            pass
        times.append((time.perf_counter() - started) * 1000)
    print(f"{name:<38} {len(data) / 1024:6.0f} KiB  median {statistics.median(times):5.1f} ms  "
          f"max {max(times):5.1f} ms  decoded {pixels / 2**20:4.1f} MiB  {outcome}")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--repeat", type=int, default=50)
    args = parser.parse_args()
    measure("phone signature 656×360", png((656, 360), 8), args.repeat)
    measure(f"largest accepted {MAX_WIDTH}×{MAX_HEIGHT}, heavy ink", png((MAX_WIDTH, MAX_HEIGHT), 60),
            args.repeat)
    measure(f"blank {MAX_WIDTH}×{MAX_HEIGHT} (decoded, refused)", png((MAX_WIDTH, MAX_HEIGHT), 0),
            args.repeat)
    measure("declared 6000×3000 (header only)", _huge_header(), args.repeat)


def _huge_header() -> bytes:
    """A PNG whose header claims 18 million pixels: refused before any decoding."""
    import struct
    import zlib

    def chunk(kind: bytes, body: bytes) -> bytes:
        return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body))

    header = struct.pack(">IIBBBBB", 6000, 3000, 8, 6, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", zlib.compress(b"")) + \
        chunk(b"IEND", b"")


if __name__ == "__main__":
    main()
