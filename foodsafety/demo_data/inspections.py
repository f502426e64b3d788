"""A year of inspections, submitted through the real service, with their rectification follow-ups.

Each document is validated by `InspectionSubmissionSchema` and stored by `submit_inspection`, so
results, counts, findings and orders are derived exactly as for a phone's submission. Orders are
then followed up as in life: some schools report, inspectors re-inspect, some orders run over.
"""

from __future__ import annotations

import uuid
from datetime import date, timedelta

from foodsafety.demo_data.accounts import person, school_account
from foodsafety.demo_data.context import DEMO_DAYS, Demo, StoredInspection, UnitPlan, cst_instant
from foodsafety.demo_data.names import (
    CATERING_NOTES,
    COUNTIES,
    EXTRA_FINDINGS,
    ITEM_NOTES,
    RECHECK_NOTES_NOT,
    RECHECK_NOTES_OK,
    REMARKS,
    REPORT_TEXTS,
)
from foodsafety.inspections.models import Inspection
from foodsafety.inspections.schemas import InspectionSubmissionSchema
from foodsafety.inspections.submit import submit_inspection
from foodsafety.rectification.models import RectificationOrder
from foodsafety.rectification.schemas import RecheckSchema, ReportSchema
from foodsafety.rectification.services import record_recheck, submit_report
from forms import FormDefinition, evaluate, forms

VISITS = {  # unit kind → (possible numbers of visits in the year, their weights)
    "canteen": ((1, 2, 3, 4, 5, 6), (1, 2, 3, 4, 3, 2)),
    "supplier": ((3, 4, 5, 6), (1, 2, 2, 2)),
    "periphery": ((1, 2, 3, 4), (3, 4, 2, 1)),
    "unlicensed": ((1, 2, 3), (5, 3, 1)),
}
DEADLINE_DAYS = (7, 10, 15, 15, 20, 30)
# The unlicensed operator's short list: no permit to show, sources and health certificates often
# missing.
UNLICENSED_FAILS = {"1.1": 1.0, "1.3": 0.2, "2.2": 0.4, "3.1": 0.6, "4.1": 0.6}
LICENCE_SHOWN = {"sales": "1.2"}  # the item on the displayed licence, where it is not 2.1


def _in_term(day: date) -> bool:
    """School days: not in the summer (mid-July to August) or winter (late January to February)
    holidays."""
    md = (day.month, day.day)
    return not ((7, 11) <= md <= (8, 31) or (1, 20) <= md <= (2, 22))


class Inspections:
    def __init__(self, demo: Demo) -> None:
        self.demo = demo
        self.rng = demo.rng
        year = [demo.today - timedelta(days=n) for n in range(1, DEMO_DAYS + 1)]
        self.weekdays = sorted(d for d in year if d.weekday() < 5)
        self.term_days = [d for d in self.weekdays if _in_term(d)]
        self.rosters = {
            county: [{"name": person(demo), "badge_no": f"{county}{n:05d}"}
                     for n in self.rng.sample(range(1, 400), 5)]
            for county in COUNTIES
        }
        self.order_seq: dict[tuple[str, int], int] = {}
        # One instance of each schema: building one per document costs more than loading it.
        self.submission, self.recheck_schema = InspectionSubmissionSchema(), RecheckSchema()
        self.report_schema = ReportSchema()

    # --- the schedule ---------------------------------------------------------------------

    def visit_days(self, unit: UnitPlan) -> list[date]:
        choices, weights = VISITS[unit.kind]
        count = self.rng.choices(choices, weights=weights)[0]
        pool = self.term_days if unit.kind in ("canteen", "supplier") else self.weekdays
        if unit.force_open_order:
            count = max(count, 3)
            last = max(d for d in pool if d <= self.demo.today - timedelta(days=3))
            return sorted(self.rng.sample([d for d in pool if d < last - timedelta(days=30)],
                                          count - 1)) + [last]
        days = sorted(self.rng.sample(pool, count))
        for _ in range(5):  # inspectors rarely come back within a fortnight
            if all((b - a).days >= 14 for a, b in zip(days, days[1:], strict=False)):
                break
            days = sorted(self.rng.sample(pool, count))
        return days

    # --- the document ---------------------------------------------------------------------

    def answers(self, unit: UnitPlan, definition: FormDefinition, forced: bool) -> dict[str, str]:
        rng = self.rng
        p_general, p_key = unit.p_general, unit.p_key
        chosen = {}
        for code, item in definition.items.items():
            if code in unit.na_items:
                chosen[code] = "na"
            elif unit.kind == "unlicensed" and code in UNLICENSED_FAILS:
                chosen[code] = "no" if rng.random() < UNLICENSED_FAILS[code] else "yes"
            else:
                chosen[code] = "no" if rng.random() < (p_key if item.key else p_general) else "yes"
        if forced:  # two failed general items: 基本符合, an order to rectify
            general = [c for c, i in definition.items.items() if not i.key and chosen[c] != "na"]
            for code in [c for c in ("7.4", "2.2") if c in general] or general[:2]:
                chosen[code] = "no"
        return chosen

    def document(self, unit: UnitPlan, day: date, forced: bool) -> dict:
        """One inspection as the phone would send it, already loaded by the submission schema."""
        rng = self.rng
        definition = forms.for_unit(unit.kind, unit.licence_no)
        answers = self.answers(unit, definition, forced)
        evaluation = evaluate(definition, answers)

        extra = []
        if rng.random() < 0.07:
            categories = [c for c in EXTRA_FINDINGS if c != "distribution" or unit.kind == "supplier"]
            category = rng.choice(categories)
            extra.append({"category": category, "description": rng.choice(EXTRA_FINDINGS[category])})

        # Units improve between visits now and then (a new camera, 6T adopted).
        if not unit.wuchang_6t and rng.random() < 0.08:
            unit.wuchang_6t = True
        for mode, p in (("video", 0.06), ("internet", 0.04)):
            if unit.kind != "unlicensed" and mode not in unit.mingchu and rng.random() < p:
                unit.mingchu.append(mode)

        result = evaluation.result if not extra or evaluation.result != "compliant" else "basic"
        handling, order = self.handling(unit, result, day, forced)
        hour = rng.choice((9, 9, 10, 10, 11, 14, 15, 15, 16, 17))
        inspectors = rng.sample(self.rosters[unit.county], 3 if rng.random() < 0.1 else 2)
        if rng.random() < 0.01:
            inspectors = inspectors[:1]  # happens; the service warns about it
        displayed = None
        shown = LICENCE_SHOWN.get(definition.id, "2.1")
        if unit.licensed and answers.get(shown) in ("yes", "no"):
            displayed = answers[shown] == "yes"
        doc = {
            "id": str(uuid.UUID(int=rng.getrandbits(128), version=4)),
            "unit_id": unit.id,
            "form_id": definition.id,
            "form_version": definition.version,
            "started_at": f"{day.isoformat()}T{hour:02d}:{rng.randint(0, 59):02d}:00+08:00",
            "inspectors": inspectors,
            "answers": [{"item": code, "answer": value,
                         "note": rng.choice(ITEM_NOTES.get(definition.id, CATERING_NOTES).get(
                             code, (definition.items[code].text,)))
                         if value == "no" else None}
                        for code, value in answers.items()],
            "observed": {
                "wuchang_6t": unit.wuchang_6t,
                "haccp": unit.haccp,
                "haccp_cert_expires_on": unit.haccp_cert_expires_on.isoformat()
                if unit.haccp_cert_expires_on else None,
                "mingchu": list(unit.mingchu),
                "licence_displayed": displayed,
            },
            "extra_findings": extra,
            "handling": handling,
            "rectification_order": order,
            "remarks": self.remark(day),
        }
        return self.submission.load(doc)

    def handling(self, unit: UnitPlan, result: str, day: date, forced: bool
                 ) -> tuple[str, dict | None]:
        rng = self.rng
        if forced:
            handling = "rectify"
        elif result == "compliant":
            handling = "pass"
        elif result == "basic":
            handling = "rectify" if rng.random() < 0.6 else "on_site"  # put right on the spot
        else:
            handling = "stop" if unit.kind == "unlicensed" or rng.random() < 0.12 else "rectify"
        if handling != "rectify":
            return handling, None
        key = (unit.county, day.year)
        self.order_seq[key] = self.order_seq.get(key, 0) + 1
        abbr = COUNTIES[unit.county][0]
        days = 10 if forced else rng.choice(DEADLINE_DAYS[:3] if result == "noncompliant"
                                            else DEADLINE_DAYS)
        deadline = self.demo.today + timedelta(days=10) if forced else day + timedelta(days=days)
        return handling, {"number": f"{abbr}市监责改〔{day.year}〕{self.order_seq[key]:04d}号",
                          "deadline": deadline.isoformat()}

    def remark(self, day: date) -> str | None:
        if self.rng.random() > 0.2:
            return None
        options = [r for r in REMARKS if ("春季" not in r or day.month in (2, 3))
                   and ("秋季" not in r or day.month == 9)]
        return self.rng.choice(options)

    # --- follow-ups -----------------------------------------------------------------------

    def follow_up(self, unit: UnitPlan, inspection: Inspection, order: RectificationOrder) -> None:
        """A school may report its rectification; the inspectors re-inspect (or not yet)."""
        rng, demo = self.rng, self.demo
        today = demo.today
        reported_on = None
        if unit.kind == "canteen" and rng.random() < 0.55:
            span = max(2, (order.deadline - order.issued_on).days)
            day = order.issued_on + timedelta(days=rng.randint(2, span))
            if day < today:
                school = next(s for s in demo.schools if s.id == unit.school_id)
                problems = "；".join(f.description for f in inspection.findings[:3])
                data = self.report_schema.load({
                    "id": str(uuid.uuid5(uuid.NAMESPACE_URL, f"demo-report:{order.id}")),
                    "text": rng.choice(REPORT_TEXTS).format(problems=problems)})
                report, _ = submit_report(school_account(demo, school), order.id, data)
                report.submitted_at = cst_instant(day, rng.randint(9, 17), rng.randint(0, 59))
                reported_on = day
                demo.counts["reports"] += 1
        chance = 0.9 if order.deadline < today else (0.35 if reported_on else 0.1)
        if rng.random() >= chance:
            return
        earliest = max(order.issued_on + timedelta(days=3),
                       reported_on + timedelta(days=1) if reported_on else order.issued_on)
        latest = min(order.deadline + timedelta(days=7), today - timedelta(days=1))
        if earliest > latest:
            return
        checked_on = earliest + timedelta(days=rng.randint(0, (latest - earliest).days))
        done = self.recheck(unit, inspection, order, checked_on, 0.92)
        if not done and rng.random() < 0.6:
            again = checked_on + timedelta(days=rng.randint(5, 20))
            if again < today:
                self.recheck(unit, inspection, order, again, 1.0)

    def recheck(self, unit: UnitPlan, inspection: Inspection, order: RectificationOrder,
                checked_on: date, p_rectified: float) -> bool:
        rng = self.rng
        results = [{"finding_id": f.id, "rectified": rng.random() < p_rectified}
                   for f in inspection.findings]
        for result in results:
            if not result["rectified"]:
                result["note"] = rng.choice(RECHECK_NOTES_NOT)
        all_done = all(r["rectified"] for r in results)
        data = self.recheck_schema.load({
            "checked_on": checked_on.isoformat(),
            "inspectors": rng.sample(self.rosters[unit.county], 2),
            "results": results,
            "note": rng.choice(RECHECK_NOTES_OK if all_done else RECHECK_NOTES_NOT),
        })
        recheck, _ = record_recheck(self.demo.inspectors[unit.county], order.id, data)
        recheck.created_at = cst_instant(checked_on, rng.randint(9, 17), rng.randint(0, 59))
        self.demo.counts["rechecks"] += 1
        return recheck.all_rectified


def create_inspections(demo: Demo) -> None:
    """Every unit's visits of the past year, in date order, with their follow-ups."""
    work = Inspections(demo)
    visits = [(day, unit) for unit in demo.units for day in work.visit_days(unit)]
    visits.sort(key=lambda v: (v[0], v[1].id))
    last_visit = {unit.id: day for day, unit in visits}
    demo.say(f"  将提交 {len(visits)} 次检查……")
    for number, (day, unit) in enumerate(visits, start=1):
        forced = unit.force_open_order and day == last_visit[unit.id]
        data = work.document(unit, day, forced)
        inspection, created = submit_inspection(demo.inspectors[unit.county], data)
        if not created:
            raise RuntimeError(f"检查 {data['id']} 未能新建")
        demo.counts["inspections"] += 1
        demo.counts[f"result_{inspection.result.value}"] += 1
        demo.counts["inspection_warnings"] += len(inspection.warnings)
        demo.inspections.append(StoredInspection(
            inspection.uuid, unit, inspection.inspected_on, inspection.result.value,
            inspection.handling.value))
        if data["rectification_order"]:
            demo.counts["orders"] += 1
            if not forced:
                work.follow_up(unit, inspection, inspection.rectification_order)
        if number % 500 == 0:
            demo.say(f"  已提交 {number}/{len(visits)} 次检查")
