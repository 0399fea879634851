"""Finding where a linked page takes linkbacks: its pingback server (the X-Pingback header first,
then <link rel="pingback">, PB-7) and its TrackBack ping URL (embedded RDF, TB-8), from one GET."""

from __future__ import annotations

import re
from dataclasses import dataclass
from urllib.parse import urljoin

from bs4 import BeautifulSoup, Comment
from defusedxml import ElementTree
from defusedxml.common import DefusedXmlException

from .http import FetchPolicy, FetchResult, fetch

RDF_NS = "http://www.w3.org/1999/02/22-rdf-syntax-ns#"
DC_NS = "http://purl.org/dc/elements/1.1/"
TRACKBACK_NS = "http://madskills.com/public/xml/rss/module/trackback/"
HTML_TYPES = {"text/html", "application/xhtml+xml", ""}
RDF_BLOCK = re.compile(r"<rdf:RDF\b.*?</rdf:RDF>", re.S)


@dataclass(frozen=True)
class Endpoints:
    """What a page offers. `url` is the page's final URL after redirects."""

    url: str
    pingback: str | None = None
    trackback: str | None = None


def discover(url: str, policy: FetchPolicy) -> Endpoints:
    """Fetch the page once and read its linkback endpoints (FetchError when it cannot be fetched)."""
    return endpoints_from(fetch(url, policy=policy), url)


def endpoints_from(page: FetchResult, requested_url: str) -> Endpoints:
    if not page.ok:
        return Endpoints(url=page.url)
    pingback = _absolute(page.headers.get("X-Pingback", ""), page.url)
    soup = None
    if page.content_type in HTML_TYPES:
        soup = BeautifulSoup(page.body, "html.parser")
        if pingback is None:
            pingback = _pingback_link(soup, page.url)
    trackback = _trackback_ping(soup, page, requested_url) if soup is not None else None
    return Endpoints(url=page.url, pingback=pingback, trackback=trackback)


def _absolute(href: str, base: str) -> str | None:
    href = href.strip()
    if not href:
        return None
    absolute = urljoin(base, href)
    return absolute if absolute.startswith(("http://", "https://")) else None


def _pingback_link(soup: BeautifulSoup, base: str) -> str | None:
    for link in soup.find_all("link", href=True):
        rels = link.get("rel") or []
        if "pingback" in [r.lower() for r in rels]:
            found = _absolute(link["href"], base)
            if found:
                return found
    return None


def _trackback_ping(soup: BeautifulSoup, page: FetchResult, requested_url: str) -> str | None:
    """The trackback:ping of the RDF block describing this page (TB-8): the one whose
    dc:identifier is the page's URL, or the only one on the page."""
    blocks = []
    texts = [str(c) for c in soup.find_all(string=lambda s: isinstance(s, Comment) and "rdf:RDF" in s)]
    if not texts and b"rdf:RDF" in page.body:
        texts = [page.text]
    for text in texts:
        for raw in RDF_BLOCK.findall(text):
            try:
                root = ElementTree.fromstring(raw)
            except (ElementTree.ParseError, DefusedXmlException):
                continue
            for description in root.iter(f"{{{RDF_NS}}}Description"):
                ping = description.get(f"{{{TRACKBACK_NS}}}ping")
                if ping:
                    identifier = description.get(f"{{{DC_NS}}}identifier") or description.get(f"{{{RDF_NS}}}about")
                    blocks.append((identifier, ping))
    for identifier, ping in blocks:
        if identifier in (requested_url, page.url):
            return _absolute(ping, page.url)
    if len(blocks) == 1:
        return _absolute(blocks[0][1], page.url)
    return None
