"""Pagination shared by every list endpoint: page numbers for the first pages, keyset cursors
for the rest, and a bounded count.

A list is a `Select` whose ORDER BY ends with the primary key (a unique tiebreaker), e.g.
`started_at DESC, id DESC`. Each page carries `next_cursor` / `prev_cursor`: the sort values of
its last / first row, signed, so that the next page is `WHERE (started_at, id) < (…)` — an index
range, as cheap on page 1,000 as on page 1. `page` still works (offset pagination), up to
`LIST_MAX_OFFSET` rows deep; beyond that the client is told to follow the cursor. `total` is
counted up to `LIST_COUNT_CAP` rows; past that it is that lower bound and `total_is_estimate` is
true, so a province-wide list never counts 300,000 rows per page.
"""

from __future__ import annotations

import enum
import hashlib
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from flask import current_app
from itsdangerous import BadData, URLSafeSerializer
from marshmallow import Schema, fields, validate
from sqlalchemy import ColumnElement, Select, func, literal, select, tuple_
from sqlalchemy.sql import operators
from sqlalchemy.sql.elements import UnaryExpression

from foodsafety.errors import invalid
from foodsafety.extensions import db

CURSOR_SALT = "list-cursor"
BAD_CURSOR = "翻页游标无效或已过期，请从第一页重新查询。"


class PageArgsSchema(Schema):
    page = fields.Integer(load_default=1, validate=validate.Range(min=1, max=100000))
    per_page = fields.Integer(load_default=50, validate=validate.Range(min=1, max=200))
    cursor = fields.String(validate=validate.Length(max=2000), metadata={
        "description": "翻页游标：上一页返回的 next_cursor 或 prev_cursor；给出时不看 page"})


# --- the sort key ---------------------------------------------------------------------------

def _sort_key(query: Select) -> list[tuple[ColumnElement, bool]]:
    """The ORDER BY of `query` as (column, descending) pairs."""
    key = []
    for clause in query._order_by_clauses:  # noqa: SLF001  (no public accessor in SQLAlchemy 2.0)
        if isinstance(clause, UnaryExpression) and clause.modifier in (operators.desc_op,
                                                                        operators.asc_op):
            key.append((clause.element, clause.modifier is operators.desc_op))
        else:
            key.append((clause, False))
    return key


def _keyset_capable(key: list[tuple[ColumnElement, bool]]) -> bool:
    """Cursors need a sort key of plain non-null columns, all one direction (one row-value
    comparison, one index range), ending with a primary key."""
    if not key or len({descending for _, descending in key}) != 1:
        return False
    columns = [column for column, _ in key]
    if not all(hasattr(c, "nullable") and hasattr(c, "primary_key") for c in columns):
        return False
    return columns[-1].primary_key and not any(c.nullable for c in columns)


def _signature(key: list[tuple[ColumnElement, bool]]) -> str:
    """Which list a cursor belongs to: a cursor of another list is refused."""
    text = ",".join(f"{c.table.name}.{c.name}{' desc' if d else ''}" for c, d in key)
    return hashlib.sha256(text.encode()).hexdigest()[:12]


def _after(key: list[tuple[ColumnElement, bool]], values: list, forward: bool) -> ColumnElement:
    """Rows strictly after `values` in the key's order (strictly before with `forward=False`):
    `(started_at, id) < (:a, :b)`, a row-value comparison both databases answer from the index."""
    columns = tuple_(*(column for column, _ in key))
    bound = tuple_(*(literal(value, column.type) for (column, _), value in zip(key, values,
                                                                               strict=True)))
    descending = key[0][1]
    return columns < bound if descending == forward else columns > bound


# --- cursors --------------------------------------------------------------------------------

def _encode_value(value: Any) -> Any:
    if isinstance(value, enum.Enum):
        return value.value
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, Decimal):
        return str(value)
    return value


def _decode_value(column: ColumnElement, value: Any) -> Any:
    """A cursor value back to the column's Python type (ValueError/TypeError when malformed)."""
    python_type = column.type.python_type
    if issubclass(python_type, enum.Enum):
        return python_type(value)
    if python_type is datetime:
        return datetime.fromisoformat(value)
    if python_type is date:
        return date.fromisoformat(value)
    if python_type is Decimal:
        return Decimal(value)
    if python_type is int and not isinstance(value, bool) and isinstance(value, int):
        return value
    if python_type is str and isinstance(value, str):
        return value
    raise TypeError(f"unexpected cursor value for {column}")


def _serializer() -> URLSafeSerializer:
    return URLSafeSerializer(current_app.config["SECRET_KEY"], salt=CURSOR_SALT)


def _make_cursor(signature: str, row_values, forward: bool, page: int) -> str:
    return _serializer().dumps({"k": signature, "v": [_encode_value(v) for v in row_values],
                                "f": forward, "p": page})


def _read_cursor(token: str, key: list[tuple[ColumnElement, bool]], signature: str
                 ) -> tuple[list, bool, int]:
    """(values, forward, page of the page the cursor leads to); 422 when it is not ours."""
    try:
        data = _serializer().loads(token)
        if data["k"] != signature or len(data["v"]) != len(key):
            raise ValueError("cursor of another list")
        values = [_decode_value(column, value) for (column, _), value in zip(key, data["v"],
                                                                             strict=True)]
        forward, page = bool(data["f"]), int(data["p"])
    except (BadData, KeyError, TypeError, ValueError, ArithmeticError, NotImplementedError):
        raise invalid({"cursor": [BAD_CURSOR]}) from None
    return values, forward, max(page, 1)


# --- one page -------------------------------------------------------------------------------

def count_capped(query: Select, cap: int) -> tuple[int, bool]:
    """The number of rows of `query`, counting at most `cap + 1`: (total, total_is_estimate)."""
    rows = (query.order_by(None).with_only_columns(literal(1), maintain_column_froms=True)
            .limit(cap + 1).subquery())
    total = db.session.scalar(select(func.count()).select_from(rows))
    return (cap, True) if total > cap else (total, False)


def paginate(query: Select, args: dict, dump: Any, per_page_max: int | None = None) -> dict:
    """Run `query` for one page; `dump(rows)` turns the rows into JSON-ready items."""
    config = current_app.config
    per_page = min(args.get("per_page", 50), per_page_max or config["PAGE_SIZE_MAX"])
    key = _sort_key(query)
    keyset = _keyset_capable(key)
    signature = _signature(key) if keyset else ""
    token = args.get("cursor")
    if token and not keyset:
        raise invalid({"cursor": [BAD_CURSOR]})
    if token:
        values, forward, page = _read_cursor(token, key, signature)
        window = query.where(_after(key, values, forward))
        if not forward:  # walk backwards from the cursor, then put the rows back in order
            window = window.order_by(None).order_by(
                *(column.asc() if descending else column.desc() for column, descending in key))
    else:
        page, forward = args.get("page", 1), True
        offset = (page - 1) * per_page
        if offset > config["LIST_MAX_OFFSET"]:
            deepest = config["LIST_MAX_OFFSET"] // per_page + 1
            raise invalid({"page": [f"页码过大：按页码最多翻到第 {deepest} 页（每页 {per_page} 条）。"
                                    "更后面的记录请用上一页返回的 next_cursor 继续翻页，或缩小筛选范围。"]})
        window = query.offset(offset) if offset else query
    columns = [column for column, _ in key] if keyset else []
    rows = db.session.execute(window.add_columns(*columns).limit(per_page + 1)).all()
    more = len(rows) > per_page
    rows = rows[:per_page]
    if not forward:
        rows.reverse()
    has_next = more if forward else bool(token)
    has_prev = (page > 1) if forward else more
    next_cursor = prev_cursor = None
    if keyset and rows:
        width = len(columns)
        if has_next:
            next_cursor = _make_cursor(signature, rows[-1][-width:], True, page + 1)
        if has_prev:
            prev_cursor = _make_cursor(signature, rows[0][-width:], False, page - 1)
    total, estimate = count_capped(query, config["LIST_COUNT_CAP"])
    items = [row[0] for row in rows]
    return {"items": dump(items), "page": page, "per_page": per_page, "total": total,
            "total_is_estimate": estimate, "next_cursor": next_cursor, "prev_cursor": prev_cursor}


def page_schema(item_schema: type[Schema], name: str) -> type[Schema]:
    """An OpenAPI schema for a page of `item_schema`."""
    return Schema.from_dict(
        {
            "items": fields.List(fields.Nested(item_schema)),
            "page": fields.Integer(),
            "per_page": fields.Integer(),
            "total": fields.Integer(metadata={"description": "总条数；total_is_estimate 为真时为下限"}),
            "total_is_estimate": fields.Boolean(
                metadata={"description": "记录超过计数上限时为真：total 只是下限"}),
            "next_cursor": fields.String(allow_none=True,
                                         metadata={"description": "下一页的翻页游标；没有下一页时为 null"}),
            "prev_cursor": fields.String(allow_none=True,
                                         metadata={"description": "上一页的翻页游标；没有上一页时为 null"}),
        },
        name=name,
    )


# --- sorting --------------------------------------------------------------------------------

def sort_field(sorts: dict[str, str], default: str) -> fields.String:
    """A list's `sort` query parameter: a key of `sorts` (key → Chinese description), with a
    leading `-` for the descending order. The OpenAPI document lists every accepted value."""
    values = [value for key in sorts for value in (key, f"-{key}")]
    described = "；".join(f"{key}：{text}" for key, text in sorts.items())
    return fields.String(load_default=default, validate=validate.OneOf(values), metadata={
        "description": f"排序（前加 - 为倒序）。{described}。默认 {default}"})


def sorted_by(query: Select, sorts: dict[str, tuple[ColumnElement, ...]], sort: str) -> Select:
    """`query` ordered by the columns of `sort` (a key of `sorts`, `-key` for descending). Each
    key ends with the primary key, all one direction, so the list keeps its keyset cursors."""
    descending = sort.startswith("-")
    columns = sorts[sort.removeprefix("-")]
    return query.order_by(*(column.desc() if descending else column.asc() for column in columns))
