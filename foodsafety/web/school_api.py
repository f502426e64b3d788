"""JSON for the school's view that the general API does not give a school: its suppliers' results."""

from __future__ import annotations

from flask.views import MethodView
from flask_smorest import Blueprint
from marshmallow import Schema, fields

from foodsafety.access import current_user, login_required
from foodsafety.accounts.models import Role
from foodsafety.web import services

blp = Blueprint("school_view", __name__, url_prefix="/school-view",
                description="学校端：本校供餐单位的最近检查结果与 HACCP/ISO 22000 状态")


class SupplierStatusSchema(Schema):
    supplier = fields.Dict()
    starts_on = fields.String()
    ends_on = fields.String(allow_none=True)
    haccp = fields.String()
    haccp_label = fields.String()
    haccp_cert_expires_on = fields.String(allow_none=True)
    latest_inspection = fields.Dict(allow_none=True)


@blp.route("/suppliers")
class Suppliers(MethodView):
    @login_required(Role.SCHOOL)
    @blp.response(200, SupplierStatusSchema(many=True))
    def get(self):
        """Suppliers serving your school today: latest inspection result and HACCP status."""
        return services.school_suppliers(current_user())
