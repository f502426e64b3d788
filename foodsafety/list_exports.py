"""A list's Excel export as a download: the rows the list's filters select, streamed.

The view hands over the list's query, how a batch of its models becomes JSON items (the list's
Out schema) and which sheet (`exports.lists.LISTS`). The rows are counted first (the answer's
`X-Export-Rows` header, so the page can show how many rows are coming), then read and serialised
in batches while the builder writes them to a temporary file in openpyxl's write-only mode; the
file is streamed out and deleted. Memory stays flat however many rows there are.
"""

from __future__ import annotations

import tempfile
from collections.abc import Callable, Iterator

from flask import Response, current_app, stream_with_context
from sqlalchemy import Select

from exports.lists import LISTS, write_list
from foodsafety.downloads import XLSX, send_stream
from foodsafety.errors import invalid
from foodsafety.extensions import db
from foodsafety.pagination import count_capped
from foodsafety.registry.models import Jurisdiction
from foodsafety.timeutil import iso_cst, today_cst, utcnow
from foodsafety.vocabulary import (
    Handling,
    LicenceStatus,
    OrderStatus,
    Result,
    SchoolStage,
    UnitKind,
)

CHUNK = 64 * 1024
ROWS_HEADER = "X-Export-Rows"
# How every export route documents its answer (OpenAPI): a binary body and the row count header.
EXPORTED = {"type": "string", "format": "binary"}
ROWS = {ROWS_HEADER: {"description": "导出的行数", "schema": {"type": "integer"}}}


# The filters as the workbook's subtitle names them (values of a vocabulary by their label).
FILTERS = {"jurisdiction": ("行政区划", None), "period": ("期间", None), "date_from": ("起始日期", None),
           "date_to": ("截止日期", None), "kind": ("单位类型", UnitKind), "result": ("检查结果", Result),
           "handling": ("处理方式", Handling), "status": ("状态", OrderStatus), "overdue": ("逾期", None),
           "decided": ("已作出处罚决定", None), "licence_status": ("许可证状态", LicenceStatus),
           "stage": ("学段", SchoolStage), "current": ("今日有效", None), "q": ("搜索", None),
           "unit_id": ("单位编号", None), "school_id": ("学校编号", None), "supplier_id": ("供餐单位编号", None)}


def describe_filters(filters: dict) -> str:
    """`行政区划：锦江区；检查结果：不符合` — the filters an export was made with, in Chinese."""
    parts = []
    for key, value in filters.items():
        if key not in FILTERS or value is None or value == "":
            continue
        label, vocabulary = FILTERS[key]
        if key == "jurisdiction":
            place = db.session.get(Jurisdiction, value)
            value = f"{place.name}（含下级）" if place else value
        elif vocabulary is not None:
            value = vocabulary(value).label
        elif isinstance(value, bool):
            value = "是" if value else "否"
        parts.append(f"{label}：{value}")
    return "；".join(parts)


def _items(query: Select, dump: Callable[[list], list[dict]]) -> Iterator[dict]:
    batch = current_app.config["EXPORT_BATCH"]
    for models in db.session.scalars(query.execution_options(yield_per=batch)).partitions():
        yield from dump(list(models))


def export_list(name: str, query: Select, dump: Callable[[list], list[dict]],
                fields: list[str], filters: dict) -> Response:
    """Stream the workbook of list `name` (a key of `LISTS`) for `query`; 422 over the cap."""
    cap = current_app.config["EXPORT_MAX_ROWS"]
    total, over = count_capped(query, cap)
    if over:
        raise invalid({"_schema": [f"导出最多 {cap:,} 行，当前筛选超过该数量，请缩小筛选范围（如行政区划或期间）。"]})
    sheet = LISTS[name]
    described = describe_filters(filters)
    subtitle = f"导出时间 {iso_cst(utcnow())[:16].replace('T', ' ')}（北京时间），共 {total} 条" + (
        f"；筛选：{described}" if described else "")

    def chunks() -> Iterator[bytes]:
        with tempfile.TemporaryFile() as spool:
            write_list(spool, sheet, _items(query, dump), subtitle=subtitle, fields=fields)
            spool.seek(0)
            while chunk := spool.read(CHUNK):
                yield chunk

    response = send_stream(stream_with_context(chunks()),
                           f"{sheet.title}-{today_cst().isoformat()}.xlsx", XLSX,
                           fallback=f"{name}-{today_cst().isoformat()}.xlsx")
    response.headers[ROWS_HEADER] = str(total)
    response.headers["Access-Control-Expose-Headers"] = ROWS_HEADER
    return response
