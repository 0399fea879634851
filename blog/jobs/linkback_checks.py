"""The queue of incoming pingbacks and trackbacks whose source page must be fetched to prove it
links here: claimed, fetched concurrently with no transaction open, written in a short one."""

from __future__ import annotations

import logging
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime

import sqlalchemy as sa
from flask import current_app

from ..extensions import db
from ..linkbacks.http import policy_from_config
from ..linkbacks.source_checks import CheckResult, Found, SourceToCheck, check_source, record_check
from ..models import LinkbackCheck, utcnow
from ..permalinks import post_url
from ..site_settings import get_setting
from .queue import claim_fetches, holds_claim, isolated, linkback_retry_at, new_worker_id, release

log = logging.getLogger(__name__)


def waiting():
    """The checks this queue works on: every row (a check is deleted once its answer is recorded)."""
    return sa.true()


def run_pass(now: datetime | None = None) -> int:
    """Check the sources that are due; returns how many were tried."""
    now = now or utcnow()
    config = current_app.config
    worker_id = new_worker_id()
    ids = claim_fetches(LinkbackCheck, waiting(), now=now, worker_id=worker_id)
    if not ids:
        return 0
    checks = db.session.execute(db.select(LinkbackCheck).filter(LinkbackCheck.id.in_(ids))).scalars().all()
    items = {check.id: _item(check) for check in checks}
    policy = policy_from_config(config, get_setting("site_url"))
    db.session.commit()  # nothing open while the sources are fetched
    check_one = isolated(
        lambda item: check_source(item, policy),
        lambda error: CheckResult(Found.TRANSIENT, f"Internal error while checking ({error.__class__.__name__})."),
        "a linkback source check",
    )
    with ThreadPoolExecutor(max_workers=config["LINKBACK_CONCURRENCY"]) as pool:
        results = dict(zip(items, pool.map(check_one, items.values()), strict=True))
    for check in checks:
        try:
            _record(check, results[check.id], now, worker_id)
            db.session.commit()
        except Exception:  # this item's lease runs out and it is tried again; the others go on
            log.exception("recording the check of linkback %s failed", items[check.id].comment_id)
            db.session.rollback()
    return len(ids)


def _item(check: LinkbackCheck) -> SourceToCheck:
    comment = check.comment
    targets = [comment.target_url]
    try:
        targets.append(post_url(comment.post, external=True))
    except RuntimeError:  # no site URL recorded yet, and no request to take the host from
        pass
    return SourceToCheck(
        comment_id=comment.id, kind=comment.kind, source=comment.author_url,
        targets=tuple(dict.fromkeys(t for t in targets if t)), sender_ip=comment.ip,
    )


def _record(check: LinkbackCheck, result: CheckResult, now: datetime, worker_id: str) -> None:
    db.session.refresh(check)
    if not holds_claim(check, worker_id):
        return
    config = current_app.config
    final = check.attempts >= config["LINKBACK_MAX_ATTEMPTS"]
    if result.found == Found.TRANSIENT and final:
        result = CheckResult(result.found, f"{result.note} Gave up after {check.attempts} attempts.")
    if record_check(check.comment, result, now, final=final):
        db.session.delete(check)
        return
    release(check)
    check.last_error = result.note
    check.next_attempt_at = linkback_retry_at(check.attempts, now)
