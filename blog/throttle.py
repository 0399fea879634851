"""Limits that hold under parallel requests: a fixed-window counter per key, bumped by one atomic
upsert in its own short transaction, so that forty requests arriving together are counted forty
times (never "look, then insert"). Used by the login lockout, the comment flood rule and the
incoming linkback rate limits."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite

from .extensions import db
from .models import RateCounter, utcnow


@dataclass(frozen=True)
class Hit:
    count: int  # events under the key in the current window, this one included
    window_ends_at: datetime


def _upsert(dialect_name: str):
    if dialect_name == "postgresql":
        return postgresql.insert
    if dialect_name == "sqlite":
        return sqlite.insert
    raise NotImplementedError(f"no atomic upsert for {dialect_name}")


def record_hit(key: str, window_seconds: float, now: datetime | None = None) -> Hit:
    """Count one event under `key` in the current window (one that started within `window_seconds`;
    else a new window starts now) and return the count so far. Commits at once, so the count is
    visible to every other request and process immediately: call it before the request changes
    anything, as the session's transaction is committed with it."""
    now = now or utcnow()
    window = timedelta(seconds=window_seconds)
    table = RateCounter.__table__
    expired = table.c.window_start <= now - window
    insert = _upsert(db.engine.dialect.name)(table).values(key=key[:200], window_start=now, count=1)
    statement = insert.on_conflict_do_update(
        index_elements=[table.c.key],
        set_={
            "count": sa.case((expired, 1), else_=table.c.count + 1),
            "window_start": sa.case((expired, insert.excluded.window_start), else_=table.c.window_start),
        },
    ).returning(table.c.count, table.c.window_start)
    # On the request's own session, not a second connection beside it: forty parallel requests,
    # each holding its session's connection while waiting for another, exhaust the pool (they wait
    # out its timeout, then fail); and on SQLite a second connection would wait for any write lock
    # its own session held.
    count, started = db.session.execute(statement).one()
    db.session.commit()
    return Hit(count=count, window_ends_at=started + window)


def clear_hits(key: str) -> None:
    """Forget the key's count (a successful login clears its address's failures). Commits, as
    record_hit does."""
    db.session.execute(sa.delete(RateCounter.__table__).where(RateCounter.__table__.c.key == key[:200]))
    db.session.commit()


def forget_old_counters(now: datetime | None = None, older_than_seconds: float = 86400) -> int:
    """Delete counters whose window started long ago (the job layer's housekeeping)."""
    now = now or utcnow()
    with db.engine.begin() as connection:
        result = connection.execute(
            sa.delete(RateCounter).where(RateCounter.window_start < now - timedelta(seconds=older_than_seconds))
        )
    return result.rowcount
