"""What the API says of a revision's signature (the inspection's schema nests it by name)."""

from __future__ import annotations

from marshmallow import Schema, fields

from foodsafety.fields import StoredInstant, code, label
from foodsafety.vocabulary import SignatureState


class SignatureOutSchema(Schema):
    """The operator's signature or refusal of the revision in force."""

    state = code(SignatureState)
    state_label = label("state")
    revision = fields.Integer(attribute="revision.revision", metadata={"description": "签名所对应的记录版本"})
    image_url = fields.Method("_image_url", allow_none=True,
                              metadata={"type": "string", "description": "签名图片（PNG）；拒签为 null"})
    image_sha256 = fields.String(allow_none=True, metadata={"description": "签名图片的 SHA-256"})
    width = fields.Integer(allow_none=True)
    height = fields.Integer(allow_none=True)
    refusal_note = fields.String(allow_none=True, metadata={"description": "拒签情况说明（检查人员填写）"})
    created_at = StoredInstant(metadata={"description": "服务器收到签名的时间"})

    def _image_url(self, signature) -> str | None:
        if signature.image_sha256 is None:
            return None
        revision = signature.revision
        return (f"/api/v1/inspections/{revision.inspection.uuid}/revisions/{revision.revision}"
                "/signature.png")
