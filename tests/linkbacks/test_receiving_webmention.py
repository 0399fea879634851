"""Receiving webmentions over real HTTP: the 400 cases, 201 with its status page, verification in
the worker (success and each failure), microformats (reply with author, like, repost), update,
delete by 410 and by link removal, moderation."""

from __future__ import annotations

import pytest
import requests
from bs4 import BeautifulSoup

from blog.extensions import db
from blog.jobs import run_due_jobs
from blog.models import Comment, CommentStatus
from blog.site_settings import save_settings


@pytest.fixture
def blog(app, author, live_server):
    post = author.publish("Target post", "Something worth mentioning.")

    class Blog:
        url = live_server.url
        target = live_server.url + author.url_of(post)
        post_id = post.id

        @staticmethod
        def send(source, target=None, **extra):
            data = {"source": source, "target": target or Blog.target, **extra}
            return requests.post(Blog.url + "/webmention", data=data, timeout=10, allow_redirects=False)

        @staticmethod
        def work():
            with app.app_context():
                return run_due_jobs()["webmentions"]

        @staticmethod
        def mentions():
            with app.app_context():
                rows = db.session.execute(db.select(Comment).order_by(Comment.id)).scalars().all()
                db.session.expunge_all()
                return rows

    return Blog


def serve(httpserver, path, body, status=200, content_type="text/html"):
    httpserver.expect_request(path).respond_with_data(body, status=status, content_type=content_type)
    return httpserver.url_for(path)


def approve_all(app):
    with app.app_context():
        db.session.execute(db.update(Comment).values(status=CommentStatus.APPROVED))
        db.session.commit()


@pytest.mark.parametrize(
    ("data", "reason"),
    [
        ({"target": "TARGET"}, "missing_source"),
        ({"source": "http://a.example/"}, "missing_target"),
        ({"source": "mailto:a@b.c", "target": "TARGET"}, "invalid_source"),
        ({"source": "not a url", "target": "TARGET"}, "invalid_source"),
        ({"source": "http://a.example/", "target": "gopher://x/"}, "invalid_target"),
        ({"source": "TARGET", "target": "TARGET"}, "invalid_source"),
        ({"source": "http://a.example/", "target": "http://elsewhere.example/post/"}, "invalid_target"),
        ({"source": "http://a.example/", "target": "HOME"}, "invalid_target"),
    ],
)
def test_bad_requests_get_400_with_a_reason(blog, data, reason):
    data = {k: v.replace("TARGET", blog.target).replace("HOME", blog.url + "/") for k, v in data.items()}
    response = requests.post(blog.url + "/webmention", data=data, timeout=10)
    assert response.status_code == 400 and response.text.startswith(reason)
    assert "Location" not in response.headers


def test_closed_post_gets_400(blog, author):
    author.save("Target post", "x", post_id=blog.post_id, allow_pings=False)
    response = blog.send("http://a.example/p")
    assert response.status_code == 400 and response.text.startswith("target_closed")


def test_valid_request_gets_201_with_a_status_page(blog, httpserver):
    source = serve(httpserver, "/s", f'<p>See <a href="{blog.target}">this</a>.</p>')
    response = blog.send(source)
    assert response.status_code == 201
    status_url = response.headers["Location"]
    assert "queued" in requests.get(status_url, timeout=5).text
    assert httpserver.log == []  # verification is not done in the request
    assert blog.work() == 1
    assert "accepted" in requests.get(status_url, timeout=5).text


def test_endpoint_is_advertised_on_every_page(blog):
    for url in (blog.url + "/", blog.target):
        response = requests.get(url, timeout=5)
        assert f'<{blog.url}/webmention>; rel="webmention"' in response.headers["Link"]
        link = BeautifulSoup(response.text, "html.parser").find("link", rel="webmention")
        assert link["href"] == blog.url + "/webmention"


def test_plain_mention_is_stored_pending_with_the_context(blog, httpserver):
    source = serve(httpserver, "/s", f'<html><head><title>A page</title></head><body><p>I read '
                                     f'<a href="{blog.target}">this post</a> today.</p></body></html>')
    blog.send(source)
    blog.work()
    (stored,) = blog.mentions()
    assert (stored.kind, stored.status, stored.mention_type, stored.author_name) == (
        "webmention", "pending", "mention", "A page"
    )
    assert stored.content == "I read this post today." and stored.verification == "verified"


def test_reply_with_author_from_microformats(app, blog, httpserver):
    html = (
        '<article class="h-entry"><a class="p-author h-card" href="https://ann.example/">'
        '<img class="u-photo" src="https://ann.example/me.jpg" alt="">Ann Author</a>'
        f'<a class="u-in-reply-to" href="{blog.target}">in reply</a>'
        '<div class="e-content">Great point, I agree.</div></article>'
    )
    blog.send(serve(httpserver, "/reply", html))
    blog.work()
    (stored,) = blog.mentions()
    assert (stored.mention_type, stored.author_name, stored.author_photo, stored.content) == (
        "reply", "Ann Author", "https://ann.example/me.jpg", "Great point, I agree."
    )
    approve_all(app)
    page = requests.get(blog.target, timeout=5).text
    assert "Reply:" in page and "Great point, I agree." in page


@pytest.mark.parametrize(("prop", "kind", "label"), [("u-like-of", "like", "Liked by"),
                                                     ("u-repost-of", "repost", "Reposted by")])
def test_like_and_repost_show_as_a_compact_row(app, blog, httpserver, prop, kind, label):
    html = (
        f'<div class="h-entry"><span class="p-author h-card">Bob</span>'
        f'<a class="{prop}" href="{blog.target}">this</a></div>'
    )
    blog.send(serve(httpserver, "/r", html))
    blog.work()
    assert blog.mentions()[0].mention_type == kind
    approve_all(app)
    row = BeautifulSoup(requests.get(blog.target, timeout=5).text, "html.parser").select_one(f".reaction-{kind}")
    assert label in row.get_text() and row.find("a").get_text() == "Bob"
    assert "nofollow" in row.find("a")["rel"]


def test_link_in_an_image_counts(blog, httpserver):
    blog.send(serve(httpserver, "/img", f'<img src="{blog.target}" alt="">'))
    blog.work()
    assert len(blog.mentions()) == 1


@pytest.mark.parametrize(
    ("body", "status", "reason"),
    [
        ("<p>No link at all. TARGET as text</p>", 200, "does not link"),
        ("gone", 404, "HTTP 404"),
    ],
)
def test_failed_verification_is_rejected_with_the_reason(blog, httpserver, body, status, reason):
    response = blog.send(serve(httpserver, "/bad", body.replace("TARGET", blog.target), status=status))
    blog.work()
    assert blog.mentions() == []
    assert reason in requests.get(response.headers["Location"], timeout=5).text


def test_unreachable_source_is_rejected(blog):
    response = blog.send("http://no-such-host.invalid/post")
    blog.work()
    assert "could not be fetched" in requests.get(response.headers["Location"], timeout=5).text


def test_second_webmention_updates_the_stored_item(blog, httpserver):
    html = '<div class="h-entry"><div class="e-content">First version <a href="{t}">x</a></div></div>'
    source = serve(httpserver, "/u", html.format(t=blog.target))
    blog.send(source)
    blog.work()
    httpserver.clear()
    serve(httpserver, "/u", html.replace("First", "Second").format(t=blog.target))
    blog.send(source)
    blog.work()
    (stored,) = blog.mentions()
    assert "Second version" in stored.content


@pytest.mark.parametrize("gone", ["410", "meta", "unlinked"])
def test_deleted_or_unlinked_source_takes_the_mention_down(app, blog, httpserver, gone):
    source = serve(httpserver, "/d", f'<a href="{blog.target}">x</a>')
    blog.send(source)
    blog.work()
    approve_all(app)
    httpserver.clear()
    if gone == "410":
        serve(httpserver, "/d", "Deleted", status=410)
    elif gone == "meta":
        serve(httpserver, "/d", '<meta http-equiv="Status" content="410 Gone"><p>Deleted</p>')
    else:
        serve(httpserver, "/d", "<p>The link was edited out.</p>")
    response = blog.send(source)
    blog.work()
    (stored,) = blog.mentions()
    assert stored.status == "trash" and stored.moderation_note.startswith("Taken down")
    assert "Taken down" in requests.get(response.headers["Location"], timeout=5).text
    assert source not in requests.get(blog.target, timeout=5).text


def test_moderation_rules_apply(app, blog, httpserver):
    with app.app_context():
        save_settings({"disallowed_keys": "casino"})
    blog.send(serve(httpserver, "/casino-news", f'<a href="{blog.target}">x</a>'))
    blog.work()
    (stored,) = blog.mentions()
    assert stored.status == "spam" and "casino" in stored.moderation_note


def test_get_explains_the_endpoint(blog):
    response = requests.get(blog.url + "/webmention", timeout=5)
    assert response.status_code == 405 and "Webmention" in response.text
