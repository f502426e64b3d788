"""Order numbers (责令改正通知书编号), generated, never typed: `锦市监责改〔2026〕0457号`.

Each issuing jurisdiction numbers its orders per year. A phone reserves a block of numbers while
online and issues them offline; the server issues one itself for an order that arrives without
a number. The counter only grows, so a number is never given twice, even after a void.
"""

from __future__ import annotations

from flask import current_app
from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError

from foodsafety.accounts.models import User
from foodsafety.errors import ApiError
from foodsafety.extensions import db
from foodsafety.rectification.models import OrderNumberBlock, OrderNumberSeries
from foodsafety.registry.models import Jurisdiction
from foodsafety.timeutil import today_cst
from foodsafety.transactions import begin_write, savepoint


def prefix_for(code: str) -> str:
    """The configured prefix of a jurisdiction, else its name's first character + 市监责改."""
    configured = current_app.config["ORDER_NUMBER_PREFIXES"].get(code)
    if configured:
        return configured
    name = db.session.get(Jurisdiction, code).name
    return f"{name[:1]}市监责改"


def format_number(prefix: str, year: int, seq: int) -> str:
    return f"{prefix}〔{year}〕{seq:04d}号"


def _take(code: str, year: int, size: int) -> int:
    """Advance the series by `size` and return the first number taken (atomic on both
    databases: the UPDATE holds the row until commit)."""
    begin_write()
    for _ in range(2):
        bumped = db.session.execute(
            update(OrderNumberSeries)
            .where(OrderNumberSeries.jurisdiction_code == code, OrderNumberSeries.year == year)
            .values(next_seq=OrderNumberSeries.next_seq + size)
            .returning(OrderNumberSeries.next_seq)
            .execution_options(synchronize_session=False)).scalar()
        if bumped is not None:
            return bumped - size
        try:
            with savepoint():  # the first number of the year: a concurrent twin may insert it too
                db.session.add(OrderNumberSeries(jurisdiction_code=code, year=year, next_seq=1))
                db.session.flush()
        except IntegrityError:
            pass
    raise ApiError(409, "通知书编号分配冲突，请重试。", reason="order_number_busy")


def reserve_block(user: User, device_id: str | None, size: int) -> OrderNumberBlock:
    """Reserve `size` consecutive numbers of the user's jurisdiction for this year."""
    size = min(size, current_app.config["ORDER_NUMBER_BLOCK_MAX"])
    code, year = user.jurisdiction_code, today_cst().year
    first = _take(code, year, size)
    block = OrderNumberBlock(jurisdiction_code=code, year=year, prefix=prefix_for(code),
                             first=first, last=first + size - 1, device_id=device_id,
                             reserved_by_id=user.id)
    db.session.add(block)
    db.session.flush()
    block.numbers = [format_number(block.prefix, year, seq) for seq in range(first, block.last + 1)]
    block.default_deadline_days = current_app.config["ORDER_DEADLINE_DEFAULT_DAYS"]
    block.max_deadline_days = current_app.config["ORDER_DEADLINE_MAX_DAYS"]
    return block


def next_number(user_id: int) -> str:
    """One number issued by the server, for an order that arrived without one."""
    user = db.session.scalar(select(User).where(User.id == user_id))
    return reserve_block(user, None, 1).numbers[0]
