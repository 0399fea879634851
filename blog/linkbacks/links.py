"""The links a post makes: absolute http(s) <a href> targets from its HTML, de-duplicated, plus
the URLs typed in its "Send trackbacks to" box."""

from __future__ import annotations

import re
from urllib.parse import urlsplit, urlunsplit

from bs4 import BeautifulSoup


def normalize_url(url: str) -> str:
    """A comparison key for a URL: scheme and host lower-cased, default port and fragment
    dropped, an empty path made "/"."""
    parts = urlsplit(url.strip())
    scheme = parts.scheme.lower()
    host = (parts.hostname or "").lower()
    if ":" in host:
        host = f"[{host}]"
    port = parts.port
    if port and not ((scheme == "http" and port == 80) or (scheme == "https" and port == 443)):
        host = f"{host}:{port}"
    return urlunsplit((scheme, host, parts.path or "/", parts.query, ""))


def http_url_key(url: str) -> str | None:
    """normalize_url of an http(s) URL with a host; None for anything else, malformed included."""
    try:
        parts = urlsplit(url.strip())
        if parts.scheme.lower() not in ("http", "https") or not parts.hostname:
            return None
        return normalize_url(url)
    except ValueError:
        return None


def is_home_page(url: str) -> bool:
    """Bare domains and home pages are never pinged (as WordPress does, WP-13): they are not posts."""
    parts = urlsplit(url)
    return parts.path in ("", "/") and not parts.query


def outgoing_links(html: str) -> list[str]:
    """Absolute http(s) link targets in document order, each once (by normalize_url), as written."""
    seen, links = set(), []
    for anchor in BeautifulSoup(html, "html.parser").find_all("a", href=True):
        href = anchor["href"].strip()
        try:
            parts = urlsplit(href)
            parts.port  # noqa: B018 - a malformed port raises ValueError
        except ValueError:
            continue
        if parts.scheme.lower() not in ("http", "https") or not parts.hostname:
            continue
        key = normalize_url(href)
        if key not in seen:
            seen.add(key)
            links.append(href)
    return links


def parse_trackback_urls(text: str) -> list[str]:
    """URLs from the "Send trackbacks to" box: separated by spaces or new lines (commas tolerated),
    keeping only http(s) ones, each once."""
    seen, urls = set(), []
    for item in re.split(r"[\s,]+", text or ""):
        if re.match(r"^https?://[^\s/]", item, re.I) and normalize_url(item) not in seen:
            seen.add(normalize_url(item))
            urls.append(item)
    return urls


def invalid_trackback_entries(text: str) -> list[str]:
    """Entries in the box that are not http(s) URLs, to tell the author."""
    return [item for item in re.split(r"[\s,]+", text or "") if item and not re.match(r"^https?://[^\s/]", item, re.I)]
