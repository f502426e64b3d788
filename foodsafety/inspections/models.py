"""Inspection models: the current state of each inspection, its answers, findings and revisions."""

from __future__ import annotations

import secrets
from datetime import date, datetime

from sqlalchemy import (
    JSON,
    Boolean,
    Date,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    SmallInteger,
    String,
    Text,
    UniqueConstraint,
    text,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from foodsafety.accounts.models import User
from foodsafety.extensions import db, term_column
from foodsafety.registry.models import HaccpStatus, Unit
from foodsafety.timeutil import utcnow
from foodsafety.vocabulary import Answer, Category, Handling, Mingchu, Result


def verification_token() -> str:
    """The token of a printed record's QR code: 128 random bits, stored (not derived from the id
    or a secret), so it cannot be guessed or enumerated and survives a rotated SECRET_KEY."""
    return secrets.token_urlsafe(16)


class Inspection(db.Model):
    """One on-site visit to one unit; the row holds the current revision's derived state."""

    __tablename__ = "inspections"
    __table_args__ = (
        Index("ix_inspections_unit_date", "unit_id", "inspected_on"),
        Index("ix_inspections_jurisdiction_date", "jurisdiction_code", "inspected_on"),
        # The list's order (newest first): pages and cursors are index ranges.
        Index("ix_inspections_live_started", "started_at", "id",
              sqlite_where=text("deleted_at IS NULL"), postgresql_where=text("deleted_at IS NULL")),
        # The desk's other order (most problems first).
        Index("ix_inspections_live_problems", "problems_found", "id",
              sqlite_where=text("deleted_at IS NULL"), postgresql_where=text("deleted_at IS NULL")),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    uuid: Mapped[str] = mapped_column(String(36), unique=True)
    # The public verification page's key (`/verify/<token>`); kept through corrections and voids.
    verify_token: Mapped[str] = mapped_column(String(32), unique=True, default=verification_token)
    unit_id: Mapped[int] = mapped_column(ForeignKey("units.id"))
    # Denormalised from the unit at submission: scoping and statistics never need the join.
    jurisdiction_code: Mapped[str] = mapped_column(ForeignKey("jurisdictions.code"))
    unit_kind: Mapped[str] = mapped_column(String(24))
    form_id: Mapped[str] = mapped_column(String(32))
    form_version: Mapped[int] = mapped_column(Integer)
    started_at: Mapped[datetime] = mapped_column(DateTime)  # naive UTC
    inspected_on: Mapped[date] = mapped_column(Date)  # CST calendar date of started_at
    inspectors: Mapped[list] = mapped_column(JSON)
    result: Mapped[Result] = mapped_column(term_column(Result, "inspection_result"))
    handling: Mapped[Handling] = mapped_column(term_column(Handling, "inspection_handling"))
    items_checked: Mapped[int] = mapped_column(SmallInteger)
    key_items_checked: Mapped[int] = mapped_column(SmallInteger)
    key_items_failed: Mapped[int] = mapped_column(SmallInteger)
    general_pass_rate: Mapped[int | None] = mapped_column(SmallInteger)  # percent, floored
    problems_found: Mapped[int] = mapped_column(SmallInteger)
    # Observed status (the statistics' stock rows use the latest of these).
    obs_wuchang_6t: Mapped[bool] = mapped_column(Boolean)
    obs_haccp: Mapped[HaccpStatus] = mapped_column(term_column(HaccpStatus, "obs_haccp_status"))
    obs_haccp_cert_expires_on: Mapped[date | None] = mapped_column(Date)
    obs_mc_transparent: Mapped[bool] = mapped_column(Boolean)
    obs_mc_video: Mapped[bool] = mapped_column(Boolean)
    obs_mc_internet: Mapped[bool] = mapped_column(Boolean)
    obs_licence_displayed: Mapped[bool | None] = mapped_column(Boolean)
    remarks: Mapped[str | None] = mapped_column(Text)
    body_hash: Mapped[str] = mapped_column(String(64))  # hash of the creating submission
    revision: Mapped[int] = mapped_column(Integer, default=1)
    created_by_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    deleted_at: Mapped[datetime | None] = mapped_column(DateTime)
    deleted_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    delete_reason: Mapped[str | None] = mapped_column(Text)

    unit: Mapped[Unit] = relationship()
    deleted_by: Mapped[User | None] = relationship(foreign_keys=[deleted_by_id])
    answers: Mapped[list[InspectionAnswer]] = relationship(
        back_populates="inspection", cascade="all, delete-orphan", order_by="InspectionAnswer.id"
    )
    findings: Mapped[list[Finding]] = relationship(
        back_populates="inspection", cascade="all, delete-orphan", order_by="Finding.id"
    )
    revisions: Mapped[list[InspectionRevision]] = relationship(
        back_populates="inspection", order_by="InspectionRevision.revision"
    )

    @property
    def obs_mingchu(self) -> list[Mingchu]:
        """The 明厨亮灶 modes observed, in the vocabulary's order."""
        on = {Mingchu.TRANSPARENT: self.obs_mc_transparent, Mingchu.VIDEO: self.obs_mc_video,
              Mingchu.INTERNET: self.obs_mc_internet}
        return [mode for mode in Mingchu if on[mode]]

    @obs_mingchu.setter
    def obs_mingchu(self, modes) -> None:
        self.obs_mc_transparent = Mingchu.TRANSPARENT in modes
        self.obs_mc_video = Mingchu.VIDEO in modes
        self.obs_mc_internet = Mingchu.INTERNET in modes

    def __repr__(self) -> str:
        return f"<Inspection {self.uuid} unit={self.unit_id} {self.inspected_on}>"


class InspectionAnswer(db.Model):
    """The answer to one checklist item."""

    __tablename__ = "inspection_answers"
    __table_args__ = (UniqueConstraint("inspection_id", "item_code"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    inspection_id: Mapped[int] = mapped_column(ForeignKey("inspections.id", ondelete="CASCADE"))
    item_code: Mapped[str] = mapped_column(String(16))
    answer: Mapped[Answer] = mapped_column(term_column(Answer, "item_answer"))
    note: Mapped[str | None] = mapped_column(Text)

    inspection: Mapped[Inspection] = relationship(back_populates="answers")


class Finding(db.Model):
    """A problem found: a failed item (category from the form) or an extra finding."""

    __tablename__ = "findings"
    __table_args__ = (Index("ix_findings_inspection_category", "inspection_id", "category"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    inspection_id: Mapped[int] = mapped_column(ForeignKey("inspections.id", ondelete="CASCADE"))
    item_code: Mapped[str | None] = mapped_column(String(16))
    category: Mapped[Category] = mapped_column(term_column(Category, "finding_category"))
    description: Mapped[str] = mapped_column(Text)
    is_key: Mapped[bool] = mapped_column(Boolean, default=False)
    rectified: Mapped[bool | None] = mapped_column(Boolean)
    rectified_checked_on: Mapped[date | None] = mapped_column(Date)

    inspection: Mapped[Inspection] = relationship(back_populates="findings")

    def __repr__(self) -> str:
        return f"<Finding {self.id} {self.category}>"


class InspectionRevision(db.Model):
    """Every version of an inspection as submitted: who, when, the body, and what changed."""

    __tablename__ = "inspection_revisions"
    __table_args__ = (UniqueConstraint("inspection_id", "revision"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    inspection_id: Mapped[int] = mapped_column(ForeignKey("inspections.id"))
    revision: Mapped[int] = mapped_column(Integer)
    body: Mapped[dict] = mapped_column(JSON)
    body_hash: Mapped[str] = mapped_column(String(64))
    reason: Mapped[str | None] = mapped_column(Text)
    changes: Mapped[list | None] = mapped_column(JSON)
    created_by_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)

    inspection: Mapped[Inspection] = relationship(back_populates="revisions")
    created_by: Mapped[User] = relationship()

    @property
    def change_list(self) -> list[dict]:
        """What this revision changed, as `{field, from, to}` (nothing for the first)."""
        return self.changes or []
