"""Atom feeds of published posts, built with feedgen (so the XML is valid by construction)."""

from __future__ import annotations

from datetime import datetime

from feedgen.feed import FeedGenerator
from markupsafe import Markup

from .archive import approved_counts
from .models import Post
from .permalinks import absolute_url_for, post_url
from .site_settings import get_settings


def entry_updated(post: Post) -> datetime:
    """When the post last changed for a reader: its last edit, or its going live if later."""
    return max(post.updated_at, post.published_at)


def build_atom_feed(posts: list[Post], *, title: str, self_url: str, alternate_url: str) -> bytes:
    """The Atom document (UTF-8 bytes) for these posts, newest first as given."""
    settings = get_settings()
    feed = FeedGenerator()
    feed.id(alternate_url)
    feed.title(title)
    if settings["tagline"]:
        feed.subtitle(settings["tagline"])
    feed.link(href=alternate_url, rel="alternate", type="text/html")
    feed.link(href=self_url, rel="self", type="application/atom+xml")
    feed.generator("blog", uri=absolute_url_for("public.index"))
    feed.language("en")
    # The feed changed when its newest entry did (a scheduled post goes live after its last save).
    updated = max((entry_updated(p) for p in posts), default=None)
    if updated is not None:
        feed.updated(updated)
    authors = {p.author.username for p in posts} or {settings["blog_title"]}
    feed.author({"name": ", ".join(sorted(authors))})
    counts = approved_counts([p.id for p in posts])
    for post in posts:
        url = post_url(post, external=True)
        entry = feed.add_entry(order="append")
        entry.id(url)
        entry.title(post.title)
        entry.link(href=url, rel="alternate", type="text/html")
        entry.published(post.published_at)
        entry.updated(entry_updated(post))
        entry.author({"name": post.author.username})
        # Honest, separate counts under each entry, linking to the discussion.
        discussion = Markup('<p class="discussion"><a href="{}#comments">{}</a></p>').format(url, counts[post.id].text)
        entry.content(f"{post.body_html}\n{discussion}", type="html")
        for tag in post.tags:
            entry.category(term=tag.slug, label=tag.name)
    return feed.atom_str(pretty=True)
