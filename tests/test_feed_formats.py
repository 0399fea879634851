"""Feeds in Atom and RSS 2.0 (issue "Feeds and addresses"): the same entries in both, WordPress's
addresses, ids that survive slug, time zone and domain changes, and <updated> that follows the
entry's content and nothing else."""

from __future__ import annotations

import threading
from datetime import datetime

import pytest
from blog_testing import Author, csrf_token
from feed_testing import add_item, parse_feed

from blog.extensions import db
from blog.models import Post
from blog.site_settings import save_settings


def test_rss2_feed_holds_the_same_entries_as_the_atom_feed(author, visitor):
    author.publish("First", "One.", tags="news", publish_date="2024-07-04T12:00")
    author.publish("Second <b>bold</b>", "Two *words*.", publish_date="2024-07-05T12:00")
    atom = parse_feed(visitor, "/feed/", "atom10")
    rss = parse_feed(visitor, "/feed/rss2/", "rss20")
    assert [e.title for e in rss.entries] == [e.title for e in atom.entries] == ["Second <b>bold</b>", "First"]
    assert [e.id for e in rss.entries] == [e.id for e in atom.entries]
    assert [e.link for e in rss.entries] == [e.link for e in atom.entries] == [
        "http://localhost/2024/07/05/second-b-bold-b/", "http://localhost/2024/07/04/first/"
    ]
    assert rss.feed.link == "http://localhost/"
    assert {link.rel: link.href for link in rss.feed.links}["self"] == "http://localhost/feed/rss2/"
    second = rss.entries[0]
    assert "<em>words</em>" in second.content[0].value
    assert second.summary == "Two words."
    assert second.author == "admin"
    assert second.comments == second.link + "#comments"
    assert [t.term for t in rss.entries[1].tags] == ["news", "Uncategorized"]  # tags, then categories
    assert rss.entries[1].published_parsed[:5] == (2024, 7, 4, 12, 0)


def test_plain_feed_address_is_atom_and_atom_address_is_the_same_feed(author, visitor):
    author.publish("Hello")
    assert visitor.get("/feed/").data == visitor.get("/feed/atom/", follow_redirects=True).data
    assert visitor.get("/feed/").mimetype == "application/atom+xml"
    assert visitor.get("/feed/rss2/").mimetype == "application/rss+xml"


@pytest.mark.parametrize(("name", "path"), [
    ("rss2", "/feed/rss2/"), ("rss", "/feed/rss2/"), ("atom", "/feed/"),
    ("comments-rss2", "/comments/feed/rss2/"), ("comments-atom", "/comments/feed/"),
])
def test_wordpress_feed_query_serves_the_feed(author, visitor, name, path):
    author.publish("Hello")
    asked = visitor.get(f"/?feed={name}")
    assert asked.status_code == 200
    assert asked.data == visitor.get(path).data


def test_unknown_feed_query_is_not_found(author, visitor):
    assert visitor.get("/?feed=rdf%3Cscript%3E").status_code == 404


def test_tag_feed_in_rss2(author, visitor):
    author.publish("Tagged", tags="Python")
    author.publish("Other", tags="Rust")
    rss = parse_feed(visitor, "/tag/python/feed/rss2/", "rss20")
    assert rss.feed.title == "Test Blog » Python"
    assert [e.title for e in rss.entries] == ["Tagged"]
    assert visitor.get("/tag/nothing/feed/rss2/").status_code == 404


def test_entry_id_is_a_tag_uri_kept_across_slug_time_zone_and_domain_changes(app, author, visitor):
    post = author.publish("Hello", "Text", publish_date="2024-07-04T23:30")
    (entry,) = parse_feed(visitor, "/feed/").entries
    created = author.post(post.id).created_at.date().isoformat()
    assert entry.id == f"tag:localhost,{created}:post-{post.id}"
    author.save("Hello", "Text", post_id=post.id, slug="renamed", publish_date="2024-07-04T23:30")
    with app.app_context():
        save_settings({"timezone": "Pacific/Auckland", "site_url": "https://new.example"})
    (moved,) = parse_feed(visitor, "/feed/").entries
    assert moved.link.startswith("https://new.example/2024/07/05/renamed/")
    assert moved.id == entry.id
    rss = parse_feed(visitor, "/feed/rss2/")
    assert rss.entries[0].id == entry.id


def test_new_post_on_a_moved_blog_keeps_the_first_tag_authority(app, author, visitor):
    author.publish("Before")
    with app.app_context():
        save_settings({"site_url": "https://new.example"})
    post = author.publish("After")
    ids = [e.id for e in parse_feed(visitor, "/feed/").entries]
    assert ids[0].startswith("tag:localhost,") and ids[0].endswith(f":post-{post.id}")


def test_post_from_before_stored_ids_keeps_its_permalink_id_when_renamed(app, author, visitor):
    """A blog migrated without a Site URL: the id stays the permalink readers had, even after a new slug."""
    post = author.publish("Old", publish_date="2024-01-02T10:00")
    with app.app_context():
        db.session.get(Post, post.id).feed_id = None
        db.session.commit()
    assert parse_feed(visitor, "/feed/").entries[0].id == "http://localhost/2024/01/02/old/"
    author.save("Old", post_id=post.id, slug="new-slug", publish_date="2024-01-02T10:00")
    (entry,) = parse_feed(visitor, "/feed/").entries
    assert entry.link == "http://localhost/2024/01/02/new-slug/"
    assert entry.id == "http://localhost/2024/01/02/old/"


def updated_of(visitor) -> datetime:
    (entry,) = parse_feed(visitor, "/feed/").entries
    return datetime.fromisoformat(entry.updated)


def test_entry_updated_follows_content_not_comments_or_switches(app, author, visitor):
    post = author.publish("Title", "Body", tags="a", publish_date="2024-01-02T10:00")
    first = updated_of(visitor)
    add_item(app, post)  # the counts line in the content changes: the entry does not
    add_item(app, post, kind="pingback")
    assert "1 comment · 1 mention" in visitor.get("/feed/").get_data(as_text=True)
    author.save("Title", "Body", post_id=post.id, tags="a", publish_date="2024-01-02T10:00",
                allow_comments=False, allow_pings=False, slug="other-slug")
    assert updated_of(visitor) == first
    fields = {"title": "Title", "body": "Body", "tags": "a"}
    for name, value in [("title", "New title"), ("body", "New body"), ("tags", "a, b")]:
        fields[name] = value
        before = updated_of(visitor)
        author.save(fields["title"], fields["body"], post_id=post.id, tags=fields["tags"],
                    publish_date="2024-01-02T10:00")
        assert updated_of(visitor) > before, name


def test_feeds_drop_characters_xml_cannot_carry(app, author, visitor):
    """A title, text, tag or comment holding control characters (the editor takes them) still gives
    well-formed feeds, without those characters."""
    post = author.publish("Bad\x0b title\x1b", "Body \x01 text", tags="ta\x1fg")
    add_item(app, post, author_name="N\x0bame", content="C\x02ontent")
    for path in ("/feed/", "/feed/rss2/", "/comments/feed/", f"{author.url_of(post)}feed/rss2/"):
        feed = parse_feed(visitor, path)
        assert feed.entries, path
    assert parse_feed(visitor, "/feed/").entries[0].title == "Bad title"
    assert parse_feed(visitor, "/comments/feed/").entries[0].author == "Name"


def test_parallel_first_posts_all_publish_with_tag_ids(app, author):
    """Minting ids writes nothing shared: four first posts saved at once all succeed."""
    authors = [author]
    for _ in range(3):
        client = app.test_client()
        login = {"csrf_token": csrf_token(client, "/login"), "username": "admin", "password": author.password}
        assert client.post("/login", data=login).status_code == 302
        authors.append(Author(app, client))
    results = []
    barrier = threading.Barrier(len(authors))

    def publish(who, n):
        barrier.wait()
        results.append(who.save(f"Parallel {n}").status_code)

    threads = [threading.Thread(target=publish, args=(who, n)) for n, who in enumerate(authors)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    assert results == [302] * len(authors)
    with app.app_context():
        ids = db.session.execute(db.select(Post.feed_id)).scalars().all()
    assert len(ids) == len(authors) and all(i.startswith("tag:localhost,") for i in ids)
