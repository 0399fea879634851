"""The sitemap (sitemaps.org protocol 0.9): the home page, each tag page and each published post,
with when each last changed; split into numbered files listed by an index past SITEMAP_MAX_URLS."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime

import sqlalchemy as sa
from flask import current_app

from .extensions import db
from .models import Post, PostStatus, Tag, post_tags
from .permalinks import absolute_url_for, post_url
from .seo import w3c_datetime


@dataclass(frozen=True)
class SitemapUrl:
    loc: str
    lastmod: str = ""


def _changed():
    """When a published post last changed for readers (as its feed entry's <updated>)."""
    return sa.case(
        (Post.content_updated_at > Post.published_at, Post.content_updated_at), else_=Post.published_at
    )


def _published():
    return Post.status == PostStatus.PUBLISHED


def max_urls() -> int:
    return max(1, int(current_app.config["SITEMAP_MAX_URLS"]))


def _counts() -> tuple[int, int]:
    posts = db.session.execute(db.select(sa.func.count(Post.id)).filter(_published())).scalar_one()
    tags = db.session.execute(
        db.select(sa.func.count(sa.distinct(post_tags.c.tag_id))).join(Post, Post.id == post_tags.c.post_id)
        .filter(_published())
    ).scalar_one()
    return tags, posts


def page_count() -> int:
    """How many sitemap files the URLs take (the home page, tags, posts)."""
    tags, posts = _counts()
    return -(-(1 + tags + posts) // max_urls())


def sitemap_page(page: int) -> Iterator[SitemapUrl]:
    """The URLs of sitemap file `page` (from 1): one sequence of home, tags (by slug), posts (oldest
    first, so a file's contents move only when posts are deleted), cut in files of max_urls()."""
    size = max_urls()
    start, stop = (page - 1) * size, page * size
    tags, _ = _counts()
    if start == 0:
        newest = db.session.execute(db.select(sa.func.max(_changed())).filter(_published())).scalar()
        yield SitemapUrl(absolute_url_for("public.index"), _lastmod(newest))
    offset, limit = max(start - 1, 0), stop - max(start, 1)
    if offset < tags and limit > 0:
        rows = db.session.execute(
            db.select(Tag.slug, sa.func.max(_changed()))
            .join(post_tags, post_tags.c.tag_id == Tag.id).join(Post, Post.id == post_tags.c.post_id)
            .filter(_published()).group_by(Tag.id, Tag.slug).order_by(Tag.slug).offset(offset).limit(limit)
        )
        for slug, changed in rows:
            yield SitemapUrl(absolute_url_for("public.tag", slug=slug), _lastmod(changed))
    offset, limit = max(start - 1 - tags, 0), stop - max(start, 1 + tags)
    if limit > 0:
        posts = db.session.execute(
            db.select(Post).filter(_published()).order_by(Post.published_at, Post.id).offset(offset).limit(limit)
            .execution_options(yield_per=1000)
        ).scalars()
        for post in posts:
            yield SitemapUrl(post_url(post, external=True), _lastmod(max(post.content_updated_at, post.published_at)))


def _lastmod(moment: datetime | None) -> str:
    if moment is not None and moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return w3c_datetime(moment) if moment is not None else ""
