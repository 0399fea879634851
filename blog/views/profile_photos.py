"""The author's photo, served to everyone (it is part of the author's h-card). Each upload gets a new
file name, so a file never changes: browsers and proxies may keep it for a year."""

from __future__ import annotations

from flask import Blueprint, abort, send_from_directory

from ..profile_photos import NAME_RULE, photo_folder

bp = Blueprint("profile_photos", __name__)

ONE_YEAR_SECONDS = 365 * 24 * 3600


@bp.get("/profile-photos/<name>")
def photo(name):
    if not NAME_RULE.match(name):
        abort(404)
    response = send_from_directory(photo_folder(), name, max_age=ONE_YEAR_SECONDS)
    response.cache_control.public = True
    response.cache_control.immutable = True
    return response
