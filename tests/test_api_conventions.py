"""API conventions a client relies on: one error shape, OpenAPI, pagination, headers."""

from __future__ import annotations


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
    assert api.get("/api/v1/units?page=0").status_code == 422
    assert api.get("/api/v1/inspections?period=2026-H3").status_code == 422


def test_responses_carry_security_headers(client):
    r = client.get("/api/v1/openapi.json")
    assert r.headers["X-Content-Type-Options"] == "nosniff"
    assert "frame-ancestors 'none'" in r.headers["Content-Security-Policy"]
    assert r.headers["Referrer-Policy"] == "same-origin"
