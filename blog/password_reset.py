""""Lost your password?": a link by email that sets a new password once, within an hour.

The link carries a token signed with the secret key (itsdangerous) that names the user and a digest
of their current password hash and email address: setting a password, by this link or on the
profile, changes the hash and so spends every link sent before; no table of tokens is needed.
Asking for a link answers the same whether or not the name or address matches an account."""

from __future__ import annotations

import hashlib
import logging
from dataclasses import dataclass
from datetime import datetime

from flask import current_app
from itsdangerous import BadSignature, SignatureExpired, URLSafeTimedSerializer

from .extensions import db
from .models import User
from .notifications import mail_configured, queue_mail
from .permalinks import absolute_url_for
from .profiles import set_new_password
from .templating import format_datetime
from .throttle import record_hit

log = logging.getLogger(__name__)

SALT = "blog.password-reset"


class ResetRefused(ValueError):
    """The request cannot go on; the message says why, in words for the visitor."""


class TooManyRequests(ResetRefused):
    pass


@dataclass(frozen=True)
class ResetLink:
    user_id: int
    password_hash: str  # the hash the link was made for: it works while this is still the password


def _serializer() -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(current_app.secret_key, salt=SALT)


def _fingerprint(user: User) -> str:
    """Changes whenever the password or email does; says nothing usable about either."""
    return hashlib.sha256(f"{user.password_hash}\n{user.email}".encode()).hexdigest()[:32]


def make_token(user: User) -> str:
    return _serializer().dumps({"user": user.id, "state": _fingerprint(user)})


def resets_available() -> bool:
    """Whether "Lost your password?" is offered: only when mail can be sent."""
    return mail_configured(current_app.config)


def find_account(name_or_email: str) -> User | None:
    text = name_or_email.strip()
    if not text:
        return None
    return db.session.execute(
        db.select(User).filter(db.or_(User.username == text, db.func.lower(User.email) == text.lower()))
        .order_by(User.id).limit(1)
    ).scalar_one_or_none()


def request_reset(name_or_email: str, ip: str, now: datetime | None = None) -> None:
    """Queue the reset mail if the name or address is an account's and its hourly allowance is not
    spent; the caller tells the visitor the same thing either way. TooManyRequests when this address
    asked too often (that says nothing about any account)."""
    config = current_app.config
    hit = record_hit(f"reset:{ip}", 3600, now)
    if hit.count > config["PASSWORD_RESET_PER_ADDRESS_PER_HOUR"]:
        until = format_datetime(hit.window_ends_at)
        raise TooManyRequests(f"Too many password reset requests from your address. Try again after {until}.")
    user = find_account(name_or_email)
    if user is None or not user.email:
        return
    if record_hit(f"reset-account:{user.id}", 3600, now).count > config["PASSWORD_RESET_PER_ACCOUNT_PER_HOUR"]:
        log.warning("Password reset for %s asked too often this hour: no more mail sent", user.username)
        return
    link = absolute_url_for("auth.reset_password", token=make_token(user))
    minutes = int(config["PASSWORD_RESET_MAX_AGE_SECONDS"]) // 60
    lines = [
        f"Someone asked to reset the password of the account {user.username!r} on this blog:",
        absolute_url_for("public.index"),
        "",
        f"To choose a new password, open this link within {minutes} minutes. It works once:",
        link,
        "",
        "If you did not ask for this, ignore this mail: your password stays as it is.",
        f"(Asked from the address {ip}.)",
    ]
    try:
        queue_mail(user.email, "Password reset", lines, now)
        db.session.commit()
    except Exception:  # the answer must not differ: log it and carry on
        db.session.rollback()
        log.exception("Could not queue the password reset mail for user %s", user.id)


def check_token(token: str) -> ResetLink:
    """The account a link is for, while it is unused and younger than PASSWORD_RESET_MAX_AGE_SECONDS;
    else ResetRefused saying so."""
    expired = "This link has expired. Ask for a new one below."
    spent = "This link is no longer valid: it was used already, or the password was changed since. Ask for a new one."
    try:
        data = _serializer().loads(token, max_age=int(current_app.config["PASSWORD_RESET_MAX_AGE_SECONDS"]))
    except SignatureExpired:
        raise ResetRefused(expired) from None
    except BadSignature:
        raise ResetRefused("This link is not valid. Check that it was copied whole, or ask for a new one.") from None
    user_id = data.get("user") if isinstance(data, dict) else None
    user = db.session.get(User, user_id) if isinstance(user_id, int) else None
    if user is None or data.get("state") != _fingerprint(user):
        raise ResetRefused(spent)
    return ResetLink(user.id, user.password_hash)


def reset_password(token: str, password: str) -> User:
    """Set the new password through a link, once: ResetRefused when the link is spent, expired or
    damaged, or was used a moment ago by a parallel request. Every login of the user ends."""
    link = check_token(token)
    if not set_new_password(link.user_id, link.password_hash, password):
        raise ResetRefused("This link is no longer valid: it was used already. Ask for a new one.")
    return db.session.get(User, link.user_id)
