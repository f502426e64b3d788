"""gzip for every text response above ~1 KB: JSON, JavaScript, CSS, HTML, SVG, the manifest.

A phone on slow 3G pays for every byte (the unit list compresses about 8×). Left alone: answers
to clients that do not accept gzip, anything already encoded, streamed bodies (exports and other
downloads stream with bounded memory), partial content, images and other binary types.
Static files (which werkzeug serves as a file wrapper) are read and compressed here; their ETag
becomes weak, as nginx does, so that If-None-Match still answers 304.
"""

from __future__ import annotations

import gzip

from flask import Flask, Response, request

MIN_BYTES = 1024
# Answers that carry a secret (the session's CSRF token, two-factor enrolment, recovery codes) are
# never compressed: compressing a secret beside reflected input leaks it by length (BREACH).
SECRET_PATHS = ("/api/v1/auth/",)
LEVEL = 6
TEXT_TYPES = {"application/json", "application/javascript", "text/javascript", "text/css",
              "text/html", "text/plain", "text/csv", "image/svg+xml",
              "application/manifest+json", "application/problem+json"}


def _accepts_gzip() -> bool:
    return "gzip" in request.headers.get("Accept-Encoding", "").lower()


# Views that answer with a file from disk: the static folders and the phone's hashed files.
FILE_VIEWS = {"static", "asset"}


def _is_static_file(response: Response) -> bool:
    return bool(request.endpoint) and request.endpoint.split(".")[-1] in FILE_VIEWS and \
        response.direct_passthrough


def compress(response: Response) -> Response:
    if (response.status_code != 200 or response.mimetype not in TEXT_TYPES
            or "Content-Encoding" in response.headers or request.method == "HEAD"
            or request.path.startswith(SECRET_PATHS)):
        return response
    response.vary.add("Accept-Encoding")
    if not _accepts_gzip():
        return response
    if _is_static_file(response):
        response.direct_passthrough = False  # a file on disk: small, read it whole
    elif response.is_streamed:
        return response
    body = response.get_data()
    if len(body) < MIN_BYTES:
        return response
    response.set_data(gzip.compress(body, compresslevel=LEVEL, mtime=0))
    response.headers["Content-Encoding"] = "gzip"
    etag, weak = response.get_etag()
    if etag and not weak:
        response.set_etag(etag, weak=True)
    return response


def revalidate(response: Response) -> Response:
    """An API read gets an ETag of its body; a client that already holds that body (If-None-Match)
    gets 304 and no body. The phone's catalogue sync uses it so that a later open downloads only
    the pages of the unit list that changed. Answers stay `no-store`: nothing lands in a shared
    browser's HTTP cache; the phone keeps what it needs in IndexedDB itself."""
    if (request.method != "GET" or response.status_code != 200 or response.is_streamed
            or response.mimetype != "application/json" or not request.path.startswith("/api/")):
        return response
    response.add_etag()
    if request.if_none_match and request.if_none_match.contains_weak(response.get_etag()[0]):
        response.status_code = 304
        response.set_data(b"")
        response.headers.pop("Content-Length", None)
    return response


def init_app(app: Flask) -> None:
    app.after_request(compress)  # runs after revalidate (Flask runs these hooks in reverse)
    app.after_request(revalidate)
