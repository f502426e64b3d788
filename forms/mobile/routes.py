"""Routes of the inspector's app: the shell, its service worker, its manifest and its files.

Everything the app needs offline is precached by the service worker; the cache is named by a
hash of those files, so any change to them installs a fresh cache and drops the old one.

The shell names every file by its content (`/m/assets/m/app.3f9a1c2b7d.js`), served as immutable
for a year: a browser, and the service worker installing a new release, download only the files
that changed. The modules keep importing each other by their plain names ('./store.js',
'/static/web/api.js'); the shell's import map turns each into its hashed name.
"""

from __future__ import annotations

import hashlib
import json
import posixpath
import re
from functools import lru_cache
from pathlib import Path

from flask import Blueprint, abort, current_app, render_template, send_file

from foodsafety.headers import content_security_policy

bp = Blueprint("mobile", __name__, url_prefix="/m", template_folder="templates",
               static_folder="static")

HERE = Path(__file__).resolve().parent
NO_CACHE = {"Cache-Control": "no-cache"}
IMMUTABLE = 365 * 24 * 3600
# Where each folder's files are served under their hashed names.
HASHED_FOLDERS = {"/m/static/": "/m/assets/m/", "/static/web/": "/m/assets/web/"}
HASHED_NAME = re.compile(r"^(?P<stem>[\w.-]+)\.(?P<digest>[0-9a-f]{10})(?P<suffix>\.\w+)$")


SHELL_ASSET = re.compile(r"""asset\('(/(?:m/)?static/[^']+)'\)""")
IMPORT = re.compile(r"""(?:\bfrom|\bimport)\s*\(?\s*'([^']+\.js)'""")
STATIC_IMPORT = re.compile(r"""\bfrom\s*'([^']+\.js)'""")
ENTRY = "/m/static/start.js"
APP = "/m/static/app.js"  # imported by the entry once the login form shows


def _folders() -> list[tuple[str, Path]]:
    return _resolved_folders(current_app.blueprints["web"].static_folder)


@lru_cache(maxsize=4)
def _resolved_folders(web_static: str) -> list[tuple[str, Path]]:
    return [("/m/static/", (HERE / "static").resolve()), ("/static/web/", Path(web_static).resolve())]


def _file_of(url: str) -> Path | None:
    for url_prefix, folder in _folders():
        if url.startswith(url_prefix):
            path = (folder / url[len(url_prefix):]).resolve()
            return path if path.is_file() and path.is_relative_to(folder) else None
    return None


# Every request for the shell, the service worker or a file looks the files up: each file is read
# (and parsed, and hashed) again only when its size or modification time has changed.
@lru_cache(maxsize=256)
def _text(path: Path, mtime_ns: int, size: int) -> str:
    return path.read_text(encoding="utf-8")


def _read(path: Path) -> str:
    stat = path.stat()
    return _text(path, stat.st_mtime_ns, stat.st_size)


@lru_cache(maxsize=512)
def _found_in(text: str, pattern: re.Pattern) -> tuple[str, ...]:
    return tuple(pattern.findall(text))


def _imported(url: str, path: Path, pattern: re.Pattern = IMPORT) -> list[str]:
    """URLs of the modules a module imports (relative ones resolved against its own URL)."""
    base = url.rsplit("/", 1)[0] + "/"
    return [imported if imported.startswith("/") else posixpath.normpath(base + imported)
            for imported in _found_in(_read(path), pattern)]


def _static_files() -> list[tuple[str, Path]]:
    """(URL, file) of every static asset the app uses: those the shell names and the modules
    they import, transitively. The desk's files (school.js, desk.css, …) are not the phone's."""
    pending = list(_found_in(_read(HERE / "templates" / "mobile" / "shell.html"), SHELL_ASSET))
    found: dict[str, Path] = {}
    while pending:
        url = pending.pop()
        if url in found:
            continue
        path = _file_of(url)
        if path is None:
            continue
        found[url] = path
        if path.suffix == ".js":
            pending.extend(_imported(url, path))
    return sorted(found.items())


def _static_closure(entry: str) -> list[str]:
    """A module and what it imports statically, transitively: what it needs before it runs. (The
    entry's are all the login form needs; app.js's, all the home screen needs.)"""
    pending, found = [entry], []
    while pending:
        url = pending.pop()
        path = None if url in found else _file_of(url)
        if path is not None:
            found.append(url)
            pending.extend(_imported(url, path, STATIC_IMPORT))
    return found


@lru_cache(maxsize=256)
def _digest(path: Path, mtime_ns: int, size: int) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()[:10]


def _digest_of(path: Path) -> str:
    stat = path.stat()
    return _digest(path, stat.st_mtime_ns, stat.st_size)


def _hashed_url(url: str, path: Path) -> str:
    """`/m/static/app.js` → `/m/assets/m/app.<first 10 hex digits of its SHA-256>.js`."""
    folder, name = url.rsplit("/", 1)
    stem, dot, suffix = name.rpartition(".")
    return f"{HASHED_FOLDERS[folder + '/']}{stem}.{_digest_of(path)}.{suffix}"


def _import_map(files: list[tuple[str, Path]]) -> str:
    """Each module's plain name → its hashed name. A module loaded from its hashed name resolves a
    relative import against /m/assets/…/, so that spelling of the plain name is mapped as well."""
    imports = {}
    for url, path in files:
        if path.suffix == ".js":
            hashed = _hashed_url(url, path)
            imports[url] = hashed
            imports[hashed.rsplit("/", 1)[0] + "/" + url.rsplit("/", 1)[1]] = hashed
    return json.dumps({"imports": imports}, separators=(",", ":"))


def asset_version() -> str:
    """A short hash of the shell, the service worker and every precached file."""
    digest = hashlib.sha256()
    templates = HERE / "templates" / "mobile"
    for url, path in [("shell", templates / "shell.html"), ("sw", templates / "sw.js"),
                      *_static_files()]:
        digest.update(f"{url}\0{_digest_of(path)}\0".encode())
    return digest.hexdigest()[:16]


@bp.get("/")
def shell():
    """The app shell: static, no user data, so the service worker may serve it offline."""
    # The modules of the login form and of the home screen named up front: the browser fetches
    # them at once instead of discovering them import by import (one round trip per level, 400 ms
    # each on slow 3G). The login form's few come first, so that they take the first of the
    # browser's connections. The other screens' modules are not named: they would share the
    # connections with the login and the first sync; each is imported when its screen first
    # opens, by then from the service worker's cache.
    files = _static_files()
    hashed = {url: _hashed_url(url, path) for url, path in files}
    first = _static_closure(ENTRY)
    modules = first + [url for url in _static_closure(APP) if url not in first]
    import_map = _import_map(files)
    body = render_template("mobile/shell.html", asset=hashed.__getitem__, import_map=import_map,
                           modules=[hashed[url] for url in modules])
    return body, 200, {**NO_CACHE, "Content-Security-Policy": content_security_policy(import_map)}


@bp.get("/assets/<any(m, web):folder>/<name>")
def asset(folder: str, name: str):
    """One of the app's files under its hashed name: cached for a year, never revalidated. A name
    whose hash is not the file's current content is not found (it belonged to another release)."""
    plain = HASHED_NAME.match(name)
    if plain is None:
        abort(404)
    prefix = next(url for url, hashed in HASHED_FOLDERS.items() if hashed == f"/m/assets/{folder}/")
    wanted = f"/m/assets/{folder}/{name}"
    for url, path in _static_files():
        if url == prefix + plain["stem"] + plain["suffix"] and _hashed_url(url, path) == wanted:
            response = send_file(path, max_age=IMMUTABLE, conditional=True)
            response.cache_control.immutable = True
            response.cache_control.public = True
            return response
    abort(404)


@bp.get("/sw.js")
def service_worker():
    """The service worker, at `/m/` so that its scope covers the app."""
    assets = ["/m/", "/m/manifest.webmanifest", *(_hashed_url(url, path) for url, path in _static_files())]
    body = render_template("mobile/sw.js", version=asset_version(), assets=assets)
    return body, 200, {**NO_CACHE, "Content-Type": "text/javascript; charset=utf-8"}


@bp.get("/manifest.webmanifest")
def manifest():
    """Lets the app be added to the home screen and opened full-screen."""
    icon = _file_of("/m/static/icon.svg")
    body = render_template("mobile/manifest.webmanifest", icon=_hashed_url("/m/static/icon.svg", icon))
    return body, 200, {**NO_CACHE, "Content-Type": "application/manifest+json; charset=utf-8"}
