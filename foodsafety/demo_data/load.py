"""Loading the demo province: a real GB/T 2260 subtree of 四川省 with schools, units, a year of records.

`load_demo()` builds it deterministically (a `random.Random(2026)` relative to today's CST date)
through the same services the API uses; it flushes and leaves the single commit to the caller.
"""

from __future__ import annotations

import gc
import random
from collections.abc import Callable

from sqlalchemy import exists, select, update

from foodsafety.accounts.models import User
from foodsafety.demo_data.accounts import MARKER_USERNAME, create_staff
from foodsafety.demo_data.accounts import school_account as _school_account
from foodsafety.demo_data.cases import create_cases
from foodsafety.demo_data.context import Demo
from foodsafety.demo_data.inspections import create_inspections
from foodsafety.demo_data.names import COUNTIES
from foodsafety.demo_data.registry import create_registry
from foodsafety.extensions import db
from foodsafety.inspections.models import Inspection, InspectionRevision
from foodsafety.rectification.models import RectificationOrder
from foodsafety.registry.divisions import load_bundled
from foodsafety.registry.models import Jurisdiction, School
from foodsafety.timeutil import today_cst

SEED = 2026
PROVINCE = "510000"


def demo_loaded() -> bool:
    """Whether the demo has been loaded into this database (its admin account exists)."""
    return bool(db.session.scalar(select(exists().where(User.username == MARKER_USERNAME))))


def has_other_data() -> bool:
    """Whether the database already holds accounts or schools that are not the demo's."""
    return bool(db.session.scalar(select(exists().where(User.id.isnot(None))))
                or db.session.scalar(select(exists().where(School.id.isnot(None)))))


def load_demo(size: float = 1.0, say: Callable[[str], None] = lambda _: None) -> dict[str, int]:
    """Build the demo province; `size` scales the numbers of schools, units and cases.

    Flushes, never commits. Returns the counts of what was created.
    """
    # Thousands of inspections leave many ORM objects alive until the commit, and every full
    # garbage collection walks them all: pausing the collector saves about a seventh of the time.
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        return _build(size, say)
    finally:
        if was_enabled:
            gc.enable()


def _build(size: float, say: Callable[[str], None]) -> dict[str, int]:
    demo = Demo(rng=random.Random(SEED), today=today_cst(), size=size, say=say)
    say("载入四川省行政区划（GB/T 2260）……")
    load_bundled(PROVINCE)
    demo.names = dict(db.session.execute(select(Jurisdiction.code, Jurisdiction.name)
                                         .where(Jurisdiction.code.startswith("51"))).tuples().all())
    missing = [code for code in COUNTIES if code not in demo.names]
    if missing:
        raise ValueError(f"内置区划数据中缺少演示区县：{'、'.join(missing)}")

    say("创建演示账户……")
    create_staff(demo)
    say("登记学校与食品经营单位……")
    create_registry(demo)
    _school_account(demo, next(s for s in demo.schools if s.id == demo.demo_school_id))
    say("提交一年的监督检查记录……")
    create_inspections(demo)
    say(f"  检查 {demo.counts['inspections']} 次，下达责令改正通知书 {demo.counts['orders']} 份，"
        f"复查 {demo.counts['rechecks']} 次，学校报告整改 {demo.counts['reports']} 份")
    say("登记行政处罚案件……")
    create_cases(demo)
    _backdate()
    db.session.flush()
    return dict(demo.counts)


def _backdate() -> None:
    """Records were entered as they happened: give them the time of the inspection, not of now."""
    started = select(Inspection.started_at).where(
        Inspection.id == InspectionRevision.inspection_id).scalar_subquery()
    db.session.execute(update(InspectionRevision).values(created_at=started),
                       execution_options={"synchronize_session": False})
    started = select(Inspection.started_at).where(
        Inspection.id == RectificationOrder.inspection_id).scalar_subquery()
    db.session.execute(update(RectificationOrder).values(created_at=started),
                       execution_options={"synchronize_session": False})
    db.session.execute(update(Inspection).values(created_at=Inspection.started_at,
                                                 updated_at=Inspection.started_at),
                       execution_options={"synchronize_session": False})
