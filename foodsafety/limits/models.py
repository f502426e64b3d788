"""Request leases: the slots of an account's expensive requests, shared by every web worker."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import DateTime, ForeignKey, Integer, SmallInteger, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from foodsafety.extensions import db


class RequestLease(db.Model):
    """Slot `slot` of a user's concurrent expensive requests, held until released or expired.

    A worker that dies mid-request never releases its slot: the slot frees itself at
    `expires_at`, and the next request takes it over."""

    __tablename__ = "request_leases"
    __table_args__ = (UniqueConstraint("user_id", "slot"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    slot: Mapped[int] = mapped_column(SmallInteger)
    token: Mapped[str] = mapped_column(String(32))  # which request holds it
    acquired_at: Mapped[datetime] = mapped_column(DateTime)  # naive UTC
    expires_at: Mapped[datetime] = mapped_column(DateTime)

    def __repr__(self) -> str:
        return f"<RequestLease user={self.user_id} slot={self.slot} until {self.expires_at}>"
