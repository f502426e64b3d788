"""The statistics table as one declarative definition.

Everything that shows or checks the table — the SQL aggregation, the validation rules, the JSON
API and the Excel layout — is driven from `TABLE`. Labels are verbatim from the attachment of
国市监食经〔2020〕61号; `../shared/spec/statistics-table.md` fixes what each row counts.

How a row is counted is stated as data:
- `stock` rows (基本情况) count units of `kind` licensed on the cutoff date whose status (latest
  inspection on or before the cutoff, else registration) meets every condition in `where`;
  `distinct_schools_supplied` counts distinct schools supplied on the cutoff date instead.
- `problem` rows count units of `kind` with at least one finding of `category` in an inspection
  dated in the period.
- `flow` rows count (or sum) events dated in the period, named by `measure`.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from itertools import groupby

TABLE_TITLE = "校园食品安全守护行动工作情况统计表"
TABLE_VERSION = "2020-61.1"  # the attachment of 国市监食经〔2020〕61号, definition revision 1
COLUMN_HEADERS = ("项目", "数量")


@dataclass(frozen=True)
class Section:
    key: str
    label: str


@dataclass(frozen=True)
class Row:
    code: str
    label: str  # verbatim
    unit: str  # 家 / 个 / 份 / 起 / 户次 / 万元
    section: str  # Section.key
    group: str | None = None  # sub-group label (merged cell), verbatim
    kind: str = "stock"  # stock / problem / flow
    unit_kind: str | None = None  # canteen / supplier (stock and problem rows)
    where: tuple[str, ...] = ()  # stock conditions, see module docstring
    category: str | None = None  # problem rows
    measure: str | None = None  # flow rows and special stock rows
    additive: bool = True  # False for B2: a city's figure is not the sum of its counties'
    decimals: int = 0  # 2 for 万元
    part_of: str | None = None  # the row this one breaks down (A5, A6 of A4): shown indented

    @property
    def is_money(self) -> bool:
        return self.unit == "万元"


@dataclass(frozen=True)
class Rule:
    """`left` ≤ `right`, where `right` is a row code or a context figure (see CONTEXT)."""

    left: str
    right: str
    severity: str  # error / warning
    message: str


SECTIONS = (
    Section("basic", "基本情况"),
    Section("rectification", "督促整改情况"),
    Section("enforcement", "监督检查和案件查处情况"),
)

CANTEEN_GROUP = "学校食堂整改问题数量"
SUPPLIER_GROUP = "供餐单位整改问题数量"
# 基本情况 has no sub-group cells in the attachment; without them 建立 HACCP… and 实施“明厨亮灶”
# appear twice with nothing to tell them apart, so the table names whose rows they are (issue 12).
# Not labels of the attachment: the rows' own labels stay verbatim.
BASIC_GROUPS = {"canteen": "学校食堂", "supplier": "学生集体用餐配送单位"}


def _stock(code: str, label: str, unit_kind: str, *where: str, unit: str = "家",
           part_of: str | None = None) -> Row:
    return Row(code, label, unit, "basic", group=BASIC_GROUPS[unit_kind], unit_kind=unit_kind,
               where=where, part_of=part_of)


def _problem(code: str, label: str, unit_kind: str, category: str) -> Row:
    group = CANTEEN_GROUP if unit_kind == "canteen" else SUPPLIER_GROUP
    return Row(code, label, "家", "rectification", group=group, kind="problem",
               unit_kind=unit_kind, category=category)


def _flow(code: str, label: str, unit: str, measure: str, decimals: int = 0) -> Row:
    return Row(code, label, unit, "enforcement", kind="flow", measure=measure, decimals=decimals)


ROWS: tuple[Row, ...] = (
    _stock("A1", "辖区内持证学校食堂数（家）", "canteen"),
    _stock("A2", "实施五常、6T等食品安全管理的单位数（家）", "canteen", "wuchang_6t"),
    _stock("A3", "建立 HACCP或 ISO22000管理体系的单位数（家）", "canteen", "haccp_established"),
    _stock("A4", "实施“明厨亮灶”数（家）", "canteen", "mingchu_any"),
    _stock("A5", "其中：视频式展示（家）", "canteen", "mingchu_video", part_of="A4"),
    _stock("A6", "互联网式展示（家）", "canteen", "mingchu_internet", part_of="A4"),
    _stock("B1", "辖区内持证学生集体用餐配送单位数（家）", "supplier"),
    Row("B2", "供应的学校数（个）", "个", "basic", group=BASIC_GROUPS["supplier"], unit_kind="supplier",
        measure="distinct_schools_supplied", additive=False),
    _stock("B3", "建立 HACCP或 ISO22000管理体系的单位数（家）", "supplier", "haccp_established"),
    _stock("B4", "通过 HACCP或 ISO22000管理体系认证的单位数（家）", "supplier", "haccp_certified_valid"),
    _stock("B5", "实施“明厨亮灶”数（家）", "supplier", "mingchu_any"),
    _problem("C1", "原料进货查验把关不严格（家）", "canteen", "raw_material"),
    _problem("C2", "食品加工制作行为不规范（家）", "canteen", "processing"),
    _problem("C3", "餐具用具清洗消毒不彻底（家）", "canteen", "cleaning"),
    _problem("C4", "加工制作环境不清洁（家）", "canteen", "environment"),
    _problem("C5", "其他食品安全问题（家）", "canteen", "other"),
    _problem("C6", "原料进货查验把关不严格（家）", "supplier", "raw_material"),
    _problem("C7", "食品加工制作行为不规范（家）", "supplier", "processing"),
    _problem("C8", "餐具用具清洗消毒不彻底（家）", "supplier", "cleaning"),
    _problem("C9", "加工制作环境不清洁（家）", "supplier", "environment"),
    _problem("C10", "食品分餐配送过程不合规（家）", "supplier", "distribution"),
    _problem("C11", "其他食品安全问题（家）", "supplier", "other"),
    _flow("D1", "监督检查数（户次）", "户次", "inspections"),
    _flow("D2", "下达责令改正通知书（份）", "份", "rectification_orders"),
    _flow("D3", "行政处罚立案数（起）", "起", "cases_filed"),
    _flow("D4", "罚没金额（万元）", "万元", "fines_and_confiscations", decimals=2),
    _flow("D5", "吊销许可证（家）", "家", "licences_revoked"),
    _flow("D6", "取缔无证经营（家）", "家", "unlicensed_banned"),
    _flow("D7", "移送公安机关案件数（起）", "起", "cases_transferred"),
    _flow("D8", "刑事立案数（起）", "起", "criminal_cases_filed"),
)

ROWS_BY_CODE = {row.code: row for row in ROWS}

# Figures computed beside the table that the validation rules compare against.
CONTEXT = {
    "canteens_inspected": "期内接受检查的学校食堂数",
    "suppliers_inspected": "期内接受检查的供餐单位数",
}
# Each context figure counts the distinct units of this kind inspected in the period.
CONTEXT_UNIT_KINDS = {"canteens_inspected": "canteen", "suppliers_inspected": "supplier"}


def _le(left: str, right: str, severity: str = "error") -> Rule:
    right_label = (ROWS_BY_CODE[right].label if right in ROWS_BY_CODE else CONTEXT[right])
    return Rule(left, right, severity,
                f"{left}「{ROWS_BY_CODE[left].label}」不应大于 {right}「{right_label}」。")


RULES: tuple[Rule, ...] = (
    *(_le(code, "A1") for code in ("A2", "A3", "A4")),
    _le("A5", "A4"),
    _le("A6", "A4"),
    *(_le(code, "B1") for code in ("B3", "B4", "B5")),
    _le("B4", "B3"),
    *(_le(f"C{i}", "canteens_inspected") for i in range(1, 6)),
    *(_le(f"C{i}", "suppliers_inspected") for i in range(6, 12)),
    Rule("D8", "D7", "warning",
         "D8「刑事立案数（起）」大于 D7「移送公安机关案件数（起）」：公安机关可自行立案，请核实。"),
)


# Printed under the table (and shown under it on the page): what a reader would otherwise take
# for an error.
NOTES = (
    "注：A5（视频式展示）、A6（互联网式展示）是 A4 中的单位；同时采用视频式和互联网式展示的单位"
    "在 A5、A6 中各计一次，故 A5 + A6 可以大于 A4。",
)


@dataclass(frozen=True)
class GroupBlock:
    """Consecutive rows of a section under one sub-group cell (`label` None: no sub-group; each
    row's label then spans the sub-group column too)."""

    label: str | None
    rows: tuple[Row, ...]


@dataclass(frozen=True)
class SectionBlock:
    """A section's cell, merged down over its groups' rows."""

    section: Section
    groups: tuple[GroupBlock, ...]

    @property
    def rows(self) -> tuple[Row, ...]:
        return tuple(row for group in self.groups for row in group.rows)


@dataclass(frozen=True)
class RowLayout:
    """Where one row sits in the merged-cell layout: the spans of the cells that start on it
    (0 when the row lies under a cell begun above it)."""

    row: Row
    section_span: int
    group_span: int


@dataclass(frozen=True)
class TableDefinition:
    title: str = TABLE_TITLE
    version: str = TABLE_VERSION
    columns: tuple[str, str] = COLUMN_HEADERS
    sections: tuple[Section, ...] = SECTIONS
    rows: tuple[Row, ...] = ROWS
    rules: tuple[Rule, ...] = RULES
    context: dict[str, str] = field(default_factory=lambda: dict(CONTEXT))
    notes: tuple[str, ...] = NOTES

    def section_rows(self, key: str) -> list[Row]:
        return [row for row in self.rows if row.section == key]

    def blocks(self) -> tuple[SectionBlock, ...]:
        """The official table's merged cells: sections, and within them the sub-groups."""
        return tuple(
            SectionBlock(section, tuple(
                GroupBlock(label, tuple(rows))
                for label, rows in groupby(self.section_rows(section.key), key=lambda r: r.group)))
            for section in self.sections)

    def layout(self) -> tuple[RowLayout, ...]:
        """`blocks()` row by row, as an HTML table's rowspans need it."""
        out = []
        for block in self.blocks():
            for group in block.groups:
                for row in group.rows:
                    out.append(RowLayout(
                        row, len(block.rows) if row is block.rows[0] else 0,
                        len(group.rows) if group.label and row is group.rows[0] else 0))
        return tuple(out)


TABLE = TableDefinition()
