"""What search engines and link previews read in a page's head: its canonical address, its
description, Open Graph and Twitter card tags."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime

from flask import request

from .feed_contents import entry_updated
from .models import Category, Post, Tag
from .permalinks import absolute_url_for, post_url
from .site_settings import get_settings


def description_for(post: Post) -> str:
    """The post's description for search results and link previews: its excerpt as stored (the text
    before <!--more-->, or its first 55 words), markup stripped."""
    return post.excerpt_text


def w3c_datetime(moment: datetime) -> str:
    """A moment as ISO 8601 with whole seconds and an offset (sitemaps, article:published_time)."""
    return moment.astimezone(UTC).replace(microsecond=0).isoformat()


@dataclass(frozen=True)
class PageMeta:
    canonical: str
    title: str
    description: str
    type: str = "website"  # Open Graph type
    published: str = ""
    modified: str = ""
    tags: list[str] = field(default_factory=list)


def canonical_url() -> str:
    """This page's address on the Site URL (whatever host the request named), without its query."""
    return absolute_url_for(request.endpoint, **(request.view_args or {}))


def page_meta(post: Post | None = None, tag: Tag | None = None, title: str = "",
              category: Category | None = None) -> PageMeta:
    """The head tags of a public page: a post's or page's, a tag or category page's, or another listing's."""
    settings = get_settings()
    if post is not None and post.id is not None and post.is_published:
        return PageMeta(
            canonical=post_url(post, external=True), title=post.title, description=description_for(post),
            type="article", published=w3c_datetime(post.published_at), modified=w3c_datetime(entry_updated(post)),
            tags=[t.name for t in post.tags],
        )
    description = settings["tagline"] or settings["blog_title"]
    if tag is not None:
        description = f"Posts tagged “{tag.name}” on {settings['blog_title']}."
    if category is not None:
        description = f"Posts in “{category.name}” on {settings['blog_title']}."
    return PageMeta(canonical=canonical_url(), title=title or settings["blog_title"], description=description)
