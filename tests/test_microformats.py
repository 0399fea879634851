"""IndieWeb markup read back with mf2py (issue "Feeds and addresses"): listings are an h-feed of
h-entry posts; a post page is one h-entry whose comments and mentions are p-comment h-cite and whose
likes and reposts are u-like / u-repost h-cite; datetimes have whole seconds and an offset."""

from __future__ import annotations

import re
from datetime import datetime

import mf2py
import pytest
from feed_testing import add_item

from blog.site_settings import save_settings


def parse(client, path):
    response = client.get(path)
    assert response.status_code == 200, path
    return mf2py.parse(doc=response.get_data(as_text=True), url=f"http://localhost{path}")


def assert_whole_seconds(value: str) -> None:
    """A valid datetime with whole seconds and an offset (mf2py writes the offset as +0200)."""
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d[+-]\d\d:?\d\d", value), value
    assert datetime.fromisoformat(value).tzinfo is not None


def only(items, kind):
    found = [i for i in items if kind in i["type"]]
    assert len(found) == 1, items
    return found[0]


@pytest.fixture
def post(app, author):
    with app.app_context():
        save_settings({"timezone": "Europe/Paris"})
    return author.publish("Hello <world>", "Some **text**.", tags="news, Python", publish_date="2024-07-04T12:00")


@pytest.mark.parametrize(("path", "name"), [
    ("/", "Test Blog"), ("/tag/news/", "Posts tagged “news”"), ("/2024/07/", "July 2024"),
])
def test_listings_are_an_h_feed_of_entries(author, visitor, post, path, name):
    feed = only(parse(visitor, path)["items"], "h-feed")
    assert feed["properties"]["name"] == [name]
    (entry,) = feed["children"]
    assert entry["type"] == ["h-entry"]
    props = entry["properties"]
    assert props["name"] == ["Hello <world>"]
    assert props["url"] == [f"http://localhost{author.url_of(post)}"]
    assert props["published"] == ["2024-07-04T12:00:00+0200"]  # in the blog's zone, whole seconds
    assert sorted(props["category"]) == ["Python", "Uncategorized", "news"]  # categories and tags


def test_datetime_attributes_have_whole_seconds_and_an_offset(app, author, visitor, post):
    """HTML's valid global date and time string (what the Nu checker requires), in the blog's zone."""
    add_item(app, post, author_name="Ann", content="Nice")
    for path in ("/", author.url_of(post), "/tag/news/", "/2024/07/"):
        html = visitor.get(path).get_data(as_text=True)
        values = re.findall(r'datetime="([^"]*)"', html)
        assert values, path
        for value in values:
            assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d[+-]\d\d:\d\d", value), value
    assert 'datetime="2024-07-04T12:00:00+02:00"' in visitor.get("/").get_data(as_text=True)


def test_post_page_is_one_h_entry_with_its_author(author, visitor, post):
    items = parse(visitor, author.url_of(post))["items"]
    entry = only(items, "h-entry")
    props = entry["properties"]
    assert props["name"] == ["Hello <world>"]
    assert props["url"] == [author.url_of_external(post)]
    assert_whole_seconds(props["published"][0])
    assert sorted(props["category"]) == ["Python", "Uncategorized", "news"]  # categories and tags
    assert props["content"][0]["html"].strip() == "<p>Some <strong>text</strong>.</p>"
    (card,) = props["author"]
    assert card["type"] == ["h-card"]
    assert card["properties"]["name"] == ["admin"]
    assert card["properties"]["url"] == ["http://localhost/"]


def test_comments_and_mentions_sit_inside_the_entry(app, author, visitor, post):
    comment = add_item(app, post, author_name="Ann", author_url="https://ann.example/", content="Nice <b>post</b>")
    pingback = add_item(app, post, kind="pingback", author_name="Other blog",
                        author_url="https://other.example/linked", content="…it said…")
    reply = add_item(app, post, kind="webmention", mention_type="reply", author_name="Bea",
                     author_url="https://bea.example/reply", content="A reply")
    add_item(app, post, kind="webmention", mention_type="like", author_name="Cat",
             author_url="https://cat.example/like", author_photo="https://cat.example/me.jpg", content="")
    add_item(app, post, kind="webmention", mention_type="repost", author_name="Dan",
             author_url="https://dan.example/repost", content="")
    add_item(app, post, kind="webmention", mention_type="bookmark", author_name="Eve",
             author_url="https://eve.example/bookmark", content="")
    add_item(app, post, status="pending", content="Not shown")
    entry = only(parse(visitor, author.url_of(post))["items"], "h-entry")
    # Nothing under the post leaks into the entry's own properties (a bookmark is shown, unmarked).
    assert entry["properties"]["url"] == [author.url_of_external(post)]
    assert [a["properties"]["name"] for a in entry["properties"]["author"]] == [["admin"]]
    assert "bookmark" not in entry["properties"]
    comments = entry["properties"]["comment"]
    assert [c["type"] for c in comments] == [["h-cite"]] * 3
    by_name = {c["properties"]["author"][0]["properties"]["name"][0]: c["properties"] for c in comments}
    assert list(by_name) == ["Ann", "Other blog", "Bea"]
    ann = by_name["Ann"]
    assert ann["url"] == [f"{author.url_of_external(post)}#comment-{comment}"]
    assert ann["author"][0]["properties"]["url"] == ["https://ann.example/"]
    assert ann["content"] == ["Nice <b>post</b>"]
    assert_whole_seconds(ann["published"][0])
    assert by_name["Other blog"]["url"] == ["https://other.example/linked"]
    assert by_name["Other blog"]["content"] == ["…it said…"]
    assert by_name["Bea"]["url"] == ["https://bea.example/reply"]
    assert_whole_seconds(by_name["Bea"]["published"][0])
    assert {pingback, reply}  # stored
    (like,) = entry["properties"]["like"]
    assert like["type"] == ["h-cite"]
    assert like["properties"]["url"] == ["https://cat.example/like"]
    cat = like["properties"]["author"][0]["properties"]
    assert cat["name"] == ["Cat"]
    assert cat["photo"][0]["value"] == "https://cat.example/me.jpg"
    (repost,) = entry["properties"]["repost"]
    assert repost["properties"]["url"] == ["https://dan.example/repost"]
    assert repost["properties"]["author"][0]["properties"]["name"] == ["Dan"]


def test_threaded_replies_are_comments_of_the_entry_too(app, author, visitor, post):
    parent = add_item(app, post, author_name="Ann", content="First")
    add_item(app, post, author_name="Bob", content="Answer", parent_id=parent)
    entry = only(parse(visitor, author.url_of(post))["items"], "h-entry")
    comments = entry["properties"]["comment"]
    assert [c["properties"]["content"] for c in comments] == [["First"], ["Answer"]]
    assert [c["properties"]["author"][0]["properties"] for c in comments] == [{"name": ["Ann"]}, {"name": ["Bob"]}]


def test_separate_mentions_stay_inside_the_entry(app, author, visitor, post):
    with app.app_context():
        save_settings({"separate_mentions": True})
    add_item(app, post, kind="trackback", author_name="Tracker", content="Excerpt")
    entry = only(parse(visitor, author.url_of(post))["items"], "h-entry")
    assert [c["properties"]["author"][0]["properties"]["name"] for c in entry["properties"]["comment"]] == [
        ["Tracker"]
    ]


def test_author_card_falls_back_to_the_blog_title_and_site_url(app):
    from blog.authors import author_card

    with app.test_request_context():
        save_settings({"site_url": "https://blog.example", "blog_title": "My Notes"})
        card = author_card(None)
    assert (card.name, card.url, card.photo) == ("My Notes", "https://blog.example/", "")
