"""Routes of the inspector's app: the shell, its service worker and its manifest.

Everything the app needs offline is precached by the service worker; the cache is named by a
hash of those files, so any change to them installs a fresh cache and drops the old one.
"""

from __future__ import annotations

import hashlib
import posixpath
import re
from pathlib import Path

from flask import Blueprint, current_app, render_template

bp = Blueprint("mobile", __name__, url_prefix="/m", template_folder="templates",
               static_folder="static")

HERE = Path(__file__).resolve().parent
NO_CACHE = {"Cache-Control": "no-cache"}


SHELL_ASSET = re.compile(r'(?:src|href)="(/(?:m/)?static/[^"]+)"')
IMPORT = re.compile(r"""(?:\bfrom|\bimport)\s*\(?\s*'([^']+\.js)'""")
STATIC_IMPORT = re.compile(r"""\bfrom\s*'([^']+\.js)'""")
ENTRY = "/m/static/start.js"


def _folders() -> list[tuple[str, Path]]:
    web_static = Path(current_app.blueprints["web"].static_folder)
    return [("/m/static/", HERE / "static"), ("/static/web/", web_static)]


def _file_of(url: str) -> Path | None:
    for url_prefix, folder in _folders():
        if url.startswith(url_prefix):
            path = (folder / url[len(url_prefix):]).resolve()
            return path if path.is_file() and path.is_relative_to(folder.resolve()) else None
    return None


def _imported(url: str, path: Path, pattern: re.Pattern = IMPORT) -> list[str]:
    """URLs of the modules a module imports (relative ones resolved against its own URL)."""
    base = url.rsplit("/", 1)[0] + "/"
    return [imported if imported.startswith("/") else posixpath.normpath(base + imported)
            for imported in pattern.findall(path.read_text(encoding="utf-8"))]


def _static_files() -> list[tuple[str, Path]]:
    """(URL, file) of every static asset the app uses: those the shell names and the modules
    they import, transitively. The desk's files (school.js, desk.css, …) are not the phone's."""
    shell = (HERE / "templates" / "mobile" / "shell.html").read_text(encoding="utf-8")
    pending = SHELL_ASSET.findall(shell)
    found: dict[str, Path] = {}
    while pending:
        url = pending.pop()
        path = _file_of(url)
        if url in found or path is None:
            continue
        found[url] = path
        if path.suffix == ".js":
            pending.extend(_imported(url, path))
    return sorted(found.items())


def _login_modules() -> list[str]:
    """The entry module and what it imports statically: all the login form needs."""
    pending, found = [ENTRY], []
    while pending:
        url = pending.pop()
        path = _file_of(url)
        if url not in found and path is not None:
            found.append(url)
            pending.extend(_imported(url, path, STATIC_IMPORT))
    return found


def asset_version() -> str:
    """A short hash of the shell, the service worker and every precached file."""
    digest = hashlib.sha256()
    templates = HERE / "templates" / "mobile"
    for url, path in [("shell", templates / "shell.html"), ("sw", templates / "sw.js"),
                      *_static_files()]:
        digest.update(url.encode() + b"\0" + path.read_bytes() + b"\0")
    return digest.hexdigest()[:16]


@bp.get("/")
def shell():
    """The app shell: static, no user data, so the service worker may serve it offline."""
    # Every module named up front: the browser fetches them all at once instead of discovering
    # them import by import (one round trip per level, 400 ms each on slow 3G). The login form's
    # few come first, so that they take the first of the browser's connections.
    first = _login_modules()
    modules = first + [url for url, path in _static_files() if path.suffix == ".js" and url not in first]
    return render_template("mobile/shell.html", modules=modules), 200, NO_CACHE


@bp.get("/sw.js")
def service_worker():
    """The service worker, at `/m/` so that its scope covers the app."""
    assets = ["/m/", "/m/manifest.webmanifest", *(url for url, _ in _static_files())]
    body = render_template("mobile/sw.js", version=asset_version(), assets=assets)
    return body, 200, {**NO_CACHE, "Content-Type": "text/javascript; charset=utf-8"}


@bp.get("/manifest.webmanifest")
def manifest():
    """Lets the app be added to the home screen and opened full-screen."""
    body = render_template("mobile/manifest.webmanifest")
    return body, 200, {**NO_CACHE, "Content-Type": "application/manifest+json; charset=utf-8"}
