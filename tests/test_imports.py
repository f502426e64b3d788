"""Bulk import from the .xlsx template: an administrator fills the template the system serves and
uploads it; either every row lands or nothing does, with every bad cell reported."""

from __future__ import annotations

import zipfile
from datetime import date, datetime
from io import BytesIO
from urllib.parse import quote

import pytest
from openpyxl import Workbook, load_workbook
from sqlalchemy import func, select

from foodsafety.extensions import db
from foodsafety.imports import reader
from foodsafety.imports.template import SHEETS_BY_TITLE, build_template
from foodsafety.registry.identifiers import uscc_check_char
from foodsafety.registry.models import School, SupplyLink, Unit
from tests.factories import licence_for

CANTEEN_LICENCE = licence_for("canteen", "510104", 101)
SUPPLIER_LICENCE = licence_for("supplier", "510104", 102)


def uscc(body: str = "12510104MB000001") -> str:
    """A valid 18-character USCC for a public institution (事业单位) in 锦江区."""
    code17 = (body + "0" * 17)[:17]
    return code17 + uscc_check_char(code17)


def school_row(**over) -> dict:
    return {"学校名称": "锦江区第一小学", "学段": "小学", "行政区划代码": "510104",
            "统一社会信用代码": None, "地址": "锦江区东大街 1 号", **over}


def canteen_row(**over) -> dict:
    return {"单位类型": "学校食堂", "单位名称": "锦江区第一小学食堂", "行政区划代码": "510104",
            "所属学校名称": "锦江区第一小学", "经营方式": "自营", "许可证编号": CANTEEN_LICENCE,
            "发证日期": "2024-03-01", "有效期至": "2029-02-28", "五常/6T": "是",
            "HACCP": "已建立", "明厨亮灶": "透明式、视频式", **over}


def supplier_row(**over) -> dict:
    return {"单位类型": "学生集体用餐配送单位", "单位名称": "蓉城营养餐配送有限公司",
            "行政区划代码": "510104", "许可证编号": SUPPLIER_LICENCE,
            "发证日期": date(2024, 1, 10), "有效期至": date(2029, 1, 9), **over}


def link_row(**over) -> dict:
    return {"供餐单位许可证编号": SUPPLIER_LICENCE, "学校名称": "锦江区第一小学",
            "学校行政区划代码": "510104", "开始日期": "2026-03-01", **over}


def workbook(schools=(), units=(), links=(), template: bytes | None = None,
             text_cells: bool = True) -> bytes:
    """The template with rows appended (dicts keyed by Chinese header), as .xlsx bytes."""
    wb = load_workbook(BytesIO(template or build_template("510104")))
    for title, rows in (("学校", schools), ("单位", units), ("供餐关系", links)):
        ws = wb[title]
        headers = [c.value for c in ws[1]]
        for row in rows:
            ws.append([row.get(h) for h in headers])
            if text_cells:  # what a user typing into the text-formatted template gets
                for cell in ws[ws.max_row]:
                    if isinstance(cell.value, str):
                        cell.data_type = "s"
    buffer = BytesIO()
    wb.save(buffer)
    return buffer.getvalue()


def upload(api, data: bytes, **query):
    url = "/api/v1/imports"
    if query:
        url += "?" + "&".join(f"{k}={str(v).lower()}" for k, v in query.items())
    return api.client.post(url, data={"file": (BytesIO(data), "登记.xlsx")},
                           content_type="multipart/form-data", headers=api._headers(None))


def counts(body: dict) -> dict:
    return {s["sheet"]: (s["created"], s["updated"], s["unchanged"]) for s in body["sheets"]}


def located(body: dict) -> set[tuple]:
    return {(e["sheet"], e["row"], e["column"]) for e in body["errors"]}


def registered() -> tuple[int, int, int]:
    return tuple(db.session.scalar(select(func.count()).select_from(m))
                 for m in (School, Unit, SupplyLink))


FULL = {"schools": [school_row()], "units": [canteen_row(), supplier_row()], "links": [link_row()]}


# --- the template ---------------------------------------------------------------------------

def test_the_template_is_blank_with_chinese_headers_notes_dropdowns_and_one_example(login_as):
    r = login_as("inspector", "510104").get("/api/v1/imports/template.xlsx")
    assert r.status_code == 200
    assert r.mimetype == "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    assert f"filename*=UTF-8''{quote('登记数据导入模板.xlsx')}" in r.headers["Content-Disposition"]
    wb = load_workbook(BytesIO(r.data))
    assert wb.sheetnames == ["说明", "学校", "单位", "供餐关系"]
    units = wb["单位"]
    assert [c.value for c in units[1]][:3] == ["单位类型", "单位名称", "行政区划代码"]
    assert units.max_row == 2  # headers and the one example row
    assert "学校食堂" in units["A1"].comment.text
    dropdowns = {str(dv.sqref).split(":")[0]: dv.formula1 for dv in units.data_validations.dataValidation}
    assert dropdowns["A2"] == '"学校食堂,学生集体用餐配送单位,校园周边食品经营者,无证经营者"'
    assert dropdowns["F2"] == '"自营,承包经营"'
    assert dropdowns["M2"] == '"未建立,已建立,已通过认证"'
    assert '"幼儿园,小学,中学,职业学校,其他"' in {
        dv.formula1 for dv in wb["学校"].data_validations.dataValidation}


def test_the_untouched_template_has_nothing_to_import(login_as):
    api = login_as("admin", "510104")
    template = api.get("/api/v1/imports/template.xlsx").data
    r = upload(api, template)
    assert r.status_code == 422
    assert r.get_json()["errors"][0]["message"] == "文件中没有可导入的数据行。"


# --- a successful import --------------------------------------------------------------------

def test_a_filled_template_registers_schools_units_and_links(login_as):
    api = login_as("admin", "510100")
    template = api.get("/api/v1/imports/template.xlsx").data
    r = upload(api, workbook(**FULL, template=template))
    assert r.status_code == 200, r.get_json()
    assert counts(r.get_json()) == {"学校": (1, 0, 0), "单位": (2, 0, 0), "供餐关系": (1, 0, 0)}

    school = api.get("/api/v1/schools?q=锦江区第一小学").get_json()["items"][0]
    assert (school["stage"], school["jurisdiction_code"]) == ("primary", "510104")
    units = {u["kind"]: u for u in api.get("/api/v1/units").get_json()["items"]}
    canteen = units["canteen"]
    assert canteen["school_id"] == school["id"]
    assert canteen["licence_no"] == CANTEEN_LICENCE
    assert (canteen["licence_issued_on"], canteen["licence_expires_on"]) == ("2024-03-01", "2029-02-28")
    assert (canteen["operation_mode"], canteen["haccp"], canteen["wuchang_6t"]) == (
        "self_run", "established", True)
    assert canteen["mingchu"] == ["transparent", "video"]
    assert units["supplier"]["licence_issued_on"] == "2024-01-10"  # an Excel date cell
    link = api.get("/api/v1/supply-links").get_json()["items"][0]
    assert (link["supplier_id"], link["school_id"], link["starts_on"], link["ends_on"]) == (
        units["supplier"]["id"], school["id"], "2026-03-01", None)


def test_rows_may_refer_to_schools_and_suppliers_already_registered(login_as, make_school,
                                                                   make_unit):
    school = make_school("锦江区第一小学", "510104", uscc=uscc())
    supplier = make_unit("supplier", "510104")
    api = login_as("admin", "510104")
    r = upload(api, workbook(
        units=[canteen_row(所属学校名称=None, 所属学校统一社会信用代码=uscc())],
        links=[link_row(供餐单位许可证编号=supplier.licence_no)]))
    assert r.status_code == 200, r.get_json()
    canteen = db.session.scalar(select(Unit).where(Unit.licence_no == CANTEEN_LICENCE))
    assert canteen.school_id == school.id
    assert db.session.scalar(select(SupplyLink.school_id).where(
        SupplyLink.supplier_id == supplier.id)) == school.id


def test_check_digit_warnings_do_not_reject_the_file(login_as):
    wrong_digit = CANTEEN_LICENCE[:-1] + str((int(CANTEEN_LICENCE[-1]) + 1) % 10)
    r = upload(login_as("admin", "510104"), workbook(
        schools=[school_row()], units=[canteen_row(许可证编号=wrong_digit)]))
    assert r.status_code == 200, r.get_json()
    assert {"sheet": "单位", "row": 3, "column": "许可证编号",
            "message": "许可证编号校验位不符，请核对（已保存）。"} in r.get_json()["warnings"]


def test_a_dry_run_validates_and_counts_but_writes_nothing(login_as):
    r = upload(login_as("admin", "510104"), workbook(**FULL), dry_run=True)
    assert r.status_code == 200, r.get_json()
    assert r.get_json()["dry_run"] is True
    assert counts(r.get_json())["单位"] == (2, 0, 0)
    assert registered() == (0, 0, 0)


def check(api, data: bytes):
    """POST /imports/check: the answer, and its lines as JSON (read as they arrive)."""
    import json

    r = api.client.post("/api/v1/imports/check", data={"file": (BytesIO(data), "登记.xlsx")},
                        content_type="multipart/form-data", headers=api._headers(None))
    lines = [json.loads(line) for line in r.get_data(as_text=True).splitlines()] \
        if r.mimetype == "application/x-ndjson" else []
    return r, lines


def test_a_long_file_is_checked_with_its_progress_told_as_it_goes(login_as):
    schools = [school_row(学校名称=f"锦江区第{n}小学") for n in range(1, 1201)]
    r, lines = check(login_as("admin", "510104"), workbook(schools=schools))
    assert r.status_code == 200 and r.headers["X-Accel-Buffering"] == "no"
    assert lines[0]["stage"] == "received" and lines[0]["bytes"] > 0
    reading = [(line["sheet"], line["rows"]) for line in lines if line["stage"] == "reading"]
    assert ("学校", 1200) in reading and reading[0][1] < 1200  # a step per 500 rows, then the sheet's end
    checking = [(line["done"], line["total"]) for line in lines if line["stage"] == "checking"]
    assert checking == [(0, 1200), (500, 1200), (1000, 1200), (1200, 1200)]
    assert lines[-1]["stage"] == "checked"
    assert lines[-1]["result"]["dry_run"] is True and counts(lines[-1]["result"])["学校"] == (1200, 0, 0)
    assert registered() == (0, 0, 0)  # a check writes nothing


def test_a_checked_file_with_errors_ends_with_every_error_in_the_one_error_shape(login_as):
    bad = workbook(schools=[school_row()], units=[canteen_row(), supplier_row(有效期至="2023-12-31")],
                   links=[link_row()])
    r, lines = check(login_as("admin", "510104"), bad)
    assert r.status_code == 200 and lines[-1]["stage"] == "refused"
    error = lines[-1]["error"]
    assert error["code"] == 422 and "未导入任何数据" in error["message"]
    assert located(error) == {("单位", 4, "有效期至")}  # the row under the example row
    assert error["request_id"]
    assert registered() == (0, 0, 0)


def test_a_file_that_is_not_a_workbook_is_refused_before_the_check_begins(login_as):
    r, lines = check(login_as("admin", "510104"), "学校名称,学段\n一小,小学\n".encode())
    assert r.status_code == 415 and lines == [] and ".xlsx" in r.get_json()["message"]
    r, _ = check(login_as("bureau", "510104"), workbook(**FULL))
    assert r.status_code == 403


# --- idempotence and updates ----------------------------------------------------------------

def test_importing_the_same_file_twice_changes_nothing(login_as):
    api = login_as("admin", "510104")
    data = workbook(**FULL)
    assert upload(api, data).status_code == 200
    r = upload(api, data)
    assert r.status_code == 200, r.get_json()
    assert counts(r.get_json()) == {"学校": (0, 0, 1), "单位": (0, 0, 2), "供餐关系": (0, 0, 1)}
    assert registered() == (1, 2, 1)


def test_changed_values_update_the_registered_records(login_as):
    api = login_as("admin", "510104")
    assert upload(api, workbook(**FULL)).status_code == 200
    r = upload(api, workbook(
        schools=[school_row(地址="锦江区东大街 9 号")],
        units=[canteen_row(HACCP="已通过认证", HACCP证书有效期="2027-06-30", 明厨亮灶="互联网式"),
               supplier_row()],
        links=[link_row(结束日期="2026-07-31")]))
    assert r.status_code == 200, r.get_json()
    assert counts(r.get_json()) == {"学校": (0, 1, 0), "单位": (0, 1, 1), "供餐关系": (0, 1, 0)}
    db.session.expire_all()
    assert db.session.scalar(select(School.address)) == "锦江区东大街 9 号"
    canteen = db.session.scalar(select(Unit).where(Unit.licence_no == CANTEEN_LICENCE))
    assert (canteen.haccp.value, canteen.haccp_cert_expires_on) == ("certified", date(2027, 6, 30))
    assert (canteen.mc_transparent, canteen.mc_video, canteen.mc_internet) == (False, False, True)
    assert db.session.scalar(select(SupplyLink.ends_on)) == date(2026, 7, 31)
    assert registered() == (1, 2, 1)


def test_a_school_with_a_uscc_is_recognised_by_it_when_renamed(login_as):
    api = login_as("admin", "510104")
    assert upload(api, workbook(schools=[school_row(统一社会信用代码=uscc())])).status_code == 200
    r = upload(api, workbook(schools=[school_row(学校名称="锦江区实验小学", 统一社会信用代码=uscc())]))
    assert counts(r.get_json())["学校"] == (0, 1, 0)
    assert db.session.scalars(select(School.name)).all() == ["锦江区实验小学"]


def test_an_unlicensed_unit_is_recognised_by_kind_name_and_place(login_as):
    api = login_as("admin", "510104")
    stall = {"单位类型": "无证经营者", "单位名称": "校门口烧烤摊", "行政区划代码": "510104"}
    assert upload(api, workbook(units=[stall])).status_code == 200
    r = upload(api, workbook(units=[{**stall, "地址": "东大街校门口"}]))
    assert counts(r.get_json())["单位"] == (0, 1, 0)
    assert registered()[1] == 1


# --- rejection: every error, nothing written ------------------------------------------------

def test_every_bad_row_is_reported_and_nothing_is_written(login_as):
    r = upload(login_as("admin", "510104"), workbook(
        schools=[school_row(), school_row(学校名称="锦江区第二小学", 学段="大学")],
        units=[canteen_row(), supplier_row(有效期至="2023-12-31"),
               canteen_row(单位名称="无主食堂", 所属学校名称="不存在的学校", 许可证编号=None,
                           发证日期=None, 有效期至=None)],
        links=[link_row(), link_row(开始日期="2026-09-01", 结束日期="2026-08-01")]))
    assert r.status_code == 422
    body = r.get_json()
    assert "未导入任何数据" in body["message"]
    assert located(body) == {("学校", 4, "学段"), ("单位", 4, "有效期至"),
                             ("单位", 5, "所属学校名称"), ("供餐关系", 4, "结束日期")}
    messages = {(e["sheet"], e["row"]): e["message"] for e in body["errors"]}
    assert messages[("学校", 4)] == "取值应为以下之一：幼儿园、小学、中学、职业学校、其他。"
    assert messages[("单位", 4)] == "有效期至应晚于发证日期。"
    assert messages[("供餐关系", 4)] == "结束日期不能早于开始日期。"
    assert registered() == (0, 0, 0)


def test_rows_break_the_same_rules_as_the_api(login_as):
    r = upload(login_as("admin", "510104"), workbook(
        schools=[school_row()],
        units=[canteen_row(经营方式=None),  # a canteen must say self-run or contracted
               supplier_row(所属学校名称="锦江区第一小学"),  # only canteens belong to a school
               canteen_row(单位名称="另一食堂", 许可证编号=licence_for("canteen", "510104", 7),
                           有效期至=None),  # licence without its dates
               {"单位类型": "无证经营者", "单位名称": "摊贩", "行政区划代码": "510104",
                "许可证编号": licence_for("periphery", "510104", 8)}]))
    assert r.status_code == 422
    messages = {(e["row"], e["column"]): e["message"] for e in r.get_json()["errors"]}
    assert messages[(3, "经营方式")] == "学校食堂须注明自营或承包经营。"
    assert messages[(4, "所属学校名称")] == "只有学校食堂关联学校。"
    assert messages[(5, "发证日期")] == "填写许可证编号时须同时填写发证日期和有效期至。"
    assert messages[(6, "许可证编号")] == "无证经营者不应填写许可证编号。"


def test_repeated_rows_and_overlapping_supply_periods_are_rejected(login_as, make_school,
                                                                   make_unit, make_link):
    school = make_school("锦江区第二小学", "510104")
    supplier = make_unit("supplier", "510104")
    make_link(supplier, school, starts_on=date(2025, 9, 1))
    r = upload(login_as("admin", "510104"), workbook(
        schools=[school_row(), school_row(地址="别处")],
        units=[supplier_row(), supplier_row(单位名称="同证另一家")],
        links=[link_row(供餐单位许可证编号=supplier.licence_no, 学校名称="锦江区第二小学",
                        开始日期="2026-03-01")]))
    assert r.status_code == 422
    messages = {(e["sheet"], e["row"], e["column"]): e["message"] for e in r.get_json()["errors"]}
    assert messages[("学校", 4, "学校名称")].startswith("与第 3 行重复")
    assert messages[("单位", 4, "许可证编号")] == "与第 3 行的许可证编号重复。"
    assert messages[("供餐关系", 3, "开始日期")] == "该供餐关系与已登记的供餐关系的期间重叠。"


def test_rows_outside_the_administrators_jurisdiction_are_rejected(login_as, make_unit):
    elsewhere = make_unit("supplier", "510302")  # 自流井区, another city
    api = login_as("admin", "510104")
    r = upload(api, workbook(
        schools=[school_row(行政区划代码="510105")],
        units=[supplier_row(行政区划代码="510302", 许可证编号=licence_for("supplier", "510302", 5))],
        links=[link_row(供餐单位许可证编号=elsewhere.licence_no, 学校名称="青羊小学",
                        学校行政区划代码="510105")]))
    assert r.status_code == 422
    assert located(r.get_json()) >= {("学校", 3, "行政区划代码"), ("单位", 3, "行政区划代码"),
                                     ("供餐关系", 3, "供餐单位许可证编号"),
                                     ("供餐关系", 3, "学校行政区划代码")}
    assert registered() == (0, 1, 0)


def test_a_licence_registered_in_another_jurisdiction_is_not_taken_over(login_as, make_unit):
    theirs = make_unit("supplier", "510302")
    r = upload(login_as("admin", "510104"), workbook(units=[supplier_row(许可证编号=theirs.licence_no)]))
    assert r.status_code == 422
    assert r.get_json()["errors"][0]["message"] == "该许可证编号已登记在其他单位。"
    db.session.refresh(theirs)
    assert theirs.jurisdiction_code == "510302"


def test_a_rejected_file_can_come_back_annotated(login_as):
    r = upload(login_as("admin", "510104"),
               workbook(schools=[school_row(学段="大学")]), annotated=True)
    assert r.status_code == 422
    assert "filename*=UTF-8''" in r.headers["Content-Disposition"]
    ws = load_workbook(BytesIO(r.data))["学校"]
    headers = [c.value for c in ws[1]]
    assert headers[-1] == "错误"
    assert ws.cell(row=3, column=len(headers)).value.startswith("学段：取值应为以下之一")


# --- hostile and odd cells ------------------------------------------------------------------

@pytest.mark.parametrize("name", ["=HYPERLINK(\"http://x\",\"点我\")", "+86 小学", "-1 小学",
                                  "@SUM(A1) 小学"])
def test_formula_like_names_are_stored_as_plain_text(login_as, name):
    r = upload(login_as("admin", "510104"), workbook(schools=[school_row(学校名称=name)]))
    assert r.status_code == 200, r.get_json()
    assert db.session.scalar(select(School.name)) == name


def test_control_characters_and_over_long_values_are_rejected(login_as):
    r = upload(login_as("admin", "510104"), workbook(schools=[
        school_row(学校名称="锦江\u202e小学"), school_row(学校名称="长" * 129),
        school_row(学校名称="第三小学", 地址="路" * 257)]))
    assert r.status_code == 422
    messages = {(e["row"], e["column"]): e["message"] for e in r.get_json()["errors"]}
    assert messages[(3, "学校名称")] == "不能包含控制字符或换行符。"
    assert messages[(4, "学校名称")] == "长度不能超过 128 个字符。"
    assert messages[(5, "地址")] == "长度不能超过 256 个字符。"


def test_codes_typed_as_numbers_are_read_as_text(login_as):
    numeric_uscc = int("91510104" + "1" * 10)  # 18 digits: Excel keeps only 15 of them
    r = upload(login_as("admin", "510104"), workbook(
        schools=[school_row(行政区划代码=510104), school_row(学校名称="二小", 统一社会信用代码=numeric_uscc)],
        units=[supplier_row(发证日期=datetime(2024, 1, 10), 有效期至=46000)]))
    errors = r.get_json()["errors"]
    assert [(e["row"], e["column"]) for e in errors] == [(4, "统一社会信用代码")]
    assert "文本格式" in errors[0]["message"]


def test_required_cells_left_empty_are_named(login_as):
    r = upload(login_as("admin", "510104"), workbook(schools=[school_row(学段=None, 学校名称="  ")]))
    assert {(e["column"], e["message"]) for e in r.get_json()["errors"]} == {
        ("学段", "不能为空。"), ("学校名称", "不能为空。")}


def test_unknown_sheets_and_missing_columns_are_named(login_as):
    wb = load_workbook(BytesIO(build_template()))
    wb["单位"].delete_cols(9)  # 许可证编号
    wb.create_sheet("Sheet1")
    buffer = BytesIO()
    wb.save(buffer)
    r = upload(login_as("admin", "510104"), buffer.getvalue())
    assert r.status_code == 422
    assert {(e["sheet"], e["column"]) for e in r.get_json()["errors"]} == {
        ("单位", "许可证编号"), ("Sheet1", None)}
    assert "缺少列“许可证编号”。" in {e["message"] for e in r.get_json()["errors"]}


def test_a_file_that_is_not_a_workbook_is_refused(login_as):
    api = login_as("admin", "510104")
    r = upload(api, "学校名称,学段\n一小,小学\n".encode())
    assert r.status_code == 415
    assert ".xlsx" in r.get_json()["message"]
    other_zip = BytesIO()
    with zipfile.ZipFile(other_zip, "w") as archive:
        archive.writestr("readme.txt", "不是工作簿")
    assert upload(api, other_zip.getvalue()).status_code == 415


def test_a_broken_workbook_or_an_xml_entity_bomb_is_refused(login_as):
    api = login_as("admin", "510104")
    bomb = ('<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol">'
            '<!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">]>'
            '<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">'
            '<sheetData><row r="1"><c r="A1" t="inlineStr"><is><t>&lol2;</t></is></c></row>'
            '</sheetData></worksheet>')
    for member, content in (("xl/workbook.xml", "不是 XML"), ("xl/worksheets/sheet2.xml", bomb)):
        source = zipfile.ZipFile(BytesIO(workbook(schools=[school_row()])))
        rebuilt = BytesIO()
        with zipfile.ZipFile(rebuilt, "w") as target:
            for item in source.infolist():
                target.writestr(item, content if item.filename == member else source.read(item))
        r = upload(api, rebuilt.getvalue())
        assert r.status_code == 422, member
        assert r.get_json()["message"] == "无法读取该 Excel 工作簿，文件可能已损坏。"
    assert registered() == (0, 0, 0)


def test_a_zip_bomb_is_refused_before_it_is_unpacked(login_as, monkeypatch):
    monkeypatch.setattr(reader, "MAX_MEMBER_BYTES", 1024 * 1024)
    wb = Workbook()
    wb.active.title = "学校"
    buffer = BytesIO()
    wb.save(buffer)
    bomb = BytesIO()
    with zipfile.ZipFile(BytesIO(buffer.getvalue())) as source, \
            zipfile.ZipFile(bomb, "w", zipfile.ZIP_DEFLATED) as target:
        for item in source.infolist():
            target.writestr(item, source.read(item))
        target.writestr("xl/media/padding.bin", b"\0" * (2 * 1024 * 1024))
    r = upload(login_as("admin", "510104"), bomb.getvalue())
    assert r.status_code == 413
    assert "解压后过大" in r.get_json()["message"]


def rewrite_sheet(data: bytes, title: str, edit) -> bytes:
    """The workbook with the XML of sheet `title` passed through `edit` (text in, text out)."""
    order = load_workbook(BytesIO(data), read_only=True).sheetnames
    member = f"xl/worksheets/sheet{order.index(title) + 1}.xml"
    rebuilt = BytesIO()
    with zipfile.ZipFile(BytesIO(data)) as source, \
            zipfile.ZipFile(rebuilt, "w", zipfile.ZIP_DEFLATED) as target:
        for item in source.infolist():
            content = source.read(item)
            target.writestr(item, edit(content.decode()) if item.filename == member else content)
    return rebuilt.getvalue()


def appended_rows(xml: str, rows: str) -> str:
    return xml.replace("</sheetData>", rows + "</sheetData>")


def test_rows_beyond_the_sheet_limit_refuse_the_file_even_when_blank(login_as):
    """Every row counts toward the limit, blank or not: rows holding nothing but an empty cell at
    column XFD, and a row numbered far below the last one, are refused, not read."""
    api = login_as("admin", "510104")
    data = workbook(schools=[school_row()])
    blank = "".join(f'<row r="{n}"><c r="XFD{n}"/></row>' for n in range(4, 60_004))
    far_down = '<row r="1048576"><c r="A1048576" t="inlineStr"><is><t>远处</t></is></c></row>'
    for extra in (blank, far_down):
        r = upload(api, rewrite_sheet(data, "学校", lambda xml, extra=extra: appended_rows(xml, extra)))
        assert r.status_code == 413, r.get_json()
        assert r.get_json()["message"] == ("工作表的行数过多（含空行，每个工作表最多 51000 行），"
                                           "请删除多余的空行或分批导入。")
    assert registered() == (0, 0, 0)
    assert reader.MAX_SHEET_ROWS == reader.MAX_ROWS_PER_SHEET + 1_000


def test_rows_or_sheets_with_more_cells_or_elements_than_a_workbook_needs_are_refused(login_as):
    """openpyxl takes every child of a row for a cell and keeps a sheet's other elements until
    the sheet is done: a tiny file of a few million empty elements would take seconds and a
    gigabyte. Such structure is counted (nothing is built) and refused first."""
    api = login_as("admin", "510104")
    data = workbook(schools=[school_row()])
    wide_row = '<row r="4">' + "<c/>" * 3_000 + "</row>"
    not_cells = '<row r="4">' + "<x/>" * 3_000 + "</row>"
    junk = "<x/>" * 250_000
    for edit, message in (
            (lambda xml: appended_rows(xml, wide_row), "每行最多 1024 个"),
            (lambda xml: appended_rows(xml, not_cells), "每行最多 1024 个"),
            (lambda xml: xml.replace("<sheetData>", junk + "<sheetData>"), "工作簿内容过多")):
        hostile = rewrite_sheet(data, "学校", edit)
        assert len(hostile) < 100_000
        r = upload(api, hostile)
        assert r.status_code == 413, r.get_json()
        assert message in r.get_json()["message"]
    assert registered() == (0, 0, 0)


def test_a_rejected_file_comes_back_annotated_within_the_template_width(login_as):
    """A stray empty cell at column XFD neither moves the 错误 column there nor makes the copy
    fail; text that looks like a formula stays text; problems of an unknown sheet are listed."""
    wb = load_workbook(BytesIO(workbook(schools=[
        school_row(学段="大学", 地址="=HYPERLINK(\"http://x\",\"点我\")")], links=[link_row()])))
    wb.create_sheet("Sheet1")
    wb["供餐关系"]["F1"] = "备注"  # an unknown column: the sheet is not read, but copied
    buffer = BytesIO()
    wb.save(buffer)
    data = rewrite_sheet(buffer.getvalue(), "学校",
                         lambda xml: appended_rows(xml, '<row r="4"><c r="XFD4"/></row>'))
    r = upload(login_as("admin", "510104"), data, annotated=True)
    assert r.status_code == 422
    assert r.mimetype == "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    annotated = load_workbook(BytesIO(r.data))
    schools = annotated["学校"]
    assert schools.max_column == 6  # not XFE, past Excel's last column
    assert [c.value for c in schools[1]] == ["学校名称", "学段", "行政区划代码", "统一社会信用代码",
                                             "地址", "错误"]
    assert annotated.sheetnames == ["学校", "单位", "供餐关系", "其他错误"]
    assert schools["F3"].value.startswith("学段：取值应为以下之一")
    assert schools["B3"].value == "大学" and schools["B3"].fill.fgColor.rgb.endswith("FFC7CE")
    assert schools["E3"].value == "=HYPERLINK(\"http://x\",\"点我\")" and schools["E3"].data_type == "s"
    assert [[c.value for c in row] for row in annotated["其他错误"].iter_rows(min_row=2)] == [
        ["供餐关系", 1, "备注", "未知的列“备注”，请使用系统提供的导入模板。"],
        ["Sheet1", None, None, "未知的工作表“Sheet1”，工作表名称应为 “学校”、“单位”、“供餐关系”。"]]
    links = annotated["供餐关系"]
    assert links["G1"].value == "错误" and links["F1"].fill.fgColor.rgb.endswith("FFC7CE")
    assert [c.value for c in links[3]][:4] == [SUPPLIER_LICENCE, "锦江区第一小学", "510104", "2026-03-01"]


def test_an_upload_without_a_file_is_a_validation_error(login_as):
    r = login_as("admin", "510104").post("/api/v1/imports", json={})
    assert r.status_code == 422
    assert "file" in r.get_json()["errors"]


# --- who may import -------------------------------------------------------------------------

@pytest.mark.parametrize("role", ["inspector", "bureau", "school"])
def test_only_administrators_may_import(login_as, make_school, role):
    api = login_as(role, school=make_school()) if role == "school" else login_as(role, "510104")
    assert upload(api, workbook(**FULL)).status_code == 403
    assert registered()[1:] == (0, 0)


def test_a_school_cannot_fetch_the_template_and_nobody_anonymous(login_as, make_school, anonymous):
    assert login_as("school", school=make_school()).get("/api/v1/imports/template.xlsx").status_code == 403
    assert anonymous.get("/api/v1/imports/template.xlsx").status_code == 401
    assert login_as("bureau", "510100").get("/api/v1/imports/template.xlsx").status_code == 200


def test_another_citys_administrator_cannot_change_our_records(login_as):
    assert upload(login_as("admin", "510104"), workbook(**FULL)).status_code == 200
    r = upload(login_as("admin", "510300"), workbook(schools=[school_row(地址="改掉")]))
    assert r.status_code == 422
    assert db.session.scalar(select(School.address)) == "锦江区东大街 1 号"


# --- the command line -----------------------------------------------------------------------

def test_the_cli_imports_a_file_for_a_jurisdiction(app, tmp_path):
    path = tmp_path / "登记.xlsx"
    path.write_bytes(workbook(**FULL))
    result = app.test_cli_runner().invoke(args=["imports", "run", str(path),
                                                "--jurisdiction", "510104"])
    assert result.exit_code == 0, result.output
    assert "单位：2 行，新增 2，更新 0，未变 0" in result.output
    assert registered() == (1, 2, 1)


def test_the_cli_prints_every_error_and_fails(app, tmp_path):
    path = tmp_path / "登记.xlsx"
    path.write_bytes(workbook(schools=[school_row(学段="大学"), school_row(学校名称="二小", 行政区划代码="510302")]))
    result = app.test_cli_runner().invoke(args=["imports", "run", str(path),
                                                "--jurisdiction", "510104",
                                                "--report", str(tmp_path / "错误.xlsx")])
    assert result.exit_code == 1
    assert load_workbook(tmp_path / "错误.xlsx")["学校"]["F4"].value.startswith("行政区划代码：")
    assert "工作表“学校”第 3 行，“学段”列" in result.output
    assert "工作表“学校”第 4 行，“行政区划代码”列：行政区划不存在或不在您的管辖范围内。" in result.output
    assert registered() == (0, 0, 0)


def test_the_template_columns_map_to_distinct_fields():
    for sheet in SHEETS_BY_TITLE.values():
        assert len({c.field for c in sheet.columns}) == len(sheet.columns)
        assert len({c.header for c in sheet.columns}) == len(sheet.columns)


def test_a_row_naming_a_school_with_invisible_characters_is_the_registered_school(login_as,
                                                                                  make_school):
    make_school("锦江区第一小学", "510104")
    api = login_as("admin", "510104")
    r = upload(api, workbook(schools=[school_row(学校名称="锦江区\u200b第一\u2060小学")],
                             units=[canteen_row(单位名称="锦江区第一小学\u00ad食堂",
                                                所属学校名称="锦江区第一\u200d小学")]))
    assert r.status_code == 200, r.get_json()
    assert registered()[:2] == (1, 1)
    assert db.session.scalar(select(Unit.name)) == "锦江区第一小学食堂"
