"""Accepting pingbacks and trackbacks: the checks every incoming linkback passes at once (target,
open, duplicate, rate limit) and storing it in the one comments table, with a source check queued
for the worker (source_checks.py) where the page must be proved to link here. Protocol adapters
(XML-RPC, TrackBack form) live in views/linkbacks.py."""

from __future__ import annotations

import codecs
import html
import re
from dataclasses import dataclass
from datetime import datetime
from urllib.parse import parse_qsl, urlsplit

from bs4 import BeautifulSoup
from flask import current_app
from sqlalchemy.exc import IntegrityError

from ..discussion import accepts_pingbacks, accepts_trackbacks
from ..extensions import db
from ..models import Comment, CommentKind, CommentStatus, LinkbackCheck, Post, PostStatus, Verification, utcnow
from ..moderation import apply_moderation, record_status
from ..notifications import notify_new_item
from ..permalinks import post_url
from ..site_settings import get_setting
from ..spam.screening import count_discarded
from ..throttle import record_hit
from . import faults
from .faults import PingbackFault
from .links import http_url_key, normalize_url
from .targets import find_own_post, is_own_url, own_hosts

SOURCE_UNREACHABLE = "The source URL does not exist or could not be fetched."
ALREADY_REGISTERED = "The pingback has already been registered."
TRACKBACK_DUPLICATE = "There is already a ping from that URL for this post."
NOT_A_TARGET = (
    "The specified target URL cannot be used as a target. It either doesn't exist, or it is not a "
    "pingback-enabled resource."
)


class TrackbackRefused(ValueError):
    """A trackback ping refused; the message goes back in <message>, with an HTTP status."""

    def __init__(self, message: str, status: int = 200):
        super().__init__(message)
        self.status = status


@dataclass(frozen=True)
class Caller:
    """Who is calling, and at which of our addresses (request.host_url) the call arrived."""

    ip: str
    user_agent: str
    base_url: str = ""


def over_rate_limit(caller: Caller, post_id: int | None, now: datetime) -> bool:
    """Count this call (accepted or not: a refused call may have cost work too) against the caller's
    and the post's per-minute limits, atomically; say whether either is now over its limit."""
    config = current_app.config
    if record_hit(f"linkback-ip:{caller.ip}", 60, now).count > config["LINKBACK_PER_ADDRESS_PER_MINUTE"]:
        return True
    return post_id is not None and (
        record_hit(f"linkback-post:{post_id}", 60, now).count > config["LINKBACK_PER_POST_PER_MINUTE"]
    )


def source_key_of(url: str) -> str:
    """The key that makes one linkback per source page and post (comments.source_key)."""
    return normalize_url(url)[:2000]


def _already_registered(post: Post, source: str) -> bool:
    """Any linkback under the post (any kind, any status) from this source page (as WordPress checks)."""
    found = db.session.execute(
        db.select(Comment.id).filter(Comment.post_id == post.id, Comment.source_key == source_key_of(source)).limit(1)
    ).first()
    return found is not None


def resolve_target(target: str, base_url: str = "") -> Post:
    """Our published post that the target URL names, or the pingback fault saying why not."""
    if not is_own_url(target, own_hosts(base_url)):
        raise PingbackFault(faults.TARGET_CANNOT_BE_USED, NOT_A_TARGET)
    post = find_own_post(target)
    if post is None:
        if _looks_like_permalink(target):
            raise PingbackFault(faults.TARGET_NOT_FOUND, "The specified target URL does not exist.")
        raise PingbackFault(faults.TARGET_CANNOT_BE_USED, NOT_A_TARGET)
    if post.status == PostStatus.DELETED:  # certainly gone: only its tombstone is left
        raise PingbackFault(faults.TARGET_NOT_FOUND, "The specified target URL does not exist: the post was deleted.")
    if not post.is_published:  # a draft, or in the trash (it may come back)
        raise PingbackFault(faults.TARGET_CANNOT_BE_USED, NOT_A_TARGET)
    return post


def _looks_like_permalink(url: str) -> bool:
    return re.fullmatch(r"/\d{4}/\d{2}/\d{2}/[^/]+/?", urlsplit(url).path or "") is not None


def accept_pingback(source: str, target: str, caller: Caller, now: datetime | None = None) -> str:
    """Take a pingback (PB-14, LINKBACKS.md 1.3): the checks that need no network are made at once
    (faults 0, 16 for a source that is no http(s) URL, 32, 33, 48, 49); the source page is fetched
    and checked for the link by the job layer (jobs/linkback_checks.py), so no reader ever waits
    on the sender's server. Returns the success string or raises PingbackFault."""
    now = now or utcnow()
    if not isinstance(source, str) or not isinstance(target, str):
        raise PingbackFault(faults.INVALID_PARAMS, "pingback.ping takes two strings: source and target.")
    source, target = source.strip(), target.strip()
    source_key, target_key = http_url_key(source), http_url_key(target)
    if target_key is None:
        raise PingbackFault(faults.TARGET_CANNOT_BE_USED, NOT_A_TARGET)
    if source_key is None:
        raise PingbackFault(faults.SOURCE_NOT_FOUND, SOURCE_UNREACHABLE)
    if source_key == target_key:
        raise PingbackFault(faults.GENERIC, "The source URL and the target URL cannot both point to the same resource.")
    post = find_own_post(target)  # the rate-limit key; resolve_target below gives the real answer
    if over_rate_limit(caller, post.id if post else None, now):
        raise PingbackFault(faults.ACCESS_DENIED, "Too many pingbacks; please try again in a minute.")
    post = resolve_target(target, caller.base_url)
    if not accepts_pingbacks(post):
        raise PingbackFault(faults.TARGET_CANNOT_BE_USED, "Pingbacks are closed for this post.")
    if _already_registered(post, source):
        raise PingbackFault(faults.ALREADY_REGISTERED, ALREADY_REGISTERED)
    stored = _store(
        post, CommentKind.PINGBACK, caller, now,
        author_name=urlsplit(source).hostname or source, author_url=source, content="", target_url=target,
        verify=True,
    )
    if stored is None:
        raise PingbackFault(faults.ALREADY_REGISTERED, ALREADY_REGISTERED)
    return f"Pingback from {source} to {target} received; it is listed once its page is checked to link here."


def _store(post: Post, kind: CommentKind, caller: Caller, now: datetime, *, author_name: str, author_url: str,
           content: str, target_url: str, verify: bool) -> Comment | None:
    """Store the linkback; None when this source is already registered for the post (the unique
    key decides, so parallel pings from one source store one item). With `verify`, the item waits
    unseen, neither moderated nor notified, until the worker has checked its source page."""
    comment = Comment(
        post=post,
        kind=kind,
        author_name=author_name[:250],
        author_url=author_url[:2000],
        source_key=source_key_of(author_url),
        content=content,
        ip=caller.ip[:45],
        user_agent=caller.user_agent[:255],
        created_at=now,
        target_url=target_url[:2000],
    )
    if verify:
        comment.verification = Verification.PENDING
        comment.verification_note = "Waiting to check that the page links here."
        record_status(comment, CommentStatus.PENDING, "Held until its page is checked to link here.")
    else:
        with db.session.no_autoflush:
            if apply_moderation(comment).discard:  # certain spam the owner keeps none of: counted only
                count_discarded()
                db.session.commit()
                return comment
    db.session.add(comment)
    try:
        db.session.flush()
    except IntegrityError:
        db.session.rollback()
        return None
    if verify:
        db.session.add(LinkbackCheck(comment_id=comment.id, next_attempt_at=now, created_at=now))
    else:
        notify_new_item(comment, now=now)
    db.session.commit()
    return comment


def pingbacks_of(url: str, base_url: str = "") -> list[str]:
    """pingback.extensions.getPingbacks: the source URLs of the post's approved pingbacks."""
    post = resolve_target(url, base_url)
    return list(
        db.session.execute(
            db.select(Comment.author_url).filter(
                Comment.post_id == post.id, Comment.kind == CommentKind.PINGBACK,
                Comment.shown_to_readers(),
            ).order_by(Comment.created_at)
        ).scalars()
    )


def decode_trackback_form(raw: bytes, header_charset: str | None) -> dict[str, str]:
    """The TrackBack form fields, decoded in the character set the Content-Type header names (or
    a `charset` field, TB-2), UTF-8 by default. Undecodable text is refused, never stored garbled."""
    # Percent-encode stray raw bytes (some clients send text unencoded) so the parser sees ASCII.
    ascii_body = re.sub(rb"[^\x00-\x7f]", lambda m: b"%%%02X" % m.group()[0], raw).decode("ascii")
    charset = header_charset
    if not charset:
        for name, value in parse_qsl(ascii_body, encoding="latin-1"):
            if name == "charset" and value.strip():
                charset = value.strip()
    charset = (charset or "utf-8").strip().strip('"')
    try:
        codec = codecs.lookup(charset).name
    except LookupError:
        raise TrackbackRefused(f"Unknown character set “{charset[:40]}”.") from None
    if codec in ("utf-7",):
        raise TrackbackRefused("UTF-7 is not accepted.")
    try:
        pairs = parse_qsl(ascii_body, encoding=codec, errors="strict", max_num_fields=20)
    except (UnicodeDecodeError, ValueError):
        raise TrackbackRefused(f"The ping's text is not valid {charset}.") from None
    fields: dict[str, str] = {}
    for name, value in pairs:
        fields.setdefault(name, value)
    return fields


TITLE_MAX_CHARS = 250
EXCERPT_MAX_CHARS = 1000


def _plain(text: str, limit: int) -> str:
    """A trackback field as plain text: entities decoded (WordPress sends &#8217;), tags dropped,
    whitespace folded, cut at a word boundary."""
    text = BeautifulSoup(html.unescape(text or ""), "html.parser").get_text(" ")
    text = " ".join(text.split())
    if len(text) > limit:
        text = text[:limit].rsplit(" ", 1)[0] + "…"
    return text


def accept_trackback(post: Post, fields: dict[str, str], caller: Caller, now: datetime | None = None) -> Comment:
    """Store a TrackBack ping (TB-3) for the post, or raise TrackbackRefused with the message for
    <error>1</error>. With "Verify that trackbacks link to this blog" on, the worker checks it later."""
    now = now or utcnow()
    url = (fields.get("url") or "").strip()
    if not url:
        raise TrackbackRefused("The ping has no url: the url of the linking entry is required.")
    if http_url_key(url) is None:
        raise TrackbackRefused("The url must be an http:// or https:// address.")
    if over_rate_limit(caller, post.id, now):
        raise TrackbackRefused("Too many pings; please try again in a minute.", 429)
    if not accepts_trackbacks(post):
        raise TrackbackRefused("Sorry, trackbacks are closed for this item.")
    if _already_registered(post, url):
        raise TrackbackRefused(TRACKBACK_DUPLICATE)
    title = _plain(fields.get("title", ""), TITLE_MAX_CHARS)
    excerpt = _plain(fields.get("excerpt", ""), EXCERPT_MAX_CHARS)
    blog_name = _plain(fields.get("blog_name", ""), TITLE_MAX_CHARS)
    stored = _store(
        post, CommentKind.TRACKBACK, caller, now,
        author_name=blog_name or title or urlsplit(url).hostname or url,
        author_url=url,
        content="\n\n".join(part for part in (title, excerpt) if part),
        target_url=post_url(post, external=True),
        verify=get_setting("verify_trackbacks"),
    )
    if stored is None:
        raise TrackbackRefused(TRACKBACK_DUPLICATE)
    return stored
