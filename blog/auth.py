"""Who may use the admin: first-run setup, password checks, and the failed-login throttle."""

from __future__ import annotations

import json
from datetime import datetime, timedelta

from flask import Flask, current_app, redirect, request, url_for
from flask_login import login_required
from sqlalchemy.exc import IntegrityError

from .extensions import db, login_manager
from .models import LoginFailure, Setting, User, utcnow
from .site_settings import save_settings

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


def create_administrator(blog_title: str, username: str, password: str, email: str) -> User:
    """Create the first user and store the blog title; refuse when a user already exists."""
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
    save_settings({"blog_title": blog_title})  # commits the user too
    current_app.extensions["blog_setup_done"] = True
    return user


def authenticate(username: str, password: str) -> User | None:
    user = db.session.execute(db.select(User).filter_by(username=username)).scalar_one_or_none()
    if user is not None and user.check_password(password):
        return user
    return None


def login_refused_until(ip: str, now: datetime | None = None) -> datetime | None:
    """When this address may try again, if it has failed too often lately; else None."""
    now = now or utcnow()
    window = timedelta(seconds=current_app.config["LOGIN_WINDOW_SECONDS"])
    failures = (
        db.session.execute(
            db.select(LoginFailure.at)
            .filter(LoginFailure.ip == ip, LoginFailure.at > now - window)
            .order_by(LoginFailure.at.desc())
        )
        .scalars()
        .all()
    )
    limit = max(1, current_app.config["LOGIN_MAX_FAILURES"])
    if len(failures) < limit:
        return None
    # Newest first: the lock ends when the limit-th newest failure leaves the window, as then
    # fewer than `limit` remain (the newest failure plus the window would be too late).
    return failures[limit - 1] + window


def record_login_failure(ip: str, now: datetime | None = None) -> None:
    now = now or utcnow()
    window = timedelta(seconds=current_app.config["LOGIN_WINDOW_SECONDS"])
    db.session.execute(db.delete(LoginFailure).where(LoginFailure.at < now - window))
    db.session.add(LoginFailure(ip=ip, at=now))
    db.session.commit()


def clear_login_failures(ip: str) -> None:
    db.session.execute(db.delete(LoginFailure).where(LoginFailure.ip == ip))
    db.session.commit()


@login_manager.user_loader
def _load_user(user_id: str) -> User | None:
    return db.session.get(User, int(user_id)) if user_id.isdigit() else None


def _require_setup():
    if request.endpoint in ("static", "auth.setup"):
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
