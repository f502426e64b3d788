"""Enforcement endpoints: file a case, record its stages, list and read."""

from __future__ import annotations

from flask.views import MethodView
from flask_smorest import Blueprint

from foodsafety.access import current_user, login_required
from foodsafety.accounts.models import Role
from foodsafety.downloads import XLSX
from foodsafety.enforcement import services
from foodsafety.enforcement.schemas import (
    CaseCreateSchema,
    CaseFilterSchema,
    CaseOutSchema,
    CasePageSchema,
    CaseQueryArgsSchema,
    CaseUpdateSchema,
)
from foodsafety.limits.leases import expensive
from foodsafety.list_exports import EXPORTED, ROWS, export_list
from foodsafety.pagination import paginate

blp = Blueprint("enforcement", __name__, url_prefix="/cases",
                description="行政处罚案件（立案、处罚决定、吊销、取缔、移送公安）")


@blp.route("")
class Cases(MethodView):
    @login_required(Role.INSPECTOR, Role.BUREAU, Role.ADMIN)
    @blp.arguments(CaseQueryArgsSchema, location="query")
    @blp.response(200, CasePageSchema)
    def get(self, args):
        """Cases in your scope: filters (jurisdiction subtree, unit, school, period, kind, decided),
        search `q` (case number, unit name, licence number, address), `sort`."""
        return paginate(services.list_cases(current_user(), args), args, dump=list)

    @login_required(Role.INSPECTOR)
    @blp.arguments(CaseCreateSchema)
    @blp.response(201, CaseOutSchema)
    def post(self, data):
        """File a case (立案) on a unit of your jurisdiction."""
        return services.create_case(current_user(), data)


@blp.route("/export.xlsx")
class CaseExport(MethodView):
    @login_required(Role.INSPECTOR, Role.BUREAU, Role.ADMIN)
    @expensive
    @blp.arguments(CaseFilterSchema, location="query")
    @blp.response(200, EXPORTED, content_type=XLSX, headers=ROWS)
    def get(self, args):
        """The list with the same filters and order as Excel, streamed (at most EXPORT_MAX_ROWS rows)."""
        schema = CaseOutSchema(many=True)
        return export_list("cases", services.list_cases(current_user(), args), schema.dump,
                           list(schema.fields), args)


@blp.route("/<int:case_id>")
class CaseById(MethodView):
    @login_required(Role.INSPECTOR, Role.BUREAU, Role.ADMIN)
    @blp.response(200, CaseOutSchema)
    def get(self, case_id):
        """One case."""
        return services.get_case(current_user(), case_id)

    @login_required(Role.INSPECTOR)
    @blp.arguments(CaseUpdateSchema)
    @blp.response(200, CaseOutSchema)
    def patch(self, data, case_id):
        """Record later stages: decision and amounts, revocation, ban, transfer, criminal filing."""
        return services.update_case(current_user(), case_id, data)
