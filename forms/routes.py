"""The checklist definitions as JSON, for the mobile form to render (and keep offline)."""

from __future__ import annotations

from flask.views import MethodView
from flask_smorest import Blueprint
from marshmallow import Schema, fields

from foodsafety.access import login_required
from foodsafety.errors import not_found
from forms.definitions import forms

blp = Blueprint("forms", __name__, url_prefix="/forms", description="检查表定义（手机端据此渲染检查表）")


class FormSummarySchema(Schema):
    id = fields.String()
    version = fields.Integer()
    unit_kind = fields.String()
    title = fields.String()
    latest = fields.Boolean()
    items = fields.Integer()


class FormOutSchema(Schema):
    id = fields.String()
    version = fields.Integer()
    unit_kind = fields.String()
    title = fields.String()
    basis = fields.String()
    effective_from = fields.String()
    result_rule = fields.Dict()
    sections = fields.List(fields.Dict())


@blp.route("")
class Forms(MethodView):
    @login_required()
    @blp.response(200, FormSummarySchema(many=True))
    def get(self):
        """Every definition, old versions included; `latest` marks what new inspections use."""
        return [{
            "id": d.id, "version": d.version, "unit_kind": d.unit_kind, "title": d.title,
            "latest": forms.latest(d.unit_kind) is d, "items": len(d.items),
        } for d in forms.all()]


@blp.route("/<string:form_id>/<int:version>")
class FormByVersion(MethodView):
    @login_required()
    @blp.response(200, FormOutSchema)
    def get(self, form_id, version):
        """One definition exactly as stored: sections, items (key or not) and the result rule."""
        definition = forms.get(form_id, version)
        if definition is None:
            raise not_found()
        return definition.raw
