"""Shared marshmallow fields: clean text, names, ids, exact money, instants; ASCII-only numbers."""

from __future__ import annotations

import re
import unicodedata
from datetime import datetime, timedelta
from decimal import Decimal, InvalidOperation

from marshmallow import ValidationError, fields, validate

from foodsafety.timeutil import iso_cst

# The largest id a column holds on every supported database (PostgreSQL's INTEGER).
ID_MAX = 2**31 - 1
# An integer as a query string writes it: ASCII digits only (Python's int() also takes "١٢",
# "１２", "1_2" and " 12 ").
_ASCII_INT = re.compile(r"[+-]?[0-9]+", re.ASCII)

# C0/C1 controls, DEL, and the bidi overrides used to disguise text; tab and newlines are
# allowed only in multi-line fields.
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]")
_NEWLINES = re.compile(r"[\t\r\n]")
_NON_BLANK = re.compile(r"[^\s\ufeff]")  # ECMA-262's \s includes U+FEFF, Python's does not
# The same sets as JSON-Schema (ECMA-262) character classes, for the OpenAPI document.
_FORBIDDEN = "\\x00-\\x08\\x0b\\x0c\\x0e-\\x1f\\x7f-\\x9f\\u202a-\\u202e\\u2066-\\u2069"
_AMOUNT_PATTERN = r"^-?[0-9]+(\.[0-9]+)?$"
_AMOUNT = re.compile(_AMOUNT_PATTERN, re.ASCII)
_MULTILINE_CHARS = f"[^{_FORBIDDEN}]"
_LINE_CHARS = f"[^\\t\\n\\r{_FORBIDDEN}]"


class Text(fields.String):
    """A trimmed, NFC-normalised string without control characters; `max_length` in characters."""

    def __init__(self, *, max_length: int = 200, multiline: bool = False, min_length: int = 0,
                 **kwargs) -> None:
        super().__init__(**kwargs)
        self.max_length = max_length
        self.min_length = min_length
        self.multiline = multiline
        # Tell OpenAPI clients (and schemathesis) exactly what is accepted.
        allowed = _MULTILINE_CHARS if multiline else _LINE_CHARS
        non_blank = kwargs.get("required") or min_length > 0
        pattern = f"^{allowed}*[^\\s\\ufeff{_FORBIDDEN}]{allowed}*$" if non_blank else f"^{allowed}*$"
        self.metadata = {"maxLength": max_length, "pattern": pattern, **self.metadata}

    def _deserialize(self, value, attr, data, **kwargs) -> str:
        # Judge the value as sent, exactly as the documented pattern does; then tidy it.
        raw = super()._deserialize(value, attr, data, **kwargs)
        if _CONTROL.search(raw) or (not self.multiline and _NEWLINES.search(raw)):
            raise ValidationError("不能包含控制字符或换行符。" if not self.multiline
                                  else "不能包含控制字符。")
        if len(raw) > self.max_length:
            raise ValidationError(f"长度不能超过 {self.max_length} 个字符。")
        text = unicodedata.normalize("NFC", raw).strip().strip("\ufeff")
        if (self.required or self.min_length) and not _NON_BLANK.search(raw):
            raise ValidationError("不能为空。")
        if len(text) < self.min_length:
            raise ValidationError(f"长度不能少于 {self.min_length} 个字符。")
        return text


# Format characters (Unicode category Cf) and the default-ignorable fillers that render as nothing
# or as a blank: look-alike names must compare equal.
_FILLERS = "\u034f\u115f\u1160\u17b4\u17b5\u180b-\u180f\u2800\u3164\ufe00-\ufe0f\uffa0"
_INVISIBLE = re.compile(f"[{_FILLERS}\U000e0100-\U000e01ef]")
_SPACES = re.compile(r"\s+")


def normalise_name(text: str) -> str:
    """A name as stored and compared: NFKC, no invisible characters, single spaces, trimmed."""
    text = unicodedata.normalize("NFKC", text)
    text = "".join(c for c in text if unicodedata.category(c) != "Cf")
    text = _INVISIBLE.sub("", text)
    return _SPACES.sub(" ", text).strip()


class Name(Text):
    """The name of a school, a unit or a person: `Text`, then normalised (`normalise_name`), so
    names that look alike are stored alike and the duplicate checks see them as one."""

    def _deserialize(self, value, attr, data, **kwargs) -> str:
        text = normalise_name(super()._deserialize(value, attr, data, **kwargs))
        if not text:  # a name is never blank, also where it is optional (a PATCH)
            raise ValidationError("不能为空。")
        if len(text) < self.min_length:
            raise ValidationError(f"长度不能少于 {self.min_length} 个字符。")
        return text


class Id(fields.Integer):
    """A row id: a JSON integer (a string of ASCII digits in a query) from 1 to `ID_MAX`, the
    range every database's id column holds; the OpenAPI document states the bounds."""

    def __init__(self, *, strict: bool = True, **kwargs) -> None:
        super().__init__(strict=strict, **kwargs)
        self.validators.insert(0, validate.Range(min=1, max=ID_MAX))
        self.metadata = {"format": "int32", **self.metadata}


class Instant(fields.AwareDateTime):
    """An ISO 8601 time with a UTC offset of at most ±14:00 (the range real time zones use)."""

    def _deserialize(self, value, attr, data, **kwargs) -> datetime:
        instant = super()._deserialize(value, attr, data, **kwargs)
        if abs(instant.utcoffset()) > timedelta(hours=14):
            raise ValidationError("时区偏移应在 -14:00 到 +14:00 之间。")
        return instant


class Money(fields.Field):
    """An exact amount in yuan: a JSON string or number with at most two decimals, ≥ 0."""

    MAX = Decimal("999999999999.99")

    def __init__(self, **kwargs) -> None:
        super().__init__(**kwargs)
        self.metadata = {"type": "string", "pattern": _AMOUNT_PATTERN, **self.metadata}

    def _serialize(self, value, attr, obj, **kwargs):
        return None if value is None else f"{Decimal(value):.2f}"

    def _deserialize(self, value, attr, data, **kwargs) -> Decimal:
        if isinstance(value, bool) or not isinstance(value, str | int | float):
            raise ValidationError("金额应为数字或数字字符串，单位为元。")
        if isinstance(value, str) and not _AMOUNT.fullmatch(value.strip()):
            # Decimal() also reads "1_000", full-width and Arabic-Indic digits, and "1e3".
            raise ValidationError("金额格式不正确，请用阿拉伯数字书写，如 5000 或 5000.50。")
        try:
            amount = Decimal(str(value).strip())
        except InvalidOperation as exc:
            raise ValidationError("金额格式不正确。") from exc
        if not amount.is_finite():
            raise ValidationError("金额格式不正确。")
        if amount < 0:
            raise ValidationError("金额不能为负数。")
        if amount > self.MAX:
            raise ValidationError("金额过大。")
        if amount != amount.quantize(Decimal("0.01")):
            raise ValidationError("金额最多保留两位小数（元）。")
        return amount.quantize(Decimal("0.01"))


class Bool(fields.Boolean):
    """A JSON boolean only: `true`/`false`, not "yes", 1 or "on"."""

    def _deserialize(self, value, attr, data, **kwargs) -> bool:
        if not isinstance(value, bool):
            raise self.make_error("invalid")
        return value


def _ascii_integer(validated):
    def check(self, value):
        if isinstance(value, str) and not _ASCII_INT.fullmatch(value):
            raise self.make_error("invalid", input=value)
        return validated(self, value)
    return check


def _ascii_regexp(init):
    def build(self, regex, flags=0, **kwargs):
        init(self, regex, flags | re.ASCII if isinstance(regex, str) else flags, **kwargs)
    return build


def install() -> None:
    """Numbers in the API are ASCII, as the OpenAPI document (ECMA-262 patterns) states them:
    every `Integer` refuses other digits in strings, every `Regexp` reads `\\d` as [0-9]."""
    if not getattr(fields.Integer, "_ascii_only", False):
        fields.Integer._validated = _ascii_integer(fields.Integer._validated)
        validate.Regexp.__init__ = _ascii_regexp(validate.Regexp.__init__)
        fields.Integer._ascii_only = True


class StoredInstant(fields.DateTime):
    """Output: an instant stored as naive UTC, shown as ISO 8601 in China Standard Time
    (`2026-07-01T09:30:00+08:00`)."""

    def _serialize(self, value, attr, obj, **kwargs):
        return iso_cst(value)


def code(term: type, **kwargs) -> fields.Enum:
    """Output: a vocabulary member as its code (the OpenAPI document lists the codes)."""
    return fields.Enum(term, by_value=True, **kwargs)


def label(attribute: str, **kwargs) -> fields.String:
    """Output: the Chinese label of the vocabulary member at `attribute` (e.g. "kind.label")."""
    return fields.String(attribute=f"{attribute}.label", dump_only=True, **kwargs)


class Inline(fields.Nested):
    """Output: a nested object made of the parent's own attributes (an inspection's `observed`
    from its `obs_*` columns), documented as its schema."""

    def get_value(self, obj, attr, accessor=None, default=None):
        return obj
