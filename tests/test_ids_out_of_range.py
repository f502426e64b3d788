"""Ids no id column can hold (2^31 overflows PostgreSQL's INTEGER, 2^63 SQLite's) are answered
like ids that do not exist: 404 in the path, 422 naming the field in a query or a body."""

from __future__ import annotations

import re

import pytest

from foodsafety.fields import ID_MAX

HUGE = [ID_MAX + 1, 2**63, 10**30]
INT_PARAM = re.compile(r"<int:[a-z_]+>")


def _paths_with_ids(app) -> list[tuple[str, str]]:
    rules = []
    for rule in app.url_map.iter_rules():
        if rule.rule.startswith("/api/") and INT_PARAM.search(rule.rule):
            rules += [(method, rule.rule) for method in sorted(rule.methods - {"HEAD", "OPTIONS"})]
    return rules


def test_every_route_with_an_id_in_its_path_answers_404_for_ids_beyond_the_columns_range(
        app, login_as):
    clients = {"admin": login_as("admin", "510000"), "inspector": login_as("inspector", "510000")}
    routes = _paths_with_ids(app)
    assert len(routes) >= 12
    for method, rule in routes:
        for value in HUGE:
            url = INT_PARAM.sub(str(value), rule.replace("<string:form_id>", "canteen"))
            for client in clients.values():
                call = getattr(client, method.lower())
                r = call(url) if method == "GET" else call(url, json={})
                assert r.status_code == 404, (method, url, r.status_code, r.get_json())
                assert r.get_json()["code"] == 404


def test_non_ascii_digits_in_a_path_id_are_not_an_id(login_as, make_unit):
    unit = make_unit("periphery", "510104")
    inspector = login_as("inspector", "510104")
    assert inspector.get(f"/api/v1/units/{unit.id}").status_code == 200
    arabic_indic = "".join(chr(0x660 + int(d)) for d in str(unit.id))
    full_width = "".join(chr(0xFF10 + int(d)) for d in str(unit.id))
    for written in (arabic_indic, full_width):
        assert inspector.get(f"/api/v1/units/{written}").status_code == 404


@pytest.mark.parametrize("url", [
    "/api/v1/inspections?unit_id={}", "/api/v1/rectification-orders?unit_id={}",
    "/api/v1/cases?unit_id={}", "/api/v1/units?school_id={}", "/api/v1/schools?school_id={}",
    "/api/v1/supply-links?school_id={}",
])
@pytest.mark.parametrize("value", [*HUGE, "١٢", "１２", "1_2"])
def test_id_filters_beyond_the_columns_range_or_not_in_ascii_digits_are_422(login_as, url, value):
    inspector = login_as("inspector", "510000")
    r = inspector.get(url.format(value))
    assert r.status_code == 422, (url, value, r.status_code, r.get_json())
    (field,) = r.get_json()["errors"]
    assert field in ("unit_id", "school_id")


@pytest.fixture
def world(make_school, make_unit):
    school = make_school(jurisdiction="510104")
    return {"school": school, "canteen": make_unit("canteen", "510104", school=school),
            "supplier": make_unit("supplier", "510104")}


def test_ids_in_bodies_beyond_the_columns_range_are_422_at_the_field(world, login_as,
                                                                    new_inspection):
    admin, inspector = login_as("admin", "510104"), login_as("inspector", "510104")
    for value in HUGE:
        _post_huge_ids(admin, inspector, world, new_inspection, value)


def _post_huge_ids(admin, inspector, world, new_inspection, value) -> None:
    calls = [
        (admin, "/api/v1/supply-links", {"supplier_id": value, "school_id": world["school"].id,
                                         "starts_on": "2026-09-01"}, ("supplier_id",)),
        (admin, "/api/v1/supply-links", {"supplier_id": world["supplier"].id, "school_id": value,
                                         "starts_on": "2026-09-01"}, ("school_id",)),
        (admin, "/api/v1/units", {"kind": "canteen", "name": "食堂", "jurisdiction_code": "510104",
                                  "school_id": value, "operation_mode": "self_run"},
         ("school_id",)),
        (inspector, "/api/v1/inspections", {**new_inspection(world["canteen"]), "unit_id": value},
         ("unit_id",)),
        (inspector, "/api/v1/cases", {"case_no": "X-1", "unit_id": value,
                                      "filed_on": "2026-03-01"}, ("unit_id",)),
        (admin, "/api/v1/users", {"username": "school.huge", "display_name": "学校", "role": "school",
                                  "password": "Strong#Pass2026", "school_id": value}, ("school_id",)),
    ]
    for client, url, body, fields in calls:
        r = client.post(url, json=body)
        assert r.status_code == 422, (url, r.status_code, r.get_json())
        assert tuple(r.get_json()["errors"]) == fields


def test_the_openapi_document_states_the_id_bounds(client):
    spec = client.get("/api/v1/openapi.json").get_json()
    path_param = spec["paths"]["/api/v1/units/{unit_id}"]["parameters"][0]["schema"]
    assert (path_param["minimum"], path_param["maximum"]) == (1, ID_MAX)
    query = {p["name"]: p["schema"] for p in spec["paths"]["/api/v1/inspections"]["get"]["parameters"]}
    assert (query["unit_id"]["minimum"], query["unit_id"]["maximum"]) == (1, ID_MAX)
