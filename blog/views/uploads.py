"""Uploaded images, served from UPLOAD_FOLDER. Their names are unique and never reused, so browsers
and proxies may keep them for a year without asking again."""

from __future__ import annotations

from flask import Blueprint, send_from_directory

from ..media.library import upload_folder

bp = Blueprint("uploads", __name__)

ONE_YEAR_SECONDS = 365 * 24 * 3600


@bp.get("/uploads/<path:filename>")
def file(filename):
    response = send_from_directory(upload_folder(), filename, max_age=ONE_YEAR_SECONDS)  # 404 outside the folder
    response.cache_control.public = True
    response.cache_control.immutable = True
    # Only images are ever stored; should anything else be placed here, it still cannot run script.
    response.headers["Content-Security-Policy"] = "default-src 'none'; style-src 'unsafe-inline'; sandbox"
    return response
