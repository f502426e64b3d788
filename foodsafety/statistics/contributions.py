"""What one unit adds to the statistics' summaries: its figures as dated changes per county.

Every figure of the table except B2 is a sum over units, so a unit's part can be computed from its
own records alone (`figures_of`) and kept in the summaries as (county, measure, day, value)
changes. A table as of a cutoff then sums the changes dated up to the cutoff — from the period's
first day for the period's figures, from the beginning of time for the stock:

- events (visits, orders, cases, money): the event's day, +1 (or the amount in fen);
- "units with at least one …" (problem rows, units visited or inspected, licences revoked,
  operators banned): +1 on the first such day of each half-year (measure suffix `:H`) and of
  each year (`:Y`), so a unit counts once in a period however many records it has;
- stock rows and units in scope: the days the unit starts or stops meeting a row (licence issued,
  expired, revoked; a new status observed; a certificate expired), +1 or -1, from which the sum up
  to a cutoff is the unit's state on it.

The rules are those of `queries.py` (the scan the summaries replace), restated for one unit's
loaded rows; the property test (tests/test_statistics_summaries.py) holds the two together.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from decimal import Decimal
from functools import cache

from sqlalchemy import and_, bindparam, select

from foodsafety.enforcement.models import EnforcementCase
from foodsafety.extensions import db
from foodsafety.inspections.models import Finding, Inspection
from foodsafety.inspections.rules import live, of_live_inspection
from foodsafety.rectification.models import RectificationOrder
from foodsafety.registry.models import HaccpStatus, Unit, UnitKind
from foodsafety.statistics.definition import TABLE

BEGINNING = date(1900, 1, 1)  # the day "units in scope" count from (they are not dated)
Key = tuple[str, str, date]  # (county, measure, day)

# Stock rows counted from summaries (B2 is a distinct count of schools: always from the records).
STOCK_ROWS = tuple(row for row in TABLE.rows if row.kind == "stock" and not row.measure)
PROBLEM_KINDS = frozenset(row.unit_kind for row in TABLE.rows if row.kind == "problem")
CASE_EVENTS = {"cases_filed": "filed_on", "cases_transferred": "transferred_on",
               "criminal_cases_filed": "criminal_filed_on"}
MONEY = "fines_and_confiscations_cents"
# The measures only rectification orders and enforcement cases give: a transaction that only adds
# inspections (and their findings) to a unit leaves them as they were (`figures_of(carried=)`).
ORDER_CASE_MEASURES = frozenset({"rectification_orders", *CASE_EVENTS, MONEY, "licences_revoked",
                                 "unlicensed_banned"})


def from_orders_or_cases(measure: str) -> bool:
    return measure.split(":", 1)[0] in ORDER_CASE_MEASURES


def cumulative(measure: str) -> bool:
    """Counted from the beginning of time (the stock), not from the period's first day."""
    return measure in STOCK_CODES or measure.startswith("cov_units:")


STOCK_CODES = frozenset(row.code for row in STOCK_ROWS)


@dataclass(frozen=True)
class Status:
    """A unit's status attributes, as registered or as an inspection observed them."""

    wuchang_6t: bool
    haccp: HaccpStatus
    haccp_cert_expires_on: date | None
    mc_transparent: bool
    mc_video: bool
    mc_internet: bool


# `queries.CONDITIONS` for one status on one day.
CONDITIONS = {
    "wuchang_6t": lambda s, day: bool(s.wuchang_6t),
    "haccp_established": lambda s, day: s.haccp in (HaccpStatus.ESTABLISHED, HaccpStatus.CERTIFIED),
    "haccp_certified_valid": lambda s, day: (s.haccp == HaccpStatus.CERTIFIED
                                             and s.haccp_cert_expires_on is not None
                                             and s.haccp_cert_expires_on >= day),
    "mingchu_any": lambda s, day: bool(s.mc_transparent or s.mc_video or s.mc_internet),
    "mingchu_video": lambda s, day: bool(s.mc_video),
    "mingchu_internet": lambda s, day: bool(s.mc_internet),
}


@dataclass
class UnitRecords:
    """One unit's rows the figures read (live inspections only; orders of live inspections)."""

    unit: object | None  # a row of the unit's columns (`load`)
    inspections: list = field(default_factory=list)  # (county, kind, day, started_at, id, Status)
    problems: list = field(default_factory=list)  # (county, kind, category, day)
    orders: list = field(default_factory=list)  # (county, issued_on)
    cases: list = field(default_factory=list)  # EnforcementCase-like rows


def half_start(day: date) -> date:
    return date(day.year, 1 if day.month <= 6 else 7, 1)


def _firsts(add, county: str, measure: str, days: Iterable[date]) -> None:
    """+1 on the first day of each half-year (`measure:H`) and each year (`measure:Y`)."""
    halves: dict[date, date] = {}
    years: dict[int, date] = {}
    for day in days:
        start = half_start(day)
        halves[start] = min(day, halves.get(start, day))
        years[day.year] = min(day, years.get(day.year, day))
    for day in halves.values():
        add(county, f"{measure}:H", day)
    for day in years.values():
        add(county, f"{measure}:Y", day)


def _licence_window(unit: Unit) -> tuple[date, date] | None:
    """The days the licence is valid (`registry.rules.licence_valid_on`), inclusive."""
    if not (unit.licence_no and unit.licence_issued_on and unit.licence_expires_on):
        return None
    last = unit.licence_expires_on
    if unit.licence_revoked_on is not None:
        last = min(last, unit.licence_revoked_on - timedelta(days=1))
    return (unit.licence_issued_on, last) if unit.licence_issued_on <= last else None


def _stock_changes(add, records: UnitRecords) -> None:
    """+1/-1 on each day the unit starts or stops meeting a stock row."""
    unit = records.unit
    window = _licence_window(unit)
    kind = _kind(unit.kind)
    if window is None or kind not in {row.unit_kind for row in STOCK_ROWS}:
        return
    registered = Status(bool(unit.wuchang_6t), HaccpStatus(_kind(unit.haccp)),
                        unit.haccp_cert_expires_on, bool(unit.mc_transparent),
                        bool(unit.mc_video), bool(unit.mc_internet))
    # The latest inspection of each day (queries.LATEST_FIRST: latest instant, then first received).
    latest: dict[date, tuple] = {}
    for _county, _inspection_kind, day, started_at, inspection_id, status in records.inspections:
        rank = (started_at, -inspection_id)
        if day not in latest or rank > latest[day][0]:
            latest[day] = (rank, status)
    changes = sorted(latest)
    rows = [row for row in STOCK_ROWS if row.unit_kind == kind]
    days = {window[0], *changes}
    if window[1] < date.max:
        days.add(window[1] + timedelta(days=1))
    for status in [registered, *(entry[1] for entry in latest.values())]:
        if status.haccp_cert_expires_on is not None and status.haccp_cert_expires_on < date.max:
            days.add(status.haccp_cert_expires_on + timedelta(days=1))
    before: set[str] = set()
    status, position = registered, 0
    for day in sorted(days):
        while position < len(changes) and changes[position] <= day:
            status = latest[changes[position]][1]
            position += 1
        now = ({row.code for row in rows
                if all(CONDITIONS[name](status, day) for name in row.where)}
               if window[0] <= day <= window[1] else set())
        for code in now - before:
            add(unit.jurisdiction_code, code, day)
        for code in before - now:
            add(unit.jurisdiction_code, code, day, -1)
        before = now


def figures_of(records: UnitRecords, carried: Counter[Key] | None = None) -> Counter[Key]:
    """The unit's figures as dated changes: {(county, measure, day): value}, zeros left out.

    `carried`: the unit's stored figures, when only inspections were added to it since: their
    order and case figures stand (those records were not loaded)."""
    out: Counter[Key] = Counter()

    def add(county: str, measure: str, day: date, value: int = 1) -> None:
        out[(county, measure, day)] += value

    unit = records.unit
    if unit is None:
        return out
    kind = _kind(unit.kind)
    add(unit.jurisdiction_code, f"cov_units:{kind}", BEGINNING)
    _firsts(add, unit.jurisdiction_code, f"cov_insp:{kind}",
            (day for _c, _k, day, *_ in records.inspections))
    visited: dict[tuple[str, str], list[date]] = {}
    for county, inspection_kind, day, *_ in records.inspections:
        add(county, f"visits:{inspection_kind}", day)
        visited.setdefault((county, inspection_kind), []).append(day)
    for (county, inspection_kind), days in visited.items():
        _firsts(add, county, f"visited:{inspection_kind}", days)
    problems: dict[tuple[str, str, str], list[date]] = {}
    for county, inspection_kind, category, day in records.problems:
        if inspection_kind in PROBLEM_KINDS:
            problems.setdefault((county, inspection_kind, category), []).append(day)
    for (county, inspection_kind, category), days in problems.items():
        _firsts(add, county, f"prob:{inspection_kind}:{category}", days)
    if carried is None:
        _order_and_case_figures(add, records, kind)
    else:
        out.update({key: value for key, value in carried.items() if from_orders_or_cases(key[1])})
    _stock_changes(add, records)
    return Counter({key: value for key, value in out.items() if value})


def _order_and_case_figures(add, records: UnitRecords, kind: str) -> None:
    for county, issued_on in records.orders:
        add(county, "rectification_orders", issued_on)
    revoked: dict[str, list[date]] = {}
    banned: dict[str, list[date]] = {}
    for case in records.cases:
        for measure, column in CASE_EVENTS.items():
            if getattr(case, column) is not None:
                add(case.jurisdiction_code, measure, getattr(case, column))
        if case.decided_on is not None:
            cents = int(((case.fine_yuan or Decimal(0)) + (case.confiscated_yuan or Decimal(0)))
                        * 100)
            if cents:
                add(case.jurisdiction_code, MONEY, case.decided_on, cents)
        if case.licence_revoked_on is not None:
            revoked.setdefault(case.jurisdiction_code, []).append(case.licence_revoked_on)
        if case.banned_on is not None and kind == UnitKind.UNLICENSED.value:
            banned.setdefault(case.jurisdiction_code, []).append(case.banned_on)
    for county, days in revoked.items():
        _firsts(add, county, "licences_revoked", days)
    for county, days in banned.items():
        _firsts(add, county, "unlicensed_banned", days)


# --- loading the records of many units at once ------------------------------------------------

def _kind(value) -> str:
    return value.value if hasattr(value, "value") else value


@cache
def _queries():
    """The statements of `load`, built once (each call then costs no expression building), the
    units as an expanding parameter `unit_ids`."""
    u, i, order, case = Unit, Inspection, RectificationOrder, EnforcementCase
    ids = bindparam("unit_ids", expanding=True)
    records = (select(u.id.label("unit_id"), u.kind, u.jurisdiction_code, u.licence_no,
                      u.licence_issued_on, u.licence_expires_on, u.licence_revoked_on,
                      u.wuchang_6t, u.haccp, u.haccp_cert_expires_on, u.mc_transparent,
                      u.mc_video, u.mc_internet, i.id.label("i_id"),
                      i.jurisdiction_code.label("i_county"), i.unit_kind.label("i_kind"),
                      i.inspected_on, i.started_at, i.obs_wuchang_6t, i.obs_haccp,
                      i.obs_haccp_cert_expires_on, i.obs_mc_transparent, i.obs_mc_video,
                      i.obs_mc_internet, Finding.category)
               .outerjoin(i, and_(i.unit_id == u.id, live()))
               .outerjoin(Finding, Finding.inspection_id == i.id)
               .where(u.id.in_(ids)))
    orders = (select(order.unit_id, order.jurisdiction_code, order.issued_on)
              .where(order.unit_id.in_(ids), of_live_inspection(order.inspection_id)))
    cases = (select(case.unit_id, case.jurisdiction_code, case.filed_on, case.decided_on,
                    case.fine_yuan, case.confiscated_yuan, case.licence_revoked_on,
                    case.banned_on, case.transferred_on, case.criminal_filed_on)
             .where(case.unit_id.in_(ids)))
    return records, orders, cases


def load(unit_ids: list[int], orders_and_cases: Iterable[int] | None = None) -> dict[int, UnitRecords]:
    """The records of `unit_ids` as `figures_of` reads them: the units with their live
    inspections and findings in one query; the orders and the cases (a query each) of
    `orders_and_cases` only (default: all of them). A unit that no longer exists gets no records:
    it adds nothing."""
    records_query, orders_query, cases_query = _queries()
    connection = db.session.connection()
    records = {unit_id: UnitRecords(None) for unit_id in unit_ids}
    seen: set[int] = set()
    for row in connection.execute(records_query, {"unit_ids": unit_ids}).all():
        target = records[row.unit_id]
        if target.unit is None:
            target.unit = row
        if row.i_id is None:
            continue
        if row.i_id not in seen:
            seen.add(row.i_id)
            status = Status(bool(row.obs_wuchang_6t), HaccpStatus(_kind(row.obs_haccp)),
                            row.obs_haccp_cert_expires_on, bool(row.obs_mc_transparent),
                            bool(row.obs_mc_video), bool(row.obs_mc_internet))
            target.inspections.append((row.i_county, _kind(row.i_kind), row.inspected_on,
                                       _naive(row.started_at), row.i_id, status))
        if row.category is not None:
            target.problems.append((row.i_county, _kind(row.i_kind), _kind(row.category),
                                    row.inspected_on))
    wanted = unit_ids if orders_and_cases is None else sorted(orders_and_cases)
    if not wanted:
        return records
    for row in connection.execute(orders_query, {"unit_ids": wanted}):
        records[row.unit_id].orders.append((row.jurisdiction_code, row.issued_on))
    for row in connection.execute(cases_query, {"unit_ids": wanted}):
        records[row.unit_id].cases.append(row)
    return records


def _naive(moment: datetime) -> datetime:
    return moment.replace(tzinfo=None) if moment.tzinfo else moment
