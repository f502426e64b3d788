"""Photos follow rectification (its signals): a school's report, and an inspector's
re-inspection, name only photos their author uploaded for that order."""

from __future__ import annotations

from sqlalchemy import select

from foodsafety.accounts.models import User
from foodsafety.errors import invalid
from foodsafety.extensions import db
from foodsafety.photos.models import Photo
from foodsafety.rectification import signals
from foodsafety.rectification.models import RectificationOrder


def _photo_problems(photo_ids: list[str], user: User, target: str) -> dict[int, list[str]]:
    """By index: the photos that are repeated, missing, someone else's or for another target."""
    photos = {p.client_id: p for p in db.session.scalars(
        select(Photo).where(Photo.client_id.in_(photo_ids)))} if photo_ids else {}
    errors: dict[int, list[str]] = {}
    for index, photo_id in enumerate(photo_ids):
        photo = photos.get(photo_id)
        if photo_id in photo_ids[:index]:
            errors[index] = ["照片重复。"]
        elif photo is None or photo.created_by_id != user.id:
            errors[index] = ["照片不存在或不是您上传的，请先上传照片。"]
        elif photo.target != target:
            errors[index] = ["该照片不是为此整改通知上传的。"]
    return errors


@signals.report_submitting.connect
def check_report_photos(order: RectificationOrder, *, user: User, photo_ids: list[str], **_) -> None:
    """Each photo of a report was uploaded by the reporting user for this order (else 422)."""
    if errors := _photo_problems(photo_ids, user, f"report:{order.id}"):
        raise invalid({"photo_ids": errors})


@signals.recheck_recording.connect
def check_recheck_photos(order: RectificationOrder, *, user: User,
                         photo_ids: dict[int, list[str]], **_) -> None:
    """Each photo of a re-inspection was uploaded by the inspector for this order (else 422)."""
    errors = {index: {"photo_ids": problems} for index, ids in photo_ids.items()
              if (problems := _photo_problems(ids, user, f"recheck:{order.id}"))}
    if errors:
        raise invalid({"results": errors})
