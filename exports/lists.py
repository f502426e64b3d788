"""The desk's lists as workbooks: one sheet, a title, the filters, a header and one row per record.

Pure builders: rows come in as the API's JSON items (dicts, as the list's Out schema dumps them),
the workbook goes out to a binary file. Written with openpyxl's write-only mode, row by row, so
memory stays flat however many rows there are (openpyxl spools the sheet to a temporary file).
The columns of each list are data (`LISTS`), the same columns the desk shows.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any, BinaryIO

from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter

from exports.xlsx_safety import clean_text, is_risky

DATE_FORMAT = "yyyy-mm-dd"


def _path(dotted: str) -> Callable[[dict], Any]:
    """A getter of `a.b.c` in a dumped item (None when any part is missing)."""
    parts = dotted.split(".")

    def get(item: dict) -> Any:
        value: Any = item
        for part in parts:
            if not isinstance(value, dict):
                return None
            value = value.get(part)
        return value

    return get


def _names(dotted: str) -> Callable[[dict], str]:
    """The `name`s of a list of objects, joined with 、 (a school's canteens, its suppliers)."""
    return lambda item: "、".join(entry.get("name", "") for entry in item.get(dotted) or [])


def _yes_no(dotted: str) -> Callable[[dict], str]:
    get = _path(dotted)
    return lambda item: {True: "是", False: "否"}.get(get(item), "")


@dataclass(frozen=True)
class Column:
    header: str
    value: Callable[[dict], Any]
    width: int = 14
    is_date: bool = False
    requires: str | None = None  # the item field the column shows only when the API sends it


def col(header: str, key: str, width: int = 14, *, is_date: bool = False) -> Column:
    return Column(header, _path(key), width, is_date, key.split(".")[0])


@dataclass(frozen=True)
class ListSheet:
    """One list's workbook: its title and columns."""

    title: str
    columns: Sequence[Column]


LISTS: dict[str, ListSheet] = {
    "inspections": ListSheet("检查记录", (
        col("检查日期", "inspected_on", 12, is_date=True),
        col("单位名称", "unit.name", 36),
        col("单位类型", "unit.kind_label", 16),
        col("所在地", "unit.jurisdiction_name", 14),
        col("许可证编号", "unit.licence_no", 18),
        col("检查结果", "result_label", 12),
        col("发现问题数", "problems_found", 10),
        col("处理方式", "handling_label", 18),
        col("检查编号", "id", 38),
    )),
    "orders": ListSheet("整改通知", (
        col("通知书编号", "number", 22),
        col("单位名称", "unit.name", 36),
        col("单位类型", "unit.kind_label", 16),
        col("所在地", "unit.jurisdiction_name", 14),
        col("下达日期", "issued_on", 12, is_date=True),
        col("整改期限", "deadline", 12, is_date=True),
        col("状态", "status_label", 18),
        Column("逾期", _yes_no("overdue"), 6),
        col("逾期天数", "days_overdue", 9),
        Column("整改报告数", lambda item: len(item.get("reports") or []), 10),
        Column("复查次数", lambda item: len(item.get("rechecks") or []), 9),
        col("销号日期", "closed_on", 12, is_date=True),
    )),
    "cases": ListSheet("立案查处", (
        col("案件编号", "case_no", 22),
        col("单位名称", "unit.name", 36),
        col("单位类型", "unit.kind_label", 16),
        col("所在地", "unit.jurisdiction_name", 14),
        col("立案日期", "filed_on", 12, is_date=True),
        col("处罚决定日期", "decided_on", 12, is_date=True),
        col("罚款（元）", "fine_yuan", 12),
        col("没收违法所得（元）", "confiscated_yuan", 14),
        col("吊销许可证日期", "licence_revoked_on", 14, is_date=True),
        col("取缔日期", "banned_on", 12, is_date=True),
        col("移送公安日期", "transferred_on", 12, is_date=True),
        col("案情摘要", "summary", 40),
    )),
    "units": ListSheet("单位", (
        col("单位名称", "name", 36),
        col("单位类型", "kind_label", 16),
        col("所在地", "jurisdiction_name", 14),
        col("所属学校", "school_name", 28),
        col("地址", "address", 36),
        col("许可证编号", "licence_no", 18),
        col("许可证有效期至", "licence_expires_on", 14, is_date=True),
        col("许可证状态", "licence_status_label", 12),
        col("最近检查日期", "last_inspection.date", 12, is_date=True),
        col("最近检查结果", "last_inspection.result_label", 12),
        col("未销号整改通知", "open_orders", 12),
    )),
    "uninspected": ListSheet("期内未检查的单位", (
        col("单位名称", "name", 36),
        col("单位类型", "kind_label", 16),
        col("所在地", "jurisdiction_name", 14),
        col("许可证编号", "licence_no", 18),
        col("截止日期前最近检查日期", "last_inspected_on", 16, is_date=True),
        col("单位编号", "id", 10),
    )),
    "schools": ListSheet("学校", (
        col("学校名称", "name", 32),
        col("学段", "stage_label", 10),
        col("所在地", "jurisdiction_name", 14),
        col("地址", "address", 36),
        col("统一社会信用代码", "uscc", 20),
        Column("食堂", _names("canteens"), 36),
        Column("今日供餐单位", _names("suppliers"), 36),
    )),
    "supply-links": ListSheet("供餐关系", (
        col("学校", "school_name", 32),
        col("学校所在地", "school_jurisdiction_name", 14),
        col("供餐单位", "supplier_name", 32),
        col("供餐单位许可证编号", "supplier_licence_no", 18),
        col("开始日期", "starts_on", 12, is_date=True),
        col("结束日期", "ends_on", 12, is_date=True),
        Column("今日有效", _yes_no("current"), 8),
    )),
}


def _cell(ws, value: Any, is_date: bool):
    """A value as a write-only cell: dates as dates, text always inert (never a formula)."""
    if value is None or value == "":
        return None
    if is_date and isinstance(value, str):
        try:
            value = date.fromisoformat(value[:10])
        except ValueError:
            pass
    if isinstance(value, date):
        cell = WriteOnlyCell(ws, value=value)
        cell.number_format = DATE_FORMAT
        return cell
    if isinstance(value, bool | int | float):
        return value
    text = clean_text(value)
    if not is_risky(text):
        return text
    cell = WriteOnlyCell(ws, value=text)
    cell.data_type = "s"
    cell.quotePrefix = True
    return cell


def write_list(out: BinaryIO, sheet: ListSheet, rows: Iterable[dict], *, subtitle: str = "",
               fields: Iterable[str] | None = None) -> int:
    """Write the workbook of `rows` to `out`; returns the number of data rows written. With
    `fields` (the item fields the API sends), columns of other fields are left out."""
    known = set(fields) if fields is not None else None
    columns = [c for c in sheet.columns if known is None or c.requires is None or c.requires in known]
    workbook = Workbook(write_only=True)
    ws = workbook.create_sheet(sheet.title)
    for index, column in enumerate(columns, start=1):
        ws.column_dimensions[get_column_letter(index)].width = column.width
    ws.freeze_panes = "A4"
    title = WriteOnlyCell(ws, value=sheet.title)
    title.font = Font(bold=True, size=14)
    ws.append([title])
    ws.append([clean_text(subtitle)] if subtitle else [])
    bold, fill = Font(bold=True), PatternFill("solid", fgColor="DDE5F2")
    header = []
    for column in columns:
        cell = WriteOnlyCell(ws, value=column.header)
        cell.font, cell.fill = bold, fill
        cell.alignment = Alignment(wrap_text=True, vertical="center")
        header.append(cell)
    ws.append(header)
    written = 0
    for item in rows:
        ws.append([_cell(ws, column.value(item), column.is_date) for column in columns])
        written += 1
    workbook.save(out)
    return written
