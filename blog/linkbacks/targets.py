"""Which of our own posts or pages a URL points at: for links between our own posts (recorded without
the network) and for the targets of incoming linkbacks. Tolerates http/https, a missing or extra
trailing slash, a fragment, old dates in the permalink (our own redirect), and old addresses of a
post whose slug or date changed, or that went to the trash (blog/addresses.py)."""

from __future__ import annotations

from urllib.parse import urlsplit

from flask import current_app
from werkzeug.exceptions import HTTPException
from werkzeug.routing import RequestRedirect

from ..addresses import resolve_page_address, resolve_permalink
from ..extensions import db
from ..models import Post, PostKind
from ..site_settings import get_setting


def own_hosts(*urls: str) -> set[str]:
    """The host[:port] names this blog answers at: the site URL setting plus the given URLs'."""
    hosts = set()
    for url in (get_setting("site_url"), *urls):
        if url:
            hosts.add(urlsplit(url).netloc.lower())
    return hosts


def is_own_url(url: str, hosts: set[str]) -> bool:
    return urlsplit(url).netloc.lower() in hosts


# The endpoints that show one post or page, and the kind of row each shows.
ENTRY_ENDPOINTS = {"public.post": PostKind.POST, "public.page": PostKind.PAGE}


def find_own_post(url: str) -> Post | None:
    """The post or page the permalink URL leads to (a post published there or moved, or gone: in the
    trash or deleted), else the post or page of any other state with that slug (a draft), or None."""
    path = urlsplit(url).path or "/"
    adapter = current_app.url_map.bind("localhost")
    for candidate in dict.fromkeys((path, path.rstrip("/") + "/")):
        try:
            endpoint, values = adapter.match(candidate, method="GET")
        except RequestRedirect as redirect:
            endpoint, values = _match_redirect(adapter, redirect.new_url)
        except HTTPException:
            continue
        found = (resolve_permalink(**values) if endpoint == "public.post"
                 else resolve_page_address(values["slug"]) if endpoint == "public.page" else None)
        if found is not None:
            return found.post
        if endpoint in ENTRY_ENDPOINTS:
            return db.session.execute(
                db.select(Post).filter_by(slug=values["slug"], kind=ENTRY_ENDPOINTS[endpoint])
            ).scalar_one_or_none()
    return None


def _match_redirect(adapter, new_url: str):
    try:
        return adapter.match(urlsplit(new_url).path, method="GET")
    except HTTPException:
        return None, {}
