"""GB/T 2260 division loading: parent inference quirks, closure table, idempotency, CLI."""

from __future__ import annotations

import csv
import io

import pytest
from flask import Flask
from sqlalchemy import event, func, select

from foodsafety.extensions import db
from foodsafety.registry.cli import registry_cli
from foodsafety.registry.divisions import (
    DATA_DIR,
    infer_parent,
    load_bundled,
    load_divisions,
    parse_divisions_csv,
)
from foodsafety.registry.models import Jurisdiction, JurisdictionClosure


@pytest.fixture()
def divisions_app():
    """A bare Flask app on in-memory SQLite holding only the two jurisdiction tables."""
    flask_app = Flask(__name__)
    flask_app.config["SQLALCHEMY_DATABASE_URI"] = "sqlite://"
    flask_app.config["TESTING"] = True
    db.init_app(flask_app)
    flask_app.cli.add_command(registry_cli)
    with flask_app.app_context():
        db.metadata.create_all(
            db.engine, tables=[Jurisdiction.__table__, JurisdictionClosure.__table__]
        )
        yield flask_app
        db.session.remove()
        db.engine.dispose()


def _level_counts(prefix: str) -> dict[int, int]:
    rows = db.session.execute(
        select(Jurisdiction.level, func.count())
        .where(Jurisdiction.code.startswith(prefix))
        .group_by(Jurisdiction.level)
    )
    return dict(rows.tuples().all())


def _closure() -> set[tuple[str, str, int]]:
    return set(
        db.session.execute(
            select(
                JurisdictionClosure.ancestor_code,
                JurisdictionClosure.descendant_code,
                JurisdictionClosure.depth,
            )
        ).tuples()
    )


def _counts() -> tuple[int, int]:
    return (
        db.session.scalar(select(func.count()).select_from(Jurisdiction)),
        db.session.scalar(select(func.count()).select_from(JurisdictionClosure)),
    )


# --- infer_parent ---------------------------------------------------------------------


def test_infer_parent_province_and_prefecture():
    assert infer_parent("510000", set()) == (1, None)
    assert infer_parent("510100", set()) == (2, "510000")
    assert infer_parent("429000", set()) == (2, "420000")  # 省直辖县级行政区划
    assert infer_parent("500200", set()) == (2, "500000")  # 重庆 县


def test_infer_parent_quirks():
    assert infer_parent("110101", {"110000", "110100"}) == (3, "110100")  # 市辖区
    assert infer_parent("429004", {"420000", "429000"}) == (3, "429000")  # 仙桃市
    assert infer_parent("500101", {"500000", "500100", "500200"}) == (3, "500100")
    assert infer_parent("500229", {"500000", "500100", "500200"}) == (3, "500200")


def test_infer_parent_falls_back_to_province():
    assert infer_parent("510104", {"510000"}) == (3, "510000")
    assert infer_parent("429004", {"420000"}) == (3, "420000")


def test_infer_parent_rejects_bad_code():
    with pytest.raises(ValueError, match="6 位数字"):
        infer_parent("51010", set())


# --- parse_divisions_csv --------------------------------------------------------------


def test_parse_reads_header_and_rows():
    rows = parse_divisions_csv(io.StringIO("code,name\n510000,四川省\n\n510100, 成都市 \n"))
    assert rows == [("510000", "四川省"), ("510100", "成都市")]


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("code,name\n510000,四川省\n51010X,成都市\n", "第 3 行"),
        ("code,name\n510000,四川省\n510100,\n", "第 3 行：区划代码 510100 的名称为空"),
        ("code,name\n510000,四川省\n510100,成都市,多余\n", "第 3 行：应有 2 列"),
        ("code,name\n510000,四川省\n\n510000,四川\n", "第 4 行：区划代码 510000 与第 2 行重复"),
        ("510000,四川省\n5100,成都市\n", "第 2 行：区划代码“5100”应为 6 位数字"),
    ],
)
def test_parse_reports_bad_line(text, message):
    with pytest.raises(ValueError, match=message):
        parse_divisions_csv(io.StringIO(text))


def test_parse_from_path(tmp_path):
    path = tmp_path / "d.csv"
    path.write_text("\ufeffcode,name\n500000,重庆市\n", encoding="utf-8")
    assert parse_divisions_csv(path) == [("500000", "重庆市")]
    assert parse_divisions_csv(str(path)) == [("500000", "重庆市")]


# --- load_divisions -------------------------------------------------------------------

BEIJING = [("110000", "北京市"), ("110100", "市辖区"), ("110101", "东城区"), ("110102", "西城区")]
HUBEI = [
    ("420000", "湖北省"),
    ("420100", "武汉市"),
    ("420102", "江岸区"),
    ("429000", "省直辖县级行政区划"),
    ("429004", "仙桃市"),
    ("429021", "神农架林区"),
]
CHONGQING = [
    ("500000", "重庆市"),
    ("500100", "市辖区"),
    ("500101", "万州区"),
    ("500200", "县"),
    ("500229", "城口县"),
]


def test_load_quirks(divisions_app):
    # Children listed before their parents: the loader orders the inserts itself.
    assert load_divisions(list(reversed(BEIJING + HUBEI + CHONGQING))) == 15
    get = db.session.get
    assert get(Jurisdiction, "110101").parent_code == "110100"
    assert get(Jurisdiction, "110100").parent_code == "110000"
    assert (get(Jurisdiction, "429004").level, get(Jurisdiction, "429004").parent_code) == (
        3,
        "429000",
    )
    assert get(Jurisdiction, "429000").level == 2
    assert get(Jurisdiction, "500101").parent_code == "500100"
    assert get(Jurisdiction, "500229").parent_code == "500200"
    assert get(Jurisdiction, "500000").parent_code is None
    assert get(Jurisdiction, "500000").level == 1


def test_county_without_prefecture_falls_back_to_province(divisions_app):
    load_divisions([("510000", "四川省"), ("510104", "锦江区")])
    county = db.session.get(Jurisdiction, "510104")
    assert (county.level, county.parent_code) == (3, "510000")
    assert ("510000", "510104", 1) in _closure()


def test_missing_province_is_an_error(divisions_app):
    with pytest.raises(ValueError, match="上级区划 510000"):
        load_divisions([("510100", "成都市")])


def test_parent_may_already_be_in_database(divisions_app):
    load_divisions([("510000", "四川省"), ("510100", "成都市")])
    load_divisions([("510104", "锦江区")])
    assert db.session.get(Jurisdiction, "510104").parent_code == "510100"
    assert ("510000", "510104", 2) in _closure()


def test_closure(divisions_app):
    load_divisions(BEIJING + HUBEI)
    closure = _closure()
    assert closure == {
        ("110000", "110000", 0),
        ("110100", "110100", 0),
        ("110101", "110101", 0),
        ("110102", "110102", 0),
        ("110000", "110100", 1),
        ("110000", "110101", 2),
        ("110000", "110102", 2),
        ("110100", "110101", 1),
        ("110100", "110102", 1),
        ("420000", "420000", 0),
        ("420100", "420100", 0),
        ("420102", "420102", 0),
        ("429000", "429000", 0),
        ("429004", "429004", 0),
        ("429021", "429021", 0),
        ("420000", "420100", 1),
        ("420000", "420102", 2),
        ("420100", "420102", 1),
        ("420000", "429000", 1),
        ("420000", "429004", 2),
        ("420000", "429021", 2),
        ("429000", "429004", 1),
        ("429000", "429021", 1),
    }


def test_reload_is_idempotent(divisions_app):
    rows = parse_divisions_csv(DATA_DIR / "510000.csv")
    load_divisions(rows)
    db.session.commit()
    before_counts, before_closure = _counts(), _closure()
    statements: list[str] = []

    def record(_conn, _cursor, statement, *_args) -> None:
        statements.append(statement.lstrip().split(None, 1)[0].upper())

    event.listen(db.engine, "before_cursor_execute", record)
    try:
        assert load_divisions(rows) == len(rows)
    finally:
        event.remove(db.engine, "before_cursor_execute", record)
    assert set(statements) == {"SELECT"}  # nothing written the second time
    db.session.commit()
    assert _counts() == before_counts
    assert _closure() == before_closure


def test_renamed_division_is_updated(divisions_app):
    load_divisions([("510000", "四川省"), ("510100", "成都市"), ("510104", "锦江区")])
    db.session.commit()
    before = _counts()
    load_divisions([("510000", "四川省"), ("510100", "成都市"), ("510104", "锦江新区")])
    db.session.commit()
    db.session.expire_all()
    assert db.session.get(Jurisdiction, "510104").name == "锦江新区"
    assert _counts() == before


def test_loader_flushes_but_does_not_commit(divisions_app):
    load_divisions(BEIJING)
    db.session.rollback()
    assert _counts() == (0, 0)


def test_load_rejects_bad_row(divisions_app):
    with pytest.raises(ValueError, match="第 2 条"):
        load_divisions([("510000", "四川省"), ("5101", "成都市")])


# --- bundled data ---------------------------------------------------------------------


def test_bundled_sichuan(divisions_app):
    assert load_bundled("510000") == 205
    assert _level_counts("51") == {1: 1, 2: 21, 3: 183}
    chengdu = db.session.get(Jurisdiction, "510100")
    assert chengdu.name == "成都市"
    jinjiang = db.session.get(Jurisdiction, "510104")
    assert (jinjiang.name, jinjiang.level, jinjiang.parent_code) == ("锦江区", 3, "510100")
    # 510000 is an ancestor of every Chengdu county, at depth 2.
    chengdu_counties = set(
        db.session.scalars(select(Jurisdiction.code).where(Jurisdiction.parent_code == "510100"))
    )
    assert len(chengdu_counties) == 20
    closure = _closure()
    assert all(("510000", code, 2) in closure for code in chengdu_counties)
    assert all(("510100", code, 1) in closure for code in chengdu_counties)
    # 1 self row per division + 1 per parent link + 1 per grandparent link.
    assert len(closure) == 205 + 204 + 183


def test_bundled_hubei(divisions_app):
    assert load_bundled("420000") == 118
    assert _level_counts("42") == {1: 1, 2: 14, 3: 103}
    xiantao = db.session.get(Jurisdiction, "429004")
    assert (xiantao.name, xiantao.parent_code) == ("仙桃市", "429000")


def test_bundled_chongqing(divisions_app):
    assert load_bundled("500000") == 41
    assert _level_counts("50") == {1: 1, 2: 2, 3: 38}
    assert db.session.get(Jurisdiction, "500101").parent_code == "500100"
    assert db.session.get(Jurisdiction, "500229").parent_code == "500200"


@pytest.mark.parametrize("name", ["510000.csv", "500000.csv", "420000.csv"])
def test_bundled_files_are_well_formed(name):
    path = DATA_DIR / name
    with open(path, encoding="utf-8", newline="") as handle:
        assert next(csv.reader(handle)) == ["code", "name"]
    rows = parse_divisions_csv(path)
    assert {code[:2] for code, _ in rows} == {name[:2]}
    assert [code for code, _ in rows] == sorted(code for code, _ in rows)


def test_unknown_bundled_province(divisions_app):
    with pytest.raises(ValueError, match="没有省级区划 990000 的内置数据文件"):
        load_bundled("990000")
    with pytest.raises(ValueError, match="以 0000 结尾"):
        load_bundled("510100")


# --- CLI ------------------------------------------------------------------------------


def test_cli_province(divisions_app):
    result = divisions_app.test_cli_runner().invoke(
        args=["registry", "load-divisions", "--province", "500000"]
    )
    assert result.exit_code == 0, result.output
    assert "载入 41 个行政区划" in result.output
    db.session.remove()
    assert _level_counts("50") == {1: 1, 2: 2, 3: 38}


def test_cli_path(divisions_app, tmp_path):
    path = tmp_path / "bj.csv"
    path.write_text("code,name\n" + "".join(f"{c},{n}\n" for c, n in BEIJING), encoding="utf-8")
    result = divisions_app.test_cli_runner().invoke(args=["registry", "load-divisions", str(path)])
    assert result.exit_code == 0, result.output
    assert "载入 4 个行政区划" in result.output
    db.session.remove()
    assert _counts() == (4, 9)


def test_cli_reports_errors(divisions_app, tmp_path):
    runner = divisions_app.test_cli_runner()
    result = runner.invoke(args=["registry", "load-divisions"])
    assert result.exit_code == 2
    assert "二者选一" in result.output
    path = tmp_path / "bad.csv"
    path.write_text("code,name\n110000,北京市\n11010,东城区\n", encoding="utf-8")
    result = runner.invoke(args=["registry", "load-divisions", str(path)])
    assert result.exit_code == 1
    assert "第 3 行" in result.output
    assert _counts() == (0, 0)
