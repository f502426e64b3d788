"""The printed 监督检查结果记录表 and 责令改正通知书: pure builders (typed data in → A4 PDF bytes out).

The font is embedded as a subset (fpdf2 keeps only the glyphs used), so a record of a few pages
stays small and opens the same on any reader.

Parsing the CJK collection (49,531 glyphs, 34,600 characters) was most of every build, so it is
done once per process (`_prepared_font`): each document gets its own copy of the parts fpdf2
changes while writing (subset, widths, descriptor, and a fontTools font that the subsetter cuts
down), the rest shared read-only. Its fontTools font starts with the decoded glyph names, widths
and character map of the shared one (`SHARED_TABLES`); only the outlines are decoded again.
"""

from __future__ import annotations

import copy
import io
import threading
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path

import qrcode
from fontTools import ttLib
from fpdf import FPDF
from fpdf.enums import XPos, YPos
from fpdf.fonts import FontFace, SubsetMap, TTFFont

# Headings in a shaded row: the CJK font has no bold face.
HEADINGS = FontFace(emphasis="", fill_color=(235, 235, 235))

# The usual places of a CJK font on Debian/Ubuntu (fonts-wqy-microhei, fonts-wqy-zenhei,
# fonts-noto-cjk); `RECORD_FONT` in the config names another.
FONT_CANDIDATES = (
    "/usr/share/fonts/truetype/wqy/wqy-microhei.ttc",
    "/usr/share/fonts/truetype/wqy/wqy-zenhei.ttc",
    "/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc",
)


def find_font(configured: str = "") -> Path | None:
    """The CJK font to embed: the configured one, else the first system font found."""
    for candidate in ((configured,) if configured else FONT_CANDIDATES):
        if candidate and Path(candidate).is_file():
            return Path(candidate)
    return None


@dataclass(frozen=True)
class _PreparedFont:
    """A font file parsed once: its bytes and fpdf2's font object, minus the per-document parts."""

    key: tuple[str, int, int]  # path, size, mtime: an edited or replaced file is parsed again
    data: bytes
    template: TTFFont
    glyph_order: list[str]
    tables: dict[str, object]  # SHARED_TABLES, decoded; never changed after preparation


_font_lock = threading.Lock()
_font_slot: list[_PreparedFont] = []  # one font per process, the last one asked for

# TTFFont slots that fpdf2 changes while a document is written (its own __deepcopy__ copies the
# same ones); every other slot is computed from the file once and only read afterwards.
_PER_DOCUMENT = frozenset({"i", "ttfont", "desc", "cw", "missing_glyphs", "subset",
                           "biggest_size_pt", "_hbfont"})

# fontTools tables whose decoding is most of a document's own cost and that its subsetter and
# writer (fontTools 4.68, as fpdf2 2.8.9 calls them) only ever replace attributes of, never
# change in place: `metrics`, `tables`, each subtable's `cmap`, `formatType`, `extraNames`. A
# document gets shallow copies of them, so the decoded data is shared and stays whole; the test
# that the shared font's bytes are those of add_font, and that the shared tables stay whole
# after building, guard a fontTools upgrade. `glyf` is changed in place (outlines remapped,
# trimmed, recompiled): each document decodes its own.
SHARED_TABLES = ("post", "hmtx", "vmtx", "cmap")


def _prepared_font(path: Path) -> _PreparedFont | None:
    """The parsed font of `path`, cached for the process; None when it cannot be shared (a colour
    font, or one whose missing .notdef fpdf2 patches into its in-memory copy)."""
    stat = path.stat()
    key = (str(path), stat.st_size, stat.st_mtime_ns)
    with _font_lock:
        if _font_slot and _font_slot[0].key == key:
            return _font_slot[0]
        data = path.read_bytes()
        font = ttLib.TTFont(io.BytesIO(data), lazy=True, recalcTimestamp=False, fontNumber=0)
        glyph_order = font.getGlyphOrder()
        patched = "glyf" in font and ".notdef" not in glyph_order
        tables = {tag: font[tag] for tag in SHARED_TABLES if tag in font}
        if "cmap" in tables:
            for subtable in tables["cmap"].tables:
                subtable.ensureDecompiled()
        font.close()
        template = TTFFont(FPDF(), path, "cjk", "", collection_font_number=0)
        template.close()
        if patched or template.color_font is not None:
            return None
        del template.ttfont, template.subset  # each document opens and subsets its own
        _font_slot[:] = [_PreparedFont(key, data, template, glyph_order, tables)]
        return _font_slot[0]


def _document_ttfont(prepared: _PreparedFont) -> ttLib.TTFont:
    """A fontTools font of its own for one document, over the shared decoded tables."""
    font = ttLib.TTFont(io.BytesIO(prepared.data), recalcTimestamp=False,
                        fontNumber=prepared.template.collection_font_number, lazy=True)
    font.setGlyphOrder(list(prepared.glyph_order))
    for tag, table in prepared.tables.items():
        font[tag] = copy.copy(table)
        if tag == "cmap":
            font[tag].tables = [copy.copy(subtable) for subtable in table.tables]
    return font


def _add_font(pdf: FPDF, family: str, path: Path) -> None:
    """`pdf.add_font(family, "", path)` without parsing the file again: the result is the same
    font object fpdf2 would build, with its per-document parts fresh."""
    prepared = _prepared_font(path)
    if prepared is None:
        pdf.add_font(family, "", str(path), collection_font_number=0)
        return
    template = prepared.template
    font = TTFFont.__new__(TTFFont)
    for slot in TTFFont.__slots__:
        if slot not in _PER_DOCUMENT and hasattr(template, slot):
            setattr(font, slot, getattr(template, slot))  # cmap, glyph_ids, name, metrics: read only
    font.fontkey = family.lower()
    font.i = len(pdf.fonts) + 1
    font.biggest_size_pt = 0
    font._hbfont = None
    font.missing_glyphs = []
    font.cw = defaultdict(template.cw.default_factory, template.cw)  # reading fills in misses
    font.desc = copy.copy(template.desc)  # the writer sets its name and font file
    font.ttfont = _document_ttfont(prepared)
    font.subset = SubsetMap(font)
    pdf.fonts[font.fontkey] = font
    if font.is_cff and font.is_cid_keyed:
        pdf._set_min_pdf_version("1.6")


@dataclass(frozen=True)
class RecordItem:
    code: str
    text: str
    key: bool
    answer: str  # 是 / 否 / 合理缺项
    note: str | None = None


@dataclass(frozen=True)
class SignatureData:
    """The operator's answer to the record: a signature image, or a refusal with the note."""

    state: str  # "signed" or "refused"
    label: str  # 已签名 / 当事人拒签
    image: bytes | None  # PNG
    note: str | None  # the inspectors' note of a refusal
    received_at: str  # CST, when the server stored it
    width: int = 0  # of the image, in pixels
    height: int = 0


@dataclass(frozen=True)
class RecordData:
    """Everything the record shows, already in words (labels, CST times)."""

    authority: str
    title: str
    number: str  # the inspection's id, printed so the paper names its record
    unit_name: str
    unit_address: str
    licence_no: str
    unit_kind: str
    started_at: str  # CST, e.g. 2026年11月30日 09:30
    inspectors: list[tuple[str, str]]  # (name, 执法证号)
    items: list[RecordItem]
    problems: list[str]
    result: str
    items_checked: int
    key_items_checked: int
    key_items_failed: int
    problems_found: int
    handling: str
    order_number: str | None
    order_deadline: str | None
    publication: str
    revision: int
    status_lines: list[str] = field(default_factory=list)  # corrected / voided
    remarks: str | None = None
    verify_url: str | None = None
    signature: SignatureData | None = None  # None: not signed on the phone (sign on paper)
    signature_line: str | None = None  # an unsigned correction: which earlier revision was signed


@dataclass(frozen=True)
class NoticeData:
    """The 责令改正通知书 of an inspection."""

    authority: str
    number: str
    unit_name: str
    unit_address: str
    licence_no: str
    inspected_on: str
    problems: list[str]
    deadline: str
    legal_basis: str
    status_lines: list[str] = field(default_factory=list)
    verify_url: str | None = None


def qr_png(url: str) -> bytes:
    """A QR code of `url` as PNG bytes."""
    buffer = io.BytesIO()
    qrcode.make(url, border=2).save(buffer, format="PNG")
    return buffer.getvalue()


class _Document(FPDF):
    def __init__(self, font: Path, footer_text: str) -> None:
        super().__init__(orientation="P", unit="mm", format="A4")
        self.footer_text = footer_text
        _add_font(self, "cjk", font)
        self.set_auto_page_break(auto=True, margin=16)
        self.set_margins(16, 14, 16)
        self.set_font("cjk", size=10)

    def footer(self) -> None:
        self.set_y(-12)
        self.set_font("cjk", size=8)
        self.cell(0, 5, f"{self.footer_text}    第 {self.page_no()}/{{nb}} 页", align="C")

    def heading(self, authority: str, title: str) -> None:
        self.set_font("cjk", size=13)
        self.cell(0, 8, authority, align="C", new_x=XPos.LMARGIN, new_y=YPos.NEXT)
        self.set_font("cjk", size=17)
        self.cell(0, 10, title, align="C", new_x=XPos.LMARGIN, new_y=YPos.NEXT)
        self.set_font("cjk", size=10)

    def line_text(self, text: str, size: float = 10, height: float = 6) -> None:
        self.set_font("cjk", size=size)
        self.multi_cell(0, height, text, new_x=XPos.LMARGIN, new_y=YPos.NEXT)
        self.set_font("cjk", size=10)

    def section(self, text: str) -> None:
        self.ln(2)
        self.set_font("cjk", size=11.5)
        self.cell(0, 7, text, new_x=XPos.LMARGIN, new_y=YPos.NEXT)
        self.set_font("cjk", size=10)

    def boxed(self, lines: list[str]) -> None:
        """Lines a reader must not miss (corrected, voided), in a frame."""
        if not lines:
            return
        self.set_draw_color(160, 0, 0)
        self.set_text_color(160, 0, 0)
        self.multi_cell(0, 6, "\n".join(lines), border=1, padding=2,
                        new_x=XPos.LMARGIN, new_y=YPos.NEXT)
        self.set_text_color(0, 0, 0)
        self.set_draw_color(0, 0, 0)
        self.ln(2)

    def qr(self, url: str | None, caption: str) -> None:
        if not url:
            return
        if self.get_y() > self.h - 60:
            self.add_page()
        y = self.get_y() + 2
        self.image(io.BytesIO(qr_png(url)), x=self.w - self.r_margin - 30, y=y, w=30, h=30)
        self.set_xy(self.l_margin, y + 4)
        self.set_font("cjk", size=9)
        self.multi_cell(self.w - self.l_margin - self.r_margin - 34, 5, f"{caption}\n{url}",
                        new_x=XPos.LMARGIN, new_y=YPos.NEXT)
        self.set_y(max(self.get_y(), y + 32))
        self.set_font("cjk", size=10)


def _fields(pdf: _Document, rows: list[tuple[str, str]]) -> None:
    with pdf.table(col_widths=(28, 150), text_align="LEFT", line_height=6,
                   first_row_as_headings=False) as table:
        for label, value in rows:
            row = table.row()
            row.cell(label)
            row.cell(value or "—")


def build_record_pdf(data: RecordData, font: Path) -> bytes:
    """The 监督检查结果记录表 of one inspection as an A4 PDF."""
    pdf = _Document(font, f"检查编号 {data.number} · 第 {data.revision} 版")
    pdf.set_title(f"{data.title} {data.unit_name}")
    pdf.add_page()
    pdf.heading(data.authority, "监督检查结果记录表")
    pdf.line_text(f"检查表：{data.title}    检查编号：{data.number}    版本：第 {data.revision} 版",
                  size=8.5, height=5)
    pdf.boxed(data.status_lines)
    _fields(pdf, [
        ("被检查单位", data.unit_name), ("地址", data.unit_address), ("许可证编号", data.licence_no),
        ("单位类型", data.unit_kind), ("检查时间", data.started_at),
        ("检查人员", "；".join(f"{name}（执法证号：{badge or '未登记'}）"
                              for name, badge in data.inspectors)),
    ])
    pdf.section("检查内容")
    with pdf.table(col_widths=(14, 118, 22, 24), text_align=("CENTER", "LEFT", "CENTER", "LEFT"),
                   line_height=5.5, headings_style=HEADINGS) as table:
        head = table.row()
        for text in ("序号", "检查项目（* 为重点项）", "结果", "说明"):
            head.cell(text)
        for item in data.items:
            row = table.row()
            row.cell(item.code)
            row.cell(("*" if item.key else "") + item.text)
            row.cell(item.answer)
            row.cell(item.note or "")
    pdf.section("发现的问题")
    if data.problems:
        for index, problem in enumerate(data.problems, 1):
            pdf.line_text(f"{index}. {problem}")
    else:
        pdf.line_text("未发现问题。")
    pdf.section("检查结果")
    pdf.line_text(f"检查结果：{data.result}。本次检查项目 {data.items_checked} 项，其中重点项 "
                  f"{data.key_items_checked} 项（不符合 {data.key_items_failed} 项）；发现问题 "
                  f"{data.problems_found} 项。")
    handling = f"结果处理：{data.handling}。"
    if data.order_number:
        handling += f"责令改正通知书编号：{data.order_number}，整改期限：{data.order_deadline}。"
    pdf.line_text(handling)
    if data.remarks:
        pdf.line_text(f"备注：{data.remarks}")
    pdf.line_text(data.publication, size=9, height=5)
    pdf.ln(4)
    _signatures(pdf, data)
    pdf.qr(data.verify_url, "扫描二维码核验本记录（显示单位、日期、结果、处理及更正/作废情况）：")
    return bytes(pdf.output())


SIGNATURE_HEIGHT = 18  # mm


def _signatures(pdf: _Document, data: RecordData) -> None:
    """The inspectors' lines (their names printed) and the operator's signature: the image given
    on the phone, the refusal with the inspectors' note, or a blank line to sign on paper."""
    names = "、".join(name for name, _ in data.inspectors if name)
    pdf.line_text(f"检查人员（签名）：____________________    ____________________    （{names}）",
                  height=8)
    signature = data.signature
    if signature is not None and signature.image:
        if pdf.get_y() > pdf.h - 16 - SIGNATURE_HEIGHT - 12:
            pdf.add_page()
        pdf.set_font("cjk", size=10)
        label = "被检查单位负责人（签名）："
        y = pdf.get_y() + 1
        pdf.set_xy(pdf.l_margin, y + SIGNATURE_HEIGHT - 7)
        pdf.cell(pdf.get_string_width(label) + 1, 6, label)
        x = pdf.get_x()
        # As drawn on the phone: its proportions kept, at most SIGNATURE_HEIGHT high and as wide
        # as what is left of the line.
        room = pdf.w - pdf.r_margin - x
        ratio = signature.width / signature.height if signature.height else 3
        width, height = min(room, SIGNATURE_HEIGHT * ratio), min(SIGNATURE_HEIGHT, room / ratio)
        pdf.image(io.BytesIO(signature.image), x=x, y=y + SIGNATURE_HEIGHT - height, w=width, h=height)
        pdf.set_y(y + SIGNATURE_HEIGHT + 1)
        pdf.line_text(f"（当事人在手机上签名，随第 {data.revision} 版记录提交，服务器于 "
                      f"{signature.received_at} 收到）", size=8.5, height=5)
    elif signature is not None:
        pdf.line_text(f"被检查单位负责人（签名）：{signature.label}", height=8)
        pdf.line_text(f"拒签情况说明（检查人员记录）：{signature.note or ''}")
        pdf.line_text(f"在场检查人员：{names}", height=6)
    else:
        pdf.line_text("被检查单位负责人（签名）：____________________    日期：______年____月____日",
                      height=8)
    if data.signature_line:
        pdf.line_text(data.signature_line, size=8.5, height=5)


def build_notice_pdf(data: NoticeData, font: Path) -> bytes:
    """The 责令改正通知书 of one rectification order as an A4 PDF."""
    pdf = _Document(font, f"责令改正通知书 {data.number}")
    pdf.set_title(f"责令改正通知书 {data.number}")
    pdf.add_page()
    pdf.heading(data.authority, "责令改正通知书")
    pdf.cell(0, 7, data.number, align="C", new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    pdf.boxed(data.status_lines)
    pdf.line_text(f"{data.unit_name}：")
    pdf.line_text(f"（地址：{data.unit_address or '—'}；许可证编号：{data.licence_no or '—'}）", size=9)
    pdf.line_text(f"经 {data.inspected_on} 监督检查，你单位存在下列问题：")
    for index, problem in enumerate(data.problems, 1):
        pdf.line_text(f"{index}. {problem}")
    pdf.ln(2)
    pdf.line_text(f"{data.legal_basis}现责令你单位于 {data.deadline} 前改正上述问题，并将整改情况"
                  "报告我局。逾期不改正的，将依法处理。")
    pdf.ln(10)
    pdf.cell(0, 7, data.authority, align="R", new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    pdf.cell(0, 7, data.inspected_on, align="R", new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    pdf.ln(6)
    pdf.line_text("被检查单位签收：____________________    日期：______年____月____日", height=8)
    pdf.qr(data.verify_url, "扫描二维码核验检查记录：")
    return bytes(pdf.output())
