"""Static pages ("About", "Contact"): rows of the posts table of kind "page", served at /<slug>/, kept
out of the home page, archives and feeds, and listed in the site's navigation in the owner's order."""

from __future__ import annotations

from dataclasses import dataclass

import sqlalchemy as sa
from flask import current_app, g

from .extensions import db
from .models import Post, PostKind, PostStatus

# Addresses a page at /<slug>/ must never take: the blog's own, WordPress's (old links and bots keep
# asking for them), and the ones other parts of the blog are given. Every first path segment of the
# URL map is refused as well (reserved_slugs), so a route added later is covered too.
RESERVED_SLUGS = frozenset({
    "admin", "feed", "category", "tag", "search", "comments", "comment", "xmlrpc", "xmlrpc.php", "webmention",
    "sitemap.xml", "robots.txt", "static", "media", "uploads", "login", "logout", "setup", "trackback",
    "wp-admin", "wp-login.php", "wp-content", "wp-includes", "wp-json", "page", "archives", "author",
    "embed", "attachment", "favicon.ico",
})


def reserved_slugs() -> frozenset[str]:
    """RESERVED_SLUGS and the first segment of every fixed address the app serves (/archives/, /health)."""
    if "reserved_page_slugs" not in current_app.extensions:
        segments = set()
        for rule in current_app.url_map.iter_rules():
            first = rule.rule.lstrip("/").split("/", 1)[0]
            if first and "<" not in first:
                segments.add(first.lower())
        current_app.extensions["reserved_page_slugs"] = RESERVED_SLUGS | segments
    return current_app.extensions["reserved_page_slugs"]


def is_reserved_slug(slug: str) -> bool:
    """Whether a page may not have this slug: a reserved address, or a number (years, page numbers,
    post ids: WordPress refuses numeric page slugs for the same reason)."""
    return slug.lower() in reserved_slugs() or slug.isdigit()


def published_pages():
    return db.select(Post).filter(Post.kind == PostKind.PAGE, Post.status == PostStatus.PUBLISHED)


def find_published_page(slug: str) -> Post | None:
    return db.session.execute(published_pages().filter(Post.slug == slug)).scalar_one_or_none()


@dataclass(frozen=True)
class NavigationLink:
    title: str
    slug: str


_NAVIGATION = (  # built once: every public page asks
    sa.select(Post.title, Post.slug)
    .where(Post.kind == PostKind.PAGE, Post.status == PostStatus.PUBLISHED)
    .order_by(Post.menu_order, Post.title, Post.id)
)


def navigation_pages() -> list[NavigationLink]:
    """The published pages for the site's navigation, in the owner's menu order (then by title),
    read once per request."""
    if "navigation_pages" not in g:
        try:
            rows = db.session.connection().execute(_NAVIGATION).all()
        except sa.exc.SQLAlchemyError:
            # An error page drawn after a failed transaction (or with the database gone) still shows,
            # without the pages.
            rows = []
        g.navigation_pages = [NavigationLink(title, slug) for title, slug in rows]
    return g.navigation_pages


def all_pages() -> list[Post]:
    """Every page but those in the trash or deleted, for the admin's Pages list: in menu order, then
    by title."""
    return list(
        db.session.execute(
            db.select(Post)
            .filter(Post.kind == PostKind.PAGE, Post.status.not_in([PostStatus.TRASH, PostStatus.DELETED]))
            .order_by(Post.menu_order, Post.title, Post.id)
        ).scalars()
    )
