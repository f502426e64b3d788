"""Registry models: jurisdictions (GB/T 2260), schools, food units and supply links."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import (
    Boolean,
    CheckConstraint,
    Date,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    SmallInteger,
    String,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from foodsafety.extensions import db, term_column
from foodsafety.timeutil import utcnow
from foodsafety.vocabulary import HaccpStatus, Mingchu, OperationMode, SchoolStage, UnitKind


class Jurisdiction(db.Model):
    """A GB/T 2260 administrative division: province (1), prefecture (2) or county (3)."""

    __tablename__ = "jurisdictions"

    code: Mapped[str] = mapped_column(String(6), primary_key=True)
    name: Mapped[str] = mapped_column(String(64))
    level: Mapped[int] = mapped_column(SmallInteger)
    parent_code: Mapped[str | None] = mapped_column(
        ForeignKey("jurisdictions.code"), index=True
    )

    parent: Mapped[Jurisdiction | None] = relationship(remote_side=[code])

    def __repr__(self) -> str:
        return f"<Jurisdiction {self.code} {self.name}>"


class JurisdictionClosure(db.Model):
    """Transitive closure of the jurisdiction tree: one row per (ancestor, descendant), self included.

    Subtree scoping and the statistics' one-pass grouping over every ancestor both join on it.
    """

    __tablename__ = "jurisdiction_closure"

    ancestor_code: Mapped[str] = mapped_column(ForeignKey("jurisdictions.code"), primary_key=True)
    descendant_code: Mapped[str] = mapped_column(
        ForeignKey("jurisdictions.code"), primary_key=True, index=True
    )
    depth: Mapped[int] = mapped_column(SmallInteger)


class School(db.Model):
    """A school or kindergarten; its canteens are units of kind `canteen`."""

    __tablename__ = "schools"
    __table_args__ = (UniqueConstraint("jurisdiction_code", "name"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(128))
    stage: Mapped[SchoolStage] = mapped_column(term_column(SchoolStage, "school_stage"))
    jurisdiction_code: Mapped[str] = mapped_column(ForeignKey("jurisdictions.code"), index=True)
    uscc: Mapped[str | None] = mapped_column(String(18), unique=True)
    address: Mapped[str | None] = mapped_column(String(256))
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)

    jurisdiction: Mapped[Jurisdiction] = relationship()

    def __repr__(self) -> str:
        return f"<School {self.id} {self.name}>"


class Unit(db.Model):
    """A food business under supervision, with its licence and registration-time status."""

    __tablename__ = "units"
    __table_args__ = (
        CheckConstraint(
            "(kind = 'canteen') = (school_id IS NOT NULL)", name="canteen_has_school"
        ),
        Index("ix_units_kind_jurisdiction", "kind", "jurisdiction_code"),
        Index("ix_units_jurisdiction_name_id", "jurisdiction_code", "name", "id"),  # the list's order
        # The order of the list of units not inspected, with every column it shows.
        Index("ix_units_jurisdiction_kind_name_id", "jurisdiction_code", "kind", "name", "id",
              postgresql_include=["licence_no"]),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    # A UUID made by the phone that registered the unit on site (offline): a retry of that
    # registration is answered with this unit, and the phone's inspection of it is linked to it.
    client_id: Mapped[str | None] = mapped_column(String(36), unique=True)
    kind: Mapped[UnitKind] = mapped_column(term_column(UnitKind, "unit_kind"))
    name: Mapped[str] = mapped_column(String(128))
    # What inspectors and neighbours call it (e.g. "七中食堂"): searched beside the name.
    short_name: Mapped[str | None] = mapped_column(String(64))
    jurisdiction_code: Mapped[str] = mapped_column(ForeignKey("jurisdictions.code"), index=True)
    school_id: Mapped[int | None] = mapped_column(ForeignKey("schools.id"), index=True)
    operation_mode: Mapped[OperationMode | None] = mapped_column(
        term_column(OperationMode, "operation_mode")
    )
    address: Mapped[str | None] = mapped_column(String(256))
    uscc: Mapped[str | None] = mapped_column(String(18))
    licence_no: Mapped[str | None] = mapped_column(String(16), unique=True)
    licence_issued_on: Mapped[date | None] = mapped_column(Date)
    licence_expires_on: Mapped[date | None] = mapped_column(Date)
    # The earliest revocation an enforcement case recorded (吊销许可证): invalid from that day on.
    licence_revoked_on: Mapped[date | None] = mapped_column(Date)
    # Registration-time status; inspections record newer observations.
    wuchang_6t: Mapped[bool] = mapped_column(Boolean, default=False)
    haccp: Mapped[HaccpStatus] = mapped_column(
        term_column(HaccpStatus, "haccp_status"), default=HaccpStatus.NONE
    )
    haccp_cert_expires_on: Mapped[date | None] = mapped_column(Date)
    mc_transparent: Mapped[bool] = mapped_column(Boolean, default=False)
    mc_video: Mapped[bool] = mapped_column(Boolean, default=False)
    mc_internet: Mapped[bool] = mapped_column(Boolean, default=False)
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)

    school: Mapped[School | None] = relationship()
    jurisdiction: Mapped[Jurisdiction] = relationship()

    @property
    def mingchu(self) -> list[Mingchu]:
        """The 明厨亮灶 modes in place, in the vocabulary's order."""
        return [mode for mode, on in ((Mingchu.TRANSPARENT, self.mc_transparent),
                                      (Mingchu.VIDEO, self.mc_video),
                                      (Mingchu.INTERNET, self.mc_internet)) if on]

    @mingchu.setter
    def mingchu(self, modes: list[Mingchu]) -> None:
        self.mc_transparent = Mingchu.TRANSPARENT in modes
        self.mc_video = Mingchu.VIDEO in modes
        self.mc_internet = Mingchu.INTERNET in modes

    def __repr__(self) -> str:
        return f"<Unit {self.id} {self.kind} {self.name}>"


class SupplyLink(db.Model):
    """A catering supplier supplies a school from `starts_on` to `ends_on` (open-ended if null)."""

    __tablename__ = "supply_links"
    __table_args__ = (
        UniqueConstraint("supplier_id", "school_id", "starts_on"),
        CheckConstraint("ends_on IS NULL OR ends_on >= starts_on", name="dates_ordered"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    supplier_id: Mapped[int] = mapped_column(ForeignKey("units.id"), index=True)
    school_id: Mapped[int] = mapped_column(ForeignKey("schools.id"), index=True)
    starts_on: Mapped[date] = mapped_column(Date)
    ends_on: Mapped[date | None] = mapped_column(Date)

    supplier: Mapped[Unit] = relationship()
    school: Mapped[School] = relationship()

    def __repr__(self) -> str:
        return f"<SupplyLink {self.supplier_id}->{self.school_id}>"
