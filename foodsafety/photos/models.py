"""Photos taken at inspections (and for rectification reports), stored outside the database."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

from sqlalchemy import DateTime, ForeignKey, Index, Integer, String, and_
from sqlalchemy.orm import Mapped, foreign, mapped_column, relationship

from foodsafety.extensions import db
from foodsafety.inspections.models import Inspection
from foodsafety.timeutil import CST, utcnow


class Photo(db.Model):
    """One photo attached to an inspection item, extra finding or rectification report.

    The phone's outbox may deliver a photo before its inspection, so the inspection is named
    by its UUID, not by a foreign key. The files are content-addressed by the SHA-256 of the
    original upload: the same picture sent twice is processed and stored once.
    """

    __tablename__ = "photos"
    __table_args__ = (
        Index("ix_photos_inspection_uuid", "inspection_uuid"),
        Index("ix_photos_sha256", "sha256"),
        Index("ix_photos_created_by_created_at", "created_by_id", "created_at"),  # the daily limit
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    client_id: Mapped[str] = mapped_column(String(36), unique=True)  # UUID made by the phone
    inspection_uuid: Mapped[str] = mapped_column(String(36))
    # "item:<checklist code>", "finding:<extra finding index>" or "report:<order id>"
    target: Mapped[str] = mapped_column(String(40))
    unit_id: Mapped[int] = mapped_column(ForeignKey("units.id"), index=True)
    # Denormalised from the unit at upload, like inspections: scoping needs no join.
    jurisdiction_code: Mapped[str] = mapped_column(ForeignKey("jurisdictions.code"))
    sha256: Mapped[str] = mapped_column(String(64))  # of the original upload bytes
    source_format: Mapped[str] = mapped_column(String(8))  # JPEG, PNG or WEBP
    source_bytes: Mapped[int] = mapped_column(Integer)
    source_width: Mapped[int] = mapped_column(Integer)
    source_height: Mapped[int] = mapped_column(Integer)
    width: Mapped[int] = mapped_column(Integer)  # of the stored JPEG
    height: Mapped[int] = mapped_column(Integer)
    image_bytes: Mapped[int] = mapped_column(Integer)
    thumbnail_bytes: Mapped[int] = mapped_column(Integer)
    captured_at: Mapped[datetime | None] = mapped_column(DateTime)  # naive UTC, from EXIF
    captured_offset: Mapped[str | None] = mapped_column(String(6))  # "+08:00"; None: assumed CST
    created_by_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)

    @property
    def captured_local(self) -> datetime | None:
        """When the photo was taken, at the UTC offset the camera recorded (CST when it did not)."""
        if self.captured_at is None:
            return None
        zone = datetime.strptime(self.captured_offset, "%z").tzinfo if self.captured_offset else CST
        return self.captured_at.replace(tzinfo=UTC).astimezone(zone)

    def __repr__(self) -> str:
        return f"<Photo {self.client_id} {self.inspection_uuid} {self.target}>"


# --- what an inspection shows of its photos (its schema nests PhotoStatusSchema by name) ------

# The photos of an inspection that have arrived (for its unit: a photo names both).
Inspection.photos = relationship(
    Photo, viewonly=True, order_by=(Photo.created_at, Photo.id),
    primaryjoin=and_(foreign(Photo.inspection_uuid) == Inspection.uuid,
                     foreign(Photo.unit_id) == Inspection.unit_id))


def declared_photo_ids(body: dict) -> list[str]:
    """The photo ids an inspection document lists on its answers and extra findings, in order."""
    ids: list[str] = []
    for entry in [*body.get("answers", []), *body.get("extra_findings", [])]:
        for photo_id in entry.get("photo_ids") or []:
            if photo_id not in ids:
                ids.append(photo_id)
    return ids


@dataclass(frozen=True)
class PhotoStatus:
    """Which photos an inspection's latest revision expects, which have arrived, which not."""

    expected: list[str]
    arrived: list[str]

    @property
    def missing(self) -> list[str]:
        have = set(self.arrived)
        return [photo_id for photo_id in self.expected if photo_id not in have]

    @classmethod
    def of(cls, inspection: Inspection) -> PhotoStatus:
        body = inspection.revisions[-1].body if inspection.revisions else {}
        return cls(expected=declared_photo_ids(body),
                   arrived=[photo.client_id for photo in inspection.photos])


Inspection.photo_status = property(PhotoStatus.of)
