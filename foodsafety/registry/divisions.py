"""GB/T 2260 administrative divisions: parse the bundled CSV files, load them, keep the closure.

A code is six digits `PPCCDD`: `PP0000` a province (level 1), `PPCC00` a prefecture-level
division (level 2), anything else a county-level division (level 3). The quirks of the
standard fit that shape: municipalities list their districts under `PP0100 市辖区` (and
Chongqing its counties under `500200 县`), and provinces list the county-level divisions
they govern directly under `PP9000 省直辖县级行政区划` (e.g. 429004 仙桃市 under 429000).

The loader upserts the jurisdictions of the provinces it touches and brings the closure
table of those provinces up to date with set-based statements; it flushes and leaves the
commit to the caller.
"""

from __future__ import annotations

import csv
import os
import re
from collections.abc import Iterable
from pathlib import Path
from typing import IO

from sqlalchemy import bindparam, delete, insert, or_, select

from foodsafety.extensions import db
from foodsafety.registry.models import Jurisdiction, JurisdictionClosure

DATA_DIR = Path(__file__).resolve().parent / "data" / "gbt2260"
CODE_RE = re.compile(r"[0-9]{6}")
PROVINCE_RE = re.compile(r"[1-9][0-9]0000")
NAME_MAX = 64  # Jurisdiction.name is String(64)

Row = tuple[str, str]


def parse_divisions_csv(path_or_file: str | os.PathLike[str] | IO[str]) -> list[Row]:
    """Read a `code,name` CSV (UTF-8, header optional) into `(code, name)` tuples, file order.

    Blank lines are skipped. Raises `ValueError` naming the line for a code that is not six
    digits, an empty or over-long name, a wrong number of columns or a repeated code.
    """
    if isinstance(path_or_file, (str, os.PathLike)):
        with open(path_or_file, encoding="utf-8-sig", newline="") as handle:
            return _parse(handle)
    return _parse(path_or_file)


def _parse(handle: IO[str]) -> list[Row]:
    rows: list[Row] = []
    first_line: dict[str, int] = {}
    reader = csv.reader(handle)
    for fields in reader:
        line = reader.line_num
        if not any(field.strip() for field in fields):
            continue
        cells = [field.strip() for field in fields]
        if not rows and cells[0].lstrip("\ufeff").lower() == "code":
            continue  # header (only before the first data row)
        if len(cells) != 2:
            raise ValueError(f"第 {line} 行：应有 2 列（代码,名称），实际为 {len(cells)} 列")
        code, name = cells
        problem = _row_problem(code, name)
        if problem:
            raise ValueError(f"第 {line} 行：{problem}")
        if code in first_line:
            raise ValueError(f"第 {line} 行：区划代码 {code} 与第 {first_line[code]} 行重复")
        first_line[code] = line
        rows.append((code, name))
    return rows


def _row_problem(code: str, name: str) -> str | None:
    """What is wrong with one division row, in Chinese, or None."""
    if not CODE_RE.fullmatch(code):
        return f"区划代码“{code}”应为 6 位数字"
    if code[:2] == "00":
        return f"区划代码“{code}”的省级部分不能为 00"
    if not name:
        return f"区划代码 {code} 的名称为空"
    if len(name) > NAME_MAX:
        return f"区划代码 {code} 的名称超过 {NAME_MAX} 个字符"
    return None


def infer_parent(code: str, known: set[str]) -> tuple[int, str | None]:
    """The `(level, parent_code)` of a division from the structure of its GB/T 2260 code.

    `PP0000` is a province with no parent; `PPCC00` is prefecture-level under `PP0000`
    (this covers 市辖区 `PP01`, 省直辖县级行政区划 `PP90` and Chongqing's 500100/500200);
    any other code is county-level under `PPCC00` when that code is in `known`, otherwise
    directly under the province `PP0000`.
    """
    if not CODE_RE.fullmatch(code):
        raise ValueError(f"区划代码“{code}”应为 6 位数字")
    province = code[:2] + "0000"
    if code == province:
        return 1, None
    if code[4:] == "00":
        return 2, province
    prefecture = code[:4] + "00"
    return 3, prefecture if prefecture in known else province


def load_divisions(rows: Iterable[Row]) -> int:
    """Upsert divisions and bring the closure table of their provinces up to date.

    New codes are inserted (parents before children), existing ones get their name, level
    and parent updated when they differ; divisions absent from `rows` are left alone (data
    may still point at them). A parent may come from `rows` or already be in the database;
    a missing province raises `ValueError`. Flushes, never commits. Loading the same rows
    again writes nothing. Returns the number of distinct divisions in `rows`.
    """
    wanted = _collect(rows)
    if not wanted:
        return 0
    provinces = sorted({code[:2] for code in wanted})
    session = db.session

    existing = {
        j.code: j
        for j in session.scalars(
            select(Jurisdiction).where(_in_provinces(Jurisdiction.code, provinces))
        )
    }
    known = set(wanted) | set(existing)
    planned: dict[str, tuple[str, int, str | None]] = {}
    for code, name in wanted.items():
        level, parent = infer_parent(code, known)
        if parent is not None and parent not in known:
            raise ValueError(f"区划 {code} {name} 的上级区划 {parent} 既不在文件中，也不在数据库中")
        planned[code] = (name, level, parent)

    # Parents first: one bulk INSERT per level keeps the self-referencing FK satisfied.
    for level in (1, 2, 3):
        new = [
            {"code": code, "name": name, "level": lv, "parent_code": parent}
            for code, (name, lv, parent) in sorted(planned.items())
            if lv == level and code not in existing
        ]
        if new:
            session.execute(insert(Jurisdiction), new)

    for code, (name, level, parent) in planned.items():
        current = existing.get(code)
        if current is None:
            continue
        if current.name != name:
            current.name = name
        if current.level != level:
            current.level = level
        if current.parent_code != parent:
            current.parent_code = parent
    session.flush()

    _sync_closure(provinces)
    return len(wanted)


def load_bundled(province_code: str) -> int:
    """Load the bundled `data/gbt2260/<province_code>.csv`; returns the number loaded."""
    return load_divisions(parse_divisions_csv(bundled_path(province_code)))


def bundled_path(province_code: str) -> Path:
    """The bundled CSV file of a province, or `ValueError` if there is none."""
    code = province_code.strip()
    if not PROVINCE_RE.fullmatch(code):
        raise ValueError(f"省级区划代码“{province_code}”应为 6 位数字且以 0000 结尾，如 510000")
    path = DATA_DIR / f"{code}.csv"
    if not path.is_file():
        available = "、".join(bundled_provinces()) or "无"
        raise ValueError(f"没有省级区划 {code} 的内置数据文件（现有：{available}）")
    return path


def bundled_provinces() -> list[str]:
    """Codes of the provinces that have a bundled CSV file, sorted."""
    return sorted(p.stem for p in DATA_DIR.glob("*.csv") if PROVINCE_RE.fullmatch(p.stem))


def _collect(rows: Iterable[Row]) -> dict[str, str]:
    """Validate rows and index them by code; a code repeated with another name is an error."""
    wanted: dict[str, str] = {}
    for index, (raw_code, raw_name) in enumerate(rows, start=1):
        code, name = str(raw_code).strip(), str(raw_name).strip()
        problem = _row_problem(code, name)
        if problem:
            raise ValueError(f"第 {index} 条：{problem}")
        if wanted.get(code, name) != name:
            raise ValueError(f"区划代码 {code} 出现了两个名称：{wanted[code]}、{name}")
        wanted[code] = name
    return wanted


def _in_provinces(column, provinces: list[str]):
    """`column` (a division code) belongs to one of the two-digit `provinces`."""
    return or_(*(column.startswith(p, autoescape=True) for p in provinces))


def _sync_closure(provinces: list[str]) -> None:
    """Make the closure rows of every division in `provinces` match the parent pointers.

    Reads the provinces' parent map and current closure rows in two queries, computes the
    pairs in Python (a province has a few hundred divisions), then deletes the stale pairs
    and inserts the missing ones, each as one executemany statement.
    """
    session = db.session
    parents: dict[str, str | None] = dict(
        session.execute(
            select(Jurisdiction.code, Jurisdiction.parent_code).where(
                _in_provinces(Jurisdiction.code, provinces)
            )
        )
        .tuples()
        .all()
    )
    desired: dict[tuple[str, str], int] = {}
    for code in parents:
        ancestor: str | None = code
        depth = 0
        seen: set[str] = set()
        while ancestor is not None and ancestor not in seen:
            seen.add(ancestor)
            desired[(ancestor, code)] = depth
            ancestor = parents.get(ancestor)
            depth += 1

    table = JurisdictionClosure.__table__
    current: dict[tuple[str, str], int] = {
        (a, d): depth
        for a, d, depth in session.execute(
            select(table.c.ancestor_code, table.c.descendant_code, table.c.depth).where(
                _in_provinces(table.c.descendant_code, provinces)
            )
        )
    }
    stale = [{"a": a, "d": d} for (a, d), depth in current.items() if desired.get((a, d)) != depth]
    missing = [
        {"ancestor_code": a, "descendant_code": d, "depth": depth}
        for (a, d), depth in sorted(desired.items())
        if current.get((a, d)) != depth
    ]
    if stale:
        session.execute(
            delete(table).where(
                table.c.ancestor_code == bindparam("a"),
                table.c.descendant_code == bindparam("d"),
            ),
            stale,
        )
    if missing:
        session.execute(insert(table), missing)
    session.flush()


__all__ = [
    "bundled_path",
    "bundled_provinces",
    "infer_parent",
    "load_bundled",
    "load_divisions",
    "parse_divisions_csv",
]
