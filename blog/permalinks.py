"""Public addresses: a post's WordPress-style permalink /YYYY/MM/DD/slug/ (the date in the blog's
time zone), a page's /slug/, the feed and TrackBack addresses under each, and absolute URLs built
on the configured site URL."""

from __future__ import annotations

from datetime import datetime
from urllib.parse import urlsplit

from flask import current_app, has_request_context

from .models import Post, utcnow
from .site_settings import blog_timezone, get_setting
from .url_cache import url_for


def local_time(moment: datetime) -> datetime:
    """A UTC datetime in the blog's time zone."""
    return moment.astimezone(blog_timezone())


def permalink_values(post: Post) -> dict:
    """The parts of the post's permalink: its publish date (or now, for a post not yet dated) in the
    blog's time zone, and its slug."""
    day = local_time(post.published_at or utcnow())
    return {"year": day.year, "month": day.month, "day": day.day, "slug": post.slug}


def address_endpoint(post: Post) -> str:
    """The view that serves the post's addresses: a page's or a post's."""
    return "public.page" if post.is_page else "public.post"


def address_values(post: Post) -> dict:
    """The URL values of the post's addresses: a page's slug, or a post's date and slug."""
    return {"slug": post.slug} if post.is_page else permalink_values(post)


def _url(endpoint: str, external: bool, **values) -> str:
    return absolute_url_for(endpoint, **values) if external else url_for(endpoint, **values)


def post_url(post: Post, external: bool = False) -> str:
    """The post's permalink, /YYYY/MM/DD/slug/, or a page's /slug/."""
    return _url(address_endpoint(post), external, **address_values(post))


def comments_feed_url(post: Post, fmt: str = "atom", external: bool = False) -> str:
    """The feed of the comments under a post or page: its permalink plus feed/ (rss2/ for RSS)."""
    endpoint = "feeds.page_comments" if post.is_page else "feeds.post_comments"
    return _url(endpoint, external, fmt=fmt, **address_values(post))


def absolute_url_for(endpoint: str, **values) -> str:
    """An absolute URL on the site URL from Settings -> General (recorded at setup), else on the
    request's host. Outside a request (the background worker) it is built on the site URL alone;
    with none recorded there is no host to use, and RuntimeError says so."""
    site = get_setting("site_url").rstrip("/")
    if site and has_request_context():
        return site + url_for(endpoint, **values)
    if site:
        parts = urlsplit(site)
        adapter = current_app.url_map.bind(parts.netloc, script_name=parts.path or "/", url_scheme=parts.scheme)
        return adapter.build(endpoint, values, force_external=True)
    return url_for(endpoint, _external=True, **values)


def local_path_or_none(target: str | None) -> str | None:
    """The target if it is a path on this site, else None: redirects never lead off-site, and
    never carry spaces or control characters (a CR/LF would break the Location header)."""
    if not target or not target.startswith("/") or target.startswith("//") or "\\" in target:
        return None
    if any(ch.isspace() or not ch.isprintable() for ch in target):
        return None
    parts = urlsplit(target)
    if parts.scheme or parts.netloc:
        return None
    return target


def trackback_url(post: Post) -> str:
    """The post's TrackBack ping URL: its permalink plus trackback/ (as WordPress's, WP-3)."""
    endpoint = "linkbacks.page_trackback" if post.is_page else "linkbacks.trackback"
    return absolute_url_for(endpoint, **address_values(post))
