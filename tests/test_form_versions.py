"""Checklists are versioned data, one for each kind of business: the unit's kind and its licence's
business type choose the checklist in force; a new version takes over, an old one stays valid,
prints as it was and counts as it did."""

from __future__ import annotations

import copy
import json
import re

import pytest

from foodsafety.periods import half_year_of
from foodsafety.statistics import compute
from foodsafety.timeutil import today_cst
from foodsafety.vocabulary import BusinessType, UnitKind
from forms import FormRegistry, forms
from forms.definitions import HERE, _parse
from tests.test_inspection_record import pdf_text

URL = "/api/v1/inspections"


def texts(definition) -> list[str]:
    return [item.text for item in definition.items.values()]


# --- the definitions --------------------------------------------------------------------------

def test_the_version_1_checklists_are_kept_as_they_were():
    """Records made with them are shown, printed and counted against them."""
    for kind in UnitKind.codes():
        v1 = forms.get(kind, 1)
        assert len(v1.items) == 30 and v1.applies_to.unit_kinds == (kind,)
        assert {c for c, i in v1.items.items() if i.key} == {"3.1", "3.2", "4.1", "4.2", "6.1", "8.4", "9.3"}
        assert v1.items["7.5"].category == ("distribution" if kind == "supplier" else "processing")
        assert not forms.is_in_force(v1)


def test_every_kind_of_unit_and_business_has_exactly_one_checklist_in_force():
    registry = FormRegistry(HERE)
    in_force = registry.in_force()
    assert {(d.id, d.version) for d in in_force} == {
        ("canteen", 2), ("supplier", 2), ("periphery", 2), ("sales", 1), ("unlicensed", 2)}
    for kind in UnitKind.codes():
        for business in BusinessType.codes():
            assert sum(d.applies_to.covers(kind, business) for d in in_force) == 1, (kind, business)
    for definition in in_force:  # each cites what it was written from
        assert "令第49号" in definition.basis or "食品安全法" in definition.basis


@pytest.mark.parametrize("kind, licence, chosen", [
    ("canteen", "JY35101040000016", "学校食堂监督检查要点表"),
    ("canteen", "JY25101040000017", "学校食堂监督检查要点表"),  # run by a catering company
    ("supplier", "JY25101040000017", "学生集体用餐配送单位监督检查要点表"),
    ("periphery", "JY15101040000018", "校园周边食品销售监督检查要点表"),
    ("periphery", "JY25101040000017", "校园周边餐饮服务监督检查要点表"),
    ("periphery", "JY35101040000016", "校园周边餐饮服务监督检查要点表"),
    ("periphery", None, "校园周边餐饮服务监督检查要点表"),
    ("unlicensed", None, "无证经营者现场检查表"),
])
def test_the_checklist_follows_the_unit_kind_and_the_licence_type_digit(kind, licence, chosen):
    assert forms.for_unit(kind, licence).title == chosen


def test_a_school_canteen_is_asked_what_the_school_rules_require():
    canteen = forms.for_unit("canteen", "JY35101040000016")
    for topic in ("食品安全管理人员", "陪餐", "留样", "校长（园长）负责制", "自查", "明厨亮灶"):
        assert any(topic in text for text in texts(canteen)), topic
    periphery = forms.for_unit("periphery", "JY25101040000017")
    assert not any("陪餐" in text or "校长" in text for text in texts(periphery))


def test_only_a_checklist_for_suppliers_alone_may_feed_the_distribution_row(tmp_path):
    raw = json.loads((HERE / "canteen.v1.json").read_text(encoding="utf-8"))
    raw["sections"][0]["items"][0]["category"] = "distribution"
    (tmp_path / "canteen.v1.json").write_text(json.dumps(raw), encoding="utf-8")
    with pytest.raises(ValueError, match="distribution"):
        FormRegistry(tmp_path)


def test_two_checklists_in_force_for_the_same_units_are_refused_at_load(tmp_path):
    for name in ("periphery.v2.json", "sales.v1.json"):
        raw = json.loads((HERE / name).read_text(encoding="utf-8"))
        if raw["id"] == "sales":
            raw["applies_to"]["business_types"] = ["sales", "none"]  # overlaps the catering list
        (tmp_path / name).write_text(json.dumps(raw), encoding="utf-8")
    with pytest.raises(ValueError, match="both apply to"):
        FormRegistry(tmp_path)


def test_a_kind_left_without_a_checklist_for_some_business_type_is_refused_at_load(tmp_path):
    (tmp_path / "sales.v1.json").write_text((HERE / "sales.v1.json").read_text(encoding="utf-8"),
                                            encoding="utf-8")
    with pytest.raises(ValueError, match="no definition in force"):
        FormRegistry(tmp_path)


# --- the user stories -------------------------------------------------------------------------

def test_an_unlicensed_stall_is_not_asked_whether_its_licence_is_valid_nor_about_special_rooms(
        login_as, make_unit, new_inspection):
    stall = make_unit("unlicensed", "510104", licensed=False, name="校门口流动烧烤摊")
    checklist = forms.for_unit("unlicensed", stall.licence_no)
    assert not any("有效" in text and "许可证" in text for text in texts(checklist))
    assert not any("专间" in text for text in texts(checklist))
    for topic in ("所售或现场制作的食品", "经营场所", "原料来源", "经营者身份", "健康证明"):
        assert any(topic in text for text in texts(checklist)), topic
    doc = new_inspection(stall, answers={"1.1": "no", "3.1": "no"})
    body = login_as("inspector", "510104").post(URL, json=doc).get_json()
    assert (body["form_id"], body["items_checked"]) == ("unlicensed", len(checklist.items))
    assert body["warnings"] == []


def test_a_corner_shop_with_a_sales_licence_gets_the_food_sales_checklist(login_as, make_unit):
    shop = make_unit("periphery", "510104", business="1", name="校门口便利店")
    api = login_as("inspector", "510104")
    listed = {(f["id"], f["version"]): f for f in api.get("/api/v1/forms").get_json()}
    sales = listed[("sales", 1)]
    assert sales["latest"] and sales["applies_to"] == {"unit_kinds": ["periphery"],
                                                       "business_types": ["sales"]}
    assert forms.for_unit("periphery", shop.licence_no).id == "sales"
    checklist = api.get("/api/v1/forms/sales/1").get_json()
    words = "".join(item["text"] for section in checklist["sections"] for item in section["items"])
    for topic in ("备案", "进货查验", "保质期", "散装食品", "冷藏", "健康证明", "标签"):
        assert topic in words, topic
    assert "专间" not in words and "留样" not in words


def test_a_supplier_is_asked_about_time_and_temperature_and_a_failure_counts_as_distribution(
        login_as, make_unit, new_inspection):
    supplier = make_unit("supplier", "510104", name="锦江配餐公司")
    checklist = forms.for_unit("supplier", supplier.licence_no)
    timing = next(item for item in checklist.items.values() if "烧熟至食用" in item.text)
    assert "2小时" in timing.text and "60℃" in timing.text and "8℃" in timing.text
    assert (timing.key, timing.category) == (True, "distribution")
    for topic in ("密闭容器", "食用时限", "配送车辆"):
        assert any(topic in text for text in texts(checklist)), topic

    api = login_as("inspector", "510104")
    body = api.post(URL, json=new_inspection(supplier, answers={timing.code: "no"})).get_json()
    assert [(f["item"], f["category"]) for f in body["findings"]] == [(timing.code, "distribution")]
    table = compute.compute_table("510104", half_year_of(today_cst()), today_cst())
    assert table.values["C10"] == 1  # 供餐单位 · 食品分餐配送过程不合规


def test_a_version_2_record_feeds_the_categories_its_checklist_sets(login_as, make_unit,
                                                                   new_inspection):
    canteen = make_unit("canteen", "510104")
    checklist = forms.for_unit("canteen", canteen.licence_no)
    meals = next(c for c, i in checklist.items.items() if "陪餐" in i.text)
    cooked = next(c for c, i in checklist.items.items() if "烧熟煮透" in i.text)
    assert (checklist.items[meals].category, checklist.items[cooked].category) == ("other", "processing")
    api = login_as("inspector", "510104")
    assert api.post(URL, json=new_inspection(canteen, answers={meals: "no", cooked: "no"})).status_code == 201
    table = compute.compute_table("510104", half_year_of(today_cst()), today_cst())
    assert {row: table.values[row] for row in ("C1", "C2", "C3", "C4", "C5")} == {
        "C1": 0, "C2": 1, "C3": 0, "C4": 0, "C5": 1}


def test_an_offline_phones_version_1_submission_is_accepted_after_version_2_is_published(
        login_as, make_unit, new_inspection):
    unit = make_unit("canteen", "510104")
    api = login_as("inspector", "510104")
    # Filled in on version 1 before the phone last synced, sent now.
    old = new_inspection(unit, form=("canteen", 1), answers={"7.5": "no"})
    r = api.post(URL, json=old)
    assert r.status_code == 201, r.get_json()
    body = r.get_json()
    assert (body["form_id"], body["form_version"], body["items_checked"]) == ("canteen", 1, 30)
    assert [(f["item"], f["category"]) for f in body["findings"]] == [("7.5", "processing")]
    assert [w["field"] for w in body["warnings"]] == ["form_id"]
    assert "第 1 版" in body["warnings"][0]["message"]
    # The retry of the same document answers the same record.
    again = api.post(URL, json=old)
    assert again.status_code == 200 and again.get_json()["form_version"] == 1
    # An item of version 2 sent against version 1 is unknown there.
    mixed = new_inspection(unit, form=("canteen", 1))
    mixed["answers"].append({"item": "10.2", "answer": "yes"})
    errors = api.post(URL, json=mixed).get_json()["errors"]
    assert "未知的检查项目：10.2。" in json.dumps(errors, ensure_ascii=False)


def test_a_version_1_record_prints_against_version_1(login_as, make_unit, new_inspection):
    unit = make_unit("canteen", "510104", name="锦江区实验小学食堂")
    api = login_as("inspector", "510104")
    doc = new_inspection(unit, form=("canteen", 1), answers={"2.3": "no"})
    body = api.post(URL, json=doc).get_json()
    text = pdf_text(api.get(f"{URL}/{body['id']}/record.pdf"))
    v1, v2 = forms.get("canteen", 1), forms.get("canteen", 2)
    squeeze = lambda s: re.sub(r"\s+", "", s)  # noqa: E731
    for item in v1.items.values():
        assert squeeze(item.text)[:12] in text, item.code
    assert squeeze(v1.items["2.3"].text) in text  # 等级标识, which version 2 asks differently
    assert squeeze(v2.items["2.3"].text)[:12] not in text
    assert not any(squeeze(v2.items[code].text)[:12] in text for code in ("10.1", "10.2", "7.8"))
    assert "检查项目30项" in text


def test_a_correction_keeps_the_version_the_record_was_made_with(login_as, make_unit,
                                                                 new_inspection):
    unit = make_unit("canteen", "510104")
    api = login_as("inspector", "510104")
    doc = new_inspection(unit, form=("canteen", 1))
    api.post(URL, json=doc)
    fixed = copy.deepcopy(doc)
    fixed["answers"] = [{**a, "answer": "no"} if a["item"] == "7.5" else a for a in doc["answers"]]
    r = api.put(f"{URL}/{doc['id']}", json={**fixed, "handling": "on_site", "reason": "漏记配送问题",
                                           "base_revision": 1})
    assert r.status_code == 200, r.get_json()
    assert (r.get_json()["form_version"], r.get_json()["items_checked"]) == (1, 30)


# --- a province's refinement -------------------------------------------------------------------

@pytest.fixture
def canteen_v3(monkeypatch):
    """A province refines the canteen checklist: version 3 adds an item on 分餐制."""
    raw = copy.deepcopy(forms.get("canteen", 2).raw)
    raw["version"] = 3
    raw["sections"][6]["items"].append({"code": "7.9", "text": "实行分餐制", "key": False,
                                        "category": "processing"})
    v3 = _parse(raw, "canteen.v3")
    monkeypatch.setitem(forms._by_key, ("canteen", 3), v3)
    return v3


def test_a_new_version_takes_over_for_new_inspections(canteen_v3, login_as, make_unit,
                                                      new_inspection):
    unit = make_unit("canteen", "510104")
    api = login_as("inspector", "510104")
    in_force = [(f["id"], f["version"]) for f in api.get("/api/v1/forms").get_json()
                if "canteen" in f["applies_to"]["unit_kinds"] and f["latest"]]
    assert in_force == [("canteen", 3)]
    body = api.post(URL, json=new_inspection(unit, answers={"7.9": "no"})).get_json()
    assert (body["form_version"], body["items_checked"]) == (3, len(canteen_v3.items))
    assert body["warnings"] == []
    older = api.post(URL, json=new_inspection(unit, form=("canteen", 2))).get_json()
    assert older["form_version"] == 2 and [w["field"] for w in older["warnings"]] == ["form_id"]


def test_a_phone_not_yet_updated_still_finds_a_checklist_for_each_kind(login_as):
    """Until its service worker installs the new app, a phone reads `unit_kind` and `latest`."""
    listed = login_as("inspector", "510104").get("/api/v1/forms").get_json()
    in_force = {form["unit_kind"] for form in listed if form["latest"]}
    assert in_force == {"canteen", "supplier", "periphery", "unlicensed"}
