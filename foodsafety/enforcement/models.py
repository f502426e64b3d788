"""Enforcement cases: filing, decision with fines, revocation, bans and transfers to the police."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal

from sqlalchemy import (
    CheckConstraint,
    Date,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    Numeric,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from foodsafety.extensions import db
from foodsafety.inspections.models import Inspection
from foodsafety.registry.models import Unit
from foodsafety.timeutil import utcnow

YUAN = Numeric(14, 2)


class EnforcementCase(db.Model):
    """An administrative penalty case (立案) on a unit, and what became of it."""

    __tablename__ = "enforcement_cases"
    __table_args__ = (
        CheckConstraint("fine_yuan >= 0 AND confiscated_yuan >= 0", name="money_not_negative"),
        # Each issuing jurisdiction numbers its own cases (like rectification orders).
        UniqueConstraint("jurisdiction_code", "case_no"),
        Index("ix_enforcement_cases_filed_id", "filed_on", "id"),  # the list's order
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    case_no: Mapped[str] = mapped_column(String(64))
    unit_id: Mapped[int] = mapped_column(ForeignKey("units.id"), index=True)
    jurisdiction_code: Mapped[str] = mapped_column(ForeignKey("jurisdictions.code"), index=True)
    inspection_id: Mapped[int | None] = mapped_column(ForeignKey("inspections.id"))
    filed_on: Mapped[date] = mapped_column(Date, index=True)
    summary: Mapped[str | None] = mapped_column(Text)
    decided_on: Mapped[date | None] = mapped_column(Date, index=True)
    fine_yuan: Mapped[Decimal] = mapped_column(YUAN, default=Decimal("0.00"))
    confiscated_yuan: Mapped[Decimal] = mapped_column(YUAN, default=Decimal("0.00"))
    licence_revoked_on: Mapped[date | None] = mapped_column(Date, index=True)
    banned_on: Mapped[date | None] = mapped_column(Date)  # 取缔无证经营
    transferred_on: Mapped[date | None] = mapped_column(Date)  # 移送公安机关
    criminal_filed_on: Mapped[date | None] = mapped_column(Date)  # 刑事立案 (as reported back)
    created_by_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)

    unit: Mapped[Unit] = relationship()
    inspection: Mapped[Inspection | None] = relationship()

    def __repr__(self) -> str:
        return f"<EnforcementCase {self.case_no}>"
