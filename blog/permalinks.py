"""Public addresses: a post's WordPress-style permalink /YYYY/MM/DD/slug/ (the date in the blog's
time zone) and absolute URLs built on the configured site URL."""

from __future__ import annotations

from datetime import datetime
from urllib.parse import urlsplit

from flask import current_app, has_request_context, url_for

from .models import Post, utcnow
from .site_settings import blog_timezone, get_setting


def local_time(moment: datetime) -> datetime:
    """A UTC datetime in the blog's time zone."""
    return moment.astimezone(blog_timezone())


def permalink_values(post: Post) -> dict:
    """The parts of the post's permalink: its publish date (or now, for a post not yet dated) in the
    blog's time zone, and its slug."""
    day = local_time(post.published_at or utcnow())
    return {"year": day.year, "month": day.month, "day": day.day, "slug": post.slug}


def post_url(post: Post, external: bool = False) -> str:
    """The post's permalink, /YYYY/MM/DD/slug/."""
    values = permalink_values(post)
    if external:
        return absolute_url_for("public.post", **values)
    return url_for("public.post", **values)


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
    return absolute_url_for("linkbacks.trackback", **permalink_values(post))
