"""Tools: Import (a WordPress export) and Export (ours, as a WordPress export)."""

from __future__ import annotations

from flask import (
    Blueprint,
    Response,
    abort,
    current_app,
    redirect,
    render_template,
    request,
    stream_with_context,
    url_for,
)
from flask_login import current_user

from ..auth import require_login
from ..jobs import wake_jobs
from ..models import ImportStatus
from ..wordpress.import_form import ImportForm
from ..wordpress.import_jobs import entries_read, find_import, queue_import, report_of
from ..wordpress.wxr_export import export_filename, write_wxr

bp = Blueprint("tools", __name__, url_prefix="/admin/tools")

require_login(bp)


@bp.url_value_preprocessor
def _allow_large_upload(endpoint, values):
    """Runs before any before_request (the CSRF check reads the form): the import takes a larger
    body than the blog's other forms, from the logged-in owner only (a visitor's upload stops at the
    usual limit before being refused)."""
    if endpoint == "tools.import_wordpress" and current_user.is_authenticated:
        request.max_content_length = current_app.config["WORDPRESS_IMPORT_MAX_BYTES"]


@bp.get("/")
def index():
    return redirect(url_for("tools.import_wordpress"))


@bp.route("/import", methods=["GET", "POST"], endpoint="import_wordpress")
def import_page():
    form = ImportForm()
    if form.validate_on_submit():
        job = queue_import(form.file.data.stream, form.file.data.filename)
        wake_jobs("imports")
        return redirect(url_for("tools.import_status", token=job.token))
    return render_template("tools/import.html", form=form, max_bytes=_max_bytes()), 400 if form.errors else 200


@bp.get("/import/<token>")
def import_status(token):
    job = find_import(token)
    if job is None:
        abort(404)
    if job.status in (ImportStatus.QUEUED, ImportStatus.RUNNING):
        # A Refresh header, not <meta refresh>: the page reloads itself until the import is done.
        page = render_template("tools/import_running.html", job=job, entries=entries_read(job))
        return page, 200, {"Refresh": "3", "Cache-Control": "no-store"}
    if job.status == ImportStatus.FAILED:
        form = ImportForm(formdata=None)
        form.file.errors = [job.error]
        return render_template("tools/import.html", form=form, max_bytes=_max_bytes(), failed=job), 200
    return render_template("tools/import_report.html", report=report_of(job), filename=job.filename)


@bp.errorhandler(413)
def too_large(error):
    form = ImportForm(formdata=None)
    form.file.errors = [f"This file is larger than the {_max_bytes()} the page takes. Import it from the command "
                        "line instead: flask --app blog import-wordpress FILE.xml"]
    return render_template("tools/import.html", form=form, max_bytes=_max_bytes()), 413


def _max_bytes() -> str:
    return f"{current_app.config['WORDPRESS_IMPORT_MAX_BYTES'] // (1024 * 1024)} MB"


@bp.get("/export")
def export():
    return render_template("tools/export.html")


@bp.get("/export/download")
def download_export():
    headers = {"Content-Disposition": f'attachment; filename="{export_filename()}"', "Cache-Control": "no-store"}
    return Response(stream_with_context(write_wxr()), mimetype="application/xml", headers=headers)
