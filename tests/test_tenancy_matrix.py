"""Every API route × every role × an object in scope and one out of scope.

The matrix below is the expected answer of each route; a route of the app that is missing from
it fails `test_every_route_is_in_the_matrix`. Out of scope answers exactly like "does not
exist": 404 for an object in the URL, 422 "不存在或不在您的辖区内" for one named in the body.
"""

from __future__ import annotations

import base64
import io
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, timedelta
from types import SimpleNamespace

import pytest
from PIL import Image, ImageDraw

from foodsafety.accounts.auth import open_session
from foodsafety.accounts.models import Role, TwoFactorPolicy
from foodsafety.extensions import db
from foodsafety.inspections.models import Inspection
from foodsafety.registry.models import School, UnitKind
from foodsafety.timeutil import today_cst
from tests.database import clear_tables
from tests.factories import (
    create_link,
    create_school,
    create_unit,
    create_user,
    inspection_doc,
    session_client,
)

ROLES = ("inspector", "bureau_city", "bureau_county", "school", "admin", "auditor", "anonymous")
STAFF = {"inspector", "bureau_city", "bureau_county", "admin"}
EVERYONE = STAFF | {"school"}  # every role that works with the records; the auditor reads the log only
ACCOUNT_HOLDERS = EVERYONE | {"auditor"}  # one's own account: me, logout, password, two-factor
YEAR = today_cst().year


@dataclass
class Side:
    """The objects of one tenant: 锦江区 (in scope for the users) or 自流井区 (out of scope).

    Plain ids only, so a side built once per module outlives its database session.
    """

    county: str
    school_id: int = 0
    canteen_id: int = 0
    supplier_id: int = 0
    link_id: int = 0
    inspection: dict = field(default_factory=dict)
    order_id: int = 0
    finding_id: int = 0
    case_id: int = 0
    user_id: int = 0
    session_id: int = 0
    photo_id: str = ""
    snapshot_id: int = 0

    @property
    def canteen(self) -> SimpleNamespace:
        return SimpleNamespace(id=self.canteen_id, kind=UnitKind.CANTEEN)


def _build_side(app, county: str) -> Side:
    side = Side(county)
    school = create_school(jurisdiction=county)
    canteen = create_unit("canteen", county, school=school)
    supplier = create_unit("supplier", county)
    link = create_link(supplier, school, ends_on=date(2025, 12, 31))
    side.school_id, side.canteen_id, side.supplier_id, side.link_id = (
        school.id, canteen.id, supplier.id, link.id)
    author = session_client(app, "inspector", county)
    doc = inspection_doc(side.canteen, answers={"6.1": "no"}, handling="rectify",
                         rectification_order={"number": f"{county}-1",
                                              "deadline": today_cst().isoformat()},
                         operator_signature={"state": "signed", "image": signature_url()})
    side.inspection = author.post("/api/v1/inspections", json=doc).get_json()
    side.order_id = side.inspection["rectification_order"]["id"]
    side.finding_id = side.inspection["findings"][0]["id"]
    side.case_id = author.post("/api/v1/cases", json={
        "case_no": f"{county}-C1", "unit_id": side.canteen_id,
        "filed_on": (today_cst() - timedelta(days=3)).isoformat()}).get_json()["id"]
    colleague = create_user("inspector", county)
    side.user_id = colleague.id
    side.session_id = open_session(colleague)[1].id
    db.session.add(TwoFactorPolicy(jurisdiction_code=county, role=Role.SCHOOL))
    db.session.commit()
    side.photo_id = author.client.post("/api/v1/photos", data=photo_form(side, "item:6.1"),
                                       headers={"Authorization": f"Bearer {author.token}"},
                                       content_type="multipart/form-data").get_json()["id"]
    side.snapshot_id = author.post(f"/api/v1/statistics/{county}/{YEAR}/snapshots",
                                   json={"kind": "draft"}).get_json()["id"]
    return side


def jpeg() -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (64, 48), (200, 80, 40)).save(buffer, "JPEG")
    return buffer.getvalue()


def signature_url() -> str:
    """The operator's signature as the phone sends it: a PNG data URL of a canvas."""
    image = Image.new("RGBA", (320, 120), (0, 0, 0, 0))
    ImageDraw.Draw(image).line([(20, 90), (120, 30), (220, 100), (300, 40)], fill=(0, 0, 0, 255), width=5)
    buffer = io.BytesIO()
    image.save(buffer, "PNG")
    return "data:image/png;base64," + base64.b64encode(buffer.getvalue()).decode()


def photo_form(side: Side, target: str) -> dict:
    return {"id": str(uuid.uuid4()), "inspection_id": side.inspection["id"],
            "unit_id": str(side.canteen_id), "target": target,
            "file": (io.BytesIO(jpeg()), "photo.jpg")}


def _build_world(app):
    mine, theirs = _build_side(app, "510104"), _build_side(app, "510302")
    school = db.session.get(School, mine.school_id)
    clients = {
        "inspector": session_client(app, "inspector", "510104"),
        "bureau_city": session_client(app, "bureau", "510100"),
        "bureau_county": session_client(app, "bureau", "510104"),
        "school": session_client(app, "school", school=school),
        "admin": session_client(app, "admin", "510100"),
        "auditor": session_client(app, "auditor", "510100"),
    }
    return mine, theirs, clients


@pytest.fixture
def world(app):
    """A fresh world for a test that changes it (any shared world's rows go first)."""
    clear_tables()
    return _build_world(app)


@pytest.fixture(scope="module")
def shared_world(app):
    """One world for all the read-only checks of this module."""
    with app.app_context():
        clear_tables()
        built = _build_world(app)
    yield built
    with app.app_context():
        clear_tables()


@dataclass
class Route:
    url: Callable[[Side], str]
    allowed: set[str]
    ok: int = 200
    body: Callable[[Side], dict] | None = None
    out_of_scope: int = 404  # answer for the other tenant's object
    scoped: bool = True  # False: the route has no object to be out of scope
    multipart: bool = False
    role_body: dict[str, Callable[[Side], dict]] = field(default_factory=dict)
    anonymous: int = 302  # pages: a visitor not logged in goes to the login page (an image: 401)


def _day(n=0):
    return (today_cst() - timedelta(days=n)).isoformat()


MATRIX: dict[tuple[str, str], Route] = {
    ("GET", "/api/v1/auth/me"): Route(lambda s: "/api/v1/auth/me", ACCOUNT_HOLDERS, scoped=False),
    ("PATCH", "/api/v1/auth/me"): Route(lambda s: "/api/v1/auth/me", ACCOUNT_HOLDERS, scoped=False,
                                        body=lambda s: {"badge_no": "51010400009"}),
    ("POST", "/api/v1/auth/logout"): Route(lambda s: "/api/v1/auth/logout", ACCOUNT_HOLDERS, ok=204,
                                           scoped=False),
    ("POST", "/api/v1/auth/password"): Route(
        lambda s: "/api/v1/auth/password", ACCOUNT_HOLDERS, ok=422, scoped=False,
        body=lambda s: {"current_password": "wrong", "new_password": "Another#Pass2026"}),
    ("GET", "/api/v1/auth/two-factor"): Route(lambda s: "/api/v1/auth/two-factor", ACCOUNT_HOLDERS,
                                              scoped=False),
    ("POST", "/api/v1/auth/two-factor/recovery-codes"): Route(
        lambda s: "/api/v1/auth/two-factor/recovery-codes", ACCOUNT_HOLDERS, ok=422, scoped=False,
        body=lambda s: {"code": "123456"}),  # not enrolled: nothing to regenerate
    ("GET", "/api/v1/jurisdictions"): Route(lambda s: f"/api/v1/jurisdictions?parent={s.county}",
                                            STAFF),
    ("GET", "/api/v1/schools"): Route(lambda s: f"/api/v1/schools?jurisdiction={s.county}",
                                      EVERYONE, scoped=False),
    ("POST", "/api/v1/schools"): Route(
        lambda s: "/api/v1/schools", {"admin"}, ok=201, out_of_scope=422,
        body=lambda s: {"name": "新建学校", "stage": "primary", "jurisdiction_code": s.county}),
    ("GET", "/api/v1/schools/<int:school_id>"): Route(lambda s: f"/api/v1/schools/{s.school_id}",
                                                      EVERYONE),
    ("PATCH", "/api/v1/schools/<int:school_id>"): Route(
        lambda s: f"/api/v1/schools/{s.school_id}", {"admin"}, body=lambda s: {"address": "新地址"}),
    ("GET", "/api/v1/units"): Route(lambda s: f"/api/v1/units?jurisdiction={s.county}", EVERYONE,
                                    scoped=False),
    ("POST", "/api/v1/units"): Route(
        lambda s: "/api/v1/units", {"admin", "inspector"}, ok=201, out_of_scope=422,
        body=lambda s: {"kind": "unlicensed", "name": "无证摊贩", "jurisdiction_code": s.county}),
    ("GET", "/api/v1/units/<int:unit_id>"): Route(lambda s: f"/api/v1/units/{s.canteen_id}",
                                                  EVERYONE),
    ("PATCH", "/api/v1/units/<int:unit_id>"): Route(
        lambda s: f"/api/v1/units/{s.canteen_id}", {"admin", "inspector"},
        body=lambda s: {"address": "新地址"}),
    ("GET", "/api/v1/units/<int:unit_id>/dossier"): Route(
        lambda s: f"/api/v1/units/{s.canteen_id}/dossier", STAFF),
    ("GET", "/api/v1/tasks"): Route(lambda s: "/api/v1/tasks", {"inspector"}, scoped=False),
    ("GET", "/api/v1/supply-links"): Route(lambda s: "/api/v1/supply-links", EVERYONE,
                                           scoped=False),
    ("POST", "/api/v1/supply-links"): Route(
        lambda s: "/api/v1/supply-links", {"admin"}, ok=201, out_of_scope=422,
        body=lambda s: {"supplier_id": s.supplier_id, "school_id": s.school_id,
                        "starts_on": "2026-09-01"}),
    ("GET", "/api/v1/supply-links/<int:link_id>"): Route(
        lambda s: f"/api/v1/supply-links/{s.link_id}", EVERYONE),
    ("PATCH", "/api/v1/supply-links/<int:link_id>"): Route(
        lambda s: f"/api/v1/supply-links/{s.link_id}", {"admin"},
        body=lambda s: {"ends_on": "2026-08-31"}),
    ("GET", "/api/v1/inspections"): Route(lambda s: "/api/v1/inspections", EVERYONE,
                                          scoped=False),
    ("POST", "/api/v1/inspections"): Route(
        lambda s: "/api/v1/inspections", {"inspector"}, ok=201, out_of_scope=422,
        body=lambda s: inspection_doc(s.canteen)),
    ("GET", "/api/v1/inspections/<string:uuid>"): Route(
        lambda s: f"/api/v1/inspections/{s.inspection['id']}", EVERYONE),
    ("PUT", "/api/v1/inspections/<string:uuid>"): Route(
        lambda s: f"/api/v1/inspections/{s.inspection['id']}", {"inspector"},
        body=lambda s: {**inspection_doc(s.canteen), "id": s.inspection["id"], "reason": "更正",
                        "base_revision": 1}),
    ("DELETE", "/api/v1/inspections/<string:uuid>"): Route(
        lambda s: f"/api/v1/inspections/{s.inspection['id']}", {"inspector"}, ok=204,
        body=lambda s: {"reason": "误录"}),
    ("GET", "/api/v1/inspections/<string:uuid>/revisions"): Route(
        lambda s: f"/api/v1/inspections/{s.inspection['id']}/revisions",
        {"inspector", "bureau_city", "bureau_county", "admin"}),
    ("GET", "/api/v1/inspections/<string:uuid>/history"): Route(
        lambda s: f"/api/v1/inspections/{s.inspection['id']}/history",
        {"inspector", "bureau_city", "bureau_county", "admin"}),
    # The printed 监督检查结果记录表 and 责令改正通知书 (PDF): whoever reads the record.
    ("GET", "/api/v1/inspections/<string:uuid>/record.pdf"): Route(
        lambda s: f"/api/v1/inspections/{s.inspection['id']}/record.pdf", EVERYONE),
    # The operator's signature given on the phone for one revision: whoever reads the record.
    ("GET", "/api/v1/inspections/<string:uuid>/revisions/<int:revision>/signature.png"): Route(
        lambda s: f"/api/v1/inspections/{s.inspection['id']}/revisions/1/signature.png", EVERYONE),
    ("GET", "/api/v1/rectification-orders/<int:order_id>/notice.pdf"): Route(
        lambda s: f"/api/v1/rectification-orders/{s.order_id}/notice.pdf", EVERYONE),
    ("POST", "/api/v1/rectification-orders/number-blocks"): Route(
        lambda s: "/api/v1/rectification-orders/number-blocks", {"inspector"}, ok=201, scoped=False,
        body=lambda s: {"device_id": str(uuid.uuid4()), "size": 5}),
    ("GET", "/api/v1/rectification-orders"): Route(lambda s: "/api/v1/rectification-orders",
                                                   EVERYONE, scoped=False),
    ("GET", "/api/v1/rectification-orders/<int:order_id>"): Route(
        lambda s: f"/api/v1/rectification-orders/{s.order_id}", EVERYONE),
    ("POST", "/api/v1/rectification-orders/<int:order_id>/rechecks"): Route(
        lambda s: f"/api/v1/rectification-orders/{s.order_id}/rechecks", {"inspector"}, ok=201,
        body=lambda s: {"checked_on": _day(), "inspectors": [{"name": "张三"}],
                        "results": [{"finding_id": s.finding_id, "rectified": True}]}),
    ("POST", "/api/v1/rectification-orders/<int:order_id>/reports"): Route(
        lambda s: f"/api/v1/rectification-orders/{s.order_id}/reports", {"school"}, ok=201,
        body=lambda s: {"id": str(uuid.uuid4()), "text": "已整改"}),
    ("GET", "/api/v1/cases"): Route(lambda s: "/api/v1/cases", STAFF, scoped=False),
    ("POST", "/api/v1/cases"): Route(
        lambda s: "/api/v1/cases", {"inspector"}, ok=201, out_of_scope=422,
        body=lambda s: {"case_no": f"{s.county}-new", "unit_id": s.canteen_id,
                        "filed_on": _day(1)}),
    ("GET", "/api/v1/cases/<int:case_id>"): Route(lambda s: f"/api/v1/cases/{s.case_id}", STAFF),
    ("PATCH", "/api/v1/cases/<int:case_id>"): Route(
        lambda s: f"/api/v1/cases/{s.case_id}", {"inspector"}, body=lambda s: {"summary": "补充"}),
    ("GET", "/api/v1/users"): Route(lambda s: "/api/v1/users", {"admin"}, scoped=False),
    ("POST", "/api/v1/users"): Route(
        lambda s: "/api/v1/users", {"admin"}, ok=201, out_of_scope=422,
        body=lambda s: {"username": f"new.{s.county}", "display_name": "新用户",
                        "password": "Strong#Pass2026", "role": "bureau",
                        "jurisdiction_code": s.county}),
    ("GET", "/api/v1/users/<int:user_id>"): Route(lambda s: f"/api/v1/users/{s.user_id}",
                                                  {"admin"}),
    ("PATCH", "/api/v1/users/<int:user_id>"): Route(lambda s: f"/api/v1/users/{s.user_id}",
                                                    {"admin"}, body=lambda s: {"display_name": "改名"}),
    ("GET", "/api/v1/users/<int:user_id>/sessions"): Route(
        lambda s: f"/api/v1/users/{s.user_id}/sessions", {"admin"}),
    ("DELETE", "/api/v1/users/<int:user_id>/sessions"): Route(
        lambda s: f"/api/v1/users/{s.user_id}/sessions", {"admin"}, ok=204),
    ("DELETE", "/api/v1/users/<int:user_id>/sessions/<int:session_id>"): Route(
        lambda s: f"/api/v1/users/{s.user_id}/sessions/{s.session_id}", {"admin"}, ok=204),
    ("GET", "/api/v1/two-factor-policies"): Route(lambda s: "/api/v1/two-factor-policies", {"admin"},
                                                  scoped=False),
    ("PUT", "/api/v1/two-factor-policies/<string:code>/<string:role>"): Route(
        lambda s: f"/api/v1/two-factor-policies/{s.county}/inspector", {"admin"}),
    ("DELETE", "/api/v1/two-factor-policies/<string:code>/<string:role>"): Route(
        lambda s: f"/api/v1/two-factor-policies/{s.county}/school", {"admin"}, ok=204),
    # Separation of duties: the auditor reads the log, the admin (who manages users) cannot.
    ("GET", "/api/v1/audit"): Route(lambda s: "/api/v1/audit", {"auditor"}, scoped=False),
    ("GET", "/api/v1/audit/export.csv"): Route(lambda s: "/api/v1/audit/export.csv", {"auditor"},
                                               scoped=False),
    ("GET", "/api/v1/forms"): Route(lambda s: "/api/v1/forms", EVERYONE, scoped=False),
    ("GET", "/api/v1/forms/<string:form_id>/<int:version>"): Route(
        lambda s: "/api/v1/forms/canteen/1", EVERYONE, scoped=False),
    ("GET", "/api/v1/forms/vocabulary"): Route(lambda s: "/api/v1/forms/vocabulary", ACCOUNT_HOLDERS,
                                               scoped=False),
    ("GET", "/api/v1/imports/template.xlsx"): Route(lambda s: "/api/v1/imports/template.xlsx",
                                                    STAFF, scoped=False),
    ("POST", "/api/v1/imports"): Route(lambda s: "/api/v1/imports", {"admin"}, ok=422,
                                       scoped=False, multipart=True, body=lambda s: {}),
    ("POST", "/api/v1/imports/check"): Route(lambda s: "/api/v1/imports/check", {"admin"}, ok=422,
                                             scoped=False, multipart=True, body=lambda s: {}),
    ("POST", "/api/v1/photos"): Route(
        lambda s: "/api/v1/photos", {"inspector", "school"}, ok=201, out_of_scope=422,
        multipart=True, body=lambda s: photo_form(s, "item:6.1"),
        role_body={"school": lambda s: photo_form(s, f"report:{s.order_id}")}),
    ("GET", "/api/v1/photos/<string:photo_id>"): Route(lambda s: f"/api/v1/photos/{s.photo_id}",
                                                       EVERYONE),
    ("GET", "/api/v1/photos/<string:photo_id>/image"): Route(
        lambda s: f"/api/v1/photos/{s.photo_id}/image", EVERYONE),
    ("GET", "/api/v1/photos/<string:photo_id>/thumbnail"): Route(
        lambda s: f"/api/v1/photos/{s.photo_id}/thumbnail", EVERYONE),
    ("GET", "/api/v1/inspections/<string:uuid>/photos"): Route(
        lambda s: f"/api/v1/inspections/{s.inspection['id']}/photos", EVERYONE),
    ("GET", "/api/v1/scheduler/runs"): Route(lambda s: "/api/v1/scheduler/runs", STAFF,
                                             scoped=False),
    ("GET", "/api/v1/school-view/suppliers"): Route(lambda s: "/api/v1/school-view/suppliers",
                                                    {"school"}, scoped=False),
    ("GET", "/api/v1/statistics/<string:code>/<string:period>"): Route(
        lambda s: f"/api/v1/statistics/{s.county}/{YEAR}", STAFF),
    ("GET", "/api/v1/statistics/<string:code>/<string:period>/breakdown"): Route(
        lambda s: f"/api/v1/statistics/{s.county}/{YEAR}/breakdown", STAFF),
    ("GET", "/api/v1/statistics/<string:code>/<string:period>/coverage"): Route(
        lambda s: f"/api/v1/statistics/{s.county}/{YEAR}/coverage", STAFF),
    ("GET", "/api/v1/statistics/<string:code>/<string:period>/coverage/export.xlsx"): Route(
        lambda s: f"/api/v1/statistics/{s.county}/{YEAR}/coverage/export.xlsx", STAFF),
    ("GET", "/api/v1/statistics/<string:code>/<string:period>/cells/<string:row>"): Route(
        lambda s: f"/api/v1/statistics/{s.county}/{YEAR}/cells/C3", STAFF),
    ("POST", "/api/v1/statistics/<string:code>/<string:period>/snapshots"): Route(
        lambda s: f"/api/v1/statistics/{s.county}/{YEAR}/snapshots", {"inspector", "admin"},
        ok=201, body=lambda s: {"kind": "draft"}),
    ("GET", "/api/v1/statistics/<string:code>/<string:period>/workbook.xlsx"): Route(
        lambda s: f"/api/v1/statistics/{s.county}/{YEAR}/workbook.xlsx", STAFF),
    ("GET", "/api/v1/statistics/options"): Route(lambda s: "/api/v1/statistics/options", STAFF,
                                                 scoped=False),
    ("GET", "/api/v1/statistics/snapshots"): Route(lambda s: "/api/v1/statistics/snapshots",
                                                   STAFF, scoped=False),
    ("GET", "/api/v1/statistics/snapshots/<int:snapshot_id>"): Route(
        lambda s: f"/api/v1/statistics/snapshots/{s.snapshot_id}", STAFF),
    ("GET", "/api/v1/statistics/snapshots/<int:snapshot_id>/workbook.xlsx"): Route(
        lambda s: f"/api/v1/statistics/snapshots/{s.snapshot_id}/workbook.xlsx", STAFF),
    # The desk's Excel exports: the list's filters, the list's scope.
    ("GET", "/api/v1/inspections/export.xlsx"): Route(
        lambda s: f"/api/v1/inspections/export.xlsx?jurisdiction={s.county}", STAFF, scoped=False),
    ("GET", "/api/v1/rectification-orders/export.xlsx"): Route(
        lambda s: f"/api/v1/rectification-orders/export.xlsx?jurisdiction={s.county}", STAFF,
        scoped=False),
    ("GET", "/api/v1/cases/export.xlsx"): Route(
        lambda s: f"/api/v1/cases/export.xlsx?jurisdiction={s.county}", STAFF, scoped=False),
    ("GET", "/api/v1/units/export.xlsx"): Route(
        lambda s: f"/api/v1/units/export.xlsx?jurisdiction={s.county}", STAFF, scoped=False),
    ("GET", "/api/v1/schools/export.xlsx"): Route(
        lambda s: f"/api/v1/schools/export.xlsx?jurisdiction={s.county}", STAFF, scoped=False),
    ("GET", "/api/v1/supply-links/export.xlsx"): Route(
        lambda s: f"/api/v1/supply-links/export.xlsx?jurisdiction={s.county}", STAFF, scoped=False),
}

# The desk's pages (shells over the API): the roles that open them; a unit or school out of scope
# is the same 404 as a missing one; anonymous visitors go to the login page; other roles get 403.
DESK = {"bureau_city", "bureau_county", "admin"}
PAGES: dict[str, Route] = {
    "/desk/": Route(lambda s: "/desk/", DESK, ok=302, scoped=False),
    "/desk/<any(inspections, orders, cases, units, schools, \"supply-links\"):screen>": Route(
        lambda s: "/desk/orders", DESK, scoped=False),
    "/desk/units/<int:unit_id>": Route(lambda s: f"/desk/units/{s.canteen_id}", DESK),
    "/desk/schools/<int:school_id>": Route(lambda s: f"/desk/schools/{s.school_id}", DESK),
    "/audit/": Route(lambda s: "/audit/", {"auditor"}, scoped=False),
    # Administration: admins only (bureaus get 403); a record out of scope is a 404.
    "/desk/<any(users, imports):screen>": Route(lambda s: "/desk/users", {"admin"}, scoped=False),
    "/desk/<any(schools, units, \"supply-links\"):kind>/new": Route(
        lambda s: "/desk/supply-links/new", {"admin"}, scoped=False),
    "/desk/schools/<int:school_id>/edit": Route(lambda s: f"/desk/schools/{s.school_id}/edit", {"admin"}),
    "/desk/units/<int:unit_id>/edit": Route(lambda s: f"/desk/units/{s.canteen_id}/edit", {"admin"}),
    "/desk/supply-links/<int:link_id>/end": Route(lambda s: f"/desk/supply-links/{s.link_id}/end",
                                                  {"admin"}),
    # The statistics page and its charts: the staff who read the table; schools and auditors 403.
    # The charts draw a jurisdiction of the reader's subtree; another one is the 404 of a missing one.
    "/school/": Route(lambda s: "/school/", {"school"}, scoped=False),
    "/stats/": Route(lambda s: "/stats/", STAFF, scoped=False),
    "/stats/chart.svg": Route(lambda s: f"/stats/chart.svg?jurisdiction={s.county}&period={YEAR}-H1",
                              STAFF, anonymous=401),
    "/stats/children.svg": Route(
        lambda s: f"/stats/children.svg?jurisdiction={s.county}&period={YEAR}-H1", STAFF, anonymous=401),
}

# Pages that are not a tenant's, each for its reason: the login page (everyone; a logged-in user
# is sent on to its role's home), the phone app's shell, manifest and service worker (they hold no
# data: the app logs in through the API, also offline), static files, and the health checks.
OPEN_PAGES = {"/", "/m/", "/m/manifest.webmanifest", "/m/sw.js", "/favicon.ico", "/healthz", "/readyz",
              "/m/assets/<any(m, web):folder>/<name>"}  # the phone app's files under hashed names
STATIC = "/<path:filename>"  # the static folders of the app and its blueprints

# Routes anyone may call, and routes that are not part of the tenant API.
PUBLIC = {("POST", "/api/v1/auth/login"), ("POST", "/api/v1/auth/login/enrolment"),
          ("POST", "/api/v1/auth/login/two-factor"), ("GET", "/api/v1/openapi.json")}


def api_routes(app) -> set[tuple[str, str]]:
    routes = set()
    for rule in app.url_map.iter_rules():
        if not rule.rule.startswith("/api/"):
            continue
        for method in rule.methods - {"HEAD", "OPTIONS"}:
            routes.add((method, rule.rule))
    return routes


def test_every_route_is_in_the_matrix(app):
    missing = api_routes(app) - set(MATRIX) - PUBLIC
    assert not missing, f"routes without an expected tenancy answer: {sorted(missing)}"


def _call(client, method: str, url: str, body: dict | None, multipart: bool = False):
    if multipart:
        headers = {"Authorization": f"Bearer {client.token}"} if client.token else {}
        response = client.client.post(url, data=body or {}, headers=headers,
                                      content_type="multipart/form-data")
    else:
        response = (getattr(client, method.lower())(url, json=body) if method != "GET"
                    else client.get(url))
    response.get_data()  # read a streamed download to the end, as a browser does, and close it:
    response.close()  # that gives back the account's expensive-request slot it held
    return response


@pytest.mark.shared_data  # reads the URL map only: must not clear the shared world's tables
def test_every_page_is_in_the_matrix_or_open_for_a_reason(app):
    pages = {rule.rule for rule in app.url_map.iter_rules()
             if not rule.rule.startswith("/api/") and not rule.rule.endswith(STATIC)}
    unexplained = pages - set(PAGES) - RECORD_PAGES - OPEN_PAGES
    assert not unexplained, f"pages without an expected answer: {sorted(unexplained)}"
    statics = {rule.rule for rule in app.url_map.iter_rules() if rule.rule.endswith(STATIC)}
    assert all(rule.startswith(("/static/", "/m/static/", "/stats/static/")) for rule in statics), statics


@pytest.mark.shared_data
@pytest.mark.parametrize("rule, role", [(r, o) for r in PAGES for o in ROLES])
def test_desk_page_answers_each_role_in_and_out_of_scope(shared_world, anonymous, rule, role):
    mine, theirs, clients = shared_world
    route = PAGES[rule]
    if role == "anonymous":
        answer = _page(anonymous, route.url(mine))
        assert answer.status_code == route.anonymous
        if route.anonymous == 302:
            assert answer.headers["Location"] == "/"
        return
    client = clients[role]
    answer = _page(client, route.url(mine))
    if role not in route.allowed:
        assert answer.status_code in (302, 403), answer.status_code
        return
    assert answer.status_code == route.ok
    if route.scoped:
        answer = _page(client, route.url(theirs))
        assert answer.status_code == 404 and answer.mimetype == "text/html"


def _page(client, url: str):
    """GET a page as a browser asks for it, read to the end and closed (an expensive request such
    as a chart gives its slot back then)."""
    answer = client.get(url, headers={"Accept": "text/html"})
    answer.get_data()
    answer.close()
    return answer


# The printed record's pages: the print view (whoever reads the record; others as if missing) and
# the public verification page its QR code leads to (anyone with the token, nobody without it).
RECORD_PAGES = {"/records/<string:uuid>", "/verify/<string:token>"}


@pytest.mark.shared_data  # reads the URL map only: must not clear the shared world's tables
def test_every_record_page_is_in_the_matrix(app):
    pages = {rule.rule for rule in app.url_map.iter_rules()
             if rule.rule.startswith(("/records/", "/verify/"))}
    assert pages == RECORD_PAGES


@pytest.mark.shared_data
@pytest.mark.parametrize("role", ROLES)
def test_record_print_page_answers_each_role_in_and_out_of_scope(shared_world, anonymous, role):
    mine, theirs, clients = shared_world
    headers = {"Accept": "text/html"}
    client = anonymous if role == "anonymous" else clients[role]
    answer = client.get(f"/records/{mine.inspection['id']}", headers=headers)
    if role == "anonymous":
        assert answer.status_code == 302 and answer.headers["Location"] == "/"
        return
    assert answer.status_code == (200 if role in EVERYONE else 404)
    answer = client.get(f"/records/{theirs.inspection['id']}", headers=headers)
    assert answer.status_code == 404 and answer.mimetype == "text/html"


@pytest.mark.shared_data
@pytest.mark.parametrize("role", ROLES)
def test_verification_page_answers_anyone_with_the_token_and_nobody_without(app, shared_world,
                                                                            anonymous, role):
    mine, theirs, clients = shared_world
    client = anonymous if role == "anonymous" else clients[role]
    for side in (mine, theirs):  # public: another tenant's record too, through its token only
        with app.app_context():
            token = db.session.scalar(db.select(Inspection.verify_token)
                                      .where(Inspection.uuid == side.inspection["id"]))
        assert client.get(f"/verify/{token}").status_code == 200
        assert client.get(f"/verify/{side.inspection['id']}",
                          headers={"Accept": "text/html"}).status_code == 404


READS = [(m, r, o) for (m, r) in MATRIX for o in ROLES if m == "GET"]
WRITES = [(m, r, o) for (m, r) in MATRIX for o in ROLES if m != "GET"]


@pytest.mark.shared_data
@pytest.mark.parametrize("method, rule, role", READS, ids=[f"{m} {r} {o}" for m, r, o in READS])
def test_read_route_answers_each_role_in_and_out_of_scope(shared_world, anonymous, method, rule,
                                                          role):
    _check_route(shared_world, anonymous, method, rule, role)


def _check_route(world, anonymous, method, rule, role):
    mine, theirs, clients = world
    route = MATRIX[(method, rule)]
    client = anonymous if role == "anonymous" else clients[role]
    make_body = route.role_body.get(role, route.body)
    body = make_body(mine) if make_body else None
    if role == "anonymous":
        assert _call(client, method, route.url(mine), body, route.multipart).status_code == 401
        return
    if role not in route.allowed:
        r = _call(client, method, route.url(mine), body, route.multipart)
        assert r.status_code in (403, 404), (r.status_code, r.get_json())
        return
    if route.scoped:
        other_body = make_body(theirs) if make_body else None
        r = _call(client, method, route.url(theirs), other_body, route.multipart)
        assert r.status_code == route.out_of_scope, (r.status_code, r.get_json())
    r = _call(client, method, route.url(mine), body, route.multipart)
    assert r.status_code == route.ok, (r.status_code, r.get_json())


@pytest.mark.shared_data
@pytest.mark.parametrize("role", sorted(EVERYONE))
def test_lists_never_show_the_other_tenants_records(shared_world, role):
    mine, theirs, clients = shared_world
    client = clients[role]
    inspections = {i["id"] for i in client.get("/api/v1/inspections").get_json()["items"]}
    assert theirs.inspection["id"] not in inspections
    assert mine.inspection["id"] in inspections
    units = {u["id"] for u in client.get("/api/v1/units?per_page=200").get_json()["items"]}
    assert theirs.canteen_id not in units and theirs.supplier_id not in units
    orders = {o["id"] for o in client.get("/api/v1/rectification-orders").get_json()["items"]}
    assert theirs.order_id not in orders and mine.order_id in orders
    schools = {s["id"] for s in client.get("/api/v1/schools").get_json()["items"]}
    assert theirs.school_id not in schools and mine.school_id in schools
    if role == "inspector":
        tasks = client.get("/api/v1/tasks").get_json()
        listed = {u["id"] for u in tasks["uncovered"]} | {
            o["unit"]["id"] for o in tasks["reported"] + tasks["overdue"]}
        assert not listed & {theirs.canteen_id, theirs.supplier_id}
        assert mine.supplier_id in listed  # never inspected


@pytest.mark.shared_data
@pytest.mark.parametrize("role", sorted(STAFF))
def test_snapshot_lists_never_show_the_other_tenants_reports(shared_world, role):
    mine, theirs, clients = shared_world
    listed = clients[role].get("/api/v1/statistics/snapshots").get_json()["items"]
    ids = {s["id"] for s in listed}
    assert theirs.snapshot_id not in ids and mine.snapshot_id in ids


# Writes last: each builds its own world, and clears the tables after it.
@pytest.mark.parametrize("method, rule, role", WRITES, ids=[f"{m} {r} {o}" for m, r, o in WRITES])
def test_write_route_answers_each_role_in_and_out_of_scope(world, anonymous, method, rule, role):
    _check_route(world, anonymous, method, rule, role)
