"""The error report of a rejected import: as text (CLI) and as an annotated copy of the workbook."""

from __future__ import annotations

from collections import defaultdict
from io import BytesIO

from openpyxl import load_workbook
from openpyxl.styles import Font, PatternFill

from foodsafety.imports.reader import Problem
from foodsafety.imports.template import ERROR_HEADER

ERROR_FILL = PatternFill("solid", fgColor="FFC7CE")
ERROR_FONT = Font(color="9C0006")


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
    """A copy of the uploaded workbook with a 错误 column per sheet and the bad cells marked."""
    workbook = load_workbook(BytesIO(data))
    by_sheet: dict[str, dict[int, list[Problem]]] = defaultdict(lambda: defaultdict(list))
    for problem in problems:
        by_sheet[problem.sheet][problem.row or 1].append(problem)
    for title, rows in by_sheet.items():
        if title not in workbook.sheetnames:
            continue
        ws = workbook[title]
        headers = {str(c.value).strip(): c.column for c in ws[1] if c.value is not None}
        error_col = headers.get(ERROR_HEADER) or ws.max_column + 1
        ws.cell(row=1, column=error_col, value=ERROR_HEADER).font = Font(bold=True, color="9C0006")
        ws.column_dimensions[ws.cell(row=1, column=error_col).column_letter].width = 60
        for number, found in rows.items():
            ws.cell(row=number, column=error_col,
                    value="；".join(f"{p.column}：{p.message}" if p.column else p.message
                                   for p in found)).font = ERROR_FONT
            for problem in found:
                if problem.column in headers:
                    ws.cell(row=number, column=headers[problem.column]).fill = ERROR_FILL
    buffer = BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()
