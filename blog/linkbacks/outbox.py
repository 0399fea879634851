"""The outbox: which linkbacks a post owes (queued in the same transaction as its publish), links
removed since a webmention told their page (queued again so it can drop the mention), the links to
our own posts recorded on the spot, and "Resend" for the author."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from datetime import datetime

from bs4 import BeautifulSoup

from ..discussion import accepts_pings
from ..extensions import db
from ..models import (
    Comment,
    CommentKind,
    CommentStatus,
    Delivery,
    DeliveryMethod,
    DeliveryOrigin,
    DeliveryStatus,
    Post,
    Verification,
    utcnow,
)
from ..site_settings import get_setting
from .links import is_home_page, normalize_url, outgoing_links, parse_trackback_urls
from .targets import find_own_post, is_own_url, own_hosts
from .verification import find_link, link_context

DELIVERED = (DeliveryStatus.SENT, DeliveryStatus.ALREADY_REGISTERED)


@dataclass(frozen=True)
class PlannedNotice:
    """What publishing would do for one link or trackback URL (shown in the editor beforehand)."""

    url: str
    action: str  # "webmention or pingback", "trackback", "own post", "skipped"
    note: str = ""


def plan_notifications(post: Post, source_url: str) -> list[PlannedNotice]:
    """What publishing (or updating) the post would notify, without touching anything."""
    hosts = own_hosts(source_url)
    done = {(normalize_url(d.target), d.origin) for d in post.deliveries}
    notify = get_setting("default_pingback_flag")
    plan = []
    for link in outgoing_links(post.body_html):
        if (normalize_url(link), DeliveryOrigin.LINK) in done:
            plan.append(PlannedNotice(link, "skipped", "already notified"))
        elif is_own_url(link, hosts):
            own = find_own_post(link)
            if own is None or own.id == post.id:
                plan.append(PlannedNotice(link, "skipped", "a page of this blog that is not another post"))
            else:
                plan.append(PlannedNotice(link, "own post", f"recorded on “{own.title}” directly"))
        elif is_home_page(link):
            plan.append(PlannedNotice(link, "skipped", "a home page, not a post"))
        elif not notify:
            plan.append(PlannedNotice(link, "skipped", "notifying linked blogs is switched off"))
        else:
            plan.append(PlannedNotice(link, "webmention or pingback", "whichever the page offers, webmention first"))
    for url in parse_trackback_urls(post.trackback_urls):
        if (normalize_url(url), DeliveryOrigin.TRACKBACK) in done:
            plan.append(PlannedNotice(url, "skipped", "trackback already sent"))
        else:
            plan.append(PlannedNotice(url, "trackback"))
    return plan


def queue_deliveries(post: Post, source_url: str, now: datetime | None = None) -> list[Delivery]:
    """Add the deliveries the post owes to the session (the caller commits, with the publish).

    Targets already queued or notified for this post are never queued again; links added by an
    edit are. Links to our own posts are recorded at once when the post is live, else when it
    goes live. Queued rows due at the post's publish time wait for it."""
    now = now or utcnow()
    due = max(now, post.published_at or now)
    hosts = own_hosts(source_url)
    existing = {(normalize_url(d.target), d.origin): d for d in post.deliveries}
    links = outgoing_links(post.body_html)
    added = []

    def add(target: str, origin: DeliveryOrigin, method: DeliveryMethod | None) -> Delivery:
        delivery = Delivery(
            post=post, target=target, origin=origin, method=method, source_url=source_url,
            status=DeliveryStatus.QUEUED, attempts=0, detail="", next_attempt_at=due, created_at=now, updated_at=now,
        )
        db.session.add(delivery)
        existing[(normalize_url(target), origin)] = delivery
        added.append(delivery)
        return delivery

    for link in links:
        earlier = existing.get((normalize_url(link), DeliveryOrigin.LINK))
        if earlier is not None:  # never notified twice, unless the page was since told the link was gone
            if _was_told_removed(earlier):
                _queue_again(earlier, now, "Link put back: the page will be told again.")
            continue
        if is_own_url(link, hosts):
            own = find_own_post(link)
            if own is not None and own.id != post.id:
                delivery = add(link, DeliveryOrigin.LINK, DeliveryMethod.SELF)
                if post.is_published:
                    record_own_link(delivery, own, now)
        elif not is_home_page(link) and get_setting("default_pingback_flag"):
            add(link, DeliveryOrigin.LINK, None)
    for url in parse_trackback_urls(post.trackback_urls):
        if (normalize_url(url), DeliveryOrigin.TRACKBACK) not in existing:
            add(url, DeliveryOrigin.TRACKBACK, DeliveryMethod.TRACKBACK)
    current = {normalize_url(link) for link in links}
    _drop_unsent_removed_links(post, current)
    for delivery in post.deliveries:  # a rescheduled post: its waiting rows wait for the new time
        removed = delivery.origin == DeliveryOrigin.LINK and normalize_url(delivery.target) not in current
        if delivery.status == DeliveryStatus.QUEUED and delivery.attempts == 0 and not removed:
            delivery.next_attempt_at = due
            delivery.source_url = source_url
    for delivery in _removed_webmention_targets(post, current):
        _queue_again(delivery, now, "Link removed: the page will be told, so it can drop the mention.")
    return added


def _drop_unsent_removed_links(post: Post, current: set[str]) -> None:
    """A link removed before anything was sent to it is simply no longer owed."""
    for delivery in list(post.deliveries):
        if (
            delivery.origin == DeliveryOrigin.LINK
            and delivery.status == DeliveryStatus.QUEUED
            and delivery.attempts == 0
            and delivery.last_attempt_at is None
            and normalize_url(delivery.target) not in current
        ):
            post.deliveries.remove(delivery)


def _removed_webmention_targets(post: Post, current: set[str]) -> list[Delivery]:
    """Pages a webmention told of this post whose link has since been removed, and that have not
    been told so yet: they are sent the webmention again so their receiver drops it (WM-8).
    Pages that got a pingback are left alone, as WordPress does (WP-17): pingback has no way to
    withdraw."""
    return [
        d for d in post.deliveries
        if d.origin == DeliveryOrigin.LINK
        and d.method == DeliveryMethod.WEBMENTION
        and d.status in DELIVERED
        and not _was_told_removed(d)
        and normalize_url(d.target) not in current
    ]


def _was_told_removed(delivery: Delivery) -> bool:
    return delivery.status in DELIVERED and delivery.removal_announced


def _queue_again(delivery: Delivery, now: datetime, detail: str) -> None:
    """Queue a delivered row once more (keeping its source URL: the one its receiver knows)."""
    delivery.status = DeliveryStatus.QUEUED
    delivery.detail = detail
    delivery.removal_announced = False
    delivery.attempts = 0
    delivery.next_attempt_at = now
    delivery.updated_at = now


def record_own_link(delivery: Delivery, target_post: Post, now: datetime) -> None:
    """Record a link between our own posts as a pingback on the linked post, without the network.
    Approved at once when "Approve links between my own posts automatically" is on (default)."""
    source = delivery.post
    delivery.attempts += 1
    delivery.last_attempt_at = now
    delivery.updated_at = now
    delivery.next_attempt_at = None
    if not accepts_pings(target_post):
        delivery.status = DeliveryStatus.NO_ENDPOINT
        delivery.detail = f"Our post “{target_post.title}” does not accept pingbacks."
        return
    already = db.session.execute(
        db.select(Comment.id).filter(
            Comment.post_id == target_post.id, Comment.author_url == delivery.source_url
        ).limit(1)
    ).first()
    if already is not None:
        delivery.status = DeliveryStatus.ALREADY_REGISTERED
        delivery.detail = f"Our post “{target_post.title}” already lists this post."
        return
    anchor = find_link(BeautifulSoup(source.body_html, "html.parser"), delivery.target)
    approve = get_setting("approve_own_links")
    db.session.add(
        Comment(
            post=target_post,
            kind=CommentKind.PINGBACK,
            status=CommentStatus.APPROVED if approve else CommentStatus.PENDING,
            author_name=source.title[:250],
            author_url=delivery.source_url,
            content=link_context(anchor) if anchor is not None else "",
            created_at=now,
            verification=Verification.OWN,
        )
    )
    delivery.status = DeliveryStatus.SENT
    delivery.detail = f"Recorded on our own post “{target_post.title}”" + (
        "." if approve else ", waiting for your approval."
    )


def resend(deliveries: list[Delivery], now: datetime | None = None) -> int:
    """Queue these deliveries again (the author asked); returns how many were queued."""
    now = now or utcnow()
    count = 0
    for delivery in deliveries:
        if delivery.status == DeliveryStatus.SENDING:
            continue
        delivery.status = DeliveryStatus.QUEUED
        delivery.attempts = 0
        delivery.next_attempt_at = now
        delivery.detail = ""
        delivery.updated_at = now
        count += 1
    db.session.commit()
    return count


def delivery_summary(post_ids: list[int]) -> dict[int, str]:
    """A short per-post summary for the posts list, e.g. "3 sent, 1 failed"."""
    if not post_ids:
        return {}
    rows = db.session.execute(
        db.select(Delivery.post_id, Delivery.status, db.func.count(Delivery.id))
        .filter(Delivery.post_id.in_(post_ids))
        .group_by(Delivery.post_id, Delivery.status)
    )
    counts: dict[int, Counter] = {}
    for post_id, status, n in rows:
        counts.setdefault(post_id, Counter())[status] += n
    words = {
        DeliveryStatus.SENT: "sent", DeliveryStatus.ALREADY_REGISTERED: "sent",
        DeliveryStatus.QUEUED: "queued", DeliveryStatus.SENDING: "sending", DeliveryStatus.RETRYING: "retrying",
        DeliveryStatus.FAILED: "failed", DeliveryStatus.NO_ENDPOINT: "no endpoint",
    }
    summary = {}
    for post_id, counter in counts.items():
        merged: Counter = Counter()
        for status, n in counter.items():
            merged[words[DeliveryStatus(status)]] += n
        order = ["sent", "queued", "sending", "retrying", "failed", "no endpoint"]
        summary[post_id] = ", ".join(f"{merged[w]} {w}" for w in order if merged[w])
    return summary
