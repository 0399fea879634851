"""The comments feed (/comments/feed/) and each post's (<permalink>feed/), issue "Feeds and
addresses": only what readers see under published posts, newest first, escaped, each linking to its
place under the post, with tag: ids."""

from __future__ import annotations

import pytest
from feed_testing import add_item, parse_feed

from blog.extensions import db
from blog.models import Comment


@pytest.fixture
def discussed(app, author):
    """Two published posts and a draft, with items of every kind and status."""
    first = author.publish("First post", "One", publish_date="2024-03-01T10:00")
    second = author.publish("Second post", "Two", publish_date="2024-03-02T10:00")
    draft = author.save("Draft", action="draft")
    assert draft.status_code == 302
    draft_id = int(draft.headers["Location"].rstrip("/").split("/")[-2])
    ids = {
        "comment": add_item(app, first, author_name="Ann <b>", author_url="https://ann.example/",
                            content="Hi <script>alert(1)</script> see https://ann.example/x"),
        "pingback": add_item(app, first, kind="pingback", author_name="Other blog", content="…linked here…"),
        "reply": add_item(app, second, kind="webmention", mention_type="reply", author_name="Bea",
                          content="A reply"),
        "pending": add_item(app, first, status="pending", content="Waiting"),
        "spam": add_item(app, first, status="spam", content="Buy"),
        "unchecked": add_item(app, first, kind="trackback", verification="pending", content="Unproved"),
        "like": add_item(app, second, kind="webmention", mention_type="like", author_name="Cat", content=""),
        "on_draft": add_item(app, author.post(draft_id), content="On a draft"),
    }
    return first, second, ids


def test_comments_feed_lists_what_readers_see_newest_first(visitor, discussed):
    _, _, ids = discussed
    feed = parse_feed(visitor, "/comments/feed/", "atom10")
    assert feed.feed.title == "Comments on Test Blog"
    assert [e.id.rsplit(":", 1)[1] for e in feed.entries] == [
        f"comment-{ids['reply']}", f"comment-{ids['pingback']}", f"comment-{ids['comment']}"
    ]
    assert [e.title for e in feed.entries] == [
        "Reply to “Second post” from Bea", "Pingback on “First post” from Other blog",
        "Comment on “First post” by Ann <b>",
    ]
    assert all(e.id.startswith("tag:localhost,") for e in feed.entries)


def test_comments_feed_entry_is_escaped_and_links_to_the_comment(author, visitor, discussed):
    first, _, ids = discussed
    entry = parse_feed(visitor, "/comments/feed/").entries[-1]
    assert entry.link == f"{author.url_of_external(first)}#comment-{ids['comment']}"
    assert entry.author_detail.name == "Ann <b>"
    assert entry.author_detail.href == "https://ann.example/"
    html = entry.content[0].value
    assert "&lt;script&gt;" in html and "<script>" not in html
    assert '<a href="https://ann.example/x" rel="nofollow ugc">' in html


def test_comments_feed_in_rss2(visitor, discussed):
    feed = parse_feed(visitor, "/comments/feed/rss2/", "rss20")
    assert [e.author for e in feed.entries] == ["Bea", "Other blog", "Ann <b>"]
    assert feed.feed.link == "http://localhost/"


def test_post_comments_feed_holds_only_that_posts_items(author, visitor, discussed):
    first, second, ids = discussed
    url = author.url_of(first)
    feed = parse_feed(visitor, f"{url}feed/", "atom10")
    assert feed.feed.title == "Comments on “First post”"
    assert {link.rel: link.href for link in feed.feed.links} == {
        "self": f"{author.url_of_external(first)}feed/", "alternate": f"{author.url_of_external(first)}#comments"
    }
    assert [e.title for e in feed.entries] == [
        "Pingback on “First post” from Other blog", "Comment on “First post” by Ann <b>"
    ]
    rss = parse_feed(visitor, f"{author.url_of(second)}feed/rss2/", "rss20")
    assert [e.title for e in rss.entries] == ["Reply to “Second post” from Bea"]


def test_post_comments_feed_of_a_draft_or_unknown_post_is_not_found(app, author, visitor):
    author.save("Draft", action="draft", publish_date="2024-03-01T10:00")
    assert visitor.get("/2024/03/01/draft/feed/").status_code == 404
    assert visitor.get("/2024/03/01/nothing/feed/rss2/").status_code == 404


def test_post_comments_feed_at_a_wrong_date_redirects(author, visitor):
    post = author.publish("Dated", publish_date="2024-03-01T10:00")
    response = visitor.get("/2020/01/01/dated/feed/rss2/")
    assert response.status_code == 301
    assert response.headers["Location"] == f"{author.url_of(post)}feed/rss2/"


def test_comments_feed_without_comments_is_valid(author, visitor):
    feed = parse_feed(visitor, "/comments/feed/", "atom10")
    assert feed.entries == [] and feed.feed.id.startswith("tag:localhost,")


def test_comment_feed_ids_are_kept_when_the_blog_moves(app, author, visitor, discussed):
    from blog.site_settings import save_settings

    before = [e.id for e in parse_feed(visitor, "/comments/feed/").entries]
    with app.app_context():
        save_settings({"site_url": "https://moved.example", "timezone": "Asia/Tokyo"})
    after = parse_feed(visitor, "/comments/feed/")
    assert [e.id for e in after.entries] == before
    assert after.entries[0].link.startswith("https://moved.example/")


def test_trashed_comment_leaves_the_comments_feed(app, visitor, discussed):
    _, _, ids = discussed
    with app.app_context():
        db.session.get(Comment, ids["reply"]).status = "trash"
        db.session.commit()
    assert len(parse_feed(visitor, "/comments/feed/").entries) == 2
