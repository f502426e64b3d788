"""Benchmark of the bulk import: 20,000 rows (5,000 schools, 12,000 units, 3,000 supply links).

Generates a valid, realistic workbook for Sichuan's counties (licence numbers and USCCs with
correct check digits), then on a temporary SQLite file and, when reachable, a temporary
PostgreSQL database times: reading the workbook, validating it, writing it, and importing the
same file again (which must change nothing). The goal is an import in under 60 s.

    .venv/bin/python bench/import_bench.py [--schools 5000 --units 12000 --links 3000]

PostgreSQL is taken from BENCH_DATABASE_URL (or TEST_DATABASE_URL, default
postgresql://postgres@127.0.0.1:5432/test); a private database is created next to it and
dropped afterwards. Pass --sqlite-only to skip it.
"""

from __future__ import annotations

import argparse
import os
import random
import sys
import tempfile
import time
import uuid
from datetime import date, timedelta
from io import BytesIO
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from openpyxl import Workbook  # noqa: E402
from sqlalchemy import create_engine, func, select, text  # noqa: E402
from sqlalchemy.engine import make_url  # noqa: E402

from config import TestConfig  # noqa: E402
from foodsafety import create_app  # noqa: E402
from foodsafety.extensions import db  # noqa: E402
from foodsafety.imports.reader import read_workbook  # noqa: E402
from foodsafety.imports.services import apply_plan, import_parsed, plan_import  # noqa: E402
from foodsafety.imports.template import SHEETS, cell_text  # noqa: E402
from foodsafety.registry.divisions import bundled_path, load_bundled, parse_divisions_csv  # noqa: E402
from foodsafety.registry.identifiers import iso7064_mod11_10, uscc_check_char  # noqa: E402
from foodsafety.registry.models import School, SupplyLink, Unit  # noqa: E402

PROVINCE = "510000"
TARGET_SECONDS = 60.0
STAGES = ("kindergarten", "primary", "primary", "secondary", "vocational")
STAGE_NAMES = {"kindergarten": "幼儿园", "primary": "小学", "secondary": "中学", "vocational": "职业学校"}
STREETS = ("人民路", "建设路", "文化路", "学府路", "春熙路", "锦里路", "滨江路", "光华大道")


def licence(business: str, county: str, seq: int) -> str:
    body = f"{business}{county}{seq:06d}"
    return f"JY{body}{iso7064_mod11_10(body)}"


def uscc(county: str, seq: int, prefix: str = "12") -> str:
    code17 = f"{prefix}{county}MB{seq:07d}"[:17]
    return code17 + uscc_check_char(code17)


def counties() -> list[tuple[str, str]]:
    rows = parse_divisions_csv(bundled_path(PROVINCE))
    return [(c, n) for c, n in rows if c[4:] != "00"]


def generate(n_schools: int, n_units: int, n_links: int, seed: int = 2026) -> bytes:
    """A workbook that imports cleanly: every canteen has its school, every link its supplier."""
    rng = random.Random(seed)
    places = counties()
    schools, units, links = [], [], []
    for i in range(n_schools):
        code, county = places[i % len(places)]
        stage = rng.choice(STAGES)
        schools.append({"name": f"{county}第{i + 1}{STAGE_NAMES[stage]}", "stage": stage,
                        "jurisdiction_code": code, "uscc": uscc(code, i),
                        "address": f"{county}{rng.choice(STREETS)}{rng.randint(1, 999)}号"})
    n_canteens = min(n_schools, n_units * 5 // 12)
    n_suppliers = max(1, n_units * 2 // 12)
    n_unlicensed = n_units // 12
    n_periphery = n_units - n_canteens - n_suppliers - n_unlicensed
    seq = 0
    for school in schools[:n_canteens]:
        seq += 1
        issued = date(2022, 1, 1) + timedelta(days=rng.randint(0, 900))
        units.append({"kind": "canteen", "name": f"{school['name']}食堂",
                      "jurisdiction_code": school["jurisdiction_code"],
                      "school_name": school["name"],
                      "operation_mode": rng.choice(("self_run", "contracted")),
                      "address": school["address"],
                      "licence_no": licence("3", school["jurisdiction_code"], seq),
                      "licence_issued_on": issued, "licence_expires_on": issued + timedelta(days=1826),
                      "wuchang_6t": rng.random() < 0.6,
                      "haccp": rng.choice(("none", "none", "established")),
                      "mingchu": rng.sample(("transparent", "video", "internet"), rng.randint(0, 2))})
    suppliers = []
    for kind, count, business in (("supplier", n_suppliers, "2"), ("periphery", n_periphery, "1"),
                                  ("unlicensed", n_unlicensed, None)):
        for i in range(count):
            seq += 1
            code, county = places[rng.randrange(len(places))]
            row = {"kind": kind, "name": f"{county}{['', '配送', '食品', ''][i % 4]}经营户{seq}",
                   "jurisdiction_code": code, "address": f"{county}{rng.choice(STREETS)}{i + 1}号"}
            if business:
                issued = date(2021, 6, 1) + timedelta(days=rng.randint(0, 1200))
                row.update(licence_no=licence(business, code, seq), licence_issued_on=issued,
                           licence_expires_on=issued + timedelta(days=1826),
                           uscc=uscc(code, seq, "91"))
            units.append(row)
            if kind == "supplier":
                suppliers.append(row)
    for i in range(n_links):
        supplier = suppliers[i % len(suppliers)]
        school = schools[(i * 7919) % len(schools)]
        links.append({"supplier_licence_no": supplier["licence_no"], "school_name": school["name"],
                      "school_jurisdiction_code": school["jurisdiction_code"],
                      "starts_on": date(2025, 9, 1) + timedelta(days=(i // len(schools)) * 400),
                      "ends_on": None})
    # A normal (not write-only) workbook: like Excel's, it states its dimension up front.
    workbook = Workbook()
    workbook.remove(workbook.active)
    for sheet, rows in zip(SHEETS, (schools, units, links), strict=True):
        ws = workbook.create_sheet(sheet.title)
        ws.append([c.header for c in sheet.columns])
        for row in rows:
            ws.append([cell_text(c, row.get(c.field)) for c in sheet.columns])
    buffer = BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def postgres_database() -> tuple[str, callable] | None:
    base = os.environ.get("BENCH_DATABASE_URL") or os.environ.get(
        "TEST_DATABASE_URL", "postgresql://postgres@127.0.0.1:5432/test")
    if not base.startswith("postgresql"):
        return None
    url = make_url(base).set(drivername="postgresql+psycopg")
    name = f"fs_bench_{os.getpid()}_{uuid.uuid4().hex[:6]}"
    admin = create_engine(url, isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as conn:
            conn.execute(text(f'CREATE DATABASE "{name}"'))
    except Exception as exc:  # no server: report and carry on with SQLite
        print(f"PostgreSQL 不可用，跳过（{type(exc).__name__}）")
        return None

    def drop() -> None:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()

    return url.set(database=name).render_as_string(hide_password=False), drop


def timed(label: str, fn, figures: dict):
    """Run `fn`, keeping its wall time and this process's CPU time (the database server's excluded)."""
    start, cpu = time.perf_counter(), time.process_time()
    value = fn()
    figures[label] = time.perf_counter() - start
    figures[label + "CPU"] = time.process_time() - cpu
    return value


def run(label: str, url: str, data: bytes, instance: Path) -> dict:
    app = create_app(TestConfig, SQLALCHEMY_DATABASE_URI=url, INSTANCE_DIR=instance)
    figures: dict[str, float] = {}
    with app.app_context():
        db.create_all()
        load_bundled(PROVINCE)
        db.session.commit()
        parsed = timed("读取", lambda: read_workbook(data), figures)
        plan = timed("校验", lambda: plan_import(parsed, PROVINCE), figures)
        if plan.errors:
            raise SystemExit(f"生成的工作簿有错误：{[p.as_dict() for p in plan.errors[:5]]}")

        def write():
            apply_plan(plan)
            db.session.commit()

        timed("写入", write, figures)
        counted = [db.session.scalar(select(func.count()).select_from(m))
                   for m in (School, Unit, SupplyLink)]
        first = figures["读取"] + figures["校验"] + figures["写入"]
        again = timed("再次导入", lambda: import_parsed(read_workbook(data), PROVINCE), figures)
        db.session.commit()
        changed = sum(s.created + s.updated for s in again.sheets)
        db.session.remove()
        db.engine.dispose()
    print(f"\n[{label}]")
    for key in ("读取", "校验", "写入"):
        print(f"  {key}：{figures[key]:7.2f} s（本进程 CPU {figures[key + 'CPU']:6.2f} s）")
    print(f"  首次导入合计：{first:7.2f} s（目标 {TARGET_SECONDS:.0f} s，占 {first / TARGET_SECONDS:.0%}）")
    print(f"  再次导入同一文件：{figures['再次导入']:7.2f} s，新增或更新 {changed} 条（应为 0）")
    print(f"  机器负载（1 分钟平均）：{os.getloadavg()[0]:.1f}，CPU {os.cpu_count()} 个")
    print(f"  数据库中：学校 {counted[0]}，单位 {counted[1]}，供餐关系 {counted[2]}")
    return {"first": first, "changed": changed}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--schools", type=int, default=5000)
    parser.add_argument("--units", type=int, default=12000)
    parser.add_argument("--links", type=int, default=3000)
    parser.add_argument("--sqlite-only", action="store_true")
    args = parser.parse_args()
    start = time.perf_counter()
    data = generate(args.schools, args.units, args.links)
    total = args.schools + args.units + args.links
    print(f"生成工作簿：{total} 行（学校 {args.schools}，单位 {args.units}，供餐关系 {args.links}），"
          f"{len(data) / 1024 / 1024:.1f} MB，用时 {time.perf_counter() - start:.2f} s")
    results = {}
    with tempfile.TemporaryDirectory(prefix="fs-import-bench-") as tmp:
        results["SQLite"] = run("SQLite", f"sqlite:///{Path(tmp) / 'bench.sqlite3'}", data,
                                Path(tmp))
        database = None if args.sqlite_only else postgres_database()
        if database:
            url, drop = database
            try:
                results["PostgreSQL"] = run("PostgreSQL", url, data, Path(tmp))
            finally:
                drop()
    print()
    for name, result in results.items():
        verdict = "达标" if result["first"] < TARGET_SECONDS and result["changed"] == 0 else "未达标"
        print(f"{name}：{total} 行导入 {result['first']:.2f} s，{verdict}")


if __name__ == "__main__":
    main()
