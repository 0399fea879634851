"""Security headers on every response (issue "Linkbacks never cost readers anything"): nosniff and
a strict Referrer-Policy everywhere; the admin, setup and login are never framed and run under a
Content-Security-Policy with no inline script, so no admin page may carry one."""

from __future__ import annotations

import pytest
from blog_testing import csrf_token
from bs4 import BeautifulSoup
from flask import url_for
from media_testing import image_bytes
from test_media_uploads import upload_json

from blog.security_headers import ADMIN_CONTENT_SECURITY_POLICY

EVERYWHERE = {"X-Content-Type-Options": "nosniff", "Referrer-Policy": "strict-origin-when-cross-origin"}


@pytest.fixture
def post(author):
    """A post with a picture and a link (so its edit page lists a queued delivery)."""
    body = "A post with ![a picture](https://images.example/p.png) about [a peer](http://127.0.0.1:9/peer)."
    return author.publish("Headers", body, tags="news")


@pytest.fixture
def comment_id(app, post, author, visitor) -> int:
    """A visitor's comment waiting in the moderation queue."""
    from blog.extensions import db
    from blog.models import Comment

    url = author.url_of(post)
    data = {"csrf_token": csrf_token(visitor, url), "name": "Reader", "email": "reader@example.com",
            "content": "Nice post."}
    assert visitor.post(f"/comment/{post.id}", data=data).status_code == 302
    with app.app_context():
        return db.session.execute(db.select(Comment.id)).scalar_one()


def assert_everywhere(response):
    for name, value in EVERYWHERE.items():
        assert response.headers.get(name) == value, (response.request.path, name)


def assert_admin(response):
    assert_everywhere(response)
    assert response.headers["Content-Security-Policy"] == ADMIN_CONTENT_SECURITY_POLICY
    assert "frame-ancestors 'none'" in response.headers["Content-Security-Policy"]
    assert "script-src 'self'" in response.headers["Content-Security-Policy"]
    assert "unsafe-inline" not in response.headers["Content-Security-Policy"]
    assert response.headers["X-Frame-Options"] == "DENY"


def assert_frameable(response):
    """Public pages for visitors: no frame protection, by choice (see blog/security_headers.py)."""
    assert "X-Frame-Options" not in response.headers
    assert "Content-Security-Policy" not in response.headers


def test_public_pages_send_nosniff_and_referrer_policy(author, post, visitor):
    for path in ("/", author.url_of(post), "/tag/news/", "/archives/"):
        response = visitor.get(path)
        assert response.status_code == 200, path
        assert_everywhere(response)
        assert_frameable(response)


def test_feeds_send_the_headers(author, post, visitor):
    for path in ("/feed/", "/tag/news/feed/"):
        response = visitor.get(path)
        assert response.mimetype == "application/atom+xml"
        assert_everywhere(response)


def test_linkback_endpoints_send_the_headers(author, post, visitor):
    rpc = visitor.post("/xmlrpc", data=b"<?xml version='1.0'?><methodCall><methodName>system.listMethods"
                       b"</methodName><params/></methodCall>", content_type="text/xml")
    assert rpc.status_code == 200 and rpc.mimetype == "text/xml"
    assert_everywhere(rpc)
    for path in ("/xmlrpc", "/webmention", author.url_of(post) + "trackback/"):
        response = visitor.get(path)
        assert response.status_code == 405, path
        assert_everywhere(response)


def test_error_pages_send_the_headers(author, visitor):
    response = visitor.get("/no/such/page/")
    assert response.status_code == 404
    assert_everywhere(response)
    assert_frameable(response)


def test_static_files_send_the_headers(visitor):
    for path in ("/static/css/blog.css", "/static/js/moderation.js"):
        response = visitor.get(path)
        assert response.status_code == 200, path
        assert_everywhere(response)
        response.close()


def test_setup_and_login_are_admin_screens(client):
    assert_admin(client.get("/setup"))
    assert_admin(client.get("/login"))


def admin_get_urls(app, ids: dict) -> list[str]:
    """Every GET URL of the admin (found in the URL map, so new pages are covered), ids filled in."""
    urls = []
    with app.test_request_context():
        for rule in app.url_map.iter_rules():
            if rule.rule.startswith("/admin") and "GET" in rule.methods:
                args = {name: ids.get(name, "1") for name in rule.arguments - set(rule.defaults or {})}
                urls.append(url_for(rule.endpoint, **args))
    return sorted(set(urls))


@pytest.fixture
def admin_pages(app, author, post, comment_id):
    """Every admin page as the logged-in author sees it, with content in it: (url, response) pairs,
    plus the editor's preview (which shows the post's own HTML), a refused form and a 404."""
    pages = []
    image = upload_json(author, image_bytes(), "box.png").get_json()  # the Media page, with something on it
    with app.app_context():  # a WordPress import's status page
        from blog.extensions import db
        from blog.models import WordPressImport

        db.session.add(WordPressImport(token="an-import", filename="old.xml"))
        db.session.commit()
    ids = {"post_id": post.id, "comment_id": comment_id, "item_id": image["id"], "token": "an-import"}
    for url in admin_get_urls(app, ids):
        response = author.client.get(url, follow_redirects=True)
        assert response.status_code == 200, url
        if response.mimetype != "text/html":  # a download (the WordPress export file) is no admin screen
            assert response.headers["Content-Disposition"].startswith("attachment"), url
            continue
        if not response.request.path.startswith("/admin"):  # sent on to a public page (a published post's preview)
            continue
        pages.append((url, response))
    preview = author.save("Previewed", "Text with ![x](https://images.example/x.png) and a [link](https://a.example/).",
                          action="preview")
    assert preview.status_code == 200 and "Preview" in preview.get_data(as_text=True)
    pages.append(("preview", preview))
    refused = author.client.post("/admin/settings/general", data={"blog_title": ""})  # no CSRF token
    pages.append(("refused form", refused))
    pages.append(("admin 404", author.client.get("/admin/no-such-page")))
    return pages


def test_admin_pages_have_a_content_security_policy_and_are_not_frameable(admin_pages):
    assert {"/admin/posts", "/admin/comments/", "/admin/settings/general"} <= {url for url, _ in admin_pages}
    for _, response in admin_pages:
        assert_admin(response)


def test_admin_pages_carry_no_inline_script_or_style(admin_pages):
    """The CSP allows no inline script or style: every script is a file, no on*= handler, no
    javascript: URL, no style attribute or element."""
    for url, response in admin_pages:
        assert response.mimetype == "text/html", url
        soup = BeautifulSoup(response.get_data(as_text=True), "html.parser")
        for script in soup.find_all("script"):
            assert script.get("src") and not script.string, (url, str(script))
        assert not soup.find_all("style"), url
        for tag in soup.find_all(True):
            for name, value in tag.attrs.items():
                assert not name.lower().startswith("on"), (url, str(tag))
                assert name.lower() != "style", (url, str(tag))
                values = value if isinstance(value, list) else [value]
                assert not any(str(v).strip().lower().startswith("javascript:") for v in values), (url, str(tag))


def test_admin_scripts_and_styles_come_from_the_site(admin_pages):
    for url, response in admin_pages:
        soup = BeautifulSoup(response.get_data(as_text=True), "html.parser")
        for script in soup.find_all("script"):
            assert script.get("src", "").startswith("/static/"), (url, str(script))
        for sheet in soup.select('link[rel="stylesheet"]'):
            assert sheet["href"].startswith("/static/"), url


def test_public_pages_seen_by_the_logged_in_owner_are_not_frameable(author, post):
    """Logged in, a post page acts as the owner (a comment is published at once): a logged-in screen."""
    for path in ("/", author.url_of(post), "/no/such/page/"):
        response = author.client.get(path)
        assert_everywhere(response)
        assert response.headers["X-Frame-Options"] == "DENY", path
        assert response.headers["Content-Security-Policy"] == "frame-ancestors 'none'", path
