"""The registry's rules, each stated once and used by every reader (lists, scope, statistics):
when a licence is valid, and when a supplier supplies a school.

Each rule comes as a SQL condition (for queries over many rows) and, where a single row is
judged in Python, as a function over the same columns.
"""

from __future__ import annotations

from datetime import date

from sqlalchemy import ColumnElement, and_, or_

from foodsafety.registry.models import SupplyLink, Unit
from foodsafety.vocabulary import LicenceStatus


def licence_status(unit: Unit, on: date) -> LicenceStatus:
    """The unit's licence on a CST date: valid through its expiry day, revoked from the day of
    revocation on, not valid before its issue day."""
    if not unit.licence_no:
        return LicenceStatus.NONE
    if unit.licence_revoked_on and unit.licence_revoked_on <= on:
        return LicenceStatus.REVOKED
    if unit.licence_issued_on and unit.licence_issued_on > on:
        return LicenceStatus.NOT_YET_VALID
    if unit.licence_expires_on and unit.licence_expires_on < on:
        return LicenceStatus.EXPIRED
    return LicenceStatus.VALID


def licence_valid_on(day: date, unit=Unit) -> ColumnElement[bool]:
    """SQL: `licence_status(unit, day) is VALID`."""
    return and_(unit.licence_no.is_not(None), unit.licence_issued_on <= day,
                unit.licence_expires_on >= day,
                or_(unit.licence_revoked_on.is_(None), unit.licence_revoked_on > day))


def licence_status_is(status: LicenceStatus, day: date, unit=Unit) -> ColumnElement[bool]:
    """SQL: `licence_status(unit, day) is status` (the same order of tests as `licence_status`)."""
    has = unit.licence_no.is_not(None)
    revoked = and_(unit.licence_revoked_on.is_not(None), unit.licence_revoked_on <= day)
    early = and_(unit.licence_issued_on.is_not(None), unit.licence_issued_on > day)
    expired = and_(unit.licence_expires_on.is_not(None), unit.licence_expires_on < day)
    return {
        LicenceStatus.NONE: ~has,
        LicenceStatus.REVOKED: and_(has, revoked),
        LicenceStatus.NOT_YET_VALID: and_(has, ~revoked, early),
        LicenceStatus.EXPIRED: and_(has, ~revoked, ~early, expired),
        LicenceStatus.VALID: and_(has, ~revoked, ~early, ~expired),
    }[status]


def supplies_on(day: date, link=SupplyLink) -> ColumnElement[bool]:
    """SQL: the supply link is in force on `day` (from its start through its end day)."""
    return and_(link.starts_on <= day, or_(link.ends_on.is_(None), link.ends_on >= day))


def supplies(link: SupplyLink, day: date) -> bool:
    """`supplies_on` for one loaded link."""
    return link.starts_on <= day and (link.ends_on is None or link.ends_on >= day)


def overlaps(starts_on: date, ends_on: date | None, link=SupplyLink) -> ColumnElement[bool]:
    """SQL: the link's period shares a day with [starts_on, ends_on] (open-ended when None)."""
    return and_(or_(link.ends_on.is_(None), link.ends_on >= starts_on),
                *([link.starts_on <= ends_on] if ends_on else []))
