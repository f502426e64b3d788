def test_inspector_submits_and_reads(login_as, make_unit, new_inspection):
    unit = make_unit()
    api = login_as("inspector", "510104")
    doc = new_inspection(unit, answers={"3.1": "no", "5.1": "no"})
    r = api.post("/api/v1/inspections", json=doc)
    assert r.status_code == 201, r.get_json()
    body = r.get_json()
    assert body["result"] == "basic"
    assert {f["category"] for f in body["findings"]} == {"other", "environment"}
    r2 = api.post("/api/v1/inspections", json=doc)
    assert r2.status_code == 200
    doc["remarks"] = "changed"
    assert api.post("/api/v1/inspections", json=doc).status_code == 409
