"""Checking an incoming pingback's or trackback's source page: `check_source` fetches it and looks
for the link (network only, no database: the worker runs it with no transaction open), and
`record_check` writes what was found. Only a page proved to link here is moderated and can ever
be shown to readers; one that does not link, or cannot be fetched, goes to spam with the reason."""

from __future__ import annotations

import enum
from dataclasses import dataclass
from datetime import datetime
from urllib.parse import urlsplit

from bs4 import BeautifulSoup

from ..extensions import db
from ..models import Comment, CommentKind, CommentStatus, Verification
from ..moderation import apply_moderation, record_status
from ..notifications import notify_new_item
from ..spam.screening import SourceFacts, count_discarded
from .http import AddressNotAllowed, FetchError, FetchPolicy, TooManyRedirects, URLNotAllowed
from .http import fetch as http_fetch
from .sender_checks import HTML_TYPES, context_is_empty, count_outbound_links, sender_addresses, sender_matches
from .verification import find_link, link_context

TEXT_TYPES = ("text/html", "application/xhtml+xml", "text/plain", "")


class Found(enum.StrEnum):
    LINKED = "linked"
    NOT_LINKED = "not_linked"
    UNREACHABLE = "unreachable"  # final: refused address, 4xx, not a page
    TRANSIENT = "transient"  # worth trying again: timeout, connection, 5xx, 429


@dataclass(frozen=True)
class SourceToCheck:
    """What the check needs, copied out of the database."""

    comment_id: int
    kind: str
    source: str
    targets: tuple[str, ...]  # the URL the sender named, and our permalink
    sender_ip: str = ""


@dataclass(frozen=True)
class CheckResult:
    found: Found
    note: str
    title: str = ""
    context: str = ""
    link_text: str = ""
    facts: SourceFacts | None = None  # for a linked page: its sender and page, for the spam checks


def check_source(item: SourceToCheck, policy: FetchPolicy) -> CheckResult:
    """Fetch the source page and look for a link to one of the targets."""
    headers = {"Accept": "text/html, */*;q=0.5"}
    if item.kind == CommentKind.PINGBACK and item.sender_ip:
        headers["X-Pingback-Forwarded-For"] = item.sender_ip
    try:
        page = http_fetch(item.source, policy=policy, headers=headers)
    except (AddressNotAllowed, URLNotAllowed, TooManyRedirects) as error:
        return CheckResult(Found.UNREACHABLE, f"Its page could not be fetched: {error}.")
    except FetchError as error:
        return CheckResult(Found.TRANSIENT, f"Its page could not be fetched: {error}.")
    if page.status >= 500 or page.status == 429:
        return CheckResult(Found.TRANSIENT, f"Its page answered HTTP {page.status}.")
    if not page.ok or not page.body.strip():
        return CheckResult(Found.UNREACHABLE, f"Its page answered HTTP {page.status}" + (
            "." if not page.ok else " with nothing in it."))
    if page.content_type not in TEXT_TYPES:
        return CheckResult(Found.NOT_LINKED, f"Its page is not a web page ({page.content_type}).")
    soup = BeautifulSoup(page.body, "html.parser")
    anchor = next((a for a in (find_link(soup, target) for target in item.targets) if a is not None), None)
    if anchor is None:
        return CheckResult(Found.NOT_LINKED, "Its page does not link to this post.")
    title_tag = soup.find("title")
    title = " ".join(title_tag.get_text().split())[:250] if title_tag else ""
    addresses = sender_addresses(item.source, page.url) if item.sender_ip else ()
    facts = SourceFacts(
        sender_ip=item.sender_ip, sender_addresses=addresses, sender_matches=sender_matches(item.sender_ip, addresses),
        is_html=page.content_type in HTML_TYPES, outbound_links=count_outbound_links(soup, page.url or item.source),
        context_empty=context_is_empty(anchor),
    )
    return CheckResult(Found.LINKED, "Its page links to this post.", title=title, context=link_context(anchor),
                       link_text=" ".join(anchor.get_text(" ").split())[:250], facts=facts)


def record_check(comment: Comment, result: CheckResult, now: datetime, *, final: bool) -> bool:
    """Write the check's result on the item (the caller commits); returns whether the check is over
    (False: a transient failure, to be tried again). A linked item gets its moderation decision
    now, with what the check found about its sender and page, and its notification mail is
    queued; certain spam the owner does not keep is deleted and counted."""
    if result.found == Found.TRANSIENT and not final:
        comment.verification_note = f"{result.note} Trying again later."
        return False
    waiting = comment.status == CommentStatus.PENDING  # else the owner already decided: theirs stands
    if result.found == Found.LINKED:
        comment.verification = Verification.VERIFIED
        comment.verification_note = result.note
        if comment.kind == CommentKind.PINGBACK:
            comment.author_name = (result.title or urlsplit(comment.author_url).hostname or comment.author_url)[:250]
            comment.content = result.context
        comment.link_text = result.link_text
        if waiting:
            if apply_moderation(comment, facts=result.facts).discard:  # certain spam, kept by nobody
                count_discarded()
                db.session.delete(comment)
                return True
            notify_new_item(comment, now=now)
        return True
    if result.found == Found.NOT_LINKED:
        comment.verification = Verification.FAILED
    else:
        comment.verification = Verification.UNREACHABLE
    comment.verification_note = result.note
    if comment.status in (CommentStatus.PENDING, CommentStatus.APPROVED):
        record_status(comment, CommentStatus.SPAM, f"Spam: {result.note[0].lower()}{result.note[1:]} It was not shown.")
    return True
