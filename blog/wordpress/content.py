"""WordPress post content (classic and block markup) as the HTML we store as a post's source.

WordPress keeps a post's text as HTML whose paragraphs are blank lines (its wpautop filter adds the
<p> tags when showing it) and, with the block editor, with <!-- wp:... --> comments around blocks.
We remove the block comments, add the paragraph tags as wpautop would, turn [caption] shortcodes into
<figure>, and keep the result as HTML: the editor's Markdown passes block-level HTML through as it is,
so the post renders as it did and stays editable (rendering.render_markdown sanitises it with the
allow-list, as every post)."""

from __future__ import annotations

import re
from html import unescape
from urllib.parse import urlsplit

BLOCKS = (
    r"(?:address|article|aside|blockquote|caption|col|colgroup|dd|details|div|dl|dt|fieldset|figcaption|"
    r"figure|footer|form|h[1-6]|header|hr|legend|li|main|map|math|menu|nav|ol|p|pre|section|summary|"
    r"table|tbody|td|tfoot|th|thead|tr|ul|iframe|video|audio|object|style|script|svg|noscript)"
)
OPENING_BLOCK = re.compile(rf"(<{BLOCKS}[\s/>])", re.IGNORECASE)
CLOSING_BLOCK = re.compile(rf"(</{BLOCKS}>)", re.IGNORECASE)
EDGES = re.compile(rf"^((?:\s*</?{BLOCKS}(?:\s[^>]*)?/?>)*)(.*?)((?:</?{BLOCKS}(?:\s[^>]*)?/?>\s*)*)$",
                   re.IGNORECASE | re.DOTALL)
ANY_BLOCK_TAG = re.compile(rf"</?{BLOCKS}[\s/>]", re.IGNORECASE)
# Blocks whose text is not wrapped in paragraphs of its own (WordPress's wpautop leaves them so too).
TEXT_HOLDERS = {"li", "dt", "dd", "td", "th", "p", "h1", "h2", "h3", "h4", "h5", "h6", "pre", "figure", "figcaption",
                "summary", "caption", "legend"}
LEAD_TAGS = re.compile(r"<(/?)([a-z0-9]+)", re.IGNORECASE)
BLOCK_COMMENT = re.compile(r"<!--\s*/?wp:.*?-->\n?", re.DOTALL)
PRE = re.compile(r"<pre\b.*?</pre>", re.IGNORECASE | re.DOTALL)
CAPTION = re.compile(r"\[caption([^\]]*)\](.*?)\[/caption\]", re.IGNORECASE | re.DOTALL)
CAPTION_MEDIA = re.compile(r"^\s*((?:<a\b[^>]*>\s*)?<img\b[^>]*>(?:\s*</a>)?)(.*)$", re.IGNORECASE | re.DOTALL)
# nh3 writes every attribute in double quotes: the sanitised HTML needs no parser for this.
IMG_SRC = re.compile(r'<img\b[^>]*?\ssrc="([^"]*)"', re.IGNORECASE)
HTML_COMMENTS_ONLY = re.compile(r"(?:\s*<!--.*?-->\s*)+", re.DOTALL)
SHORTCODE = re.compile(r"\[([a-z][a-z0-9_-]*)[\s\]]", re.IGNORECASE)


def wordpress_to_source(content: str) -> str:
    """The HTML to store as the post's source (see the module's docstring)."""
    text = BLOCK_COMMENT.sub("", content.replace("\r\n", "\n").replace("\r", "\n"))
    text = CAPTION.sub(_caption_figure, text)
    return autop(text)


def _caption_figure(match: re.Match) -> str:
    attributes, inner = match.group(1), match.group(2)
    media = CAPTION_MEDIA.match(inner)
    if media is None:
        return inner
    caption = media.group(2).strip()
    if not caption:
        caption_attr = re.search(r'caption="([^"]*)"', attributes)
        caption = caption_attr.group(1) if caption_attr else ""
    figcaption = f"<figcaption>{caption}</figcaption>" if caption else ""
    return f'\n\n<figure class="wp-caption">{media.group(1)}{figcaption}</figure>\n\n'


def autop(text: str) -> str:
    """Paragraphs from blank lines and <br> from single line breaks, outside block-level tags, as
    WordPress's wpautop does for the common cases; <pre> is left untouched."""
    if not text.strip():
        return ""
    kept: list[str] = []

    def keep(match: re.Match) -> str:
        kept.append(match.group(0))
        return f"<pre wp-kept-{len(kept) - 1}></pre>"

    text = PRE.sub(keep, text)
    text = OPENING_BLOCK.sub(r"\n\n\1", text)
    text = CLOSING_BLOCK.sub(r"\1\n\n", text)
    out = []
    for chunk in re.split(r"\n\s*\n", text):
        chunk = chunk.strip()
        if not chunk:
            continue
        if HTML_COMMENTS_ONLY.fullmatch(chunk):  # <!--more-->, <!--nextpage-->: no empty paragraph
            out.append(chunk)
            continue
        lead, middle, trail = EDGES.match(chunk).groups()
        middle = middle.strip()
        tags = LEAD_TAGS.findall(lead)
        in_text_holder = bool(tags) and not tags[-1][0] and tags[-1][1].lower() in TEXT_HOLDERS
        wrap = middle and not ANY_BLOCK_TAG.search(middle) and not in_text_holder
        if wrap:
            middle = "<p>" + re.sub(r"\s*\n\s*", "<br>\n", middle) + "</p>"
        out.append(f"{lead.strip()}{middle}{trail.strip()}")
    html = "\n".join(out)
    return re.sub(r"<pre wp-kept-(\d+)></pre>", lambda m: kept[int(m.group(1))], html)


def old_site_images(html: str, hosts: set[str]) -> list[str]:
    """The addresses of images the (sanitised) content takes from the old site's hosts: they are kept
    pointing there, and listed in the import report so the owner can copy them over."""
    if not hosts or "<img" not in html or not any(host in html for host in hosts):
        return []
    found = []
    for match in IMG_SRC.finditer(html):
        src = unescape(match.group(1))
        if (urlsplit(src).hostname or "").lower() in hosts:
            found.append(src)
    return found


def shortcodes_in(html: str) -> list[str]:
    """Names of shortcodes left in the text ([gallery], [embed]...): they show as typed, and the report
    says which."""
    return sorted({m.group(1).lower() for m in SHORTCODE.finditer(html) if m.group(1).lower() != "caption"})
