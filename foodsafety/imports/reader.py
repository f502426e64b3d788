"""Read an uploaded workbook safely and turn its cells into API input, one dict per row.

The file is checked before openpyxl sees it: a real zip whose members have a bounded
uncompressed size (no zip bombs), and whose XML parts have a bounded structure, counted by a
streaming pass that builds nothing (`check_structure`: elements per part and in all, rows per
sheet, blank or not, and cells per row and per sheet), so what openpyxl then builds and the
work per file stay bounded whatever the file holds. openpyxl streams it read-only with
`data_only` (formulas are never evaluated, a text cell starting with `=`, `+`, `-` or `@` is
kept as literal text), parses its XML through defusedxml and reads no column beyond the
template's width plus a margin (`READ_COLUMNS`). Each cell becomes the value the JSON API would receive
(a label becomes its code, a date its ISO text, a number in a code column its digits), so the
registry schemas and row checks judge an imported row exactly as they judge an API request.
"""

from __future__ import annotations

import logging
import re
import zipfile
from collections.abc import Callable, Generator
from dataclasses import dataclass, field
from datetime import date, datetime
from io import BytesIO
from typing import Any, TypeVar
from xml.parsers import expat

from openpyxl import load_workbook
from openpyxl.utils.datetime import from_excel

from foodsafety.errors import ApiError
from foodsafety.imports.template import (
    ERROR_HEADER,
    INSTRUCTIONS_SHEET,
    SHEETS,
    SHEETS_BY_TITLE,
    Column,
    Sheet,
)

MAX_MEMBER_BYTES = 128 * 1024 * 1024  # one XML part, uncompressed (20,000 rows take ~10 MB)
MAX_TOTAL_BYTES = 256 * 1024 * 1024
MAX_MEMBERS = 500
MAX_ROWS_PER_SHEET = 50_000  # data rows
# Rows in a sheet's XML, blank or not (header, example, blank rows, rows of empty styled cells),
# and the highest row number: a fixed bound on the rows any sheet makes us look at.
MAX_SHEET_ROWS = MAX_ROWS_PER_SHEET + 1_000
# Columns read: the widest sheet of the template, its 错误 column, and room for a user's notes.
READ_COLUMNS = max(len(sheet.columns) for sheet in SHEETS) + 1 + 16
# The XML structure (elements are counted whatever their name or namespace). A full template
# of 3 × 50,000 rows has about 4 million elements; Excel has at most 64,000 cell formats.
MAX_ROW_CELLS = 1_024  # children of a row (openpyxl takes each for a cell)
MAX_ROW_ELEMENTS = 8 * MAX_ROW_CELLS  # all elements in a row (values, rich text runs)
MAX_SHEET_CELLS = MAX_SHEET_ROWS * READ_COLUMNS
MAX_SHEET_OTHER_ELEMENTS = 200_000  # a sheet's elements outside its rows (columns, links, merges)
MAX_PART_ELEMENTS = 3_000_000  # a sheet or the shared strings
MAX_OTHER_PART_ELEMENTS = 300_000  # styles, workbook, relationships, …
MAX_TOTAL_ELEMENTS = 6_000_000
log = logging.getLogger(__name__)
READ_STEP = 500  # rows of a sheet between two progress steps of the reading
Result = TypeVar("Result")
EXCEL_DIGITS = 15  # Excel keeps 15 significant digits of a number: longer codes are corrupted
_SEPARATORS = re.compile(r"[,，、;；\s]+")
_DATE_TEXT = re.compile(r"(\d{4})[-/.](\d{1,2})[-/.](\d{1,2})")


class UnreadableWorkbook(ApiError):
    """The upload is not a workbook we will open (415 not a workbook, 413 too big, 422 broken)."""


@dataclass(frozen=True)
class Problem:
    """One error or warning, located as the user sees it in Excel."""

    sheet: str
    row: int | None
    column: str | None
    message: str

    def as_dict(self) -> dict:
        return {"sheet": self.sheet, "row": self.row, "column": self.column,
                "message": self.message}


@dataclass
class Row:
    """One data row: its Excel row number, API input values and per-field cell errors."""

    number: int
    data: dict
    cell_errors: dict[str, str] = field(default_factory=dict)


@dataclass
class SheetValues:
    """A known sheet's cells as read, for the annotated copy of a rejected workbook: its header
    and its rows with anything in them, by row number (at most READ_COLUMNS values each)."""

    title: str
    header: tuple
    rows: list[tuple[int, tuple]] = field(default_factory=list)


@dataclass
class ParsedWorkbook:
    rows: dict[str, list[Row]]  # sheet key -> data rows
    problems: list[Problem]
    values: list[SheetValues] | None = None  # kept when asked (`read_workbook(keep_values=True)`)

    @property
    def total(self) -> int:
        return sum(len(rows) for rows in self.rows.values())


def check_archive(data: bytes) -> None:
    """Refuse anything but a zip whose members stay within the uncompressed size limits."""
    if not data.startswith(b"PK\x03\x04"):
        raise UnreadableWorkbook(415, "只能导入 Excel 工作簿（.xlsx 文件）；.xls 等其他格式请在 Excel 中另存为 .xlsx。")
    try:
        with zipfile.ZipFile(BytesIO(data)) as archive:
            members = archive.infolist()
    except (zipfile.BadZipFile, ValueError, OSError) as exc:
        raise UnreadableWorkbook(415, "文件已损坏或不是 Excel 工作簿（.xlsx 文件）。") from exc
    names = {m.filename for m in members}
    if "[Content_Types].xml" not in names or "xl/workbook.xml" not in names:
        raise UnreadableWorkbook(415, "文件不是 Excel 工作簿（.xlsx 文件）。")
    too_big = any(m.file_size > MAX_MEMBER_BYTES for m in members)
    if too_big or len(members) > MAX_MEMBERS or sum(m.file_size for m in members) > MAX_TOTAL_BYTES:
        raise UnreadableWorkbook(413, "工作簿解压后过大，请删除多余内容或分批导入。")
    with zipfile.ZipFile(BytesIO(data)) as archive:
        check_structure(archive)


TOO_MANY_ROWS = (f"工作表的行数过多（含空行，每个工作表最多 {MAX_SHEET_ROWS} 行），"
                 "请删除多余的空行或分批导入。")
TOO_MANY_CELLS = f"工作表中有一行的单元格过多（每行最多 {MAX_ROW_CELLS} 个），请删除多余的列。"
TOO_MUCH_CONTENT = "工作簿内容过多，请删除多余的行、列或格式后重试，或分批导入。"


class _Refused(Exception):
    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


def check_structure(archive: zipfile.ZipFile) -> None:
    """Count the elements, rows and cells of every XML part with expat (a streaming pass that
    builds nothing) and refuse a workbook beyond the bounds; a DTD is refused as defusedxml
    would. A member that is not XML is left to openpyxl (it fails there, or is never read)."""
    total = 0
    for info in archive.infolist():
        with archive.open(info) as stream:
            total += _census(stream, MAX_TOTAL_ELEMENTS - total)


def _census(stream, budget: int) -> int:
    """The number of elements of one part, checking its bounds as they come.

    openpyxl takes every child of a row for a cell, and keeps every element outside the rows of
    a sheet until the sheet is done: both are bounded here, whatever their names.
    """
    elements = depth = rows = row_number = cells = row_cells = row_elements = outside = 0
    row_depth = 0  # the depth of the row being read; 0 outside rows
    limit, worksheet = min(MAX_PART_ELEMENTS, budget), False

    def start(name: str, attrs: dict) -> None:
        nonlocal elements, depth, rows, row_number, cells, row_cells, row_elements, outside
        nonlocal row_depth, limit, worksheet
        elements += 1
        depth += 1
        if elements > limit:
            raise _Refused(TOO_MUCH_CONTENT)
        if row_depth:
            row_elements += 1
            if depth == row_depth + 1:
                row_cells += 1
                cells += 1
                if cells > MAX_SHEET_CELLS:
                    raise _Refused(TOO_MUCH_CONTENT)
            if row_cells > MAX_ROW_CELLS or row_elements > MAX_ROW_ELEMENTS:
                raise _Refused(TOO_MANY_CELLS)
            return
        local = name[name.rfind("}") + 1:]
        if elements == 1:
            worksheet = local == "worksheet"
            if not worksheet and local != "sst":
                limit = min(MAX_OTHER_PART_ELEMENTS, budget)
        elif local == "row":  # in any part: openpyxl reads rows by name, whatever the root
            rows += 1
            row_depth, row_cells, row_elements = depth, 0, 0
            try:
                row_number = int(float(attrs.get("r") or row_number + 1))
            except (ValueError, OverflowError):
                row_number += 1  # openpyxl refuses it later
            if rows > MAX_SHEET_ROWS or row_number > MAX_SHEET_ROWS:
                raise _Refused(TOO_MANY_ROWS)
        elif worksheet:
            outside += 1
            if outside > MAX_SHEET_OTHER_ELEMENTS:
                raise _Refused(TOO_MUCH_CONTENT)

    def end(_name: str) -> None:
        nonlocal depth, row_depth
        if depth == row_depth:
            row_depth = 0
        depth -= 1

    def no_dtd(*_args) -> None:
        raise _Refused("")

    parser = expat.ParserCreate(namespace_separator="}")
    parser.StartElementHandler = start
    parser.EndElementHandler = end
    parser.StartDoctypeDeclHandler = no_dtd
    parser.EntityDeclHandler = no_dtd
    parser.SetParamEntityParsing(expat.XML_PARAM_ENTITY_PARSING_NEVER)
    try:
        parser.ParseFile(stream)
    except expat.ExpatError:
        pass  # not XML, or broken: openpyxl decides
    except _Refused as refused:
        if not refused.message:
            raise UnreadableWorkbook(422, "无法读取该 Excel 工作簿，文件可能已损坏。") from None
        raise UnreadableWorkbook(413, refused.message) from None
    return elements


def read_workbook(data: bytes, keep_values: bool = False) -> ParsedWorkbook:
    """Parse every known sheet into rows; header and cell problems are collected, not raised.
    With `keep_values`, the cells as read are kept too (`ParsedWorkbook.values`), so that the
    annotated copy of a rejected workbook needs no second reading."""
    check_archive(data)
    return run_steps(read_steps(data, keep_values))


def run_steps(steps: Generator[Any, None, Result], progress: Callable[[Any], None] | None = None
              ) -> Result:
    """Drive a generator of progress steps to its end, handing each step to `progress`; its
    return value."""
    while True:
        try:
            step = next(steps)
        except StopIteration as stop:
            return stop.value
        if progress is not None:
            progress(step)


def read_steps(data: bytes, keep_values: bool = False
               ) -> Generator[tuple[str, int], None, ParsedWorkbook]:
    """`read_workbook` of a file that has passed `check_archive`, as it goes: yields (sheet title,
    data rows read in it so far) every READ_STEP data rows and at the end of each sheet, returns the
    parsed workbook (a page shows the reading's progress of a long file)."""
    try:
        workbook = load_workbook(BytesIO(data), read_only=True, data_only=True)
    except Exception as exc:  # openpyxl raises many kinds for a broken file
        log.info("unreadable workbook: %r", exc)
        raise UnreadableWorkbook(422, "无法读取该 Excel 工作簿，文件可能已损坏。") from exc
    parsed = ParsedWorkbook(rows={s.key: [] for s in SHEETS}, problems=[],
                            values=[] if keep_values else None)
    try:
        for worksheet in workbook.worksheets:
            title = worksheet.title.strip()
            if title == INSTRUCTIONS_SHEET:
                continue
            sheet = SHEETS_BY_TITLE.get(title)
            if sheet is None:
                known = "、".join(f"“{s.title}”" for s in SHEETS)
                parsed.problems.append(Problem(worksheet.title, None, None,
                                               f"未知的工作表“{worksheet.title}”，工作表名称应为 {known}。"))
                continue
            yield from _read_sheet(worksheet, sheet, parsed)
    except Exception as exc:
        log.info("unreadable worksheet: %r", exc)
        raise UnreadableWorkbook(422, "无法读取该 Excel 工作簿，文件可能已损坏。") from exc
    finally:
        workbook.close()
    if not parsed.problems and not parsed.total:
        parsed.problems.append(Problem(SHEETS[0].title, None, None, "文件中没有可导入的数据行。"))
    return parsed


def _read_sheet(worksheet, sheet: Sheet, parsed: ParsedWorkbook
                ) -> Generator[tuple[str, int], None, None]:
    worksheet.reset_dimensions()  # the stored dimension may be wrong; read every cell there is
    rows = worksheet.iter_rows(values_only=True, max_col=READ_COLUMNS, max_row=MAX_SHEET_ROWS)
    header = next(rows, None) or ()
    positions = _header_positions(sheet, header, parsed.problems)
    copy = None
    if parsed.values is not None:
        copy = SheetValues(sheet.title, _trimmed(header))
        parsed.values.append(copy)
    elif positions is None:
        return  # the headers are wrong: no row is read
    out = parsed.rows[sheet.key]
    example = sheet.example[sheet.marker]
    for number, values in enumerate(rows, start=2):
        if all(v is None or (isinstance(v, str) and not v.strip()) for v in values):
            continue
        if len(out) >= MAX_ROWS_PER_SHEET:
            parsed.problems.append(Problem(sheet.title, number, None,
                                           f"每个工作表最多 {MAX_ROWS_PER_SHEET} 行数据，请分批导入。"))
            return
        if copy is not None:
            copy.rows.append((number, _trimmed(values)))
        if positions is None:
            continue  # only kept for the annotated copy
        row = Row(number, {})
        for column, index in positions:
            value = values[index] if index < len(values) else None
            _read_cell(column, value, row)
        if row.data.get(sheet.marker) == example:
            continue  # the template's example row
        out.append(row)
        if len(out) % READ_STEP == 0:
            yield sheet.title, len(out)
    yield sheet.title, len(out)


def _trimmed(values: tuple) -> tuple:
    """The values without the empty cells at the end of the row."""
    end = len(values)
    while end and values[end - 1] is None:
        end -= 1
    return values[:end]


def _header_positions(sheet: Sheet, header: tuple, problems: list[Problem]
                      ) -> list[tuple[Column, int]] | None:
    """Map each template column to its position; report unknown, repeated and missing headers."""
    seen: dict[str, int] = {}
    bad = False
    for index, value in enumerate(header):
        text = str(value).strip() if value is not None else ""
        if not text or text == ERROR_HEADER:
            continue
        if text not in sheet.by_header:
            problems.append(Problem(sheet.title, 1, text, f"未知的列“{text}”，请使用系统提供的导入模板。"))
            bad = True
        elif text in seen:
            problems.append(Problem(sheet.title, 1, text, f"列“{text}”重复出现。"))
            bad = True
        else:
            seen[text] = index
    for column in sheet.columns:
        if column.header not in seen:
            problems.append(Problem(sheet.title, 1, column.header, f"缺少列“{column.header}”。"))
            bad = True
    return None if bad else [(c, seen[c.header]) for c in sheet.columns]


def _read_cell(column: Column, value, row: Row) -> None:
    """Put the API input for one cell into `row.data`, or record why the cell is unreadable."""
    if isinstance(value, str):
        value = value.strip()
    if value is None or value == "":
        if column.required:
            row.cell_errors[column.field] = "不能为空。"
        elif column.kind not in ("bool", "multi") and column.field != "haccp":
            row.data[column.field] = None  # left out: the schema's default applies
        return
    try:
        row.data[column.field] = READERS[column.kind](column, value)
    except ValueError as exc:
        row.cell_errors[column.field] = str(exc)


def _text(column: Column, value) -> str:
    if isinstance(value, bool):
        return "是" if value else "否"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, datetime):
        return value.date().isoformat() if value.time() == datetime.min.time() else value.isoformat()
    return str(value)


def _code(column: Column, value) -> str:
    if isinstance(value, bool) or isinstance(value, date | datetime):
        raise ValueError("应按文本填写。")
    if isinstance(value, int | float):
        if isinstance(value, float) and not value.is_integer():
            raise ValueError("格式不正确，应按文本填写。")
        digits = str(int(value))
        if len(digits.rstrip("0")) > EXCEL_DIGITS or len(digits) > EXCEL_DIGITS:
            raise ValueError("该代码被 Excel 存成了数字，超过 15 位的部分已丢失；请将单元格设为文本格式后重新填写。")
        return digits
    return str(value)


def _date(column: Column, value) -> str:
    if isinstance(value, datetime):
        return value.date().isoformat()
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, int | float) and not isinstance(value, bool):
        if 1 <= value < 2958466:  # an Excel serial day number left unformatted
            return from_excel(value).date().isoformat()
        raise ValueError("不是有效的日期（格式 YYYY-MM-DD）。")
    match = _DATE_TEXT.fullmatch(str(value))
    if not match:
        raise ValueError("不是有效的日期（格式 YYYY-MM-DD）。")
    try:
        return date(*(int(part) for part in match.groups())).isoformat()
    except ValueError:
        raise ValueError("不是有效的日期（格式 YYYY-MM-DD）。") from None


def _choice(column: Column, value) -> str:
    text = _text(column, value)
    for code, label in column.choices.items():
        if text in (label, code):
            return code
    raise ValueError("取值应为以下之一：" + "、".join(column.labels) + "。")


def _multi(column: Column, value) -> list[str]:
    codes = []
    for part in _SEPARATORS.split(_text(column, value)):
        if part:
            codes.append(_choice(column, part))
    return codes


def _bool(column: Column, value) -> bool:
    if isinstance(value, bool):
        return value
    text = _text(column, value).upper()
    if text in ("是", "TRUE"):
        return True
    if text in ("否", "FALSE"):
        return False
    raise ValueError("应填“是”或“否”。")


READERS = {"text": _text, "code": _code, "date": _date, "choice": _choice, "multi": _multi,
           "bool": _bool}
