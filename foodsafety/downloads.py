"""Files sent to a browser: one way to name them (RFC 6266) and to send bytes or a stream."""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable
from urllib.parse import quote

from flask import Response

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
CSV = "text/csv; charset=utf-8"
PDF = "application/pdf"
_UNSAFE = re.compile(r'[\x00-\x1f\x7f"\\/:*?<>|]+')


def content_disposition(filename: str, *, inline: bool = False, fallback: str | None = None) -> str:
    """`attachment; filename="<ASCII fallback>"; filename*=UTF-8''<the Chinese name>` — every
    browser shows the Chinese name; the fallback (given, or the name's ASCII parts and its
    extension) is for the rare client that reads only `filename`."""
    name = _UNSAFE.sub("_", unicodedata.normalize("NFC", filename)).strip() or "download"
    if fallback is None:
        stem, dot, extension = name.rpartition(".")
        ascii_stem = re.sub(r"[^A-Za-z0-9.-]+", "_", stem if dot else name).strip("_") or "download"
        fallback = f"{ascii_stem}.{extension}" if dot and extension.isascii() else ascii_stem
    kind = "inline" if inline else "attachment"
    return f"{kind}; filename=\"{fallback}\"; filename*=UTF-8''{quote(name, safe='')}"


def send_bytes(data: bytes, filename: str, mimetype: str, *, status: int = 200,
               inline: bool = False, fallback: str | None = None) -> Response:
    """A download made in memory (a workbook of one table, a PDF)."""
    response = Response(data, status=status, mimetype=mimetype)
    response.headers["Content-Disposition"] = content_disposition(filename, inline=inline,
                                                                  fallback=fallback)
    return response


def send_stream(chunks: Iterable[bytes], filename: str, mimetype: str, *,
                fallback: str | None = None) -> Response:
    """A download streamed as it is produced (list exports: bounded memory, no length known)."""
    response = Response(chunks, mimetype=mimetype, direct_passthrough=True)
    response.headers["Content-Disposition"] = content_disposition(filename, fallback=fallback)
    response.headers["Cache-Control"] = "no-store"
    return response
