"""Is this post open to comments, or to pingbacks and trackbacks? One question each, so every
caller (templates, the comment form, the linkback endpoints, the editor) agrees. Each combines
the post's own switch with the blog's: "close after N days" (for comments and, separately, for
linkbacks) and the blog-wide accept switches."""

from __future__ import annotations

from datetime import datetime, timedelta

from .models import Post, utcnow
from .site_settings import get_setting


def _closes_at(post: Post, switch: str, days: str) -> datetime | None:
    if not get_setting(switch) or get_setting(days) <= 0 or post.published_at is None:
        return None
    return post.published_at + timedelta(days=get_setting(days))


def comments_close_at(post: Post) -> datetime | None:
    """When "Automatically close comments on posts older than N days" closes this post's comments."""
    return _closes_at(post, "close_comments_for_old_posts", "close_comments_days_old")


def pings_close_at(post: Post) -> datetime | None:
    """When "close pingbacks and trackbacks on posts older than M days" closes its linkbacks."""
    return _closes_at(post, "close_pings_for_old_posts", "close_pings_days_old")


def _open(post: Post, switch: bool, closes: datetime | None, now: datetime | None) -> bool:
    return post.is_published and switch and (closes is None or (now or utcnow()) < closes)


def accepts_comments(post: Post, now: datetime | None = None) -> bool:
    return _open(post, post.allow_comments, comments_close_at(post), now)


def accepts_pings(post: Post, now: datetime | None = None) -> bool:
    return _open(post, post.allow_pings, pings_close_at(post), now)


def accepts_pingbacks(post: Post, now: datetime | None = None) -> bool:
    return accepts_pings(post, now) and get_setting("accept_pingbacks")


def accepts_trackbacks(post: Post, now: datetime | None = None) -> bool:
    return accepts_pings(post, now) and get_setting("accept_trackbacks")


def apply_defaults_to_all_posts() -> int:
    """Set every post's "Allow comments" and "Allow pingbacks & trackbacks" to the defaults for new
    posts (the confirmed action on Settings -> Discussion); returns how many posts there are."""
    from .extensions import db

    result = db.session.execute(
        db.update(Post).values(
            allow_comments=get_setting("default_comment_status"), allow_pings=get_setting("default_ping_status")
        )
    )
    db.session.commit()
    return result.rowcount


def accepts_webmentions(post: Post, now: datetime | None = None) -> bool:
    return accepts_pings(post, now) and get_setting("accept_webmentions")
