"""Every API route × every role × an object in scope and one out of scope.

The matrix below is the expected answer of each route; a route of the app that is missing from
it fails `test_every_route_is_in_the_matrix`. Out of scope answers exactly like "does not
exist": 404 for an object in the URL, 422 "不存在或不在您的辖区内" for one named in the body.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Callable

import pytest

from foodsafety.timeutil import today_cst
from tests.conftest import inspection_doc

ROLES = ("inspector", "bureau_city", "bureau_county", "school", "admin", "anonymous")
STAFF = {"inspector", "bureau_city", "bureau_county", "admin"}
EVERYONE = STAFF | {"school"}


@dataclass
class Side:
    """The objects of one tenant: 锦江区 (in scope for the users) or 自流井区 (out of scope)."""

    county: str
    school: object = None
    canteen: object = None
    supplier: object = None
    link: object = None
    inspection: dict = field(default_factory=dict)
    order_id: int = 0
    finding_id: int = 0
    case_id: int = 0
    user_id: int = 0


def _build_side(county, make_school, make_unit, make_link, make_user, login_as) -> Side:
    side = Side(county)
    side.school = make_school(jurisdiction=county)
    side.canteen = make_unit("canteen", county, school=side.school)
    side.supplier = make_unit("supplier", county)
    side.link = make_link(side.supplier, side.school, ends_on=date(2025, 12, 31))
    author = login_as("inspector", county)
    doc = inspection_doc(side.canteen, answers={"6.1": "no"}, handling="rectify",
                         rectification_order={"number": f"{county}-1",
                                              "deadline": today_cst().isoformat()})
    side.inspection = author.post("/api/v1/inspections", json=doc).get_json()
    side.order_id = side.inspection["rectification_order"]["id"]
    side.finding_id = side.inspection["findings"][0]["id"]
    side.case_id = author.post("/api/v1/cases", json={
        "case_no": f"{county}-C1", "unit_id": side.canteen.id,
        "filed_on": (today_cst() - timedelta(days=3)).isoformat()}).get_json()["id"]
    side.user_id = make_user("inspector", county).id
    return side


@pytest.fixture
def world(make_school, make_unit, make_link, make_user, login_as):
    mine = _build_side("510104", make_school, make_unit, make_link, make_user, login_as)
    theirs = _build_side("510302", make_school, make_unit, make_link, make_user, login_as)
    clients = {
        "inspector": login_as("inspector", "510104"),
        "bureau_city": login_as("bureau", "510100"),
        "bureau_county": login_as("bureau", "510104"),
        "school": login_as("school", school=mine.school),
        "admin": login_as("admin", "510100"),
    }
    return mine, theirs, clients


@dataclass
class Route:
    url: Callable[[Side], str]
    allowed: set[str]
    ok: int = 200
    body: Callable[[Side], dict] | None = None
    out_of_scope: int = 404  # answer for the other tenant's object
    scoped: bool = True  # False: the route has no object to be out of scope


def _day(n=0):
    return (today_cst() - timedelta(days=n)).isoformat()


MATRIX: dict[tuple[str, str], Route] = {
    ("GET", "/api/v1/auth/me"): Route(lambda s: "/api/v1/auth/me", EVERYONE, scoped=False),
    ("POST", "/api/v1/auth/logout"): Route(lambda s: "/api/v1/auth/logout", EVERYONE, ok=204,
                                           scoped=False),
    ("POST", "/api/v1/auth/password"): Route(
        lambda s: "/api/v1/auth/password", EVERYONE, ok=422, scoped=False,
        body=lambda s: {"current_password": "wrong", "new_password": "Another#Pass2026"}),
    ("GET", "/api/v1/jurisdictions"): Route(lambda s: f"/api/v1/jurisdictions?parent={s.county}",
                                            STAFF),
    ("GET", "/api/v1/schools"): Route(lambda s: f"/api/v1/schools?jurisdiction={s.county}",
                                      EVERYONE, scoped=False),
    ("POST", "/api/v1/schools"): Route(
        lambda s: "/api/v1/schools", {"admin"}, ok=201, out_of_scope=422,
        body=lambda s: {"name": "新建学校", "stage": "primary", "jurisdiction_code": s.county}),
    ("GET", "/api/v1/schools/<int:school_id>"): Route(lambda s: f"/api/v1/schools/{s.school.id}",
                                                      EVERYONE),
    ("PATCH", "/api/v1/schools/<int:school_id>"): Route(
        lambda s: f"/api/v1/schools/{s.school.id}", {"admin"}, body=lambda s: {"address": "新地址"}),
    ("GET", "/api/v1/units"): Route(lambda s: f"/api/v1/units?jurisdiction={s.county}", EVERYONE,
                                    scoped=False),
    ("POST", "/api/v1/units"): Route(
        lambda s: "/api/v1/units", {"admin", "inspector"}, ok=201, out_of_scope=422,
        body=lambda s: {"kind": "unlicensed", "name": "无证摊贩", "jurisdiction_code": s.county}),
    ("GET", "/api/v1/units/<int:unit_id>"): Route(lambda s: f"/api/v1/units/{s.canteen.id}",
                                                  EVERYONE),
    ("PATCH", "/api/v1/units/<int:unit_id>"): Route(
        lambda s: f"/api/v1/units/{s.canteen.id}", {"admin", "inspector"},
        body=lambda s: {"address": "新地址"}),
    ("GET", "/api/v1/supply-links"): Route(lambda s: "/api/v1/supply-links", EVERYONE,
                                           scoped=False),
    ("POST", "/api/v1/supply-links"): Route(
        lambda s: "/api/v1/supply-links", {"admin"}, ok=201, out_of_scope=422,
        body=lambda s: {"supplier_id": s.supplier.id, "school_id": s.school.id,
                        "starts_on": "2026-09-01"}),
    ("PATCH", "/api/v1/supply-links/<int:link_id>"): Route(
        lambda s: f"/api/v1/supply-links/{s.link.id}", {"admin"},
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
        body=lambda s: {**inspection_doc(s.canteen), "id": s.inspection["id"], "reason": "更正"}),
    ("DELETE", "/api/v1/inspections/<string:uuid>"): Route(
        lambda s: f"/api/v1/inspections/{s.inspection['id']}", {"inspector"}, ok=204,
        body=lambda s: {"reason": "误录"}),
    ("GET", "/api/v1/inspections/<string:uuid>/revisions"): Route(
        lambda s: f"/api/v1/inspections/{s.inspection['id']}/revisions",
        {"inspector", "bureau_city", "bureau_county", "admin"}),
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
        body=lambda s: {"text": "已整改"}),
    ("GET", "/api/v1/cases"): Route(lambda s: "/api/v1/cases", STAFF, scoped=False),
    ("POST", "/api/v1/cases"): Route(
        lambda s: "/api/v1/cases", {"inspector"}, ok=201, out_of_scope=422,
        body=lambda s: {"case_no": f"{s.county}-new", "unit_id": s.canteen.id,
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
}

# Routes anyone may call, and routes that are not part of the tenant API.
PUBLIC = {("POST", "/api/v1/auth/login"), ("GET", "/api/v1/openapi.json")}


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


def _call(client, method: str, url: str, body: dict | None):
    return getattr(client, method.lower())(url, json=body) if method != "GET" else client.get(url)


CASES = [(method, rule, role) for (method, rule) in MATRIX for role in ROLES]


@pytest.mark.parametrize("method, rule, role", CASES, ids=[f"{m} {r} {o}" for m, r, o in CASES])
def test_route_answers_each_role_in_and_out_of_scope(world, anonymous, method, rule, role):
    mine, theirs, clients = world
    route = MATRIX[(method, rule)]
    client = anonymous if role == "anonymous" else clients[role]
    body = route.body(mine) if route.body else None
    if role == "anonymous":
        assert _call(client, method, route.url(mine), body).status_code == 401
        return
    if role not in route.allowed:
        r = _call(client, method, route.url(mine), body)
        assert r.status_code in (403, 404), (r.status_code, r.get_json())
        return
    if route.scoped:
        other_body = route.body(theirs) if route.body else None
        r = _call(client, method, route.url(theirs), other_body)
        assert r.status_code == route.out_of_scope, (r.status_code, r.get_json())
    r = _call(client, method, route.url(mine), body)
    assert r.status_code == route.ok, (r.status_code, r.get_json())


@pytest.mark.parametrize("role", sorted(EVERYONE))
def test_lists_never_show_the_other_tenants_records(world, role):
    mine, theirs, clients = world
    client = clients[role]
    inspections = {i["id"] for i in client.get("/api/v1/inspections").get_json()["items"]}
    assert theirs.inspection["id"] not in inspections
    assert mine.inspection["id"] in inspections
    units = {u["id"] for u in client.get("/api/v1/units?per_page=200").get_json()["items"]}
    assert theirs.canteen.id not in units and theirs.supplier.id not in units
    orders = {o["id"] for o in client.get("/api/v1/rectification-orders").get_json()["items"]}
    assert theirs.order_id not in orders and mine.order_id in orders
    schools = {s["id"] for s in client.get("/api/v1/schools").get_json()["items"]}
    assert theirs.school.id not in schools and mine.school.id in schools
