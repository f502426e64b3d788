"""Whether the bytes a phone sent as a signature are a real, bounded, non-blank PNG; pure Pillow.

As in `foodsafety.photos.processing`: only PNG is identified, the header is read first and the
dimensions are bounded before anything is decoded, and Pillow's decompression-bomb warning is an
error. The sandbox the photos use (a child process under CPU and memory limits) is not needed
here: at most 200 KB and 1.28 million pixels, a decode costs at most ~5 MB and tens of
milliseconds (bench figures in the README), where a photo may be 15 MB and 40 million pixels.
The bytes are stored as sent, never re-encoded: the stored image is the one the revision's body
names by its hash.
"""

from __future__ import annotations

import io
import warnings
from dataclasses import dataclass

from PIL import Image

MAX_WIDTH = 1600
MAX_HEIGHT = 800
MIN_WIDTH = 64
MIN_HEIGHT = 32
MODES = {"1", "L", "LA", "P", "RGB", "RGBA"}  # as Pillow reads 1- to 8-bit (and 16-bit colour) PNG

NOT_PNG = "签名图片不是有效的 PNG 图片，请清除后重新签名。"
DAMAGED = "签名图片已损坏或不完整，请清除后重新签名。"
ANIMATED = "签名图片不能是动画，请清除后重新签名。"
UNSUPPORTED_MODE = "签名图片的颜色格式不受支持（应为 8 位 PNG），请清除后重新签名。"
BLANK = "签名为空白，请被检查单位负责人在签名框内签名。"


class SignatureRejected(Exception):
    """Bytes that are not an acceptable signature; the message is for the user."""


@dataclass(frozen=True)
class CheckedSignature:
    width: int
    height: int


TOO_LARGE = f"签名图片尺寸过大，最大允许 {MAX_WIDTH}×{MAX_HEIGHT} 像素，请清除后重新签名。"


def size_problem(width: int, height: int) -> str | None:
    if width > MAX_WIDTH or height > MAX_HEIGHT:
        return TOO_LARGE.replace("过大", f"过大（{width}×{height}）")
    if width < MIN_WIDTH or height < MIN_HEIGHT:
        return f"签名图片尺寸过小（{width}×{height}），至少 {MIN_WIDTH}×{MIN_HEIGHT} 像素。"
    return None


def check_signature(data: bytes) -> CheckedSignature:
    """The dimensions of a signature PNG that decodes completely and is not blank; else
    `SignatureRejected` with a Chinese message."""
    with warnings.catch_warnings():
        warnings.simplefilter("error", Image.DecompressionBombWarning)
        try:
            image = Image.open(io.BytesIO(data), formats=("PNG",))
        except Image.UnidentifiedImageError:
            raise SignatureRejected(NOT_PNG) from None
        except (Image.DecompressionBombError, Image.DecompressionBombWarning):
            raise SignatureRejected(TOO_LARGE) from None
        except (OSError, SyntaxError, ValueError, EOFError, IndexError, TypeError) as exc:
            raise SignatureRejected(DAMAGED) from exc
        if problem := size_problem(*image.size):
            raise SignatureRejected(problem)
        if getattr(image, "n_frames", 1) > 1:
            raise SignatureRejected(ANIMATED)
        if image.mode not in MODES:
            raise SignatureRejected(UNSUPPORTED_MODE)
        try:
            image.load()
            extrema = image.getextrema()
        except (Image.DecompressionBombError, Image.DecompressionBombWarning, MemoryError):
            raise SignatureRejected(TOO_LARGE) from None
        except (OSError, SyntaxError, ValueError, EOFError, IndexError, TypeError) as exc:
            raise SignatureRejected(DAMAGED) from exc
    if _blank(image, extrema):
        raise SignatureRejected(BLANK)
    return CheckedSignature(width=image.width, height=image.height)


def _blank(image: Image.Image, extrema) -> bool:
    """Nothing drawn: fully transparent, or one colour all over."""
    bands = extrema if isinstance(extrema[0], tuple) else (extrema,)
    if image.mode in ("RGBA", "LA") and bands[-1][1] == 0:
        return True
    return all(low == high for low, high in bands)
