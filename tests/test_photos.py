"""Inspection photos: the phone's outbox uploads them in any order, the school sees its own,
nobody else sees any, and hostile files are refused with nothing stored."""

from __future__ import annotations

import io
import os
import re
import struct
import time
import zlib
from datetime import datetime, timedelta
from functools import cache
from uuid import uuid4

import pytest
from PIL import ExifTags, Image, ImageCms
from sqlalchemy import func, select, update
from sqlalchemy.exc import OperationalError

from foodsafety.extensions import db
from foodsafety.photos import storage
from foodsafety.photos import upload as uploads
from foodsafety.photos.models import Photo
from foodsafety.photos.sweep import sweep_orphan_files
from foodsafety.scheduler.jobs import JOBS_BY_NAME
from foodsafety.scheduler.models import JobRun, RunStatus
from foodsafety.scheduler.runner import tick
from foodsafety.timeutil import CST, today_cst, utcnow

PHOTOS = "/api/v1/photos"
INSPECTIONS = "/api/v1/inspections"
ORDERS = "/api/v1/rectification-orders"


# --- making pictures ------------------------------------------------------------------------

def jpeg(size=(80, 40), color=(200, 40, 40), *, orientation=None, taken=None, offset=None,
         gps=False, comment=None, xmp=None, icc=False, noise=False, quality=90) -> bytes:
    """A JPEG as a phone would send it, with whichever metadata the test needs."""
    image = Image.effect_noise(size, 60).convert("RGB") if noise else Image.new("RGB", size, color)
    exif = Image.Exif()
    if orientation:
        exif[ExifTags.Base.Orientation] = orientation
    if taken:
        ifd = exif.get_ifd(ExifTags.IFD.Exif)
        ifd[ExifTags.Base.DateTimeOriginal] = taken
        if offset:
            ifd[ExifTags.Base.OffsetTimeOriginal] = offset
    if gps:
        gps_ifd = exif.get_ifd(ExifTags.IFD.GPSInfo)
        gps_ifd.update({1: "N", 2: (30.0, 39.0, 12.5), 3: "E", 4: (104.0, 4.0, 36.0)})
    options = {"exif": exif, "quality": quality}
    if comment:
        options["comment"] = comment
    if xmp:
        options["xmp"] = xmp
    if icc:
        options["icc_profile"] = ImageCms.ImageCmsProfile(ImageCms.createProfile("sRGB")).tobytes()
    out = io.BytesIO()
    image.save(out, "JPEG", **options)
    return out.getvalue()


def encoded(image: Image.Image, fmt: str) -> bytes:
    out = io.BytesIO()
    image.save(out, fmt)
    return out.getvalue()


def _chunk(kind: bytes, data: bytes) -> bytes:
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))


@cache
def bomb_png(width: int, height: int) -> bytes:
    """A valid one-colour 1-bit PNG of width × height: a few tens of KB, made without ever
    holding the image (every row is a filter byte and zeros)."""
    row = b"\0" * (1 + (width + 7) // 8)
    packer = zlib.compressobj(9)
    block = row * 500
    parts = [packer.compress(block) for _ in range(height // 500)]
    parts += [packer.compress(row * (height % 500)), packer.flush()]
    header = struct.pack(">IIBBBBB", width, height, 1, 0, 0, 0, 0)
    return (b"\x89PNG\r\n\x1a\n" + _chunk(b"IHDR", header) + _chunk(b"IDAT", b"".join(parts))
            + _chunk(b"IEND", b""))


@cache
def blank_png(width: int, height: int) -> bytes:
    """A valid fully transparent 8-bit RGBA PNG of width × height, made row block by row block:
    small to send, 4 bytes a pixel to decode."""
    row = b"\0" * (1 + 4 * width)
    packer = zlib.compressobj(9)
    parts = [packer.compress(row * 100) for _ in range(height // 100)]
    parts += [packer.compress(row * (height % 100)), packer.flush()]
    header = struct.pack(">IIBBBBB", width, height, 8, 6, 0, 0, 0)
    return (b"\x89PNG\r\n\x1a\n" + _chunk(b"IHDR", header) + _chunk(b"IDAT", b"".join(parts))
            + _chunk(b"IEND", b""))


def progressive(size=(320, 240), mode="L") -> bytes:
    image = Image.effect_noise(size, 60).convert(mode)
    return encoded_with(image, "JPEG", progressive=True, quality=90)


def encoded_with(image: Image.Image, fmt: str, **options) -> bytes:
    out = io.BytesIO()
    image.save(out, fmt, **options)
    return out.getvalue()


@cache
def scan_bomb(side: int, repeats: int) -> bytes:
    """A grey progressive JPEG whose last (tiny, refinement) scan is repeated `repeats` times:
    every repeat walks all the image's blocks again. Pillow's file has no thumbnail, so its last
    SOS marker is the last scan's."""
    data = encoded_with(Image.new("L", (side, side), 128), "JPEG", progressive=True, quality=90)
    last = data.rindex(b"\xff\xda")
    return data[:-2] + data[last:-2] * repeats + data[-2:]


def with_segment(data: bytes, marker: int, payload: bytes) -> bytes:
    """`data` (a JPEG) with an application segment inserted right after SOI."""
    return data[:2] + bytes([0xFF, marker]) + struct.pack(">H", len(payload) + 2) + payload + data[2:]


# --- calling the API ------------------------------------------------------------------------

def upload(api, unit, data: bytes, *, photo_id=None, inspection_id=None, target="item:3.1",
           filename="IMG_0001.jpg", content_type="image/jpeg"):
    form = {
        "id": photo_id or str(uuid4()),
        "inspection_id": inspection_id or str(uuid4()),
        "unit_id": str(unit.id),
        "target": target,
        "file": (io.BytesIO(data), filename, content_type),
    }
    return api.post(PHOTOS, data=form, content_type="multipart/form-data")


def stored_files(app) -> list:
    root = app.config["PHOTO_DIR"]
    return sorted(p for p in root.rglob("*") if p.is_file() and ".locks" not in p.parts) \
        if root.exists() else []


def photo_rows() -> int:
    return db.session.scalar(select(func.count()).select_from(Photo))


@pytest.fixture(autouse=True)
def _empty_photo_dir(app):
    """Photo files live outside the database: start every test from an empty directory."""
    for path in stored_files(app):
        path.unlink()
    yield


@pytest.fixture
def canteen(make_unit, make_school):
    return make_unit("canteen", "510104", school=make_school(name="锦江区实验小学"))


@pytest.fixture
def inspector(login_as):
    return login_as("inspector", "510104")


# --- the outbox: photos before and after their inspection -----------------------------------

def test_photos_sent_before_the_inspection_show_as_arrived_and_missing_ones_are_listed(
        inspector, canteen, new_inspection):
    doc = new_inspection(canteen, answers={"3.1": "no"})
    first, second, third = str(uuid4()), str(uuid4()), str(uuid4())
    r = upload(inspector, canteen, jpeg(), photo_id=first, inspection_id=doc["id"])
    assert r.status_code == 201, r.get_json()
    body = r.get_json()
    assert body["id"] == first and body["inspection_id"] == doc["id"]
    assert body["target"] == "item:3.1" and body["content_type"] == "image/jpeg"
    assert inspector.get(f"{INSPECTIONS}/{doc['id']}/photos").get_json()[0]["id"] == first

    doc["answers"] = [{**a, "photo_ids": [first, second]} if a["item"] == "3.1" else a
                      for a in doc["answers"]]
    doc["extra_findings"] = [{"category": "other", "description": "灭蝇灯损坏",
                              "photo_ids": [third]}]
    r = inspector.post(INSPECTIONS, json=doc)
    assert r.status_code == 201, r.get_json()
    assert r.get_json()["photos"] == {"expected": [first, second, third], "arrived": [first],
                                      "missing": [second, third]}

    assert upload(inspector, canteen, jpeg(color=(1, 2, 3)), photo_id=second,
                  inspection_id=doc["id"]).status_code == 201
    assert upload(inspector, canteen, jpeg(color=(9, 9, 9)), photo_id=third,
                  inspection_id=doc["id"], target="finding:0").status_code == 201
    photos = inspector.get(f"{INSPECTIONS}/{doc['id']}").get_json()["photos"]
    assert photos["missing"] == [] and sorted(photos["arrived"]) == sorted([first, second, third])
    listed = inspector.get(f"{INSPECTIONS}/{doc['id']}/photos").get_json()
    assert [p["target"] for p in listed] == ["item:3.1", "item:3.1", "finding:0"]
    assert inspector.post(INSPECTIONS, json=doc).status_code == 200  # the outbox retries: same


def test_a_photo_sent_after_its_inspection_must_name_the_inspections_unit(
        inspector, canteen, make_unit, new_inspection):
    doc = new_inspection(canteen)
    assert inspector.post(INSPECTIONS, json=doc).status_code == 201
    elsewhere = make_unit("canteen", "510104")
    r = upload(inspector, elsewhere, jpeg(), inspection_id=doc["id"])
    assert r.status_code == 422 and "inspection_id" in r.get_json()["errors"]
    assert upload(inspector, canteen, jpeg(), inspection_id=doc["id"]).status_code == 201


def test_resending_a_photo_id_answers_the_stored_record_and_other_content_conflicts(
        inspector, canteen):
    photo_id, inspection_id = str(uuid4()), str(uuid4())
    first = upload(inspector, canteen, jpeg(), photo_id=photo_id, inspection_id=inspection_id)
    again = upload(inspector, canteen, jpeg(), photo_id=photo_id, inspection_id=inspection_id)
    assert (first.status_code, again.status_code) == (201, 200)
    assert again.get_json() == first.get_json()
    other = upload(inspector, canteen, jpeg(color=(0, 0, 255)), photo_id=photo_id,
                   inspection_id=inspection_id)
    assert other.status_code == 409 and "编号" in other.get_json()["message"]
    moved = upload(inspector, canteen, jpeg(), photo_id=photo_id, inspection_id=inspection_id,
                   target="item:5.1")
    assert moved.status_code == 409
    assert photo_rows() == 1


def test_the_same_picture_under_two_ids_is_stored_once(app, inspector, canteen):
    picture = jpeg(noise=True, size=(300, 200))
    a = upload(inspector, canteen, picture).get_json()
    b = upload(inspector, canteen, picture, target="item:5.1").get_json()
    assert a["id"] != b["id"] and a["sha256"] == b["sha256"]
    assert photo_rows() == 2
    assert len(stored_files(app)) == 2  # one image and one thumbnail
    assert inspector.get(a["image_url"]).data == inspector.get(b["image_url"]).data


# --- what is stored -------------------------------------------------------------------------

def test_the_stored_photo_is_upright_and_carries_no_location_comment_or_other_metadata(
        app, inspector, canteen):
    sent = jpeg(size=(80, 40), orientation=6, taken="2026:03:01 10:20:30", offset="+09:00",
                gps=True, comment=b"secret note", icc=True,
                xmp=b'<x:xmpmeta xmlns:x="adobe:ns:meta/">secret-xmp</x:xmpmeta>')
    assert b"secret note" in sent and b"secret-xmp" in sent  # the phone did send them
    r = upload(inspector, canteen, sent)
    assert r.status_code == 201, r.get_json()
    body = r.get_json()
    assert (body["width"], body["height"]) == (40, 80)  # rotated as the camera meant
    assert body["captured_at"] == "2026-03-01T10:20:30+09:00"
    assert body["captured_offset_known"] is True
    assert db.session.scalar(select(Photo.captured_at)) == datetime(2026, 3, 1, 1, 20, 30)
    for url in (body["image_url"], body["thumbnail_url"]):
        data = inspector.get(url).data
        reopened = Image.open(io.BytesIO(data))
        assert reopened.format == "JPEG"
        assert not reopened.getexif() and not reopened.getexif().get_ifd(ExifTags.IFD.GPSInfo)
        assert not {"exif", "comment", "xmp", "icc_profile"} & set(reopened.info)
        assert b"secret" not in data and b"Exif" not in data
    assert all(b"secret" not in path.read_bytes() for path in stored_files(app))


def test_a_capture_time_without_offset_is_taken_as_china_time(inspector, canteen):
    body = upload(inspector, canteen, jpeg(taken="2026:03:01 10:20:30")).get_json()
    assert body["captured_at"] == "2026-03-01T10:20:30+08:00"
    assert body["captured_offset_known"] is False
    assert upload(inspector, canteen, jpeg(color=(3, 3, 3))).get_json()["captured_at"] is None


def test_big_photos_are_scaled_to_2048_pixels_with_a_320_pixel_thumbnail(inspector, canteen):
    wide = encoded(Image.new("RGB", (3000, 1500), (10, 120, 10)), "PNG")
    body = upload(inspector, canteen, wide, filename="wide.png").get_json()
    assert (body["width"], body["height"]) == (2048, 1024)
    assert body["source"] == {"format": "PNG", "width": 3000, "height": 1500,
                              "bytes": len(wide)}
    thumb = Image.open(io.BytesIO(inspector.get(body["thumbnail_url"]).data))
    assert thumb.size == (320, 160)
    # A 12-megapixel camera JPEG is decoded at half scale: 2000 px, never above 2048.
    camera = jpeg(size=(4000, 3000), color=(90, 90, 200))
    body = upload(inspector, canteen, camera).get_json()
    assert (body["width"], body["height"]) == (2000, 1500)


@pytest.mark.parametrize("make, fmt", [
    (lambda: encoded(Image.new("RGBA", (60, 30), (0, 0, 0, 0)), "PNG"), "PNG"),
    (lambda: encoded(Image.new("P", (60, 30), 3), "PNG"), "PNG"),
    (lambda: encoded(Image.new("RGB", (60, 30), (5, 5, 5)), "WEBP"), "WEBP"),
    (lambda: encoded(Image.new("L", (60, 30), 128), "JPEG"), "JPEG"),
], ids=["png-transparent", "png-palette", "webp", "jpeg-grey"])
def test_png_and_webp_are_accepted_and_stored_as_jpeg(inspector, canteen, make, fmt):
    body = upload(inspector, canteen, make(), filename="x.bin").get_json()
    assert body["source"]["format"] == fmt and (body["width"], body["height"]) == (60, 30)
    data = inspector.get(body["image_url"]).data
    assert Image.open(io.BytesIO(data)).format == "JPEG"


def test_transparent_areas_become_white(inspector, canteen):
    body = upload(inspector, canteen,
                  encoded(Image.new("RGBA", (60, 30), (0, 0, 0, 0)), "PNG")).get_json()
    image = Image.open(io.BytesIO(inspector.get(body["image_url"]).data))
    assert min(image.getpixel((30, 15))) > 245


# --- hostile uploads ------------------------------------------------------------------------

def _truncated_jpeg() -> bytes:
    whole = jpeg(size=(400, 300), noise=True)
    return whole[: len(whole) // 2]


HOSTILE = {
    "bomb-20000x20000-png": (lambda: bomb_png(20000, 20000), 422, "像素过多"),
    "48-megapixels-under-pillows-own-limit": (lambda: bomb_png(8000, 6000), 422, "像素过多"),
    "gif": (lambda: encoded(Image.new("P", (10, 10)), "GIF"), 415, "JPEG、PNG 或 WebP"),
    "pdf": (lambda: b"%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\ntrailer\n%%EOF\n", 415,
            "JPEG、PNG 或 WebP"),
    "html-named-jpg": (lambda: b"<!doctype html><script>alert(1)</script>", 415,
                       "JPEG、PNG 或 WebP"),
    "truncated-jpeg": (_truncated_jpeg, 422, "损坏或不完整"),
    "empty": (lambda: b"", 422, "为空"),
}


@pytest.mark.parametrize("case", HOSTILE, ids=list(HOSTILE))
def test_hostile_uploads_are_refused_in_chinese_and_nothing_is_stored(app, inspector, canteen,
                                                                      case):
    make, status, words = HOSTILE[case]
    r = upload(inspector, canteen, make(), filename="photo.jpg")
    assert r.status_code == status, r.get_json()
    body = r.get_json()
    assert words in body["message"] and body["errors"]["file"] == [body["message"]]
    assert photo_rows() == 0 and stored_files(app) == []


def test_the_bombs_are_real_pngs_of_a_few_kilobytes():
    huge = bomb_png(20000, 20000)
    assert len(huge) < 100_000
    with pytest.raises(Image.DecompressionBombError):  # Pillow's own limit catches this one…
        Image.open(io.BytesIO(huge))
    large = Image.open(io.BytesIO(bomb_png(8000, 6000)))  # …but not this one: ours does
    assert large.format == "PNG" and large.size == (8000, 6000)


def test_a_progressive_jpeg_with_thousands_of_scans_is_refused_before_decoding(app, inspector,
                                                                              canteen):
    bomb = scan_bomb(512, 3000)
    assert len(bomb) < 300_000 and Image.open(io.BytesIO(bomb)).size == (512, 512)
    r = upload(inspector, canteen, bomb)
    assert r.status_code == 422, r.get_json()
    assert "扫描段过多（3006 段，最多允许 32 段）" in r.get_json()["message"]
    assert r.get_json()["errors"]["file"] == [r.get_json()["message"]]
    assert photo_rows() == 0 and stored_files(app) == []
    # Scans are counted by walking the segments: a camera's progressive JPEG (10 scans) passes,
    # and SOS bytes inside another segment (a thumbnail, maker notes) are not scans.
    assert upload(inspector, canteen, progressive(mode="RGB")).status_code == 201
    padded = with_segment(progressive(), 0xE9, b"\xff\xda\x00\x08" * 500)
    assert upload(inspector, canteen, padded).status_code == 201


def test_a_decode_that_runs_out_of_cpu_time_is_stopped_and_refused(app, inspector, canteen,
                                                                    monkeypatch):
    """Whatever makes a decode slow (here: scans, with their limit lifted), it stops at the CPU
    limit: Pillow releases the GIL while decoding, so no worker timeout would fire."""
    monkeypatch.setitem(app.config, "PHOTO_JPEG_MAX_SCANS", 100_000)
    monkeypatch.setitem(app.config, "PHOTO_DECODE_CPU_SECONDS", 1)
    r = upload(inspector, canteen, scan_bomb(2048, 1500))  # about 5 CPU seconds to decode
    assert r.status_code == 422, r.get_json()
    assert "照片处理超时" in r.get_json()["message"]
    assert photo_rows() == 0 and stored_files(app) == []
    assert upload(inspector, canteen, jpeg()).status_code == 201  # the next photo is fine


def test_a_decode_that_needs_more_memory_than_allowed_is_refused(app, inspector, canteen,
                                                                 monkeypatch):
    monkeypatch.setitem(app.config, "PHOTO_DECODE_MEMORY_MB", 32)
    r = upload(inspector, canteen, blank_png(4000, 4000), filename="screen.png")  # 64 MB decoded
    assert r.status_code == 422, r.get_json()
    assert "内存过多" in r.get_json()["message"]
    assert photo_rows() == 0 and stored_files(app) == []
    monkeypatch.undo()
    assert upload(inspector, canteen, blank_png(4000, 4000), filename="screen.png").status_code == 201


def _peak_rss_growth(action) -> float:
    """MB by which this process's peak RSS rose above its RSS while `action` ran (Linux)."""
    def status(field: str) -> int:
        with open("/proc/self/status") as lines:
            return next(int(line.split()[1]) for line in lines if line.startswith(field + ":"))

    try:
        with open("/proc/self/clear_refs", "w") as clear:
            clear.write("5")  # reset the peak to the current RSS
    except OSError:
        pytest.skip("needs Linux /proc/self/clear_refs")
    before = status("VmRSS")
    action()
    return (status("VmHWM") - before) / 1024


def test_a_photo_is_decoded_outside_the_web_worker_whose_memory_stays_flat(app, inspector, canteen):
    """A 16-megapixel transparent PNG takes over 128 MB to decode and flatten; the web worker
    that answers the upload never holds it (nor keeps it afterwards)."""
    data = blank_png(4000, 4000)
    answers = []
    growth = _peak_rss_growth(lambda: answers.append(upload(inspector, canteen, data,
                                                              filename="screen.png")))
    assert answers[0].status_code == 201, answers[0].get_json()
    assert answers[0].get_json()["source"] == {"format": "PNG", "width": 4000, "height": 4000,
                                               "bytes": len(data)}
    assert growth < 64, f"the web worker's peak memory grew by {growth:.0f} MB"


def test_png_and_webp_are_refused_above_the_full_decode_pixel_limit(app, inspector, canteen):
    """PNG and WebP cannot be decoded at a reduced scale: 16 megapixels at most (JPEG: 40)."""
    r = upload(inspector, canteen, blank_png(5000, 4000), filename="screen.png")
    assert r.status_code == 422, r.get_json()
    assert r.get_json()["message"].startswith("照片像素过多（5000×4000），PNG 或 WebP 格式最多允许 1600 万像素")
    assert photo_rows() == 0 and stored_files(app) == []
    big_jpeg = jpeg(size=(5000, 4000))
    assert upload(inspector, canteen, big_jpeg).status_code == 201


@pytest.mark.parametrize("filename", ["../../../etc/cron.d/evil.jpg", "/etc/passwd",
                                      "..\\..\\windows\\evil.jpg", "照片.jpg\x00.html"])
def test_the_client_file_name_is_never_used(app, inspector, canteen, filename):
    r = upload(inspector, canteen, jpeg(), filename=filename)
    assert r.status_code == 201, r.get_json()
    body = r.get_json()
    assert "evil" not in r.get_data(as_text=True) and "passwd" not in r.get_data(as_text=True)
    root = app.config["PHOTO_DIR"]
    sha = body["sha256"]
    assert stored_files(app) == sorted([root / sha[:2] / sha[2:4] / f"{sha}.jpg",
                                        root / sha[:2] / sha[2:4] / f"{sha}.thumb.jpg"])
    assert not any("evil" in p.name or "passwd" in p.name for p in root.parent.rglob("*"))


def test_a_photo_over_the_size_limit_is_refused(app, inspector, canteen, monkeypatch):
    monkeypatch.setitem(app.config, "PHOTO_MAX_BYTES", 20_000)
    r = upload(inspector, canteen, jpeg(size=(400, 300), noise=True, quality=95))
    assert r.status_code == 413 and "照片不能超过" in r.get_json()["message"]
    assert photo_rows() == 0 and stored_files(app) == []


def test_an_oversized_request_body_is_refused(app, inspector, canteen, monkeypatch):
    monkeypatch.setitem(app.config, "MAX_CONTENT_LENGTH", 50_000)
    r = upload(inspector, canteen, b"\xff\xd8" + b"\0" * 100_000)
    assert r.status_code == 413 and r.get_json()["message"] == "提交的内容过大。"
    assert photo_rows() == 0 and stored_files(app) == []


def _database_locked():
    raise OperationalError("COMMIT", {}, Exception("database is locked"))


def test_a_database_failure_leaves_neither_row_nor_files(app, inspector, canteen, monkeypatch):
    monkeypatch.setattr(db.session, "commit", _database_locked)
    r = upload(inspector, canteen, jpeg(noise=True, size=(200, 100)))
    monkeypatch.undo()
    assert r.status_code == 503
    assert photo_rows() == 0 and stored_files(app) == []


def test_a_failed_upload_keeps_the_files_another_photo_uses(app, inspector, canteen,
                                                             monkeypatch):
    picture = jpeg(noise=True, size=(200, 100))
    kept = upload(inspector, canteen, picture).get_json()
    monkeypatch.setattr(db.session, "commit", _database_locked)
    assert upload(inspector, canteen, picture).status_code == 503
    monkeypatch.undo()
    assert photo_rows() == 1 and len(stored_files(app)) == 2
    assert inspector.get(kept["image_url"]).status_code == 200


def test_two_deliveries_of_one_photo_racing_store_it_once(inspector, canteen, monkeypatch):
    """The outbox sends again before the first answer came back: the second one loses the race
    on the unique id and answers with the first one's record."""
    photo_id, inspection_id = str(uuid4()), str(uuid4())
    first = upload(inspector, canteen, jpeg(), photo_id=photo_id, inspection_id=inspection_id)
    real_lookup = uploads._by_client_id
    calls = []

    def not_yet_visible(client_id):
        calls.append(client_id)
        return None if len(calls) == 1 else real_lookup(client_id)

    monkeypatch.setattr(uploads, "_by_client_id", not_yet_visible)
    second = upload(inspector, canteen, jpeg(), photo_id=photo_id, inspection_id=inspection_id)
    assert second.status_code == 200 and second.get_json() == first.get_json()
    assert len(calls) == 2 and photo_rows() == 1


# --- who may upload -------------------------------------------------------------------------

def test_only_inspectors_of_the_units_area_and_the_school_may_upload(login_as, canteen, anonymous):
    assert upload(anonymous, canteen, jpeg()).status_code == 401
    assert upload(login_as("bureau", "510104"), canteen, jpeg()).status_code == 403
    assert upload(login_as("admin", "510100"), canteen, jpeg()).status_code == 403
    other_county = upload(login_as("inspector", "510105"), canteen, jpeg())
    assert other_county.status_code == 422 and "unit_id" in other_county.get_json()["errors"]
    school = upload(login_as("school", school=canteen.school), canteen, jpeg())
    assert school.status_code == 422 and "target" in school.get_json()["errors"]
    assert photo_rows() == 0


@pytest.mark.parametrize("form, field", [
    ({"id": "not-a-uuid"}, "id"),
    ({"inspection_id": "x"}, "inspection_id"),
    ({"target": "item:../../x"}, "target"),
    ({"target": "report:1"}, "target"),
    ({"unit_id": "abc"}, "unit_id"),
])
def test_bad_form_fields_are_named_in_chinese(inspector, canteen, form, field):
    fields = {"id": str(uuid4()), "inspection_id": str(uuid4()), "unit_id": str(canteen.id),
              "target": "item:3.1", **form, "file": (io.BytesIO(jpeg()), "a.jpg")}
    r = inspector.post(PHOTOS, data=fields, content_type="multipart/form-data")
    assert r.status_code == 422 and field in r.get_json()["errors"], r.get_json()
    assert all("\u4e00" <= ch <= "\u9fff" for ch in r.get_json()["errors"][field][0][:1])


def test_a_missing_file_is_named(inspector, canteen):
    r = inspector.post(PHOTOS, data={"id": str(uuid4()), "inspection_id": str(uuid4()),
                                     "unit_id": str(canteen.id), "target": "item:3.1"},
                       content_type="multipart/form-data")
    assert r.status_code == 422 and "file" in r.get_json()["errors"]


# --- who may see ----------------------------------------------------------------------------

VIEWERS_BEFORE = {  # before the inspection document has arrived
    "uploader": 200, "county colleague": 200, "city inspector": 200,
    "county bureau": 404, "the school": 404,
    "other county inspector": 404, "other city bureau": 404, "other school": 404,
}
VIEWERS_AFTER = {**VIEWERS_BEFORE, "county bureau": 200, "city bureau": 200, "the school": 200}


@pytest.fixture
def viewers(login_as, inspector, canteen, make_school):
    return {
        "uploader": inspector,
        "county colleague": login_as("inspector", "510104"),
        "city inspector": login_as("inspector", "510100"),
        "county bureau": login_as("bureau", "510104"),
        "city bureau": login_as("bureau", "510100"),
        "the school": login_as("school", school=canteen.school),
        "other county inspector": login_as("inspector", "510302"),
        "other city bureau": login_as("bureau", "510300"),
        "other school": login_as("school", school=make_school(jurisdiction="510104")),
    }


def _answers(client, photo: dict) -> list[int]:
    return [client.get(url).status_code for url in (
        f"{PHOTOS}/{photo['id']}", photo["image_url"], photo["thumbnail_url"],
        f"{INSPECTIONS}/{photo['inspection_id']}/photos")]


def test_photos_are_seen_only_by_those_who_may_see_the_inspection(inspector, canteen, viewers,
                                                                  new_inspection):
    doc = new_inspection(canteen)
    photo = upload(inspector, canteen, jpeg(), inspection_id=doc["id"]).get_json()
    for name, status in VIEWERS_BEFORE.items():
        assert _answers(viewers[name], photo) == [status] * 4, name
    assert inspector.post(INSPECTIONS, json=doc).status_code == 201
    for name, status in VIEWERS_AFTER.items():
        assert _answers(viewers[name], photo) == [status] * 4, name


def test_photo_bytes_are_served_privately_as_jpeg(inspector, canteen):
    photo = upload(inspector, canteen, jpeg()).get_json()
    for url in (photo["image_url"], photo["thumbnail_url"]):
        r = inspector.get(url)
        assert r.status_code == 200 and r.mimetype == "image/jpeg"
        assert r.headers["X-Content-Type-Options"] == "nosniff"
        assert r.headers["Cache-Control"] == "private, no-store"
        assert r.data[:3] == b"\xff\xd8\xff"


def test_unknown_photo_ids_answer_404(inspector):
    for url in (f"{PHOTOS}/{uuid4()}", f"{PHOTOS}/nonsense/image", f"{PHOTOS}/{uuid4()}/thumbnail",
                f"{INSPECTIONS}/{uuid4()}/photos"):
        assert inspector.get(url).status_code == 404, url


def test_photos_of_a_deleted_inspection_leave_the_schools_view(inspector, canteen, login_as,
                                                               new_inspection):
    doc = new_inspection(canteen)
    assert inspector.post(INSPECTIONS, json=doc).status_code == 201
    photo = upload(inspector, canteen, jpeg(), inspection_id=doc["id"]).get_json()
    school = login_as("school", school=canteen.school)
    assert school.get(f"{PHOTOS}/{photo['id']}").status_code == 200
    assert inspector.delete(f"{INSPECTIONS}/{doc['id']}", json={"reason": "误录"}).status_code == 204
    assert school.get(f"{PHOTOS}/{photo['id']}").status_code == 404
    late = upload(inspector, canteen, jpeg(color=(7, 7, 7)), inspection_id=doc["id"])
    assert late.status_code == 410


# --- the school's rectification report ------------------------------------------------------

def _order(inspector, canteen, new_inspection) -> tuple[dict, int]:
    when = datetime.now().astimezone() - timedelta(days=3)
    doc = new_inspection(canteen, when=when, answers={"6.1": "no"}, handling="rectify",
                         rectification_order={"number": "锦市监责改〔2026〕9号",
                                              "deadline": (today_cst() + timedelta(days=7)).isoformat()})
    body = inspector.post(INSPECTIONS, json=doc).get_json()
    return body, body["rectification_order"]["id"]


def test_the_school_reports_rectification_with_its_own_photos(inspector, canteen, login_as,
                                                              make_school, new_inspection):
    inspection, order_id = _order(inspector, canteen, new_inspection)
    school = login_as("school", school=canteen.school)
    target = f"report:{order_id}"
    photo = upload(school, canteen, jpeg(), inspection_id=inspection["id"], target=target)
    assert photo.status_code == 201, photo.get_json()
    photo_id = photo.get_json()["id"]

    item_photo = upload(inspector, canteen, jpeg(color=(1, 1, 1)),
                        inspection_id=inspection["id"]).get_json()["id"]
    r = school.post(f"{ORDERS}/{order_id}/reports",
                    json={"id": str(uuid4()), "text": "已更换消毒柜。",
                          "photo_ids": [photo_id, item_photo, str(uuid4())]})
    assert r.status_code == 422
    assert set(r.get_json()["errors"]["photo_ids"]) == {"1", "2"}

    r = school.post(f"{ORDERS}/{order_id}/reports", json={"id": str(uuid4()), "text": "已更换消毒柜。",
                                                         "photo_ids": [photo_id]})
    assert r.status_code == 201, r.get_json()
    assert inspector.get(f"{ORDERS}/{order_id}").get_json()["reports"][0]["photo_ids"] == [photo_id]
    assert inspector.get(f"{PHOTOS}/{photo_id}").status_code == 200

    other_school = login_as("school", school=make_school(jurisdiction="510104"))
    refused = upload(other_school, canteen, jpeg(color=(4, 4, 4)), inspection_id=inspection["id"],
                     target=target)
    assert refused.status_code == 422 and "unit_id" in refused.get_json()["errors"]
    wrong_order = upload(school, canteen, jpeg(color=(5, 5, 5)), inspection_id=str(uuid4()),
                         target=target)
    assert wrong_order.status_code == 422 and "target" in wrong_order.get_json()["errors"]
    assert other_school.get(f"{PHOTOS}/{photo_id}").status_code == 404



def test_sweep_removes_only_old_files_no_record_refers_to(app, inspector, canteen):
    """A crash between file and row leaves files behind; the daily sweep removes them, later."""
    root = app.config["PHOTO_DIR"]
    kept = upload(inspector, canteen, jpeg()).get_json()["sha256"]
    orphan, fresh = "b" * 64, "c" * 64
    for digest in (orphan, fresh):
        storage.write_files(root, digest, {"image": b"x", "thumbnail": b"y"})
    stale = storage.path_for(root, orphan, "image").parent / ".tmp-leftover"
    stale.write_bytes(b"z")
    two_hours_ago = time.time() - 7200
    for path in stored_files(app):
        if fresh not in path.name:
            os.utime(path, (two_hours_ago, two_hours_ago))
    assert sweep_orphan_files(root, timedelta(hours=1)) == 3
    assert storage.has_files(root, kept) and storage.has_files(root, fresh)
    assert not storage.path_for(root, orphan, "image").exists() and not stale.exists()


# --- bounded growth: a daily limit per account, photos whose inspection never arrives --------

def test_an_account_uploads_at_most_the_daily_limit_of_new_photos(app, inspector, canteen, login_as,
                                                                 monkeypatch):
    monkeypatch.setitem(app.config, "PHOTO_DAILY_LIMIT", 2)
    first_id = str(uuid4())
    first = upload(inspector, canteen, jpeg(), photo_id=first_id)
    assert first.status_code == 201
    assert upload(inspector, canteen, jpeg(color=(1, 2, 3))).status_code == 201
    r = upload(inspector, canteen, jpeg(color=(4, 5, 6)))
    assert r.status_code == 429, r.get_json()  # the phone's outbox keeps it and retries later
    assert r.get_json()["message"] == "今天上传的照片已达上限（每个账户每天 2 张），请明天再上传。"
    assert 60 <= int(r.headers["Retry-After"]) <= 24 * 3600
    assert photo_rows() == 2 and len(stored_files(app)) == 4
    # Sending a stored photo again is no new photo; another account has its own limit.
    again = upload(inspector, canteen, jpeg(), photo_id=first_id,
                   inspection_id=first.get_json()["inspection_id"])
    assert again.status_code == 200
    assert upload(login_as("inspector", "510104"), canteen, jpeg(color=(7, 8, 9))).status_code == 201
    # Yesterday's uploads (China time) do not count today.
    db.session.execute(update(Photo).where(Photo.created_by_id == inspector.user.id)
                       .values(created_at=Photo.created_at - timedelta(days=1)))
    db.session.commit()
    assert upload(inspector, canteen, jpeg(color=(4, 5, 6))).status_code == 201


def _age(client_id: str, days: int) -> None:
    db.session.execute(update(Photo).where(Photo.client_id == client_id)
                       .values(created_at=utcnow() - timedelta(days=days)))
    db.session.commit()


def _sweep_by_job(app) -> dict:
    # Today's run after the day's run time (02:00 CST by default): right after midnight CST the
    # day's jobs are not due yet, so the real clock would make this test fail from 00:00 to 02:00.
    day = today_cst()
    run_time = datetime(day.year, day.month, day.day, 3, tzinfo=CST)
    tick(run_time, jobs=(JOBS_BY_NAME["photo_sweep"],))
    db.session.expire_all()
    run = db.session.scalar(select(JobRun).where(JobRun.job == "photo_sweep"))
    assert run.status == RunStatus.SUCCEEDED
    return run.result


def _sweep_by_command(app) -> dict:
    result = app.test_cli_runner().invoke(args=["photos", "sweep"])
    assert result.exit_code == 0, result.output
    rows, files = (int(n) for n in re.findall(r"(\d+) (?:张|个)", result.output))
    return {"rows_removed": rows, "removed": files}


@pytest.mark.parametrize("sweep", [_sweep_by_job, _sweep_by_command], ids=["daily-job", "command"])
def test_photos_whose_inspection_never_arrived_are_removed_with_their_files_after_30_days(
        app, inspector, canteen, new_inspection, sweep):
    arrived, deleted = new_inspection(canteen), new_inspection(canteen)
    for doc in (arrived, deleted):
        assert inspector.post(INSPECTIONS, json=doc).status_code == 201
    shared = jpeg(noise=True, size=(120, 90))
    photos = {
        "never arrived, 31 days": upload(inspector, canteen, jpeg(color=(9, 1, 1))),
        "never arrived, same picture as a kept one": upload(inspector, canteen, shared),
        "never arrived, 29 days": upload(inspector, canteen, jpeg(color=(9, 2, 2))),
        "arrived, 40 days": upload(inspector, canteen, shared, inspection_id=arrived["id"]),
        "deleted inspection, 40 days": upload(inspector, canteen, jpeg(color=(9, 3, 3)),
                                              inspection_id=deleted["id"]),
    }
    assert all(r.status_code == 201 for r in photos.values())
    photos = {name: r.get_json() for name, r in photos.items()}
    assert inspector.delete(f"{INSPECTIONS}/{deleted['id']}", json={"reason": "误录"}).status_code == 204
    for name, days in (("never arrived, 31 days", 31), ("never arrived, same picture as a kept one", 31),
                       ("never arrived, 29 days", 29), ("arrived, 40 days", 40),
                       ("deleted inspection, 40 days", 40)):
        _age(photos[name]["id"], days)
    for path in stored_files(app):  # the files are as old as their rows
        os.utime(path, (time.time() - 40 * 86400,) * 2)

    assert sweep(app) == {"rows_removed": 2, "removed": 2}
    kept = set(db.session.scalars(select(Photo.client_id)))
    assert kept == {photos[name]["id"] for name in ("never arrived, 29 days", "arrived, 40 days",
                                                    "deleted inspection, 40 days")}
    root = app.config["PHOTO_DIR"]
    gone = photos["never arrived, 31 days"]["sha256"]
    assert not storage.path_for(root, gone, "image").exists()
    assert storage.has_files(root, photos["arrived, 40 days"]["sha256"])  # the shared picture
    assert len(stored_files(app)) == 6
    assert inspector.get(photos["arrived, 40 days"]["image_url"]).status_code == 200
