"""The CJK font is parsed once per process and shared by every record built: each PDF still
embeds the subset of its own text, and the bytes are those fpdf2's own add_font gives."""

from __future__ import annotations

import io
import re
from concurrent.futures import ThreadPoolExecutor

import pytest
from pypdf import PdfReader

from exports import inspection_record
from exports.inspection_record import RecordData, RecordItem, build_record_pdf, find_font

# Units whose names share no character with each other nor with the rest of the record, so a
# glyph missing from a document's subset (or a ToUnicode entry of another document) shows.
UNITS = ("青羊区草堂小学食堂", "武侯区浆洗街幼儿园厨房", "龙泉驿区桃花沟中学餐厅", "郫都区蜀绣坊校外超市")


@pytest.fixture(scope="module")
def font():
    path = find_font()
    assert path is not None, "no CJK font installed (apt-get install fonts-wqy-microhei)"
    return path


def record(unit: str) -> RecordData:
    items = [RecordItem("1.1", "许可证件在有效期内", True, "是"),
             RecordItem("6.1", "查验供货者许可证和产品合格证明", True, "否", f"{unit}未索证")]
    return RecordData(
        authority="成都市市场监督管理局", title="餐饮服务监督检查要点表", number="0000-1",
        unit_name=unit, unit_address="成都市", licence_no="JY35101040000016", unit_kind="学校食堂",
        started_at="2026年11月30日 09:30", inspectors=[("张三", "川执0099881")], items=items,
        problems=["6.1 未索证"], result="基本符合", items_checked=2, key_items_checked=2,
        key_items_failed=1, problems_found=1, handling="书面限期整改", order_number=None,
        order_deadline=None, publication="检查结果将于 20 个工作日内公开。", revision=1)


def text_of(pdf: bytes) -> str:
    reader = PdfReader(io.BytesIO(pdf))
    return re.sub(r"\s+", "", "".join(page.extract_text() for page in reader.pages))


def without_date_and_id(pdf: bytes) -> bytes:
    return re.sub(rb"/CreationDate \([^)]*\)|/ID \[[^\]]*\]", b"", pdf)


def test_records_built_one_after_another_each_carry_their_own_text(font):
    texts = [text_of(build_record_pdf(record(unit), font)) for unit in UNITS]
    for unit, text in zip(UNITS, texts, strict=True):
        assert f"{unit}未索证" in text
        assert "许可证件在有效期内" in text
        for other in UNITS:
            if other != unit:
                assert other not in text


def test_records_built_at_once_in_threads_each_carry_their_own_text(font):
    with ThreadPoolExecutor(max_workers=len(UNITS)) as pool:
        texts = list(pool.map(lambda unit: text_of(build_record_pdf(record(unit), font)), UNITS))
    for unit, text in zip(UNITS, texts, strict=True):
        assert f"{unit}未索证" in text
        assert not [other for other in UNITS if other != unit and other in text]


def test_the_shared_font_gives_the_bytes_of_fpdf2s_own_add_font(font, monkeypatch):
    shared = [build_record_pdf(record(unit), font) for unit in UNITS[:2]]
    monkeypatch.setattr(inspection_record, "_prepared_font", lambda path: None)
    parsed_each_time = [build_record_pdf(record(unit), font) for unit in UNITS[:2]]
    for one, other in zip(shared, parsed_each_time, strict=True):
        assert without_date_and_id(one) == without_date_and_id(other)


def fingerprint(table) -> dict:
    """What a table holds, by identity and content, to tell whether building changed it."""
    def of(value):
        try:
            content = hash(tuple(value.items()) if isinstance(value, dict) else
                           tuple(value) if isinstance(value, list) else value)
        except TypeError:
            content = None
        return id(value), content
    return {name: of(value) for name, value in vars(table).items()}


def test_building_records_leaves_the_shared_font_whole(font):
    build_record_pdf(record(UNITS[0]), font)
    prepared = inspection_record._prepared_font(font)
    tables = [*prepared.tables.values(), *prepared.tables["cmap"].tables]
    assert {"post", "hmtx", "cmap"} <= set(prepared.tables)
    before = [fingerprint(table) for table in tables]
    glyphs = list(prepared.glyph_order)
    for unit in UNITS[1:]:
        build_record_pdf(record(unit), font)
    assert inspection_record._prepared_font(font) is prepared  # one parsed font, not one per build
    assert [fingerprint(table) for table in tables] == before
    assert prepared.glyph_order == glyphs
