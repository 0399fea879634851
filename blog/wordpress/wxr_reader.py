"""Reading a WordPress export (WXR 1.0 to 1.2) as a stream of typed records, in bounded memory.

The file is parsed with defusedxml's iterparse with DTDs refused (so no entity, internal or
external, is ever defined or expanded): each <item> is turned into a record and dropped from the
tree before the next is read, so a file of any size needs the memory of one post and its comments.
Nothing here touches the database: wxr_import stores what this yields."""

from __future__ import annotations

import html
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import IO
from xml.etree.ElementTree import ParseError

import defusedxml
from defusedxml.ElementTree import iterparse

CONTENT_NS = "http://purl.org/rss/1.0/modules/content/"
DC_NS = "http://purl.org/dc/elements/1.1/"
WFW_NS = "http://wellformedweb.org/CommentAPI/"
# What WXR cannot carry (each outgoing linkback's delivery), in a namespace of our own.
LINKBACKS_NS = "urn:x-blog-linkbacks:wxr:1.0"
WP_PREFIXES = ("http://wordpress.org/export/",)  # .../1.0/, 1.1/, 1.2/ and .../1.2/excerpt/


class WxrError(ValueError):
    """The file cannot be imported at all: the message says why, in words for the owner."""


@dataclass
class Site:
    title: str = ""
    link: str = ""
    base_site_url: str = ""
    base_blog_url: str = ""
    wxr_version: str = ""


@dataclass
class Author:
    login: str
    email: str = ""
    display_name: str = ""


@dataclass
class Term:
    """A category or a tag defined at the top of the file (wp:category, wp:tag, wp:term)."""

    taxonomy: str  # "category" or "post_tag"
    slug: str
    name: str
    parent: str = ""


@dataclass
class Comment:
    wp_id: int
    author: str = ""
    author_email: str = ""
    author_url: str = ""
    author_ip: str = ""
    date_gmt: datetime | None = None
    content: str = ""
    approved: str = "1"  # "1", "0", "spam", "trash", "post-trashed"
    type: str = ""  # "", "comment", "pingback", "trackback", "webmention", or a plugin's own
    parent: int = 0
    user_id: int = 0
    user_agent: str = ""
    meta: dict[str, str] = field(default_factory=dict)


@dataclass
class Delivery:
    """One outgoing linkback and what became of it (our namespace only)."""

    target: str
    origin: str = "link"
    method: str = ""
    status: str = "sent"
    endpoint: str = ""
    detail: str = ""
    attempts: int = 0
    last_attempt_at: datetime | None = None


@dataclass
class Item:
    """A post, a page, an attachment or any other post type WordPress exported."""

    wp_id: int
    post_type: str = "post"
    title: str = ""
    link: str = ""
    guid: str = ""
    creator: str = ""
    content: str = ""
    excerpt: str = ""
    date_gmt: datetime | None = None  # None for a draft WordPress never dated
    date_local: datetime | None = None  # in the old site's zone, which the file does not give
    modified_gmt: datetime | None = None
    comment_status: str = "open"
    ping_status: str = "open"
    slug: str = ""
    status: str = "publish"
    parent: int = 0
    menu_order: int = 0
    password: str = ""
    attachment_url: str = ""
    categories: list[tuple[str, str, str]] = field(default_factory=list)  # (domain, nicename, name)
    meta: dict[str, list[str]] = field(default_factory=dict)
    comments: list[Comment] = field(default_factory=list)
    deliveries: list[Delivery] = field(default_factory=list)
    trackback_urls: str = ""
    markdown: str | None = None  # our own export: the post's Markdown source
    original_wp_id: int = 0  # our own export: the id the post had in WordPress before

    @property
    def tags(self) -> list[str]:
        return [name for domain, _, name in self.categories if domain == "post_tag"]

    @property
    def category_names(self) -> list[str]:
        return [name for domain, _, name in self.categories if domain == "category"]

    @property
    def pinged(self) -> list[str]:
        """The URLs WordPress had already pinged for this post, when the file carries them: WordPress's
        own exporter leaves out the `pinged` column; some exporters write it as a `_pinged` meta."""
        urls = []
        for value in self.meta.get("_pinged", []) + self.meta.get("pinged", []):
            urls.extend(value.split())
        return urls


Record = Site | Author | Term | Item


def _local(tag: str) -> str:
    """The element's name with a short prefix for its namespace: "wp:post_id", "content:encoded"."""
    if not tag.startswith("{"):
        return tag
    uri, name = tag[1:].split("}", 1)
    if uri.startswith(WP_PREFIXES):
        return f"excerpt:{name}" if uri.rstrip("/").endswith("excerpt") else f"wp:{name}"
    return {CONTENT_NS: "content:", DC_NS: "dc:", WFW_NS: "wfw:", LINKBACKS_NS: "linkbacks:"}.get(uri, "?:") + name


def _text(element) -> str:
    return element.text or ""


def _int(text: str) -> int:
    try:
        return int(text.strip() or 0)
    except ValueError:
        return 0


def parse_wp_date(text: str) -> datetime | None:
    """WordPress's "YYYY-MM-DD HH:MM:SS" as an aware UTC datetime; None for its empty 0000-00-00."""
    text = (text or "").strip()
    if not text or text.startswith("0000"):
        return None
    try:
        return datetime.strptime(text, "%Y-%m-%d %H:%M:%S").replace(tzinfo=UTC)
    except ValueError:
        return None


def _parse_iso(text: str) -> datetime | None:
    try:
        moment = datetime.fromisoformat(text.strip())
    except ValueError:
        return None
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def _comment(element) -> Comment:
    comment = Comment(wp_id=0)
    for child in element:
        name, text = _local(child.tag), _text(child)
        match name:
            case "wp:comment_id":
                comment.wp_id = _int(text)
            case "wp:comment_author":
                comment.author = text
            case "wp:comment_author_email":
                comment.author_email = text
            case "wp:comment_author_url":
                comment.author_url = text
            case "wp:comment_author_IP":
                comment.author_ip = text
            case "wp:comment_date_gmt":
                comment.date_gmt = parse_wp_date(text)
            case "wp:comment_date" if comment.date_gmt is None:
                comment.date_gmt = parse_wp_date(text)  # a local time: the best there is
            case "wp:comment_content":
                comment.content = text
            case "wp:comment_approved":
                comment.approved = text.strip()
            case "wp:comment_type":
                comment.type = text.strip()
            case "wp:comment_parent":
                comment.parent = _int(text)
            case "wp:comment_user_id":
                comment.user_id = _int(text)
            case "wp:commentmeta":
                key = child.find("{*}meta_key")
                value = child.find("{*}meta_value")
                if key is not None:
                    comment.meta[_text(key)] = _text(value) if value is not None else ""
            case "linkbacks:user_agent":
                comment.user_agent = text
    return comment


def _delivery(element) -> Delivery:
    values = {_local(child.tag).removeprefix("linkbacks:"): _text(child) for child in element}
    return Delivery(
        target=values.get("target", ""),
        origin=values.get("origin", "link"),
        method=values.get("method", ""),
        status=values.get("status", "sent"),
        endpoint=values.get("endpoint", ""),
        detail=values.get("detail", ""),
        attempts=_int(values.get("attempts", "0")),
        last_attempt_at=_parse_iso(values["last_attempt_at"]) if values.get("last_attempt_at") else None,
    )


def _item(element) -> Item:
    item = Item(wp_id=0)
    for child in element:
        name, text = _local(child.tag), _text(child)
        match name:
            case "title":
                item.title = text
            case "link":
                item.link = text
            case "guid":
                item.guid = text
            case "dc:creator":
                item.creator = text
            case "content:encoded":
                item.content = text
            case "excerpt:encoded":
                item.excerpt = text
            case "wp:post_id":
                item.wp_id = _int(text)
            case "wp:post_date":
                item.date_local = parse_wp_date(text)
            case "wp:post_date_gmt":
                item.date_gmt = parse_wp_date(text)
            case "wp:post_modified_gmt":
                item.modified_gmt = parse_wp_date(text)
            case "wp:comment_status":
                item.comment_status = text.strip()
            case "wp:ping_status":
                item.ping_status = text.strip()
            case "wp:post_name":
                item.slug = text.strip()
            case "wp:status":
                item.status = text.strip()
            case "wp:post_parent":
                item.parent = _int(text)
            case "wp:menu_order":
                item.menu_order = _int(text)
            case "wp:post_type":
                item.post_type = text.strip()
            case "wp:post_password":
                item.password = text
            case "wp:attachment_url":
                item.attachment_url = text
            case "category":
                item.categories.append((child.get("domain", ""), child.get("nicename", ""), text))
            case "wp:postmeta":
                key = child.find("{*}meta_key")
                value = child.find("{*}meta_value")
                if key is not None:
                    item.meta.setdefault(_text(key), []).append(_text(value) if value is not None else "")
            case "wp:comment":
                item.comments.append(_comment(child))
            case "linkbacks:delivery":
                item.deliveries.append(_delivery(child))
            case "linkbacks:trackback_urls":
                item.trackback_urls = text
            case "linkbacks:markdown":
                item.markdown = text
            case "linkbacks:wordpress_id":
                item.original_wp_id = _int(text)
    return item


def _term(name: str, element) -> Term | None:
    values = {_local(child.tag): _text(child) for child in element}
    if name == "wp:category":
        return Term("category", values.get("wp:category_nicename", ""), values.get("wp:cat_name", ""),
                    values.get("wp:category_parent", ""))
    if name == "wp:tag":
        return Term("post_tag", values.get("wp:tag_slug", ""), values.get("wp:tag_name", ""))
    taxonomy = values.get("wp:term_taxonomy", "")
    if taxonomy in ("category", "post_tag"):
        return Term(taxonomy, values.get("wp:term_slug", ""), values.get("wp:term_name", ""),
                    values.get("wp:term_parent", ""))
    return None


def _author(element) -> Author:
    values = {_local(child.tag): _text(child) for child in element}
    return Author(values.get("wp:author_login", ""), values.get("wp:author_email", ""),
                  values.get("wp:author_display_name", ""))


def read_wxr(source: IO[bytes]) -> Iterator[Record]:
    """The file's records in the order they come: the Site (once its header is read, before the
    first author, term or item), then Authors, Terms and Items. Raises WxrError for a file that is
    not XML, not a WordPress export, holds a DTD (entity bombs, external entities) or ends early;
    records already yielded must then be thrown away (wxr_import runs in one transaction)."""
    site = Site()
    site_sent = False
    depth = 0
    channel = None
    try:
        for event, element in iterparse(source, events=("start", "end"), forbid_dtd=True):
            if event == "start":
                depth += 1
                if depth == 1 and element.tag != "rss":
                    raise WxrError(f"This is not a WordPress export: its root element is <{_short(element.tag)}>, "
                                   "not <rss>.")
                if depth == 2 and element.tag == "channel":
                    channel = element
                continue
            depth -= 1
            if depth != 2 or channel is None:
                continue
            name = _local(element.tag)
            if name in ("wp:author", "wp:category", "wp:tag", "wp:term", "item") and not site_sent:
                if not site.wxr_version:
                    raise WxrError("This is not a WordPress export: it has no <wp:wxr_version> before its "
                                   "first entry. Export from WordPress with Tools → Export.")
                site_sent = True
                yield site
            match name:
                case "title":
                    site.title = _text(element)
                case "link":
                    site.link = _text(element)
                case "wp:wxr_version":
                    site.wxr_version = _text(element).strip()
                case "wp:base_site_url":
                    site.base_site_url = _text(element).strip()
                case "wp:base_blog_url":
                    site.base_blog_url = _text(element).strip()
                case "wp:author":
                    yield _author(element)
                case "wp:category" | "wp:tag" | "wp:term":
                    if (term := _term(name, element)) is not None:
                        yield term
                case "item":
                    yield _item(element)
            channel.clear()  # what was read is gone: memory stays that of one item
    except defusedxml.DTDForbidden as error:
        raise WxrError("This file declares a DTD, which a WordPress export never does; it was refused "
                       "(it could define entities that expand to gigabytes or read files).") from error
    except (defusedxml.EntitiesForbidden, defusedxml.ExternalReferenceForbidden) as error:
        raise WxrError("This file defines XML entities, which a WordPress export never does; "
                       "it was refused.") from error
    except ParseError as error:
        raise WxrError(_parse_error_message(error)) from error
    if channel is None:
        raise WxrError("This is not a WordPress export: it has no <channel>.")
    if not site_sent:
        if not site.wxr_version:
            raise WxrError("This is not a WordPress export: it has no <wp:wxr_version>.")
        yield site


def _short(tag: str) -> str:
    return tag.split("}", 1)[-1]


def _parse_error_message(error: ParseError) -> str:
    line, column = getattr(error, "position", (0, 0))
    reason = str(error).split(":")[0]
    if "no element found" in reason or "unclosed token" in reason:
        return (f"The file ends too early (line {line}): it was probably cut off while downloading or "
                "uploading. Export it again from WordPress and import the whole file.")
    if "undefined entity" in reason:
        return f"The file uses an XML entity it does not define (line {line}, column {column}); it was refused."
    return f"This is not a valid XML file ({reason} at line {line}, column {column})."


def plain_title(text: str) -> str:
    """A WordPress title as plain text: tags dropped, entities decoded, spaces folded."""
    return " ".join(html.unescape(re.sub(r"<[^>]*>", "", text)).split())
