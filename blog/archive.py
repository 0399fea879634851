"""Finding published posts for readers: pages of the newest, by tag or category, by month, by
permalink, and the comment and mention counts shown beside them. Drafts and scheduled posts never
come out, nor static pages (blog/pages.py)."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from datetime import UTC, datetime

import sqlalchemy as sa
from sqlalchemy.orm import defer, load_only, selectinload

from .extensions import db
from .models import Category, Comment, CommentKind, Post, PostKind, PostStatus, Tag
from .site_settings import blog_timezone


@dataclass(frozen=True)
class Counts:
    comments: int = 0
    mentions: int = 0  # pingbacks, trackbacks and webmentions

    @property
    def text(self) -> str:
        """"4 comments · 2 mentions": comments always, mentions when there are any."""
        words = f"{self.comments} comment{'s' if self.comments != 1 else ''}"
        if self.mentions:
            words += f" · {self.mentions} mention{'s' if self.mentions != 1 else ''}"
        return words


def published() -> sa.Select:
    return (
        db.select(Post)
        .filter(Post.status == PostStatus.PUBLISHED, Post.kind == PostKind.POST)
        .options(selectinload(Post.tags), selectinload(Post.categories))
        .order_by(Post.published_at.desc(), Post.id.desc())
    )


def newest_posts(page: int, per_page: int, tag: Tag | None = None, category: Category | None = None):
    """A Flask-SQLAlchemy Pagination of published posts (a tag's, a category's), newest first (404
    past the last page)."""
    query = published()
    if tag is not None:
        query = query.filter(Post.tags.contains(tag))
    if category is not None:
        query = query.filter(Post.categories.contains(category))
    return db.paginate(query, page=page, per_page=per_page, error_out=True)


def month_bounds(year: int, month: int) -> tuple[datetime, datetime]:
    """The start of that month and of the next, in the blog's time zone, as UTC."""
    zone = blog_timezone()
    start = datetime(year, month, 1, tzinfo=zone)
    end = datetime(year + (month == 12), month % 12 + 1, 1, tzinfo=zone)
    return start.astimezone(UTC), end.astimezone(UTC)


def posts_in_month(year: int, month: int) -> list[Post]:
    """Published posts of that month in the blog's time zone; none for a month out of range."""
    try:
        start, end = month_bounds(year, month)
    except (ValueError, OverflowError):  # month 13, year 0, year 9999's December, ...
        return []
    return list(
        db.session.execute(
            published().filter(Post.published_at >= start, Post.published_at < end)
        ).scalars()
    )


def archive_months() -> list[tuple[int, int, int]]:
    """(year, month, number of posts) for every month with a published post, newest first."""
    zone = blog_timezone()
    dates = db.session.execute(
        db.select(Post.published_at).filter(Post.status == PostStatus.PUBLISHED, Post.kind == PostKind.POST)
    ).scalars()
    counts = Counter((d.astimezone(zone).year, d.astimezone(zone).month) for d in dates)
    return [(y, m, n) for (y, m), n in sorted(counts.items(), reverse=True)]


def find_published_post(slug: str) -> Post | None:
    return db.session.execute(published().filter(Post.slug == slug)).scalar_one_or_none()


@dataclass(frozen=True)
class Neighbours:
    older: Post | None  # the previous post by date: rel="prev"
    newer: Post | None  # the next one: rel="next"


def adjacent_posts(post: Post) -> Neighbours:
    """The published posts just before and just after this one by publish date (id breaks ties)."""
    before = sa.or_(Post.published_at < post.published_at,
                    sa.and_(Post.published_at == post.published_at, Post.id < post.id))
    after = sa.or_(Post.published_at > post.published_at,
                   sa.and_(Post.published_at == post.published_at, Post.id > post.id))
    query = db.select(Post).filter(Post.status == PostStatus.PUBLISHED, Post.kind == PostKind.POST)
    older = db.session.execute(
        query.filter(before).order_by(Post.published_at.desc(), Post.id.desc()).limit(1)).scalar_one_or_none()
    newer = db.session.execute(
        query.filter(after).order_by(Post.published_at, Post.id).limit(1)).scalar_one_or_none()
    return Neighbours(older, newer)


def find_tag(slug: str) -> Tag | None:
    return db.session.execute(db.select(Tag).filter_by(slug=slug)).scalar_one_or_none()


def approved_counts(post_ids: list[int]) -> dict[int, Counts]:
    """Approved comments and approved mentions per post, in one query."""
    if not post_ids:
        return {}
    is_comment = Comment.kind == CommentKind.COMMENT
    rows = db.session.execute(
        db.select(
            Comment.post_id,
            sa.func.sum(sa.case((is_comment, 1), else_=0)),
            sa.func.sum(sa.case((is_comment, 0), else_=1)),
        )
        .filter(Comment.post_id.in_(post_ids), Comment.shown_to_readers())
        .group_by(Comment.post_id)
    )
    counts = {post_id: Counts() for post_id in post_ids}
    for post_id, comments, mentions in rows:
        counts[post_id] = Counts(int(comments or 0), int(mentions or 0))
    return counts


# What a post's page shows of each item: not the text typed (its stored HTML instead), the addresses, notes.
SHOWN_ITEM_COLUMNS = (
    Comment.id, Comment.post_id, Comment.parent_id, Comment.kind, Comment.status, Comment.author_name,
    Comment.author_url, Comment.author_photo, Comment.content_html, Comment.created_at, Comment.mention_type,
    Comment.verification,
)


def approved_items(post: Post) -> list[Comment]:
    """Everything approved under a post (comments and mentions), oldest first, with the columns pages show."""
    return list(
        db.session.execute(
            db.select(Comment)
            # The text typed is read only for an item stored without its HTML (one written by plain
            # statements, such as an import of old comments): deferred, never a failure.
            .options(load_only(*SHOWN_ITEM_COLUMNS, raiseload=True), defer(Comment.content))
            .filter(Comment.post_id == post.id, Comment.shown_to_readers())
            .order_by(Comment.created_at, Comment.id)
        ).scalars()
    )
