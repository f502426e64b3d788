"""The statistics table against a hand-computed fixture: every row, every trap of the spec.

The fixture is small enough to reason about. The expected tables below were worked out by hand
from it (see the comments on each unit), not by running the code:

锦江区 510104 (county K)
  K-c1  canteen, licensed. Registration: nothing. Inspections:
          2025-10-10          5.1 fails (environment)        — before the period
          2026-03-10 10:00    6.1 6.2 7.1 9.1 fail → raw_material, processing, cleaning; order
                              issued; submitted TWICE with the same id → one visit
          2026-04-20 09:00    6.3 fails (raw_material again); observes 五常 yes, HACCP
                              established, 明厨亮灶 transparent+video+internet → latest by cutoff
          2026-06-30T16:30Z   = 1 July 00:30 CST → second half: 5.1 fails, observes nothing, order
  K-c2  canteen, licensed, never inspected. Registration: 五常, HACCP certified (to 2027), video.
  K-c3  canteen; licence revoked 2026-04-15 (case filed 04-01, fine 1,234.50 decided 04-10).
        Inspected 2026-06-30T15:30Z = 30 June 23:30 CST → first half: 8.1 fails (environment).
  K-c4  canteen, licence issued 2026-07-15 (second half).       K-c5  licence expired 2026-05-31.
  K-c6  canteen, licensed; its only inspection (3.1 fails, observes 五常 and 明厨亮灶, order) is
        deleted → registration status (nothing) counts, no visit, no order, no problem.
  K-c1 case filed 2026-06-20, fine 9,999 decided 2026-07-05 → filed in H1, money in H2.
  K-s1  supplier, licensed. Registration: HACCP certified to 2027. Inspected 2026-05-20: 6.1 and
        7.5 fail (raw_material, distribution); observes HACCP certified to 2026-06-15 (expired by
        the cutoff) and internet 明厨亮灶.
        Supplies SK1 and SQ1 (open); supplied SK2 until 2026-03-31.
  K-s2  supplier, licensed. Registration: HACCP certified to 2027-12-31. Supplies SK2 only from
        2026-07-01.
青羊区 510105 (county Q)
  Q-c1  canteen of SQ1, licensed. Inspections: 2025-12-31T15:30Z (= 23:30 CST, last year; 9.1
        fails), 2025-12-31T16:30Z (= 1 Jan 00:30 CST, this period; clean), 2026-04-01 (6.1 and 5.1
        fail, one extra finding "other", order). Observes transparent 明厨亮灶 only.
  Q-s1  supplier, licensed, HACCP established, not inspected; supplies SK1 (a 锦江区 school).
  Q-p1  periphery, inspected 2026-02-15 (7.1 fails, not a table category for periphery); case:
        filed 03-01, fine 1,000.00 + confiscated 234.50 decided 03-20, transferred 03-25,
        criminal filing 04-02.
  Q-u1  unlicensed operator, inspected 2026-05-01; two cases, each banning it (05-02, 06-02).
自流井区 510302 (county Z, city 自贡市)
  Z-c1  canteen of SZ1, inspected 2026-05-05 (clean; observes 五常, video). Case filed 2025-12-20,
        fine 1,234.50 decided 2026-01-10, transferred 2026-01-12.
  Z-s1  supplier, licensed, transparent 明厨亮灶 at registration; supplies SZ1.

Inspections with problems and no order are handled 当场整改 (corrected on the spot): their problems
count in the C rows and they issue no order (D2 counts only the orders listed above).

D4 traps: 锦江区 1,234.50 → 0.12; 青羊区 1,234.50 → 0.12; 成都市 2,469.00 → 0.25 (not 0.24);
四川省 3,703.50 → 0.37 (not 0.36). B2 trap: SK1 is supplied by K-s1 and by Q-s1 → one school
for 成都市 (2 = SK1, SQ1), though the counties' B2 are 2 and 1.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest

from foodsafety.periods import parse_period
from foodsafety.statistics import compute
from foodsafety.statistics.definition import TABLE

H1 = parse_period("2026-H1")
CUTOFF = date(2026, 6, 30)
NOTHING = {"wuchang_6t": False, "haccp": "none", "mingchu": [], "licence_displayed": True}

# The expected tables, by hand. D4 is exact yuan; its display in 万元 is checked separately.
K = {  # 锦江区
    "A1": 3, "A2": 2, "A3": 2, "A4": 2, "A5": 2, "A6": 1,
    "B1": 2, "B2": 2, "B3": 2, "B4": 1, "B5": 1,
    "C1": 1, "C2": 1, "C3": 1, "C4": 1, "C5": 0,
    "C6": 1, "C7": 0, "C8": 0, "C9": 0, "C10": 1, "C11": 0,
    "D1": 4, "D2": 1, "D3": 2, "D4": Decimal("1234.50"), "D5": 1, "D6": 0, "D7": 0, "D8": 0,
}
Q = {  # 青羊区
    "A1": 1, "A2": 0, "A3": 0, "A4": 1, "A5": 0, "A6": 0,
    "B1": 1, "B2": 1, "B3": 1, "B4": 0, "B5": 0,
    "C1": 1, "C2": 0, "C3": 0, "C4": 1, "C5": 1,
    "C6": 0, "C7": 0, "C8": 0, "C9": 0, "C10": 0, "C11": 0,
    "D1": 4, "D2": 1, "D3": 3, "D4": Decimal("1234.50"), "D5": 0, "D6": 1, "D7": 1, "D8": 1,
}
CITY = {  # 成都市: K + Q except B2 (SK1 counted once)
    "A1": 4, "A2": 2, "A3": 2, "A4": 3, "A5": 2, "A6": 1,
    "B1": 3, "B2": 2, "B3": 3, "B4": 1, "B5": 1,
    "C1": 2, "C2": 1, "C3": 1, "C4": 2, "C5": 1,
    "C6": 1, "C7": 0, "C8": 0, "C9": 0, "C10": 1, "C11": 0,
    "D1": 8, "D2": 2, "D3": 5, "D4": Decimal("2469.00"), "D5": 1, "D6": 1, "D7": 1, "D8": 1,
}
Z = {  # 自流井区
    "A1": 1, "A2": 1, "A3": 0, "A4": 1, "A5": 1, "A6": 0,
    "B1": 1, "B2": 1, "B3": 0, "B4": 0, "B5": 1,
    "C1": 0, "C2": 0, "C3": 0, "C4": 0, "C5": 0,
    "C6": 0, "C7": 0, "C8": 0, "C9": 0, "C10": 0, "C11": 0,
    "D1": 1, "D2": 0, "D3": 0, "D4": Decimal("1234.50"), "D5": 0, "D6": 0, "D7": 1, "D8": 0,
}
PROVINCE = {  # 四川省: 成都市 + 自贡市 (B2: SK1, SQ1, SZ1)
    "A1": 5, "A2": 3, "A3": 2, "A4": 4, "A5": 3, "A6": 1,
    "B1": 4, "B2": 3, "B3": 3, "B4": 1, "B5": 2,
    "C1": 2, "C2": 1, "C3": 1, "C4": 2, "C5": 1,
    "C6": 1, "C7": 0, "C8": 0, "C9": 0, "C10": 1, "C11": 0,
    "D1": 9, "D2": 2, "D3": 5, "D4": Decimal("3703.50"), "D5": 1, "D6": 1, "D7": 2, "D8": 1,
}


class Fixture:
    """Builds the world above through the real API, one inspector per county."""

    def __init__(self, login_as, make_school, make_unit, make_link, new_inspection):
        self.login_as, self.make_school, self.make_unit = login_as, make_school, make_unit
        self.make_link, self.new_inspection = make_link, new_inspection
        self.apis = {}
        self.orders = 0

    def api(self, county):
        if county not in self.apis:
            self.apis[county] = self.login_as("inspector", county)
        return self.apis[county]

    def visit(self, unit, when, failed=(), observed=None, order=False, extra=(), twice=False):
        """Submit one inspection of `unit` at `when` on the version 1 checklist of its kind (the
        item codes above are theirs); returns its id. Newer checklists are in force: v1 records
        still count exactly as worked out by hand."""
        doc = self.new_inspection(
            unit, form=(unit.kind.value, 1), when=when, answers=dict.fromkeys(failed, "no"),
            observed={**NOTHING, **(observed or {})},
            extra_findings=[{"category": c, "description": "现场发现的其他问题"} for c in extra])
        if failed or extra:  # corrected on the spot (当场整改): counted in C rows, no order (D2)
            doc.update(handling="on_site")
        if order:
            self.orders += 1
            doc.update(handling="rectify", rectification_order={
                "number": f"责改〔2026〕{self.orders}号", "deadline": "2026-07-31"})
        api = self.api(unit.jurisdiction_code)
        for _ in range(2 if twice else 1):
            r = api.post("/api/v1/inspections", json=doc)
            assert r.status_code in (200, 201), r.get_json()
        return doc["id"]

    def delete(self, unit, inspection_id):
        r = self.api(unit.jurisdiction_code).delete(f"/api/v1/inspections/{inspection_id}",
                                                    json={"reason": "误录，删除"})
        assert r.status_code == 204, r.get_json()

    def case(self, unit, number, filed_on, **stages):
        api = self.api(unit.jurisdiction_code)
        r = api.post("/api/v1/cases", json={"case_no": number, "unit_id": unit.id,
                                            "filed_on": filed_on})
        assert r.status_code == 201, r.get_json()
        if stages:
            r = api.patch(f"/api/v1/cases/{r.get_json()['id']}", json=stages)
            assert r.status_code == 200, r.get_json()

    def build(self):
        mk, link = self.make_unit, self.make_link
        # --- 锦江区 -------------------------------------------------------------------------
        sk1, sk2 = self.make_school("锦江实验小学", "510104"), self.make_school("锦江第二小学", "510104")
        sq1 = self.make_school("青羊实验小学", "510105")
        sz1 = self.make_school("自流井小学", "510302")
        kc1 = mk("canteen", "510104", school=sk1, name="锦江实验小学食堂")
        kc2 = mk("canteen", "510104", school=sk2, name="锦江第二小学食堂", wuchang_6t=True,
                 haccp="certified", haccp_cert_expires_on=date(2027, 6, 30), mc_video=True)
        kc3 = mk("canteen", "510104", name="被吊销许可证的食堂")
        kc4 = mk("canteen", "510104", name="下半年发证的食堂", issued=date(2026, 7, 15),
                 expires=date(2031, 7, 14))
        kc5 = mk("canteen", "510104", name="许可证过期的食堂", issued=date(2021, 6, 1),
                 expires=date(2026, 5, 31))
        kc6 = mk("canteen", "510104", name="检查被删除的食堂")
        ks1 = mk("supplier", "510104", name="锦江配餐公司", haccp="certified",
                 haccp_cert_expires_on=date(2027, 12, 31))
        ks2 = mk("supplier", "510104", name="锦江第二配餐公司", haccp="certified",
                 haccp_cert_expires_on=date(2027, 12, 31))
        link(ks1, sk1)
        link(ks1, sq1)
        link(ks1, sk2, ends_on=date(2026, 3, 31))
        link(ks2, sk2, starts_on=date(2026, 7, 1))

        self.visit(kc1, "2025-10-10T10:00:00+08:00", failed=["5.1"])
        self.visit(kc1, "2026-03-10T10:00:00+08:00", failed=["6.1", "6.2", "7.1", "9.1"],
                   order=True, twice=True)
        self.visit(kc1, "2026-04-20T09:00:00+08:00", failed=["6.3"], observed={
            "wuchang_6t": True, "haccp": "established",
            "mingchu": ["transparent", "video", "internet"]})
        self.visit(kc1, "2026-06-30T16:30:00Z", failed=["5.1"], order=True)
        self.visit(kc3, "2026-06-30T15:30:00Z", failed=["8.1"])
        deleted = self.visit(kc6, "2026-02-01T10:00:00+08:00", failed=["3.1"], order=True,
                             observed={"wuchang_6t": True, "mingchu": ["transparent"]})
        self.delete(kc6, deleted)
        self.visit(ks1, "2026-05-20T10:00:00+08:00", failed=["6.1", "7.5"], observed={
            "haccp": "certified", "haccp_cert_expires_on": "2026-06-15", "mingchu": ["internet"]})
        self.case(kc3, "锦市监罚〔2026〕1号", "2026-04-01", decided_on="2026-04-10",
                  fine_yuan="1234.50", licence_revoked_on="2026-04-15")
        self.case(kc1, "锦市监罚〔2026〕2号", "2026-06-20", decided_on="2026-07-05",
                  fine_yuan="9999.00")
        # --- 青羊区 -------------------------------------------------------------------------
        qc1 = mk("canteen", "510105", school=sq1, name="青羊实验小学食堂", mc_transparent=True)
        qs1 = mk("supplier", "510105", name="青羊配餐公司", haccp="established")
        qp1 = mk("periphery", "510105", name="校门口小吃店")
        qu1 = mk("unlicensed", "510105", licensed=False, name="流动摊贩")
        link(qs1, sk1, starts_on=date(2025, 9, 1))
        self.visit(qc1, "2025-12-31T15:30:00Z", failed=["9.1"], observed={"mingchu": ["transparent"]})
        self.visit(qc1, "2025-12-31T16:30:00Z", observed={"mingchu": ["transparent"]})
        self.visit(qc1, "2026-04-01T10:00:00+08:00", failed=["6.1", "5.1"], extra=["other"],
                   order=True, observed={"mingchu": ["transparent"]})
        self.visit(qp1, "2026-02-15T10:00:00+08:00", failed=["7.1"])
        self.visit(qu1, "2026-05-01T10:00:00+08:00")
        self.case(qp1, "青市监罚〔2026〕1号", "2026-03-01", decided_on="2026-03-20",
                  fine_yuan="1000.00", confiscated_yuan="234.50", transferred_on="2026-03-25",
                  criminal_filed_on="2026-04-02")
        self.case(qu1, "青市监罚〔2026〕2号", "2026-05-01", banned_on="2026-05-02")
        self.case(qu1, "青市监罚〔2026〕3号", "2026-06-01", banned_on="2026-06-02")
        # --- 自流井区 -----------------------------------------------------------------------
        zc1 = mk("canteen", "510302", school=sz1, name="自流井小学食堂")
        zs1 = mk("supplier", "510302", name="自流井配餐公司", mc_transparent=True)
        link(zs1, sz1)
        self.visit(zc1, "2026-05-05T10:00:00+08:00",
                   observed={"wuchang_6t": True, "mingchu": ["video"]})
        self.case(zc1, "自市监罚〔2025〕9号", "2025-12-20", decided_on="2026-01-10",
                  fine_yuan="1234.50", transferred_on="2026-01-12")
        self.units = {name: unit for name, unit in locals().items()
                      if name[:2] in ("kc", "ks", "qc", "qs", "qp", "qu", "zc", "zs")}
        return self


@pytest.fixture
def world(login_as, make_school, make_unit, make_link, new_inspection):
    return Fixture(login_as, make_school, make_unit, make_link, new_inspection).build()


def as_dict(result):
    return {code: result.values[code] for code in (row.code for row in TABLE.rows)}


@pytest.mark.parametrize("code, expected", [("510104", K), ("510105", Q), ("510100", CITY),
                                            ("510302", Z), ("510000", PROVINCE)],
                         ids=["锦江区", "青羊区", "成都市", "自流井区", "四川省"])
def test_every_row_matches_the_hand_computed_table(world, code, expected):
    assert as_dict(compute.compute_table(code, H1, CUTOFF)) == expected


def test_fines_are_summed_exactly_and_rounded_once_per_table(world):
    tables = compute.compute_all("510000", H1, CUTOFF)
    shown = {code: tables[code].display("D4") for code in ("510104", "510105", "510100", "510302",
                                                             "510000")}
    assert shown == {"510104": Decimal("0.12"), "510105": Decimal("0.12"),
                     "510100": Decimal("0.25"), "510302": Decimal("0.12"),
                     "510000": Decimal("0.37")}
    # …which is not the sum of the rounded counties' figures.
    assert shown["510104"] + shown["510105"] + shown["510302"] == Decimal("0.36")


def test_schools_supplied_are_counted_once_per_table_not_summed(world):
    tables = compute.compute_all("510000", H1, CUTOFF)
    assert tables["510104"].values["B2"] + tables["510105"].values["B2"] == 3
    assert tables["510100"].values["B2"] == 2


def test_compute_all_gives_every_node_the_same_table_as_compute_table(world):
    tables = compute.compute_all("510000", H1, CUTOFF)
    assert set(tables) == {"510000", "510100", "510104", "510105", "510300", "510302"}
    for code, result in tables.items():
        alone = compute.compute_table(code, H1, CUTOFF)
        assert result.values == alone.values, code
        assert result.context == alone.context, code
        assert result.coverage == alone.coverage, code
        assert result.issues == alone.issues, code


def test_context_counts_the_canteens_and_suppliers_inspected_in_the_period(world):
    county = compute.compute_table("510104", H1, CUTOFF)
    assert county.context == {"canteens_inspected": 2, "suppliers_inspected": 1}
    city = compute.compute_table("510100", H1, CUTOFF)
    assert city.context == {"canteens_inspected": 3, "suppliers_inspected": 1}
    assert city.issues == []


def test_coverage_counts_the_units_not_inspected_in_the_period(world):
    county = compute.compute_table("510104", H1, CUTOFF)
    assert county.coverage["canteen"] == {"units": 6, "inspected": 2, "uninspected": 4}
    assert county.coverage["supplier"] == {"units": 2, "inspected": 1, "uninspected": 1}
    assert compute.compute_table("510105", H1, CUTOFF).coverage_summary == {
        "canteen": 0, "supplier": 1, "periphery": 0, "unlicensed": 0}


def test_a_licence_issued_in_the_second_half_counts_in_the_full_year_table(world):
    """Cut off at 30 September: K-c4 is licensed (issued 15 July, never inspected → nothing);
    K-c1's latest observation is now the 1 July visit that observed nothing."""
    year = compute.compute_table("510104", parse_period("2026"), date(2026, 9, 30))
    assert {c: year.values[c] for c in ("A1", "A2", "A3", "A4", "A5", "A6")} == {
        "A1": 4, "A2": 1, "A3": 1, "A4": 1, "A5": 1, "A6": 0}
    # K-s2 now supplies SK2: SK1, SQ1, SK2.
    assert year.values["B2"] == 3
    # Visits: the four of the first half plus 1 July; orders: two; the 9,999 fine is decided.
    assert (year.values["D1"], year.values["D2"], year.values["D4"]) == (5, 2, Decimal("11233.50"))


def test_an_earlier_cutoff_ignores_what_happened_after_it(world):
    """Cut off at 31 March: K-c3's licence is not yet revoked, K-c1 still supplies SK2 that day."""
    early = compute.compute_table("510104", H1, date(2026, 3, 31))
    assert early.values["A1"] == 5  # c1, c2, c3, c5 (expires 31 May), c6
    assert early.values["B2"] == 3  # SK1, SQ1, and SK2 until 31 March
    assert early.values["D1"] == 1 and early.values["D3"] == 0 and early.values["D5"] == 0


# --- drill-down: every cell's records are as many as its figure --------------------------------

def cell_records(api, code, row):
    """Every record behind a cell, following the pages."""
    records, page = [], 1
    while True:
        r = api.get(f"/api/v1/statistics/{code}/2026-H1/cells/{row}?cutoff={CUTOFF}"
                    f"&per_page=2&page={page}")
        assert r.status_code == 200, r.get_json()
        body = r.get_json()
        records += body["items"]
        if body["next_cursor"] is None and len(records) >= body["total"]:
            return body, records
        page += 1


@pytest.mark.parametrize("code, expected", [("510104", K), ("510105", Q), ("510100", CITY),
                                            ("510000", PROVINCE)],
                         ids=["锦江区", "青羊区", "成都市", "四川省"])
def test_every_cell_lists_as_many_records_as_its_figure(world, login_as, code, expected):
    api = login_as("bureau", "510000")
    for row in TABLE.rows:
        body, records = cell_records(api, code, row.code)
        assert body["total"] == len(records), row.code
        if row.is_money:  # D4: the decisions, whose amounts add up to the cell exactly
            assert sum(Decimal(r["case"]["amount_yuan"]) for r in records) == expected["D4"]
            assert Decimal(body["exact"]) == expected["D4"]
        else:
            assert len(records) == expected[row.code], row.code
            assert body["value"] == str(expected[row.code])


def test_c3_lists_the_canteens_with_a_cleaning_problem_and_the_inspections_that_recorded_it(
        world, login_as):
    body, records = cell_records(login_as("bureau", "510100"), "510100", "C3")
    assert body["records_label"] == "单位" and body["row"]["label"] == "餐具用具清洗消毒不彻底（家）"
    [record] = records
    assert record["unit"]["name"] == "锦江实验小学食堂"
    [inspection] = record["inspections"]  # submitted twice, one visit
    assert inspection["inspected_on"] == "2026-03-10"
    assert [p["item_code"] for p in inspection["problems"]] == ["9.1"]


def test_a1_lists_the_licensed_canteens_and_d4_the_decisions_with_their_amounts(world, login_as):
    api = login_as("bureau", "510104")
    _, canteens = cell_records(api, "510104", "A1")
    assert sorted(r["unit"]["name"] for r in canteens) == sorted(
        ["锦江实验小学食堂", "锦江第二小学食堂", "检查被删除的食堂"])
    _, decisions = cell_records(api, "510104", "D4")
    assert [(r["case"]["case_no"], r["case"]["amount_yuan"], r["case"]["stage_on"])
            for r in decisions] == [("锦市监罚〔2026〕1号", "1234.50", "2026-04-10")]


def test_a_row_the_table_lacks_is_missing(world, login_as):
    r = login_as("bureau", "510104").get("/api/v1/statistics/510104/2026-H1/cells/X9")
    assert r.status_code == 404
