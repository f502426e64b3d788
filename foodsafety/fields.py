"""Shared marshmallow fields: clean text, exact money."""

from __future__ import annotations

import re
import unicodedata
from decimal import Decimal, InvalidOperation

from marshmallow import ValidationError, fields

# C0/C1 controls, DEL, and the bidi overrides used to disguise text; tab and newlines are
# allowed only in multi-line fields.
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]")
_NEWLINES = re.compile(r"[\t\r\n]")
_NON_BLANK = re.compile(r"[^\s\ufeff]")  # ECMA-262's \s includes U+FEFF, Python's does not
# The same sets as JSON-Schema (ECMA-262) character classes, for the OpenAPI document.
_FORBIDDEN = "\\x00-\\x08\\x0b\\x0c\\x0e-\\x1f\\x7f-\\x9f\\u202a-\\u202e\\u2066-\\u2069"
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


class Money(fields.Field):
    """An exact amount in yuan: a JSON string or number with at most two decimals, ≥ 0."""

    MAX = Decimal("999999999999.99")

    def _serialize(self, value, attr, obj, **kwargs):
        return None if value is None else f"{Decimal(value):.2f}"

    def _deserialize(self, value, attr, data, **kwargs) -> Decimal:
        if isinstance(value, bool) or not isinstance(value, str | int | float):
            raise ValidationError("金额应为数字或数字字符串，单位为元。")
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
