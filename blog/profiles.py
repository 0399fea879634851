"""The author's profile (/admin/profile): the name readers see, email, website and photo, and the
password. Changing the password or the email address takes the current password; a new password
ends every other login (the user's session version goes up, blog/auth.py)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import IO

from flask import current_app
from werkzeug.security import generate_password_hash

from .extensions import db
from .models import User
from .profile_photos import PhotoRefused, delete_photo, store_photo
from .templating import format_datetime
from .throttle import clear_hits, record_hit


class ProfileRefused(ValueError):
    """Nothing was changed; `field` names the form field the message belongs to."""

    def __init__(self, field: str, message: str):
        super().__init__(message)
        self.field = field


class LoginEnded(Exception):
    """The password was changed meanwhile from another session: this login is over too."""


@dataclass
class ProfileInput:
    display_name: str
    email: str
    website: str
    current_password: str = ""
    new_password: str = ""
    photo: IO[bytes] | None = None  # an uploaded file's stream
    remove_photo: bool = False


@dataclass(frozen=True)
class ProfileSaved:
    password_changed: bool


def needs_current_password(user: User, data: ProfileInput) -> bool:
    """A new password, or a new email address (where a password reset link would go), takes the
    current password: a browser left logged in is not enough to take the account over."""
    return bool(data.new_password) or data.email.strip().casefold() != (user.email or "").casefold()


def password_key(user: User) -> str:
    return f"password:{user.id}"


def check_current_password(user: User, password: str) -> None:
    """Count one try against the user (one atomic upsert, before the check, so parallel guesses get
    no more than the allowed number), then check it; ProfileRefused when wrong or over the limit."""
    if not password:
        raise ProfileRefused("current_password",
                             "Enter your current password to change your password or email address.")
    config = current_app.config
    hit = record_hit(password_key(user), config["LOGIN_WINDOW_SECONDS"])
    if hit.count > max(1, config["LOGIN_MAX_FAILURES"]):
        raise ProfileRefused(
            "current_password",
            f"Too many wrong current passwords. Try again after {format_datetime(hit.window_ends_at)}.",
        )
    if not user.check_password(password):
        raise ProfileRefused("current_password", "That is not your current password.")


def update_profile(user: User, data: ProfileInput) -> ProfileSaved:
    """Store the profile in one transaction; ProfileRefused (nothing changed) names the field at
    fault, LoginEnded when another session changed the password first. A new password is written
    only if the password is still the one just checked (a conditional UPDATE on the session
    version), so of two parallel changes exactly one wins and the other session ends."""
    version = user.session_version
    checked = needs_current_password(user, data)
    if checked:
        check_current_password(user, data.current_password)
    new_photo = ""
    if data.photo is not None:
        try:
            new_photo = store_photo(data.photo, user.id)
        except PhotoRefused as error:
            raise ProfileRefused("photo", str(error)) from None
    old_photo = user.photo
    try:
        user.display_name = data.display_name.strip()[:250]
        user.email = data.email.strip()[:254]
        user.website = data.website.strip()[:2000]
        if new_photo:
            user.photo = new_photo
        elif data.remove_photo:
            user.photo = ""
        if data.new_password:
            changed = db.session.execute(
                db.update(User)
                .where(User.id == user.id, User.session_version == version)
                .values(password_hash=generate_password_hash(data.new_password), session_version=version + 1)
            ).rowcount
            if changed != 1:
                raise LoginEnded()
        db.session.commit()
    except BaseException:
        db.session.rollback()
        delete_photo(new_photo)
        raise
    if old_photo != user.photo:
        delete_photo(old_photo)
    if checked:
        clear_hits(password_key(user))
    return ProfileSaved(password_changed=bool(data.new_password))


def set_new_password(user_id: int, expected_hash: str, password: str) -> bool:
    """Replace the password if it is still `expected_hash`, ending every login: one conditional
    UPDATE, so a reset link used twice at once works once. False when it changed meanwhile."""
    changed = db.session.execute(
        db.update(User)
        .where(User.id == user_id, User.password_hash == expected_hash)
        .values(password_hash=generate_password_hash(password), session_version=User.session_version + 1)
        .execution_options(synchronize_session=False)
    ).rowcount
    db.session.commit()
    return changed == 1

