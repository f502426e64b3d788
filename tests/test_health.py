"""Probes: a load balancer can tell a live process from one whose database is gone."""

from __future__ import annotations

from config import TestConfig
from foodsafety import create_app


def test_healthz_answers_ok_without_login(client):
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.get_json() == {"status": "ok"}


def test_readyz_checks_the_database(client):
    response = client.get("/readyz")
    assert response.status_code == 200
    assert response.get_json() == {"status": "ok", "database": "ok"}


def test_probes_reveal_nothing_but_their_status(client):
    """Anyone can call them, so they must not leak data, versions or configuration."""
    for path in ("/healthz", "/readyz"):
        response = client.get(path)
        assert set(response.get_json()) <= {"status", "database"}
        assert response.headers["X-Content-Type-Options"] == "nosniff"


def test_readyz_answers_503_in_the_error_shape_when_the_database_is_unreachable(tmp_path):
    broken = create_app(TestConfig, INSTANCE_DIR=tmp_path,
                        SQLALCHEMY_DATABASE_URI=f"sqlite:///{tmp_path}/missing/dir/db.sqlite3")
    client = broken.test_client()
    response = client.get("/readyz")
    assert response.status_code == 503
    body = response.get_json()
    assert body["code"] == 503 and body["reason"] == "database_unavailable"
    assert "数据库" in body["message"]
    assert response.headers["Retry-After"] == "5"
    # Liveness does not depend on the database.
    assert client.get("/healthz").status_code == 200


def test_probes_only_answer_get(client):
    assert client.post("/healthz").status_code == 405
