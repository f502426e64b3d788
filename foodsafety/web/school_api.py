"""JSON for the school's view that the general API does not give a school: its suppliers' results."""

from __future__ import annotations

from flask.views import MethodView
from flask_smorest import Blueprint
from marshmallow import Schema, fields

from foodsafety.access import current_user, login_required
from foodsafety.fields import code, label
from foodsafety.vocabulary import HaccpStatus, Result, Role
from foodsafety.web import services

blp = Blueprint("school_view", __name__, url_prefix="/school-view",
                description="学校端：本校供餐单位的最近检查结果与 HACCP/ISO 22000 状态")


class SupplierSchema(Schema):
    id = fields.Integer()
    name = fields.String()
    licence_no = fields.String(allow_none=True)
    licence_expires_on = fields.Date(allow_none=True)


class LatestInspectionSchema(Schema):
    """The supplier's latest live inspection, with the HACCP status observed on it."""

    inspected_on = fields.Date()
    result = code(Result)
    result_label = label("result")
    problems_found = fields.Integer()
    haccp = code(HaccpStatus, attribute="obs_haccp")
    haccp_label = label("obs_haccp")
    haccp_cert_expires_on = fields.Date(attribute="obs_haccp_cert_expires_on", allow_none=True)


class SupplierStatusSchema(Schema):
    """A supply link in force today (`services.school_suppliers`)."""

    supplier = fields.Nested(SupplierSchema)
    starts_on = fields.Date()
    ends_on = fields.Date(allow_none=True)
    haccp = code(HaccpStatus, attribute="supplier.haccp", metadata={"description": "登记的 HACCP/ISO 22000 状态"})
    haccp_label = label("supplier.haccp")
    haccp_cert_expires_on = fields.Date(attribute="supplier.haccp_cert_expires_on", allow_none=True)
    latest_inspection = fields.Nested(LatestInspectionSchema, allow_none=True)


@blp.route("/suppliers")
class Suppliers(MethodView):
    @login_required(Role.SCHOOL)
    @blp.response(200, SupplierStatusSchema(many=True))
    def get(self):
        """Suppliers serving your school today: latest inspection result and HACCP status."""
        return services.school_suppliers(current_user())
