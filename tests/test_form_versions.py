"""Checklists are versioned data: a new version takes over, an old one stays valid."""

from __future__ import annotations

import copy
import json

import pytest

from forms import FormRegistry, forms
from forms.definitions import HERE, _parse


@pytest.fixture
def canteen_v2(monkeypatch):
    """A province refines the canteen checklist: version 2 adds an item on 分餐制."""
    raw = copy.deepcopy(forms.get("canteen", 1).raw)
    raw["version"] = 2
    raw["sections"][6]["items"].append({"code": "7.7", "text": "实行分餐制", "key": False,
                                        "category": "processing"})
    v2 = _parse(raw, "canteen.v2")
    monkeypatch.setitem(forms._by_key, ("canteen", 2), v2)
    return v2


def test_every_bundled_definition_loads_and_matches_the_spec():
    registry = FormRegistry(HERE)
    for kind in ("canteen", "supplier", "periphery", "unlicensed"):
        definition = registry.latest(kind)
        assert len(definition.items) == 30
        assert {c for c, i in definition.items.items() if i.key} == {
            "3.1", "3.2", "4.1", "4.2", "6.1", "8.4", "9.3"}
    assert registry.latest("supplier").items["7.5"].category == "distribution"
    assert registry.latest("canteen").items["7.5"].category == "processing"


def test_a_definition_with_a_bad_category_is_refused_at_load(tmp_path):
    raw = json.loads((HERE / "canteen.v1.json").read_text(encoding="utf-8"))
    raw["sections"][0]["items"][0]["category"] = "distribution"
    (tmp_path / "canteen.v1.json").write_text(json.dumps(raw), encoding="utf-8")
    with pytest.raises(ValueError, match="distribution"):
        FormRegistry(tmp_path)


def test_new_inspections_use_the_latest_version_and_old_ones_stay_valid(
        canteen_v2, login_as, make_unit, new_inspection):
    unit = make_unit("canteen", "510104")
    api = login_as("inspector", "510104")
    forms_listed = api.get("/api/v1/forms").get_json()
    assert [(f["id"], f["version"]) for f in forms_listed if f["unit_kind"] == "canteen" and f["latest"]] == [
        ("canteen", 2)]
    latest = new_inspection(unit, answers={"7.7": "no"})
    body = api.post("/api/v1/inspections", json=latest).get_json()
    assert (body["form_version"], body["items_checked"]) == (2, 31)
    old = new_inspection(unit)
    old["form_version"] = 1
    old["answers"] = [a for a in old["answers"] if a["item"] != "7.7"]
    r = api.post("/api/v1/inspections", json=old)
    assert r.status_code == 201 and r.get_json()["form_version"] == 1
    assert r.get_json()["items_checked"] == 30
    # An item of version 2 sent against version 1 is unknown there.
    mixed = new_inspection(unit)
    mixed["form_version"] = 1
    assert api.post("/api/v1/inspections", json=mixed).status_code == 422
