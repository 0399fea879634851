"""Error pages in one place: friendly HTML for people."""

from __future__ import annotations

from flask import Blueprint, redirect, render_template, request
from flask_wtf.csrf import CSRFError

from ..wordpress.old_addresses import slug_redirect

bp = Blueprint("errors", __name__)

MESSAGES = {
    400: ("Bad request", "The request could not be understood."),
    403: ("Forbidden", "You are not allowed to do that."),
    404: ("Page not found", "Sorry, there is nothing here. It may have moved, or never existed."),
    405: ("Method not allowed", "That address does not take this kind of request."),
    409: ("Conflict", "That could not be done: the item changed meanwhile. Reload the page and try again."),
    410: ("Gone", "This post has been deleted by its author and is no longer available."),
    413: ("Too large", "What you sent is larger than this blog accepts."),
    429: ("Too many requests", "Please slow down and try again in a little while."),
    500: ("Something went wrong", "The blog hit an error. Please try again in a moment."),
}


def _page(code: int, detail: str | None = None):
    title, message = MESSAGES[code]
    return render_template("errors/error.html", code=code, title=title, message=detail or message), code


@bp.app_errorhandler(CSRFError)
def csrf_error(error):
    return _page(
        400,
        "This form was missing its security token or the token was wrong (perhaps the page was open "
        "for a long time, or cookies are blocked). Go back, reload the page and try again.",
    )


@bp.app_errorhandler(404)
def not_found(error):
    """Last of all, an old WordPress address ending in a post's slug (/slug/, /2020/slug/...) leads to it."""
    if request.method in ("GET", "HEAD") and (target := slug_redirect(request.path)):
        return redirect(target, code=301)
    return _page(404)


for _code in MESSAGES:
    if _code != 404:
        bp.app_errorhandler(_code)(lambda error, code=_code: _page(code))
