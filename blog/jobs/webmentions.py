"""The queue of received webmentions: claimed, their sources fetched concurrently with no
transaction open, the mention created, refreshed or taken down in a short transaction. Two
requests about one source never make two mentions (the comments' unique source key)."""

from __future__ import annotations

import logging
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime

from flask import current_app
from sqlalchemy.exc import IntegrityError

from ..extensions import db
from ..linkbacks.http import policy_from_config
from ..linkbacks.webmention_receiving import SourcePage, apply_fetched_source, fetch_source, post_still_open
from ..models import IncomingWebmention, WebmentionStatus, utcnow
from ..site_settings import get_setting
from .queue import claim_fetches, holds_claim, isolated, linkback_retry_at, new_worker_id, release

log = logging.getLogger(__name__)


def waiting():
    """The requests this queue works on: those still waiting for their source to be checked."""
    return IncomingWebmention.status == WebmentionStatus.QUEUED


def run_pass(now: datetime | None = None) -> int:
    """Verify the webmentions that are due; returns how many were tried."""
    now = now or utcnow()
    config = current_app.config
    worker_id = new_worker_id()
    ids = claim_fetches(
        IncomingWebmention, waiting(), now=now, worker_id=worker_id
    )
    if not ids:
        return 0
    requests = db.session.execute(
        db.select(IncomingWebmention).filter(IncomingWebmention.id.in_(ids)).order_by(IncomingWebmention.id)
    ).scalars().all()
    to_fetch = {}
    for request in requests:
        if post_still_open(request, now):
            to_fetch[request.id] = request.source
        else:
            release(request)
    policy = policy_from_config(config, get_setting("site_url"))
    db.session.commit()  # nothing open while the sources are fetched
    fetch_one = isolated(
        lambda url: fetch_source(url, policy),
        lambda error: SourcePage(error=f"internal error ({error.__class__.__name__})", transient=True),
        "a webmention source fetch",
    )
    with ThreadPoolExecutor(max_workers=config["LINKBACK_CONCURRENCY"]) as pool:
        pages = dict(zip(to_fetch, pool.map(fetch_one, to_fetch.values()), strict=True))
    for request_id, page in pages.items():
        try:
            _record(request_id, page, now, worker_id)
        except Exception:  # this request's lease runs out and it is tried again; the others go on
            log.exception("recording webmention %s failed", request_id)
            db.session.rollback()
    return len(ids)


def _record(request_id: int, page: SourcePage, now: datetime, worker_id: str) -> None:
    for _ in range(2):  # a parallel worker may create the same source's mention first: then refresh it
        request = db.session.get(IncomingWebmention, request_id, populate_existing=True)
        if request is None or not holds_claim(request, worker_id):
            return
        config = current_app.config
        final = request.attempts >= config["LINKBACK_MAX_ATTEMPTS"]
        try:
            done = apply_fetched_source(request, page, now, final=final)
            release(request)
            if not done:
                request.next_attempt_at = linkback_retry_at(request.attempts, now)
            db.session.commit()
            return
        except IntegrityError:
            db.session.rollback()
