"""deliver_due(): one pass over the outbox. Claims due deliveries with a conditional UPDATE (two
workers never send the same row; a claim whose lease ran out is due again, so a crash or restart
loses nothing), runs the network attempts concurrently, and records each outcome, retrying
transient failures with exponential backoff. The job thread, `flask worker` and tests all call it."""

from __future__ import annotations

import logging
import uuid
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import datetime, timedelta
from urllib.parse import urlsplit

import sqlalchemy as sa
from flask import current_app

from ..extensions import db
from ..models import Delivery, DeliveryMethod, DeliveryOrigin, DeliveryStatus, Post, PostStatus, utcnow
from ..rendering import make_excerpt
from ..site_settings import get_setting
from .discovery import Endpoints
from .http import FetchPolicy, policy_from_config
from .links import normalize_url
from .outbox import record_own_link
from .sending import Outcome, Result, discover_target, send_pingback, send_trackback
from .targets import find_own_post

log = logging.getLogger(__name__)

NO_PINGBACK_SERVER = 'The page offers no pingback server (no X-Pingback header or <link rel="pingback">).'
FINAL_STATUS = {
    Result.SENT: DeliveryStatus.SENT,
    Result.ALREADY_REGISTERED: DeliveryStatus.ALREADY_REGISTERED,
    Result.NO_ENDPOINT: DeliveryStatus.NO_ENDPOINT,
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


def _is_due(now: datetime):
    waiting = sa.and_(
        Delivery.status.in_([DeliveryStatus.QUEUED, DeliveryStatus.RETRYING]), Delivery.next_attempt_at <= now
    )
    abandoned = sa.and_(Delivery.status == DeliveryStatus.SENDING, Delivery.lease_expires_at <= now)
    live_post = Delivery.post_id.in_(db.select(Post.id).filter(Post.status == PostStatus.PUBLISHED))
    return sa.and_(sa.or_(waiting, abandoned), live_post)


def claim_due(now: datetime, worker_id: str, limit: int) -> list[Delivery]:
    """Claim up to `limit` due deliveries for this worker; rows another worker claimed first are skipped."""
    lease = timedelta(seconds=current_app.config["LINKBACK_LEASE_SECONDS"])
    candidates = db.session.execute(
        db.select(Delivery.id).filter(_is_due(now)).order_by(Delivery.next_attempt_at, Delivery.id).limit(limit)
    ).scalars().all()
    claimed = []
    for delivery_id in candidates:
        result = db.session.execute(
            db.update(Delivery)
            .where(Delivery.id == delivery_id, _is_due(now))
            .values(
                status=DeliveryStatus.SENDING,
                claimed_by=worker_id,
                lease_expires_at=now + lease,
                attempts=Delivery.attempts + 1,
                last_attempt_at=now,
                updated_at=now,
            )
            .execution_options(synchronize_session=False)
        )
        db.session.commit()  # each claim on its own, so a parallel worker sees it at once
        if result.rowcount == 1:
            claimed.append(delivery_id)
    if not claimed:
        return []
    rows = db.session.execute(db.select(Delivery).filter(Delivery.id.in_(claimed)).order_by(Delivery.id))
    return list(rows.scalars())


def deliver_due(now: datetime | None = None) -> int:
    """Deliver everything due now; returns how many deliveries were attempted."""
    now = now or utcnow()
    config = current_app.config
    worker_id = uuid.uuid4().hex
    claimed = claim_due(now, worker_id, limit=config["LINKBACK_CONCURRENCY"] * 4)
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
            delivery.lease_expires_at = delivery.claimed_by = None
    db.session.commit()
    _run(links, policy, now, worker_id)
    pending_trackbacks = []
    for delivery in trackbacks:
        if _page_already_pinged(delivery):
            _record(delivery, Outcome(Result.ALREADY_REGISTERED, "Not sent: this page already got our pingback."),
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
    jobs = {d.id: _job(d) for d in deliveries}
    by_id = {d.id: d for d in deliveries}
    with ThreadPoolExecutor(max_workers=current_app.config["LINKBACK_CONCURRENCY"]) as pool:
        results = pool.map(lambda job: (job.delivery_id, _attempt(job, policy)), jobs.values())
        for delivery_id, (outcome, endpoints) in results:
            _record(by_id[delivery_id], outcome, now, worker_id, endpoints)
            db.session.commit()


def _job(delivery: Delivery) -> Job:
    post = delivery.post
    return Job(
        delivery_id=delivery.id,
        origin=delivery.origin,
        target=delivery.target,
        source_url=delivery.source_url,
        title=post.title,
        excerpt=make_excerpt(post.body_html, 250),
        blog_name=get_setting("blog_title"),
    )


def _attempt(job: Job, policy: FetchPolicy) -> tuple[Outcome, Endpoints | None]:
    """One network attempt (runs in a worker thread: no database here)."""
    try:
        if job.origin == DeliveryOrigin.TRACKBACK:
            outcome = send_trackback(
                job.target, url=job.source_url, title=job.title, excerpt=job.excerpt, blog_name=job.blog_name,
                policy=policy,
            )
            return outcome, None
        found = discover_target(job.target, policy)
        if isinstance(found, Outcome):
            return found, None
        if found.pingback is None:
            return Outcome(Result.NO_ENDPOINT, NO_PINGBACK_SERVER), found
        return send_pingback(found.pingback, job.source_url, job.target, policy), found
    except Exception:  # a bug must not kill the pass: record it as a failure worth retrying
        log.exception("delivery %s crashed", job.delivery_id)
        return Outcome(Result.TRANSIENT, "Internal error while sending; will try again."), None


def _record(
    delivery: Delivery, outcome: Outcome, now: datetime, worker_id: str, endpoints: Endpoints | None = None
) -> None:
    db.session.refresh(delivery)
    if delivery.claimed_by != worker_id or delivery.status != DeliveryStatus.SENDING:
        return  # our lease ran out and another worker took this row over
    config = current_app.config
    if endpoints is not None:
        delivery.page_trackback_url = endpoints.trackback
        if delivery.origin == DeliveryOrigin.LINK:
            delivery.method = DeliveryMethod.PINGBACK if endpoints.pingback else None
    delivery.endpoint = outcome.endpoint or delivery.endpoint
    delivery.http_status = outcome.http_status
    delivery.fault_code = outcome.fault_code
    delivery.detail = outcome.detail
    delivery.claimed_by = None
    delivery.lease_expires_at = None
    delivery.updated_at = now
    if outcome.result != Result.TRANSIENT:
        delivery.status = FINAL_STATUS[outcome.result]
        delivery.next_attempt_at = None
    elif delivery.attempts >= config["LINKBACK_MAX_ATTEMPTS"]:
        delivery.status = DeliveryStatus.FAILED
        delivery.next_attempt_at = None
        delivery.detail = f"{outcome.detail} Gave up after {delivery.attempts} attempts."
    else:
        delay = min(
            config["LINKBACK_RETRY_BASE_SECONDS"] * 2 ** (delivery.attempts - 1), config["LINKBACK_RETRY_MAX_SECONDS"]
        )
        delivery.status = DeliveryStatus.RETRYING
        delivery.next_attempt_at = now + timedelta(seconds=delay)
    log.info("delivery %s to %s: %s (%s)", delivery.id, delivery.target, delivery.status, delivery.detail)


def _page_already_pinged(trackback: Delivery) -> bool:
    """True when a page whose TrackBack URL this is already got our pingback (the author typed the
    trackback URL of a page the post links to: one notification is enough)."""
    wanted = normalize_url(trackback.target)
    for sibling in trackback.post.deliveries:
        if sibling.origin != DeliveryOrigin.LINK or sibling.status not in (
            DeliveryStatus.SENT, DeliveryStatus.ALREADY_REGISTERED
        ) or sibling.method != DeliveryMethod.PINGBACK:
            continue
        page = normalize_url(sibling.target)
        candidates = {page.rstrip("/") + "/trackback/", page.rstrip("/") + "/trackback"}
        if sibling.page_trackback_url:
            candidates.add(normalize_url(sibling.page_trackback_url))
        if wanted in candidates or wanted.rstrip("/") in {c.rstrip("/") for c in candidates}:
            return True
    return False
