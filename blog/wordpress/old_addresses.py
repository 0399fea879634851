"""WordPress's old addresses, answered with a 301 to the post's permalink here: /?p=123 and
/?page_id=123 (WordPress's ids, kept at import), /archives/123, /YYYY/MM/slug/, /index.php/...,
/?m=YYYYMM, and last of all, for an address nothing else answers, /slug/ and other paths ending
in a post's slug."""

from __future__ import annotations

import re
from urllib.parse import unquote

from ..archive import find_published_post, published
from ..extensions import db
from ..models import Post
from ..permalinks import post_url
from ..posts import make_slug

SLUG_PATHS = [
    re.compile(r"^/([^/]+)/?$"),  # /%postname%/
    re.compile(r"^/\d{4}/\d{2}/\d{2}/([^/]+)/?$"),  # /%year%/%monthnum%/%day%/%postname%/ with a changed slug
    re.compile(r"^/\d{4}/\d{2}/([^/]+)/?$"),  # /%year%/%monthnum%/%postname%/
    re.compile(r"^/\d{4}/([^/]+)/?$"),  # /%year%/%postname%/
    re.compile(r"^/(?:category|blog|archives)/(?:[^/]+/)*([^/]+)/?$"),  # /%category%/%postname%/, /blog/...
]


def find_post_by_wordpress_id(wp_id: int) -> Post | None:
    """The published post WordPress called `wp_id`; else our own post of that id (so /?p=N works
    for posts written here too)."""
    found = db.session.execute(
        published().filter(Post.wp_post_id == wp_id).order_by(Post.id).limit(1)
    ).scalar_one_or_none()
    if found is None:
        found = db.session.execute(
            published().filter(Post.id == wp_id, Post.wp_post_id.is_(None))
        ).scalar_one_or_none()
    return found


def find_post_by_old_slug(slug: str) -> Post | None:
    """A published post whose slug is this one, or this one as the import made it (WordPress keeps
    non-ASCII slugs percent-encoded; we transliterate them)."""
    slug = unquote(slug).strip()
    if not slug:
        return None
    return find_published_post(slug) or find_published_post(make_slug(slug))


def query_redirect(args) -> str | None:
    """Where /?p=123, /?page_id=123 or /?m=YYYYMM lead now (None: not one of those)."""
    for name in ("p", "page_id"):
        if name in args:
            wp_id = _number(args.get(name))
            post = find_post_by_wordpress_id(wp_id) if wp_id else None
            return post_url(post) if post is not None else ""
    if "m" in args:
        m = re.fullmatch(r"(\d{4})(\d{2})\d*", args.get("m", ""))
        return f"/{m.group(1)}/{m.group(2)}/" if m else ""
    return None


def id_redirect(wp_id: int) -> str | None:
    post = find_post_by_wordpress_id(wp_id)
    return post_url(post) if post is not None else None


def slug_redirect(path: str) -> str | None:
    """For an address nothing answered (a 404): the permalink of the post whose slug ends it, when
    the address has one of WordPress's shapes; never the address asked for (no loop)."""
    for pattern in SLUG_PATHS:
        match = pattern.match(path)
        if match:
            post = find_post_by_old_slug(match.group(1))
            if post is not None and post_url(post) != path:
                return post_url(post)
            return None
    return None


def _number(text: str | None) -> int:
    return int(text) if text and text.isdigit() and len(text) < 10 else 0
