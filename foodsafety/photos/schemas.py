"""Photo schemas: the multipart upload (form fields + file) and the metadata we return."""

from __future__ import annotations

from flask_smorest.fields import Upload
from marshmallow import Schema, fields, validate

# item:<checklist item code> | finding:<extra finding index, from 0> | report:<order id>
TARGET_PATTERN = r"^(item:[0-9A-Za-z][0-9A-Za-z.\-]{0,15}|finding:(0|[1-9][0-9]?)|report:[1-9][0-9]{0,9})$"
TARGET_HELP = "应为 item:<检查项目编号>、finding:<补充问题序号> 或 report:<整改通知编号>。"


class PhotoUploadSchema(Schema):
    """The form fields of `POST /photos` (multipart/form-data, beside the `file` part)."""

    id = fields.UUID(required=True, metadata={"description": "手机端生成的照片编号（UUID）"})
    inspection_id = fields.UUID(required=True, metadata={"description": "检查记录编号（UUID）"})
    unit_id = fields.Integer(required=True, validate=validate.Range(min=1, max=2**31 - 1))
    target = fields.String(required=True, validate=validate.Regexp(TARGET_PATTERN,
                                                                   error=TARGET_HELP))


class PhotoFileSchema(Schema):
    file = Upload(required=True, metadata={"description": "JPEG、PNG 或 WebP 照片"})


class PhotoUploadFormSchema(PhotoUploadSchema, PhotoFileSchema):
    """The whole multipart body, for the API documentation (parsed as the two parts above)."""


class PhotoSourceSchema(Schema):
    format = fields.String()
    width = fields.Integer()
    height = fields.Integer()
    bytes = fields.Integer()


class PhotoOutSchema(Schema):
    id = fields.String()
    inspection_id = fields.String()
    unit_id = fields.Integer()
    target = fields.String()
    content_type = fields.String()
    width = fields.Integer()
    height = fields.Integer()
    bytes = fields.Integer()
    thumbnail_bytes = fields.Integer()
    sha256 = fields.String()
    source = fields.Nested(PhotoSourceSchema)
    captured_at = fields.String(allow_none=True)
    captured_offset_known = fields.Boolean()
    uploaded_at = fields.String()
    image_url = fields.String()
    thumbnail_url = fields.String()
