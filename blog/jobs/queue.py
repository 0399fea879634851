"""Claiming the rows of a job queue, one shared helper for every queue: a row is due when its
queue says it is waiting, its next attempt time has come and nobody holds a live lease on it. A
claim is one statement (`FOR UPDATE SKIP LOCKED` on PostgreSQL; on SQLite the UPDATE itself takes
the write lock before it reads), so two workers, threads or processes, never get the same row; a
worker that dies leaves its rows due again when their lease runs out."""

from __future__ import annotations

import logging
import uuid
from collections.abc import Callable
from datetime import datetime, timedelta

import sqlalchemy as sa
from flask import current_app

from ..extensions import db

log = logging.getLogger(__name__)


def new_worker_id() -> str:
    return uuid.uuid4().hex


def is_due(model, now: datetime):
    """The lease and schedule half of "due" (the queue adds what "waiting" means for its rows)."""
    return sa.and_(
        sa.or_(model.next_attempt_at.is_(None), model.next_attempt_at <= now),
        sa.or_(model.lease_expires_at.is_(None), model.lease_expires_at <= now),
    )


def claim(
    model,
    waiting,
    *,
    now: datetime,
    limit: int,
    worker_id: str,
    lease_seconds: float,
    order_by=None,
    values: dict | None = None,
) -> list[int]:
    """Claim up to `limit` due rows of `model` matching `waiting` for this worker and return their
    ids (committed at once, so every other worker sees the claim). Claim only what you are about
    to run: a row claimed and never run waits for its lease to run out."""
    if limit <= 0:
        return []
    candidates = (
        sa.select(model.id)
        .where(waiting, is_due(model, now))
        .order_by(*(order_by if order_by is not None else [model.id]))
        .limit(limit)
    )
    # Look before claiming: an idle queue costs one read, never a write lock (on SQLite an UPDATE
    # takes the database's write lock even when it matches nothing).
    if not db.session.execute(candidates).first():
        db.session.rollback()
        return []
    if db.engine.dialect.name == "postgresql":
        # In a CTE, so it runs once: as `IN (subquery)` the planner may rescan it for every row it
        # updates (a semi join), each rescan locking further rows past the LIMIT.
        chosen = candidates.with_for_update(skip_locked=True).cte("claimable").prefix_with("MATERIALIZED")
        candidates = sa.select(chosen.c.id)
    statement = (
        sa.update(model)
        .where(model.id.in_(candidates.scalar_subquery()), waiting, is_due(model, now))
        .values(
            claimed_by=worker_id,
            lease_expires_at=now + timedelta(seconds=lease_seconds),
            attempts=model.attempts + 1,
            **(values or {}),
        )
        .returning(model.id)
        .execution_options(synchronize_session=False)
    )
    try:
        ids = sorted(db.session.execute(statement).scalars().all())
        db.session.commit()
    except Exception:
        db.session.rollback()
        raise
    return ids


def holds_claim(row, worker_id: str) -> bool:
    """Whether this worker still holds the row (its lease did not run out and pass to another)."""
    return row.claimed_by == worker_id


def release(row) -> None:
    row.claimed_by = None
    row.lease_expires_at = None


def backoff_seconds(attempts: int, base: float, cap: float) -> float:
    """Exponential backoff: base, 2×base, 4×base … after the 1st, 2nd, 3rd … attempt, at most cap."""
    return min(base * 2 ** max(attempts - 1, 0), cap)


def isolated(work: Callable, on_error: Callable[[Exception], object], what: str) -> Callable:
    """`work` wrapped so that a bug in one item becomes that item's recorded failure (`on_error`'s
    value) and never stops the pass; logged with its traceback."""

    def run(*args):
        try:
            return work(*args)
        except Exception as error:
            log.exception("%s failed", what)
            return on_error(error)

    return run


def claim_fetches(model, waiting, *, now: datetime, worker_id: str) -> list[int]:
    """Claim the rows whose work is fetching another site's page (source checks, webmentions): as
    many as LINKBACK_CONCURRENCY, oldest due first, leased for twice the fetch deadline."""
    config = current_app.config
    return claim(
        model, waiting, now=now, limit=config["LINKBACK_CONCURRENCY"], worker_id=worker_id,
        lease_seconds=2 * config["LINKBACK_TOTAL_TIMEOUT_SECONDS"] + 30,
        order_by=[model.next_attempt_at, model.id],
    )


def linkback_retry_at(attempts: int, now: datetime) -> datetime:
    """When a linkback item that failed transiently after `attempts` tries is due again."""
    config = current_app.config
    delay = backoff_seconds(attempts, config["LINKBACK_RETRY_BASE_SECONDS"], config["LINKBACK_RETRY_MAX_SECONDS"])
    return now + timedelta(seconds=delay)
