"""Photo files on disk: content-addressed names, atomic writes, and a lock per content hash.

Layout under the photo directory: `ab/cd/<sha256>.jpg` and `ab/cd/<sha256>.thumb.jpg`, where
the hash is that of the original upload. Names are made here from a hex digest only, so no
client-supplied text ever reaches a path.
"""

from __future__ import annotations

import os
import re
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from flask import current_app

try:
    import fcntl
except ImportError:  # pragma: no cover - not POSIX: a single-process server needs no file lock
    fcntl = None

CONTENT_TYPE = "image/jpeg"  # both kinds of file
KINDS = {"image": ".jpg", "thumbnail": ".thumb.jpg"}
_DIGEST = re.compile(r"^[0-9a-f]{64}$")
LOCK_STRIPES = 256  # one lock file per first byte of the hash


def photo_dir() -> Path:
    """The configured photo directory (`PHOTO_DIR`)."""
    return Path(current_app.config["PHOTO_DIR"])


def is_digest(name: str) -> bool:
    """Whether `name` is a SHA-256 hex digest, i.e. may name a photo's files."""
    return bool(_DIGEST.match(name))


def path_for(root: Path, sha256: str, kind: str) -> Path:
    """Where the `kind` ("image" or "thumbnail") of a photo lives."""
    if not _DIGEST.match(sha256):
        raise ValueError("not a SHA-256 hex digest")
    return Path(root) / sha256[:2] / sha256[2:4] / f"{sha256}{KINDS[kind]}"


def has_files(root: Path, sha256: str) -> bool:
    """Whether both files of a photo are on disk."""
    return all(path_for(root, sha256, kind).is_file() for kind in KINDS)


def write_files(root: Path, sha256: str, files: dict[str, bytes]) -> None:
    """Write each kind's bytes atomically (temp file in the same directory, fsync, rename)."""
    for kind, data in files.items():
        _write_atomic(path_for(root, sha256, kind), data)


def remove_files(root: Path, sha256: str) -> None:
    """Remove both files of a photo, if present."""
    for kind in KINDS:
        path_for(root, sha256, kind).unlink(missing_ok=True)


def _write_atomic(path: Path, data: bytes) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    handle = tempfile.NamedTemporaryFile(dir=path.parent, prefix=".tmp-", delete=False)
    try:
        with handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        os.chmod(handle.name, 0o640)
        os.replace(handle.name, path)
    except BaseException:
        Path(handle.name).unlink(missing_ok=True)
        raise


@contextmanager
def locked(root: Path, sha256: str) -> Iterator[None]:
    """Hold an exclusive lock for this content hash (across processes on this host).

    Held from "is it stored already?" until the row is committed or the files are removed,
    so a failing upload never deletes files that a concurrent upload of the same picture
    is about to reference.
    """
    if fcntl is None:  # pragma: no cover
        yield
        return
    directory = Path(root) / ".locks"
    directory.mkdir(parents=True, exist_ok=True)
    stripe = int(sha256[:2], 16) % LOCK_STRIPES
    with open(directory / f"{stripe:02x}.lock", "a+b") as handle:
        fcntl.flock(handle.fileno(), fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle.fileno(), fcntl.LOCK_UN)
