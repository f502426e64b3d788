"""Checking the summaries against the records: the tables of a random sample of nodes, computed
both ways for the periods in use, must agree figure for figure (`flask stats check-summaries`,
and the daily job `summaries_check`)."""

from __future__ import annotations

import random
from datetime import date

from sqlalchemy import func, select

from foodsafety.extensions import db
from foodsafety.periods import Period, half_year_of, parse_period
from foodsafety.registry.models import Jurisdiction, JurisdictionClosure
from foodsafety.statistics import compute, queries, summaries, summary_rebuild
from foodsafety.statistics.definition import TABLE
from foodsafety.tasks import Occurrence, Task
from foodsafety.timeutil import today_cst

SAMPLE = 30


def periods_in_use(today: date) -> list[Period]:
    """This half-year and year, and last year's two halves and whole."""
    last = today.year - 1
    return [half_year_of(today), parse_period(str(today.year)), parse_period(f"{last}-H1"),
            parse_period(f"{last}-H2"), parse_period(str(last))]


def sample_nodes(size: int, rng: random.Random) -> list[str]:
    """Every root, and a random sample of the other nodes."""
    roots = list(db.session.scalars(select(Jurisdiction.code)
                                    .where(Jurisdiction.parent_code.is_(None))
                                    .order_by(Jurisdiction.code)))
    others = list(db.session.scalars(
        select(JurisdictionClosure.descendant_code).where(JurisdictionClosure.depth > 0)
        .group_by(JurisdictionClosure.descendant_code)
        .order_by(JurisdictionClosure.descendant_code)))
    return roots + rng.sample(others, min(size, len(others)))


def compare(code: str, period: Period, cutoff: date) -> list[str]:
    """The figures where the summaries and the records disagree, for one node, in Chinese."""
    scope = queries.Scope.node(code)
    read = compute.aggregate_both(scope, [code], period, cutoff)
    kept, scanned = read["summaries"][code], read["records"][code]
    out = []
    for row in TABLE.rows:
        if kept.values[row.code] != scanned.values[row.code]:
            out.append(f"{code} {period.key} 截至 {cutoff}：{row.code} 汇总 "
                       f"{kept.values[row.code]} ≠ 记录 {scanned.values[row.code]}")
    for kind, counts in scanned.coverage.items():
        if kept.coverage[kind] != counts:
            out.append(f"{code} {period.key} 截至 {cutoff}：{kind} 覆盖 汇总 "
                       f"{kept.coverage[kind]} ≠ 记录 {counts}")
    if kept.context != scanned.context:
        out.append(f"{code} {period.key} 截至 {cutoff}：上下文 汇总 {kept.context} ≠ 记录 "
                   f"{scanned.context}")
    return out


def check(size: int = SAMPLE, today: date | None = None, seed: int | None = None) -> list[str]:
    """Every difference between summaries and records over a sample of nodes and periods."""
    today = today or today_cst()
    rng = random.Random(seed)
    differences = []
    for code in sample_nodes(size, rng):
        for period in periods_in_use(today):
            differences += compare(code, period, period.cutoff(today))
    return differences


def units_count() -> int:
    return db.session.scalar(select(func.count()).select_from(
        summaries.StatsUnitFigures.__table__))


# --- the daily job -------------------------------------------------------------------------------

class SummariesDiffer(RuntimeError):
    """Raised by the job so that its run is marked failed (the scheduler logs and shows it)."""


def _step(occ: Occurrence, item: str) -> dict:
    """Not built: rebuild. Built: compare a sample; on a difference stop reading the summaries
    (the tables come from the records until a rebuild) and report it."""
    if not summaries.is_built(db.session):
        return {"rebuilt_units": summary_rebuild.rebuild(db.session)}
    differences = check(today=occ.cutoff)
    if differences:
        summaries.set_state(db.session, False, f"核对发现 {len(differences)} 处不一致")
    return {"differences": differences[:50], "difference_count": len(differences)}


def _summary(occ: Occurrence, done: dict[str, dict]) -> dict:
    result = done.get("check", {})
    if result.get("difference_count"):
        raise SummariesDiffer(
            f"统计汇总与原始记录有 {result['difference_count']} 处不一致（如：{result['differences'][0]}），"
            "统计表已改由原始记录计算；请运行 flask stats rebuild-summaries 重建汇总。")
    return {key: value for key, value in result.items() if key != "differences"}


SUMMARIES_CHECK = Task(lambda occ: ["check"], _step, _summary)
