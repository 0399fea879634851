"""What the spam classifier looks at in an item: the words of its text, title (or author name) and
link text, the host of its site and of the links in its text, and its kind. Bounded whatever the
input: the text is cut before tokenising and the number of distinct tokens is capped."""

from __future__ import annotations

import re
from urllib.parse import urlsplit

from ..models import Comment

TEXT_MAX_CHARS = 20_000
FIELD_MAX_CHARS = 2_000
MAX_TOKENS = 600
WORD_RE = re.compile(r"[^\W_]{2,30}")
SHOUT_RE = re.compile(r"\b[A-Z]{4,}\b")
MONEY_RE = re.compile(r"[$€£]\s?\d|\d\s?[$€£]")
URL_HOST_RE = re.compile(r"(?:https?://|www\.)([a-z0-9][a-z0-9.-]{0,200})", re.I)

# Token prefixes, each a field of the item; the explanation names them.
WORD, TITLE, LINK_TEXT, SITE, LINKED_SITE = "w:", "t:", "l:", "h:", "u:"


def _words(prefix: str, text: str, limit: int) -> list[str]:
    return [prefix + word for word in WORD_RE.findall(text[:limit].lower()) if not word.isdigit()]


def _pairs(words: list[str]) -> list[str]:
    """Neighbouring words ("b:click+here"): spam's set phrases say more than their words."""
    plain = [word[2:] for word in words]
    return [f"b:{a}+{b}" for a, b in zip(plain, plain[1:], strict=False)]


def _shapes(text: str) -> list[str]:
    """Typographic habits of spam: shouting, money, exclamation marks."""
    shapes = []
    caps = SHOUT_RE.findall(text)
    if caps:
        shapes.append(f"s:caps-{min(len(caps), 3)}")
    if MONEY_RE.search(text):
        shapes.append("s:money")
    if "!!" in text:
        shapes.append("s:exclaim")
    return shapes


def _hosts(prefix: str, host: str) -> list[str]:
    """The host and its parent domains (blog.spam.example -> also spam.example), so a farm of
    subdomains is learned as one site."""
    labels = [label for label in host.lower().strip(".").split(".") if label]
    if len(labels) < 2 or len(host) > 253:
        return [prefix + host.lower()] if host else []
    return [prefix + ".".join(labels[i:]) for i in range(max(0, len(labels) - 4), len(labels) - 1)]


def site_host(url: str) -> str:
    try:
        return (urlsplit(url).hostname or "")[:253]
    except ValueError:
        return ""


def tokens_of(comment: Comment) -> list[str]:
    """The item's distinct tokens (at most MAX_TOKENS), in the order found."""
    text = (comment.content or "")[:TEXT_MAX_CHARS]
    tokens = [f"k:{comment.kind}"]
    tokens += _words(TITLE, comment.author_name or "", FIELD_MAX_CHARS)
    tokens += _hosts(SITE, site_host(comment.author_url or ""))
    email_domain = (comment.author_email or "").rpartition("@")[2]
    tokens += _hosts("e:", email_domain[:253])
    tokens += _words(LINK_TEXT, comment.link_text or "", FIELD_MAX_CHARS)
    linked = URL_HOST_RE.findall(text)
    tokens.append(f"n:links-{min(len(linked), 3)}")
    for host in linked[:50]:
        tokens += _hosts(LINKED_SITE, host)
    words = _words(WORD, text, TEXT_MAX_CHARS)
    tokens += _shapes(text)
    tokens += words
    tokens += _pairs(words)
    return list(dict.fromkeys(token[:80] for token in tokens))[:MAX_TOKENS]
