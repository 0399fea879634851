"""Receiving webmentions (LINKBACKS.md WM-11..WM-17): the synchronous checks that answer 400,
the queued request with its public status page, and the worker's verification — fetch the source,
find the link, read its microformats (mf2py) — which creates, refreshes or takes down the mention."""

from __future__ import annotations

import json
import re
import secrets
from dataclasses import dataclass
from datetime import datetime
from urllib.parse import urlsplit

import mf2py
from bs4 import BeautifulSoup

from ..discussion import accepts_webmentions
from ..extensions import db
from ..models import (
    Comment,
    CommentKind,
    CommentStatus,
    IncomingWebmention,
    Post,
    Verification,
    WebmentionStatus,
    utcnow,
)
from ..moderation import apply_moderation, record_status
from ..notifications import notify_new_item
from ..spam.screening import SourceFacts, count_discarded
from .http import AddressNotAllowed, FetchError, FetchPolicy, TooManyRedirects, URLNotAllowed
from .http import fetch as http_fetch
from .links import http_url_key, normalize_url
from .receiving import Caller, over_rate_limit, source_key_of
from .sender_checks import count_outbound_links
from .targets import find_own_post, is_own_url, own_hosts
from .verification import link_context

LINK_ATTRIBUTES = {"a": "href", "img": "src", "video": "src", "audio": "src", "source": "src", "iframe": "src",
                   "link": "href", "embed": "src", "object": "data", "blockquote": "cite", "q": "cite"}
TYPES = [("in-reply-to", "reply"), ("like-of", "like"), ("repost-of", "repost"), ("bookmark-of", "bookmark")]
CONTENT_MAX_CHARS = 2000
URL_MAX_CHARS = 2000  # the columns that keep a request's source and target, and the author's photo
ACCEPT = "text/html, application/json;q=0.8, */*;q=0.5"


class WebmentionRefused(ValueError):
    """A request refused at once (WM-12/13): the message is the plain-text 400 body."""

    def __init__(self, message: str, status: int = 400):
        super().__init__(message)
        self.status = status


def receive_webmention(source: str, target: str, caller: Caller, now: datetime | None = None) -> IncomingWebmention:
    """Check the request at once and queue it for verification; raises WebmentionRefused."""
    now = now or utcnow()
    source, target = (source or "").strip(), (target or "").strip()
    if not source:
        raise WebmentionRefused("missing_source: the source parameter is required.")
    if not target:
        raise WebmentionRefused("missing_target: the target parameter is required.")
    if len(source) > URL_MAX_CHARS:
        raise WebmentionRefused(f"invalid_source: the source is longer than {URL_MAX_CHARS} characters.")
    if len(target) > URL_MAX_CHARS:
        raise WebmentionRefused(f"invalid_target: the target is longer than {URL_MAX_CHARS} characters.")
    if http_url_key(source) is None:
        raise WebmentionRefused("invalid_source: the source must be an http(s) URL.")
    if http_url_key(target) is None:
        raise WebmentionRefused("invalid_target: the target must be an http(s) URL.")
    if http_url_key(source) == http_url_key(target):
        raise WebmentionRefused("invalid_source: the source and the target are the same page.")
    post = find_own_post(target) if is_own_url(target, own_hosts(caller.base_url)) else None
    if post is not None and post.is_gone:
        raise WebmentionRefused("invalid_target: the target post has been deleted.")
    if post is None or not post.is_published:
        raise WebmentionRefused("invalid_target: the target is not a post on this blog.")
    if not accepts_webmentions(post, now):
        raise WebmentionRefused("target_closed: this post does not accept webmentions.")
    if over_rate_limit(caller, post.id, now):
        raise WebmentionRefused("too_many_requests: please try again in a minute.", 429)
    request = IncomingWebmention(
        token=secrets.token_urlsafe(16), source=source, target=target, post_id=post.id,
        status=WebmentionStatus.QUEUED, ip=caller.ip[:45], user_agent=caller.user_agent[:255], created_at=now,
        next_attempt_at=now,
    )
    db.session.add(request)
    db.session.commit()
    return request


def find_request(token: str) -> IncomingWebmention | None:
    return db.session.execute(db.select(IncomingWebmention).filter_by(token=token)).scalar_one_or_none()


@dataclass
class SourceEntry:
    """What the source page says about itself (its h-entry, else its HTML)."""

    title: str
    author_name: str
    author_url: str
    author_photo: str
    content: str
    mention_type: str
    link_text: str = ""


def links_to(page_body: bytes, content_type: str, target: str) -> bool:
    """WM-14: HTML: a link-bearing attribute equal to the target; JSON: a value equal to it;
    plain text: the target as a substring. (Scheme/host case, default port and fragment aside.)"""
    wanted = {target, normalize_url(target)}
    if content_type == "application/json" or content_type.endswith("+json"):
        try:
            return _json_has(json.loads(page_body), wanted)
        except ValueError:
            return False
    if content_type == "text/plain":
        return target in page_body.decode("utf-8", errors="replace")
    soup = BeautifulSoup(page_body, "html.parser")
    for tag, attribute in LINK_ATTRIBUTES.items():
        for element in soup.find_all(tag, attrs={attribute: True}):
            value = element[attribute].strip()
            if value in wanted or http_url_key(value) in wanted:
                return True
    return False


def _json_has(data, wanted: set[str]) -> bool:
    if isinstance(data, str):
        return data in wanted
    if isinstance(data, dict):
        return any(_json_has(v, wanted) for v in data.values())
    if isinstance(data, list):
        return any(_json_has(v, wanted) for v in data)
    return False


def _is_gone(status: int, body: bytes) -> bool:
    """410 Gone, or an HTML <meta http-equiv="Status" content="410 Gone"> (as webmention.rocks)."""
    if status == 410:
        return True
    meta = BeautifulSoup(body[:20000], "html.parser").find(
        "meta", attrs={"http-equiv": re.compile("^status$", re.I)}
    )
    return bool(meta and str(meta.get("content", "")).strip().startswith("410"))


def _first(values: list, default=""):
    return values[0] if values else default


def _text(value) -> str:
    if isinstance(value, dict):
        value = value.get("value") or value.get("html") or ""
    return " ".join(str(value).split())


def read_entry(page_body: str, page_url: str, target: str) -> SourceEntry:
    """The source's h-entry (first found, also nested) via mf2py, else <title> and link context."""
    soup = BeautifulSoup(page_body, "html.parser")
    host = urlsplit(page_url).hostname or page_url
    title_tag = soup.find("title")
    title = " ".join(title_tag.get_text().split()) if title_tag else host
    entry = _find_entry(mf2py.parse(doc=page_body, url=page_url).get("items", []))
    anchor = _anchor_to(soup, target)
    context = link_context(anchor) if anchor is not None else ""
    link_text = " ".join(anchor.get_text(" ").split())[:250] if anchor is not None else ""
    if entry is None:
        return SourceEntry(title, title, "", "", context, "mention", link_text)
    props = entry.get("properties", {})
    mention_type = "mention"
    for prop, kind in TYPES:
        if any(http_url_key(_link(v)) == normalize_url(target) for v in props.get(prop, [])):
            mention_type = kind
            break
    author = _first(props.get("author", []), "")
    if isinstance(author, dict):
        author_props = author.get("properties", {})
        author_name = _text(_first(author_props.get("name", []), "")) or _text(author.get("value", ""))
        author_url = _link(_first(author_props.get("url", []), ""))
        photo = _first(author_props.get("photo", []), "")
        author_photo = photo.get("value", "") if isinstance(photo, dict) else str(photo)
    else:
        author_name, author_url, author_photo = _text(author), "", ""
    content = _text(_first(props.get("content", []), "")) or _text(_first(props.get("summary", []), ""))
    if mention_type == "mention" and context:
        content = context
    if mention_type in ("like", "repost", "bookmark"):
        content = ""
    name = _text(_first(props.get("name", []), "")) or title
    return SourceEntry(
        title=name[:250],
        author_name=(author_name or name or host)[:250],
        author_url=author_url if http_url_key(author_url) else "",
        author_photo=author_photo if http_url_key(author_photo) and len(author_photo) <= URL_MAX_CHARS else "",
        content=content[:CONTENT_MAX_CHARS],
        mention_type=mention_type,
        link_text=link_text,
    )


def _link(value) -> str:
    if isinstance(value, dict):
        return _link(_first(value.get("properties", {}).get("url", []), "")) or str(value.get("value", ""))
    return str(value or "")


def _find_entry(items: list) -> dict | None:
    for item in items:
        if "h-entry" in item.get("type", []):
            return item
        found = _find_entry(item.get("children", []))
        if found:
            return found
    return None


def _anchor_to(soup: BeautifulSoup, target: str):
    wanted = normalize_url(target)
    for anchor in soup.find_all("a", href=True):
        if http_url_key(anchor["href"]) == wanted:
            return anchor
    return None


@dataclass(frozen=True)
class SourcePage:
    """The source as the worker fetched it (or why it could not), for `apply_fetched_source`."""

    status: int = 0
    body: bytes = b""
    content_type: str = ""
    text: str = ""
    url: str = ""
    error: str = ""  # set when no HTTP answer came
    transient: bool = False  # the error is worth trying again

    @property
    def ok(self) -> bool:
        return not self.error and 200 <= self.status < 300


def fetch_source(source: str, policy: FetchPolicy) -> SourcePage:
    """GET the source (network only, no database: run with no transaction open)."""
    try:
        page = http_fetch(source, policy=policy, headers={"Accept": ACCEPT})
    except (AddressNotAllowed, URLNotAllowed, TooManyRedirects) as error:
        return SourcePage(error=str(error))
    except FetchError as error:
        return SourcePage(error=str(error), transient=True)
    transient = page.status >= 500 or page.status == 429
    return SourcePage(page.status, page.body, page.content_type, page.text, page.url, transient=transient)


def post_still_open(request: IncomingWebmention, now: datetime) -> bool:
    """Whether the request's post still takes webmentions; rejects the request when not."""
    post = db.session.get(Post, request.post_id) if request.post_id else None
    if post is None or not accepts_webmentions(post, now):
        request.processed_at = now
        request.status, request.reason = WebmentionStatus.REJECTED, "The post no longer accepts webmentions."
        return False
    return True


def _existing(post_id: int, source: str) -> Comment | None:
    """The linkback already stored for this source and post, whatever its protocol."""
    return db.session.execute(
        db.select(Comment).filter(Comment.post_id == post_id, Comment.source_key == source_key_of(source))
    ).scalars().first()


def apply_fetched_source(request: IncomingWebmention, page: SourcePage, now: datetime, *, final: bool) -> bool:
    """Create, refresh or take down the mention from what the source said (the caller commits);
    returns whether the request is done (False: a transient failure, to try again)."""
    if page.transient and not final:
        request.reason = f"The source could not be fetched ({page.error or f'HTTP {page.status}'}); trying again."
        return False
    # Parse first, write after: on SQLite the first write takes the lock, and parsing a large page
    # must not hold it.
    gone = not page.error and _is_gone(page.status, page.body)
    links = page.ok and not gone and links_to(page.body, page.content_type, request.target)
    entry = read_entry(page.text, page.url, request.target) if links else None
    facts = _page_facts(page, request) if entry is not None else None
    with db.session.no_autoflush:
        post = db.session.get(Post, request.post_id)
        existing = _existing(post.id, request.source)
    request.processed_at = now
    if page.error:
        request.status, request.reason = WebmentionStatus.REJECTED, "The source could not be fetched."
        return True
    if gone:
        _take_down(request, existing, "The source page is gone (410).", now)
        return True
    if not page.ok:
        request.status, request.reason = WebmentionStatus.REJECTED, f"The source answered HTTP {page.status}."
        return True
    if entry is None:
        if existing is not None:
            _take_down(request, existing, "The source no longer links to the post.", now)
        else:
            request.status, request.reason = WebmentionStatus.REJECTED, "The source does not link to the target."
        return True
    comment = existing or Comment(post=post, kind=CommentKind.WEBMENTION, created_at=now)
    comment.kind = CommentKind.WEBMENTION
    comment.author_name = entry.author_name
    comment.author_url = request.source
    comment.source_key = source_key_of(request.source)
    comment.author_photo = entry.author_photo
    comment.content = entry.content
    comment.mention_type = entry.mention_type
    comment.ip, comment.user_agent = request.ip, request.user_agent
    comment.target_url = request.target[:2000]
    comment.verification = Verification.VERIFIED
    comment.verification_note = f"The source links to this post ({entry.mention_type})."
    # New, or back after being taken down: moderated again. A mention the owner moved to spam or
    # trash by hand stays there, refreshed.
    is_new = existing is None or existing.taken_down_at is not None
    comment.taken_down_at = None
    comment.link_text = entry.link_text
    if is_new:
        with db.session.no_autoflush:
            decision = apply_moderation(comment, facts=facts)
        if decision.discard:  # certain spam the owner keeps none of: counted, and no trace left
            if existing is not None:
                db.session.delete(existing)
            else:
                comment.post = None
            count_discarded()
            request.status, request.reason, request.comment_id = WebmentionStatus.REJECTED, "Not accepted.", None
            return True
        db.session.add(comment)
    db.session.flush()
    request.status, request.comment_id = WebmentionStatus.ACCEPTED, comment.id
    request.reason = "Updated the existing mention." if not is_new else "Accepted."
    if is_new:
        notify_new_item(comment, now=now)
    return True


def _page_facts(page: SourcePage, request: IncomingWebmention) -> SourceFacts:
    """The link-farm count for the spam checks (webmentions are often sent by services, such as
    Bridgy, from addresses not the source's, and a like has no text around its link: those two
    checks are for pingbacks and trackbacks only)."""
    if not page.content_type.endswith(("html", "xml")):
        return SourceFacts()
    soup = BeautifulSoup(page.body, "html.parser")
    return SourceFacts(outbound_links=count_outbound_links(soup, page.url or request.source))


def _take_down(request: IncomingWebmention, existing: Comment | None, why: str, now: datetime) -> None:
    """Remove the mention from the post but keep it in the admin (trash, with the reason)."""
    request.status, request.reason = WebmentionStatus.DELETED, why
    if existing is not None:
        existing.taken_down_at = now
        record_status(existing, CommentStatus.TRASH, f"Taken down: {why}")
        request.comment_id = existing.id
