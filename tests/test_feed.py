"""The Atom feeds at /feed/ and /tag/<slug>/feed/: valid Atom (RFC 4287) with the required
elements, sanitised content, absolute links, and published posts only."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest
from defusedxml import ElementTree

from blog.extensions import db
from blog.jobs import run_due_jobs
from blog.models import Post, utcnow
from blog.site_settings import save_settings

ATOM = "{http://www.w3.org/2005/Atom}"


def get_feed(client, path="/feed/"):
    response = client.get(path)
    assert response.status_code == 200
    assert response.mimetype == "application/atom+xml"
    root = ElementTree.fromstring(response.data)
    assert root.tag == f"{ATOM}feed"
    return root


def text(element, name) -> str:
    child = element.find(f"{ATOM}{name}")
    assert child is not None, f"<{name}> missing in <{element.tag}>"
    return child.text or ""


def when(element) -> datetime:
    moment = datetime.fromisoformat(text(element, "updated"))
    assert moment.tzinfo is not None
    return moment


def links(element) -> dict[str, str]:
    return {link.get("rel", "alternate"): link.get("href") for link in element.findall(f"{ATOM}link")}


def entries(root):
    return root.findall(f"{ATOM}entry")


def entry_titles(root) -> list[str]:
    return [text(entry, "title") for entry in entries(root)]


def in_days(days: int) -> str:
    return (utcnow() + timedelta(days=days)).strftime("%Y-%m-%dT%H:%M")


def test_feed_has_required_atom_elements(author, visitor):
    author.publish("Hello", "Some *text*.", tags="news", publish_date="2024-07-04T12:00")
    root = get_feed(visitor)
    assert text(root, "id") and text(root, "title") == "Test Blog"
    when(root)
    assert root.find(f"{ATOM}author/{ATOM}name").text
    (entry,) = entries(root)
    assert text(entry, "id").startswith(("http://", "https://", "tag:"))
    assert text(entry, "title") == "Hello"
    assert when(entry) >= datetime.fromisoformat(text(entry, "published"))
    assert links(entry) == {"alternate": "http://localhost/2024/07/04/hello/"}
    assert entry.find(f"{ATOM}category").get("term") == "news"


def test_feed_links_to_itself_and_to_the_blog(author, visitor):
    author.publish("Hello")
    assert links(get_feed(visitor)) == {"self": "http://localhost/feed/", "alternate": "http://localhost/"}


def test_feed_uses_site_url_setting_for_links(app, author, visitor):
    post = author.publish("Hello", publish_date="2024-07-04T12:00")
    with app.app_context():
        save_settings({"site_url": "https://blog.example.com"})
    root = get_feed(visitor)
    assert links(root)["self"] == "https://blog.example.com/feed/"
    assert links(entries(root)[0])["alternate"] == f"https://blog.example.com{author.url_of(post)}"


def test_feed_entry_content_is_the_sanitised_html(app, author, visitor):
    post = author.publish("Risky", "Hello **world**\n\n<script>alert('x')</script>\n\n<a href='javascript:x()'>y</a>")
    content = entries(get_feed(visitor))[0].find(f"{ATOM}content")
    assert content.get("type") == "html"
    with app.app_context():
        stored = db.session.get(Post, post.id)
        assert content.text == (
            f'{stored.body_html}\n<p class="discussion"><a href="{author.url_of_external(stored)}#comments">'
            "0 comments</a></p>"
        )
    assert "<strong>world</strong>" in content.text
    assert "script" not in content.text and "javascript" not in content.text


def test_feed_leaves_out_drafts_and_scheduled_posts(author, visitor):
    author.publish("Published")
    author.save("Draft", action="draft")
    author.publish("Scheduled", publish_date=in_days(3))
    assert entry_titles(get_feed(visitor)) == ["Published"]


def test_feed_holds_the_newest_posts_up_to_posts_per_rss(app, author, visitor):
    """Settings -> Reading, "Syndication feeds show the most recent", apart from posts per page."""
    with app.app_context():
        save_settings({"posts_per_rss": 2, "posts_per_page": 1})
    for n in range(1, 4):
        author.publish(f"Post {n}", publish_date=f"2024-01-0{n}T10:00")
    assert entry_titles(get_feed(visitor)) == ["Post 3", "Post 2"]


def test_feed_without_posts_is_still_valid(author, visitor):
    root = get_feed(visitor)
    assert text(root, "id") and text(root, "title")
    when(root)
    assert entries(root) == []


def test_feed_updated_is_not_older_than_any_entry(app, author, visitor):
    """A scheduled post goes live after it was last saved: the feed's date must follow it."""
    author.publish("Old", publish_date="2024-01-01T10:00")
    author.publish("Scheduled", publish_date=in_days(2))
    with app.app_context():
        assert run_due_jobs(now=utcnow() + timedelta(days=3))["published"] == 1
    root = get_feed(visitor)
    assert when(root) == max(when(entry) for entry in entries(root))


def test_edited_post_has_a_later_updated_than_published(author, visitor):
    post = author.publish("Typo", publish_date="2024-01-01T10:00")
    author.save("Fixed", post_id=post.id, publish_date="2024-01-01T10:00")
    (entry,) = entries(get_feed(visitor))
    assert text(entry, "title") == "Fixed"
    assert when(entry) > datetime.fromisoformat(text(entry, "published"))


def test_tag_feed_holds_only_that_tags_posts(author, visitor):
    author.publish("Tagged", tags="Python")
    author.publish("Other", tags="Rust")
    author.save("Tagged draft", action="draft", tags="Python")
    root = get_feed(visitor, "/tag/python/feed/")
    assert text(root, "title") == "Test Blog » Python"
    assert links(root) == {"self": "http://localhost/tag/python/feed/", "alternate": "http://localhost/tag/python/"}
    assert entry_titles(root) == ["Tagged"]


@pytest.mark.parametrize("tags", ["", "secret-plans"])
def test_tag_feed_of_unknown_or_draft_only_tag_is_not_found(author, visitor, tags):
    author.save("Draft", action="draft", tags=tags)
    assert visitor.get("/tag/secret-plans/feed/").status_code == 404


def test_feed_entries_give_comment_and_mention_counts_separately(app, author, visitor):
    from blog.models import Comment

    post = author.publish("Discussed", "Talk to me.")
    with app.app_context():
        for kind, status in [("comment", "approved"), ("comment", "approved"), ("pingback", "approved"),
                             ("trackback", "pending"), ("comment", "spam")]:
            db.session.add(Comment(post_id=post.id, kind=kind, status=status, author_name="x", content="y"))
        db.session.commit()
    content = entries(get_feed(visitor))[0].find(f"{ATOM}content").text
    assert content.endswith(">2 comments · 1 mention</a></p>")
