"""Old spam goes away by itself, as WordPress (with Akismet) deletes spam after 15 days: spam that
nobody has touched for the days set in Settings -> Discussion is deleted permanently by the job
layer. What the owner taught the filter with it stays (spam_examples outlive their items)."""

from __future__ import annotations

from datetime import datetime, timedelta

import sqlalchemy as sa

from ..extensions import db
from ..models import Comment, CommentStatus, ModerationEvent, utcnow
from ..site_settings import get_setting

BATCH = 500


def delete_old_spam(now: datetime | None = None) -> int:
    """Delete spam that arrived and last changed status more than `spam_delete_days` ago, in short
    transactions of BATCH items; returns how many were deleted (0 when the setting is 0)."""
    days = get_setting("spam_delete_days")
    if days <= 0:
        return 0
    cutoff = (now or utcnow()) - timedelta(days=days)
    recent = sa.select(ModerationEvent.id).where(
        ModerationEvent.comment_id == Comment.id, ModerationEvent.created_at >= cutoff
    )
    deleted = 0
    while True:
        ids = db.session.execute(
            sa.select(Comment.id).where(Comment.status == CommentStatus.SPAM, Comment.created_at < cutoff,
                                        ~sa.exists(recent)).limit(BATCH)
        ).scalars().all()
        if not ids:
            return deleted
        # Checked again in the DELETE: the owner may have rescued one since the SELECT.
        result = db.session.execute(
            sa.delete(Comment).where(Comment.id.in_(ids), Comment.status == CommentStatus.SPAM)
        )
        db.session.commit()
        deleted += result.rowcount
        if len(ids) < BATCH:
            return deleted
