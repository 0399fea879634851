"""The Media page (/admin/media): the uploaded images, where each is used, uploading and deleting;
and the upload endpoint the editor's script sends dropped, pasted and chosen images to."""

from __future__ import annotations

from flask import Blueprint, flash, jsonify, redirect, render_template, request, url_for
from flask_login import current_user
from flask_wtf.csrf import validate_csrf
from wtforms import ValidationError

from ..auth import require_login
from ..extensions import csrf, db
from ..forms import ImageUploadForm
from ..media.images import describe_size
from ..media.library import (
    AltTextRejected,
    ImageRejected,
    delete_media,
    posts_using,
    store_upload,
    upload_request_limit,
    url_of,
)
from ..media.tables import MediaItem

bp = Blueprint("media", __name__, url_prefix="/admin/media")
require_login(bp)

PER_PAGE = 30

bp.add_app_template_global(url_of, "media_url")
bp.add_app_template_filter(describe_size, "file_size")
CSRF_MESSAGE = "The form's security token was missing or wrong; reload the page and try again."


@bp.get("")
def library():
    return _render_library(ImageUploadForm(meta={"csrf": False}))


def _render_library(form: ImageUploadForm, status: int = 200):
    page = db.paginate(
        db.select(MediaItem).order_by(MediaItem.uploaded_at.desc(), MediaItem.id.desc()),
        per_page=PER_PAGE,
        error_out=False,
    )
    usage = {item.id: posts_using(item) for item in page.items}
    return render_template("media/library.html", page=page, usage=usage, form=form), status


# Checked here rather than by CSRFProtect, which would read the body before the view raises the
# size limit for it (an image at the limit would then be a 413 instead of a clear message).
@bp.post("/upload")
@csrf.exempt
def upload():
    request.max_content_length = upload_request_limit()
    wants_json = request.accept_mimetypes.best == "application/json"
    form = ImageUploadForm(meta={"csrf": False})
    try:
        validate_csrf(request.headers.get("X-CSRFToken") or request.form.get("csrf_token"))
    except ValidationError:
        if wants_json:
            return jsonify(error=CSRF_MESSAGE), 400
        form.image.errors = [CSRF_MESSAGE]
        return _render_library(form, 400)
    try:
        result = store_upload(form.image.data, form.alt_text.data, current_user)
    except ImageRejected as error:
        if wants_json:
            return jsonify(error=str(error), field="alt_text" if isinstance(error, AltTextRejected) else "image"), (
                error.status
            )
        (form.alt_text if isinstance(error, AltTextRejected) else form.image).errors = [str(error)]
        return _render_library(form, error.status)
    item = result.item
    if wants_json:
        return jsonify(markdown=result.markdown, url=url_of(item), id=item.id, width=item.width, height=item.height)
    flash(f"Uploaded {item.original_name}. Its Markdown, to paste into a post: {result.markdown}", "success")
    return redirect(url_for("media.library"))


@bp.route("/<int:item_id>/delete", methods=["GET", "POST"])
def delete(item_id):
    item = db.get_or_404(MediaItem, item_id)
    if request.method == "GET":
        return render_template("media/delete.html", item=item, posts=posts_using(item))
    name = item.original_name or item.path
    delete_media(item)
    flash(f"“{name}” was deleted.", "success")
    return redirect(url_for("media.library"))
