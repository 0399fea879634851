"""What the dashboard (/admin, "At a glance") shows: counts of posts, pages, drafts, and of approved,
pending and spam comments, with what the spam filter learned and discarded; the newest mentions
received, deliveries that failed or are being retried, the scheduled posts and the latest drafts."""

from __future__ import annotations

from dataclasses import dataclass

import sqlalchemy as sa
from sqlalchemy.orm import joinedload

from .extensions import db
from .models import Comment, CommentKind, CommentStatus, Delivery, DeliveryStatus, Post, PostKind, PostStatus
from .moderation_queue import count_items
from .newest_items import newest_ids

TROUBLED = (DeliveryStatus.FAILED, DeliveryStatus.RETRYING)


def is_page():
    """Pages are Post rows of kind "page" (the pages feature); on a schema without that column there
    are none. This is the one line to change if pages are ever told apart another way."""
    return Post.kind == "page" if hasattr(Post, "kind") else sa.false()


@dataclass(frozen=True)
class Glance:
    published: int  # posts, pages not counted
    pages: int  # published pages
    drafts: int
    scheduled: int
    pending: int  # comments and linkbacks awaiting moderation
    approved: int
    spam: int  # stored as spam (discarded spam is counted by the spam filter's summary)

    @property
    def has_pages(self) -> bool:
        return hasattr(Post, "kind")


def at_a_glance() -> Glance:
    """Every count in three small queries."""
    page = is_page()
    posts = dict(db.session.execute(
        db.select(Post.status, sa.func.count(Post.id)).filter(Post.kind == PostKind.POST).group_by(Post.status)
    ).all())
    pages = db.session.execute(
        db.select(sa.func.count(Post.id)).filter(page, Post.status == PostStatus.PUBLISHED)
    ).scalar_one()
    comments = count_items()
    return Glance(
        published=posts.get(PostStatus.PUBLISHED, 0), pages=pages,
        drafts=posts.get(PostStatus.DRAFT, 0), scheduled=posts.get(PostStatus.SCHEDULED, 0),
        pending=comments.count(CommentStatus.PENDING), approved=comments.count(CommentStatus.APPROVED),
        spam=comments.count(CommentStatus.SPAM),
    )


def latest_mentions(limit: int = 5) -> list[Comment]:
    """The newest pingbacks, trackbacks and webmentions received, approved or awaiting moderation
    (spam and the trash have their own tabs in the queue)."""
    linkbacks = [CommentKind.PINGBACK, CommentKind.TRACKBACK, CommentKind.WEBMENTION]
    ids = newest_ids([CommentStatus.PENDING, CommentStatus.APPROVED], linkbacks, 0, limit)
    return list(db.session.execute(
        db.select(Comment).filter(Comment.id.in_(ids)).options(joinedload(Comment.post))
        .order_by(Comment.created_at.desc(), Comment.id.desc())
    ).scalars())


def troubled_deliveries(limit: int = 10) -> tuple[list[Delivery], int]:
    """Linkbacks we sent that failed or are waiting to be tried again, newest attempt first, and how
    many there are in all."""
    rows = db.session.execute(
        db.select(Delivery)
        .filter(Delivery.status.in_(TROUBLED))
        .options(joinedload(Delivery.post))
        .order_by(sa.func.coalesce(Delivery.last_attempt_at, Delivery.updated_at).desc(), Delivery.id.desc())
        .limit(limit)
    ).scalars().all()
    total = db.session.execute(
        db.select(sa.func.count(Delivery.id)).filter(Delivery.status.in_(TROUBLED))
    ).scalar_one()
    return list(rows), total


def scheduled_posts(limit: int = 10) -> list[Post]:
    """Scheduled posts (and pages), soonest first."""
    return list(db.session.execute(
        db.select(Post).filter(Post.status == PostStatus.SCHEDULED)
        .order_by(Post.published_at, Post.id).limit(limit)
    ).scalars())


def recent_drafts(limit: int = 5) -> list[Post]:
    """The drafts edited last (pages included: the quick draft form makes posts)."""
    return list(db.session.execute(
        db.select(Post).filter(Post.status == PostStatus.DRAFT)
        .order_by(Post.updated_at.desc(), Post.id.desc()).limit(limit)
    ).scalars())
