"""The validation rules of the definition, and how figures are shown (万元, half-up, once)."""

from __future__ import annotations

from decimal import Decimal

import pytest

from foodsafety.statistics.definition import ROWS_BY_CODE, RULES, TABLE
from foodsafety.statistics.results import display_value, validate, zero_values

CONTEXT = {"canteens_inspected": 5, "suppliers_inspected": 3}


def consistent() -> dict:
    """A table that passes every rule."""
    values = zero_values()
    values.update(A1=10, A2=8, A3=4, A4=9, A5=6, A6=3, B1=4, B2=12, B3=3, B4=2, B5=4,
                  C1=5, C5=2, C6=3, C11=1, D7=2, D8=2)
    return values


def test_a_consistent_table_passes_every_rule():
    assert validate(consistent(), CONTEXT) == []


@pytest.mark.parametrize("rule", RULES, ids=[f"{r.left}<={r.right}" for r in RULES])
def test_each_rule_reports_its_own_violation_with_both_figures(rule):
    values = consistent()
    right = values[rule.right] if rule.right in values else CONTEXT[rule.right]
    values[rule.left] = right + 1
    if rule.left == "A4":  # keep A5/A6 ≤ A4 from firing too
        values["A5"] = values["A6"] = 0
    if rule.left == "B3":
        values["B4"] = 0
    issues = [i for i in validate(values, CONTEXT) if i["rule"] == f"{rule.left} ≤ {rule.right}"]
    assert issues == [{"rule": f"{rule.left} ≤ {rule.right}", "severity": rule.severity,
                       "severity_label": {"error": "错误", "warning": "警告"}[rule.severity],
                       "message": rule.message, "left": right + 1, "right": right}]


def test_problem_rows_may_not_exceed_the_units_inspected_in_the_period():
    values = consistent()
    values["C3"] = 6
    values["C10"] = 4
    issues = validate(values, CONTEXT)
    assert [(i["rule"], i["severity"]) for i in issues] == [
        ("C3 ≤ canteens_inspected", "error"), ("C10 ≤ suppliers_inspected", "error")]
    assert "期内接受检查的学校食堂数" in issues[0]["message"]


def test_more_criminal_cases_than_transfers_is_only_a_warning():
    values = consistent()
    values["D8"] = 3
    assert [(i["rule"], i["severity"]) for i in validate(values, CONTEXT)] == [("D8 ≤ D7", "warning")]


def test_the_rules_are_those_the_spec_lists():
    pairs = {(r.left, r.right, r.severity) for r in TABLE.rules}
    assert {("A2", "A1", "error"), ("A3", "A1", "error"), ("A4", "A1", "error"),
            ("A5", "A4", "error"), ("A6", "A4", "error"), ("B3", "B1", "error"),
            ("B4", "B1", "error"), ("B5", "B1", "error"), ("B4", "B3", "error"),
            ("D8", "D7", "warning")} <= pairs
    assert {(f"C{i}", "canteens_inspected", "error") for i in range(1, 6)} <= pairs
    assert {(f"C{i}", "suppliers_inspected", "error") for i in range(6, 12)} <= pairs


@pytest.mark.parametrize("yuan, shown", [
    ("1234.50", "0.12"),  # 0.12345
    ("1250.00", "0.13"),  # exactly half: half-up, not to even
    ("2469.00", "0.25"),
    ("3703.50", "0.37"),
    ("0.00", "0.00"),
    ("49.99", "0.00"),
    ("50.00", "0.01"),
    ("123456789.01", "12345.68"),
])
def test_money_is_shown_in_wan_yuan_rounded_half_up_once(yuan, shown):
    assert display_value(ROWS_BY_CODE["D4"], Decimal(yuan)) == Decimal(shown)


def test_counts_are_shown_as_they_are():
    assert display_value(ROWS_BY_CODE["D1"], 1234) == 1234
