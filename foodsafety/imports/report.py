"""The error report of a rejected import: as text (CLI) and as an annotated copy of the workbook."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from copy import copy
from datetime import datetime
from io import BytesIO

from openpyxl import Workbook, load_workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.cell.cell import ERROR_CODES, ILLEGAL_CHARACTERS_RE, Cell
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter

from foodsafety.imports.reader import MAX_SHEET_ROWS, READ_COLUMNS, ParsedWorkbook, Problem
from foodsafety.imports.template import ERROR_HEADER, SHEETS_BY_TITLE

ERROR_FILL = PatternFill("solid", fgColor="FFC7CE")
ERROR_FONT = Font(color="9C0006")
ERROR_HEADER_FONT = Font(bold=True, color="9C0006")
ERROR_ALIGNMENT = Alignment(wrap_text=True, vertical="top")
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


def annotate(data: bytes, problems: list[Problem], parsed: ParsedWorkbook | None = None) -> bytes:
    """A copy of a rejected workbook's data sheets with a 错误 column and the bad cells marked.

    Bounded memory and time: the cells come from `parsed` when it kept them
    (`read_workbook(keep_values=True)`), else from streaming the upload (which has passed
    `read_workbook`'s checks) read-only within the reader's bounds; the copy is written
    write-only, row by row: the cells' values (text stays text), not their formats. Problems
    with no row in a copied sheet (headers, an unknown sheet) are listed on a last sheet.
    """
    located: dict[str, dict[int, list[Problem]]] = defaultdict(lambda: defaultdict(list))
    for problem in problems:
        located[problem.sheet][problem.row or 1].append(problem)
    out = Workbook(write_only=True)
    leftover: list[Problem] = []
    if parsed is not None and parsed.values is not None:
        for sheet in parsed.values:
            leftover += _copy_sheet(out.create_sheet(sheet.title), sheet.header, sheet.rows,
                                    located.pop(sheet.title, {}))
    else:
        source = load_workbook(BytesIO(data), read_only=True, data_only=True)
        try:
            for worksheet in source.worksheets:
                title = worksheet.title.strip()
                if title not in SHEETS_BY_TITLE:
                    continue
                rows = worksheet.iter_rows(values_only=True, max_col=READ_COLUMNS, max_row=MAX_SHEET_ROWS)
                header = next(rows, None) or ()
                leftover += _copy_sheet(out.create_sheet(title), header, enumerate(rows, start=2),
                                        located.pop(title, {}))
        finally:
            source.close()
    leftover += [p for rows in located.values() for found in rows.values() for p in found]
    if leftover or not out.worksheets:
        _other_problems(out.create_sheet(OTHER_PROBLEMS_SHEET), leftover)
    buffer = BytesIO()
    out.save(buffer)
    return buffer.getvalue()


def _copy_sheet(target, header: tuple, numbered_rows: Iterable[tuple[int, tuple]],
                problems: dict[int, list[Problem]]) -> list[Problem]:
    """Copy one sheet's rows (by number; blank rows may be left out) with their problems: a 错误
    cell per row, the bad cells filled. Returns the problems of rows that were not there."""
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
    styles = _Styles(target)
    pending = dict(problems)
    header_problems = pending.pop(1, [])  # filled here, their text listed on the last sheet
    target.append(_annotated(styles, header, error_at, columns, header_problems, header=True))
    written = 1
    for number, values in numbered_rows:
        found = pending.pop(number, ())
        if not found and all(value is None for value in values):
            continue  # a blank row: written only if a row with something follows
        for _ in range(written + 1, number):
            target.append(())
        target.append(_annotated(styles, values, error_at, columns, found))
        written = number
    return header_problems + [p for found in pending.values() for p in found]


class _Styles:
    """Styled cells made cheaply: each copies the style of a prototype made once per sheet
    (setting a font or fill on every cell would look the style up in the workbook each time)."""

    def __init__(self, target) -> None:
        self.target = target
        self.plain = WriteOnlyCell(target)
        self.date = self._prototype(number_format="yyyy-mm-dd")
        self.bad = self._prototype(fill=ERROR_FILL)
        self.bad_date = self._prototype(fill=ERROR_FILL, number_format="yyyy-mm-dd")
        self.error = self._prototype(font=ERROR_FONT, alignment=ERROR_ALIGNMENT)
        self.error_header = self._prototype(font=ERROR_HEADER_FONT)

    def _prototype(self, **style) -> Cell:
        cell = WriteOnlyCell(self.target)
        for name, value in style.items():
            setattr(cell, name, value)
        return cell

    def cell(self, value, like: Cell) -> Cell:
        cell = WriteOnlyCell(self.target, value=value)
        cell._style = copy(like._style)
        if isinstance(value, str):
            cell.data_type = "s"  # text stays text: never a formula or an error code
        return cell

    def value(self, value, bad: bool = False):
        """A value as written: dates keep a date format; text that Excel would take for a formula
        or an error code is written as text; a bad cell is filled."""
        if isinstance(value, str):
            value = ILLEGAL_CHARACTERS_RE.sub("", value)
            if not bad and not (value.startswith("=") or value in ERROR_CODES):
                return value
        date = isinstance(value, datetime) and value.time() == datetime.min.time()
        if bad:
            return self.cell(value, self.bad_date if date else self.bad)
        if date or isinstance(value, str):
            return self.cell(value, self.date if date else self.plain)
        return value


def _annotated(styles: _Styles, values: tuple, error_at: int, columns: dict[str, int], found,
               header: bool = False) -> list:
    """One output row: the values, the 错误 cell at `error_at`, the bad cells filled."""
    bad = {columns.get(problem.column) for problem in found} - {None, error_at}
    row = [styles.value(value, index in bad) for index, value in enumerate(values[:READ_COLUMNS])]
    row += [None] * (error_at + 1 - len(row))
    for index in bad:
        if index >= len(values):
            row[index] = styles.value(None, bad=True)
    if header:
        row[error_at] = styles.cell(ERROR_HEADER, styles.error_header)
    elif found:
        row[error_at] = styles.cell("；".join(f"{p.column}：{p.message}" if p.column else p.message
                                             for p in found), styles.error)
    else:
        row[error_at] = None
    return row


def _other_problems(target, problems: list[Problem]) -> None:
    """The problems no copied sheet has a place for, one a row."""
    styles = _Styles(target)
    target.column_dimensions["D"].width = 60
    target.append(["工作表", "行", "列", styles.cell(ERROR_HEADER, styles.error_header)])
    for problem in problems:
        target.append([styles.value(problem.sheet), problem.row, styles.value(problem.column),
                       styles.value(problem.message)])
