"""The grading rule of the 结果记录表, applied identically by the server and the mobile form.

符合: no item failed. 不符合: more key items failed than `max_key_failures_for_basic`, or the
general-item pass rate is below `basic_min_general_pass_rate` percent. Otherwise 基本符合 — this
includes one failed key item with every general item passed, which the regulation's wording leaves
between the two other grades. Not-applicable (合理缺项) items leave the denominator.

A problem recorded outside the checklist (an extra finding) counts as one more failed general
item: a record that lists problems is never 符合.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from forms.definitions import FormDefinition


@dataclass(frozen=True)
class Evaluation:
    result: str  # compliant / basic / noncompliant
    items_checked: int  # applicable items answered 是 or 否
    key_items_checked: int
    key_items_failed: int
    general_applicable: int
    general_passed: int
    failed_items: tuple[str, ...]

    @property
    def general_pass_rate(self) -> int | None:
        """Percent of applicable general items passed, floored; None when none applied."""
        if not self.general_applicable:
            return None
        return self.general_passed * 100 // self.general_applicable


def evaluate(definition: FormDefinition, answers: Mapping[str, str],
             extra_findings: int = 0) -> Evaluation:
    """Grade a complete set of answers (item code → "yes" / "no" / "na"); each of the
    `extra_findings` problems found outside the checklist is a failed general item."""
    rule = definition.result_rule
    key_checked = key_failed = general_passed = 0
    general_applicable = extra_findings
    failed: list[str] = []
    for code, item in definition.items.items():
        answer = answers[code]
        if answer == "na":
            continue
        if answer == "no":
            failed.append(code)
        if item.key:
            key_checked += 1
            key_failed += answer == "no"
        else:
            general_applicable += 1
            general_passed += answer == "yes"
    rate_below = general_applicable and (
        general_passed * 100 < rule["basic_min_general_pass_rate"] * general_applicable
    )
    if not failed and not extra_findings:
        result = "compliant"
    elif key_failed > rule["max_key_failures_for_basic"] or rate_below:
        result = "noncompliant"
    else:
        result = "basic"
    return Evaluation(
        result=result,
        items_checked=key_checked + general_applicable - extra_findings,
        key_items_checked=key_checked,
        key_items_failed=key_failed,
        general_applicable=general_applicable,
        general_passed=general_passed,
        failed_items=tuple(failed),
    )
