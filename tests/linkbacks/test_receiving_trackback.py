"""Our TrackBack endpoint over real HTTP: success, each error, GET, character sets, escaping,
verification of the linking page, and what readers see."""

from __future__ import annotations

from urllib.parse import urlencode

import pytest
import requests
from defusedxml import ElementTree

from blog.extensions import db
from blog.jobs import run_due_jobs
from blog.models import Comment, CommentStatus
from blog.site_settings import save_settings


@pytest.fixture
def blog(app, author, live_server):
    post = author.publish("Target post", "Something worth linking to.")

    class Blog:
        url = live_server.url
        permalink = live_server.url + author.url_of(post)
        ping_url = permalink + "trackback/"
        post_id = post.id

        @staticmethod
        def ping(data=None, body: bytes | None = None, content_type="application/x-www-form-urlencoded; charset=utf-8"):
            payload = body if body is not None else urlencode(data or {}).encode()
            response = requests.post(Blog.ping_url, data=payload, headers={"Content-Type": content_type}, timeout=10)
            root = ElementTree.fromstring(response.content)
            return response.status_code, root.findtext("error"), root.findtext("message")

        @staticmethod
        def stored():
            with app.app_context():
                rows = db.session.execute(db.select(Comment).order_by(Comment.id)).scalars().all()
                db.session.expunge_all()
                return rows

    return Blog


def approve_all(app):
    with app.app_context():
        db.session.execute(db.update(Comment).values(status=CommentStatus.APPROVED))
        db.session.commit()


def test_trackback_is_stored_pending_with_its_fields(blog):
    answer = blog.ping({"url": "http://other.example/p/", "title": "Their post", "excerpt": "They wrote…",
                        "blog_name": "Other Blog"})
    assert answer == (200, "0", None)
    (stored,) = blog.stored()
    assert (stored.kind, stored.status, stored.author_name, stored.author_url) == (
        "trackback", "pending", "Other Blog", "http://other.example/p/"
    )
    assert stored.content == "Their post\n\nThey wrote…"
    assert stored.verification == "pending" and stored.target_url == blog.permalink


def test_author_falls_back_to_title_then_host(blog):
    blog.ping({"url": "http://a.example/1", "title": "Only a title"})
    blog.ping({"url": "http://b.example/2"})
    assert [c.author_name for c in blog.stored()] == ["Only a title", "b.example"]


def test_wordpress_entities_are_decoded_and_tags_dropped(blog):
    blog.ping({"url": "http://wp.example/p/", "title": "Bob&#8217;s &#8220;quoted&#8221; post &#038; more",
               "excerpt": "<b>Bold</b> text&#8230;", "blog_name": "WP Peer"})
    assert blog.stored()[0].content == "Bob’s “quoted” post & more\n\nBold text…"


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"title": "no url"}, "The ping has no url: the url of the linking entry is required."),
        ({"url": "javascript:alert(1)"}, "The url must be an http:// or https:// address."),
    ],
)
def test_bad_pings_get_error_1(blog, data, message):
    assert blog.ping(data) == (200, "1", message)
    assert blog.stored() == []


def test_unknown_post_is_error_1_with_404(blog):
    response = requests.post(blog.url + "/2020/01/01/nothing/trackback/", data={"url": "http://x.example/"}, timeout=5)
    assert response.status_code == 404 and "<error>1</error>" in response.text


def test_closed_post_refuses(app, blog, author):
    author.save("Target post", "x", post_id=blog.post_id, allow_pings=False)
    assert blog.ping({"url": "http://x.example/"})[1:] == ("1", "Sorry, trackbacks are closed for this item.")
    author.save("Target post", "x", post_id=blog.post_id, allow_pings=True)
    with app.app_context():
        save_settings({"accept_trackbacks": False})
    assert blog.ping({"url": "http://x.example/"})[1:] == ("1", "Sorry, trackbacks are closed for this item.")


def test_same_url_twice_refused(blog):
    blog.ping({"url": "http://x.example/p"})
    assert blog.ping({"url": "http://x.example/p"})[1:] == ("1", "There is already a ping from that URL for this post.")


def test_too_large_refused(app, blog):
    body = urlencode({"url": "http://x.example/", "excerpt": "x" * app.config["LINKBACK_REQUEST_MAX_BYTES"]})
    assert blog.ping(body=body.encode()) == (413, "1", "The ping is too large.")
    assert blog.stored() == []


def test_too_many_refused(app, blog):
    app.config["LINKBACK_PER_ADDRESS_PER_MINUTE"] = 2
    answers = [blog.ping({"url": f"http://x.example/{i}"})[:2] for i in range(3)]
    assert answers == [(200, "0"), (200, "0"), (429, "1")]


def test_get_explains_and_stores_nothing(blog):
    response = requests.get(blog.ping_url, params={"url": "http://x.example/"}, timeout=5)
    assert response.status_code == 405 and "TrackBack URL" in response.text
    assert blog.stored() == []


def test_iso_8859_1_from_the_content_type(blog):
    body = urlencode({"url": "http://x.example/", "title": "Crème brûlée", "blog_name": "Café"}, encoding="latin-1")
    assert blog.ping(body=body.encode(), content_type="application/x-www-form-urlencoded; charset=ISO-8859-1")[1] == "0"
    assert (blog.stored()[0].author_name, blog.stored()[0].content) == ("Café", "Crème brûlée")


def test_shift_jis_from_the_charset_field(blog):
    body = urlencode({"url": "http://x.example/", "title": "東京タワー", "charset": "Shift_JIS"}, encoding="shift_jis")
    assert blog.ping(body=body.encode(), content_type="application/x-www-form-urlencoded")[1] == "0"
    assert blog.stored()[0].content == "東京タワー"


def test_undecodable_text_refused_not_stored_as_mojibake(blog):
    body = urlencode({"url": "http://x.example/", "title": "Crème"}, encoding="latin-1").encode()
    status, error, message = blog.ping(body=body)  # declared UTF-8, but it is Latin-1
    assert (error, message) == ("1", "The ping's text is not valid utf-8.")
    assert blog.stored() == []


def test_markup_in_every_field_is_shown_escaped(app, blog):
    with app.app_context():  # shown once approved: no source check to wait for
        save_settings({"verify_trackbacks": False})
    evil = "<script>alert(1)</script><img src=x onerror=alert(2)>"
    blog.ping({"url": "http://x.example/?q=<b>", "title": evil, "excerpt": evil, "blog_name": evil})
    approve_all(app)
    page = requests.get(blog.permalink, timeout=5).text
    assert 'href="http://x.example/?q=%3Cb%3E"' in page or 'href="http://x.example/?q=&lt;b&gt;"' in page  # shown
    assert "<script>alert" not in page and "onerror=alert" not in page and "<img src=x" not in page


def test_approved_trackback_shown_with_nofollow_and_pending_hidden(app, blog):
    with app.app_context():  # shown once approved: no source check to wait for
        save_settings({"verify_trackbacks": False})
    blog.ping({"url": "http://x.example/p", "title": "Linked you", "blog_name": "X Blog"})
    assert "X Blog" not in requests.get(blog.permalink, timeout=5).text
    approve_all(app)
    page = requests.get(blog.permalink, timeout=5).text
    assert '<a href="http://x.example/p" rel="external nofollow ugc">X Blog</a>' in page
    assert "Trackback:" in page and "0 comments · 1 mention" in page


def test_verification_sends_a_page_without_the_link_to_spam(app, blog, httpserver):
    httpserver.expect_request("/liar").respond_with_data("<p>No link here.</p>", content_type="text/html")
    httpserver.expect_request("/honest").respond_with_data(
        f"<p>See <a href='{blog.permalink}'>this</a>.</p>", content_type="text/html"
    )
    blog.ping({"url": httpserver.url_for("/liar"), "title": "spam"})
    blog.ping({"url": httpserver.url_for("/honest"), "title": "real"})
    with app.app_context():
        assert run_due_jobs()["linkback_checks"] == 2
    liar, honest = blog.stored()
    assert (liar.status, liar.verification) == ("spam", "failed")
    assert "does not link to this post" in liar.verification_note
    assert (honest.status, honest.verification) == ("pending", "verified")


def test_trackback_whose_page_cannot_be_fetched_goes_to_spam_unseen(app, blog, httpserver):
    httpserver.expect_request("/gone").respond_with_data("not here", status=404)
    source = httpserver.url_for("/gone")
    assert blog.ping({"url": source, "title": "Gone", "blog_name": "Gone Blog"}) == (200, "0", None)
    with app.app_context():
        assert run_due_jobs()["linkback_checks"] == 1
    (stored,) = blog.stored()
    assert (stored.status, stored.verification) == ("spam", "unreachable")
    assert "answered HTTP 404" in stored.moderation_note
    assert "Gone Blog" not in requests.get(blog.permalink, timeout=5).text


def test_verification_off_leaves_trackbacks_unchecked(app, blog):
    with app.app_context():
        save_settings({"verify_trackbacks": False})
    blog.ping({"url": "http://x.example/p"})
    with app.app_context():
        assert run_due_jobs()["linkback_checks"] == 0  # nothing queued to check
    (stored,) = blog.stored()
    assert (stored.verification, stored.status) == (None, "pending")  # the moderation rules decided at once


def test_comments_closed_but_linkbacks_open_still_lists_linkbacks(app, blog, author):
    with app.app_context():  # shown once approved: no source check to wait for
        save_settings({"verify_trackbacks": False})
    author.save("Target post", "x", post_id=blog.post_id, allow_comments=False, allow_pings=True)
    assert blog.ping({"url": "http://x.example/p", "blog_name": "X Blog"})[1] == "0"
    approve_all(app)
    page = requests.get(blog.permalink, timeout=5).text
    assert "Comments are closed." in page and "X Blog" in page and "Trackback URL" in page
