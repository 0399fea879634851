"""Email to the blog's administrator when a comment or linkback arrives or is held for moderation
(Settings -> Discussion, "Email me whenever"; LINKBACKS.md WP-21 step 8): built and queued with
the item, sent by the job layer (jobs/mail.py) through the SMTP server of the configuration
(MAIL_* keys in config.py)."""

from __future__ import annotations

import logging
import smtplib
import ssl
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime
from email import message_from_string
from email import policy as email_policy
from email.errors import HeaderParseError
from email.headerregistry import Address
from email.message import EmailMessage
from email.utils import format_datetime, make_msgid
from urllib.parse import urlsplit

from flask import current_app

from .extensions import db
from .models import Comment, CommentStatus, MailStatus, OutgoingMail, User, Verification, utcnow
from .permalinks import absolute_url_for, post_url
from .site_settings import get_setting

log = logging.getLogger(__name__)

MODERATE = "moderate"  # held for moderation: moderation_notify
NEW = "new"  # approved: comments_notify, or pings_notify for a linkback


def mail_configured(config: Mapping) -> bool:
    """Whether the configuration names an SMTP server, so that notifications can be sent at all."""
    return bool(config.get("MAIL_SERVER"))


@dataclass(frozen=True)
class MailServer:
    """How to reach the SMTP server: the MAIL_* configuration, read in the request (not in the thread)."""

    host: str
    port: int
    use_tls: bool
    use_ssl: bool
    username: str | None
    password: str | None
    timeout: float

    @classmethod
    def from_config(cls, config: Mapping) -> MailServer:
        username, password = config.get("MAIL_USERNAME"), config.get("MAIL_PASSWORD")
        return cls(
            host=str(config["MAIL_SERVER"]),
            port=int(config.get("MAIL_PORT") or 25),
            use_tls=bool(config.get("MAIL_USE_TLS")),
            use_ssl=bool(config.get("MAIL_USE_SSL")),
            # BLOG_MAIL_PASSWORD=1234 arrives as a number: from_prefixed_env parses values as JSON
            username=None if username in (None, "") else str(username),
            password=None if password is None else str(password),
            timeout=float(config.get("MAIL_TIMEOUT_SECONDS") or 10),
        )


def notification_purpose(comment: Comment, *, by_owner: bool = False) -> str | None:
    """Which mail the Discussion settings ask for about this newly stored item: MODERATE, NEW or None.
    Never for spam or trash, links between our own posts, or the owner's own comments."""
    if by_owner or comment.verification == Verification.OWN:
        return None
    if comment.status == CommentStatus.PENDING:
        return MODERATE if get_setting("moderation_notify") else None
    if comment.status == CommentStatus.APPROVED:
        return NEW if get_setting("pings_notify" if comment.is_linkback else "comments_notify") else None
    return None


def notify_new_item(comment: Comment, *, by_owner: bool = False, now: datetime | None = None) -> None:
    """Queue the mail to the administrator about an item being stored, if the settings ask for it
    and mail is configured: a row added to the session, committed by the caller in the same
    transaction as the item (the job layer's mail queue sends it; no process stop loses it). The
    item must have its id (flushed). A broken notification is logged, never raised."""
    config = current_app.config
    if not mail_configured(config):
        return
    try:
        purpose = notification_purpose(comment, by_owner=by_owner)
        if purpose is None:
            return
        recipient = db.session.execute(db.select(User.email).order_by(User.id).limit(1)).scalar()
        if not recipient:
            log.warning("No administrator email address: no notification about comment %s", comment.id)
            return
        message = build_notification(comment, purpose, sender=_sender(config), recipient=recipient)
        db.session.add(OutgoingMail(
            recipient=recipient, subject=str(message["Subject"]), message=message.as_string(),
            status=MailStatus.QUEUED, next_attempt_at=now or utcnow(), created_at=now or utcnow(),
        ))
    except Exception:  # the visitor's comment matters more than the mail about it
        log.exception("Could not prepare the notification about comment %s", comment.id)


def queue_mail(recipient: str, subject: str, lines: list[str], now: datetime | None = None) -> None:
    """Queue a plain-text mail from the blog (a password reset link): a row added to the session,
    sent by the job layer once the caller commits. The subject is folded to one line."""
    message = EmailMessage()
    message["Subject"] = f"[{_one_line(get_setting('blog_title'))}] {_one_line(subject)}"
    message["From"] = _sender(current_app.config)
    message["To"] = recipient
    message["Date"] = format_datetime(utcnow())
    message["Message-ID"] = make_msgid(domain=_site_host())
    message["Auto-Submitted"] = "auto-generated"
    message.set_content("\n".join(lines) + "\n", cte="quoted-printable")
    db.session.add(OutgoingMail(
        recipient=recipient, subject=str(message["Subject"]), message=message.as_string(),
        status=MailStatus.QUEUED, next_attempt_at=now or utcnow(), created_at=now or utcnow(),
    ))


def parse_queued(mail: OutgoingMail) -> EmailMessage:
    """The message as it was queued."""
    return message_from_string(mail.message, policy=email_policy.default)


def build_notification(comment: Comment, purpose: str, *, sender: str, recipient: str) -> EmailMessage:
    """The plain-text UTF-8 mail about the item. Every header value passes through _one_line, and
    the policy refuses CR/LF anyway, so nothing a visitor types can add a header."""
    post = comment.post
    kind = str(comment.kind)
    title = _one_line(post.title)
    permalink = _link(lambda: post_url(post, external=True))
    admin = _link(lambda: absolute_url_for("admin_comments.index"))
    if purpose == MODERATE:
        subject = f"Please moderate: “{title}”"
        lines = [f"A new {kind} on the post “{title}” is waiting for your approval", permalink, ""]
    else:
        subject = f"New {kind} on your post “{title}”"
        lines = [f"New {kind} on your post “{title}”", ""]
    lines += _describe(comment)
    if purpose == MODERATE:
        if comment.moderation_note:
            lines += ["", comment.moderation_note]
        lines += ["", f"Approve it, or mark it as spam or trash: {admin}"]
    else:
        lines += ["", f"Read it: {permalink}#comment-{comment.id}" if permalink else "", f"Moderate: {admin}"]

    message = EmailMessage()
    message["Subject"] = f"[{_one_line(get_setting('blog_title'))}] {subject}"
    message["From"] = sender
    message["To"] = recipient
    reply_to = _reply_to(comment)
    if reply_to is not None:
        message["Reply-To"] = reply_to
    message["Date"] = format_datetime(utcnow())
    message["Message-ID"] = make_msgid(domain=_site_host())
    message["Auto-Submitted"] = "auto-generated"  # RFC 3834: no vacation replies
    message.set_content("\n".join(lines) + "\n", cte="quoted-printable")
    return message


def _describe(comment: Comment) -> list[str]:
    ip = f" (IP address: {comment.ip})" if comment.ip else ""
    if comment.is_linkback:
        return [f"Website: {comment.author_name}{ip}", f"URL: {comment.author_url}", "", "Excerpt:", comment.content]
    lines = [f"Author: {comment.author_name or 'Anonymous'}{ip}"]
    if comment.author_email:
        lines.append(f"Email: {comment.author_email}")
    if comment.author_url:
        lines.append(f"URL: {comment.author_url}")
    return [*lines, "Comment:", comment.content]


def send_message(message: EmailMessage, server: MailServer) -> None:
    """One SMTP exchange: TLS from the start (MAIL_USE_SSL) or STARTTLS (MAIL_USE_TLS), login when
    a user name is configured, every socket operation bounded by the timeout."""
    context = ssl.create_default_context()  # verify the certificate; smtplib alone does not
    if server.use_ssl:
        smtp = smtplib.SMTP_SSL(server.host, server.port, timeout=server.timeout, context=context)
    else:
        smtp = smtplib.SMTP(server.host, server.port, timeout=server.timeout)
    with smtp:
        if server.use_tls and not server.use_ssl:
            smtp.starttls(context=context)
        if server.username:
            smtp.login(server.username, server.password or "")
        smtp.send_message(message)


def _one_line(text: str) -> str:
    """Text fit for a header: line breaks and other control characters folded into single spaces."""
    return " ".join("".join(ch if ch.isprintable() else " " for ch in text or "").split())


def _reply_to(comment: Comment) -> Address | None:
    """The commenter as Reply-To (as WordPress does), when the address is a plain ASCII one."""
    email = (comment.author_email or "").strip()
    if comment.is_linkback or not email or not email.isascii():
        return None
    try:
        address = Address(display_name=_one_line(comment.author_name), addr_spec=email)
    except (ValueError, IndexError, HeaderParseError):
        return None
    return address if address.addr_spec == email else None


def _sender(config: Mapping) -> str:
    """MAIL_SENDER, or the blog's title at blog@<the site's host name>."""
    if config.get("MAIL_SENDER"):
        return _one_line(str(config["MAIL_SENDER"]))
    return str(Address(display_name=_one_line(get_setting("blog_title")), username="blog", domain=_site_host()))


def _site_host() -> str:
    url = _link(lambda: absolute_url_for("public.index"))
    host = (urlsplit(url).hostname or "localhost") if url else "localhost"
    return host.removeprefix("www.")


def _link(build: Callable[[], str]) -> str:
    """An absolute URL, or "" outside a request when no site URL is set (there is no host to use)."""
    try:
        return build()
    except RuntimeError:
        return ""
