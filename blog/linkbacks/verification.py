"""Proving that a page links to a target, and cutting the excerpt around that link (the text
shown for a pingback), with BeautifulSoup."""

from __future__ import annotations

import re

from bs4 import BeautifulSoup, NavigableString, Tag

from .links import http_url_key, normalize_url

BLOCKS = ["p", "li", "blockquote", "dd", "dt", "td", "th", "figcaption", "pre", "h1", "h2", "h3", "h4", "h5", "h6"]
CONTEXT_CHARS = 100
ELLIPSIS = "[…]"


def find_link(soup: BeautifulSoup, target: str) -> Tag | None:
    """The first <a href> pointing at the target (compared by normalize_url, so scheme and host
    case, default ports and fragments do not matter; the path and query must)."""
    wanted = normalize_url(target)
    for anchor in soup.find_all("a", href=True):
        href = anchor["href"].strip()
        if href == target or http_url_key(href) == wanted:
            return anchor
    return None


def _fold(text: str) -> str:
    return re.sub(r"\s+", " ", text)


def link_context(anchor: Tag, width: int = CONTEXT_CHARS) -> str:
    """The plain text around the link: about `width` characters each side, cut at word
    boundaries, with "[…]" where text was cut."""
    block = anchor.find_parent(BLOCKS) or anchor.parent
    before, inside, after = [], [], []
    link_strings = {id(s) for s in anchor.find_all(string=True)}
    seen_link = False
    for piece in block.find_all(string=True):
        if not isinstance(piece, NavigableString) or piece.parent.name in ("script", "style"):
            continue
        if id(piece) in link_strings:
            inside.append(str(piece))
            seen_link = True
        elif seen_link:
            after.append(str(piece))
        else:
            before.append(str(piece))
    head, link_text, tail = _fold("".join(before)), _fold("".join(inside)).strip(), _fold("".join(after))
    cut_head = len(head) > width
    if cut_head:
        head = head[-width:]
        head = head[head.find(" ") + 1 :] if " " in head else head
    cut_tail = len(tail) > width
    if cut_tail:
        tail = tail[:width]
        tail = tail[: tail.rfind(" ")] if " " in tail else tail
    text = _fold(f"{head}{link_text}{tail}").strip()
    return f"{ELLIPSIS + ' ' if cut_head else ''}{text}{' ' + ELLIPSIS if cut_tail else ''}"
