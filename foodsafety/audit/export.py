"""The audit log as CSV, row by row: the export streams, so memory stays flat however long it is."""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterable, Iterator

from foodsafety.audit.models import AuditEntry
from foodsafety.timeutil import iso_cst

COLUMNS = (
    ("时间", lambda e: iso_cst(e.at)),
    ("用户名", lambda e: e.username),
    ("用户编号", lambda e: e.user_id),
    ("角色", lambda e: e.role),
    ("行政区划", lambda e: e.jurisdiction_code),
    ("事件", lambda e: e.event),
    ("对象类型", lambda e: e.object_type),
    ("对象编号", lambda e: e.object_id),
    ("结果", lambda e: {"success": "成功", "failure": "失败", "denied": "拒绝"}.get(e.outcome, e.outcome)),
    ("状态码", lambda e: e.status),
    ("客户端地址", lambda e: e.client_ip),
    ("请求编号", lambda e: e.request_id),
    ("详情", lambda e: json.dumps(e.detail, ensure_ascii=False) if e.detail else ""),
)
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def _cell(value) -> str:
    """A cell a spreadsheet shows as text: never a formula (user names come from outside)."""
    text = "" if value is None else str(value)
    return "'" + text if text.startswith(_FORMULA_START) else text


def csv_lines(entries: Iterable[AuditEntry]) -> Iterator[bytes]:
    """A UTF-8 BOM (so Excel reads the Chinese), the header, then one line per entry."""
    buffer = io.StringIO()
    writer = csv.writer(buffer)

    def line(values) -> bytes:
        buffer.seek(0)
        buffer.truncate()
        writer.writerow(values)
        return buffer.getvalue().encode()

    yield "\ufeff".encode() + line(name for name, _ in COLUMNS)
    for entry in entries:
        yield line(_cell(get(entry)) for _, get in COLUMNS)
