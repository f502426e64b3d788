"""The photo pipeline, pure Pillow: upload bytes in → a clean, oriented, bounded JPEG out.

Nothing here touches the database, the disk or Flask; `process` either returns a
`ProcessedPhoto` or raises `PhotoRejected` with a Chinese message for the user.
"""

from __future__ import annotations

import io
import warnings
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone

from PIL import ExifTags, Image, ImageCms, ImageOps

from foodsafety.photos.jpeg import count_scans
from foodsafety.timeutil import CST

# What the phone may send. MPO is how Pillow names a JPEG carrying extra (depth, HDR) frames.
OPEN_FORMATS = ("JPEG", "PNG", "WEBP")
ACCEPTED_FORMATS = {"JPEG", "MPO", "PNG", "WEBP"}
MAX_PIXELS = 40_000_000  # well below Pillow's own bomb limit (about 89 million)
# PNG and WebP cannot be decoded at a reduced scale as JPEG can: the full image is held (4 bytes
# a pixel, plus a copy while flattening), so they get a lower cap than JPEG.
MAX_FULL_DECODE_PIXELS = 16_000_000
# A camera's progressive JPEG has about 10 scans (libjpeg's default script: 10 for colour, 6 for
# grey); each scan walks every block of its components, whatever its size in the file.
MAX_JPEG_SCANS = 32
MAX_SIDE = 2048
THUMB_SIDE = 320
# JPEG draft decoding may stop at a DCT scale that leaves the long side up to 10 % under
# MAX_SIDE (a 4000 px photo becomes 2000 px): it decodes a quarter of the pixels instead.
DRAFT_TOLERANCE = 0.9
JPEG_QUALITY = 85
THUMB_QUALITY = 80
WHITE = (255, 255, 255)

UNSUPPORTED = "仅支持 JPEG、PNG 或 WebP 格式的照片。"
DAMAGED = "照片文件已损坏或不完整，请重新拍摄或上传。"
EMPTY = "照片文件为空。"
TOO_MUCH_MEMORY = "照片解码所需内存过多，请降低拍摄分辨率或压缩后重新上传。"


class PhotoRejected(Exception):
    """An upload that is not an acceptable photo; `status` is the HTTP status to answer with."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.message = message

    def __reduce__(self):  # it crosses from the processing child to the web worker
        return type(self), (self.status, self.message)


@dataclass(frozen=True)
class ProcessedPhoto:
    """The stored forms of an accepted photo and what we keep knowing about the original."""

    image: bytes  # JPEG, at most MAX_SIDE px on the long side, no metadata
    thumbnail: bytes  # JPEG, at most THUMB_SIDE px on the long side, no metadata
    width: int
    height: int
    source_format: str  # JPEG, PNG or WEBP
    source_width: int
    source_height: int
    captured_at: datetime | None  # offset-aware: EXIF DateTimeOriginal (+ OffsetTimeOriginal)
    captured_offset_known: bool  # False: the camera gave no offset and CST was assumed


def too_many_pixels(max_pixels: int, size: tuple[int, int] | None = None) -> str:
    """The refusal of an image with more pixels than we decode."""
    shown = f"（{size[0]}×{size[1]}）" if size else ""
    return (f"照片像素过多{shown}，最多允许 {max_pixels // 10_000} 万像素，"
            "请降低拍摄分辨率后重新上传。")


def too_many_full_pixels(max_pixels: int, size: tuple[int, int]) -> str:
    """The refusal of a PNG or WebP with more pixels than we decode in full."""
    return (f"照片像素过多（{size[0]}×{size[1]}），PNG 或 WebP 格式最多允许 {max_pixels // 10_000} 万像素，"
            "请改用 JPEG 或降低分辨率后重新上传。")


def too_many_scans(scans: int, max_scans: int) -> str:
    """The refusal of a progressive JPEG with more scans than any camera writes."""
    return (f"照片的 JPEG 扫描段过多（{scans} 段，最多允许 {max_scans} 段），文件可能异常，"
            "请重新拍摄或另存为普通 JPEG 后上传。")


def process(data: bytes, *, max_pixels: int = MAX_PIXELS,
            max_full_decode_pixels: int = MAX_FULL_DECODE_PIXELS, max_jpeg_scans: int = MAX_JPEG_SCANS,
            max_side: int = MAX_SIDE, thumb_side: int = THUMB_SIDE) -> ProcessedPhoto:
    """Validate, decode (bounded), orient, strip, convert to sRGB, resize and encode a photo.

    Runs in the caller's process: the web app calls it through `sandbox.process_photo`, which
    bounds the time and memory of the decode.
    """
    if not data:
        raise PhotoRejected(422, EMPTY)
    with warnings.catch_warnings():
        # Pillow only warns between its limit and twice its limit; here that is an error too.
        warnings.simplefilter("error", Image.DecompressionBombWarning)
        image = _open(data, max_pixels)
        _check_decode_cost(image, data, max_full_decode_pixels, max_jpeg_scans)
        source_format = "JPEG" if image.format == "MPO" else image.format
        source_size = image.size
        captured_at, offset_known = capture_time(image)
        icc = image.info.get("icc_profile")
        try:
            if image.format in ("JPEG", "MPO") and max(image.size) > max_side:
                image.draft("RGB", _draft_size(image.size, max_side))
            image.load()
            image = _flatten(image)
            image = _fit(image, max_side)
            ImageOps.exif_transpose(image, in_place=True)
            image = _to_srgb(image, icc)
        except (Image.DecompressionBombError, Image.DecompressionBombWarning):
            raise PhotoRejected(422, too_many_pixels(max_pixels, source_size)) from None
        except MemoryError:
            raise PhotoRejected(422, TOO_MUCH_MEMORY) from None
        except (OSError, SyntaxError, ValueError, EOFError, IndexError, TypeError) as exc:
            # Truncated or malformed data: the decoders say so in many ways.
            raise PhotoRejected(422, DAMAGED) from exc
    image.info = {}  # EXIF (with GPS), XMP, ICC, comments: nothing of the original is written
    thumb = _fit(image, thumb_side)
    thumb.info = {}
    return ProcessedPhoto(
        image=_jpeg(image, JPEG_QUALITY), thumbnail=_jpeg(thumb, THUMB_QUALITY),
        width=image.width, height=image.height, source_format=source_format,
        source_width=source_size[0], source_height=source_size[1],
        captured_at=captured_at, captured_offset_known=offset_known,
    )


def _open(data: bytes, max_pixels: int) -> Image.Image:
    """Identify the format and read the header only; refuse anything else or too many pixels."""
    try:
        image = Image.open(io.BytesIO(data), formats=OPEN_FORMATS)
    except (Image.DecompressionBombError, Image.DecompressionBombWarning):
        raise PhotoRejected(422, too_many_pixels(max_pixels)) from None
    except Image.UnidentifiedImageError:
        raise PhotoRejected(415, UNSUPPORTED) from None
    except (OSError, SyntaxError, ValueError, EOFError, IndexError, TypeError) as exc:
        raise PhotoRejected(422, DAMAGED) from exc
    if image.format not in ACCEPTED_FORMATS:
        raise PhotoRejected(415, UNSUPPORTED)
    width, height = image.size
    if width < 1 or height < 1:
        raise PhotoRejected(422, DAMAGED)
    if width * height > max_pixels:
        raise PhotoRejected(422, too_many_pixels(max_pixels, (width, height)))
    return image


def _check_decode_cost(image: Image.Image, data: bytes, max_full_decode_pixels: int,
                       max_jpeg_scans: int) -> None:
    """Refuse what would cost far more to decode than a photo: too many JPEG scans, or a PNG
    or WebP too large to hold in full."""
    if image.format in ("JPEG", "MPO"):
        scans = count_scans(data)
        if scans > max_jpeg_scans:
            raise PhotoRejected(422, too_many_scans(scans, max_jpeg_scans))
    elif image.width * image.height > max_full_decode_pixels:
        raise PhotoRejected(422, too_many_full_pixels(max_full_decode_pixels, image.size))


def _draft_size(size: tuple[int, int], max_side: int) -> tuple[int, int]:
    """The smallest decode size draft mode may pick for a photo that will be fitted to max_side."""
    scale = max_side / max(size) * DRAFT_TOLERANCE
    return max(1, int(size[0] * scale)), max(1, int(size[1] * scale))


def _flatten(image: Image.Image) -> Image.Image:
    """Bring any decoded mode to RGB or L; transparency goes onto white."""
    if image.mode in ("RGB", "L", "CMYK"):
        return image
    if image.mode in ("I;16", "I;16B", "I;16L", "I"):
        return image.convert("I").point(lambda value: value * (1 / 257)).convert("L")
    if "A" in image.mode or "a" in image.mode or "transparency" in image.info:
        rgba = image if image.mode == "RGBA" else image.convert("RGBA")
        flat = Image.new("RGB", rgba.size, WHITE)
        flat.paste(rgba, (0, 0), rgba)  # blended by its alpha onto white: one copy, not four
        return flat
    return image.convert("L" if image.mode == "1" else "RGB")


def _fit(image: Image.Image, side: int) -> Image.Image:
    """The image scaled down (never up) so that its long side is at most `side`."""
    width, height = image.size
    if max(width, height) <= side:
        return image
    scale = side / max(width, height)
    size = (max(1, round(width * scale)), max(1, round(height * scale)))
    return image.resize(size, Image.Resampling.LANCZOS, reducing_gap=3.0)


_SRGB = ImageCms.createProfile("sRGB")


def _to_srgb(image: Image.Image, icc: bytes | None) -> Image.Image:
    """Convert through an embedded colour profile to sRGB; without one, CMYK → RGB as is."""
    if icc and image.mode in ("RGB", "CMYK"):
        try:
            source = ImageCms.ImageCmsProfile(io.BytesIO(icc))
            converted = ImageCms.profileToProfile(image, source, _SRGB, outputMode="RGB")
        except (ImageCms.PyCMSError, OSError, ValueError, TypeError):
            converted = None  # an unusable profile: keep the pixels and drop the profile
        if converted is not None:
            return converted
    return image.convert("RGB") if image.mode == "CMYK" else image


def _jpeg(image: Image.Image, quality: int) -> bytes:
    out = io.BytesIO()
    image.save(out, "JPEG", quality=quality, optimize=True)
    return out.getvalue()


# --- capture time ---------------------------------------------------------------------------

def capture_time(image: Image.Image) -> tuple[datetime | None, bool]:
    """EXIF DateTimeOriginal with OffsetTimeOriginal (CST assumed without one), or None."""
    try:
        exif = image.getexif().get_ifd(ExifTags.IFD.Exif)
        raw = exif.get(ExifTags.Base.DateTimeOriginal)
        offset = exif.get(ExifTags.Base.OffsetTimeOriginal)
    except Exception:  # a broken EXIF block only costs us the capture time
        return None, False
    if not isinstance(raw, str):
        return None, False
    try:
        naive = datetime.strptime(raw.strip("\x00 ")[:19], "%Y:%m:%d %H:%M:%S")
    except ValueError:
        return None, False
    zone = _parse_offset(offset)
    moment = naive.replace(tzinfo=zone or CST)
    if not datetime(2000, 1, 1, tzinfo=CST) <= moment <= datetime.now(CST) + timedelta(days=1):
        return None, False  # an unset or wildly wrong camera clock
    return moment, zone is not None


def _parse_offset(value: object) -> timezone | None:
    """An EXIF offset such as "+08:00" → a timezone; anything malformed → None."""
    if not isinstance(value, str):
        return None
    text = value.strip("\x00 ")
    if len(text) != 6 or text[0] not in "+-" or text[3] != ":":
        return None
    try:
        hours, minutes = int(text[1:3]), int(text[4:6])
    except ValueError:
        return None
    if hours > 14 or minutes > 59:
        return None
    delta = timedelta(hours=hours, minutes=minutes)
    return timezone(-delta if text[0] == "-" else delta)
