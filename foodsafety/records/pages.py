"""Two printed-record pages, rendered on the server (the one exception to shell + ES module, on
purpose): `/records/<uuid>` is the print view of the same `RecordData` the PDF is built from, so
paper and screen cannot drift and it prints without JavaScript; `/verify/<token>` is public (no
account, hence no API session) and must be cheap: one unique-index lookup, no PDF, no images."""

from __future__ import annotations

import base64

from flask import Blueprint, g, redirect, render_template

from exports.inspection_record import qr_png
from foodsafety.records import services

bp = Blueprint("records_pages", __name__, template_folder="templates", static_folder="static",
               static_url_path="/static/records")


@bp.get("/records/<string:uuid>")
def record_page(uuid: str):
    """The 监督检查结果记录表 as a print-friendly page (logged-in users who may read the record)."""
    user = g.get("user")
    if user is None:
        return redirect("/")
    inspection = services.readable_inspection(user, uuid)  # out of scope: the same 404 as missing
    record = services.record_data(inspection)
    qr = base64.b64encode(qr_png(record.verify_url)).decode()
    order = getattr(inspection, "rectification_order", None)
    signature = record.signature
    signature_png = (base64.b64encode(signature.image).decode()
                     if signature is not None and signature.image else None)
    html = render_template("records/record.html", record=record, uuid=inspection.uuid, qr=qr,
                           order_id=order.id if order else None, signature_png=signature_png)
    return html, 200, {"Cache-Control": "no-store"}


@bp.get("/verify/<string:token>")
def verify_page(token: str):
    """Public: the essential facts of a printed record, names masked; corrections and voids said."""
    facts = services.verify(token)
    html = render_template("records/verify.html", facts=facts)
    return html, 200, {"Cache-Control": "no-store", "X-Robots-Tag": "noindex",
                       "Referrer-Policy": "no-referrer"}
