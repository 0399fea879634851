"""Turning text into HTML: a post's Markdown into sanitised HTML, a visitor's comment into escaped
text with its URLs linked, and post HTML into plain-text excerpts."""

from __future__ import annotations

import re
from functools import lru_cache

import markdown
import nh3
from bs4 import BeautifulSoup
from linkify_it import LinkifyIt
from markdown.extensions.toc import slugify_unicode
from markupsafe import Markup, escape

from .media.responsive import ResponsiveImages

MARKDOWN_EXTENSIONS = ["tables", "fenced_code", "footnotes", "toc", "sane_lists"]
# Table alignment as align="..." (kept by the sanitiser), not as style="..." (removed by it).
MARKDOWN_CONFIG = {"toc": {"slugify": slugify_unicode}, "tables": {"use_align_attribute": True}}

ALLOWED_TAGS = {
    "a", "abbr", "b", "blockquote", "br", "caption", "cite", "code", "dd", "del", "details", "div",
    "dl", "dt", "em", "figcaption", "figure", "h1", "h2", "h3", "h4", "h5", "h6", "hr", "i", "img",
    "ins", "kbd", "li", "mark", "ol", "p", "pre", "q", "s", "samp", "small", "span", "strong", "sub",
    "summary", "sup", "table", "tbody", "td", "tfoot", "th", "thead", "tr", "u", "ul", "var",
}  # fmt: skip
ALLOWED_ATTRIBUTES = {
    "*": {"class", "id", "title", "lang", "dir"},
    "a": {"href", "rel", "hreflang"},
    "img": {"src", "srcset", "sizes", "alt", "width", "height", "loading"},
    "td": {"align", "colspan", "rowspan"},
    "th": {"align", "colspan", "rowspan", "scope"},
    "ol": {"start", "reversed", "type"},
    "blockquote": {"cite"},
    "q": {"cite"},
    "abbr": {"title"},
}
URL_SCHEMES = {"http", "https", "mailto"}


def render_markdown(source: str) -> str:
    """The post's Markdown as HTML, sanitised with nh3: safe to store and to show as is. Images load
    lazily; our uploads get their size and a srcset of their resized copies (blog/media/responsive.py)."""
    html = markdown.markdown(
        source, extensions=[*MARKDOWN_EXTENSIONS, ResponsiveImages()], extension_configs=MARKDOWN_CONFIG
    )
    return sanitize_html(html)


def sanitize_html(html: str) -> str:
    return nh3.clean(
        html,
        tags=ALLOWED_TAGS,
        attributes=ALLOWED_ATTRIBUTES,
        url_schemes=URL_SCHEMES,
        link_rel=None,
        strip_comments=True,
    )


@lru_cache(maxsize=1)
def _linkifier() -> LinkifyIt:
    return LinkifyIt(options={"fuzzy_email": False})


def _is_web_link(match) -> bool:
    """Only explicit http(s):// and www. links; "example.com" in a sentence stays text, and
    mailto:, ftp: and protocol-relative // addresses are not linked."""
    if match.schema:
        return match.schema.lower() in ("http:", "https:")
    return match.text.lower().startswith("www.")


def count_links(text: str) -> int:
    """How many links the text shows once displayed (what "hold if N or more links" counts)."""
    return sum(1 for match in _linkifier().match(text or "") or [] if _is_web_link(match))


def render_comment_text(text: str, rel: str = "nofollow ugc") -> Markup:
    """A visitor's plain text as HTML: escaped, bare URLs linked with rel="nofollow ugc" (or the
    given rel), line breaks kept as <br> and blank lines as paragraphs."""
    linkify = _linkifier()
    paragraphs = [p for p in re.split(r"\r?\n\s*\r?\n", text.strip()) if p.strip()]
    out = []
    for para in paragraphs:
        pieces, last = [], 0
        for match in filter(_is_web_link, linkify.match(para) or []):
            pieces.append(escape(para[last : match.index]))
            pieces.append(
                Markup('<a href="{}" rel="{}">{}</a>').format(match.url, rel, match.text)
            )
            last = match.last_index
        pieces.append(escape(para[last:]))
        html = Markup("").join(pieces)
        html = Markup(re.sub(r"\r?\n", "<br>\n", str(html)))
        out.append(Markup("<p>{}</p>").format(html))
    return Markup("\n").join(out)


# Elements that end a line of text: a space goes around them, and nowhere else ("<em>a</em>." stays "a.").
TEXT_BREAKS = [
    "address", "article", "aside", "blockquote", "br", "caption", "dd", "details", "div", "dl", "dt",
    "figcaption", "figure", "footer", "h1", "h2", "h3", "h4", "h5", "h6", "header", "hr", "li", "ol", "p",
    "pre", "section", "summary", "table", "td", "th", "tr", "ul",
]  # fmt: skip


def html_to_text(html: str) -> str:
    """The visible text of an HTML fragment, with whitespace folded."""
    soup = BeautifulSoup(html, "html.parser")
    for element in soup.find_all(TEXT_BREAKS):
        element.insert_before(" ")
        element.insert_after(" ")
    return re.sub(r"\s+", " ", soup.get_text()).strip()


def make_excerpt(html: str, max_chars: int = 250) -> str:
    """A plain-text excerpt of post HTML, cut at a word boundary with an ellipsis when cut."""
    text = html_to_text(html)
    if len(text) <= max_chars:
        return text
    cut = text[:max_chars]
    space = cut.rfind(" ")
    if space > max_chars // 2:
        cut = cut[:space]
    return cut.rstrip(" ,;:.-–—") + "…"
