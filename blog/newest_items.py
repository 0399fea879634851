"""One page of comments and linkbacks in some statuses (and kinds), newest first, read without sorting them all:
each status and kind is read from its own range of the (kind, status, created_at) or (status, created_at)
index, newest first, taking no more than the page needs, and the ranges are then merged. Asking for several
statuses or kinds at once makes the database sort every item that matches (100 ms and more at 200,000 items)."""

from __future__ import annotations

from collections.abc import Sequence
from itertools import product

import sqlalchemy as sa

from .extensions import db
from .models import Comment


def newest_ids(statuses: Sequence[str], kinds: Sequence[str] | None, offset: int, limit: int) -> sa.Select:
    """A select of the ids of items offset..offset+limit, newest first (kinds None: every kind)."""
    def newest(status: str, kind: str | None):
        query = db.select(Comment.id, Comment.created_at).filter(Comment.status == status)
        if kind is not None:
            query = query.filter(Comment.kind == kind)
        return query.order_by(Comment.created_at.desc(), Comment.id.desc()).limit(offset + limit).subquery()

    parts = [db.select(newest(status, kind)) for status, kind in product(statuses, kinds or [None])]
    merged = (parts[0] if len(parts) == 1 else sa.union_all(*parts)).subquery()
    return (db.select(merged.c.id).order_by(merged.c.created_at.desc(), merged.c.id.desc())
            .offset(offset).limit(limit))
