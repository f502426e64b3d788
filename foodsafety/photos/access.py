"""Reading photos within the user's scope: one photo, its files, the photos of an inspection."""

from __future__ import annotations

import logging
from pathlib import Path
from uuid import UUID

from sqlalchemy import ColumnElement, and_, exists, or_, select, true

from foodsafety.accounts.models import Role, User
from foodsafety.errors import not_found
from foodsafety.extensions import db
from foodsafety.inspections.models import Inspection
from foodsafety.inspections.rules import live
from foodsafety.photos import storage
from foodsafety.photos.models import Photo
from foodsafety.registry.scope import record_read_clause

log = logging.getLogger(__name__)


def visible_clause(user: User) -> ColumnElement[bool]:
    """Photos a user may see: those of units in its scope whose inspection has arrived, and,
    before it has, only the uploader's own and those of the inspectors of the unit's subtree."""
    arrived = exists().where(Inspection.uuid == Photo.inspection_uuid, live())
    early = true() if user.role == Role.INSPECTOR else Photo.created_by_id == user.id
    return and_(record_read_clause(user, Photo.unit_id), or_(arrived, early))


def is_visible(user: User, photo: Photo) -> bool:
    return bool(db.session.scalar(select(Photo.id).where(Photo.id == photo.id,
                                                         visible_clause(user))))


def get_photo(user: User, photo_id: str) -> Photo:
    """A photo the user may see, else 404 — whether absent or out of scope."""
    try:
        photo_id = str(UUID(photo_id))
    except ValueError:
        raise not_found() from None
    photo = db.session.scalar(select(Photo).where(Photo.client_id == photo_id,
                                                  visible_clause(user)))
    if photo is None:
        raise not_found()
    return photo


def photo_file(user: User, photo_id: str, kind: str) -> tuple[Photo, Path]:
    """A visible photo and the path of its image or thumbnail."""
    photo = get_photo(user, photo_id)
    path = storage.path_for(storage.photo_dir(), photo.sha256, kind)
    if not path.is_file():
        log.error("photo %s: %s file %s is missing", photo.client_id, kind, path)
        raise not_found()
    return photo, path


def inspection_photos(user: User, uuid: str) -> list[Photo]:
    """The photos of an inspection that have arrived and that the user may see.

    Before the inspection itself has arrived this answers the uploader and the unit's
    inspectors; for anyone who can see neither the inspection nor a photo of it: 404.
    """
    try:
        uuid = str(UUID(uuid))
    except ValueError:
        raise not_found() from None
    query = (select(Photo).where(Photo.inspection_uuid == uuid, visible_clause(user))
             .order_by(Photo.created_at, Photo.id))
    inspection = db.session.scalar(select(Inspection).where(Inspection.uuid == uuid, live()))
    readable = inspection is not None and db.session.scalar(
        select(Inspection.id).where(
            Inspection.id == inspection.id,
            record_read_clause(user, Inspection.unit_id)))
    if inspection is not None:
        query = query.where(Photo.unit_id == inspection.unit_id)
    photos = list(db.session.scalars(query))
    if not photos and not readable:
        raise not_found()
    return photos
