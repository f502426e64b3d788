"""Inspection endpoints: submit from the phone, read, correct, delete, revision history."""

from __future__ import annotations

from flask.views import MethodView
from flask_smorest import Blueprint

from foodsafety.access import current_user, login_required
from foodsafety.accounts.models import Role
from foodsafety.downloads import XLSX
from foodsafety.inspections import corrections, queries, submit
from foodsafety.inspections.schemas import (
    DeletionSchema,
    InspectionCorrectionSchema,
    InspectionFilterSchema,
    InspectionHistorySchema,
    InspectionOutSchema,
    InspectionPageSchema,
    InspectionQueryArgsSchema,
    InspectionSubmissionSchema,
    InspectionSummarySchema,
    RevisionOutSchema,
)
from foodsafety.limits.leases import expensive
from foodsafety.list_exports import EXPORTED, ROWS, export_list
from foodsafety.pagination import paginate

blp = Blueprint("inspections", __name__, url_prefix="/inspections",
                description="监督检查记录（手机端提交、查询、更正、删除）")


@blp.route("")
class Inspections(MethodView):
    @login_required()
    @blp.arguments(InspectionQueryArgsSchema, location="query")
    @blp.response(200, InspectionPageSchema)
    def get(self, args):
        """List inspections in your scope: filters (jurisdiction subtree, unit, school, period, dates,
        result, handling, unit kind), search `q` (unit name, licence number, address), `sort`."""
        return paginate(queries.list_inspections(current_user(), args), args, dump=list)

    @login_required(Role.INSPECTOR)
    @blp.arguments(InspectionSubmissionSchema)
    @blp.response(201, InspectionOutSchema)
    @blp.alt_response(200, schema=InspectionOutSchema, description="同一 id、同一内容的重复提交")
    def post(self, data):
        """Submit an inspection; a retry with the same id and body is answered with the record."""
        inspection, created = submit.submit_inspection(current_user(), data)
        return inspection, 201 if created else 200


@blp.route("/export.xlsx")
class InspectionExport(MethodView):
    @login_required(Role.INSPECTOR, Role.BUREAU, Role.ADMIN)
    @expensive
    @blp.arguments(InspectionFilterSchema, location="query")
    @blp.response(200, EXPORTED, content_type=XLSX, headers=ROWS)
    def get(self, args):
        """The list with the same filters and order as Excel, streamed (at most EXPORT_MAX_ROWS rows)."""
        schema = InspectionSummarySchema(many=True)
        return export_list("inspections", queries.list_inspections(current_user(), args), schema.dump,
                           list(schema.fields), args)


@blp.route("/<string:uuid>")
class InspectionById(MethodView):
    @login_required()
    @blp.response(200, InspectionOutSchema)
    def get(self, uuid):
        """One inspection, with answers, findings and its rectification order."""
        return queries.get_inspection(current_user(), uuid)

    @login_required(Role.INSPECTOR)
    @blp.arguments(InspectionCorrectionSchema)
    @blp.response(200, InspectionOutSchema)
    def put(self, data, uuid):
        """Correct an inspection: a new revision with a reason; earlier ones are kept."""
        return corrections.correct_inspection(current_user(), uuid, data)

    @login_required(Role.INSPECTOR)
    @blp.arguments(DeletionSchema)
    @blp.response(204)
    def delete(self, data, uuid):
        """Delete (soft) with a reason; the id cannot be submitted again."""
        corrections.void_inspection(current_user(), uuid, data["reason"])


@blp.route("/<string:uuid>/revisions")
class InspectionRevisions(MethodView):
    @login_required(Role.INSPECTOR, Role.BUREAU, Role.ADMIN)
    @blp.response(200, RevisionOutSchema(many=True))
    def get(self, uuid):
        """Every revision: who changed what, when and why."""
        return queries.revision_history(current_user(), uuid)


@blp.route("/<string:uuid>/history")
class InspectionHistory(MethodView):
    @login_required(Role.INSPECTOR, Role.BUREAU, Role.ADMIN)
    @blp.response(200, InspectionHistorySchema)
    def get(self, uuid):
        """Revisions and void of an inspection (voided ones too): who changed what, when, why."""
        return queries.inspection_history(current_user(), uuid)
