"""The checklist definitions and the vocabularies as JSON, for the mobile form to render (and keep offline)."""

from __future__ import annotations

from flask.views import MethodView
from flask_smorest import Blueprint

from foodsafety.access import ANY_ROLE, login_required
from foodsafety.errors import not_found
from foodsafety.vocabulary import VOCABULARIES
from forms.definitions import forms
from forms.schemas import FormOutSchema, FormSummarySchema, VocabularySchema

blp = Blueprint("forms", __name__, url_prefix="/forms", description="检查表定义与词表（手机端据此渲染检查表）")


@blp.route("")
class Forms(MethodView):
    @login_required()
    @blp.response(200, FormSummarySchema(many=True))
    def get(self):
        """Every definition, old versions included, each in full (`definition`): the phone keeps them
        all offline and, on a slow network, one request is a round trip instead of one per version.
        `latest` marks those in force, and `applies_to` says which units each is for (a new
        inspection uses the one in force for its unit)."""
        return forms.all()


@blp.route("/vocabulary")
class Vocabulary(MethodView):
    @login_required(*ANY_ROLE)  # labels only: the auditor's page shows roles and outcomes with them
    @blp.response(200, VocabularySchema)
    def get(self):
        """Every vocabulary (answers, results, handlings, categories, unit kinds, …): codes and Chinese
        labels in display order. The phone keeps it with the definitions and shows only these labels."""
        return VOCABULARIES


@blp.route("/<string:form_id>/<int:version>")
class FormByVersion(MethodView):
    @login_required()
    @blp.response(200, FormOutSchema)
    def get(self, form_id, version):
        """One definition exactly as stored: sections, items (key or not) and the result rule."""
        definition = forms.get(form_id, version)
        if definition is None:
            raise not_found()
        return definition
