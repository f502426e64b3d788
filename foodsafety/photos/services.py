"""Photo services: upload (idempotent, deduplicated, all-or-nothing), scoped reads, and the
photo status of inspections and rectification reports."""

from __future__ import annotations

import hashlib
import logging
from datetime import UTC, datetime, time, timedelta
from pathlib import Path
from uuid import UUID

from flask import current_app, url_for
from sqlalchemy import ColumnElement, and_, exists, func, or_, select, true
from sqlalchemy.exc import IntegrityError
from werkzeug.datastructures import FileStorage

from foodsafety import transactions
from foodsafety.accounts.models import Role, User
from foodsafety.errors import ApiError, invalid, not_found
from foodsafety.extensions import db
from foodsafety.inspections.models import Inspection, InspectionRevision
from foodsafety.photos import storage
from foodsafety.photos.models import Photo
from foodsafety.photos.processing import PhotoRejected, ProcessedPhoto
from foodsafety.photos.sandbox import BUSY, DecodeBusy, Limits, process_photo
from foodsafety.rectification.models import RectificationOrder
from foodsafety.registry.models import Unit, UnitKind
from foodsafety.registry.scope import record_read_clause, unit_write_clause
from foodsafety.timeutil import CST, iso_cst, to_utc_naive, today_cst

log = logging.getLogger(__name__)
CONTENT_TYPE = "image/jpeg"


def photo_dir() -> Path:
    return Path(current_app.config["PHOTO_DIR"])


# --- the upload -----------------------------------------------------------------------------

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
        order = db.session.scalar(
            select(RectificationOrder.id)
            .join(Inspection, Inspection.id == RectificationOrder.inspection_id)
            .where(RectificationOrder.id == int(ref), RectificationOrder.unit_id == unit.id,
                   Inspection.uuid == inspection_uuid, Inspection.deleted_at.is_(None)))
        if order is None:
            raise invalid({"target": ["整改通知不存在，或不属于该检查记录和单位。"]})
        return unit
    if kind == "report":
        raise invalid({"target": ["整改报告的照片由学校上传。"]})
    unit = db.session.scalar(select(Unit).where(Unit.id == data["unit_id"], unit_write_clause(user)))
    if unit is None:
        raise invalid({"unit_id": ["单位不存在或不在您的辖区内。"]})
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
    if not same or not _is_visible(user, existing):
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

    guard = UploadGuard(photo_dir())
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


# --- scoped reads ---------------------------------------------------------------------------

def visible_clause(user: User) -> ColumnElement[bool]:
    """Photos a user may see: those of units in its scope whose inspection has arrived, and,
    before it has, only the uploader's own and those of the inspectors of the unit's subtree."""
    arrived = exists().where(Inspection.uuid == Photo.inspection_uuid,
                             Inspection.deleted_at.is_(None))
    early = true() if user.role == Role.INSPECTOR else Photo.created_by_id == user.id
    return and_(record_read_clause(user, Photo.unit_id),
                or_(arrived, early))


def _is_visible(user: User, photo: Photo) -> bool:
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
    path = storage.path_for(photo_dir(), photo.sha256, kind)
    if not path.is_file():
        log.error("photo %s: %s file %s is missing", photo.client_id, kind, path)
        raise not_found()
    return photo, path


def _live_inspection(uuid: str) -> Inspection | None:
    return db.session.scalar(select(Inspection).where(Inspection.uuid == uuid,
                                                      Inspection.deleted_at.is_(None)))


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
    inspection = _live_inspection(uuid)
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


# --- photos seen from inspections and rectification reports ---------------------------------

def declared_photo_ids(body: dict) -> list[str]:
    """The photo ids an inspection document lists on its answers and extra findings, in order."""
    ids: list[str] = []
    for entry in [*body.get("answers", []), *body.get("extra_findings", [])]:
        for photo_id in entry.get("photo_ids") or []:
            if photo_id not in ids:
                ids.append(photo_id)
    return ids


def photo_status(inspection: Inspection) -> dict:
    """Which photos the inspection's latest revision expects, which have arrived, which not."""
    body = db.session.scalar(
        select(InspectionRevision.body).where(InspectionRevision.inspection_id == inspection.id)
        .order_by(InspectionRevision.revision.desc()).limit(1)) or {}
    expected = declared_photo_ids(body)
    arrived = list(db.session.scalars(
        select(Photo.client_id).where(Photo.inspection_uuid == inspection.uuid,
                                      Photo.unit_id == inspection.unit_id)
        .order_by(Photo.created_at, Photo.id)))
    have = set(arrived)
    return {"expected": expected, "arrived": arrived,
            "missing": [photo_id for photo_id in expected if photo_id not in have]}


def check_report_photos(user: User, order: RectificationOrder, photo_ids: list) -> list[str]:
    """The ids of a rectification report's photos, each uploaded by `user` for this order."""
    ids = [str(photo_id) for photo_id in photo_ids]
    photos = {p.client_id: p for p in db.session.scalars(
        select(Photo).where(Photo.client_id.in_(ids)))} if ids else {}
    errors: dict[int, list[str]] = {}
    for index, photo_id in enumerate(ids):
        photo = photos.get(photo_id)
        if photo_id in ids[:index]:
            errors[index] = ["照片重复。"]
        elif photo is None or photo.created_by_id != user.id:
            errors[index] = ["照片不存在或不是您上传的，请先上传照片。"]
        elif photo.target != f"report:{order.id}":
            errors[index] = ["该照片不是为此整改通知上传的。"]
    if errors:
        raise invalid({"photo_ids": errors})
    return ids


# --- presentation ---------------------------------------------------------------------------

def _captured(photo: Photo) -> str | None:
    if photo.captured_at is None:
        return None
    zone = datetime.strptime(photo.captured_offset, "%z").tzinfo if photo.captured_offset else CST
    return photo.captured_at.replace(tzinfo=UTC).astimezone(zone).isoformat()


def photo_detail(photo: Photo) -> dict:
    """A photo's metadata as the API returns it."""
    return {
        "id": photo.client_id,
        "inspection_id": photo.inspection_uuid,
        "unit_id": photo.unit_id,
        "target": photo.target,
        "content_type": CONTENT_TYPE,
        "width": photo.width,
        "height": photo.height,
        "bytes": photo.image_bytes,
        "thumbnail_bytes": photo.thumbnail_bytes,
        "sha256": photo.sha256,
        "source": {"format": photo.source_format, "width": photo.source_width,
                   "height": photo.source_height, "bytes": photo.source_bytes},
        "captured_at": _captured(photo),
        "captured_offset_known": photo.captured_offset is not None,
        "uploaded_at": iso_cst(photo.created_at),
        "image_url": url_for("photos.PhotoImage", photo_id=photo.client_id),
        "thumbnail_url": url_for("photos.PhotoThumbnail", photo_id=photo.client_id),
    }
