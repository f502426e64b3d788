"""The statistics workbook (校园食品安全守护行动工作情况统计表) as a pure builder.

Input is one `StatisticsReport` (typed: figures, breakdown, validation results, coverage, built by
`foodsafety.statistics.workbook` from a snapshot row or a live table); output is an openpyxl
`Workbook` or its bytes. No database, no Flask. The layout is driven from
`foodsafety.statistics.definition.TABLE` (its merged cells from `TABLE.blocks()`, which the page
uses too): no label or row order here.

Sheet 1 「统计表」 is the official form, laid out as the attachment of 国市监食经〔2020〕61号:

    | 项目 (A:C merged)                                    | 数量 |
    | 基本情况 (A, merged  | 辖区内持证学校食堂数（家） (B:C)| 12   |
    |  down its 11 rows)  | …                              |      |
    | 督促整改情况         | 学校食堂整改问题 | 原料进货…（家） |      |
    |                     | 数量 (B, merged) | … (C)          |      |
    |                     | 供餐单位整改…    | …              |      |
    | 监督检查和案件查处情况 | 监督检查数（户次） (B:C)         |      |

i.e. column A holds the section label merged over its rows; column B holds a sub-group label merged
over its rows where the definition gives one (督促整改情况), and otherwise B:C are merged for the row's
label; column D holds the figure. All 30 rows are present even when zero. Sheet 2 「分地区明细」 repeats
the item columns with one figure column per child jurisdiction plus 合计 (the jurisdiction's own
figure); sheet 3 「校验与覆盖」 lists the validation results and the units not inspected in the period.
"""

from __future__ import annotations

import gc
import io
import math
import unicodedata
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from copy import copy
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any

from openpyxl import Workbook
from openpyxl.styles import Alignment, Border, Font, NamedStyle, PatternFill, Side
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.worksheet import Worksheet

from exports.xlsx_safety import footer_text, put_text
from foodsafety.periods import parse_period
from foodsafety.statistics.definition import TABLE, Row
from foodsafety.statistics.results import (
    BreakdownColumn,
    CoverageCount,
    Issue,
    UninspectedUnit,
    Value,
    display_value,
)
from foodsafety.timeutil import CST
from foodsafety.vocabulary import SnapshotKind

GENERATOR = "校园食品安全守护行动数据系统"
DRAFT = SnapshotKind.DRAFT.label
NOT_FINAL = "非定稿"  # a live table: computed on request, not a stored snapshot
SIGNATURE_LINE = "填报人：　　　　　　审核人：　　　　　　联系电话：　　　　　　填报日期：　　　　年　　月　　日"
SHEET_FORM, SHEET_BREAKDOWN, SHEET_CHECKS = "统计表", "分地区明细", "校验与覆盖"
TOTAL_LABEL = "合计"
INTEGER_FORMAT, MONEY_FORMAT = "0", "0.00"

BODY_FONT = "宋体"  # SimSun: renders Chinese in Excel, WPS and LibreOffice
TITLE_FONT = "黑体"  # SimHei
_THIN = Side(style="thin")
_BORDER = Border(left=_THIN, right=_THIN, top=_THIN, bottom=_THIN)
_CENTER = Alignment(horizontal="center", vertical="center", wrap_text=True)
_LEFT = Alignment(horizontal="left", vertical="center", wrap_text=True, indent=1)
_INDENTED = Alignment(horizontal="left", vertical="center", wrap_text=True, indent=3)
_RIGHT = Alignment(horizontal="right", vertical="center", indent=1)  # printed figures clear the border


def _named(name: str, font: Font, alignment: Alignment, *, border: bool = True,
           number_format: str = "General", fill: PatternFill | None = None) -> NamedStyle:
    style = NamedStyle(name=name, font=font, alignment=alignment, number_format=number_format)
    if border:
        style.border = _BORDER
    if fill is not None:
        style.fill = fill
    return style


def _styles() -> dict[str, NamedStyle]:
    """The workbook's cell styles, registered once per workbook and assigned by name (fast)."""
    body, bold = Font(name=BODY_FONT, size=11), Font(name=BODY_FONT, size=11, bold=True)
    return {
        "cell": _named("统计表-单元格", body, _CENTER),
        "cell_left": _named("统计表-单元格左对齐", body, _LEFT),
        "cell_indent": _named("统计表-单元格缩进", body, _INDENTED),
        "integer": _named("统计表-整数", body, _RIGHT, number_format=INTEGER_FORMAT),
        "money": _named("统计表-万元", body, _RIGHT, number_format=MONEY_FORMAT),
        "header": _named("统计表-表头", bold, _CENTER, fill=PatternFill("solid", fgColor="F2F2F2")),
        "title": _named("统计表-标题", Font(name=TITLE_FONT, size=16), _CENTER, border=False),
        "subtitle": _named("统计表-副标题", Font(name=TITLE_FONT, size=14), _CENTER, border=False),
        "line": _named("统计表-说明", body, _LEFT, border=False),
        "heading": _named("统计表-小标题", bold, _LEFT, border=False),
        "note": _named("统计表-注释", Font(name=BODY_FONT, size=9), _LEFT, border=False),
    }


# The item columns (section | group | label) shared by sheets 1 and 2, then the figures.
SECTION_COL, GROUP_COL, LABEL_COL, FIRST_VALUE_COL = 1, 2, 3, 4
# The label column fits the longest label (B4, 47 half-widths) on one line at 11 pt, with its indent.
ITEM_WIDTHS = {SECTION_COL: 12, GROUP_COL: 12, LABEL_COL: 54}
ITEM_ROW_HEIGHT = 20  # points: one line of 11-point text with room above and below


# --- the input ------------------------------------------------------------------------------

@dataclass(frozen=True)
class StatisticsReport:
    """Everything the workbook shows: one jurisdiction's table for one period, as typed data
    (built by `foodsafety.statistics.workbook` from a stored snapshot or a live table).

    `values` and each breakdown column hold EXACT figures keyed by row code (`A1`…`D8`); D4 is in
    yuan and is converted to 万元 (half-up, 2 decimals) once, here, at output. Missing codes are 0.
    `data_as_of` is an instant (naive values are taken as UTC); it is shown in Beijing time.
    """

    jurisdiction_code: str
    jurisdiction_name: str
    reporting_office: str  # 填报单位: the office, e.g. 成都市市场监督管理局 (not the place)
    period_key: str
    cutoff: date
    data_as_of: datetime
    values: Mapping[str, Value]
    kind: str = "draft"
    snapshot_id: int | None = None
    snapshot_version: int | None = None
    definition_version: str = TABLE.version
    breakdown: Sequence[BreakdownColumn] = ()
    issues: Sequence[Issue] = ()
    coverage: Sequence[CoverageCount] = ()
    uninspected: Sequence[UninspectedUnit] = ()
    generator: str = GENERATOR
    live: bool = False  # computed on request (marked 非定稿), not a stored snapshot

    @property
    def period_label(self) -> str:
        return parse_period(self.period_key).label

    @property
    def is_draft(self) -> bool:
        return self.kind != SnapshotKind.FINAL.value

    def value(self, code: str) -> Value:
        return self.values.get(code, 0)


# --- small formatting helpers ---------------------------------------------------------------

STYLE_NAMES = {key: style.name for key, style in _styles().items()}


def _cn_date(day: date) -> str:
    return f"{day.year}年{day.month}月{day.day}日"


def _as_of_text(moment: datetime) -> str:
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    local = moment.astimezone(CST)
    return f"{_cn_date(local.date())} {local:%H:%M}（北京时间）"


def _title(report: StatisticsReport, suffix: str = "") -> str:
    mark = f"（{NOT_FINAL}）" if report.live else f"（{DRAFT}）" if report.is_draft else ""
    return f"{TABLE.title}{suffix}{mark}"


def _provenance(report: StatisticsReport) -> str:
    """Where the figures come from: when the data was read, snapshot and definition versions,
    generator. (The cutoff is the form's 截止日期; the day it is signed is its 填报日期.)"""
    parts = [f"数据提取于{_as_of_text(report.data_as_of)}"]
    if report.live:
        parts.append("实时计算，非快照")
    elif report.snapshot_id is not None:
        version = f"第{report.snapshot_version}版" if report.snapshot_version is not None else ""
        parts.append(f"快照#{report.snapshot_id}{version}")
    parts.append(f"统计表定义{report.definition_version}")
    parts.append(NOT_FINAL if report.live else SnapshotKind(report.kind).label)
    parts.append(f"生成：{report.generator}")
    return "；".join(parts)


def _style(cell, name: str) -> None:
    """Apply a named style, keeping the quote-prefix flag `put_text` may have set.

    Assigning a style by name looks it up among the workbook's named styles (~40 µs, most of a
    10,000-unit list's layout); the first cell of each style keeps its resolved style record,
    which later cells copy, as openpyxl copies a cell's style (`WorksheetCopy`)."""
    quoted = cell.quotePrefix
    resolved = cell.parent.parent.__dict__.setdefault("_resolved_styles", {})
    if name in resolved:
        cell._style = resolved[name].__copy__()
    else:
        cell.style = STYLE_NAMES[name]
        resolved[name] = copy(cell._style)
    if quoted:
        cell.quotePrefix = True


def _merge(ws: Worksheet, top: int, left: int, bottom: int, right: int) -> None:
    if (top, left) != (bottom, right):
        ws.merge_cells(start_row=top, start_column=left, end_row=bottom, end_column=right)


def _banner(ws: Worksheet, row: int, text: str, last_col: int, *, style: str = "line",
            height: float | None = None) -> None:
    """A full-width line of text (title, 填报单位, notes) without borders."""
    cell = put_text(ws, row, 1, text)
    _style(cell, style)
    _merge(ws, row, 1, row, last_col)
    if height:
        ws.row_dimensions[row].height = height


def _write_items(ws: Worksheet, top: int, last_col: int, height: float = ITEM_ROW_HEIGHT) -> dict[str, int]:
    """The item columns (section | group | label) from `top` down, merged as `TABLE.blocks()`
    says; returns row code → sheet row."""
    at: dict[str, int] = {}
    r = top
    for block in TABLE.blocks():
        put_text(ws, r, SECTION_COL, block.section.label)
        _merge(ws, r, SECTION_COL, r + len(block.rows) - 1, SECTION_COL)
        for group in block.groups:
            if group.label is not None:
                put_text(ws, r, GROUP_COL, group.label)
                _merge(ws, r, GROUP_COL, r + len(group.rows) - 1, GROUP_COL)
            for row in group.rows:
                at[row.code] = r
                if group.label is None:
                    put_text(ws, r, GROUP_COL, row.label)
                    _merge(ws, r, GROUP_COL, r, LABEL_COL)
                else:
                    put_text(ws, r, LABEL_COL, row.label)
                r += 1
    indented = {at[row.code] for row in TABLE.rows if row.part_of}
    for sheet_row in range(top, r):
        ws.row_dimensions[sheet_row].height = height
        for col in range(1, last_col + 1):
            label_cell = col == LABEL_COL or (col == GROUP_COL and ws.cell(sheet_row, LABEL_COL).value is None)
            style = "cell_indent" if label_cell and sheet_row in indented else "cell_left"
            _style(ws.cell(sheet_row, col), style if label_cell else "cell")
    return at


def _write_figure(ws: Worksheet, sheet_row: int, col: int, row: Row, value: Value) -> None:
    cell = ws.cell(sheet_row, col, display_value(row, value))
    _style(cell, "money" if row.is_money else "integer")


def _header(ws: Worksheet, row: int, labels: Sequence[tuple[int, int, str]]) -> None:
    """Column headers: (first col, last col, text)."""
    for first, last, text in labels:
        put_text(ws, row, first, text)
        _merge(ws, row, first, row, last)
        for col in range(first, last + 1):
            _style(ws.cell(row, col), "header")
    ws.row_dimensions[row].height = 22


def _page(ws: Worksheet, report: StatisticsReport, *, landscape: bool, title_rows: str,
          title_cols: str | None = None, fit: str = "width") -> None:
    """A4 with print titles, provenance footer, the sheet's own page numbers in the header's right
    corner (each sheet counts from 1: printing the workbook does not run them on across sheets) and
    draft marking in the header's centre. `fit`: "page" (one page), "width" (one page wide, as
    many tall as the rows need) or "height" (one page tall, as many wide as the columns need)."""
    ws.page_setup.paperSize = ws.PAPERSIZE_A4
    ws.page_setup.orientation = ws.ORIENTATION_LANDSCAPE if landscape else ws.ORIENTATION_PORTRAIT
    ws.page_setup.fitToWidth = 0 if fit == "height" else 1
    ws.page_setup.fitToHeight = 0 if fit == "width" else 1
    ws.sheet_properties.pageSetUpPr.fitToPage = True
    ws.page_setup.firstPageNumber = 1
    ws.page_setup.useFirstPageNumber = True
    ws.page_setup.pageOrder = "overThenDown"
    ws.print_options.horizontalCentered = fit != "height"
    ws.page_margins.left = ws.page_margins.right = 0.5
    ws.page_margins.top = ws.page_margins.bottom = PAGE_MARGIN
    ws.page_margins.header = ws.page_margins.footer = 0.3
    ws.print_title_rows = title_rows
    if title_cols:
        ws.print_title_cols = title_cols
    ws.oddFooter.center.text = footer_text(_provenance(report))
    ws.oddFooter.center.size = 8
    ws.oddFooter.center.font = f"{BODY_FONT},Regular"
    ws.oddHeader.right.text = f"{footer_text(ws.title)}　第 &P 页"
    ws.oddHeader.right.size = 8
    if report.is_draft:
        mark = f"{NOT_FINAL}——实时数据" if report.live else f"{DRAFT}——未定稿"
        ws.oddHeader.center.text = footer_text(
            f"{mark}（数据提取于{_as_of_text(report.data_as_of)}），仅供核对，不作正式报送")
        ws.oddHeader.center.color = "C00000"
        ws.oddHeader.center.font = f"{TITLE_FONT},Regular"


PAGE_MARGIN = 0.6  # inches, top and bottom (the header and footer sit 0.3 in from the edge)


def _meta_lines(report: StatisticsReport) -> tuple[str, str]:
    return (f"填报单位：{report.reporting_office}",
            f"统计期间：{report.period_label}　　截止日期：{_cn_date(report.cutoff)}")


# --- the three sheets -----------------------------------------------------------------------

def _form_sheet(ws: Worksheet, report: StatisticsReport) -> None:
    """Sheet 1: the official form."""
    last = FIRST_VALUE_COL
    _banner(ws, 1, _title(report), last, style="title", height=32)
    unit_line, period_line = _meta_lines(report)
    _banner(ws, 2, unit_line, last, height=20)
    _banner(ws, 3, period_line, last, height=20)
    header_row = 4
    _header(ws, header_row, [(SECTION_COL, LABEL_COL, TABLE.columns[0]),
                             (FIRST_VALUE_COL, FIRST_VALUE_COL, TABLE.columns[1])])
    at = _write_items(ws, header_row + 1, last)
    for row in TABLE.rows:
        _write_figure(ws, at[row.code], FIRST_VALUE_COL, row, report.value(row.code))
    r = max(at.values()) + 1
    for note in TABLE.notes:
        _banner(ws, r, note, last, style="note", height=30)
        r += 1
    signature_row = r
    _banner(ws, signature_row, SIGNATURE_LINE, last, height=30)
    note_row = signature_row + 1
    _banner(ws, note_row, _provenance(report), last, style="note", height=30)
    for col, width in {**ITEM_WIDTHS, FIRST_VALUE_COL: 16}.items():
        ws.column_dimensions[get_column_letter(col)].width = width
    _page(ws, report, landscape=False, title_rows=f"{header_row}:{header_row}", fit="page")
    ws.print_area = f"A1:{get_column_letter(last)}{note_row}"


BREAKDOWN_NOTES = (
    "注：1. “合计”为本级统计数，按全辖区单位直接统计，不是由各下级数字相加得出。",
    "2. 供应的学校数（个）按学校去重：一所学校由不同下级的供餐单位供餐时只计一次，故合计可小于各下级之和。",
    "3. 罚没金额按元精确汇总后折算为万元并四舍五入保留两位小数，合计可能与各下级万元数之和相差舍入误差。",
)


BREAKDOWN_ROW_HEIGHT = 18  # points: the item rows of the breakdown, a little tighter than the form's
FIGURE_WIDTH = 12


def _breakdown_sheet(ws: Worksheet, report: StatisticsReport) -> None:
    """Sheet 2: the figures of each child jurisdiction, then the jurisdiction's own (合计).

    Printed one landscape page tall and as many pages wide as the children need (at 11 pt that is
    about 80 %, nine children a page), each page repeating the item columns and the header: every
    child is printed, none squeezed out or dropped. The title and notes stand over the first
    page's columns, so that they print whole on it."""
    columns = list(report.breakdown)
    total_col = FIRST_VALUE_COL + len(columns)
    last = total_col
    first_page = min(last, FIRST_VALUE_COL + 3)  # the banners' width: the item columns and a few
    _banner(ws, 1, _title(report, "——分地区明细"), first_page, style="subtitle", height=28)
    unit_line, period_line = _meta_lines(report)
    _banner(ws, 2, f"{unit_line}　　{period_line}", first_page, height=20)
    header_row = 3
    _header(ws, header_row, [(SECTION_COL, LABEL_COL, TABLE.columns[0]),
                             *((FIRST_VALUE_COL + i, FIRST_VALUE_COL + i, c.name)
                               for i, c in enumerate(columns)),
                             (total_col, total_col, TOTAL_LABEL)])
    at = _write_items(ws, header_row + 1, last, BREAKDOWN_ROW_HEIGHT)
    for row in TABLE.rows:
        for i, column in enumerate(columns):
            _write_figure(ws, at[row.code], FIRST_VALUE_COL + i, row, column.value(row.code))
        _write_figure(ws, at[row.code], total_col, row, report.value(row.code))
    r = max(at.values()) + 1
    if columns:
        notes = (*BREAKDOWN_NOTES, f"4. 本表列出全部 {len(columns)} 个下级行政区划（各项均为 0 的也列出）；"
                                   "打印时按列分页，每页重复项目列和表头。")
    else:
        notes = (*BREAKDOWN_NOTES[:1], "本级无下级行政区划。")
    banner_width = sum(ITEM_WIDTHS.values()) + FIGURE_WIDTH * (first_page - LABEL_COL)
    for note in notes:
        _banner(ws, r, note, first_page, style="note",
                height=NOTE_LINE_HEIGHT * _lines(note, banner_width * 11 / 9) + 4)
        r += 1
    for col, width in ITEM_WIDTHS.items():
        ws.column_dimensions[get_column_letter(col)].width = width
    for col in range(FIRST_VALUE_COL, last + 1):
        ws.column_dimensions[get_column_letter(col)].width = FIGURE_WIDTH
    ws.freeze_panes = ws.cell(header_row + 1, FIRST_VALUE_COL)
    _page(ws, report, landscape=True, title_rows=f"{header_row}:{header_row}", title_cols="A:C",
          fit="height")
    ws.print_area = f"A1:{get_column_letter(last)}{r - 1}"


NOTE_LINE_HEIGHT = 12  # points per line of the 9-point notes


COVERAGE_NOTE = ("注：单位数为辖区内登记在册的该类全部单位（不论截止日是否持有有效许可证），"
                 "已检查指期内至少接受过一次检查；因此学校食堂数可以大于统计表 A1（截止日持证学校食堂数）。")
CHECK_WIDTHS = {1: 6, 2: 40, 3: 20, 4: 16, 5: 20}  # about one portrait A4 page wide
LINE_HEIGHT = 15  # points per line of 11-point text


def _table(ws: Worksheet, top: int, headers: Sequence[str], rows: Sequence[Sequence[Any]],
           empty: str) -> int:
    """A bordered list under `headers`; text cells are written inert. Returns the next free row."""
    _header(ws, top, [(i, i, text) for i, text in enumerate(headers, start=1)])
    r = top + 1
    if not rows:
        _banner(ws, r, empty, len(headers))
        return r + 2
    for values in rows:
        lines = 1
        for col, value in enumerate(values, start=1):
            if isinstance(value, int):
                cell = ws.cell(r, col, value)
                _style(cell, "cell" if col == 1 else "integer")
            else:
                cell = put_text(ws, r, col, value or "")
                _style(cell, "cell_left" if col == 2 else "cell")
                lines = max(lines, _lines(cell.value, CHECK_WIDTHS[col]))
        if lines > 1:  # spreadsheets do not grow a row for wrapped text they did not lay out
            ws.row_dimensions[r].height = LINE_HEIGHT * lines + 3
        r += 1
    return r + 1


def _lines(text: str, width: float) -> int:
    """How many lines `text` wraps to in a column `width` characters wide (CJK counts double)."""
    if text.isascii():
        units = len(text)
    elif 2 * len(text) <= width - 1:  # fits even if every character is wide
        return 1
    else:
        units = sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in text)
    return max(1, math.ceil(units / max(width - 1, 1)))


def _checks_sheet(ws: Worksheet, report: StatisticsReport) -> None:
    """Sheet 3: validation results, inspection coverage and the units not inspected."""
    last = len(CHECK_WIDTHS)
    _banner(ws, 1, _title(report, "——校验结果与检查覆盖"), last, style="subtitle", height=28)
    unit_line, period_line = _meta_lines(report)
    _banner(ws, 2, f"{unit_line}　　{period_line}", last, height=20)

    errors = sum(1 for issue in report.issues if issue.severity == "error")
    verdict = ("存在错误，本表不能作为定稿报送。" if errors
               else "未发现错误，本表可以定稿报送。")
    _banner(ws, 4, f"一、校验结果（{verdict}）", last, style="heading")
    r = _table(ws, 5, ("序号", "说明", "级别", "规则"),
               [(i, issue.message, issue.severity_label, issue.rule)
                for i, issue in enumerate(report.issues, start=1)],
               "全部校验规则均已通过。")

    _banner(ws, r, "二、检查覆盖情况", last, style="heading")
    r = _table(ws, r + 1, ("序号", "单位类别", "辖区内单位数（家）", "期内已检查（家）", "期内未检查（家）"),
               [(i, c.kind_label, c.units, c.inspected, c.uninspected)
                for i, c in enumerate(report.coverage, start=1)],
               "无覆盖统计。")
    _banner(ws, r - 1, COVERAGE_NOTE, last, style="note", height=30)
    r += 1

    _banner(ws, r, "三、期内未接受检查的单位", last, style="heading")
    list_header = r + 1
    _table(ws, list_header, ("序号", "单位名称", "单位类别", "所属辖区", "许可证编号"),
           [(i, u.name, u.kind_label, u.jurisdiction_name, u.licence_no or "")
            for i, u in enumerate(report.uninspected, start=1)],
           "期内辖区内全部单位均已接受检查。")
    for col, width in CHECK_WIDTHS.items():
        ws.column_dimensions[get_column_letter(col)].width = width
    # The list of units runs over pages: each page repeats its column headers.
    _page(ws, report, landscape=False, title_rows=f"{list_header}:{list_header}", fit="width")


# --- public API -----------------------------------------------------------------------------

def build_workbook(report: StatisticsReport) -> Workbook:
    """The three-sheet workbook of one report."""
    wb = Workbook()
    for style in _styles().values():
        wb.add_named_style(style)
    wb.active.title = SHEET_FORM  # before the sheet is laid out: its page header names it
    _form_sheet(wb.active, report)
    _breakdown_sheet(wb.create_sheet(SHEET_BREAKDOWN), report)
    _checks_sheet(wb.create_sheet(SHEET_CHECKS), report)
    wb.properties.title = _title(report)
    wb.properties.creator = report.generator
    return wb


def workbook_bytes(report: StatisticsReport) -> bytes:
    """The workbook of one report as .xlsx bytes (what a view streams)."""
    buffer = io.BytesIO()
    with _without_cycle_collection():
        build_workbook(report).save(buffer)
    return buffer.getvalue()


@contextmanager
def _without_cycle_collection() -> Iterator[None]:
    """Pause Python's cycle collector while a workbook is built and written.

    A 10,000-unit list is some 50,000 cells, each a tracked object that stays alive until the file
    is written, so the collector runs again and again over a growing heap that holds no garbage: a
    fifth of the workbook's time. Reference counting still frees everything else meanwhile; the
    collector is resumed (if it was running) as soon as the file is written."""
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()
