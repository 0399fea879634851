"""Who may use the admin: first-run setup, password checks, and the failed-login throttle."""

from __future__ import annotations

import json
from datetime import datetime

from flask import Flask, current_app, g, redirect, request, url_for
from flask_login import current_user, login_required
from sqlalchemy.exc import IntegrityError

from .extensions import db, login_manager
from .models import Setting, User, utcnow
from .site_settings import get_setting, save_settings
from .throttle import clear_hits, record_hit

INSTALLED_KEY = "installed_at"


class SetupAlreadyDone(Exception):
    """The blog already has an administrator; setup accepts nothing more."""


def needs_setup() -> bool:
    """True while no user exists. Once a user exists the answer is cached for the process."""
    if current_app.extensions.get("blog_setup_done"):
        return False
    done = db.session.execute(db.select(User.id).limit(1)).first() is not None
    if done:
        current_app.extensions["blog_setup_done"] = True
    return not done


def create_administrator(blog_title: str, username: str, password: str, email: str, site_url: str = "") -> User:
    """Create the first user and store the blog title, and the site URL (the address setup was
    reached at) unless one is set; refuse when a user already exists. Without a site URL (as from
    `flask create-admin`, which has no request) the administrator's first request records it."""
    if not needs_setup():
        raise SetupAlreadyDone()
    user = User(username=username, email=email)
    user.set_password(password)
    db.session.add(user)
    # The settings key is the lock: of two setups racing past needs_setup(), one insert fails.
    db.session.add(Setting(key=INSTALLED_KEY, value=json.dumps(utcnow().isoformat())))
    try:
        db.session.flush()
    except IntegrityError as error:
        db.session.rollback()
        raise SetupAlreadyDone() from error
    values = {"blog_title": blog_title}
    if as_site_url(site_url) and not get_setting("site_url"):
        values["site_url"] = as_site_url(site_url)
    save_settings(values)  # commits the user too
    current_app.extensions["blog_setup_done"] = True
    return user


def authenticate(username: str, password: str) -> User | None:
    user = db.session.execute(db.select(User).filter_by(username=username)).scalar_one_or_none()
    if user is not None and user.check_password(password):
        return user
    return None


def login_key(ip: str) -> str:
    return f"login:{ip}"


def login_refused_until(ip: str, now: datetime | None = None) -> datetime | None:
    """Count one login attempt from this address, before its password is checked; when the address
    is over LOGIN_MAX_FAILURES attempts in the window, when it may try again (else None).

    Counting first (one atomic upsert) means thirty parallel guesses get exactly the allowed number
    of password checks. A successful login clears the count."""
    hit = record_hit(login_key(ip), current_app.config["LOGIN_WINDOW_SECONDS"], now)
    if hit.count > max(1, current_app.config["LOGIN_MAX_FAILURES"]):
        return hit.window_ends_at
    return None


def clear_login_failures(ip: str) -> None:
    clear_hits(login_key(ip))


@login_manager.user_loader
def _load_user(session_id: str) -> User | None:
    """The user a login session names ("id:session version", see User.get_id), unless the password
    changed since that login. A session from before versions existed ("id") counts as version 0."""
    user_id, _, version = session_id.partition(":")
    if not user_id.isdigit() or not (version or "0").isdigit():
        return None
    user = db.session.get(User, int(user_id))
    if user is None or user.session_version != int(version or "0"):
        return None
    return user


def as_site_url(url: str) -> str:
    """The address as the site_url setting holds it: scheme and host, no trailing slash (paths,
    the script root included, are appended to it)."""
    return (url or "").strip().rstrip("/")


def record_site_url(url: str) -> None:
    """Store the address as the site URL unless one is set. A conditional write: of two requests
    racing here, one stores its value and the other changes nothing (neither fails)."""
    site_url = as_site_url(url)
    if not site_url:
        return
    value = json.dumps(site_url)
    try:
        unset = Setting.key == "site_url", Setting.value == json.dumps("")
        if not db.session.execute(db.update(Setting).where(*unset).values(value=value)).rowcount:
            if db.session.get(Setting, "site_url") is None:
                db.session.add(Setting(key="site_url", value=value))
        db.session.commit()
    except IntegrityError:
        db.session.rollback()  # another request recorded it a moment ago
    g.pop("site_settings", None)


# Answered before setup and without reading the database first: static files (the favicon too), and
# the health check (a monitor asks it before setup too, and must get its 503 while the database is down).
BEFORE_SETUP_ENDPOINTS = frozenset({"static", "seo.favicon", "health.healthz"})


def _record_site_url_from_administrator():
    # A blog set up before setup recorded the site URL, or with `flask create-admin`, takes it from
    # its administrator's first request: only the owner's browser decides it, never a visitor's Host.
    if request.endpoint in BEFORE_SETUP_ENDPOINTS or get_setting("site_url") or not current_user.is_authenticated:
        return None
    record_site_url(request.host_url)
    return None


def _require_setup():
    if request.endpoint in BEFORE_SETUP_ENDPOINTS or request.endpoint == "auth.setup":
        return None
    if needs_setup():
        return redirect(url_for("auth.setup"))
    return None


def require_login(blueprint) -> None:
    """Every view of this blueprint needs a logged-in user (the admin blueprints)."""
    blueprint.before_request(login_required(lambda: None))


def init_app(app: Flask) -> None:
    login_manager.login_view = "auth.login"
    login_manager.login_message = "Please log in to see that page."
    login_manager.login_message_category = "info"
    app.before_request(_require_setup)
    app.before_request(_record_site_url_from_administrator)
