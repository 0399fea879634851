"""What /healthz reports: whether the database answers, and how long the job that has waited
longest past its time has waited (a stopped or stuck worker shows as a growing number)."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime

import sqlalchemy as sa

from .database import describe_failure
from .extensions import db
from .jobs.backlog import oldest_overdue_since
from .models import utcnow

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Health:
    database_reachable: bool
    oldest_overdue_job_seconds: float | None = None  # 0 when nothing is overdue; None when unknown
    problem: str = ""  # why the jobs could not be read, when the database answers

    @property
    def is_healthy(self) -> bool:
        return self.database_reachable and not self.problem

    def as_json(self) -> dict:
        if not self.database_reachable:
            return {"database": "unreachable"}
        answer = {"database": "ok", "oldest_overdue_job_seconds": self.oldest_overdue_job_seconds}
        if self.problem:
            answer["problem"] = self.problem
        return answer


def read_health(now: datetime | None = None) -> Health:
    """Ask the database `SELECT 1`, then for the oldest overdue job: two short reads, no write."""
    now = now or utcnow()
    try:
        db.session.execute(sa.text("SELECT 1"))
    except sa.exc.SQLAlchemyError as error:  # refused, timed out, pool exhausted: no answer either way
        log.warning("Health check: the database does not answer (%s)", describe_failure(error))
        db.session.rollback()
        return Health(database_reachable=False)
    try:
        since = oldest_overdue_since(now)
    except sa.exc.DBAPIError as error:  # no tables yet (`flask db upgrade` not run), or a broken schema
        log.warning("Health check: the job queues cannot be read (%s)", describe_failure(error))
        db.session.rollback()
        return Health(database_reachable=True, problem="the job queues cannot be read; run `flask db upgrade`?")
    db.session.rollback()  # end the read transaction at once
    seconds = 0.0 if since is None else max((now - since).total_seconds(), 0.0)
    return Health(database_reachable=True, oldest_overdue_job_seconds=round(seconds, 1))
