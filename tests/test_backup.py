"""Backup and restore: an administrator can back up a running instance and bring it back
whole onto a new, empty one, and can tell whether an instance matches a backup."""

from __future__ import annotations

import io
import json
import threading
from datetime import timedelta
from pathlib import Path
from uuid import uuid4

import pytest
from PIL import Image
from sqlalchemy import func, select

from config import TestConfig
from foodsafety import create_app
from foodsafety.backup import services
from foodsafety.extensions import db
from foodsafety.inspections.models import Inspection
from foodsafety.photos.models import Photo
from foodsafety.timeutil import today_cst
from tests.database import database_url


def jpeg(color: tuple[int, int, int]) -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (64, 48), color).save(buffer, "JPEG")
    return buffer.getvalue()


def upload(api, unit, inspection_id: str, item: str, data: bytes):
    return api.post("/api/v1/photos", content_type="multipart/form-data", data={
        "id": str(uuid4()), "inspection_id": inspection_id, "unit_id": str(unit.id),
        "target": f"item:{item}", "file": (io.BytesIO(data), "IMG_0001.jpg", "image/jpeg")})


@pytest.fixture
def inspector(login_as):
    return login_as("inspector", "510104")


@pytest.fixture
def canteen(make_unit):
    return make_unit("canteen", "510104")


@pytest.fixture
def recorded(inspector, canteen, new_inspection):
    """Two inspections, one with a failed item, a rectification order and two photos."""
    first = new_inspection(canteen)
    assert inspector.post("/api/v1/inspections", json=first).status_code == 201
    second = new_inspection(canteen, answers={"3.1": "no"}, handling="rectify",
                            rectification_order={"number": "锦市监责改〔2026〕1号",
                                                 "deadline": str(today_cst() + timedelta(days=14))})
    for item, color in (("3.1", (200, 30, 30)), ("4.2", (30, 200, 30))):
        assert upload(inspector, canteen, second["id"], item, jpeg(color)).status_code == 201
    assert inspector.post("/api/v1/inspections", json=second).status_code == 201
    return second


@pytest.fixture
def backups(tmp_path) -> Path:
    return tmp_path / "backups"


@pytest.fixture
def fresh_instance(tmp_path):
    """An application on a brand-new empty database (like a newly installed server)."""
    root = tmp_path / "restored"
    root.mkdir()
    url, drop = database_url(root)
    target = create_app(TestConfig, SQLALCHEMY_DATABASE_URI=url, INSTANCE_DIR=root,
                        PHOTO_DIR=root / "photos")
    yield target
    with target.app_context():
        db.session.remove()
        db.engine.dispose()
    drop()


def run(app, *args: str):
    """`flask backup ...` on `app` (its own app context: the test's belongs to the session app)."""
    with app.app_context():
        return app.test_cli_runner().invoke(args=["backup", *map(str, args)])


def create(app, directory: Path) -> Path:
    before = set(directory.iterdir()) if directory.exists() else set()
    result = run(app, "create", directory)
    assert result.exit_code == 0, result.output
    assert "备份完成" in result.output
    (archive,) = set(directory.iterdir()) - before
    return archive


def test_a_backup_restored_onto_an_empty_instance_is_identical_and_works(
        app, recorded, inspector, backups, fresh_instance):
    archive = create(app, backups)
    manifest = json.loads((archive / "manifest.json").read_text())
    assert manifest["tables"]["inspections"] == 2 and manifest["tables"]["photos"] == 2
    assert len(manifest["photos"]) == 4  # an image and a thumbnail per photo

    result = run(fresh_instance, "restore", archive)
    assert result.exit_code == 0, result.output
    assert "核对一致" in result.output
    assert run(fresh_instance, "verify", archive).exit_code == 0

    # The inspector's phone, pointed at the restored server, sees its record and photos.
    phone = fresh_instance.test_client()
    headers = {"Authorization": f"Bearer {inspector.token}"}
    record = phone.get(f"/api/v1/inspections/{recorded['id']}", headers=headers)
    assert record.status_code == 200
    photos = phone.get(f"/api/v1/inspections/{recorded['id']}/photos", headers=headers).get_json()
    assert len(photos) == 2
    for photo in photos:
        restored = phone.get(photo["image_url"], headers=headers)
        original = inspector.get(photo["image_url"])
        assert restored.status_code == 200 and restored.data == original.data


def test_restore_refuses_an_instance_that_already_has_data(app, recorded, backups):
    archive = create(app, backups)
    result = run(app, "restore", archive)
    assert result.exit_code == 1
    assert "目标数据库不是空的" in result.output
    assert db.session.scalar(select(func.count()).select_from(Inspection)) == 2


def test_verify_names_what_differs_from_the_backup(app, recorded, inspector, canteen, backups,
                                                   new_inspection):
    archive = create(app, backups)
    assert run(app, "verify", archive).exit_code == 0

    assert inspector.post("/api/v1/inspections", json=new_inspection(canteen)).status_code == 201
    photo = db.session.scalar(select(Photo).limit(1))
    image = services.storage.path_for(app.config["PHOTO_DIR"], photo.sha256, "image")
    saved = image.read_bytes()
    image.write_bytes(b"not the photo")
    try:
        result = run(app, "verify", archive)
    finally:
        image.write_bytes(saved)
    assert result.exit_code == 1
    assert "表 inspections：备份 2 行，当前 3 行" in result.output
    assert "内容与备份不同的照片文件（1 个）" in result.output


def test_a_damaged_backup_is_refused_before_anything_is_restored(app, recorded, backups,
                                                                fresh_instance):
    archive = create(app, backups)
    (next((archive / "photos").rglob("*.jpg"))).write_bytes(b"damaged")
    result = run(fresh_instance, "restore", archive)
    assert result.exit_code == 1
    assert "备份已损坏" in result.output
    assert not (Path(fresh_instance.config["PHOTO_DIR"])).exists()


def test_a_backup_of_one_database_kind_is_not_restored_onto_the_other(app, recorded, backups,
                                                                     fresh_instance):
    archive = create(app, backups)
    manifest_path = archive / "manifest.json"
    manifest = json.loads(manifest_path.read_text())
    manifest["dialect"] = "postgresql" if manifest["dialect"] == "sqlite" else "sqlite"
    manifest_path.write_text(json.dumps(manifest))
    result = run(fresh_instance, "restore", archive)
    assert result.exit_code == 1
    assert "不能恢复到" in result.output


def test_an_unfinished_or_foreign_folder_is_not_a_backup(app, tmp_path):
    result = run(app, "verify", tmp_path)
    assert result.exit_code == 1
    assert "不是完整的备份" in result.output


def test_a_backup_taken_while_inspections_arrive_matches_its_manifest(
        app, recorded, login_as, canteen, new_inspection, backups, fresh_instance):
    """The counts and photos in the manifest are those of the copied snapshot, not of later
    writes: restoring the archive gives exactly the manifest."""
    phones = [login_as("inspector", "510104") for _ in range(3)]
    documents = [[new_inspection(canteen) for _ in range(30)] for _ in phones]
    stop = threading.Event()
    answers: list[int] = []

    def keep_submitting(phone, docs) -> None:
        for doc in docs:
            if stop.is_set():
                return
            answers.append(phone.post("/api/v1/inspections", json=doc).status_code)

    writers = [threading.Thread(target=keep_submitting, args=pair)
               for pair in zip(phones, documents, strict=True)]
    for writer in writers:
        writer.start()
    try:
        archive = create(app, backups)
    finally:
        stop.set()
        for writer in writers:
            writer.join(timeout=60)
    assert set(answers) <= {201, 503}

    result = run(fresh_instance, "restore", archive)
    assert result.exit_code == 0, result.output
    manifest = json.loads((archive / "manifest.json").read_text())
    with fresh_instance.app_context():
        restored = db.session.scalar(select(func.count()).select_from(Inspection))
    assert restored == manifest["tables"]["inspections"] >= 2


def test_backups_get_distinct_timestamped_names(app, recorded, backups):
    first, second = create(app, backups), create(app, backups)
    assert first.name != second.name
    assert all(p.name.startswith(services.PREFIX) for p in (first, second))
    assert sorted(p.name for p in backups.iterdir()) == sorted([first.name, second.name])
