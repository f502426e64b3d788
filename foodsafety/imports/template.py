"""The import workbook, defined once as data: sheets, columns, types, allowed values.

Everything else follows from these definitions: the blank template users download (headers,
comments, dropdowns, text-formatted code columns), the reader that maps headers to fields and
turns cells into API input, and the error report naming sheet, row and Chinese column header.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from io import BytesIO

from openpyxl import Workbook
from openpyxl.comments import Comment
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.datavalidation import DataValidation

from foodsafety.registry.identifiers import iso7064_mod11_10
from foodsafety.vocabulary import HaccpStatus, Mingchu, OperationMode, SchoolStage, UnitKind

TEMPLATE_FILENAME = "登记数据导入模板.xlsx"
INSTRUCTIONS_SHEET = "说明"
ERROR_HEADER = "错误"  # the column the annotated copy of a rejected workbook adds
MAX_TEMPLATE_ROWS = 50_000  # dropdowns and text formats reach this far down

YES_NO_LABELS = {True: "是", False: "否"}


@dataclass(frozen=True)
class Column:
    """One column: its Chinese header, the API field it feeds and how its cells are read.

    `kind` is one of: text (trimmed text; numbers read as their digits), code (an identifier
    read as text even when Excel stored it as a number), date (an Excel date or YYYY-MM-DD
    text), choice (one Chinese label of `choices`), multi (several labels separated by
    commas or 、), bool (是/否).
    """

    header: str
    field: str
    kind: str = "text"
    required: bool = False
    max_length: int | None = None
    choices: dict = field(default_factory=dict)  # API value -> Chinese label
    note: str = ""
    width: int = 16

    @property
    def labels(self) -> list[str]:
        return list(self.choices.values())

    def comment(self) -> str:
        """The header comment explaining what goes in the column."""
        parts = ["必填。" if self.required else "选填。"]
        if self.kind == "choice":
            parts.append("从下拉列表选择：" + "、".join(self.labels) + "。")
        elif self.kind == "multi":
            parts.append("可填多个，用逗号或顿号分隔：" + "、".join(self.labels) + "。")
        elif self.kind == "bool":
            parts.append("填“是”或“否”，不填视为否。")
        elif self.kind == "date":
            parts.append("日期，格式 YYYY-MM-DD（如 2026-03-01）。")
        elif self.kind == "code":
            parts.append("按文本填写（单元格格式已设为文本），不要写成数字。")
        if self.max_length and self.kind in ("text", "code"):
            parts.append(f"最多 {self.max_length} 个字符。")
        if self.note:
            parts.append(self.note)
        return "".join(parts)


@dataclass(frozen=True)
class Sheet:
    """One worksheet: its title, the record kind it holds, its columns and one example row."""

    title: str
    key: str
    columns: tuple[Column, ...]
    example: dict
    marker: str  # the field whose example value marks the example row (skipped on import)

    @property
    def by_header(self) -> dict[str, Column]:
        return {c.header: c for c in self.columns}

    def column(self, field_name: str) -> Column:
        return next(c for c in self.columns if c.field == field_name)


CODE_NOTE = "6 位 GB/T 2260 行政区划代码，须在您的管辖范围内。"

SCHOOLS = Sheet(
    title="学校",
    key="schools",
    columns=(
        Column("学校名称", "name", required=True, max_length=128, width=28,
               note="同一行政区划内的学校名称唯一，重复导入时据此（或统一社会信用代码）识别同一学校。"),
        Column("学段", "stage", "choice", required=True, choices=SchoolStage.labels(), width=10),
        Column("行政区划代码", "jurisdiction_code", "code", required=True, max_length=6,
               note=CODE_NOTE, width=14),
        Column("统一社会信用代码", "uscc", "code", max_length=18, width=22),
        Column("地址", "address", max_length=256, width=36),
    ),
    example={"name": "示例：某某区实验小学（导入时忽略本行）", "stage": "primary",
             "uscc": None, "address": "某某路 1 号"},
    marker="name",
)

UNITS = Sheet(
    title="单位",
    key="units",
    columns=(
        Column("单位类型", "kind", "choice", required=True, choices=UnitKind.labels(), width=22),
        Column("单位名称", "name", required=True, max_length=128, width=28),
        Column("行政区划代码", "jurisdiction_code", "code", required=True, max_length=6,
               note=CODE_NOTE, width=14),
        Column("所属学校名称", "school_name", max_length=128, width=28,
               note="仅学校食堂填写：所属学校须与食堂在同一行政区划，可在本文件“学校”表中或已登记。"),
        Column("所属学校统一社会信用代码", "school_uscc", "code", max_length=18, width=22,
               note="仅学校食堂填写，可代替学校名称识别所属学校。"),
        Column("经营方式", "operation_mode", "choice", choices=OperationMode.labels(), width=12,
               note="学校食堂必填，其他单位不填。"),
        Column("地址", "address", max_length=256, width=36),
        Column("统一社会信用代码", "uscc", "code", max_length=18, width=22),
        Column("许可证编号", "licence_no", "code", max_length=16, width=20,
               note="食品经营许可证编号（JY 加 14 位数字），无证经营者不填；"
                    "重复导入时据此识别同一单位，未填时按单位类型、名称、行政区划和所属学校识别。"),
        Column("发证日期", "licence_issued_on", "date", width=12, note="填写许可证编号时必填。"),
        Column("有效期至", "licence_expires_on", "date", width=12, note="填写许可证编号时必填。"),
        Column("五常/6T", "wuchang_6t", "bool", choices=YES_NO_LABELS, width=9),
        Column("HACCP", "haccp", "choice", choices=HaccpStatus.labels(), width=12,
               note="不填视为未建立。"),
        Column("HACCP证书有效期", "haccp_cert_expires_on", "date", width=16,
               note="HACCP 为“已通过认证”时必填。"),
        Column("明厨亮灶", "mingchu", "multi", choices=Mingchu.labels(), width=22),
    ),
    example={"kind": "canteen", "name": "示例：某某区实验小学食堂（导入时忽略本行）",
             "school_name": "示例：某某区实验小学（导入时忽略本行）", "school_uscc": None,
             "operation_mode": "self_run", "address": "某某路 1 号", "uscc": None,
             "licence_issued_on": date(2024, 3, 1), "licence_expires_on": date(2029, 2, 28),
             "wuchang_6t": True, "haccp": "none", "haccp_cert_expires_on": None,
             "mingchu": ["transparent", "video"]},
    marker="name",
)

LINKS = Sheet(
    title="供餐关系",
    key="links",
    columns=(
        Column("供餐单位许可证编号", "supplier_licence_no", "code", required=True, max_length=16,
               width=22, note="学生集体用餐配送单位的许可证编号，可在本文件“单位”表中或已登记。"),
        Column("学校名称", "school_name", required=True, max_length=128, width=28,
               note="可在本文件“学校”表中或已登记。"),
        Column("学校行政区划代码", "school_jurisdiction_code", "code", required=True,
               max_length=6, note=CODE_NOTE, width=16),
        Column("开始日期", "starts_on", "date", required=True, width=12,
               note="同一供餐单位、学校和开始日期的记录视为同一供餐关系。"),
        Column("结束日期", "ends_on", "date", width=12, note="不填表示持续供餐。"),
    ),
    example={"school_name": "示例：某某区实验小学（导入时忽略本行）",
             "starts_on": date(2026, 3, 1), "ends_on": None},
    marker="school_name",
)

SHEETS: tuple[Sheet, ...] = (SCHOOLS, UNITS, LINKS)
SHEETS_BY_TITLE = {s.title: s for s in SHEETS}

INSTRUCTIONS = (
    "登记数据导入模板使用说明",
    "",
    "1. 本工作簿含“学校”“单位”“供餐关系”三个工作表，可只填写其中一部分；请勿修改表头和工作表名称。",
    "2. 每个工作表第 2 行为示例，名称以“示例：”开头，导入时自动忽略，可保留或删除。",
    "3. 将鼠标移到表头单元格上可查看该列的填写说明；带下拉列表的列请从列表中选择。",
    "4. 行政区划代码、统一社会信用代码、许可证编号按文本填写，日期按 YYYY-MM-DD 填写。",
    "5. 导入是“全部成功或全部不导入”：任何一行有误时不会写入任何数据，并列出每个错误所在的工作表、行号、列和原因。",
    "6. 同一文件可重复导入：已登记且内容相同的记录不变，内容不同的记录按本文件更新。",
    "7. 学校按“行政区划代码 + 学校名称”或统一社会信用代码识别；单位按许可证编号识别"
    "（未填时按单位类型、名称、行政区划和所属学校识别）；供餐关系按供餐单位、学校和开始日期识别。",
)

_HEADER_FILL = PatternFill("solid", fgColor="DDEBF7")
_REQUIRED_FONT = Font(bold=True, color="C00000")
_HEADER_FONT = Font(bold=True)
_EXAMPLE_FONT = Font(italic=True, color="808080")


def example_values(sheet: Sheet, jurisdiction_code: str) -> dict:
    """The example row of `sheet`, with codes taken from the downloading user's jurisdiction."""
    values = dict(sheet.example)
    for column in sheet.columns:
        if column.field.endswith("jurisdiction_code"):
            values[column.field] = jurisdiction_code
    if sheet is UNITS:
        values["licence_no"] = example_licence("canteen", jurisdiction_code)
    if sheet is LINKS:
        values["supplier_licence_no"] = example_licence("supplier", jurisdiction_code)
    return values


def example_licence(kind: str, jurisdiction_code: str) -> str:
    """A well-formed licence number (valid check digit) for the example rows."""
    body = f"{'3' if kind == 'canteen' else '2'}{jurisdiction_code}000001"
    return f"JY{body}{iso7064_mod11_10(body)}"


def cell_text(column: Column, value) -> object:
    """How the template writes an API value into a cell of `column` (labels, 是/否, dates)."""
    if value is None:
        return None
    if column.kind == "choice" or column.kind == "bool":
        return column.choices[value]
    if column.kind == "multi":
        return "、".join(column.choices[v] for v in value)
    return value


def build_template(jurisdiction_code: str = "510104") -> bytes:
    """The blank import workbook: headers with comments, one example row, dropdowns, formats."""
    workbook = Workbook()
    notes = workbook.active
    notes.title = INSTRUCTIONS_SHEET
    notes.column_dimensions["A"].width = 120
    for line in INSTRUCTIONS:
        notes.append([line])
    notes["A1"].font = Font(bold=True, size=14)
    for sheet in SHEETS:
        _template_sheet(workbook, sheet, jurisdiction_code)
    workbook.active = 1
    buffer = BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def _template_sheet(workbook: Workbook, sheet: Sheet, jurisdiction_code: str) -> None:
    ws = workbook.create_sheet(sheet.title)
    ws.freeze_panes = "A2"
    example = example_values(sheet, jurisdiction_code)
    last = MAX_TEMPLATE_ROWS + 1
    for index, column in enumerate(sheet.columns, start=1):
        letter = get_column_letter(index)
        header = ws.cell(row=1, column=index, value=column.header)
        header.font = _REQUIRED_FONT if column.required else _HEADER_FONT
        header.fill = _HEADER_FILL
        header.alignment = Alignment(horizontal="center", vertical="center")
        header.comment = Comment(column.comment(), "系统", width=320, height=140)
        cell = ws.cell(row=2, column=index, value=cell_text(column, example.get(column.field)))
        cell.font = _EXAMPLE_FONT
        ws.column_dimensions[letter].width = column.width
        if column.kind in ("code", "text"):
            ws.column_dimensions[letter].number_format = "@"
            cell.number_format = "@"
        elif column.kind == "date":
            ws.column_dimensions[letter].number_format = "yyyy-mm-dd"
            cell.number_format = "yyyy-mm-dd"
        if column.kind in ("choice", "bool"):
            validation = DataValidation(
                type="list", formula1='"' + ",".join(column.labels) + '"', allow_blank=True,
                showErrorMessage=True, errorTitle="取值无效",
                error="请从下拉列表中选择：" + "、".join(column.labels))
            validation.add(f"{letter}2:{letter}{last}")
            ws.add_data_validation(validation)
