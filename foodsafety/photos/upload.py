"""Uploading a photo: idempotent by its client id, deduplicated by content, all-or-nothing
(files written before the row are removed again if the request's transaction rolls back)."""

from __future__ import annotations

import hashlib
import logging
from datetime import datetime, time, timedelta
from pathlib import Path

from flask import current_app
from sqlalchemy import exists, func, select
from sqlalchemy.exc import IntegrityError
from werkzeug.datastructures import FileStorage

from foodsafety import transactions
from foodsafety.accounts.models import Role, User
from foodsafety.errors import ApiError, invalid
from foodsafety.extensions import db
from foodsafety.inspections.models import Inspection
from foodsafety.inspections.rules import live
from foodsafety.photos import storage
from foodsafety.photos.access import is_visible
from foodsafety.photos.models import Photo
from foodsafety.photos.processing import PhotoRejected, ProcessedPhoto
from foodsafety.photos.sandbox import BUSY, DecodeBusy, Limits, process_photo
from foodsafety.rectification.models import RectificationOrder
from foodsafety.registry.models import Unit, UnitKind
from foodsafety.registry.scope import unit_write_clause
from foodsafety.timeutil import CST, to_utc_naive, today_cst

log = logging.getLogger(__name__)


class UploadGuard:
    """Keeps files and rows consistent for one upload, up to the request's commit.

    The content lock is held until the request has ended (`transactions.hold`), so no other
    upload of the same picture can see its files without its row; the files it wrote are removed
    again if the request's transaction is rolled back, unless a stored row refers to them.
    """

    def __init__(self, root: Path) -> None:
        self.root = root
        self.sha256: str | None = None
        self.wrote_files = False

    def lock(self, sha256: str) -> None:
        """Take the content lock for this upload (held until the request ends)."""
        self.sha256 = sha256
        transactions.hold(storage.locked(self.root, sha256))

    def write(self, processed: ProcessedPhoto) -> None:
        assert self.sha256 is not None, "lock() first"
        storage.write_files(self.root, self.sha256,
                            {"image": processed.image, "thumbnail": processed.thumbnail})
        if not self.wrote_files:
            transactions.on_rollback(self.undo)
        self.wrote_files = True

    def undo(self) -> None:
        """After a rollback: remove files this upload wrote unless a stored row refers to them."""
        try:
            referenced = db.session.scalar(select(exists().where(Photo.sha256 == self.sha256)))
        except Exception:  # the database is gone: an orphan file is safer than a dangling row
            log.exception("cannot check whether photo %s is referenced; files kept", self.sha256)
            return
        if not referenced:
            storage.remove_files(self.root, self.sha256)


def _read_upload(upload: FileStorage) -> bytes:
    limit = current_app.config["PHOTO_MAX_BYTES"]
    data = upload.stream.read(limit + 1)
    if len(data) > limit:
        message = f"照片不能超过 {limit / 1024 / 1024:.0f} MB，请压缩后重新上传。"
        raise ApiError(413, message, errors={"file": [message]})
    return data


def _order_of(order_id: int, unit: Unit, inspection_uuid: str) -> int | None:
    """The order `order_id` if it was issued to `unit` at the live inspection `inspection_uuid`."""
    return db.session.scalar(
        select(RectificationOrder.id)
        .join(Inspection, Inspection.id == RectificationOrder.inspection_id)
        .where(RectificationOrder.id == order_id, RectificationOrder.unit_id == unit.id,
               Inspection.uuid == inspection_uuid, live()))


def _target_unit(user: User, data: dict) -> Unit:
    """The unit the photo is for, after checking the caller may add photos to it and the target."""
    kind, _, ref = data["target"].partition(":")
    inspection_uuid = str(data["inspection_id"])
    if user.role == Role.SCHOOL:
        if kind != "report":
            raise invalid({"target": ["学校只能为整改报告上传照片（report:<整改通知编号>）。"]})
        unit = db.session.scalar(select(Unit).where(
            Unit.id == data["unit_id"], Unit.kind == UnitKind.CANTEEN,
            Unit.school_id == user.school_id))
        if unit is None:
            raise invalid({"unit_id": ["单位不存在或不是本校食堂。"]})
        if _order_of(int(ref), unit, inspection_uuid) is None:
            raise invalid({"target": ["整改通知不存在，或不属于该检查记录和单位。"]})
        return unit
    if kind == "report":
        raise invalid({"target": ["整改报告的照片由学校上传。"]})
    unit = db.session.scalar(select(Unit).where(Unit.id == data["unit_id"], unit_write_clause(user)))
    if unit is None:
        raise invalid({"unit_id": ["单位不存在或不在您的辖区内。"]})
    if kind == "recheck" and not _order_of(int(ref), unit, inspection_uuid):
        raise invalid({"target": ["整改通知不存在，或不属于该检查记录和单位。"]})
    inspection = db.session.scalar(select(Inspection).where(Inspection.uuid == inspection_uuid))
    if inspection is not None:
        if inspection.deleted_at is not None:
            raise ApiError(410, "该检查记录已删除，不能再上传照片。", reason="inspection_deleted")
        if inspection.unit_id != unit.id:
            raise invalid({"inspection_id": ["该检查记录不属于所选单位。"]})
    return unit


def _by_client_id(client_id: str) -> Photo | None:
    return db.session.scalar(select(Photo).where(Photo.client_id == client_id))


def _replay(user: User, existing: Photo, sha256: str, data: dict) -> Photo:
    """A photo id sent again: the same upload → the stored record; anything else → 409."""
    same = (existing.sha256 == sha256
            and existing.inspection_uuid == str(data["inspection_id"])
            and existing.unit_id == data["unit_id"]
            and existing.target == data["target"])
    if not same or not is_visible(user, existing):
        raise ApiError(409, "该照片编号（id）已上传过不同的内容；如需换一张照片，请使用新的编号。",
                       reason="photo_id_conflict")
    return existing


def upload_photo(user: User, data: dict, upload: FileStorage) -> tuple[Photo, bool]:
    """Store a photo (or answer a re-sent one); returns (photo, created).

    The files are written before the row and named by the hash of the original bytes: a
    picture already stored is neither processed nor written again.
    """
    raw = _read_upload(upload)
    sha256 = hashlib.sha256(raw).hexdigest()
    client_id = str(data["id"])
    existing = _by_client_id(client_id)
    if existing is not None:
        return _replay(user, existing, sha256, data), False
    unit = _target_unit(user, data)
    _check_daily_limit(user)

    guard = UploadGuard(storage.photo_dir())
    guard.lock(sha256)
    photo = Photo(client_id=client_id, inspection_uuid=str(data["inspection_id"]),
                  target=data["target"], unit_id=unit.id, jurisdiction_code=unit.jurisdiction_code,
                  sha256=sha256, source_bytes=len(raw), created_by_id=user.id)
    twin = db.session.scalar(select(Photo).where(Photo.sha256 == sha256).limit(1))
    if twin is not None and storage.has_files(guard.root, sha256):
        _copy_derived(photo, twin)
    else:
        processed = _process(raw)
        guard.write(processed)
        _set_derived(photo, processed)
    try:
        with transactions.savepoint():
            db.session.add(photo)
            db.session.flush()
    except IntegrityError:
        # The same id arrived twice at once: the first one stored wins, this one replays it.
        existing = _by_client_id(client_id)
        if existing is None:
            raise ApiError(409, "数据同时被修改，请重试。", reason="concurrent_write") from None
        return _replay(user, existing, sha256, data), False
    return photo, True


def _check_daily_limit(user: User) -> None:
    """Refuse (429, retried later by the outbox) a new photo beyond the account's daily limit."""
    limit = current_app.config["PHOTO_DAILY_LIMIT"]
    today = datetime.combine(today_cst(), time.min, tzinfo=CST)
    uploaded = db.session.scalar(select(func.count()).select_from(Photo).where(
        Photo.created_by_id == user.id, Photo.created_at >= to_utc_naive(today)))
    if uploaded >= limit:
        tomorrow = today + timedelta(days=1)
        wait = max(60, int((tomorrow - datetime.now(CST)).total_seconds()))
        raise ApiError(429, f"今天上传的照片已达上限（每个账户每天 {limit} 张），请明天再上传。",
                       reason="photo_daily_limit", headers={"Retry-After": str(wait)})


def _process(raw: bytes) -> ProcessedPhoto:
    """The upload processed in a bounded child process; refusals become API errors."""
    config = current_app.config
    options = {"max_pixels": config["PHOTO_MAX_PIXELS"],
               "max_full_decode_pixels": config["PHOTO_MAX_FULL_DECODE_PIXELS"],
               "max_jpeg_scans": config["PHOTO_JPEG_MAX_SCANS"]}
    limits = Limits(cpu_seconds=config["PHOTO_DECODE_CPU_SECONDS"],
                    memory_bytes=config["PHOTO_DECODE_MEMORY_MB"] * 1024 * 1024,
                    wall_seconds=config["PHOTO_DECODE_WALL_SECONDS"])
    try:
        return process_photo(raw, options=options, limits=limits, slots=config["PHOTO_DECODE_SLOTS"],
                             queue_seconds=config["PHOTO_DECODE_QUEUE_SECONDS"])
    except PhotoRejected as rejected:
        raise ApiError(rejected.status, rejected.message,
                       errors={"file": [rejected.message]}) from None
    except DecodeBusy:
        raise ApiError(503, BUSY, reason="photo_processing_busy", headers={"Retry-After": "5"}) from None


def _set_derived(photo: Photo, processed: ProcessedPhoto) -> None:
    photo.source_format = processed.source_format
    photo.source_width = processed.source_width
    photo.source_height = processed.source_height
    photo.width = processed.width
    photo.height = processed.height
    photo.image_bytes = len(processed.image)
    photo.thumbnail_bytes = len(processed.thumbnail)
    if processed.captured_at is not None:
        photo.captured_at = to_utc_naive(processed.captured_at)
        if processed.captured_offset_known:
            photo.captured_offset = processed.captured_at.isoformat()[-6:]


def _copy_derived(photo: Photo, twin: Photo) -> None:
    for name in ("source_format", "source_width", "source_height", "width", "height",
                 "image_bytes", "thumbnail_bytes", "captured_at", "captured_offset"):
        setattr(photo, name, getattr(twin, name))
