"""Ids of feed entries and feeds: tag: URIs (RFC 4151) minted once and kept, so a new slug, a new
time zone or a new domain never makes a reader see an old entry as new."""

from __future__ import annotations

import json
from datetime import datetime
from urllib.parse import urlsplit

from flask import g, has_request_context, request

from .extensions import db
from .models import Comment, Post, Setting, User
from .permalinks import post_url
from .site_settings import get_setting

# Set by the migration that introduced stored ids (its posts' ids are their old permalinks).
AUTHORITY_KEY = "feed_tag_authority"


def tag_authority() -> str:
    """The host name tag: URIs are minted under, the same for good once one is minted (so a move to
    another domain changes no id): the one the migration recorded, else the first minted post's,
    else the Site URL's, else the request's. Nothing is written: parallel first posts agree."""
    if "feed_tag_authority" not in g:
        g.feed_tag_authority = _find_tag_authority()
    return g.feed_tag_authority


def _find_tag_authority() -> str:
    recorded = db.session.get(Setting, AUTHORITY_KEY)
    if recorded is not None and recorded.value:
        return json.loads(recorded.value)
    first = db.session.execute(
        db.select(Post.feed_id).filter(Post.feed_id.like("tag:%")).order_by(Post.id).limit(1)
    ).scalar()
    if first:
        return first.removeprefix("tag:").split(",", 1)[0]
    site = get_setting("site_url") or (request.host_url if has_request_context() else "")
    return (urlsplit(site).hostname or "localhost").lower()


def tag_uri(moment: datetime, specific: str) -> str:
    """tag:<authority>,<yyyy-mm-dd>:<specific>, dated in UTC."""
    return f"tag:{tag_authority()},{moment.date().isoformat()}:{specific}"


def mint_post_feed_id(post: Post) -> None:
    """Give a post (flushed, so it has its id) its entry id, once: the tag: URI of its creation."""
    if post.feed_id:
        return
    post.feed_id = tag_uri(post.created_at, f"post-{post.id}")


def post_entry_id(post: Post) -> str:
    """The post's entry id. A post from before stored ids whose blog had no site URL to build the
    old id on keeps the old behaviour: its permalink, as the feeds gave it then."""
    return post.feed_id or post_url(post, external=True)


def comment_entry_id(comment: Comment) -> str:
    return tag_uri(comment.created_at, f"comment-{comment.id}")


def blog_started_at() -> datetime | None:
    """When the first account was made (setup): a fixed date for what has no other."""
    return db.session.execute(db.select(db.func.min(User.created_at))).scalar()


def comments_feed_id() -> str:
    started = blog_started_at()
    return tag_uri(started, "comments") if started else f"tag:{tag_authority()},2000-01-01:comments"


def post_comments_feed_id(post: Post) -> str:
    return tag_uri(post.created_at, f"post-{post.id}-comments")
