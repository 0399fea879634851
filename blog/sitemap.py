"""The sitemap (sitemaps.org protocol 0.9): the home page, each category and tag page, and each
published post and page, with when each last changed; split into numbered files listed by an index
past SITEMAP_MAX_URLS."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime

import sqlalchemy as sa
from flask import current_app

from .extensions import db
from .models import Category, Post, PostKind, PostStatus, Tag, post_categories, post_tags
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


# The archive pages listed, each as (model, association table, its column, endpoint): the pages of
# categories and of tags that published posts use.
TERMS = (
    (Category, post_categories, post_categories.c.category_id, "public.category"),
    (Tag, post_tags, post_tags.c.tag_id, "public.tag"),
)


def _count_terms(table, column) -> int:
    return db.session.execute(
        db.select(sa.func.count(sa.distinct(column))).join(Post, Post.id == table.c.post_id).filter(_published())
    ).scalar_one()


def _counts() -> tuple[list[int], int]:
    """How many category and tag pages (in TERMS' order), and how many posts and pages."""
    posts = db.session.execute(db.select(sa.func.count(Post.id)).filter(_published())).scalar_one()
    return [_count_terms(table, column) for _, table, column, _ in TERMS], posts


def page_count() -> int:
    """How many sitemap files the URLs take (the home page, categories, tags, posts and pages)."""
    terms, posts = _counts()
    return -(-(1 + sum(terms) + posts) // max_urls())


def sitemap_page(page: int) -> Iterator[SitemapUrl]:
    """The URLs of sitemap file `page` (from 1): one sequence of home, categories and tags (by slug),
    posts and pages (oldest first, so a file's contents move only when posts are deleted), cut in
    files of max_urls()."""
    size = max_urls()
    start, stop = (page - 1) * size, page * size
    term_counts, _ = _counts()
    if start == 0:
        newest = db.session.execute(
            db.select(sa.func.max(_changed())).filter(_published(), Post.kind == PostKind.POST)
        ).scalar()
        yield SitemapUrl(absolute_url_for("public.index"), _lastmod(newest))
    before = 1  # URLs in the sequence before the current section
    for (model, table, column, endpoint), count in zip(TERMS, term_counts, strict=True):
        offset, limit = max(start - before, 0), stop - max(start, before)
        if offset < count and limit > 0:
            rows = db.session.execute(
                db.select(model.slug, sa.func.max(_changed()))
                .join(table, column == model.id).join(Post, Post.id == table.c.post_id)
                .filter(_published()).group_by(model.id, model.slug).order_by(model.slug).offset(offset).limit(limit)
            )
            for slug, changed in rows:
                yield SitemapUrl(absolute_url_for(endpoint, slug=slug), _lastmod(changed))
        before += count
    offset, limit = max(start - before, 0), stop - max(start, before)
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
