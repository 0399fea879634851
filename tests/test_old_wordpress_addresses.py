"""WordPress's old addresses lead to the imported posts with a 301; its feed addresses to our feeds."""

from __future__ import annotations

import io

import pytest
from wxr_testing import P, wxr

from blog.extensions import db
from blog.wordpress.wxr_import import import_wordpress

OLD_BLOG = wxr(
    P(123, "Hello", "hello", date="2020-01-02 09:30:00"),
    P(124, "Ünïcode title", "%c3%bcn%c3%afcode-title", date="2020-02-03 10:00:00"),
    P(125, "Not yet", "not-yet", status="draft"),
)


@pytest.fixture
def imported(app, author):
    with app.app_context():
        import_wordpress(io.BytesIO(OLD_BLOG))
        db.session.remove()
    return app


@pytest.mark.parametrize("old, new", [
    ("/?p=123", "/2020/01/02/hello/"),
    ("/?page_id=123", "/2020/01/02/hello/"),
    ("/index.php?p=123", "/2020/01/02/hello/"),
    ("/archives/123", "/2020/01/02/hello/"),
    ("/archives/123/", "/2020/01/02/hello/"),
    ("/2020/01/hello/", "/2020/01/02/hello/"),
    ("/hello/", "/2020/01/02/hello/"),
    ("/hello", "/2020/01/02/hello/"),
    ("/2020/hello/", "/2020/01/02/hello/"),
    ("/category/news/hello/", "/2020/01/02/hello/"),
    ("/index.php/2020/01/02/hello/", "/2020/01/02/hello/"),
    ("/index.php/hello/", "/2020/01/02/hello/"),
    ("/%c3%bcn%c3%afcode-title/", "/2020/02/03/unicode-title/"),
    ("/2020/02/03/%c3%bcn%c3%afcode-title/", "/2020/02/03/unicode-title/"),
    ("/?m=202001", "/2020/01/"),
])
def test_old_addresses_answer_301_to_the_permalink(imported, client, old, new):
    response = client.get(old)
    assert response.status_code in (301, 308), response.status_code
    location = response.headers["Location"]
    if response.status_code == 308:  # Werkzeug's trailing slash, then ours
        response = client.get(location)
        assert response.status_code == 301
        location = response.headers["Location"]
    assert location == new
    assert client.get(new).status_code == 200


@pytest.mark.parametrize("old", ["/?p=125", "/?p=999", "/archives/999", "/no-such-post/", "/2020/01/nothing/",
                                 "/?p=abc", "/not-yet/"])
def test_unknown_or_unpublished_old_addresses_are_not_found(imported, client, old):
    assert client.get(old).status_code == 404


def test_old_feed_addresses_lead_to_our_feeds(imported, client):
    rss = client.get("/?feed=rss2")
    assert rss.status_code == 200 and b"<rss" in rss.data and b"Hello" in rss.data
    assert client.get("/feed/").status_code == 200
    assert client.get("/index.php?feed=rss2").status_code in (200, 301)


def test_posts_written_here_answer_their_own_id(app, author, client):
    post = author.publish("Written here", "Text")
    response = client.get(f"/?p={post.id}")
    assert response.status_code == 301 and response.headers["Location"] == author.url_of(post)


def test_a_real_page_is_never_redirected(imported, client):
    assert client.get("/2020/01/02/hello/").status_code == 200
    assert client.get("/archives/").status_code == 200
    assert client.get("/2020/01/").status_code == 200
