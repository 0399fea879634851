"""The outbox: which linkbacks a post owes (queued in the same transaction as its publish), links
removed since a webmention told their page (queued again so it can drop the mention), the links to
our own posts recorded on the spot, and "Resend" for the author."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from datetime import datetime

from bs4 import BeautifulSoup
from flask import current_app

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
from ..templating import format_datetime
from .links import is_home_page, normalize_url, outgoing_links, parse_trackback_urls
from .targets import find_own_post, is_own_url, own_hosts
from .verification import find_link, link_context

DELIVERED = (DeliveryStatus.SENT, DeliveryStatus.ALREADY_REGISTERED)


# The Linkbacks panel's words for each status (the stored value is for code, these are for people).
STATUS_WORDS = {
    DeliveryStatus.QUEUED: "queued", DeliveryStatus.SENDING: "sending", DeliveryStatus.RETRYING: "retrying",
    DeliveryStatus.SENT: "sent", DeliveryStatus.ALREADY_REGISTERED: "already registered",
    DeliveryStatus.FAILED: "failed", DeliveryStatus.NO_ENDPOINT: "no endpoint", DeliveryStatus.NOT_SENT: "not sent",
}
SENT_METHODS = (DeliveryMethod.WEBMENTION, DeliveryMethod.PINGBACK)
PUT_BACK = "Link put back: the page will be told again."


@dataclass(frozen=True)
class PlannedNotice:
    """What publishing would do for one link or trackback URL (shown in the editor beforehand):
    `action` in a few words ("webmention or pingback", "already notified by webmention on …",
    "still retrying (attempt 2 of 6, next at …)"), `note` the why, `kind` for the eye ("send",
    "done", "wait", "skip", "failed")."""

    url: str
    action: str
    note: str = ""
    kind: str = "send"


def plan_notifications(post: Post, source_url: str, deliveries: list[Delivery] | None = None) -> list[PlannedNotice]:
    """What publishing (or updating) the post would do for each link and trackback URL, without
    touching anything. `deliveries` are the saved post's (a preview is an unsaved copy); each
    earlier target is described by what its row says will happen to it now."""
    deliveries = post.deliveries if deliveries is None else deliveries
    hosts = own_hosts(source_url)
    earlier = {(normalize_url(d.target), d.origin): d for d in deliveries}
    notify = get_setting("default_pingback_flag")
    links = outgoing_links(post.body_html)
    plan = []
    for link in links:
        done = earlier.get((normalize_url(link), DeliveryOrigin.LINK))
        if done is not None:
            plan.append(_earlier_link(done))
        elif is_own_url(link, hosts):
            own = find_own_post(link)
            if own is None or own.id == post.id:
                plan.append(PlannedNotice(link, "skipped", "a page of this blog that is not another post", "skip"))
            else:
                plan.append(PlannedNotice(link, "own post", f"recorded on “{own.title}” directly"))
        elif is_home_page(link):
            plan.append(PlannedNotice(link, "skipped", "a home page, not a post", "skip"))
        elif not notify:
            plan.append(PlannedNotice(link, "skipped", "notifying linked blogs is switched off", "skip"))
        else:
            plan.append(PlannedNotice(link, "webmention or pingback", "whichever the page offers, webmention first"))
    current = {normalize_url(link) for link in links}
    removed = {d.id for d in _removed_webmention_targets_in(deliveries, current)}
    for delivery in deliveries:
        if delivery.origin == DeliveryOrigin.LINK and normalize_url(delivery.target) not in current:
            plan.append(_removed_link(delivery, delivery.id in removed))
    for url in parse_trackback_urls(post.trackback_urls):
        done = earlier.get((normalize_url(url), DeliveryOrigin.TRACKBACK))
        if done is not None:
            plan.append(_earlier_trackback(done, deliveries))
        elif method := page_already_notified(deliveries, url):
            plan.append(PlannedNotice(url, f"not sent: this page already got our {method}", "", "skip"))
        else:
            plan.append(PlannedNotice(url, "trackback"))
    return plan


def _earlier_link(delivery: Delivery) -> PlannedNotice:
    """What an update does to a link already in the outbox: the same as queue_deliveries."""
    if _was_told_removed(delivery):
        return PlannedNotice(delivery.target, "will be told again", "the link was put back after it was removed")
    if delivery.status in DELIVERED and delivery.method == DeliveryMethod.SELF:
        return PlannedNotice(delivery.target, f"already recorded on our post on {_when(delivery)}", "", "done")
    if delivery.status in DELIVERED:
        return PlannedNotice(
            delivery.target, f"already notified by {delivery.method} on {_when(delivery)}", "", "done"
        )
    if delivery.status == DeliveryStatus.NO_ENDPOINT:
        return PlannedNotice(delivery.target, "no endpoint found last time: not tried again", delivery.detail, "skip")
    return _in_progress(delivery)


def _earlier_trackback(delivery: Delivery, deliveries: list[Delivery]) -> PlannedNotice:
    if delivery.status in DELIVERED:
        return PlannedNotice(delivery.target, f"already sent by trackback on {_when(delivery)}", "", "done")
    if delivery.status == DeliveryStatus.NOT_SENT:
        method = page_already_notified(deliveries, delivery.target)
        action = f"not sent: this page already got our {method}" if method else "not sent"
        return PlannedNotice(delivery.target, action, "" if method else delivery.detail, "skip")
    return _in_progress(delivery)


def _removed_link(delivery: Delivery, to_be_told: bool) -> PlannedNotice:
    """A link the post no longer makes: only a page our webmention told hears of it (WM-8)."""
    if to_be_told:
        return PlannedNotice(delivery.target, "will be told the link was removed", "so it can drop the mention")
    if _was_told_removed(delivery):
        return PlannedNotice(delivery.target, f"told the link was removed on {_when(delivery)}", "", "done")
    if delivery.status in (DeliveryStatus.QUEUED, DeliveryStatus.RETRYING, DeliveryStatus.SENDING):
        if delivery.method == DeliveryMethod.WEBMENTION:
            return PlannedNotice(delivery.target, "will be told the link was removed", _in_progress(delivery).action)
        if delivery.attempts == 0 and delivery.last_attempt_at is None:
            return PlannedNotice(delivery.target, "link removed before anything was sent: nothing to send", "", "skip")
    if delivery.status in DELIVERED and delivery.method == DeliveryMethod.PINGBACK:
        return PlannedNotice(
            delivery.target, "link removed: nothing sent", "the page got our pingback, which cannot be withdrawn",
            "skip",
        )
    return PlannedNotice(delivery.target, "link removed: nothing sent", "", "skip")


def _in_progress(delivery: Delivery) -> PlannedNotice:
    """A row still being worked on, or one that failed for good (neither is queued again by an update)."""
    if delivery.status == DeliveryStatus.RETRYING:
        attempt = f"attempt {delivery.attempts + 1} of {current_app.config['LINKBACK_MAX_ATTEMPTS']}"
        action = f"still retrying ({attempt}, next at {format_datetime(delivery.next_attempt_at)})"
        return PlannedNotice(delivery.target, action, delivery.detail, "wait")
    if delivery.status == DeliveryStatus.SENDING:
        return PlannedNotice(delivery.target, "being sent now", "", "wait")
    if delivery.status == DeliveryStatus.QUEUED:
        due = f", due {format_datetime(delivery.next_attempt_at)}" if delivery.next_attempt_at else ""
        return PlannedNotice(delivery.target, f"queued{due}", "", "wait")
    if delivery.status == DeliveryStatus.FAILED:
        return PlannedNotice(
            delivery.target, f"failed: {delivery.detail or 'no reason recorded'}",
            "not tried again unless you press Resend", "failed",
        )
    return PlannedNotice(delivery.target, STATUS_WORDS.get(delivery.status, delivery.status), delivery.detail, "skip")


def _when(delivery: Delivery) -> str:
    return format_datetime(delivery.last_attempt_at or delivery.updated_at)


def page_already_notified(deliveries: list[Delivery], trackback_url: str) -> str | None:
    """The protocol by which the page whose TrackBack URL this is already heard of the post, or None
    (the author typed the trackback URL of a page the post links to: one notification is enough).
    Asked by the queue before sending a typed trackback, and by the editor's plan."""
    wanted = normalize_url(trackback_url)
    for sibling in deliveries:
        told = sibling.status in DELIVERED and sibling.method in SENT_METHODS
        if sibling.origin != DeliveryOrigin.LINK or not told:
            continue
        page = normalize_url(sibling.target)
        candidates = {page.rstrip("/") + "/trackback/", page.rstrip("/") + "/trackback"}
        if sibling.page_trackback_url:
            candidates.add(normalize_url(sibling.page_trackback_url))
        if wanted in candidates or wanted.rstrip("/") in {c.rstrip("/") for c in candidates}:
            return sibling.method
    return None


def queue_deliveries(
    post: Post, source_url: str, now: datetime | None = None, *, put_back: str = PUT_BACK
) -> list[Delivery]:
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
                _queue_again(earlier, now, put_back)
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


def queue_gone_notices(post: Post, now: datetime | None = None) -> int:
    """The post went to the trash (WM-9): every page our webmention told of it is sent the
    webmention again, so that its receiver, fetching the post and getting 410 Gone, can drop the
    mention. Pages told by pingback are not (a pingback cannot withdraw, WP-17), nor pages already
    told the link was removed. The rows run even while the post is gone (jobs/deliveries.waiting);
    returns how many were queued."""
    now = now or utcnow()
    told = [
        d for d in post.deliveries
        if d.origin == DeliveryOrigin.LINK and d.method == DeliveryMethod.WEBMENTION
        and d.status in DELIVERED and not _was_told_removed(d)
    ]
    for delivery in told:
        _queue_again(delivery, now, "Post moved to the trash: the page will be told, so it can drop the mention.")
    return len(told)


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
    return _removed_webmention_targets_in(post.deliveries, current)


def _removed_webmention_targets_in(deliveries: list[Delivery], current: set[str]) -> list[Delivery]:
    """Pages a webmention told of this post whose link has since been removed, and that have not
    been told so yet: they are sent the webmention again so their receiver drops it (WM-8).
    Pages that got a pingback are left alone, as WordPress does (WP-17): pingback has no way to
    withdraw."""
    return [
        d for d in deliveries
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
        DeliveryStatus.NOT_SENT: "not sent",
    }
    summary = {}
    for post_id, counter in counts.items():
        merged: Counter = Counter()
        for status, n in counter.items():
            merged[words[DeliveryStatus(status)]] += n
        order = ["sent", "queued", "sending", "retrying", "failed", "no endpoint", "not sent"]
        summary[post_id] = ", ".join(f"{merged[w]} {w}" for w in order if merged[w])
    return summary
