"""A post's text in every form readers and the search see it, computed once when the post is stored:
the body HTML (with its `id="more"` anchor), the excerpt (the text before `<!--more-->`, else the
first 55 words, as WordPress), and the plain text that search and descriptions read."""

from __future__ import annotations

import re
from dataclasses import dataclass

import markdown
from markupsafe import Markup, escape

from .media.responsive import ResponsiveImages
from .rendering import MARKDOWN_CONFIG, MARKDOWN_EXTENSIONS, html_to_text, sanitize_html

EXCERPT_WORDS = 55  # WordPress's excerpt_length
EXCERPT_MORE = " […]"  # WordPress's excerpt_more
MORE_TEXT_MAX_CHARS = 250
# WordPress's marker, `<!--more-->` or `<!--more Custom link text-->`. Looked for in the HTML Markdown
# made, where it is still a comment only when typed as HTML: inside code it has become &lt;!--more.
MORE_MARKER = re.compile(r"<!--more(.*?)?-->", re.DOTALL)
MORE_ANCHOR = '<span id="more"></span>'
# Characters search marks its matches with, and stands in for < and > while PostgreSQL's ts_headline
# reads the text (its parser drops anything that looks like a tag) (blog/search.py): private-use
# characters, never part of a post's text.
HIGHLIGHT_START, HIGHLIGHT_STOP, LESS_THAN, GREATER_THAN = "\ue000", "\ue001", "\ue002", "\ue003"
_NOT_TEXT = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ue000-\ue003]")


@dataclass(frozen=True)
class PostText:
    body_html: str  # sanitised, with the more anchor where the marker was
    body_text: str  # the visible text of the whole post, whitespace folded
    excerpt_html: str  # sanitised: the HTML before the marker, or a paragraph of the first words
    excerpt_text: str  # the excerpt as plain text (descriptions, RSS <description>)
    has_more: bool  # the post has a <!--more--> marker
    more_link_text: str  # the marker's own link text ("" for the default)


def render_post_text(source: str) -> PostText:
    """Everything stored about a post's text, from its Markdown source."""
    # Images load lazily; our uploads get their size and a srcset of their copies (as render_markdown).
    html = markdown.markdown(source, extensions=[*MARKDOWN_EXTENSIONS, ResponsiveImages()],
                             extension_configs=MARKDOWN_CONFIG)
    return post_text_from_html(html)


def post_text_from_html(html: str) -> PostText:
    """Everything stored about a post's text, from its HTML before sanitising (a post that has only
    HTML gives its stored HTML: sanitising again changes nothing)."""
    marker = MORE_MARKER.search(html)
    if marker is None:
        body_html = sanitize_html(html)
        body_text = plain_text(body_html)
        excerpt_text = first_words(body_text)
        excerpt_html = f"<p>{escape(excerpt_text)}</p>" if excerpt_text else ""
        return PostText(body_html, body_text, excerpt_html, excerpt_text, False, "")
    body_html = sanitize_html(html[: marker.start()] + MORE_ANCHOR + html[marker.end():])
    excerpt_html = sanitize_html(html[: marker.start()]).strip()  # nh3 closes what the cut left open
    link_text = " ".join(plain_text(marker.group(1) or "").split())[:MORE_TEXT_MAX_CHARS]
    return PostText(body_html, plain_text(body_html), excerpt_html, plain_text(excerpt_html), True, link_text)


def plain_text(html: str) -> str:
    """The visible text of sanitised HTML, without control characters or search's highlight marks."""
    return _NOT_TEXT.sub("", html_to_text(html))


def first_words(text: str, count: int = EXCERPT_WORDS) -> str:
    """The first `count` words of the text, with " […]" when there were more (wp_trim_words)."""
    words = text.split()
    if len(words) <= count:
        return " ".join(words)
    return " ".join(words[:count]) + EXCERPT_MORE


def continue_reading_html(post, url: str) -> Markup:
    """The link from a post's excerpt to the rest of it (listings and feeds): to the <!--more-->
    anchor when the post has one, in the marker's own words when it gives some; the post's title,
    visually hidden, tells links to different posts apart."""
    words = post.more_link_text or "Continue reading"
    return Markup('<p class="more-link"><a href="{}{}">{}<span class="visually-hidden"> “{}”</span> →</a></p>').format(
        url, "#more" if post.has_more else "", words, post.title
    )
