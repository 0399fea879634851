"""Conditional GET on the feeds (issue "Feeds and addresses"): ETag and Last-Modified, 304 when the
reader already has what the feed would show, a new ETag as soon as anything it shows changes."""

from __future__ import annotations

from datetime import timedelta

import pytest
from feed_testing import add_item
from werkzeug.http import http_date, parse_date

from blog.extensions import db
from blog.models import Comment
from blog.site_settings import save_settings

FEEDS = ["/feed/", "/feed/rss2/", "/comments/feed/", "/comments/feed/rss2/", "/tag/news/feed/"]


@pytest.fixture
def post(author):
    return author.publish("Hello", "Text", tags="news", publish_date="2024-05-01T10:00")


@pytest.mark.parametrize("path", FEEDS)
def test_feed_answers_304_to_its_own_etag(visitor, post, path):
    first = visitor.get(path)
    assert first.status_code == 200
    assert first.headers["Cache-Control"] == "public, max-age=0, must-revalidate"
    etag = first.headers["ETag"]
    assert etag.startswith('"') and first.headers["Last-Modified"]
    again = visitor.get(path, headers={"If-None-Match": etag})
    assert again.status_code == 304
    assert again.data == b""
    assert again.headers["ETag"] == etag
    assert visitor.get(path, headers={"If-None-Match": '"something-else"'}).status_code == 200


def test_post_comments_feed_answers_304(author, visitor, post):
    path = f"{author.url_of(post)}feed/"
    etag = visitor.get(path).headers["ETag"]
    assert visitor.get(path, headers={"If-None-Match": etag}).status_code == 304


def test_head_request_is_conditional_too(visitor, post):
    etag = visitor.get("/feed/").headers["ETag"]
    assert visitor.head("/feed/", headers={"If-None-Match": etag}).status_code == 304


def test_etag_changes_when_a_comment_is_approved(app, author, visitor, post):
    """The post feed shows the counts and the comment feeds the comments: both change."""
    paths = ["/feed/", "/comments/feed/", f"{author.url_of(post)}feed/"]
    etags = {path: visitor.get(path).headers["ETag"] for path in paths}
    comment_id = add_item(app, post, status="pending")
    assert {p: visitor.get(p, headers={"If-None-Match": etags[p]}).status_code for p in paths} == dict.fromkeys(
        paths, 304
    )
    with app.app_context():
        db.session.get(Comment, comment_id).status = "approved"
        db.session.commit()
    for path in paths:
        response = visitor.get(path, headers={"If-None-Match": etags[path]})
        assert response.status_code == 200, path
        assert response.headers["ETag"] != etags[path]


def test_etag_changes_when_a_post_is_edited_or_a_setting_shown_changes(app, author, visitor, post):
    etag = visitor.get("/feed/").headers["ETag"]
    author.save("Hello", "New text", post_id=post.id, tags="news", publish_date="2024-05-01T10:00")
    changed = visitor.get("/feed/", headers={"If-None-Match": etag})
    assert changed.status_code == 200
    with app.app_context():
        save_settings({"blog_title": "Renamed"})
    assert visitor.get("/feed/", headers={"If-None-Match": changed.headers["ETag"]}).status_code == 200


def test_if_modified_since_is_answered_from_the_newest_change(app, author, visitor, post):
    last_modified = visitor.get("/feed/").headers["Last-Modified"]
    assert visitor.get("/feed/", headers={"If-Modified-Since": last_modified}).status_code == 304
    earlier = http_date(parse_date(last_modified) - timedelta(seconds=1))
    assert visitor.get("/feed/", headers={"If-Modified-Since": earlier}).status_code == 200


def test_new_comment_moves_last_modified_of_the_post_feed(app, author, visitor, post):
    before = parse_date(visitor.get("/feed/").headers["Last-Modified"])
    comment_id = add_item(app, post)
    with app.app_context():
        db.session.get(Comment, comment_id).created_at = before + timedelta(minutes=5)
        db.session.commit()
    assert parse_date(visitor.get("/feed/").headers["Last-Modified"]) == before + timedelta(minutes=5)


def test_if_none_match_wins_over_if_modified_since(visitor, post):
    """RFC 9110 13.1.3: with If-None-Match, If-Modified-Since is ignored."""
    first = visitor.get("/feed/")
    headers = {"If-None-Match": '"stale"', "If-Modified-Since": first.headers["Last-Modified"]}
    assert visitor.get("/feed/", headers=headers).status_code == 200


def test_empty_feed_has_a_stable_etag(author, visitor):
    assert visitor.get("/feed/").headers["ETag"] == visitor.get("/feed/").headers["ETag"]
    assert visitor.get("/comments/feed/").headers["ETag"] == visitor.get("/comments/feed/").headers["ETag"]
