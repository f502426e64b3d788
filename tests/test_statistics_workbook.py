"""The statistics workbook a county, city or province downloads and prints (issue 3 §4).

Every test opens the produced .xlsx bytes with openpyxl, as the recipient's spreadsheet would.
"""

from __future__ import annotations

import io
import re
import zipfile
from datetime import UTC, date, datetime
from decimal import Decimal
from pathlib import Path

import pytest
from openpyxl import load_workbook

from exports.statistics_workbook import (
    BreakdownColumn,
    CoverageCount,
    Issue,
    StatisticsReport,
    UninspectedUnit,
    workbook_bytes,
)
from foodsafety.statistics.definition import BASIC_GROUPS, ROWS, SECTIONS, TABLE
from foodsafety.statistics.snapshots import build_snapshot
from foodsafety.statistics.workbook import snapshot_workbook

SEED = Path(__file__).resolve().parents[2] / "shared/seed/campus-food-safety-action-plan-2020.txt"
FIRST_ITEM_ROW = 5  # title, 填报单位, period line, header, then the 30 rows
INJECTIONS = ['=HYPERLINK("http://x","y")', "+1", "-2", "@SUM(A1)", "\t=1+1", "\r=cmd|' /C calc'!A0"]


def report(**overrides) -> StatisticsReport:
    values = {row.code: index for index, row in enumerate(ROWS, start=1)}
    values["D4"] = Decimal("123450.00")  # 12.345 万元: half-up gives 12.35 (banker's would give 12.34)
    data = dict(
        jurisdiction_code="510100", jurisdiction_name="成都市", reporting_office="成都市市场监督管理局",
        period_key="2026-H1",
        cutoff=date(2026, 6, 30), data_as_of=datetime(2026, 6, 30, 18, 5, tzinfo=UTC),
        values=values, kind="final", snapshot_id=41, snapshot_version=3,
        breakdown=[BreakdownColumn("510104", "锦江区", {"A1": 3, "B2": 2, "D4": Decimal("100000.00")}),
                   BreakdownColumn("510105", "青羊区", {"A1": 4, "B2": 2, "D4": Decimal("23450.00")})],
        issues=[Issue("warning", TABLE.rules[-1].message, "D8 ≤ D7")],
        coverage=[CoverageCount("canteen", 10, 7), CoverageCount("supplier", 2, 2)],
        uninspected=[UninspectedUnit(1, "成都市实验小学食堂", "canteen", "510104", "锦江区",
                                     "JY35101040000011")],
    )
    data.update(overrides)
    return StatisticsReport(**data)


def opened(rep: StatisticsReport):
    return load_workbook(io.BytesIO(workbook_bytes(rep)))


def form_rows(ws):
    """Sheet 1's item rows as (section, group, label, figure) with merged blanks as None."""
    return [tuple(ws.cell(r, c).value for c in range(1, 5))
            for r in range(FIRST_ITEM_ROW, FIRST_ITEM_ROW + len(ROWS))]


def test_the_workbook_has_the_form_the_breakdown_and_the_checks():
    wb = opened(report())
    assert wb.sheetnames == ["统计表", "分地区明细", "校验与覆盖"]


def test_the_form_shows_title_reporting_unit_period_cutoff_and_headers():
    ws = opened(report())["统计表"]
    assert ws["A1"].value == "校园食品安全守护行动工作情况统计表"
    assert ws["A2"].value == "填报单位：成都市市场监督管理局"
    assert "2026年上半年" in ws["A3"].value and "截止日期：2026年6月30日" in ws["A3"].value
    assert (ws["A4"].value, ws["D4"].value) == ("项目", "数量")


def test_every_row_label_is_verbatim_and_in_the_definitions_order():
    rows = form_rows(opened(report())["统计表"])
    labels = [label if label is not None else group for _section, group, label, _v in rows]
    assert labels == [row.label for row in ROWS]
    assert len(rows) == 30


def test_labels_read_in_the_same_order_as_the_official_attachment():
    if not SEED.exists():
        pytest.skip("the seed file of 国市监食经〔2020〕61号 is not beside the repository")
    text = SEED.read_text(encoding="utf-8")
    attachment = "".join(line.strip() for line in text[text.rindex("附件"):].splitlines())
    ws = opened(report())["统计表"]
    cells = [ws.cell(r, c).value for r in range(4, FIRST_ITEM_ROW + len(ROWS)) for c in range(1, 4)]
    position = 0
    for label in (v for v in cells if isinstance(v, str)):
        if label in BASIC_GROUPS.values():
            continue  # 基本情况's sub-groups name whose rows they are; the attachment has none
        found = attachment.find(label, position)
        assert found >= 0, f"「{label}」 is not in the attachment after position {position}"
        position = found + len(label)


def test_sections_and_subgroups_are_merged_as_in_the_attachment():
    ws = opened(report())["统计表"]
    merged = {str(r) for r in ws.merged_cells.ranges}
    assert {"A1:D1", "A4:C4", "A5:A15", "A16:A26", "A27:A34", "B16:B20", "B21:B26"} <= merged
    assert [ws[f"A{r}"].value for r in (5, 16, 27)] == [s.label for s in SECTIONS]
    assert (ws["B16"].value, ws["B21"].value) == ("学校食堂整改问题数量", "供餐单位整改问题数量")
    # 基本情况's two look-alike rows (HACCP, 明厨亮灶) are told apart by whose rows they are.
    assert {"B5:B10", "B11:B15"} <= merged
    assert (ws["B5"].value, ws["B11"].value) == ("学校食堂", "学生集体用餐配送单位")
    for offset, row in enumerate(ROWS):
        r = FIRST_ITEM_ROW + offset
        assert (f"B{r}:C{r}" in merged) == (row.group is None), row.code


def test_figures_are_numbers_with_integer_and_wan_yuan_formats():
    ws = opened(report())["统计表"]
    figures = {row.code: ws.cell(FIRST_ITEM_ROW + i, 4) for i, row in enumerate(ROWS)}
    assert figures["A1"].value == 1 and figures["D8"].value == 30
    assert figures["D4"].value == pytest.approx(12.35)
    assert figures["D4"].number_format == "0.00"
    assert {c.number_format for code, c in figures.items() if code != "D4"} == {"0"}


def test_an_empty_period_still_prints_all_thirty_rows_as_zero():
    ws = opened(report(values={}, breakdown=[], issues=[], coverage=[], uninspected=[]))["统计表"]
    assert [v for *_labels, v in form_rows(ws)] == [0] * 30


A4_INCHES = (8.27, 11.69)


def printed_scale(ws) -> tuple[float, float]:
    """The scale a spreadsheet prints the sheet's print area at to fit its page setup (width, height):
    the printable area over the rows' heights and the columns' widths (Excel's pixels at 96 dpi)."""
    paper_w, paper_h = A4_INCHES if ws.page_setup.orientation == "portrait" else A4_INCHES[::-1]
    margins = ws.page_margins
    printable_w = (paper_w - margins.left - margins.right) * 72
    printable_h = (paper_h - margins.top - margins.bottom) * 72
    area = ws.print_area[0] if isinstance(ws.print_area, list) else ws.print_area
    last_col, last_row = re.match(r".*:\$([A-Z]+)\$(\d+)$", area).groups()
    rows = range(1, int(last_row) + 1)
    height = sum(ws.row_dimensions[r].height or 15 for r in rows)
    from openpyxl.utils import column_index_from_string, get_column_letter

    cols = [get_column_letter(c) for c in range(1, column_index_from_string(last_col) + 1)]
    width = sum((ws.column_dimensions[c].width * 7 + 5) * 0.75 for c in cols)
    return printable_w / width, printable_h / height


def breakdown_report(children: int) -> StatisticsReport:
    """A province with `children` cities, most of them all zero (as issue 12's printout had)."""
    columns = [BreakdownColumn(f"51{n:02d}00", f"第{n}市", {"A1": n} if n <= 3 else {})
               for n in range(1, children + 1)]
    return report(jurisdiction_code="510000", jurisdiction_name="四川省", breakdown=columns)


def test_the_form_prints_on_exactly_one_a4_portrait_page_at_nearly_full_size():
    ws = opened(report())["统计表"]
    assert int(ws.page_setup.paperSize) == int(ws.PAPERSIZE_A4)
    assert ws.page_setup.orientation == "portrait"
    assert (ws.page_setup.fitToWidth, ws.page_setup.fitToHeight) == (1, 1)
    assert ws.sheet_properties.pageSetUpPr.fitToPage is True
    across, down = printed_scale(ws)
    assert min(across, down) >= 0.9  # 11-point text prints at 10 points or more, not shrunk to fit


def test_the_breakdown_prints_every_child_one_page_tall_repeating_the_item_columns_readably():
    ws = opened(breakdown_report(21))["分地区明细"]
    headers = [ws.cell(3, c).value for c in range(4, 4 + 22)]
    assert headers == [f"第{n}市" for n in range(1, 22)] + ["合计"]  # all-zero cities too
    assert ws.page_setup.orientation == "landscape"
    assert (ws.page_setup.fitToWidth, ws.page_setup.fitToHeight) == (0, 1)  # as many pages wide as needed
    assert ws.print_title_cols == "$A:$C" and ws.print_title_rows == "$3:$3"
    assert ws.page_setup.pageOrder == "overThenDown"
    _, down = printed_scale(ws)
    assert down >= 0.75  # 11-point figures print at 8 points or more (the old one-page fit: 3.6)
    notes = " ".join(str(ws.cell(r, 1).value) for r in range(34, 40) if ws.cell(r, 1).value)
    assert "列出全部 21 个下级行政区划" in notes and "每页重复项目列" in notes
    # The title and notes stand over the first printed page's columns, so they print whole.
    for merged in ws.merged_cells.ranges:
        if merged.min_row in (1, 2) or merged.min_row >= 34:
            assert merged.max_col <= 7, merged


def test_every_sheet_numbers_its_own_pages():
    wb = opened(breakdown_report(21))
    for ws in wb.worksheets:
        corner = ws.oddHeader.right.text
        assert corner.startswith(ws.title) and "&P" in corner and "&N" not in corner, corner
        assert ws.page_setup.firstPageNumber == 1 and ws.page_setup.useFirstPageNumber is True


def test_printed_text_keeps_off_the_cell_borders():
    ws = opened(report())["统计表"]
    for r in range(FIRST_ITEM_ROW, FIRST_ITEM_ROW + len(ROWS)):
        label = ws.cell(r, 3) if ws.cell(r, 3).value is not None else ws.cell(r, 2)
        figure = ws.cell(r, 4)
        assert label.alignment.horizontal == "left" and label.alignment.indent >= 1, label.coordinate
        assert figure.alignment.horizontal == "right" and figure.alignment.indent >= 1, figure.coordinate
    checks = opened(report())["校验与覆盖"]
    for row in checks.iter_rows():
        for cell in row:
            if isinstance(cell.value, int) and cell.alignment.horizontal == "right":
                assert cell.alignment.indent >= 1, cell.coordinate


def test_the_form_prints_with_provenance_in_the_footer():
    ws = opened(report())["统计表"]
    assert ws.print_title_rows == "$4:$4"
    footer = ws.oddFooter.center.text
    assert "数据提取于2026年7月1日 02:05（北京时间）" in footer  # 18:05 UTC is the next day in Beijing
    assert "快照#41第3版" in footer and "校园食品安全守护行动数据系统" in footer
    assert "草稿" not in footer


def test_the_form_has_lines_to_sign_and_one_consistent_set_of_dates():
    ws = opened(report())["统计表"]
    below = ws.cell(FIRST_ITEM_ROW + len(ROWS) + len(TABLE.notes), 1).value
    for line in ("填报人：", "审核人：", "联系电话：", "填报日期："):
        assert line in below
    texts = " ".join(str(c.value) for row in ws.iter_rows() for c in row if c.value) + ws.oddFooter.center.text
    assert "截止日期：2026年6月30日" in texts and "数据提取于2026年7月1日" in texts
    assert "数据截至" not in texts  # "data as of 1 July" beside "cutoff 30 June" read as a contradiction
    assert ws.print_area == f"'统计表'!$A$1:$D${FIRST_ITEM_ROW + len(ROWS) + len(TABLE.notes) + 1}"


def test_a5_and_a6_are_indented_under_a4_and_a_note_says_why_they_may_add_up_to_more():
    ws = opened(report())["统计表"]
    row_of = {row.code: FIRST_ITEM_ROW + i for i, row in enumerate(ROWS)}
    indents = {code: ws.cell(row_of[code], 3).alignment.indent for code in ("A4", "A5", "A6")}
    assert indents["A5"] == indents["A6"] > indents["A4"]
    note = ws.cell(FIRST_ITEM_ROW + len(ROWS), 1).value
    assert "A5 + A6 可以大于 A4" in note


def test_the_checks_sheet_defines_what_coverage_counts_and_repeats_the_list_header_on_each_page():
    ws = opened(report())["校验与覆盖"]
    texts = [c.value for row in ws.iter_rows() for c in row if isinstance(c.value, str)]
    assert any("登记在册" in t and "A1" in t for t in texts)
    header = int(ws.print_title_rows.split(":")[0].strip("$"))
    assert [ws.cell(header, c).value for c in (1, 2)] == ["序号", "单位名称"]
    assert ws.cell(header - 1, 1).value == "三、期内未接受检查的单位"


def test_a_live_table_is_marked_not_final_with_the_time_its_data_was_read():
    ws = opened(report(live=True, kind="draft", snapshot_id=None, snapshot_version=None))["统计表"]
    assert ws["A1"].value == "校园食品安全守护行动工作情况统计表（非定稿）"
    assert "非定稿" in ws.oddHeader.center.text
    assert "数据提取于2026年7月1日 02:05（北京时间）" in ws.oddHeader.center.text
    assert "实时计算，非快照" in ws.oddFooter.center.text and "快照#" not in ws.oddFooter.center.text


def test_the_form_uses_chinese_fonts_and_borders():
    ws = opened(report())["统计表"]
    assert ws["A1"].font.name == "黑体"
    assert ws["C16"].font.name == "宋体"
    for coordinate in ("A4", "D4", "A5", "B16", "C16", "D34", "A34"):
        assert ws[coordinate].border.left.style == "thin", coordinate


def test_a_draft_is_marked_in_the_title_the_header_and_the_footer():
    ws = opened(report(kind="draft"))["统计表"]
    assert ws["A1"].value == "校园食品安全守护行动工作情况统计表（草稿）"
    assert "草稿" in ws.oddHeader.center.text and "草稿" in ws.oddFooter.center.text


def test_the_breakdown_has_a_column_per_child_and_the_jurisdictions_own_total():
    ws = opened(report())["分地区明细"]
    assert [ws.cell(3, c).value for c in range(4, 7)] == ["锦江区", "青羊区", "合计"]
    a1, b2, d4 = (4 + [r.code for r in ROWS].index(code) for code in ("A1", "B2", "D4"))
    assert [ws.cell(a1, c).value for c in range(4, 7)] == [3, 4, 1]
    # B2 is not additive: the city's own figure (8 here) is what the total column shows.
    assert [ws.cell(b2, c).value for c in range(4, 7)] == [2, 2, 8]
    assert [ws.cell(d4, c).value for c in range(4, 7)] == [10, pytest.approx(2.35), pytest.approx(12.35)]
    notes = " ".join(str(ws.cell(r, 1).value) for r in range(34, 40) if ws.cell(r, 1).value)
    assert "供应的学校数（个）按学校去重" in notes
    assert ws.page_setup.orientation == "landscape"


def test_the_checks_sheet_lists_rule_results_coverage_and_units_not_inspected():
    ws = opened(report())["校验与覆盖"]
    texts = [c.value for row in ws.iter_rows() for c in row if c.value is not None]
    assert "一、校验结果（未发现错误，本表可以定稿报送。）" in texts
    assert TABLE.rules[-1].message in texts and "警告" in texts
    assert ["学校食堂", 10, 7, 3] == texts[texts.index("学校食堂"):texts.index("学校食堂") + 4]
    assert "成都市实验小学食堂" in texts and "JY35101040000011" in texts


def test_an_error_says_the_table_cannot_be_final():
    ws = opened(report(issues=[Issue("error", TABLE.rules[0].message, "A2 ≤ A1")]))["校验与覆盖"]
    assert ws["A4"].value == "一、校验结果（存在错误，本表不能作为定稿报送。）"


@pytest.mark.parametrize("name", INJECTIONS)
def test_names_that_look_like_formulas_stay_text(name):
    rep = report(jurisdiction_name=name,
                 breakdown=[BreakdownColumn("510104", name, {"A1": 1})],
                 uninspected=[UninspectedUnit(1, name, "canteen", "510104", name, name)])
    data = workbook_bytes(rep)
    expected = name.replace("\r", "\n")  # XML cannot carry a bare CR; it reads back as LF
    wb = load_workbook(io.BytesIO(data))
    cells = [c for ws in wb for row in ws.iter_rows() for c in row
             if isinstance(c.value, str) and expected in c.value]
    exact = [c for c in cells if c.value == expected]
    assert len(exact) >= 4  # the breakdown header, unit name, jurisdiction, licence
    for cell in exact:
        assert cell.data_type == "s" and cell.quotePrefix, cell.coordinate
    assert not [c for ws in wb for row in ws.iter_rows() for c in row if c.data_type == "f"]
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        sheets = [archive.read(n) for n in archive.namelist() if n.startswith("xl/worksheets/")]
    assert not any(re.search(rb"<f[ >]", xml) for xml in sheets)


def test_text_longer_than_a_cell_holds_is_cut_at_excels_limit():
    rep = report(uninspected=[UninspectedUnit(1, "食" * 40_000, "canteen", "510104", "锦江区", None)])
    ws = load_workbook(io.BytesIO(workbook_bytes(rep)))["校验与覆盖"]
    names = [c.value for row in ws.iter_rows() for c in row
             if isinstance(c.value, str) and c.value.startswith("食食")]
    assert names == ["食" * 32_767]


def test_an_ampersand_in_the_generator_does_not_become_a_footer_code():
    ws = opened(report(generator="A&B"))["统计表"]
    assert "生成：A&&B" in ws.oddFooter.center.text  # "&&" is how a footer spells a literal "&"


def test_a_full_year_report_shows_exact_yuan_in_wan_yuan_rounded_once():
    rep = report(period_key="2026", cutoff=date(2026, 12, 15), kind="draft",
                 values={"A1": 5, "D4": Decimal("3703.50")}, breakdown=[], issues=[], coverage=[])
    assert rep.period_label == "2026年全年"
    ws = opened(rep)["统计表"]
    assert ws["A3"].value.startswith("统计期间：2026年全年")
    assert ws.cell(FIRST_ITEM_ROW + [r.code for r in ROWS].index("D4"), 4).value == pytest.approx(0.37)


def test_a_stored_snapshot_exports_with_its_breakdown_and_uninspected_units(app, make_unit):
    make_unit("canteen", "510104", name='=HYPERLINK("http://x","y")')
    make_unit("canteen", "510104")
    make_unit("canteen", "510105")
    snapshot = build_snapshot("510100", "2026-H1", date(2026, 6, 30), kind="draft")
    wb = load_workbook(io.BytesIO(snapshot_workbook(snapshot)))

    form = wb["统计表"]
    assert form["A1"].value == "校园食品安全守护行动工作情况统计表（草稿）"
    assert form["A2"].value == "填报单位：成都市市场监督管理局"
    assert form.cell(FIRST_ITEM_ROW, 4).value == 3  # A1: licensed school canteens
    breakdown = wb["分地区明细"]
    assert [breakdown.cell(3, c).value for c in range(4, 7)] == ["锦江区", "青羊区", "合计"]
    assert [breakdown.cell(4, c).value for c in range(4, 7)] == [2, 1, 3]
    names = [c for row in wb["校验与覆盖"].iter_rows() for c in row
             if c.value == '=HYPERLINK("http://x","y")']
    assert names and all(c.data_type == "s" for c in names)


def test_a_bureau_downloads_the_live_workbook_of_any_period_marked_not_final(app, make_unit,
                                                                            login_as):
    from urllib.parse import unquote

    from foodsafety.extensions import db
    from foodsafety.statistics.models import StatsSnapshot

    for county in ("510104", "510104", "510105"):
        make_unit("canteen", county)
    r = login_as("bureau", "510100").get("/api/v1/statistics/510100/2026-H1/workbook.xlsx")
    assert r.status_code == 200, r.get_json()
    assert r.mimetype == "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    assert "_成都市_2026年上半年_校园食品安全守护行动工作情况统计表_非定稿_" in unquote(
        r.headers["Content-Disposition"])
    wb = load_workbook(io.BytesIO(r.data))
    form = wb["统计表"]
    assert form["A1"].value == "校园食品安全守护行动工作情况统计表（非定稿）"
    assert form["A2"].value == "填报单位：成都市市场监督管理局"
    assert "截止日期：2026年6月30日" in form["A3"].value
    assert form.cell(FIRST_ITEM_ROW, 4).value == 3
    assert "非定稿" in form.oddHeader.center.text and "数据提取于" in form.oddHeader.center.text
    assert [wb["分地区明细"].cell(4, c).value for c in range(4, 7)] == [2, 1, 3]
    assert db.session.scalar(db.select(db.func.count()).select_from(StatsSnapshot)) == 0
