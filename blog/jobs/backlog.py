"""How far behind the job queues are, for /healthz: when the longest-waiting overdue item became
due. An item is overdue when its queue would claim it now (waiting, its next attempt time come, no
live lease), or for a scheduled post, when its publication time has come."""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa

from ..extensions import db
from ..models import Delivery, IncomingWebmention, LinkbackCheck, OutgoingMail, Post, PostStatus
from . import deliveries, linkback_checks, mail, webmentions
from .queue import is_due

LEASED_QUEUES = (
    (Delivery, deliveries.waiting),
    (IncomingWebmention, webmentions.waiting),
    (LinkbackCheck, linkback_checks.waiting),
    (OutgoingMail, mail.waiting),
)


def oldest_overdue_since(now: datetime) -> datetime | None:
    """When the item that has waited longest across the queues became due, or None when nothing is
    overdue. One statement: the earliest due time of each queue (their due indexes serve it)."""
    firsts = [
        sa.select(sa.func.min(sa.func.coalesce(model.next_attempt_at, model.created_at))).where(
            waiting(), is_due(model, now)
        )
        for model, waiting in LEASED_QUEUES
    ]
    firsts.append(
        sa.select(sa.func.min(Post.published_at)).where(Post.status == PostStatus.SCHEDULED, Post.published_at <= now)
    )
    each = sa.union_all(*firsts).subquery()
    return db.session.execute(sa.select(sa.func.min(each.c[0]))).scalar()
