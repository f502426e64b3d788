"""The operator's signature (or refusal) given for one revision of a printed record."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import DDL, CheckConstraint, DateTime, ForeignKey, Integer, LargeBinary, String, Text, event
from sqlalchemy.orm import Mapped, mapped_column, relationship

from foodsafety.extensions import db, term_column
from foodsafety.inspections.models import Inspection, InspectionRevision
from foodsafety.timeutil import utcnow
from foodsafety.vocabulary import SignatureState


class RecordSignature(db.Model):
    """What the operator did with the record shown on the phone: signed it (the PNG exactly as
    the phone sent it) or refused (拒签, with the inspectors' note).

    It belongs to the revision it was given for. A correction is a new revision that replaces
    the earlier one, and it is unsigned unless the operator signs it again: nobody signed what
    the correction changed. Immutable: the database refuses any UPDATE.
    """

    __tablename__ = "record_signatures"
    __table_args__ = (
        CheckConstraint("(state = 'signed' AND image IS NOT NULL AND refusal_note IS NULL) OR "
                        "(state = 'refused' AND image IS NULL AND refusal_note IS NOT NULL)",
                        name="signed_or_refused"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    revision_id: Mapped[int] = mapped_column(ForeignKey("inspection_revisions.id"), unique=True)
    state: Mapped[SignatureState] = mapped_column(term_column(SignatureState, "signature_state"))
    # PNG, as sent (at most 200 KB); loaded only where it is shown (the record, its image route).
    image: Mapped[bytes | None] = mapped_column(LargeBinary, deferred=True)
    image_sha256: Mapped[str | None] = mapped_column(String(64))  # as the revision's body names it
    width: Mapped[int | None] = mapped_column(Integer)
    height: Mapped[int | None] = mapped_column(Integer)
    refusal_note: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)

    revision: Mapped[InspectionRevision] = relationship()

    def __repr__(self) -> str:
        return f"<RecordSignature {self.state} revision_id={self.revision_id}>"


# Each revision's signature, read where a record is printed (None: not signed on the phone).
InspectionRevision.signature = relationship(RecordSignature, uselist=False, viewonly=True)

# Immutable in the database itself, as the audit log is append-only.
POSTGRES_GUARD = """
CREATE OR REPLACE FUNCTION record_signatures_guard() RETURNS trigger AS $$
BEGIN
  RAISE EXCEPTION 'record_signatures are immutable';
END $$ LANGUAGE plpgsql;
CREATE TRIGGER record_signatures_guard BEFORE UPDATE ON record_signatures
  FOR EACH ROW EXECUTE FUNCTION record_signatures_guard();
"""
SQLITE_GUARD = ("CREATE TRIGGER record_signatures_no_update BEFORE UPDATE ON record_signatures "
                "BEGIN SELECT RAISE(ABORT, 'record_signatures are immutable'); END")

event.listen(RecordSignature.__table__, "after_create",
             DDL(POSTGRES_GUARD).execute_if(dialect="postgresql"))
event.listen(RecordSignature.__table__, "after_create", DDL(SQLITE_GUARD).execute_if(dialect="sqlite"))


def _signature_in_force(inspection: Inspection) -> RecordSignature | None:
    return inspection.revisions[-1].signature if inspection.revisions else None


# What the inspection's schema shows: the signature of the revision in force.
Inspection.operator_signature = property(_signature_in_force)
