"""Accepting pingbacks and trackbacks: the checks every incoming linkback passes (target, open,
duplicate, rate limit), the source fetch and link proof for pingbacks, and storing the result in
the one comments table. Protocol adapters (XML-RPC, TrackBack form) live in views/linkbacks.py."""

from __future__ import annotations

import codecs
import html
import re
from dataclasses import dataclass
from datetime import datetime, timedelta
from urllib.parse import parse_qsl, urlsplit

from bs4 import BeautifulSoup
from flask import current_app

from ..discussion import accepts_pingbacks, accepts_trackbacks
from ..extensions import db
from ..models import Comment, CommentKind, CommentStatus, LinkbackAttempt, Post, Verification, utcnow
from ..moderation import apply_moderation
from ..notifications import notify_new_item
from ..permalinks import post_url
from ..site_settings import get_setting
from . import faults
from .faults import PingbackFault
from .http import FetchError, policy_from_config
from .http import fetch as http_fetch
from .links import http_url_key, normalize_url
from .targets import find_own_post, is_own_url, own_hosts
from .verification import find_link, link_context

TEXT_TYPES = ("text/html", "application/xhtml+xml", "text/plain", "")
SOURCE_UNREACHABLE = "The source URL does not exist or could not be fetched."
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
    """Record this call and say whether the caller or the post is over its per-minute limit."""
    config = current_app.config
    minute_ago = now - timedelta(minutes=1)
    db.session.execute(db.delete(LinkbackAttempt).where(LinkbackAttempt.at < now - timedelta(hours=1)))
    db.session.add(LinkbackAttempt(ip=caller.ip, post_id=post_id, at=now))
    db.session.commit()

    def count(*criteria) -> int:
        query = db.select(db.func.count(LinkbackAttempt.id)).filter(LinkbackAttempt.at > minute_ago, *criteria)
        return db.session.execute(query).scalar_one()

    if count(LinkbackAttempt.ip == caller.ip) > config["LINKBACK_PER_ADDRESS_PER_MINUTE"]:
        return True
    return post_id is not None and count(LinkbackAttempt.post_id == post_id) > config["LINKBACK_PER_POST_PER_MINUTE"]


def _already_registered(post: Post, source: str) -> bool:
    """Any item under the post (any kind, any status) from this source URL (as WordPress checks)."""
    wanted = {source, normalize_url(source)}
    urls = db.session.execute(
        db.select(Comment.author_url).filter(Comment.post_id == post.id, Comment.kind != CommentKind.COMMENT)
    ).scalars()
    return any(url in wanted or normalize_url(url) in wanted for url in urls if url)


def resolve_target(target: str, base_url: str = "") -> Post:
    """Our published post that the target URL names, or the pingback fault saying why not."""
    if not is_own_url(target, own_hosts(base_url)):
        raise PingbackFault(faults.TARGET_CANNOT_BE_USED, NOT_A_TARGET)
    post = find_own_post(target)
    if post is None:
        if _looks_like_permalink(target):
            raise PingbackFault(faults.TARGET_NOT_FOUND, "The specified target URL does not exist.")
        raise PingbackFault(faults.TARGET_CANNOT_BE_USED, NOT_A_TARGET)
    if not post.is_published:
        raise PingbackFault(faults.TARGET_CANNOT_BE_USED, NOT_A_TARGET)
    return post


def _looks_like_permalink(url: str) -> bool:
    return re.fullmatch(r"/\d{4}/\d{2}/\d{2}/[^/]+/?", urlsplit(url).path or "") is not None


def accept_pingback(source: str, target: str, caller: Caller, now: datetime | None = None) -> str:
    """Verify and store a pingback (PB-14, LINKBACKS.md 1.3); returns the success string or raises
    PingbackFault with the code of that table."""
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
        raise PingbackFault(faults.ALREADY_REGISTERED, "The pingback has already been registered.")
    page = _fetch_source(source, caller)
    soup = BeautifulSoup(page.body, "html.parser")
    anchor = find_link(soup, target) or find_link(soup, post_url(post, external=True))
    if anchor is None:
        raise PingbackFault(
            faults.SOURCE_LACKS_LINK,
            "The source URL does not contain a link to the target URL, and so cannot be used as a source.",
        )
    title = _page_title(soup) or urlsplit(source).hostname or source
    _store(
        post, CommentKind.PINGBACK, caller, now,
        author_name=title, author_url=source, content=link_context(anchor), target_url=target,
        verification=Verification.VERIFIED, note="The source page links to this post.",
    )
    return f"Pingback from {source} to {target} registered. Keep the web talking! :-)"


def _fetch_source(source: str, caller: Caller):
    """The source page, or fault 16 with one message whatever went wrong (no port-scan oracle)."""
    policy = policy_from_config(current_app.config, get_setting("site_url"))
    try:
        page = http_fetch(
            source, policy=policy, headers={"X-Pingback-Forwarded-For": caller.ip, "Accept": "text/html, */*;q=0.5"}
        )
    except FetchError:
        raise PingbackFault(faults.SOURCE_NOT_FOUND, SOURCE_UNREACHABLE) from None
    if not page.ok or not page.body.strip():
        raise PingbackFault(faults.SOURCE_NOT_FOUND, SOURCE_UNREACHABLE)
    if page.content_type not in TEXT_TYPES:
        raise PingbackFault(faults.SOURCE_LACKS_LINK, "The source URL is not a web page that could link to the target.")
    return page


def _page_title(soup: BeautifulSoup) -> str:
    tag = soup.find("title")
    return " ".join(tag.get_text().split())[:250] if tag else ""


def _store(post: Post, kind: CommentKind, caller: Caller, now: datetime, *, author_name: str, author_url: str,
           content: str, target_url: str, verification: Verification | None, note: str) -> Comment:
    comment = Comment(
        post=post,
        kind=kind,
        author_name=author_name[:250],
        author_url=author_url[:2000],
        content=content,
        ip=caller.ip[:45],
        user_agent=caller.user_agent[:255],
        created_at=now,
        verification=verification,
        verification_note=note,
        target_url=target_url[:2000],
    )
    with db.session.no_autoflush:
        apply_moderation(comment)
    db.session.add(comment)
    db.session.commit()
    notify_new_item(comment)
    return comment


def pingbacks_of(url: str, base_url: str = "") -> list[str]:
    """pingback.extensions.getPingbacks: the source URLs of the post's approved pingbacks."""
    post = resolve_target(url, base_url)
    return list(
        db.session.execute(
            db.select(Comment.author_url).filter(
                Comment.post_id == post.id, Comment.kind == CommentKind.PINGBACK,
                Comment.status == CommentStatus.APPROVED,
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
        raise TrackbackRefused("There is already a ping from that URL for this post.")
    title = _plain(fields.get("title", ""), TITLE_MAX_CHARS)
    excerpt = _plain(fields.get("excerpt", ""), EXCERPT_MAX_CHARS)
    blog_name = _plain(fields.get("blog_name", ""), TITLE_MAX_CHARS)
    verify = get_setting("verify_trackbacks")
    return _store(
        post, CommentKind.TRACKBACK, caller, now,
        author_name=blog_name or title or urlsplit(url).hostname or url,
        author_url=url,
        content="\n\n".join(part for part in (title, excerpt) if part),
        target_url=post_url(post, external=True),
        verification=Verification.PENDING if verify else None,
        note="Waiting to check that the page links here." if verify else "",
    )


def verify_pending_trackbacks(limit: int = 20) -> int:
    """Fetch the pages of trackbacks waiting for verification: one that does not link to its post
    goes to spam, with the reason; returns how many were checked."""
    pending = db.session.execute(
        db.select(Comment).filter(Comment.kind == CommentKind.TRACKBACK, Comment.verification == Verification.PENDING)
        .order_by(Comment.id).limit(limit)
    ).scalars().all()
    if not pending:
        return 0
    policy = policy_from_config(current_app.config, get_setting("site_url"))
    for comment in pending:
        try:
            page = http_fetch(comment.author_url, policy=policy)
        except FetchError as error:
            comment.verification = Verification.UNREACHABLE
            comment.verification_note = f"Could not fetch the page to check it: {error}"
            continue
        if not page.ok:
            comment.verification = Verification.UNREACHABLE
            comment.verification_note = f"Could not fetch the page to check it: HTTP {page.status}."
            continue
        soup = BeautifulSoup(page.body, "html.parser")
        if find_link(soup, comment.target_url) is not None:
            comment.verification = Verification.VERIFIED
            comment.verification_note = "The page links to this post."
        else:
            comment.verification = Verification.FAILED
            comment.verification_note = "The page does not link to this post, so the trackback was marked as spam."
            comment.status = CommentStatus.SPAM
    db.session.commit()
    return len(pending)

