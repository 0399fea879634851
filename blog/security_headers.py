"""Security headers on every response: no MIME sniffing and a strict referrer everywhere; the admin
screens (and setup, login, and any page a logged-in administrator sees) are never framed, and the
admin screens run under a Content-Security-Policy that allows no inline script or style."""

from __future__ import annotations

from flask import Flask, Response, request
from flask_login import current_user

EVERY_RESPONSE = {
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "strict-origin-when-cross-origin",
}

# Post previews and comment authors may show images from anywhere; nothing else leaves the site.
ADMIN_CONTENT_SECURITY_POLICY = "; ".join(
    [
        "default-src 'self'",
        "script-src 'self'",
        "style-src 'self'",
        "img-src 'self' data: http: https:",
        "object-src 'none'",
        "base-uri 'self'",
        "form-action 'self'",
        "frame-ancestors 'none'",
    ]
)
NOT_FRAMEABLE = "frame-ancestors 'none'"

ADMIN_BLUEPRINTS = frozenset({"editor", "admin_comments", "settings", "auth"})


def is_admin_screen() -> bool:
    """True for the admin (anything under /admin, its 404s included), setup, login and logout."""
    return request.blueprint in ADMIN_BLUEPRINTS or request.path == "/admin" or request.path.startswith("/admin/")


def add_security_headers(response: Response) -> Response:
    """Set the headers for this request's audience (a view may set its own values first)."""
    for name, value in EVERY_RESPONSE.items():
        response.headers.setdefault(name, value)
    if is_admin_screen():
        response.headers["Content-Security-Policy"] = ADMIN_CONTENT_SECURITY_POLICY
        response.headers["X-Frame-Options"] = "DENY"
    elif response.mimetype == "text/html" and request.endpoint != "static" and current_user.is_authenticated:
        # Public pages may be framed by anyone (readers and embeds do), since for a visitor nothing on
        # them acts with privileges: a framed comment form posts what a visitor could post directly.
        # Seen by the logged-in owner, the same page acts as the owner (comments approved at once),
        # so it is a logged-in screen and is not frameable.
        response.headers.setdefault("Content-Security-Policy", NOT_FRAMEABLE)
        response.headers["X-Frame-Options"] = "DENY"
    return response


def init_app(app: Flask) -> None:
    app.after_request(add_security_headers)
