"""Rectification endpoints: orders, overdue lists, re-inspections and schools' reports."""

from __future__ import annotations

from flask.views import MethodView
from flask_smorest import Blueprint

from foodsafety.access import current_user, login_required
from foodsafety.accounts.models import Role
from foodsafety.downloads import XLSX
from foodsafety.limits.leases import expensive
from foodsafety.list_exports import EXPORTED, ROWS, export_list
from foodsafety.pagination import paginate
from foodsafety.rectification import numbers, services
from foodsafety.rectification.schemas import (
    NumberBlockArgsSchema,
    NumberBlockOutSchema,
    OrderFilterSchema,
    OrderOutSchema,
    OrderPageSchema,
    OrderQueryArgsSchema,
    RecheckSchema,
    ReportSchema,
)

blp = Blueprint("rectification", __name__, url_prefix="/rectification-orders",
                description="责令改正通知书、复查与整改报告")


@blp.route("")
class Orders(MethodView):
    @login_required()
    @blp.arguments(OrderQueryArgsSchema, location="query")
    @blp.response(200, OrderPageSchema)
    def get(self, args):
        """Orders in your scope; `overdue=true` lists those past their deadline and not closed (with
        `days_overdue`); filters by status, jurisdiction subtree, unit, school, kind, period; `q`; `sort`."""
        return paginate(services.list_orders(current_user(), args), args, dump=list)


@blp.route("/number-blocks")
class NumberBlocks(MethodView):
    @login_required(Role.INSPECTOR)
    @blp.arguments(NumberBlockArgsSchema)
    @blp.response(201, NumberBlockOutSchema)
    def post(self, data):
        """Reserve a block of order numbers of your jurisdiction for this year, for one phone to
        issue offline; never given to anyone else."""
        return numbers.reserve_block(current_user(), str(data["device_id"]), data["size"])
@blp.route("/export.xlsx")
class OrderExport(MethodView):
    @login_required(Role.INSPECTOR, Role.BUREAU, Role.ADMIN)
    @expensive
    @blp.arguments(OrderFilterSchema, location="query")
    @blp.response(200, EXPORTED, content_type=XLSX, headers=ROWS)
    def get(self, args):
        """The list with the same filters and order as Excel, streamed (at most EXPORT_MAX_ROWS rows)."""
        schema = OrderOutSchema(many=True)
        return export_list("orders", services.list_orders(current_user(), args), schema.dump,
                           list(schema.fields), args)


@blp.route("/<int:order_id>")
class OrderById(MethodView):
    @login_required()
    @blp.response(200, OrderOutSchema)
    def get(self, order_id):
        """One order with its findings, reports and re-inspections."""
        return services.get_order(current_user(), order_id)


@blp.route("/<int:order_id>/rechecks")
class OrderRechecks(MethodView):
    @login_required(Role.INSPECTOR)
    @blp.arguments(RecheckSchema)
    @blp.response(201, OrderOutSchema)
    @blp.alt_response(200, schema=OrderOutSchema, description="同一复查编号、同一内容的重复提交")
    def post(self, data, order_id):
        """Record a re-inspection (复查); the order closes when every finding is rectified,
        otherwise `new_deadline` gives it a follow-up deadline. A repeat of the same id and
        content is answered with the order (200)."""
        recheck, created = services.record_recheck(current_user(), order_id, data)
        return recheck.order, 201 if created else 200


@blp.route("/<int:order_id>/reports")
class OrderReports(MethodView):
    @login_required(Role.SCHOOL)
    @blp.arguments(ReportSchema)
    @blp.response(201, OrderOutSchema)
    @blp.alt_response(200, schema=OrderOutSchema, description="同一报告编号、同一内容的重复提交")
    def post(self, data, order_id):
        """A school reports how it rectified (text and photos); the inspector sees it at 复查.
        A repeat of the same report id and content is answered with the order (200)."""
        report, created = services.submit_report(current_user(), order_id, data)
        return report.order, 201 if created else 200
