"""What each feed holds: the newest posts (all, or a tag's or a category's), the newest comments and mentions shown
to readers (blog-wide, or one post's), and when each of those last changed (its Last-Modified)."""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import selectinload

from . import archive
from .extensions import db
from .feed_ids import blog_started_at
from .models import Category, Comment, ModerationEvent, Post, PostStatus, Tag
from .site_settings import get_setting
from .threads import REACTIONS


def feed_size() -> int:
    """How many items a feed holds (Settings -> Reading, "Syndication feeds show the most recent")."""
    return get_setting("posts_per_rss")


def entry_updated(post: Post) -> datetime:
    """When the entry last changed for a reader: its title, text or tags, or its going live if later
    (a scheduled post). A new comment or a switch in the editor is not a change of the entry."""
    return max(post.content_updated_at or post.updated_at, post.published_at)


def newest_posts(tag: Tag | None = None, category: Category | None = None) -> list[Post]:
    return list(archive.newest_posts(1, feed_size(), tag=tag, category=category).items)


def newest_discussion(post: Post | None = None) -> list[Comment]:
    """The newest comments, pingbacks, trackbacks and webmention replies or mentions readers see
    (not likes, reposts or bookmarks, which carry no text), on published posts, newest first."""
    query = (
        db.select(Comment)
        .join(Post, Comment.post_id == Post.id)
        .filter(
            Post.status == PostStatus.PUBLISHED,
            Comment.shown_to_readers(),
            sa.or_(Comment.mention_type.is_(None), Comment.mention_type.not_in(REACTIONS)),
        )
        .options(selectinload(Comment.post))
        .order_by(Comment.created_at.desc(), Comment.id.desc())
        .limit(feed_size())
    )
    if post is not None:
        query = query.filter(Comment.post_id == post.id)
    return list(db.session.execute(query).scalars())


def discussion_changed_at(post_ids: list[int]) -> datetime | None:
    """The last time anything under these posts arrived or was moderated (what changes their
    counts, and the comment feeds)."""
    if not post_ids:
        return None
    arrived = db.select(sa.func.max(Comment.created_at)).filter(Comment.post_id.in_(post_ids))
    moderated = (
        db.select(sa.func.max(ModerationEvent.created_at))
        .join(Comment, ModerationEvent.comment_id == Comment.id)
        .filter(Comment.post_id.in_(post_ids))
    )
    times = [db.session.execute(q).scalar() for q in (arrived, moderated)]
    return max((t for t in times if t is not None), default=None)


def posts_last_modified(posts: list[Post]) -> datetime | None:
    """Last-Modified of a feed of these posts: the newest entry change or discussion change."""
    times = [entry_updated(p) for p in posts]
    times.append(discussion_changed_at([p.id for p in posts]))
    return max((t for t in times if t is not None), default=None) or blog_started_at()


def discussion_last_modified(items: list[Comment], post: Post | None = None) -> datetime | None:
    """Last-Modified of a comment feed: the newest arrival or moderation under the posts it covers."""
    post_ids = [post.id] if post is not None else sorted({i.post_id for i in items})
    return discussion_changed_at(post_ids) or blog_started_at()
