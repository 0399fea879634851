"""Finding where a linked page takes linkbacks, all from one GET: its Webmention endpoint (the Link
header first, then the first <link> or <a> with rel=webmention, WM-1..5), its pingback server (the
X-Pingback header first, then <link rel="pingback">, PB-7) and its TrackBack ping URL (RDF, TB-8)."""

from __future__ import annotations

import re
from dataclasses import dataclass
from urllib.parse import urldefrag, urljoin

from bs4 import BeautifulSoup, Comment
from defusedxml import ElementTree
from defusedxml.common import DefusedXmlException
from requests.structures import CaseInsensitiveDict
from requests.utils import parse_header_links

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
    webmention: str | None = None


def discover(url: str, policy: FetchPolicy) -> Endpoints:
    """Fetch the page once and read its linkback endpoints (FetchError when it cannot be fetched)."""
    return endpoints_from(fetch(url, policy=policy), url)


def endpoints_from(page: FetchResult, requested_url: str) -> Endpoints:
    if not page.ok:
        return Endpoints(url=page.url)
    pingback = _absolute(page.headers.get("X-Pingback", ""), page.url)
    webmention = _webmention_header(page.headers, page.url)
    soup = None
    if page.content_type in HTML_TYPES:
        soup = BeautifulSoup(page.body, "html.parser")
        if pingback is None:
            pingback = _pingback_link(soup, page.url)
        if webmention is None:
            webmention = _webmention_element(soup, page.url)
    trackback = _trackback_ping(soup, page, requested_url) if soup is not None else None
    return Endpoints(url=page.url, pingback=pingback, trackback=trackback, webmention=webmention)


def _absolute(href: str, base: str) -> str | None:
    href = href.strip()
    if not href:
        return None
    absolute = urljoin(base, href)
    return absolute if absolute.startswith(("http://", "https://")) else None


def _webmention_url(href: str, base: str) -> str | None:
    """Resolve an advertised endpoint against the page's final URL (WM-3): an empty value is the
    page itself; the query string stays as it is (WM-5); a fragment means nothing to a POST."""
    try:
        absolute = urldefrag(urljoin(base, href.strip())).url
    except ValueError:  # e.g. a broken IPv6 host: as good as no endpoint
        return None
    return absolute if absolute.startswith(("http://", "https://")) else None


def _has_webmention_rel(rel: str | list[str] | None) -> bool:
    """rel is a case-insensitive token list: "webmention somethingelse" counts, "not-webmention" does not (WM-2)."""
    tokens = rel.split() if isinstance(rel, str) else rel or []
    return "webmention" in (token.lower() for token in tokens)


def _webmention_header(headers: CaseInsensitiveDict, base: str) -> str | None:
    """The first link with rel=webmention in the Link header(s). Several Link headers arrive joined
    by commas, whatever their casing, and one header may hold several links (WM-2)."""
    for link in parse_header_links(headers.get("Link", "")):
        params = {key.strip().lower(): value for key, value in link.items() if key != "url"}
        if _has_webmention_rel(params.get("rel")):
            found = _webmention_url(link["url"], base)
            if found:
                return found
    return None


def _webmention_element(soup: BeautifulSoup, base: str) -> str | None:
    """The first <link> or <a> with rel=webmention in document order; one without href is skipped
    (WM-3). Parsed as HTML, so comments and escaped text never match (WM-4)."""
    for element in soup.find_all(["link", "a"]):
        if element.has_attr("href") and _has_webmention_rel(element.get("rel")):
            found = _webmention_url(element["href"], base)
            if found:
                return found
    return None


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
