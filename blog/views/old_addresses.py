"""WordPress's old addresses (blog/wordpress/old_addresses.py): each answers a 301 to the permalink."""

from __future__ import annotations

from flask import Blueprint, abort, redirect, request

from ..wordpress.old_addresses import id_redirect, query_redirect, slug_redirect

bp = Blueprint("old_addresses", __name__)


@bp.get("/<int(fixed_digits=4):year>/<int(fixed_digits=2):month>/<slug>/")
def year_month_slug(year, month, slug):
    return _moved(slug_redirect(request.path))


@bp.get("/archives/<int:wp_id>")
@bp.get("/archives/<int:wp_id>/")
def archives_id(wp_id):
    return _moved(id_redirect(wp_id))


@bp.get("/index.php", defaults={"rest": ""})
@bp.get("/index.php/<path:rest>")
def index_php(rest):
    if not rest:
        target = query_redirect(request.args)
        if target is None:
            return redirect("/" + (f"?{request.query_string.decode('latin-1')}" if request.query_string else ""), 301)
        return _moved(target)
    path = "/" + rest
    return _moved(slug_redirect(path) or (path if request.path != path else None))


def _moved(target: str | None):
    if not target:
        abort(404)
    return redirect(target, code=301)
