"""What a linkback's sender and source page say about it, for the spam checks: is the address
that sent the ping one of the source host's addresses (Antispam Bee's check), how many other
sites the page links to (a link farm), and is there any text around its link to us. Network
only (DNS), no database: the worker runs it with no transaction open, never a request."""

from __future__ import annotations

import ipaddress
import socket
from urllib.parse import urlsplit

from bs4 import BeautifulSoup, Tag

from .verification import link_context

HTML_TYPES = ("text/html", "application/xhtml+xml")


def normalize_address(text: str) -> str | None:
    """The address in its canonical form (an IPv4-mapped IPv6 address as IPv4), or None."""
    try:
        address = ipaddress.ip_address((text or "").strip().split("%", 1)[0])
    except ValueError:
        return None
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped:
        address = address.ipv4_mapped
    return str(address)


def resolve_host_addresses(host: str) -> tuple[str, ...]:
    """Every address the host name resolves to (or the address itself); () when it does not resolve."""
    if not host:
        return ()
    literal = normalize_address(host.strip("[]"))
    if literal:
        return (literal,)
    try:
        infos = socket.getaddrinfo(host, None, proto=socket.IPPROTO_TCP)
    except (OSError, UnicodeError):
        return ()
    return tuple(dict.fromkeys(a for a in (normalize_address(info[4][0]) for info in infos) if a))


def sender_addresses(*urls: str) -> tuple[str, ...]:
    """The addresses of the hosts of these URLs (the source as named, and where it redirected)."""
    hosts = dict.fromkeys(urlsplit(url).hostname or "" for url in urls if url)
    return tuple(dict.fromkeys(a for host in hosts for a in resolve_host_addresses(host)))


def sender_matches(sender_ip: str, addresses: tuple[str, ...]) -> bool | None:
    """Whether the sender is one of the addresses; None when either is unknown."""
    sender = normalize_address(sender_ip)
    if sender is None or not addresses:
        return None
    return sender in addresses


def _site(host: str) -> str:
    labels = host.lower().strip(".").split(".")
    return ".".join(labels[-2:])


def count_outbound_links(soup: BeautifulSoup, page_url: str) -> int:
    """How many links on the page lead to other sites than its own (a subdomain is its own)."""
    own = _site(urlsplit(page_url).hostname or "")
    count = 0
    for anchor in soup.find_all("a", href=True):
        try:
            parts = urlsplit(anchor["href"].strip())
        except ValueError:
            continue
        if parts.scheme in ("http", "https") and parts.hostname and _site(parts.hostname) != own:
            count += 1
    return count


def context_is_empty(anchor: Tag) -> bool:
    """Whether the link stands alone: no words around it in its paragraph (a bare list of links)."""
    around = link_context(anchor)
    link_text = " ".join(anchor.get_text(" ").split())
    return not any(ch.isalnum() for ch in around.replace(link_text, "", 1))
