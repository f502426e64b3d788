"""The error report of a rejected import: as text (CLI) and as an annotated copy of the workbook."""

from __future__ import annotations

from collections import defaultdict
from datetime import datetime
from io import BytesIO

from openpyxl import Workbook, load_workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.cell.cell import ERROR_CODES, ILLEGAL_CHARACTERS_RE, Cell
from openpyxl.styles import Font, PatternFill
from openpyxl.utils import get_column_letter

from foodsafety.imports.reader import MAX_SHEET_ROWS, READ_COLUMNS, Problem
from foodsafety.imports.template import ERROR_HEADER, SHEETS_BY_TITLE

ERROR_FILL = PatternFill("solid", fgColor="FFC7CE")
ERROR_FONT = Font(color="9C0006")
ERROR_HEADER_FONT = Font(bold=True, color="9C0006")
OTHER_PROBLEMS_SHEET = "其他错误"


def describe(problem: Problem) -> str:
    """One problem as a line of Chinese text: 工作表“单位”第 5 行，“许可证编号”：原因."""
    where = f"工作表“{problem.sheet}”"
    if problem.row:
        where += f"第 {problem.row} 行"
    if problem.column:
        where += f"，“{problem.column}”列"
    return f"{where}：{problem.message}"


def text_report(problems: list[Problem], title: str) -> str:
    """A rejected import's report for the terminal: a title line, then one line per error."""
    return "\n".join([title, *(f"  {describe(p)}" for p in problems)])


def annotate(data: bytes, problems: list[Problem]) -> bytes:
    """A copy of a rejected workbook's data sheets with a 错误 column and the bad cells marked.

    Streamed in bounded memory and time: the upload (which has passed `read_workbook`'s checks)
    is read read-only within the reader's bounds (`READ_COLUMNS`, `MAX_SHEET_ROWS`), and the copy
    is written write-only, row by row: the cells' values (text stays text), not their formats.
    Problems with no place in a copied sheet (an unknown sheet) are listed on a last sheet.
    """
    located: dict[str, dict[int, list[Problem]]] = defaultdict(lambda: defaultdict(list))
    for problem in problems:
        located[problem.sheet][problem.row or 1].append(problem)
    source = load_workbook(BytesIO(data), read_only=True, data_only=True)
    out = Workbook(write_only=True)
    try:
        for worksheet in source.worksheets:
            title = worksheet.title.strip()
            if title in SHEETS_BY_TITLE:
                _copy_sheet(worksheet, out.create_sheet(title), located.pop(title, {}))
    finally:
        source.close()
    leftover = [p for rows in located.values() for found in rows.values() for p in found]
    if leftover or not out.worksheets:
        _other_problems(out.create_sheet(OTHER_PROBLEMS_SHEET), leftover)
    buffer = BytesIO()
    out.save(buffer)
    return buffer.getvalue()


def _copy_sheet(worksheet, target, problems: dict[int, list[Problem]]) -> None:
    """Copy one sheet's values with its problems: a 错误 cell per row, the bad cells filled."""
    rows = worksheet.iter_rows(values_only=True, max_col=READ_COLUMNS, max_row=MAX_SHEET_ROWS)
    header = next(rows, None) or ()
    names = [str(v).strip() if v is not None else "" for v in header]
    if ERROR_HEADER in names:
        error_at = names.index(ERROR_HEADER)
    else:
        error_at = max((i for i, name in enumerate(names) if name), default=-1) + 1
    columns = {}
    for index, name in enumerate(names):
        if name and index != error_at:
            columns.setdefault(name, index)
    target.column_dimensions[get_column_letter(error_at + 1)].width = 60
    target.append(_annotated(target, header, error_at, columns, problems.get(1, ()), ERROR_HEADER))
    blank = 0
    for number, values in enumerate(rows, start=2):
        found = problems.get(number, ())
        if not found and all(value is None for value in values):
            blank += 1  # written only if a row with something follows
            continue
        for _ in range(blank):
            target.append(())
        blank = 0
        target.append(_annotated(target, values, error_at, columns, found))


def _annotated(target, values: tuple, error_at: int, columns: dict[str, int],
               found, error_header: str | None = None) -> list:
    """One output row: the values, the 错误 cell at `error_at`, the bad cells filled."""
    row = [_cell(target, value) for value in values[:READ_COLUMNS]]
    row += [None] * (error_at + 1 - len(row))
    text = error_header or "；".join(f"{p.column}：{p.message}" if p.column else p.message
                                    for p in found)
    error = WriteOnlyCell(target, value=text or None)
    error.font = ERROR_HEADER_FONT if error_header else ERROR_FONT
    row[error_at] = error
    for problem in found:
        index = columns.get(problem.column)
        if index is not None and index != error_at:
            cell = row[index]
            if not isinstance(cell, Cell):
                cell = row[index] = _cell(target, cell, force=True)
            cell.fill = ERROR_FILL
    return row


def _cell(target, value, force: bool = False):
    """A value as written: text is kept as text (never a formula or an error code), dates keep
    a date format; other values are written as they are."""
    if isinstance(value, str):
        value = ILLEGAL_CHARACTERS_RE.sub("", value)
        if force or value.startswith("=") or value in ERROR_CODES:
            cell = WriteOnlyCell(target, value=value)
            cell.data_type = "s"
            return cell
        return value
    if isinstance(value, datetime) and value.time() == datetime.min.time():
        cell = WriteOnlyCell(target, value=value)
        cell.number_format = "yyyy-mm-dd"
        return cell
    return WriteOnlyCell(target, value=value) if force else value


def _other_problems(target, problems: list[Problem]) -> None:
    target.column_dimensions["D"].width = 60
    target.append(["工作表", "行", "列", ERROR_HEADER])
    for problem in problems:
        target.append([_cell(target, problem.sheet, force=True), problem.row,
                       problem.column, problem.message])
