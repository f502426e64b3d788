"""About forty enforcement cases, filed and decided through the enforcement services.

Fines on canteens, suppliers and shops; bans of unlicensed stalls; one canteen's licence
revoked; transfers to the police, one of which the police filed as a criminal case.
"""

from __future__ import annotations

from datetime import date, timedelta

from foodsafety.demo_data.context import Demo, StoredInspection, cst_instant
from foodsafety.demo_data.names import CASE_SUMMARIES, COUNTIES
from foodsafety.enforcement.models import EnforcementCase
from foodsafety.enforcement.schemas import CaseCreateSchema, CaseUpdateSchema
from foodsafety.enforcement.services import create_case, update_case

FINES = ("2000.00", "3000.00", "5000.00", "5000.00", "10000.00", "20000.00", "30000.00")


class Cases:
    def __init__(self, demo: Demo) -> None:
        self.demo = demo
        self.rng = demo.rng
        self.seq: dict[tuple[str, int], int] = {}
        self.used_units: set[int] = set()

    def day_after(self, day: date, low: int, high: int) -> date | None:
        """A day `low`–`high` days after `day`, or None if that is still in the future."""
        later = day + timedelta(days=self.rng.randint(low, high))
        return later if later <= self.demo.today else None

    def confiscated(self) -> str:
        return f"{self.rng.randint(80, 6000)}.{self.rng.choice(('00', '50', '80', '35', '06'))}"

    def file(self, source: StoredInspection, kind: str) -> EnforcementCase:
        """File a case (立案) on the unit of `source`, a few days after the inspection."""
        demo, rng = self.demo, self.rng
        unit = source.unit
        filed_on = min(source.inspected_on + timedelta(days=rng.randint(0, 6)), demo.today)
        key = (unit.county, filed_on.year)
        self.seq[key] = self.seq.get(key, 0) + 1
        data = CaseCreateSchema().load({
            "case_no": f"{COUNTIES[unit.county][0]}市监立〔{filed_on.year}〕{self.seq[key]:03d}号",
            "unit_id": unit.id, "inspection_id": source.uuid, "filed_on": filed_on.isoformat(),
            "summary": rng.choice(CASE_SUMMARIES[kind]).format(unit=unit.name)})
        case = create_case(demo.inspectors[unit.county], data)
        case.created_at = case.updated_at = cst_instant(filed_on, rng.randint(9, 17))
        self.used_units.add(unit.id)
        demo.counts["cases"] += 1
        return case

    def record(self, case: EnforcementCase, county: str, **stages: date | str | None) -> None:
        """Record the stages that have happened by today (None: not yet)."""
        stages = {name: value for name, value in stages.items() if value is not None}
        if not stages:
            return
        data = CaseUpdateSchema().load({name: value.isoformat() if isinstance(value, date)
                                        else value for name, value in stages.items()})
        update_case(self.demo.inspectors[county], case.id, data)
        last = max(value for value in data.values() if isinstance(value, date))
        case.updated_at = cst_instant(last, self.rng.randint(9, 17))
        for name in ("licence_revoked_on", "banned_on", "transferred_on", "criminal_filed_on"):
            self.demo.counts[f"case_{name}"] += name in data

    def pick(self, candidates: list[StoredInspection], count: int) -> list[StoredInspection]:
        """Up to `count` inspections of distinct units not yet in a case."""
        picked, units = [], set(self.used_units)
        for source in self.rng.sample(candidates, len(candidates)):
            if source.unit.id not in units:
                picked.append(source)
                units.add(source.unit.id)
            if len(picked) == count:
                break
        return picked


def create_cases(demo: Demo) -> None:
    """Transfers to the police, bans, a revocation and fines, spread over the year."""
    cases = Cases(demo)
    rng, after = demo.rng, cases.day_after
    old = [s for s in demo.inspections if s.inspected_on <= demo.today - timedelta(days=60)]

    # The police: one case filed as criminal, one transfer still with them.
    stalls = [s for s in old if s.unit.kind in ("unlicensed", "periphery")
              and s.result == "noncompliant"] \
        or [s for s in old if s.unit.kind in ("unlicensed", "periphery")]
    for index, source in enumerate(cases.pick(stalls, 2)):
        case = cases.file(source, "police")
        transferred = after(case.filed_on, 3, 15)
        criminal = after(transferred, 20, 30) if index == 0 and transferred else None
        banned = after(case.filed_on, 1, 3) if source.unit.kind == "unlicensed" else None
        cases.record(case, source.unit.county, banned_on=banned, transferred_on=transferred,
                     criminal_filed_on=criminal)

    # Unlicensed stalls banned, a fine, and what they earned confiscated.
    stalls = [s for s in demo.inspections if s.unit.kind == "unlicensed"]
    for source in cases.pick(stalls, demo.scaled(6, minimum=1)):
        case = cases.file(source, "ban")
        decided = after(case.filed_on, 10, 25)
        cases.record(case, source.unit.county, banned_on=after(case.filed_on, 1, 5),
                     decided_on=decided, fine_yuan=rng.choice(FINES[:3]) if decided else None,
                     confiscated_yuan=cases.confiscated() if decided else None)

    # A canteen that failed badly (a contracted one if there is one): its licence revoked.
    canteens = [s for s in old if s.unit.kind == "canteen" and s.result == "noncompliant"]
    canteens = [s for s in canteens if s.unit.contracted] or canteens or \
        [s for s in old if s.unit.kind == "canteen"]
    for source in cases.pick(canteens, 1):
        case = cases.file(source, "revoke")
        decided = after(case.filed_on, 20, 40)
        cases.record(case, source.unit.county, decided_on=decided, fine_yuan="50000.00",
                     licence_revoked_on=decided)

    # Fines on the rest of the year's worst inspections; the latest not yet decided.
    failed = [s for s in demo.inspections if s.result == "noncompliant" and s.unit.licensed]
    for source in cases.pick(failed, demo.scaled(40, minimum=4) - demo.counts["cases"]):
        case = cases.file(source, "fine")
        decided = after(case.filed_on, 10, 60)
        if decided:
            cases.record(case, source.unit.county, decided_on=decided,
                         fine_yuan=rng.choice(FINES),
                         confiscated_yuan=cases.confiscated() if rng.random() < 0.3 else None)
    demo.say(f"  已立案 {demo.counts['cases']} 件（吊销许可证 {demo.counts['case_licence_revoked_on']} 件、"
             f"取缔 {demo.counts['case_banned_on']} 件、移送公安 {demo.counts['case_transferred_on']} 件、"
             f"刑事立案 {demo.counts['case_criminal_filed_on']} 件）")
