"""The code paths before the upload and import bounds, kept to measure the hostile files against.

Each function does what the app did before (commit 0d3471f): the photo pipeline in the web
worker with no scan count, no full-decode pixel cap and four copies to flatten transparency;
the workbook reader reading every row as wide as its last cell and skipping blank rows
uncounted; the annotated copy of a rejected workbook made by loading it in full mode.
"""

from __future__ import annotations

import warnings
from collections import defaultdict
from io import BytesIO

from openpyxl import load_workbook
from openpyxl.styles import Font
from PIL import Image, ImageOps

from foodsafety.imports import reader
from foodsafety.imports.report import ERROR_FILL, ERROR_FONT
from foodsafety.imports.template import ERROR_HEADER, INSTRUCTIONS_SHEET, SHEETS_BY_TITLE
from foodsafety.photos import processing


def _old_flatten(image: Image.Image) -> Image.Image:
    if image.mode in ("RGB", "L", "CMYK"):
        return image
    if "A" in image.mode or "a" in image.mode or "transparency" in image.info:
        rgba = image.convert("RGBA")
        background = Image.new("RGBA", rgba.size, processing.WHITE + (255,))
        return Image.alpha_composite(background, rgba).convert("RGB")
    return image.convert("L" if image.mode == "1" else "RGB")


def process_before(data: bytes) -> str:
    """The photo pipeline as it ran in the web worker (40 MP cap for every format)."""
    with warnings.catch_warnings():
        warnings.simplefilter("error", Image.DecompressionBombWarning)
        image = processing._open(data, processing.MAX_PIXELS)
        icc = image.info.get("icc_profile")
        if image.format in ("JPEG", "MPO") and max(image.size) > processing.MAX_SIDE:
            image.draft("RGB", processing._draft_size(image.size, processing.MAX_SIDE))
        image.load()
        image = _old_flatten(image)
        image = processing._fit(image, processing.MAX_SIDE)
        ImageOps.exif_transpose(image, in_place=True)
        image = processing._to_srgb(image, icc)
    thumb = processing._fit(image, processing.THUMB_SIDE)
    stored = processing._jpeg(image, processing.JPEG_QUALITY)
    processing._jpeg(thumb, processing.THUMB_QUALITY)
    return f"接受：{image.width}×{image.height}，{len(stored) / 1e3:.0f} kB"


def read_before(data: bytes) -> str:
    """The reader's row loop as it was: no structure count, rows as wide as their last cell."""
    reader_check = reader.check_structure
    reader.check_structure = lambda archive: None
    try:
        reader.check_archive(data)
    finally:
        reader.check_structure = reader_check
    workbook = load_workbook(BytesIO(data), read_only=True, data_only=True)
    rows_read = 0
    try:
        for worksheet in workbook.worksheets:
            sheet = SHEETS_BY_TITLE.get(worksheet.title.strip())
            if sheet is None:
                continue
            worksheet.reset_dimensions()
            rows = worksheet.iter_rows(values_only=True)
            positions = reader._header_positions(sheet, next(rows, None) or (), [])
            for number, values in enumerate(rows, start=2):
                if all(v is None or (isinstance(v, str) and not v.strip()) for v in values):
                    continue
                if positions:
                    row = reader.Row(number, {})
                    for column, index in positions:
                        reader._read_cell(column, values[index] if index < len(values) else None, row)
                    rows_read += row.data.get(sheet.marker) != sheet.example[sheet.marker]
    finally:
        workbook.close()
    return f"读完：{rows_read} 行数据"


def annotate_before(data: bytes, problems: list) -> bytes:
    """The annotated copy as it was made: the whole workbook loaded in full mode, then saved."""
    workbook = load_workbook(BytesIO(data))
    by_sheet: dict = defaultdict(lambda: defaultdict(list))
    for problem in problems:
        by_sheet[problem.sheet][problem.row or 1].append(problem)
    for title, rows in by_sheet.items():
        if title not in workbook.sheetnames or title == INSTRUCTIONS_SHEET:
            continue
        ws = workbook[title]
        headers = {str(c.value).strip(): c.column for c in ws[1] if c.value is not None}
        error_col = headers.get(ERROR_HEADER) or ws.max_column + 1
        ws.cell(row=1, column=error_col, value=ERROR_HEADER).font = Font(bold=True, color="9C0006")
        ws.column_dimensions[ws.cell(row=1, column=error_col).column_letter].width = 60
        for number, found in rows.items():
            ws.cell(row=number, column=error_col,
                    value="；".join(f"{p.column}：{p.message}" if p.column else p.message
                                   for p in found)).font = ERROR_FONT
            for problem in found:
                if problem.column in headers:
                    ws.cell(row=number, column=headers[problem.column]).fill = ERROR_FILL
    buffer = BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()
