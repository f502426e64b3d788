"""A computed table: exact figures, the context the rules need, validation results and coverage.

Everything here is driven from `definition.TABLE`; nothing restates a label or the row order.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from decimal import ROUND_HALF_UP, Decimal

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


def rows_json(values: dict[str, Value]) -> list[dict]:
    """The table's rows in order, each with its label, unit, section, group and figure."""
    return [{
        "code": row.code,
        "label": row.label,
        "unit": row.unit,
        "section": row.section,
        "section_label": SECTION_LABELS[row.section],
        "group": row.group,
        "value": (display_text(row, values[row.code]) if row.is_money
                  else display_value(row, values[row.code])),
        "exact": exact_json(row, values[row.code]),
    } for row in TABLE.rows]


def coverage_json(coverage: dict[str, dict[str, int]]) -> list[dict]:
    """Coverage per unit kind, with the kind's Chinese name."""
    return [{"kind": kind, "kind_label": UnitKind(kind).label, **counts}
            for kind, counts in coverage.items()]
