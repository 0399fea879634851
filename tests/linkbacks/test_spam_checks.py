"""The spam checks on a linkback's sender and page (issue: linkback spam without a cloud
service), made by the worker's source check: a ping not sent from its site's address goes to
spam with that reason; a link farm, a page that is not HTML and a link with no text around it
are held. Each has its switch in Settings -> Discussion. The sender's address is set per request
(the test client's REMOTE_ADDR); the source pages are real servers on loopback at `localhost`."""

from __future__ import annotations

import xmlrpc.client

import pytest

from blog.extensions import db
from blog.jobs import run_due_jobs
from blog.linkbacks.sender_checks import resolve_host_addresses, sender_matches
from blog.models import Comment, CommentStatus
from blog.site_settings import save_settings

SITE = "http://localhost"
PROSE = "A long paragraph about tomatoes that goes on for a while before it names"


@pytest.fixture
def blog(app, author):
    post = author.publish("Target post", "Something worth linking to.")
    with app.app_context():  # no "previously approved" hold: what the checks do shows alone
        save_settings({"site_url": SITE, "comment_previously_approved": False})

    class Blog:
        permalink = SITE + author.url_of(post)

        @staticmethod
        def trackback(source: str, sender: str = "127.0.0.1") -> None:
            response = app.test_client().post(
                author.url_of(post) + "trackback/", data={"url": source, "title": "Their post", "blog_name": "Them"},
                environ_base={"REMOTE_ADDR": sender},
            )
            assert b"<error>0</error>" in response.data

        @staticmethod
        def pingback(source: str, sender: str = "127.0.0.1") -> None:
            body = xmlrpc.client.dumps((source, Blog.permalink), "pingback.ping")
            response = app.test_client().post("/xmlrpc", data=body, content_type="text/xml",
                                              environ_base={"REMOTE_ADDR": sender})
            assert b"<fault>" not in response.data, response.data

        @staticmethod
        def checked() -> Comment:
            with app.app_context():
                assert run_due_jobs()["linkback_checks"] == 1
                (item,) = db.session.execute(db.select(Comment)).scalars().all()
                db.session.expunge_all()
                return item

    return Blog


def page(httpserver, path: str, body: str, content_type: str = "text/html") -> str:
    httpserver.expect_request(path).respond_with_data(
        f"<!doctype html><html><head><title>Theirs</title></head><body>{body}</body></html>"
        if content_type == "text/html" else body, content_type=content_type)
    return httpserver.url_for(path)


def linking(blog) -> str:
    return f"<p>{PROSE} <a href='{blog.permalink}'>this post</a> and then says more.</p>"


def switch(app, **values) -> None:
    with app.app_context():
        save_settings(values)


def test_the_sending_address_is_resolved_from_the_source_host():
    assert "127.0.0.1" in resolve_host_addresses("localhost")
    assert resolve_host_addresses("127.0.0.3") == ("127.0.0.3",)
    assert resolve_host_addresses("no-such-host.invalid") == ()
    assert sender_matches("::ffff:127.0.0.1", ("127.0.0.1",)) is True
    assert sender_matches("127.0.0.2", ("127.0.0.1", "::1")) is False
    assert sender_matches("", ("127.0.0.1",)) is None


@pytest.mark.parametrize("kind", ["pingback", "trackback"])
def test_a_ping_not_sent_from_its_sites_address_goes_to_spam_with_the_reason(app, blog, httpserver, kind):
    source = page(httpserver, "/post", linking(blog))
    getattr(blog, kind)(source, sender="127.0.0.2")
    item = blog.checked()
    assert (item.status, item.verification, item.ip) == (CommentStatus.SPAM, "verified", "127.0.0.2")
    assert item.moderation_note.startswith("Spam: it was sent from 127.0.0.2, which is not an address of localhost")


@pytest.mark.parametrize("kind", ["pingback", "trackback"])
def test_a_ping_sent_from_its_sites_address_is_moderated_as_usual(app, blog, httpserver, kind):
    getattr(blog, kind)(page(httpserver, "/post", linking(blog)), sender="127.0.0.1")
    item = blog.checked()
    assert item.status == CommentStatus.APPROVED and item.link_text == "this post"


def test_sender_check_switched_off_lets_the_mismatch_through(app, blog, httpserver):
    switch(app, spam_check_sender=False)
    blog.pingback(page(httpserver, "/post", linking(blog)), sender="127.0.0.2")
    assert blog.checked().status == CommentStatus.APPROVED


def farm(blog, links: int) -> str:
    others = "".join(f"<li><a href='http://site{n}.example/'>site {n}</a></li>" for n in range(links))
    return linking(blog) + f"<ul>{others}</ul>"


def test_a_link_farm_is_held_and_its_switch_and_limit_change_that(app, blog, httpserver):
    blog.trackback(page(httpserver, "/farm", farm(blog, 101)))
    item = blog.checked()
    assert item.status == CommentStatus.PENDING
    assert item.moderation_note == "Held: its page links to 101 other pages (more than 100), as a link farm does."


@pytest.mark.parametrize("settings", [{"spam_hold_link_farms": False}, {"spam_link_farm_links": 200}])
def test_a_link_farm_passes_with_its_switch_off_or_a_higher_limit(app, blog, httpserver, settings):
    switch(app, **settings)
    blog.trackback(page(httpserver, "/farm", farm(blog, 101)))
    assert blog.checked().status == CommentStatus.APPROVED


def test_a_page_with_a_hundred_links_is_no_farm(app, blog, httpserver):
    blog.trackback(page(httpserver, "/blogroll", farm(blog, 100)))
    assert blog.checked().status == CommentStatus.APPROVED


@pytest.mark.parametrize("body,content_type,reason", [
    ("{link}", "text/plain", "Held: its page is not an HTML page."),
    ("<ul><li><a href='{link}'>a link</a></li><li><a href='http://x.example/'>x</a></li></ul>", "text/html",
     "Held: its page has no text around the link to this post."),
])
def test_a_page_that_is_not_html_or_has_no_text_around_the_link_is_held(app, blog, httpserver, body, content_type,
                                                                         reason):
    source = page(httpserver, "/bare", body.format(link=f"<a href='{blog.permalink}'>x</a>" if content_type ==
                                                   "text/plain" else blog.permalink), content_type)
    blog.pingback(source)
    item = blog.checked()
    assert (item.status, item.verification, item.moderation_note) == (CommentStatus.PENDING, "verified", reason)
    switch(app, spam_hold_contextless=False)
    with app.app_context():
        db.session.execute(db.delete(Comment))
        db.session.commit()
    blog.pingback(source)
    assert blog.checked().status == CommentStatus.APPROVED


def test_the_allow_list_overrides_the_sender_check(app, blog, httpserver):
    switch(app, linkback_allow_sites="localhost")
    blog.pingback(page(httpserver, "/post", linking(blog)), sender="127.0.0.2")
    item = blog.checked()
    assert item.status == CommentStatus.APPROVED and "allow list" in item.moderation_note
