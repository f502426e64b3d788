"""Photo schemas: the multipart upload (form fields + file) and the metadata we return."""

from __future__ import annotations

from flask import url_for
from flask_smorest.fields import Upload
from marshmallow import Schema, fields, validate

from foodsafety.fields import Inline, StoredInstant
from foodsafety.photos.storage import CONTENT_TYPE

# item:<checklist item code> | finding:<extra finding index, from 0> | report:<order id>
# | recheck:<order id> (a re-inspection's photos)
TARGET_PATTERN = (r"^(item:[0-9A-Za-z][0-9A-Za-z.\-]{0,15}|finding:(0|[1-9][0-9]?)"
                  r"|(report|recheck):[1-9][0-9]{0,9})$")
TARGET_HELP = ("应为 item:<检查项目编号>、finding:<补充问题序号>、report:<整改通知编号> "
               "或 recheck:<整改通知编号>。")


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
    """The original upload, before processing."""

    format = fields.String(attribute="source_format")
    width = fields.Integer(attribute="source_width")
    height = fields.Integer(attribute="source_height")
    bytes = fields.Integer(attribute="source_bytes")


class PhotoUrl(fields.String):
    """Output: the URL of a photo's file (`endpoint` takes the photo's id)."""

    def __init__(self, endpoint: str, **kwargs) -> None:
        super().__init__(attribute="client_id", dump_only=True, **kwargs)
        self.endpoint = endpoint

    def _serialize(self, value, attr, obj, **kwargs):
        return url_for(self.endpoint, photo_id=value)


class PhotoOutSchema(Schema):
    id = fields.String(attribute="client_id")
    inspection_id = fields.String(attribute="inspection_uuid")
    unit_id = fields.Integer()
    target = fields.String()
    content_type = fields.Constant(CONTENT_TYPE, metadata={"type": "string"})
    width = fields.Integer()
    height = fields.Integer()
    bytes = fields.Integer(attribute="image_bytes")
    thumbnail_bytes = fields.Integer()
    sha256 = fields.String()
    source = Inline(PhotoSourceSchema)
    captured_at = fields.DateTime(attribute="captured_local", allow_none=True, metadata={
        "description": "拍摄时间（照片 EXIF），按相机记录的时区；相机未记录时区时按北京时间"})
    captured_offset_known = fields.Function(lambda photo: photo.captured_offset is not None,
                                            metadata={"type": "boolean"})
    uploaded_at = StoredInstant(attribute="created_at")
    image_url = PhotoUrl("photos.PhotoImage")
    thumbnail_url = PhotoUrl("photos.PhotoThumbnail")


class PhotoStatusSchema(Schema):
    """Which photos an inspection's latest revision lists, which have arrived, which not yet."""

    expected = fields.List(fields.String())
    arrived = fields.List(fields.String())
    missing = fields.List(fields.String())
