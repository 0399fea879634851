"""Is this post open to comments, or to pingbacks and trackbacks? One question each, so every
caller (templates, the comment form, the linkback endpoints) agrees."""

from __future__ import annotations

from .models import Post
from .site_settings import get_setting


def accepts_comments(post: Post) -> bool:
    return post.is_published and post.allow_comments


def accepts_pings(post: Post) -> bool:
    return post.is_published and post.allow_pings


def accepts_pingbacks(post: Post) -> bool:
    return accepts_pings(post) and get_setting("accept_pingbacks")


def accepts_trackbacks(post: Post) -> bool:
    return accepts_pings(post) and get_setting("accept_trackbacks")
