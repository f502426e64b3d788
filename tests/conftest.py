"""Fixtures: an app on a throwaway database (tests/database.py) holding a small real jurisdiction
tree, the factories of tests/factories.py, and API clients per role."""

from __future__ import annotations

import pytest

from config import TestConfig
from foodsafety import create_app
from foodsafety.accounts.models import User
from foodsafety.extensions import db
from foodsafety.registry.divisions import load_divisions
from foodsafety.registry.models import School
from tests.database import DIVISIONS, clear_tables, database_url
from tests.factories import (
    ApiClient,
    create_link,
    create_school,
    create_unit,
    create_user,
    inspection_doc,
    session_client,
)


@pytest.fixture(scope="session")
def app(tmp_path_factory):
    root = tmp_path_factory.mktemp("instance")
    url, drop = database_url(root)
    app = create_app(TestConfig, SQLALCHEMY_DATABASE_URI=url, INSTANCE_DIR=root,
                     PHOTO_DIR=root / "photos")
    with app.app_context():
        db.create_all()
        load_divisions(DIVISIONS)
        db.session.commit()
    yield app
    with app.app_context():
        db.session.remove()
        db.engine.dispose()
    drop()



@pytest.fixture(autouse=True)
def _clean_tables(request):
    """Every test starts from the jurisdiction tree alone (unless it reads a shared world)."""
    if "app" not in request.fixturenames or request.node.get_closest_marker("shared_data"):
        yield
        return
    app = request.getfixturevalue("app")
    with app.app_context():
        yield
        clear_tables()


@pytest.fixture
def client(app):
    return app.test_client()



@pytest.fixture
def make_school(app):
    return create_school


@pytest.fixture
def make_unit(app):
    return create_unit


@pytest.fixture
def make_link(app):
    return create_link


@pytest.fixture
def make_user(app):
    return create_user


@pytest.fixture
def login_as(app):
    """`login_as("inspector", "510104")` → an ApiClient holding that user's session."""

    def login(role: str = "inspector", jurisdiction: str = "510104", school: School | None = None,
              user: User | None = None) -> ApiClient:
        return session_client(app, role, jurisdiction, school, user)

    return login


@pytest.fixture
def anonymous(app):
    return ApiClient(app.test_client(), None, None)


@pytest.fixture
def new_inspection():
    return inspection_doc
