"""Printed records as PDF: the 监督检查结果记录表 of an inspection and the 责令改正通知书 of an order."""

from __future__ import annotations

from flask.views import MethodView
from flask_smorest import Blueprint

from exports.inspection_record import build_notice_pdf, build_record_pdf
from foodsafety.access import current_user, login_required
from foodsafety.downloads import PDF, send_bytes
from foodsafety.records import services
from foodsafety.records.schemas import SignatureOutSchema  # noqa: F401  (nested by name in the inspection)

blp = Blueprint("records", __name__, url_prefix="", description="监督检查结果记录表与责令改正通知书（PDF）")


@blp.route("/inspections/<string:uuid>/record.pdf")
class InspectionRecordPdf(MethodView):
    @login_required()
    @blp.response(200, {"type": "string", "format": "binary"}, content_type=PDF)
    def get(self, uuid):
        """The 监督检查结果记录表 (A4 PDF) of the revision in force, with its verification QR code;
        a corrected record says which revision it replaces, a voided one says it is void."""
        inspection = services.readable_inspection(current_user(), uuid)
        data = services.record_data(inspection)
        pdf = build_record_pdf(data, services.font())
        return send_bytes(pdf, f"监督检查结果记录表-{data.unit_name}-{inspection.inspected_on}.pdf",
                          PDF, inline=True, fallback=f"record-{inspection.uuid}.pdf")


@blp.route("/inspections/<string:uuid>/revisions/<int:revision>/signature.png")
class RevisionSignature(MethodView):
    @login_required()
    @blp.response(200, {"type": "string", "format": "binary"}, content_type="image/png",
                  description="当事人签名（PNG，与手机提交的完全相同）")
    def get(self, uuid, revision):
        """The operator's signature given for one revision of the record, exactly as the phone
        sent it; 404 when that revision was refused (拒签) or not signed on the phone."""
        signature = services.signature_image(current_user(), uuid, revision)
        response = send_bytes(signature.image, f"signature-{uuid}-{revision}.png", "image/png",
                              inline=True)
        response.headers["Cache-Control"] = "private, no-store"
        response.headers["X-Content-Type-Options"] = "nosniff"
        return response


@blp.route("/rectification-orders/<int:order_id>/notice.pdf")
class OrderNoticePdf(MethodView):
    @login_required()
    @blp.response(200, {"type": "string", "format": "binary"}, content_type=PDF)
    def get(self, order_id):
        """The 责令改正通知书 (A4 PDF) of a rectification order."""
        order = services.readable_order(current_user(), order_id)
        data = services.notice_data(order)
        pdf = build_notice_pdf(data, services.font())
        return send_bytes(pdf, f"责令改正通知书-{data.number}.pdf", PDF, inline=True,
                          fallback=f"notice-{order.id}.pdf")
