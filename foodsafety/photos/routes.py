"""Photo endpoints: upload from the phone (multipart), metadata, image and thumbnail bytes."""

from __future__ import annotations

from flask import current_app, request, send_file
from flask.views import MethodView
from flask_smorest import Blueprint

from foodsafety.access import current_user, login_required
from foodsafety.accounts.models import Role
from foodsafety.downloads import content_disposition
from foodsafety.photos import access, sandbox, upload
from foodsafety.photos.schemas import (
    PhotoFileSchema,
    PhotoOutSchema,
    PhotoUploadFormSchema,
    PhotoUploadSchema,
)
from foodsafety.photos.storage import CONTENT_TYPE

blp = Blueprint("photos", __name__, description="检查照片与整改照片（上传、查看）")


@blp.before_request
def ready_a_processing_child():
    """As an upload begins, before its body is read: a phone on a slow network takes seconds to
    send a photo, time in which the child that will process it can start."""
    if request.method == "POST" and request.endpoint == "photos.Photos":
        sandbox.prepare_soon(current_app.config["PHOTO_DECODE_SLOTS"])


@blp.route("/photos")
class Photos(MethodView):
    multipart = True  # the upload is multipart/form-data, not JSON

    @login_required(Role.INSPECTOR, Role.SCHOOL)
    @blp.arguments(PhotoUploadSchema, location="form")
    @blp.arguments(PhotoFileSchema, location="files")
    @blp.response(201, PhotoOutSchema)
    @blp.alt_response(200, schema=PhotoOutSchema, description="同一编号、同一照片的重复上传")
    @blp.doc(requestBody={"required": True, "content": {
        "multipart/form-data": {"schema": PhotoUploadFormSchema}}})
    def post(self, data, files):
        """Upload a photo for an inspection item, an extra finding or a rectification report.

        May arrive before or after the inspection itself. Re-sending the same id with the same
        file answers 200 with the stored record; the same id with another file answers 409.
        """
        photo, created = upload.upload_photo(current_user(), data, files["file"])
        return photo, 201 if created else 200


@blp.route("/photos/<string:photo_id>")
class PhotoById(MethodView):
    @login_required()
    @blp.response(200, PhotoOutSchema)
    def get(self, photo_id):
        """A photo's metadata: size, capture time, where it belongs."""
        return access.get_photo(current_user(), photo_id)


def _send(photo_id: str, kind: str):
    photo, path = access.photo_file(current_user(), photo_id, kind)
    response = send_file(path, mimetype=CONTENT_TYPE, conditional=False, etag=False, max_age=None)
    response.headers["Cache-Control"] = "private, no-store"
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["Content-Disposition"] = content_disposition(f"{photo.client_id}.jpg", inline=True)
    return response


@blp.route("/photos/<string:photo_id>/image")
class PhotoImage(MethodView):
    @login_required()
    @blp.response(200, content_type=CONTENT_TYPE, description="照片（JPEG，最长边不超过 2048 像素）")
    def get(self, photo_id):
        """The photo, oriented and without metadata."""
        return _send(photo_id, "image")


@blp.route("/photos/<string:photo_id>/thumbnail")
class PhotoThumbnail(MethodView):
    @login_required()
    @blp.response(200, content_type=CONTENT_TYPE, description="缩略图（JPEG，最长边不超过 320 像素）")
    def get(self, photo_id):
        """The photo's thumbnail."""
        return _send(photo_id, "thumbnail")


@blp.route("/inspections/<string:uuid>/photos")
class InspectionPhotos(MethodView):
    @login_required()
    @blp.response(200, PhotoOutSchema(many=True))
    def get(self, uuid):
        """The photos of an inspection that have arrived (also before the inspection itself)."""
        return access.inspection_photos(current_user(), uuid)
