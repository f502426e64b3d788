"""Writing untrusted text into a workbook so that no spreadsheet ever evaluates it.

A unit or jurisdiction name comes from users and imports. Written naively, openpyxl stores a
string starting with `=` as a formula, and Excel re-evaluates text starting with `+ - @`, a tab or a
line break as soon as someone edits the cell (CSV/formula injection). `put_text` stores every such
value as a plain string cell (`data_type = "s"`) AND sets the cell's quote-prefix style flag — what
Excel itself records when a user types a leading apostrophe — so the text stays text even on edit.
The value itself is kept verbatim (no visible apostrophe is added), with two exceptions the file
format forces: characters XML cannot carry are dropped, and a carriage return becomes a line feed
(XML parsers normalise a bare CR to LF when reading, Excel included).
"""

from __future__ import annotations

import re
from typing import Any

from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE
from openpyxl.worksheet.worksheet import Worksheet

MAX_CELL_TEXT = 32_767  # characters a cell holds (Excel's limit; openpyxl cuts there too)
RISKY_FIRST_CHARACTERS = ("=", "+", "-", "@", "\t", "\r", "\n")
_LINE_BREAKS = re.compile(r"\r\n?")


def clean_text(value: Any) -> str:
    """The text as a workbook can hold it: XML-illegal characters dropped, CR turned into LF."""
    text = "" if value is None else str(value)
    return _LINE_BREAKS.sub("\n", ILLEGAL_CHARACTERS_RE.sub("", text))


def is_risky(value: Any) -> bool:
    """Whether a spreadsheet could read this text as a formula (or DDE call)."""
    return isinstance(value, str) and value.startswith(RISKY_FIRST_CHARACTERS)


def put_text(ws: Worksheet, row: int, column: int, value: Any):
    """Write `value` as inert text into (row, column) and return the cell."""
    cell = ws.cell(row=row, column=column)
    text = clean_text(value)[:MAX_CELL_TEXT]
    # Stored as is: `clean_text` dropped what openpyxl's value setter would refuse, and the setter's
    # own scan for it is most of the cost of a long list. A string cell is never evaluated (the
    # setter would infer "f", a formula, for a leading "=").
    cell._value = text
    cell.data_type = "s"
    if is_risky(value) or is_risky(text):
        cell.quotePrefix = True
    return cell


def footer_text(value: Any) -> str:
    """Text for a page header/footer, where `&` starts a formatting code (`&P`, `&D`…)."""
    return clean_text(value).replace("&", "&&").replace("\n", " ")
