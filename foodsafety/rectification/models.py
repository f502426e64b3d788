"""Rectification orders (责令改正通知书), re-inspections (复查) and the schools' reports."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import (
    JSON,
    Date,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, backref, mapped_column, relationship

from foodsafety.extensions import db, term_column
from foodsafety.inspections.models import Inspection
from foodsafety.registry.models import Unit
from foodsafety.timeutil import utcnow
from foodsafety.vocabulary import OrderStatus


class RectificationOrder(db.Model):
    """A written order to rectify by a deadline, issued at an inspection."""

    __tablename__ = "rectification_orders"
    __table_args__ = (
        UniqueConstraint("jurisdiction_code", "number"),
        Index("ix_orders_jurisdiction_status_deadline", "jurisdiction_code", "status", "deadline"),
        Index("ix_orders_deadline_id", "deadline", "id"),  # the list's order
        Index("ix_orders_issued_id", "issued_on", "id"),  # the desk's other order
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    number: Mapped[str] = mapped_column(String(64))
    inspection_id: Mapped[int] = mapped_column(ForeignKey("inspections.id"), unique=True)
    unit_id: Mapped[int] = mapped_column(ForeignKey("units.id"), index=True)
    jurisdiction_code: Mapped[str] = mapped_column(ForeignKey("jurisdictions.code"))
    issued_on: Mapped[date] = mapped_column(Date, index=True)
    deadline: Mapped[date] = mapped_column(Date)
    status: Mapped[OrderStatus] = mapped_column(
        term_column(OrderStatus, "order_status"), default=OrderStatus.OPEN
    )
    closed_on: Mapped[date | None] = mapped_column(Date)
    # Bumped by every re-inspection and report: a write based on an older version lost a race.
    version: Mapped[int] = mapped_column(Integer, default=1, server_default="1")
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)

    # `Inspection.rectification_order`: an inspection's answer shows its order (nested by name).
    inspection: Mapped[Inspection] = relationship(backref=backref("rectification_order", uselist=False))
    unit: Mapped[Unit] = relationship()
    rechecks: Mapped[list[Recheck]] = relationship(
        back_populates="order", order_by="Recheck.id"
    )
    reports: Mapped[list[RectificationReport]] = relationship(
        back_populates="order", order_by="RectificationReport.id"
    )

    def __repr__(self) -> str:
        return f"<RectificationOrder {self.number} {self.status}>"


class Recheck(db.Model):
    """A re-inspection of an order: each finding marked rectified or not."""

    __tablename__ = "rechecks"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    # UUID made by the phone: a re-inspection sent twice (a retry from the outbox) counts once.
    client_id: Mapped[str | None] = mapped_column(String(36), unique=True)
    order_id: Mapped[int] = mapped_column(ForeignKey("rectification_orders.id"), index=True)
    checked_on: Mapped[date] = mapped_column(Date)
    inspectors: Mapped[list] = mapped_column(JSON)
    results: Mapped[list] = mapped_column(JSON)  # [{finding_id, rectified, note, photo_ids}]
    all_rectified: Mapped[bool]
    # A follow-up (限期再整改): not all rectified, the order stays open with a new deadline.
    previous_deadline: Mapped[date | None] = mapped_column(Date)
    new_deadline: Mapped[date | None] = mapped_column(Date)
    note: Mapped[str | None] = mapped_column(Text)
    created_by_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)

    order: Mapped[RectificationOrder] = relationship(back_populates="rechecks")


class RectificationReport(db.Model):
    """A school's (or operator's) report that it has rectified, seen at the re-inspection."""

    __tablename__ = "rectification_reports"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    client_id: Mapped[str] = mapped_column(String(36), unique=True)  # UUID made by the school's page
    order_id: Mapped[int] = mapped_column(ForeignKey("rectification_orders.id"), index=True)
    text: Mapped[str] = mapped_column(Text)
    photo_ids: Mapped[list] = mapped_column(JSON, default=list)
    submitted_by_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    submitted_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)

    order: Mapped[RectificationOrder] = relationship(back_populates="reports")


class OrderNumberSeries(db.Model):
    """The next order number of an issuing jurisdiction in a year. Numbers are handed out in
    blocks and the counter only grows: a number is never given twice, even after a void."""

    __tablename__ = "order_number_series"

    jurisdiction_code: Mapped[str] = mapped_column(ForeignKey("jurisdictions.code"), primary_key=True)
    year: Mapped[int] = mapped_column(Integer, primary_key=True)
    next_seq: Mapped[int] = mapped_column(Integer, default=1)


class OrderNumberBlock(db.Model):
    """Numbers `first`..`last` of a series, reserved by one phone (device) while online, so that
    it can issue orders offline without two phones ever producing the same number."""

    __tablename__ = "order_number_blocks"
    __table_args__ = (Index("ix_order_number_blocks_series", "jurisdiction_code", "year", "first"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    jurisdiction_code: Mapped[str] = mapped_column(ForeignKey("jurisdictions.code"))
    year: Mapped[int] = mapped_column(Integer)
    prefix: Mapped[str] = mapped_column(String(32))
    first: Mapped[int] = mapped_column(Integer)
    last: Mapped[int] = mapped_column(Integer)
    device_id: Mapped[str | None] = mapped_column(String(36), index=True)
    reserved_by_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    reserved_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)

    def __repr__(self) -> str:
        return f"<OrderNumberBlock {self.prefix}〔{self.year}〕{self.first}-{self.last}>"
