"""Atom and RSS 2.0 feeds of published posts and of the discussion under them, built with feedgen
(so the XML is valid by construction). Output depends only on what is stored: the same blog gives
the same bytes, so a digest of them is the feed's ETag."""

from __future__ import annotations

import enum
import re
from dataclasses import dataclass
from datetime import datetime

from feedgen.feed import FeedGenerator
from markupsafe import Markup

from .archive import approved_counts
from .authors import author_card
from .feed_contents import (
    discussion_last_modified,
    entry_updated,
    newest_discussion,
    newest_posts,
    posts_last_modified,
)
from .feed_ids import blog_started_at, comment_entry_id, comments_feed_id, post_comments_feed_id, post_entry_id
from .models import Category, Comment, CommentKind, Post, Tag
from .permalinks import absolute_url_for, comments_feed_url, post_url
from .post_text import continue_reading_html
from .rendering import render_comment_text
from .site_settings import get_setting, get_settings


class FeedFormat(enum.StrEnum):
    ATOM = "atom"
    RSS2 = "rss2"

    @property
    def mimetype(self) -> str:
        return "application/atom+xml" if self is FeedFormat.ATOM else "application/rss+xml"


@dataclass(frozen=True)
class FeedInfo:
    """What a feed says about itself: its id, title, and the absolute URLs of itself (in this
    format) and of the page it follows."""

    id: str
    title: str
    self_url: str
    alternate_url: str
    updated: datetime | None  # None: no entries and nothing else to date it by (a fixed date is used)
    subtitle: str = ""


@dataclass(frozen=True)
class FeedDocument:
    body: bytes
    format: FeedFormat
    last_modified: datetime | None  # the newest change it shows (an entry, or the discussion)


# A feed with nothing in it still needs an <updated>; a fixed date keeps its bytes (and ETag) stable.
EMPTY_FEED_UPDATED = datetime.fromisoformat("2000-01-01T00:00:00+00:00")


def posts_feed(fmt: FeedFormat, tag: Tag | None = None, category: Category | None = None) -> FeedDocument:
    """The feed of the newest published posts, or of a tag's or a category's (the caller checked it
    has some)."""
    posts = newest_posts(tag, category)
    updated = _newest(entry_updated(p) for p in posts)
    if tag is not None:
        page = absolute_url_for("public.tag", slug=tag.slug)
        info = FeedInfo(page, f"{get_setting('blog_title')} » {tag.name}",
                        absolute_url_for("feeds.tag", slug=tag.slug, fmt=fmt.value), page, updated)
    elif category is not None:
        page = absolute_url_for("public.category", slug=category.slug)
        info = FeedInfo(page, f"{get_setting('blog_title')} » {category.name}",
                        absolute_url_for("feeds.category", slug=category.slug, fmt=fmt.value), page, updated)
    else:
        page = absolute_url_for("public.index")
        info = FeedInfo(page, get_setting("blog_title"), absolute_url_for("feeds.posts", fmt=fmt.value), page, updated)
    return FeedDocument(build_posts_feed(posts, info, fmt), fmt, posts_last_modified(posts))


def discussion_feed(fmt: FeedFormat, post: Post | None = None) -> FeedDocument:
    """The feed of the newest comments and mentions on the blog, or under one published post."""
    items = newest_discussion(post)
    newest = _newest(item.created_at for item in items)
    if post is None:
        info = FeedInfo(comments_feed_id(), f"Comments on {get_setting('blog_title')}",
                        absolute_url_for("feeds.comments", fmt=fmt.value), absolute_url_for("public.index"), newest)
    else:
        info = FeedInfo(post_comments_feed_id(post), f"Comments on “{post.title}”",
                        comments_feed_url(post, fmt.value, external=True),
                        f"{post_url(post, external=True)}#comments", newest)
    return FeedDocument(build_discussion_feed(items, info, fmt), fmt, discussion_last_modified(items, post))


def _newest(times) -> datetime | None:
    return max(times, default=None) or blog_started_at()


# Characters XML 1.0 cannot carry at all (C0 controls but tab and line ends, surrogates, U+FFFE/FFFF):
# text typed or received with them is still given, without them.
NOT_XML = re.compile("[^\t\n\r\u0020-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")


def xml_text(text: str) -> str:
    return NOT_XML.sub("", text)


def _new_feed(info: FeedInfo, fmt: FeedFormat) -> FeedGenerator:
    feed = FeedGenerator()
    feed.load_extension("dc", atom=False, rss=True)  # dc:creator: RSS's <author> needs an email address
    feed.id(info.id)
    feed.title(xml_text(info.title))
    subtitle = info.subtitle or get_setting("tagline")
    if subtitle or fmt is FeedFormat.RSS2:  # RSS requires a <description>
        feed.description(xml_text(subtitle or info.title))
    feed.link(href=info.self_url, rel="self", type=fmt.mimetype)
    feed.link(href=info.alternate_url, rel="alternate", type="text/html")  # last: RSS's <link> is the last given
    feed.generator("blog", uri=absolute_url_for("public.index"))
    feed.language("en")
    feed.updated(info.updated or EMPTY_FEED_UPDATED)  # also RSS's lastBuildDate (feedgen says "now" otherwise)
    return feed


def _serialise(feed: FeedGenerator, fmt: FeedFormat) -> bytes:
    return feed.atom_str(pretty=True) if fmt is FeedFormat.ATOM else feed.rss_str(pretty=True)


def build_posts_feed(posts: list[Post], info: FeedInfo, fmt: FeedFormat) -> bytes:
    """The feed document (UTF-8 bytes) for these posts, newest first as given."""
    feed = _new_feed(info, fmt)
    cards = {p.id: author_card(p.author) for p in posts}
    names = sorted({card.name for card in cards.values()}) or [author_card(None).name]
    feed.author({"name": xml_text(", ".join(names))})
    counts = approved_counts([p.id for p in posts])
    use_excerpt = get_setting("rss_use_excerpt")
    for post in posts:
        url = post_url(post, external=True)
        entry = feed.add_entry(order="append")
        entry.id(post_entry_id(post))
        entry.title(xml_text(post.title))
        entry.link(href=url, rel="alternate", type="text/html")
        entry.published(post.published_at)
        entry.updated(entry_updated(post))
        entry.author({"name": xml_text(cards[post.id].name), "uri": cards[post.id].url})
        entry.dc.dc_creator(xml_text(cards[post.id].name))
        entry.comments(f"{url}#comments")
        # Honest, separate counts under each entry, linking to the discussion. They change without
        # the entry changing, so <updated> does not follow them (entry_updated).
        discussion = Markup('<p class="discussion"><a href="{}#comments">{}</a></p>').format(url, counts[post.id].text)
        if use_excerpt:  # Settings -> Reading: Atom's <summary>, RSS's <description>, and no full text
            more = continue_reading_html(post, url) if post.excerpt_is_partial else ""
            entry.summary(xml_text(f"{post.excerpt_html}\n{more}\n{discussion}"), type="html")
        else:
            entry.content(xml_text(f"{post.body_html}\n{discussion}"), type="html")
            if fmt is FeedFormat.RSS2:
                entry.description(xml_text(post.excerpt_text or post.title))
        terms = {}  # a category and a tag of the same slug are one <category>
        for term in [*post.tags, *post.categories]:
            terms.setdefault(term.slug, term.name)
        for slug, name in terms.items():
            entry.category(term=slug, label=xml_text(name))
    return _serialise(feed, fmt)


DISCUSSION_TITLES = {
    CommentKind.COMMENT: "Comment on “{post}” by {name}",
    CommentKind.PINGBACK: "Pingback on “{post}” from {name}",
    CommentKind.TRACKBACK: "Trackback on “{post}” from {name}",
    "reply": "Reply to “{post}” from {name}",
    CommentKind.WEBMENTION: "Mention of “{post}” from {name}",
}


def discussion_item_title(item: Comment) -> str:
    key = "reply" if item.kind == CommentKind.WEBMENTION and item.mention_type == "reply" else item.kind
    template = DISCUSSION_TITLES.get(key, DISCUSSION_TITLES[CommentKind.COMMENT])
    return template.format(post=item.post.title, name=item.author_name or "Anonymous")


def build_discussion_feed(items: list[Comment], info: FeedInfo, fmt: FeedFormat) -> bytes:
    """The feed document (UTF-8 bytes) for these comments and mentions, newest first as given: each
    links to its place under the post; its text is escaped, with web addresses linked."""
    settings = get_settings()
    rel = "nofollow ugc" if settings["nofollow_links"] else "ugc"
    feed = _new_feed(info, fmt)
    feed.author({"name": xml_text(author_card(None).name)})
    for item in items:
        entry = feed.add_entry(order="append")
        entry.id(comment_entry_id(item))
        entry.title(xml_text(discussion_item_title(item)))
        entry.link(href=f"{post_url(item.post, external=True)}#comment-{item.id}", rel="alternate", type="text/html")
        entry.published(item.created_at)
        entry.updated(item.created_at)
        name = xml_text(item.author_name) or "Anonymous"
        author = {"name": name}
        if item.author_url.startswith(("http://", "https://")):
            author["uri"] = xml_text(item.author_url)
        entry.author(author)
        entry.dc.dc_creator(name)
        text = render_comment_text(item.content, rel) or Markup("<p>{}</p>").format(item.author_url or name)
        entry.content(xml_text(str(text)), type="html")
    return _serialise(feed, fmt)
