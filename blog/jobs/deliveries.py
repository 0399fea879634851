"""The outbox queue: deliver_due() claims as many due deliveries as it sends at once (the shared
claim of queue.py), runs the network attempts concurrently with no transaction open (each linked
page gets a webmention if it offers one, else a pingback), and records each outcome in a short
transaction, retrying transient failures with exponential backoff."""

from __future__ import annotations

import logging
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, replace
from datetime import datetime
from urllib.parse import urlsplit

import sqlalchemy as sa
from flask import current_app

from ..extensions import db
from ..linkbacks.discovery import Endpoints
from ..linkbacks.http import FetchPolicy, policy_from_config
from ..linkbacks.links import normalize_url, outgoing_links
from ..linkbacks.outbox import page_already_notified, record_own_link
from ..linkbacks.sending import Outcome, Result, discover_target, send_pingback, send_trackback, send_webmention
from ..linkbacks.targets import find_own_post
from ..models import Delivery, DeliveryMethod, DeliveryOrigin, DeliveryStatus, Post, PostStatus, utcnow
from ..rendering import make_excerpt
from ..site_settings import get_setting
from .queue import claim, holds_claim, linkback_retry_at, new_worker_id, release

log = logging.getLogger(__name__)

NO_ENDPOINT = (
    'The page offers neither a webmention endpoint (Link header, <link> or <a rel="webmention">) '
    'nor a pingback server (X-Pingback header or <link rel="pingback">).'
)
# A page keeps the protocol it was first sent, so it never hears of one post by both.
NO_LONGER_OFFERED = {
    DeliveryMethod.WEBMENTION: "The page no longer offers the webmention endpoint we used before "
    "(a pingback is not sent instead, so the page never hears of this post twice).",
    DeliveryMethod.PINGBACK: "The page no longer offers the pingback server we used before "
    "(a webmention is not sent instead, so the page never hears of this post twice).",
}
REMOVED_NO_WEBMENTION = (
    "Link removed, but the page no longer offers webmention: nothing sent (a pingback cannot withdraw a mention)."
)
REMOVED_NOTHING_TO_TELL = {
    DeliveryMethod.PINGBACK: "Link removed; the page got our pingback, which cannot be withdrawn: nothing sent.",
    None: "Link removed before the page was notified: nothing to send.",
}
SENT_METHODS = (DeliveryMethod.WEBMENTION, DeliveryMethod.PINGBACK)
FINAL_STATUS = {
    Result.SENT: DeliveryStatus.SENT,
    Result.ALREADY_REGISTERED: DeliveryStatus.ALREADY_REGISTERED,
    Result.NO_ENDPOINT: DeliveryStatus.NO_ENDPOINT,
    Result.NOT_SENT: DeliveryStatus.NOT_SENT,
    Result.FAILED: DeliveryStatus.FAILED,
}


@dataclass(frozen=True)
class Job:
    """What one network attempt needs, copied out of the database for a worker thread."""

    delivery_id: int
    origin: str
    target: str
    source_url: str
    title: str
    excerpt: str
    blog_name: str
    method: str | None = None  # the protocol an earlier attempt of this row used: kept
    link_removed: bool = False  # the post no longer links to the target: only a webmention can say so
    source_gone: bool = False  # the post is in the trash or deleted: its address answers 410 (WM-9)


def waiting():
    """The deliveries this queue works on: not done, with an attempt scheduled, of a published post,
    or webmentions of a post gone to the trash or deleted (told again so the page drops the mention,
    WM-9; a trashed post's other rows wait for its restore)."""
    live_post = Delivery.post_id.in_(db.select(Post.id).filter(Post.status == PostStatus.PUBLISHED))
    gone_post = sa.and_(
        Delivery.method == DeliveryMethod.WEBMENTION,
        Delivery.post_id.in_(db.select(Post.id).filter(Post.status.in_([PostStatus.TRASH, PostStatus.DELETED]))),
    )
    # SENDING with a lease run out: its worker died mid-send; the claim takes it over.
    pending = Delivery.status.in_([DeliveryStatus.QUEUED, DeliveryStatus.RETRYING, DeliveryStatus.SENDING])
    return sa.and_(pending, sa.or_(live_post, gone_post), Delivery.next_attempt_at.is_not(None))


def claim_due(now: datetime, worker_id: str, limit: int) -> list[Delivery]:
    """Claim up to `limit` due deliveries for this worker; rows another worker claimed first are skipped."""
    claimed = claim(
        Delivery, waiting(), now=now, limit=limit, worker_id=worker_id,
        lease_seconds=current_app.config["LINKBACK_LEASE_SECONDS"],
        order_by=[Delivery.next_attempt_at, Delivery.id],
        values={"status": DeliveryStatus.SENDING, "last_attempt_at": now, "updated_at": now},
    )
    if not claimed:
        return []
    rows = db.session.execute(db.select(Delivery).filter(Delivery.id.in_(claimed)).order_by(Delivery.id))
    return list(rows.scalars())


def run_pass(now: datetime | None = None) -> int:
    return deliver_due(now)


def deliver_due(now: datetime | None = None) -> int:
    """Deliver what is due now, as many as are sent at once; returns how many were attempted."""
    now = now or utcnow()
    config = current_app.config
    worker_id = new_worker_id()
    claimed = claim_due(now, worker_id, limit=config["LINKBACK_CONCURRENCY"])
    if not claimed:
        return 0
    site = get_setting("site_url") or _origin(claimed[0].source_url)
    policy = policy_from_config(config, site)
    own = [d for d in claimed if d.method == DeliveryMethod.SELF]
    links = [d for d in claimed if d.method != DeliveryMethod.SELF and d.origin == DeliveryOrigin.LINK]
    trackbacks = [d for d in claimed if d.origin == DeliveryOrigin.TRACKBACK]
    for delivery in own:
        target_post = find_own_post(delivery.target)
        if target_post is None:
            _record(delivery, Outcome(Result.FAILED, "That post of ours no longer exists."), now, worker_id)
        else:
            record_own_link(delivery, target_post, now)
            release(delivery)
    db.session.commit()
    _run(links, policy, now, worker_id)
    pending_trackbacks = []
    for delivery in trackbacks:
        if method := page_already_notified(delivery.post.deliveries, delivery.target):
            _record(delivery, Outcome(Result.NOT_SENT, f"Not sent: this page already got our {method}."),
                    now, worker_id)
        else:
            pending_trackbacks.append(delivery)
    db.session.commit()
    _run(pending_trackbacks, policy, now, worker_id)
    return len(claimed)


def _origin(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}/"


def _run(deliveries: list[Delivery], policy: FetchPolicy, now: datetime, worker_id: str) -> None:
    if not deliveries:
        return
    linked: dict[int, set[str]] = {}
    jobs = {d.id: _job(d, linked) for d in deliveries}
    by_id = {d.id: d for d in deliveries}
    db.session.commit()  # no transaction stays open while the network is used
    with ThreadPoolExecutor(max_workers=current_app.config["LINKBACK_CONCURRENCY"]) as pool:
        results = pool.map(lambda job: (job.delivery_id, _attempt(job, policy)), jobs.values())
        for delivery_id, (outcome, endpoints, method) in results:
            link_removed = jobs[delivery_id].link_removed
            _record(by_id[delivery_id], outcome, now, worker_id, endpoints, method, link_removed=link_removed)
            db.session.commit()


def _job(delivery: Delivery, linked: dict[int, set[str]]) -> Job:
    """The job for one row; `linked` caches each post's current link targets (normalized)."""
    post = delivery.post
    if post.id not in linked:
        # A gone post links to nothing any more: every page it told hears it is gone.
        linked[post.id] = set() if post.is_gone else {normalize_url(link) for link in outgoing_links(post.body_html)}
    return Job(
        delivery_id=delivery.id,
        origin=delivery.origin,
        target=delivery.target,
        source_url=delivery.source_url,
        title=post.title,
        excerpt=make_excerpt(post.body_html, 250),
        blog_name=get_setting("blog_title"),
        method=delivery.method if delivery.method in SENT_METHODS else None,
        link_removed=delivery.origin == DeliveryOrigin.LINK and normalize_url(delivery.target) not in linked[post.id],
        source_gone=post.is_gone,
    )


def _attempt(job: Job, policy: FetchPolicy) -> tuple[Outcome, Endpoints | None, str | None]:
    """One network attempt (runs in a worker thread: no database here). Returns the outcome, the
    endpoints discovered, and the protocol sent with (None when nothing was sent)."""
    try:
        if job.origin == DeliveryOrigin.TRACKBACK:
            outcome = send_trackback(
                job.target, url=job.source_url, title=job.title, excerpt=job.excerpt, blog_name=job.blog_name,
                policy=policy,
            )
            return outcome, None, None
        found = discover_target(job.target, policy)  # again for every send, as WM-8 asks
        if isinstance(found, Outcome):
            return found, None, None
        outcome, method = _notify_link(job, found, policy)
        return outcome, found, method
    except Exception:  # a bug must not kill the pass: record it as a failure worth retrying
        log.exception("delivery %s crashed", job.delivery_id)
        return Outcome(Result.TRANSIENT, "Internal error while sending; will try again."), None, None


def _notify_link(job: Job, found: Endpoints, policy: FetchPolicy) -> tuple[Outcome, str | None]:
    """Tell one linked page about the post: by webmention if it offers one, else by pingback.

    A row keeps the protocol it used before, so a page never gets both. A link since removed from
    the post is told by webmention only, so the receiver can delete the mention (WM-8): a pingback
    cannot withdraw anything."""
    source, target = job.source_url, job.target
    if job.link_removed:
        if job.method != DeliveryMethod.WEBMENTION:
            return Outcome(Result.NO_ENDPOINT, REMOVED_NOTHING_TO_TELL[job.method]), None
        if found.webmention is None:
            return Outcome(Result.NO_ENDPOINT, REMOVED_NO_WEBMENTION), None
        outcome = send_webmention(found.webmention, source, target, policy)
        what = "Post deleted" if job.source_gone else "Link removed"
        prefix = f"{what}: told the receiver." if outcome.is_delivered else f"{what}, receiver not told:"
        return replace(outcome, detail=f"{prefix} {outcome.detail}"), DeliveryMethod.WEBMENTION
    if found.webmention and job.method in (None, DeliveryMethod.WEBMENTION):
        return send_webmention(found.webmention, source, target, policy), DeliveryMethod.WEBMENTION
    if found.pingback and job.method in (None, DeliveryMethod.PINGBACK):
        return send_pingback(found.pingback, source, target, policy), DeliveryMethod.PINGBACK
    return Outcome(Result.NO_ENDPOINT, NO_LONGER_OFFERED.get(job.method, NO_ENDPOINT)), None


def _record(
    delivery: Delivery,
    outcome: Outcome,
    now: datetime,
    worker_id: str,
    endpoints: Endpoints | None = None,
    method: str | None = None,
    link_removed: bool = False,
) -> None:
    db.session.refresh(delivery)
    if not holds_claim(delivery, worker_id) or delivery.status != DeliveryStatus.SENDING:
        return  # our lease ran out and another worker took this row over
    config = current_app.config
    if endpoints is not None:
        delivery.page_trackback_url = endpoints.trackback
    if method is not None:
        delivery.method = method
    delivery.endpoint = outcome.endpoint or delivery.endpoint
    delivery.http_status = outcome.http_status
    delivery.fault_code = outcome.fault_code
    delivery.detail = outcome.detail
    delivery.removal_announced = link_removed and outcome.is_delivered and method == DeliveryMethod.WEBMENTION
    release(delivery)
    delivery.updated_at = now
    if outcome.result != Result.TRANSIENT:
        delivery.status = FINAL_STATUS[outcome.result]
        delivery.next_attempt_at = None
    elif delivery.attempts >= config["LINKBACK_MAX_ATTEMPTS"]:
        delivery.status = DeliveryStatus.FAILED
        delivery.next_attempt_at = None
        delivery.detail = f"{outcome.detail} Gave up after {delivery.attempts} attempts."
    else:
        delivery.status = DeliveryStatus.RETRYING
        delivery.next_attempt_at = linkback_retry_at(delivery.attempts, now)
    log.info("delivery %s to %s: %s (%s)", delivery.id, delivery.target, delivery.status, delivery.detail)

