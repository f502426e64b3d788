"""A computed table: exact figures, the context the rules need, validation results and coverage;
and the typed views of a table (rows with figures, issues, coverage, breakdown columns, units not
inspected) that the API schemas serialise and the workbook builder takes.

Everything here is driven from `definition.TABLE`; nothing restates a label or the row order.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from foodsafety.statistics.definition import TABLE, Row
from foodsafety.vocabulary import Severity, UnitKind

Value = int | Decimal
YUAN_PER_WAN = Decimal(10000)
UNIT_KINDS = UnitKind.codes()


def display_value(row: Row, value: Value) -> Value:
    """The figure as the official table shows it: 万元 rounded half-up once, counts as they are."""
    if row.is_money:
        quantum = Decimal(1).scaleb(-row.decimals)
        return (Decimal(value) / YUAN_PER_WAN).quantize(quantum, rounding=ROUND_HALF_UP)
    return int(value)


def display_text(row: Row, value: Value) -> str:
    """The display value as text (`0.37`, `12`)."""
    return str(display_value(row, value))


def exact_json(row: Row, value: Value) -> int | str:
    """The exact figure as JSON: counts as numbers, money as a yuan string (`3703.50`)."""
    if row.is_money:
        return f"{Decimal(value).quantize(Decimal('0.01'))}"
    return int(value)


def exact_from_json(row: Row, value: int | str) -> Value:
    """Inverse of `exact_json`."""
    return Decimal(value) if row.is_money else int(value)


def zero_values() -> dict[str, Value]:
    return {row.code: (Decimal("0.00") if row.is_money else 0) for row in TABLE.rows}


def validate(values: dict[str, Value], context: dict[str, int]) -> list[dict]:
    """Apply every rule of the definition (`left ≤ right`); returns the violations."""
    issues = []
    for rule in TABLE.rules:
        left = values[rule.left]
        right = values[rule.right] if rule.right in values else context[rule.right]
        if left > right:
            issues.append({"rule": f"{rule.left} ≤ {rule.right}", "severity": rule.severity,
                           "severity_label": Severity(rule.severity).label,
                           "message": rule.message, "left": int(left), "right": int(right)})
    return issues


@dataclass
class TableResult:
    """One jurisdiction's table for one period as of a cutoff."""

    jurisdiction_code: str
    period_key: str
    cutoff: date
    values: dict[str, Value] = field(default_factory=zero_values)
    context: dict[str, int] = field(default_factory=lambda: dict.fromkeys(TABLE.context, 0))
    # kind → {"units": in scope, "inspected": inspected in the period, "uninspected": the rest}
    coverage: dict[str, dict[str, int]] = field(
        default_factory=lambda: {k: {"units": 0, "inspected": 0, "uninspected": 0}
                                 for k in UNIT_KINDS})
    issues: list[dict] = field(default_factory=list)

    @property
    def coverage_summary(self) -> dict[str, int]:
        """Units in scope not inspected in the period, per unit kind."""
        return {kind: counts["uninspected"] for kind, counts in self.coverage.items()}

    @property
    def errors(self) -> list[dict]:
        return [issue for issue in self.issues if issue["severity"] == "error"]

    @property
    def has_errors(self) -> bool:
        return bool(self.errors)

    def display(self, code: str) -> Value:
        """The figure of row `code` as shown (D4 in 万元, rounded once)."""
        return display_value(TABLE_ROWS[code], self.values[code])

    def figures_json(self) -> dict[str, int | str]:
        """The exact figures as JSON (money as a yuan string)."""
        return {row.code: exact_json(row, self.values[row.code]) for row in TABLE.rows}

    def finish(self) -> TableResult:
        """Derive what follows from the figures: uninspected counts and the validation results."""
        for counts in self.coverage.values():
            counts["uninspected"] = counts["units"] - counts["inspected"]
        self.issues = validate(self.values, self.context)
        return self


TABLE_ROWS = {row.code: row for row in TABLE.rows}
SECTION_LABELS = {section.key: section.label for section in TABLE.sections}


# --- typed views of a table, as the API schemas and the workbook read them ---------------------

@dataclass(frozen=True)
class RowFigure:
    """One row of the table with its exact figure and its place in the merged-cell layout."""

    row: Row
    exact: Value
    section_span: int = 0  # on the first row of a section: how many rows its cell spans
    group_span: int = 0  # on the first row of a sub-group: how many rows its cell spans

    @property
    def section_label(self) -> str:
        return SECTION_LABELS[self.row.section]

    @property
    def display(self) -> Value:
        return display_value(self.row, self.exact)


def row_figures(values: dict[str, Value]) -> list[RowFigure]:
    """The table's rows in order (`TABLE.layout()`), each with its exact figure."""
    return [RowFigure(cell.row, values[cell.row.code], cell.section_span, cell.group_span)
            for cell in TABLE.layout()]


@dataclass(frozen=True)
class ContextFigure:
    """A figure computed beside the table that a validation rule compares against."""

    key: str
    label: str
    value: int


def context_figures(context: dict[str, int]) -> list[ContextFigure]:
    return [ContextFigure(key, label, int(context.get(key, 0))) for key, label in TABLE.context.items()]


@dataclass(frozen=True)
class Issue:
    """A broken validation rule (`left` > `right`)."""

    severity: str  # error / warning
    message: str
    rule: str = ""
    left: int = 0
    right: int = 0

    @property
    def severity_label(self) -> str:
        return Severity(self.severity).label


def issues_of(stored: list[dict]) -> list[Issue]:
    """The issues of `validate` (or of a snapshot's stored validation), typed."""
    return [Issue(i["severity"], i["message"], i["rule"], i["left"], i["right"]) for i in stored]


@dataclass(frozen=True)
class CoverageCount:
    """Units of one kind in scope, and how many of them were inspected in the period."""

    kind: str
    units: int
    inspected: int

    @property
    def uninspected(self) -> int:
        return self.units - self.inspected

    @property
    def kind_label(self) -> str:
        return UnitKind(self.kind).label


def coverage_counts(coverage: dict[str, dict[str, int]]) -> list[CoverageCount]:
    """Coverage per unit kind in the vocabulary's order."""
    return [CoverageCount(kind, int(counts["units"]), int(counts["inspected"]))
            for kind, counts in coverage.items()]


@dataclass(frozen=True)
class BreakdownColumn:
    """One jurisdiction's exact figures in a breakdown (D4 in yuan); missing codes are 0."""

    code: str
    name: str
    values: dict[str, Value]

    def value(self, code: str) -> Value:
        return self.values.get(code, 0)

    @property
    def figures(self) -> dict[str, int | str]:
        return {row.code: exact_json(row, self.value(row.code)) for row in TABLE.rows}

    @property
    def display(self) -> dict[str, str]:
        return {row.code: display_text(row, self.value(row.code)) for row in TABLE.rows}


def values_from_json(figures: dict[str, int | str]) -> dict[str, Value]:
    """Stored exact figures (`figures_json`), typed again (Decimal yuan for money)."""
    return {code: exact_from_json(TABLE_ROWS[code], value)
            for code, value in figures.items() if code in TABLE_ROWS}


@dataclass(frozen=True)
class UninspectedUnit:
    """A unit in scope that no inspection in the period visited."""

    id: int
    name: str
    kind: str
    jurisdiction_code: str
    jurisdiction_name: str
    licence_no: str | None = None
    last_inspected_on: date | None = None  # listed live; not kept in a snapshot

    @property
    def kind_label(self) -> str:
        return UnitKind(self.kind).label

    def stored(self) -> dict:
        """What a snapshot keeps of it (`StatsSnapshot.uninspected_units` reads it back): plain
        values, built directly, as a list of 10,000 is a fifth of a national snapshot's time
        through a schema."""
        return {"id": self.id, "name": self.name, "kind": self.kind,
                "jurisdiction_code": self.jurisdiction_code,
                "jurisdiction_name": self.jurisdiction_name, "licence_no": self.licence_no}


@dataclass(frozen=True)
class LiveTable:
    """A table computed now, with what the API shows beside it."""

    jurisdiction: Any  # registry Jurisdiction
    period: Any  # periods.Period
    result: TableResult

    @property
    def cutoff(self) -> date:
        return self.result.cutoff

    @property
    def rows(self) -> list[RowFigure]:
        return row_figures(self.result.values)

    @property
    def issues(self) -> list[Issue]:
        return issues_of(self.result.issues)

    @property
    def valid(self) -> bool:
        return not self.result.has_errors

    @property
    def context_figures(self) -> list[ContextFigure]:
        return context_figures(self.result.context)

    @property
    def coverage_counts(self) -> list[CoverageCount]:
        return coverage_counts(self.result.coverage)


@dataclass(frozen=True)
class LiveBreakdown:
    """A breakdown computed now: one column per direct child, then the jurisdiction's total."""

    jurisdiction: Any
    period: Any
    cutoff: date
    columns: list[BreakdownColumn]
    total: BreakdownColumn
    rows: tuple[Row, ...] = TABLE.rows

