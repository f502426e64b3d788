"""Tenancy: which rows a user may read or write, by the jurisdiction tree and the registry's units.
Out-of-scope objects are reported as absent."""

from __future__ import annotations

from sqlalchemy import ColumnElement, Select, and_, exists, false, literal, or_, select

from foodsafety.access import Actor
from foodsafety.extensions import db
from foodsafety.registry.models import JurisdictionClosure, SupplyLink, Unit
from foodsafety.registry.rules import supplies_on
from foodsafety.timeutil import today_cst
from foodsafety.vocabulary import Role, UnitKind


def subtree(code: str) -> Select:
    """The codes of a jurisdiction and all its descendants."""
    return select(JurisdictionClosure.descendant_code).where(
        JurisdictionClosure.ancestor_code == code
    )


def in_subtree(code: str, column: ColumnElement) -> ColumnElement[bool]:
    """`column` (a jurisdiction code) lies within `code`'s subtree."""
    return exists().where(
        JurisdictionClosure.ancestor_code == code,
        JurisdictionClosure.descendant_code == column,
    )


def code_within(ancestor: str, code: str) -> bool:
    """Whether jurisdiction `code` lies within `ancestor`'s subtree (itself included)."""
    return bool(db.session.scalar(select(in_subtree(ancestor, literal(code)))))


def unit_read_clause(user: Actor) -> ColumnElement[bool]:
    """Units a user may read: its subtree, or for a school its canteens and current suppliers."""
    if user.role == Role.SCHOOL:
        supplies_school = exists().where(
            SupplyLink.supplier_id == Unit.id, SupplyLink.school_id == user.school_id,
            supplies_on(today_cst()))
        return or_(
            and_(Unit.kind == UnitKind.CANTEEN, Unit.school_id == user.school_id),
            and_(Unit.kind == UnitKind.SUPPLIER, supplies_school),
        )
    return in_subtree(user.jurisdiction_code, Unit.jurisdiction_code)


def unit_write_clause(user: Actor) -> ColumnElement[bool]:
    """Units a user may record inspections and cases on: inspectors within their subtree."""
    if user.role != Role.INSPECTOR:
        return false()
    return in_subtree(user.jurisdiction_code, Unit.jurisdiction_code)


def unit_within(code: str, unit_col: ColumnElement) -> ColumnElement[bool]:
    """The unit `unit_col` lies (now) within `code`'s subtree."""
    return unit_col.in_(select(Unit.id).where(in_subtree(code, Unit.jurisdiction_code)))


def record_read_clause(user: Actor, unit_col: ColumnElement) -> ColumnElement[bool]:
    """Records tied to a unit (inspections, orders, cases, photos): those of units now in the
    user's subtree, or for a school its own canteens.

    A record follows its unit: when a unit moves to another county, its history is read (and
    corrected) by the new county's staff, no longer by the old one's. The statistics do not use
    this: they count each record in the county where it was made (its `jurisdiction_code`).
    """
    if user.role == Role.SCHOOL:
        own_canteen = exists().where(
            Unit.id == unit_col, Unit.kind == UnitKind.CANTEEN, Unit.school_id == user.school_id
        )
        return own_canteen
    if user.role in (Role.INSPECTOR, Role.BUREAU, Role.ADMIN):
        return unit_within(user.jurisdiction_code, unit_col)
    return false()

