"""A province-scale dataset for the statistics benchmark, written with bulk inserts.

A fake province 990000 (测试省) with GB/T 2260-shaped codes: 20 prefectures 99CC00, each with
10–11 counties 99CCDD (210 counties at scale 1). At scale 1: 20,000 schools each with a canteen,
500 catering suppliers supplying them, 5,000 campus-periphery businesses, 500 unlicensed
operators, 300,000 inspections over two years (1 July 2024 – 30 June 2026) with about 1.5
findings each, a rectification order at a quarter of them, and 5,000 enforcement cases.

Deterministic (a seeded generator): two runs at the same scale build the same data.
"""

from __future__ import annotations

import json
import random
import uuid
from collections.abc import Iterable, Iterator
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

from sqlalchemy import Connection, Table, insert, text

PROVINCE = "990000"
CITIES = 20
FIRST_DAY, LAST_DAY = date(2024, 7, 1), date(2026, 6, 30)
CATEGORIES = ("raw_material", "processing", "cleaning", "environment", "other")
CHUNK = 20_000


def scaled(n: int, scale: float) -> int:
    return max(1, round(n * scale))


def divisions() -> list[tuple[str, str]]:
    """The fake province: 20 prefectures, 10 counties each plus one more in the first ten."""
    rows = [(PROVINCE, "测试省")]
    for c in range(1, CITIES + 1):
        rows.append((f"99{c:02d}00", f"测试{c}市"))
        for d in range(1, 11 + (c <= 10)):
            rows.append((f"99{c:02d}{d:02d}", f"测试{c}市{d}区"))
    return rows


def counties() -> list[str]:
    return [code for code, _ in divisions() if not code.endswith("00")]


def _chunks(rows: Iterable[dict], size: int = CHUNK) -> Iterator[list[dict]]:
    batch = []
    for row in rows:
        batch.append(row)
        if len(batch) >= size:
            yield batch
            batch = []
    if batch:
        yield batch


def bulk_insert(conn: Connection, table: Table, rows: Iterable[dict]) -> int:
    """Insert many rows: COPY on PostgreSQL, executemany on SQLite. Returns the count."""
    count = 0
    if conn.dialect.name == "postgresql":
        columns = [c.name for c in table.columns]
        raw = conn.connection.driver_connection
        with raw.cursor() as cursor:
            names = ", ".join(f'"{c}"' for c in columns)
            with cursor.copy(f'COPY "{table.name}" ({names}) FROM STDIN') as copy:
                for row in rows:
                    copy.write_row([_copy_value(row.get(c)) for c in columns])
                    count += 1
        return count
    for batch in _chunks(rows):
        conn.execute(insert(table), batch)
        count += len(batch)
    return count


def _copy_value(value):
    if isinstance(value, list | dict):
        return json.dumps(value, ensure_ascii=False)
    return value


def _licence(kind_digit: str, county: str, n: int) -> str:
    return f"JY{kind_digit}{county}{n:07d}"[:16]


def generate(conn: Connection, tables: dict[str, Table], scale: float = 1.0, seed: int = 2026,
             say=print) -> dict[str, int]:
    """Write the dataset through `conn` (jurisdictions must already be loaded)."""
    rnd = random.Random(seed)
    now = datetime(2026, 7, 1, tzinfo=UTC).replace(tzinfo=None)
    county_codes = counties()
    by_city: dict[str, list[str]] = {}
    for code in county_codes:
        by_city.setdefault(code[:4], []).append(code)
    counts: dict[str, int] = {}

    conn.execute(insert(tables["users"]), [{
        "id": 1, "username": "bench", "display_name": "基准测试", "password_hash": "x",
        "role": "admin", "jurisdiction_code": PROVINCE, "active": True,
        "password_changed_at": now, "created_at": now}])

    # --- schools, units, supply links ---------------------------------------------------------
    n_schools = scaled(20_000, scale)
    school_county = [rnd.choice(county_codes) for _ in range(n_schools)]
    counts["schools"] = bulk_insert(conn, tables["schools"], (
        {"id": i + 1, "name": f"测试学校{i + 1}", "stage": rnd.choice(("primary", "secondary",
                                                                      "kindergarten")),
         "jurisdiction_code": school_county[i], "uscc": None, "address": None, "created_at": now}
        for i in range(n_schools)))

    units: list[tuple[int, str, str]] = []  # (id, kind, county)

    def unit_rows():
        uid = 0

        def status():
            haccp = rnd.choices(("none", "established", "certified"), (6, 3, 1))[0]
            return {
                "wuchang_6t": rnd.random() < 0.6, "haccp": haccp,
                "haccp_cert_expires_on": (date(2025, 1, 1) + timedelta(days=rnd.randrange(900)))
                if haccp == "certified" else None,
                "mc_transparent": rnd.random() < 0.7, "mc_video": rnd.random() < 0.5,
                "mc_internet": rnd.random() < 0.3,
            }

        def licence(kind_digit: str, county: str, n: int) -> dict:
            issued = date(2020, 1, 1) + timedelta(days=rnd.randrange(2400))
            return {"licence_no": _licence(kind_digit, county, n), "licence_issued_on": issued,
                    "licence_expires_on": issued + timedelta(days=5 * 365)}

        base = {"address": None, "uscc": None, "created_at": now, "operation_mode": None,
                "school_id": None}
        for i in range(n_schools):
            uid += 1
            county = school_county[i]
            units.append((uid, "canteen", county))
            yield {**base, "id": uid, "kind": "canteen", "name": f"测试学校{i + 1}食堂",
                   "jurisdiction_code": county, "school_id": i + 1, "operation_mode": "self_run",
                   **licence("3", county, uid), **status()}
        for kind, n, digit in (("supplier", 500, "2"), ("periphery", 5_000, "2"),
                               ("unlicensed", 500, None)):
            for _ in range(scaled(n, scale)):
                uid += 1
                county = rnd.choice(county_codes)
                units.append((uid, kind, county))
                lic = licence(digit, county, uid) if digit else {
                    "licence_no": None, "licence_issued_on": None, "licence_expires_on": None}
                yield {**base, "id": uid, "kind": kind, "name": f"测试{kind}{uid}",
                       "jurisdiction_code": county, **lic, **status()}

    counts["units"] = bulk_insert(conn, tables["units"], unit_rows())

    suppliers = [u for u in units if u[1] == "supplier"]
    schools_by_city: dict[str, list[int]] = {}
    for i, county in enumerate(school_county):
        schools_by_city.setdefault(county[:4], []).append(i + 1)

    def link_rows():
        lid = 0
        for supplier_id, _, county in suppliers:
            pool = schools_by_city.get(county[:4]) or [1]
            for school_id in rnd.sample(pool, min(len(pool), rnd.randint(10, 50))):
                lid += 1
                starts = date(2023, 1, 1) + timedelta(days=rnd.randrange(1200))
                ends = starts + timedelta(days=rnd.randrange(200, 900)) if rnd.random() < 0.3 else None
                yield {"id": lid, "supplier_id": supplier_id, "school_id": school_id,
                       "starts_on": starts, "ends_on": ends}

    counts["supply_links"] = bulk_insert(conn, tables["supply_links"], link_rows())
    say(f"  单位 {counts['units']}，学校 {counts['schools']}，供餐关系 {counts['supply_links']}")

    # --- inspections, findings, rectification orders ------------------------------------------
    n_inspections = scaled(300_000, scale)
    span = (LAST_DAY - FIRST_DAY).days + 1
    weights = [8 if kind == "canteen" else 12 if kind == "supplier" else 1 for _, kind, _ in units]
    picks = rnd.choices(units, weights, k=n_inspections)
    findings: list[dict] = []
    orders: list[dict] = []

    def inspection_rows():
        fid = 0
        for iid, (unit_id, kind, county) in enumerate(picks, start=1):
            day = FIRST_DAY + timedelta(days=rnd.randrange(span))
            started = datetime(day.year, day.month, day.day, rnd.randrange(24)) - timedelta(hours=8)
            n_found = rnd.choices((0, 1, 2, 3, 4), (25, 25, 25, 15, 10))[0]
            rectify = n_found and rnd.random() < 0.5
            haccp = rnd.choices(("none", "established", "certified"), (6, 3, 1))[0]
            for _ in range(n_found):
                fid += 1
                categories = CATEGORIES + (("distribution",) if kind == "supplier" else ())
                findings.append({"id": fid, "inspection_id": iid, "item_code": "6.1",
                                 "category": rnd.choice(categories), "description": "问题",
                                 "is_key": False, "rectified": None,
                                 "rectified_checked_on": None})
            if rectify:
                orders.append({"id": len(orders) + 1, "number": f"R{iid}", "inspection_id": iid,
                               "unit_id": unit_id, "jurisdiction_code": county,
                               "issued_on": day, "deadline": day + timedelta(days=15),
                               "status": "open", "closed_on": None, "version": 1, "created_at": now})
            deleted = now if rnd.random() < 0.01 else None
            yield {
                "id": iid, "uuid": str(uuid.UUID(int=rnd.getrandbits(128), version=4)),
                "verify_token": f"{iid:032x}",  # unique; not drawn from `rnd` (the data stays the same)
                "unit_id": unit_id, "jurisdiction_code": county, "unit_kind": kind,
                "form_id": kind, "form_version": 1, "started_at": started, "inspected_on": day,
                "inspectors": [{"name": "张三"}, {"name": "李四"}],
                "result": "basic" if n_found else "compliant",
                "handling": "rectify" if rectify else "pass",
                "items_checked": 30, "key_items_checked": 8, "key_items_failed": 0,
                "general_pass_rate": 90, "problems_found": n_found,
                "obs_wuchang_6t": rnd.random() < 0.6, "obs_haccp": haccp,
                "obs_haccp_cert_expires_on": (day + timedelta(days=rnd.randrange(-100, 700)))
                if haccp == "certified" else None,
                "obs_mc_transparent": rnd.random() < 0.7, "obs_mc_video": rnd.random() < 0.5,
                "obs_mc_internet": rnd.random() < 0.3, "obs_licence_displayed": True,
                "remarks": None, "body_hash": "0" * 64, "revision": 1, "created_by_id": 1,
                "created_at": now, "updated_at": now, "deleted_at": deleted,
                "deleted_by_id": 1 if deleted else None,
                "delete_reason": "误录" if deleted else None,
            }

    counts["inspections"] = bulk_insert(conn, tables["inspections"], inspection_rows())
    counts["findings"] = bulk_insert(conn, tables["findings"], findings)
    counts["rectification_orders"] = bulk_insert(conn, tables["rectification_orders"], orders)
    say(f"  检查 {counts['inspections']}，问题 {counts['findings']}，"
        f"责令改正通知书 {counts['rectification_orders']}")

    # --- enforcement cases ----------------------------------------------------------------------
    def case_rows():
        for cid in range(1, scaled(5_000, scale) + 1):
            unit_id, kind, county = rnd.choice(units)
            filed = FIRST_DAY + timedelta(days=rnd.randrange(span))
            decided = filed + timedelta(days=rnd.randrange(5, 90)) if rnd.random() < 0.7 else None
            if decided and decided > LAST_DAY:
                decided = None
            later = decided or filed
            fine = Decimal(rnd.randrange(0, 5_000_000)) / 100 if decided else Decimal("0.00")
            confiscated = (Decimal(rnd.randrange(0, 500_000)) / 100
                           if decided and rnd.random() < 0.3 else Decimal("0.00"))
            revoked = later if kind != "unlicensed" and decided and rnd.random() < 0.05 else None
            banned = later if kind == "unlicensed" and rnd.random() < 0.6 else None
            transferred = later if rnd.random() < 0.05 else None
            criminal = (transferred + timedelta(days=10)
                        if transferred and rnd.random() < 0.5 else None)
            yield {"id": cid, "case_no": f"测案{cid}", "unit_id": unit_id,
                   "jurisdiction_code": county, "inspection_id": None, "filed_on": filed,
                   "summary": None, "decided_on": decided, "fine_yuan": fine,
                   "confiscated_yuan": confiscated, "licence_revoked_on": revoked,
                   "banned_on": banned, "transferred_on": transferred,
                   "criminal_filed_on": criminal, "created_by_id": 1, "created_at": now,
                   "updated_at": now}

    counts["enforcement_cases"] = bulk_insert(conn, tables["enforcement_cases"], case_rows())
    # What enforcement's record_revocation keeps on the unit: its earliest revocation, which every
    # licence check reads (the reference SQL reads the cases themselves).
    conn.execute(text(
        "UPDATE units SET licence_revoked_on = (SELECT MIN(e.licence_revoked_on) FROM enforcement_cases e"
        " WHERE e.unit_id = units.id) WHERE id IN (SELECT unit_id FROM enforcement_cases"
        " WHERE licence_revoked_on IS NOT NULL)"))
    say(f"  案件 {counts['enforcement_cases']}")

    if conn.dialect.name == "postgresql":
        for name in ("users", "schools", "units", "supply_links", "inspections", "findings",
                     "rectification_orders", "enforcement_cases"):
            conn.execute(text(f"SELECT setval(pg_get_serial_sequence('{name}', 'id'), "
                              f"(SELECT COALESCE(MAX(id), 1) FROM {name}))"))
    return counts
