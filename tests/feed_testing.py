"""Helpers for the feed, page and microformats tests: approved discussion items stored as the
receiving code stores them, and feeds read with feedparser."""

from __future__ import annotations

import feedparser

from blog.extensions import db
from blog.models import Comment


def add_item(app, post, kind="comment", status="approved", **fields) -> int:
    """An item under the post, stored directly (the receiving paths have their own tests); returns its id."""
    values = {"author_name": "Someone", "author_url": "", "content": "Hello", "status": status, "kind": kind}
    if kind != "comment":
        values.update(verification="verified", author_url=f"https://remote.example/{kind}/{post.id}")
    values.update(fields)
    with app.app_context():
        item = Comment(post_id=post.id, **values)
        db.session.add(item)
        db.session.commit()
        return item.id


def parse_feed(client, path: str, version: str = ""):
    """The feed at `path`, parsed by feedparser; must be well-formed and, when given, of that version
    ("atom10", "rss20")."""
    response = client.get(path)
    assert response.status_code == 200, path
    parsed = feedparser.parse(response.data)
    assert not parsed.bozo, parsed.get("bozo_exception")
    if version:
        assert parsed.version == version
    return parsed
