"""What the demo generators share while they build the province: the dice, the day, the plans."""

from __future__ import annotations

import random
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime, time

from foodsafety.accounts.models import User
from foodsafety.timeutil import CST, to_utc_naive

DEMO_DAYS = 365  # the demo holds the year up to today


@dataclass
class SchoolPlan:
    id: int
    name: str
    county: str
    stage: str


@dataclass
class UnitPlan:
    """A registered unit and how the demo will behave towards it."""

    id: int
    kind: str
    county: str
    name: str
    school_id: int | None
    p_general: float  # chance that a general item fails at a visit
    p_key: float  # chance that a key item fails at a visit
    na_items: frozenset[str]  # checklist items not applicable to this unit
    wuchang_6t: bool
    haccp: str
    haccp_cert_expires_on: date | None
    mingchu: list[str]
    licensed: bool
    licence_no: str | None = None  # with the kind, chooses the checklist (JY1… → food sales)
    contracted: bool = False
    sales_only: bool = False  # a shop that only sells packaged food
    force_open_order: bool = False  # the demo school's canteen: its last visit leaves an open order


@dataclass
class StoredInspection:
    """An inspection as stored (what the enforcement cases refer back to)."""

    uuid: str
    unit: UnitPlan
    inspected_on: date
    result: str
    handling: str


@dataclass
class Demo:
    rng: random.Random
    today: date
    size: float
    say: Callable[[str], None]
    admin: User | None = None
    inspectors: dict[str, User] = field(default_factory=dict)
    school_users: dict[int, User] = field(default_factory=dict)
    hashes: dict[str, str] = field(default_factory=dict)
    names: dict[str, str] = field(default_factory=dict)  # jurisdiction code → name
    schools: list[SchoolPlan] = field(default_factory=list)
    units: list[UnitPlan] = field(default_factory=list)
    inspections: list[StoredInspection] = field(default_factory=list)
    demo_school_id: int | None = None
    counts: Counter = field(default_factory=Counter)

    def scaled(self, full: int, minimum: int = 1) -> int:
        """A count at the demo's size, never below `minimum`."""
        return max(minimum, round(full * self.size))

    def city_of(self, county: str) -> str:
        return self.names[county[:4] + "00"]


def cst_instant(day: date, hour: int, minute: int = 0) -> datetime:
    """A naive UTC instant for a CST wall-clock time on `day` (how the database stores instants)."""
    return to_utc_naive(datetime.combine(day, time(hour, minute), tzinfo=CST))
