"""China Standard Time helpers: every calendar date in this system is a CST date."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta, timezone

CST = timezone(timedelta(hours=8), "CST")


def utcnow() -> datetime:
    """The current instant as a naive UTC datetime (how the database stores instants)."""
    return datetime.now(UTC).replace(tzinfo=None)


def today_cst() -> date:
    """Today's calendar date in China Standard Time."""
    return datetime.now(UTC).astimezone(CST).date()


def to_utc_naive(moment: datetime) -> datetime:
    """Normalise an offset-aware instant to naive UTC for storage."""
    if moment.tzinfo is None:
        raise ValueError("datetime must carry a UTC offset")
    return moment.astimezone(UTC).replace(tzinfo=None)


def cst_date(moment: datetime) -> date:
    """The CST calendar date of an instant (naive values are taken as UTC)."""
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.astimezone(CST).date()


def iso_cst(moment: datetime | None) -> str | None:
    """Render a stored (naive UTC) instant as ISO 8601 with the +08:00 offset."""
    if moment is None:
        return None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.astimezone(CST).isoformat()
