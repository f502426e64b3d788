"""Big lists page by cursor: every record once, in order, however deep; page numbers stop at a
clear limit, and the total is counted only so far."""

from __future__ import annotations

from datetime import datetime, timedelta
from urllib.parse import quote

import pytest

from foodsafety.audit.services import record
from foodsafety.timeutil import today_cst

RECORDS = 7
PER_PAGE = 3


def _inspections(login_as, make_unit, new_inspection):
    inspector = login_as("inspector", "510104")
    canteens = [make_unit("canteen", "510104") for _ in range(3)]
    day = datetime.now().astimezone().replace(microsecond=0) - timedelta(days=3)
    for i in range(RECORDS):  # two or three at the very same moment: the id breaks the tie
        r = inspector.post("/api/v1/inspections", json=new_inspection(
            canteens[i % 3], when=day - timedelta(hours=i // 3)))
        assert r.status_code == 201, r.get_json()
    return inspector, "/api/v1/inspections"


def _orders(login_as, make_unit, new_inspection):
    inspector = login_as("inspector", "510104")
    canteen = make_unit("canteen", "510104")
    deadline = (today_cst() + timedelta(days=10)).isoformat()
    for i in range(RECORDS):
        r = inspector.post("/api/v1/inspections", json=new_inspection(
            canteen, answers={"6.1": "no"}, handling="rectify",
            rectification_order={"number": f"锦责改-{i}", "deadline": deadline}))
        assert r.status_code == 201, r.get_json()
    return inspector, "/api/v1/rectification-orders"


def _cases(login_as, make_unit, new_inspection):
    inspector = login_as("inspector", "510104")
    unit = make_unit("periphery", "510104")
    for i in range(RECORDS):
        r = inspector.post("/api/v1/cases", json={"case_no": f"锦案-{i}", "unit_id": unit.id,
                                                  "filed_on": f"2026-03-0{1 + i // 3}"})
        assert r.status_code == 201, r.get_json()
    return inspector, "/api/v1/cases"


def _units(login_as, make_unit, new_inspection):
    for i in range(RECORDS):
        make_unit("periphery", "510104" if i % 2 else "510105", name=f"小吃店{i // 2}")
    return login_as("bureau", "510100"), "/api/v1/units"


def _audit(login_as, make_unit, new_inspection):
    inspector = login_as("inspector", "510104")
    for i in range(RECORDS):
        record(f"test.list{i}", user=inspector.user)
    return login_as("auditor", "510100"), "/api/v1/audit?event=test.list"


LISTS = {"inspections": _inspections, "orders": _orders, "cases": _cases, "units": _units,
         "audit": _audit}


def walk(client, url: str, key: str, start: str | None = None) -> list[dict]:
    """Every page from `start` on, following `key` (next_cursor or prev_cursor)."""
    pages, cursor = [], start
    glue = "&" if "?" in url else "?"
    while True:
        page_url = f"{url}{glue}per_page={PER_PAGE}"
        if cursor:
            page_url += f"&cursor={quote(cursor)}"
        r = client.get(page_url)
        assert r.status_code == 200, r.get_json()
        body = r.get_json()
        pages.append(body)
        cursor = body[key]
        if not cursor:
            return pages


@pytest.mark.parametrize("name", LISTS)
def test_following_the_cursors_gives_every_record_once_in_order_both_ways(
        name, login_as, make_unit, new_inspection):
    client, url = LISTS[name](login_as, make_unit, new_inspection)
    glue = "&" if "?" in url else "?"
    everything = [item["id"] for item in client.get(f"{url}{glue}per_page=200").get_json()["items"]]
    assert len(everything) == RECORDS
    forward = walk(client, url, "next_cursor")
    assert [page["page"] for page in forward] == [1, 2, 3]
    assert [item["id"] for page in forward for item in page["items"]] == everything
    assert forward[0]["prev_cursor"] is None and forward[-1]["next_cursor"] is None
    backward = walk(client, url, "prev_cursor", start=forward[-1]["prev_cursor"])
    assert [page["page"] for page in backward] == [2, 1]
    assert [item["id"] for page in reversed(backward) for item in page["items"]] == everything[:6]
    assert all(page["total"] == RECORDS and not page["total_is_estimate"] for page in forward)


def test_a_cursor_keeps_its_place_when_new_records_arrive(login_as, make_unit, new_inspection):
    client, url = _inspections(login_as, make_unit, new_inspection)
    first = client.get(f"{url}?per_page={PER_PAGE}").get_json()
    client.post(url, json=new_inspection(make_unit("canteen", "510104")))  # newest of all
    second = client.get(f"{url}?per_page={PER_PAGE}&cursor={quote(first['next_cursor'])}")
    by_offset = client.get(f"{url}?per_page={PER_PAGE}&page=2").get_json()
    shown = {item["id"] for item in first["items"]}
    assert not shown & {item["id"] for item in second.get_json()["items"]}
    assert shown & {item["id"] for item in by_offset["items"]}  # the page number shifted


def test_page_numbers_stop_at_a_limit_with_a_chinese_message(app, login_as, make_unit,
                                                             monkeypatch):
    for _ in range(4):
        make_unit("periphery", "510104")
    monkeypatch.setitem(app.config, "LIST_MAX_OFFSET", 2)
    client = login_as("bureau", "510100")
    assert client.get("/api/v1/units?per_page=2&page=2").status_code == 200
    r = client.get("/api/v1/units?per_page=2&page=3")
    assert r.status_code == 422
    message = r.get_json()["errors"]["page"][0]
    assert "页码过大" in message and "next_cursor" in message


def test_the_total_is_counted_only_up_to_a_cap(app, login_as, make_unit, monkeypatch):
    for _ in range(5):
        make_unit("periphery", "510104")
    client = login_as("bureau", "510100")
    monkeypatch.setitem(app.config, "LIST_COUNT_CAP", 3)
    body = client.get("/api/v1/units?per_page=2").get_json()
    assert (body["total"], body["total_is_estimate"], len(body["items"])) == (3, True, 2)
    monkeypatch.setitem(app.config, "LIST_COUNT_CAP", 5)
    body = client.get("/api/v1/units?per_page=2").get_json()
    assert (body["total"], body["total_is_estimate"]) == (5, False)


def test_a_forged_or_foreign_cursor_is_a_422_naming_the_cursor(login_as, make_unit,
                                                                new_inspection):
    client, url = _inspections(login_as, make_unit, new_inspection)
    cursor = client.get(f"{url}?per_page=2").get_json()["next_cursor"]
    units_cursor = client.get("/api/v1/units?per_page=1").get_json()["next_cursor"]
    for bad in (cursor[:-2] + "xy", "不是游标", units_cursor, "a" * 100):
        r = client.get(f"{url}?per_page=2&cursor={quote(bad)}")
        assert r.status_code == 422, bad
        assert r.get_json()["errors"]["cursor"] == ["翻页游标无效或已过期，请从第一页重新查询。"]


def test_a_cursor_shows_nothing_outside_the_readers_jurisdiction(login_as, make_unit,
                                                                 new_inspection):
    client, url = _inspections(login_as, make_unit, new_inspection)
    cursor = client.get(f"{url}?per_page=1").get_json()["next_cursor"]
    stranger = login_as("inspector", "510302")
    r = stranger.get(f"{url}?per_page=50&cursor={quote(cursor)}")
    assert r.status_code == 200 and r.get_json()["items"] == []
