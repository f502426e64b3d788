"""The rectification rule that every reader shares: when an order is overdue (逾期).

An order is overdue on a day when it had been issued by then, its deadline had passed (the
deadline day itself is still in time), and it was not closed by then. Lists, the daily overdue job
and the statistics read this one definition, for today or for any past day.
"""

from __future__ import annotations

from datetime import date

from sqlalchemy import ColumnElement, and_, or_

from foodsafety.rectification.models import RectificationOrder
from foodsafety.timeutil import today_cst
from foodsafety.vocabulary import OrderStatus

# A follow-up deadline set at a re-inspection lies at most this many days after it.
FOLLOW_UP_MAX_DAYS = 90


def overdue_on(day: date, order=RectificationOrder) -> ColumnElement[bool]:
    """SQL: the order was overdue on `day`."""
    return and_(order.issued_on <= day, order.deadline < day,
                or_(order.status != OrderStatus.CLOSED, order.closed_on > day))


def is_open(order=RectificationOrder) -> ColumnElement[bool]:
    """SQL: the order has not been closed (销号) yet: it still counts as an open order."""
    return order.status != OrderStatus.CLOSED


def is_overdue(order: RectificationOrder, day: date | None = None) -> bool:
    """`overdue_on` for one loaded order (default: today, CST)."""
    day = day or today_cst()
    closed_by_then = order.status == OrderStatus.CLOSED and order.closed_on is not None \
        and order.closed_on <= day
    return order.issued_on <= day and order.deadline < day and not closed_by_then


def days_overdue(order: RectificationOrder, day: date | None = None) -> int:
    """How many days past its deadline an overdue order is on `day` (0 when it is not)."""
    day = day or today_cst()
    return (day - order.deadline).days if is_overdue(order, day) else 0
