"""Chinese validation messages: marshmallow's defaults, translated once for every schema."""

from __future__ import annotations

from marshmallow import Schema, fields, validate

_FIELD_MESSAGES: dict[type, dict[str, str]] = {
    fields.Field: {
        "required": "缺少必填字段。",
        "null": "不能为空。",
        "validator_failed": "取值无效。",
    },
    fields.Boolean: {"invalid": "应为布尔值（true 或 false）。"},
    fields.Date: {"invalid": "不是有效的日期（格式 YYYY-MM-DD）。", "format": "无法格式化为日期。"},
    fields.Decimal: {"special": "不允许 NaN 或无穷大。"},
    fields.Enum: {"unknown": "取值应为以下之一：{choices}。"},
    fields.Float: {"special": "不允许 NaN 或无穷大。"},
    fields.Integer: {"invalid": "应为整数。"},
    fields.List: {"invalid": "应为列表。"},
    fields.Mapping: {"invalid": "应为对象。"},
    fields.Nested: {"type": "应为对象。"},
    fields.Number: {"invalid": "应为数字。", "too_large": "数值过大。"},
    fields.String: {"invalid": "应为字符串。", "invalid_utf8": "不是有效的 UTF-8 字符串。"},
    fields.UUID: {"invalid_uuid": "不是有效的 UUID。"},
    fields.DateTime: {
        "invalid": "不是有效的时间（ISO 8601，需带时区，如 2026-07-01T09:30:00+08:00）。",
        "invalid_awareness": "时间必须带时区偏移（如 +08:00）。",
        "format": "无法格式化为时间。",
    },
}


def install() -> None:
    """Replace marshmallow's English defaults with Chinese ones (idempotent)."""
    for cls, messages in _FIELD_MESSAGES.items():
        merged = dict(cls.__dict__.get("default_error_messages", {}))
        merged.update(messages)
        cls.default_error_messages = merged
    Schema._default_error_messages = {"type": "输入应为 JSON 对象。", "unknown": "未知字段。"}
    validate.Length.message_min = "长度不能少于 {min}。"
    validate.Length.message_max = "长度不能超过 {max}。"
    validate.Length.message_all = "长度应在 {min} 到 {max} 之间。"
    validate.Length.message_equal = "长度应为 {equal}。"
    validate.Range.message_min = "应{min_op} {{min}}。"
    validate.Range.message_max = "应{max_op} {{max}}。"
    validate.Range.message_all = "应{min_op} {{min}} 且{max_op} {{max}}。"
    validate.Range.message_gte = "大于或等于"
    validate.Range.message_gt = "大于"
    validate.Range.message_lte = "小于或等于"
    validate.Range.message_lt = "小于"
    validate.OneOf.default_message = "取值应为以下之一：{choices}。"
    validate.Regexp.default_message = "格式不正确。"
    validate.Equal.default_message = "取值应为 {other}。"
    validate.NoneOf.default_message = "取值无效。"
