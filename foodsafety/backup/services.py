"""Backup and restore while the service runs: a consistent database copy, the photo files it
refers to, and a manifest (row counts per table, SHA-256 of every file) to check both against.

An archive is a folder `foodsafety-backup-YYYYMMDD-HHMMSS/` holding `manifest.json`, the
database (`database.sqlite3` made with SQLite's online backup API, or `database.pgdump` made
with `pg_dump --format=custom` from an exported snapshot) and `photos/` laid out like the
photo directory. It is written under a hidden temporary name and renamed when complete, so a
folder with the final name is always a whole backup.

The row counts and the list of photos come from the very snapshot that was copied, so the
manifest describes exactly what the archive holds even while inspections keep arriving.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import sqlite3
import subprocess
import tempfile
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

from flask import current_app
from sqlalchemy import func, inspect, select, table, text
from sqlalchemy.engine import Connection, Engine

from foodsafety.extensions import db
from foodsafety.photos import storage
from foodsafety.timeutil import CST

FORMAT = 1
MANIFEST = "manifest.json"
PHOTOS = "photos"
DATABASE_FILES = {"sqlite": "database.sqlite3", "postgresql": "database.pgdump"}
PREFIX = "foodsafety-backup-"
DIALECT_LABELS = {"sqlite": "SQLite", "postgresql": "PostgreSQL"}
PG_TIMEOUT = 6 * 3600  # seconds a pg_dump / pg_restore may take before we give up


class BackupError(Exception):
    """A backup or restore that cannot go ahead; the message is for the operator (Chinese)."""


@dataclass
class Snapshot:
    """What one consistent view of the database held."""

    tables: dict[str, int]
    photo_hashes: list[str]
    revision: str | None


@dataclass
class Comparison:
    """How an instance differs from an archive's manifest (empty lists: identical)."""

    tables: dict[str, tuple[int | None, int | None]] = field(default_factory=dict)
    photos_missing: list[str] = field(default_factory=list)  # in the archive, not here
    photos_changed: list[str] = field(default_factory=list)  # here with other contents
    photos_extra: list[str] = field(default_factory=list)  # here (referenced), not in the archive
    rows: int = 0
    photos: int = 0

    @property
    def identical(self) -> bool:
        return not (self.tables or self.photos_missing or self.photos_changed or self.photos_extra)


# --- files ----------------------------------------------------------------------------------

def file_sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def _copy_atomic(source: Path, target: Path) -> str:
    """Copy a file (temp name, fsync, rename) and return the SHA-256 of what was copied."""
    target.parent.mkdir(parents=True, exist_ok=True)
    digest = hashlib.sha256()
    handle = tempfile.NamedTemporaryFile(dir=target.parent, prefix=".tmp-", delete=False)
    try:
        with handle, open(source, "rb") as reader:
            for block in iter(lambda: reader.read(1 << 20), b""):
                digest.update(block)
                handle.write(block)
            handle.flush()
            os.fsync(handle.fileno())
        os.chmod(handle.name, 0o640)
        os.replace(handle.name, target)
    except BaseException:
        Path(handle.name).unlink(missing_ok=True)
        raise
    return digest.hexdigest()


def _photo_files(hashes: Iterable[str]) -> list[str]:
    """Relative paths (POSIX) of the image and thumbnail of each photo hash."""
    root = Path("/")
    return sorted(storage.path_for(root, sha256, kind).relative_to(root).as_posix()
                  for sha256 in set(hashes) for kind in storage.KINDS)


def photo_root() -> Path:
    return Path(current_app.config["PHOTO_DIR"])


# --- snapshots of the database --------------------------------------------------------------

def _counts(conn: Connection) -> dict[str, int]:
    names = inspect(conn).get_table_names()
    return {name: conn.execute(select(func.count()).select_from(table(name))).scalar_one()
            for name in sorted(names)}


def _snapshot(conn: Connection) -> Snapshot:
    """Row counts, photo hashes and the schema revision as `conn` sees them."""
    tables = _counts(conn)
    hashes = (list(conn.scalars(text("SELECT DISTINCT sha256 FROM photos")))
              if "photos" in tables else [])
    revision = (conn.scalar(text("SELECT version_num FROM alembic_version"))
                if "alembic_version" in tables else None)
    return Snapshot(tables, hashes, revision)


def _sqlite_copy(engine: Engine, target: Path) -> None:
    """Copy the live SQLite database with the online backup API into a single-file database."""
    raw = engine.raw_connection()
    try:
        copy = sqlite3.connect(target)
        try:
            raw.driver_connection.backup(copy)
            copy.execute("PRAGMA journal_mode=DELETE")  # one self-contained file, no -wal
        finally:
            copy.close()
    finally:
        raw.close()


def _read_sqlite(path: Path) -> Snapshot:
    """The snapshot of an archived SQLite file, opened read-only (the app's PRAGMAs would write)."""
    conn = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    try:
        names = [name for (name,) in conn.execute(
            "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite%'")]
        tables = {name: conn.execute(f'SELECT count(*) FROM "{name}"').fetchone()[0]  # noqa: S608
                  for name in sorted(names)}
        hashes = ([sha for (sha,) in conn.execute("SELECT DISTINCT sha256 FROM photos")]
                  if "photos" in tables else [])
        row = (conn.execute("SELECT version_num FROM alembic_version").fetchone()
               if "alembic_version" in tables else None)
    finally:
        conn.close()
    return Snapshot(tables, hashes, row[0] if row else None)


def _libpq(engine: Engine) -> tuple[str, dict[str, str]]:
    """A libpq connection string (no password in it) and the environment carrying the password."""
    url = engine.url.set(drivername="postgresql")
    env = dict(os.environ)
    if url.password:
        env["PGPASSWORD"] = str(url.password)
    return url.set(password=None).render_as_string(hide_password=False), env


def _tool(name: str) -> str:
    path = shutil.which(name)
    if path is None:
        raise BackupError(f"找不到 {name}：请安装与数据库服务器版本相同的 PostgreSQL 客户端。")
    return path


def _run(command: list[str], env: dict[str, str], what: str) -> None:
    try:
        subprocess.run(command, env=env, check=True, capture_output=True, text=True,
                       timeout=PG_TIMEOUT)
    except subprocess.CalledProcessError as error:
        detail = (error.stderr or "").strip().splitlines()[-3:]
        raise BackupError(f"{what}失败：" + " / ".join(detail)) from None
    except subprocess.TimeoutExpired:
        raise BackupError(f"{what}超时（{PG_TIMEOUT // 3600} 小时）。") from None


def _pg_copy(engine: Engine, target: Path) -> Snapshot:
    """pg_dump from an exported snapshot; the counts are read in that same snapshot."""
    pg_dump = _tool("pg_dump")
    dsn, env = _libpq(engine)
    with engine.connect().execution_options(isolation_level="REPEATABLE READ") as conn:
        with conn.begin():
            snapshot_id = conn.scalar(text("SELECT pg_export_snapshot()"))
            snapshot = _snapshot(conn)
            _run([pg_dump, "--format=custom", "--no-owner", "--no-privileges",
                  f"--snapshot={snapshot_id}", f"--file={target}", f"--dbname={dsn}"],
                 env, "pg_dump 导出数据库")
    return snapshot


# --- create ---------------------------------------------------------------------------------

def _archive_name(directory: Path) -> Path:
    stamp = datetime.now(CST).strftime("%Y%m%d-%H%M%S")
    path = directory / f"{PREFIX}{stamp}"
    n = 2
    while path.exists() or (directory / f".{path.name}.partial").exists():
        path = directory / f"{PREFIX}{stamp}-{n}"
        n += 1
    return path


def create_backup(directory: Path) -> tuple[Path, dict]:
    """Back up the database and the photos it refers to into a new folder under `directory`."""
    engine = db.engine
    dialect = engine.dialect.name
    if dialect not in DATABASE_FILES:
        raise BackupError(f"不支持备份 {dialect} 数据库。")
    directory.mkdir(parents=True, exist_ok=True)
    final = _archive_name(directory)
    partial = directory / f".{final.name}.partial"
    partial.mkdir()
    try:
        database = partial / DATABASE_FILES[dialect]
        if dialect == "sqlite":
            _sqlite_copy(engine, database)
            snapshot = _read_sqlite(database)
        else:
            snapshot = _pg_copy(engine, database)
        # Photo files are written before their rows and never removed while referenced, so
        # every photo in the snapshot is on disk now, whatever has arrived since.
        photos, missing = {}, []
        for relative in _photo_files(snapshot.photo_hashes):
            source = photo_root() / relative
            if source.is_file():
                photos[relative] = _copy_atomic(source, partial / PHOTOS / relative)
            else:
                missing.append(relative)
        manifest = {
            "format": FORMAT,
            "created_at": datetime.now(CST).isoformat(timespec="seconds"),
            "dialect": dialect,
            "alembic_revision": snapshot.revision,
            "database": {"file": database.name, "bytes": database.stat().st_size,
                         "sha256": file_sha256(database)},
            "tables": snapshot.tables,
            "photos": photos,
            "missing_photos": missing,
        }
        _write_json(partial / MANIFEST, manifest)
        os.replace(partial, final)
    except BaseException:
        shutil.rmtree(partial, ignore_errors=True)
        raise
    return final, manifest


def _write_json(path: Path, data: dict) -> None:
    with open(path, "w", encoding="utf-8") as handle:
        json.dump(data, handle, ensure_ascii=False, indent=2, sort_keys=True)
        handle.flush()
        os.fsync(handle.fileno())


# --- reading and checking an archive --------------------------------------------------------

def read_manifest(archive: Path) -> dict:
    """The archive's manifest, or BackupError if this is not a (complete) backup."""
    try:
        manifest = json.loads((archive / MANIFEST).read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise BackupError(f"{archive} 不是完整的备份（缺少 {MANIFEST}）。") from None
    except (OSError, ValueError) as error:
        raise BackupError(f"无法读取备份清单 {archive / MANIFEST}：{error}") from None
    if not isinstance(manifest, dict) or manifest.get("format") != FORMAT:
        raise BackupError(f"备份格式不受支持（需要第 {FORMAT} 版）。")
    if manifest.get("dialect") not in DATABASE_FILES:
        raise BackupError("备份清单中的数据库类型无效。")
    return manifest


def damaged_files(archive: Path, manifest: dict) -> list[str]:
    """Files of the archive that are missing or whose SHA-256 differs from the manifest."""
    damaged = []
    database = archive / manifest["database"]["file"]
    if not database.is_file() or file_sha256(database) != manifest["database"]["sha256"]:
        damaged.append(manifest["database"]["file"])
    for relative, expected in manifest["photos"].items():
        path = archive / PHOTOS / relative
        if not path.is_file() or file_sha256(path) != expected:
            damaged.append(f"{PHOTOS}/{relative}")
    return damaged


def _check_archive(archive: Path) -> dict:
    manifest = read_manifest(archive)
    damaged = damaged_files(archive, manifest)
    if damaged:
        shown = "、".join(damaged[:5]) + (f" 等 {len(damaged)} 个文件" if len(damaged) > 5 else "")
        raise BackupError(f"备份已损坏：{shown} 缺失或内容与清单不符。")
    return manifest


# --- compare (verify) -----------------------------------------------------------------------

def instance_state() -> tuple[Snapshot, dict[str, str | None]]:
    """This instance's row counts and the SHA-256 of each photo file its rows refer to."""
    with db.engine.connect() as conn:
        snapshot = _snapshot(conn)
    root = photo_root()
    files = {relative: file_sha256(root / relative) if (root / relative).is_file() else None
             for relative in _photo_files(snapshot.photo_hashes)}
    return snapshot, files


def compare(archive: Path) -> Comparison:
    """Compare this instance with an archive: row counts per table and every photo file."""
    manifest = _check_archive(archive)
    snapshot, files = instance_state()
    result = Comparison(rows=sum(snapshot.tables.values()), photos=len(files))
    for name in sorted(set(manifest["tables"]) | set(snapshot.tables)):
        mine, theirs = snapshot.tables.get(name), manifest["tables"].get(name)
        if mine != theirs:
            result.tables[name] = (theirs, mine)
    for relative, expected in manifest["photos"].items():
        actual = files.get(relative)
        if actual is None:
            result.photos_missing.append(relative)
        elif actual != expected:
            result.photos_changed.append(relative)
    result.photos_extra = sorted(set(files) - set(manifest["photos"]) - set(manifest["missing_photos"]))
    return result


# --- restore --------------------------------------------------------------------------------

def _refuse_unless_empty(manifest: dict) -> Snapshot:
    with db.engine.connect() as conn:
        current = _snapshot(conn)
    filled = {name: n for name, n in current.tables.items() if n and name != "alembic_version"}
    if filled:
        listed = "、".join(f"{name}（{n} 行）" for name, n in list(filled.items())[:5])
        raise BackupError(f"目标数据库不是空的：{listed}。只能恢复到空实例，以免覆盖现有数据。")
    if current.revision and current.revision != manifest["alembic_revision"]:
        raise BackupError(
            f"目标数据库的结构版本（{current.revision}）与备份（{manifest['alembic_revision']}）不同："
            "请恢复到一个没有任何表的新数据库，恢复后再运行 flask db upgrade。")
    return current


def restore_backup(archive: Path) -> Comparison:
    """Restore an archive onto this instance, which must hold no data; returns the comparison."""
    manifest = _check_archive(archive)
    engine = db.engine
    dialect = engine.dialect.name
    if manifest["dialect"] != dialect:
        raise BackupError(f"该备份来自 {DIALECT_LABELS[manifest['dialect']]} 数据库，"
                          f"不能恢复到 {DIALECT_LABELS.get(dialect, dialect)} 数据库。")
    current = _refuse_unless_empty(manifest)
    # Photos first: a row must never exist without its files (the reverse is harmless).
    root = photo_root()
    for relative, expected in manifest["photos"].items():
        target = root / relative
        if not (target.is_file() and file_sha256(target) == expected):
            _copy_atomic(archive / PHOTOS / relative, target)
    database = archive / manifest["database"]["file"]
    db.session.remove()
    engine.dispose()
    if dialect == "sqlite":
        _sqlite_restore(engine, database)
    else:
        _pg_restore(engine, database, clean=bool(current.tables))
    engine.dispose()
    return compare(archive)


def _sqlite_restore(engine: Engine, database: Path) -> None:
    """Replace the (empty) target database with the archived one through the backup API."""
    source = sqlite3.connect(f"file:{database}?mode=ro", uri=True)
    raw = engine.raw_connection()
    try:
        source.backup(raw.driver_connection)
    finally:
        raw.close()
        source.close()


def _pg_restore(engine: Engine, database: Path, *, clean: bool) -> None:
    """pg_restore in one transaction; over empty tables of the same schema they are replaced."""
    dsn, env = _libpq(engine)
    command = [_tool("pg_restore"), "--no-owner", "--no-privileges", "--exit-on-error",
               "--single-transaction", f"--dbname={dsn}"]
    if clean:
        command += ["--clean", "--if-exists"]
    _run([*command, str(database)], env, "pg_restore 恢复数据库")
