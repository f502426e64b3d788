"""Audit entries: append-only (database triggers refuse changes and early deletion)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import DDL, JSON, DateTime, Index, Integer, SmallInteger, String, event
from sqlalchemy.orm import Mapped, mapped_column

from foodsafety.extensions import db
from foodsafety.timeutil import utcnow

RETENTION_DAYS = 180


class AuditEntry(db.Model):
    """One audited event. `jurisdiction_code` is the actor's, for scoped search by admins."""

    __tablename__ = "audit_log"
    __table_args__ = (Index("ix_audit_log_jurisdiction_at", "jurisdiction_code", "at"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    at: Mapped[datetime] = mapped_column(DateTime, default=utcnow, index=True)
    user_id: Mapped[int | None] = mapped_column(Integer)
    username: Mapped[str | None] = mapped_column(String(64))
    role: Mapped[str | None] = mapped_column(String(16))
    jurisdiction_code: Mapped[str | None] = mapped_column(String(6))
    event: Mapped[str] = mapped_column(String(64), index=True)
    object_type: Mapped[str | None] = mapped_column(String(64))
    object_id: Mapped[str | None] = mapped_column(String(64))
    outcome: Mapped[str] = mapped_column(String(16))  # success / failure / denied
    status: Mapped[int | None] = mapped_column(SmallInteger)
    client_ip: Mapped[str | None] = mapped_column(String(45))
    request_id: Mapped[str | None] = mapped_column(String(32))
    detail: Mapped[dict | None] = mapped_column(JSON)

    def __repr__(self) -> str:
        return f"<AuditEntry {self.id} {self.event} {self.outcome}>"


# Append-only in the database itself: no UPDATE ever; DELETE only past the retention period.
POSTGRES_GUARD = f"""
CREATE OR REPLACE FUNCTION audit_log_guard() RETURNS trigger AS $$
BEGIN
  IF TG_OP = 'UPDATE' THEN
    RAISE EXCEPTION 'audit_log is append-only';
  END IF;
  IF OLD.at > (now() AT TIME ZONE 'UTC') - interval '{RETENTION_DAYS} days' THEN
    RAISE EXCEPTION 'audit_log entries are kept {RETENTION_DAYS} days';
  END IF;
  RETURN OLD;
END $$ LANGUAGE plpgsql;
CREATE TRIGGER audit_log_guard BEFORE UPDATE OR DELETE ON audit_log
  FOR EACH ROW EXECUTE FUNCTION audit_log_guard();
"""
SQLITE_GUARDS = (
    "CREATE TRIGGER audit_log_no_update BEFORE UPDATE ON audit_log "
    "BEGIN SELECT RAISE(ABORT, 'audit_log is append-only'); END",
    "CREATE TRIGGER audit_log_no_early_delete BEFORE DELETE ON audit_log "
    f"WHEN OLD.at > datetime('now', '-{RETENTION_DAYS} days') "
    f"BEGIN SELECT RAISE(ABORT, 'audit_log entries are kept {RETENTION_DAYS} days'); END",
)

event.listen(AuditEntry.__table__, "after_create",
             DDL(POSTGRES_GUARD).execute_if(dialect="postgresql"))
for _statement in SQLITE_GUARDS:
    event.listen(AuditEntry.__table__, "after_create", DDL(_statement).execute_if(dialect="sqlite"))
