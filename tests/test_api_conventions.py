"""API conventions a client relies on: one error shape, OpenAPI, pagination, headers."""

from __future__ import annotations

from datetime import datetime

from foodsafety.timeutil import CST


def test_openapi_document_describes_every_api_route(app, client):
    r = client.get("/api/v1/openapi.json")
    assert r.status_code == 200
    spec = r.get_json()
    assert spec["openapi"].startswith("3.")
    assert spec["info"]["title"] == "校园食品安全守护行动 API"
    documented = {path for path in spec["paths"]}
    for rule in app.url_map.iter_rules():
        if rule.rule.startswith("/api/v1/") and rule.rule != "/api/v1/openapi.json":
            path = rule.rule.replace("<string:", "{").replace("<int:", "{").replace(">", "}")
            assert path in documented, path
    assert "bearerAuth" in spec["components"]["securitySchemes"]
    submission = spec["components"]["schemas"]["InspectionSubmission"]
    assert {"id", "unit_id", "answers", "observed", "handling"} <= set(submission["required"])


def test_unknown_routes_and_methods_answer_in_the_one_error_shape(client):
    r = client.get("/api/v1/nothing-here")
    assert r.status_code == 404
    body = r.get_json()
    assert set(body) >= {"code", "status", "message", "request_id"}
    assert body["message"] == "记录不存在。"
    assert r.headers["X-Request-ID"] == body["request_id"]
    r = client.delete("/api/v1/auth/me")
    assert r.status_code == 405 and r.get_json()["code"] == 405


def test_validation_errors_carry_field_paths_in_chinese(login_as):
    api = login_as("inspector", "510104")
    r = api.post("/api/v1/inspections", json={"unit_id": "x", "answers": [{"item": 1}]})
    assert r.status_code == 422
    errors = r.get_json()["errors"]
    assert errors["unit_id"] == ["应为整数。"]
    assert errors["answers"]["0"]["item"] == ["应为字符串。"]
    assert errors["answers"]["0"]["answer"] == ["缺少必填字段。"]


def test_pagination_is_bounded_and_validated(login_as, make_unit):
    api = login_as("inspector", "510104")
    for _ in range(3):
        make_unit("periphery", "510104")
    page = api.get("/api/v1/units?per_page=2&page=2").get_json()
    assert (page["total"], page["page"], page["per_page"], len(page["items"])) == (3, 2, 2, 1)
    assert api.get("/api/v1/units?per_page=100000").status_code == 422
    # The phone downloads its unit list in pages of up to 1,000 (a round trip each on slow 3G);
    # every other list stays at 200.
    assert api.get("/api/v1/units?per_page=1000").status_code == 200
    assert api.get("/api/v1/units?per_page=1001").status_code == 422
    assert api.get("/api/v1/inspections?per_page=201").status_code == 422
    assert api.get("/api/v1/units?page=0").status_code == 422
    assert api.get("/api/v1/inspections?period=2026-H3").status_code == 422


def test_responses_carry_security_headers(client):
    r = client.get("/api/v1/openapi.json")
    assert r.headers["X-Content-Type-Options"] == "nosniff"
    assert "frame-ancestors 'none'" in r.headers["Content-Security-Policy"]
    assert r.headers["Referrer-Policy"] == "same-origin"


# --- the OpenAPI document tells the truth ---------------------------------------------------

def _resolve(spec: dict, schema: dict) -> dict:
    while "$ref" in schema:
        schema = spec["components"]["schemas"][schema["$ref"].rsplit("/", 1)[-1]]
    if "allOf" in schema:  # apispec's way of saying "nullable object"
        merged: dict = {}
        for part in schema["allOf"]:
            merged.update(_resolve(spec, part))
        return merged
    return schema


def _mismatches(spec: dict, schema: dict, value, path: str) -> list[str]:
    """Where `value` and the documented `schema` disagree: a documented property missing, or an
    undocumented one present (recursively through objects and arrays)."""
    schema = _resolve(spec, schema)
    if value is None:
        return []
    if isinstance(value, list) and "items" in schema:
        return [m for i, item in enumerate(value[:3])
                for m in _mismatches(spec, schema["items"], item, f"{path}[{i}]")]
    if isinstance(value, dict) and "properties" in schema:
        documented, sent = set(schema["properties"]), set(value)
        problems = [f"{path}.{key}: documented, not sent" for key in sorted(documented - sent)]
        if not schema.get("additionalProperties"):
            problems += [f"{path}.{key}: sent, not documented" for key in sorted(sent - documented)]
        for key in documented & sent:
            problems += _mismatches(spec, schema["properties"][key], value[key], f"{path}.{key}")
        return problems
    return []


def _documented(spec: dict, path: str, method: str, status: str) -> dict:
    response = spec["paths"][path][method]["responses"][status]
    return response["content"]["application/json"]["schema"]


def test_every_documented_field_of_real_responses_is_present(client, login_as, make_school, make_unit,
                                                             make_link, new_inspection):
    school = make_school(jurisdiction="510104")
    canteen = make_unit("canteen", "510104", school=school)
    supplier = make_unit("supplier", "510104")
    link = make_link(supplier, school)
    inspector, admin = login_as("inspector", "510104"), login_as("admin", "510104")
    now = datetime.now(CST)  # China's date, whatever the machine's time zone
    today = now.date().isoformat()
    doc = new_inspection(canteen, answers={"6.1": "no"}, handling="rectify", when=now,
                         rectification_order={"number": "锦市监责改〔2026〕1号", "deadline": today})
    inspection = inspector.post("/api/v1/inspections", json=doc).get_json()
    order_id = inspection["rectification_order"]["id"]
    case = inspector.post("/api/v1/cases", json={"case_no": "锦市监罚〔2026〕1号", "unit_id": canteen.id,
                                                 "filed_on": today, "fine_yuan": "100.00",
                                                 "decided_on": today}).get_json()
    make_unit("canteen", "510104")  # never inspected: listed by coverage and in the snapshot
    year = doc["started_at"][:4]
    snapshot = inspector.post(f"/api/v1/statistics/510104/{year}/snapshots", json={}).get_json()
    statistics = f"/api/v1/statistics/510104/{year}"
    spec = client.get("/api/v1/openapi.json").get_json()
    checks = [
        (inspector, f"/api/v1/inspections/{inspection['id']}", "/api/v1/inspections/{uuid}"),
        (inspector, "/api/v1/inspections", "/api/v1/inspections"),
        (inspector, f"/api/v1/inspections/{inspection['id']}/revisions", "/api/v1/inspections/{uuid}/revisions"),
        (inspector, f"/api/v1/units/{canteen.id}", "/api/v1/units/{unit_id}"),
        (inspector, "/api/v1/units", "/api/v1/units"),
        (inspector, f"/api/v1/schools/{school.id}", "/api/v1/schools/{school_id}"),
        (admin, "/api/v1/supply-links", "/api/v1/supply-links"),
        (inspector, f"/api/v1/rectification-orders/{order_id}", "/api/v1/rectification-orders/{order_id}"),
        (inspector, "/api/v1/rectification-orders", "/api/v1/rectification-orders"),
        (inspector, f"/api/v1/cases/{case['id']}", "/api/v1/cases/{case_id}"),
        (inspector, "/api/v1/auth/me", "/api/v1/auth/me"),
        (admin, "/api/v1/users", "/api/v1/users"),
        (inspector, "/api/v1/forms", "/api/v1/forms"),
        (admin, statistics, "/api/v1/statistics/{code}/{period}"),
        (admin, f"{statistics}/breakdown",
         "/api/v1/statistics/{code}/{period}/breakdown"),
        (admin, f"{statistics}/coverage",
         "/api/v1/statistics/{code}/{period}/coverage"),
        (inspector, "/api/v1/statistics/options", "/api/v1/statistics/options"),
        (inspector, "/api/v1/statistics/snapshots", "/api/v1/statistics/snapshots"),
        (inspector, f"/api/v1/statistics/snapshots/{snapshot['id']}",
         "/api/v1/statistics/snapshots/{snapshot_id}"),
    ]
    assert link.id
    problems = []
    for account, url, documented_path in checks:
        r = account.get(url)
        assert r.status_code == 200, (url, r.get_json())
        problems += _mismatches(spec, _documented(spec, documented_path, "get", "200"), r.get_json(), url)
    assert problems == []
