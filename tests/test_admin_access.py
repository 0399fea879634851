"""Who may reach the admin: every /admin URL (found in the URL map, so new ones are covered) needs a
logged-in user, and every state-changing form refuses a missing or wrong CSRF token."""

from __future__ import annotations

from urllib.parse import urlsplit

import pytest
from blog_testing import PASSWORD, csrf_token, snapshot
from flask import url_for

from blog.comments import CommentInput, add_visitor_comment
from blog.extensions import db
from blog.media.tables import MediaItem
from blog.models import Post, User, WordPressImport


@pytest.fixture
def content(app, author):
    """A published post with a pending comment: ids for the URLs, and something to lose."""
    post = author.publish("Something to protect", "Body text.", tags="keep")
    with app.app_context():
        comment = add_visitor_comment(
            db.session.get(Post, post.id),
            CommentInput("Reader", "reader@example.com", "", "Nice post."),
            ip="192.0.2.1",
            user_agent="test",
        )
        image = MediaItem(path="2026/01/photo-0123abcd.jpg", original_name="photo.jpg", mime_type="image/jpeg",
                          width=10, height=10, byte_size=100, variant_widths=[], alt_text="A photo")
        db.session.add(image)
        db.session.add(WordPressImport(token="an-import", filename="old.xml"))  # its status page
        db.session.commit()
        return {"post_id": post.id, "comment_id": comment.id, "action": "approve", "item_id": image.id,
                "token": "an-import"}


def admin_urls(app, ids: dict, method: str) -> list[str]:
    """Every URL under /admin that takes `method`, with real ids filled in."""
    urls = []
    with app.test_request_context():
        for rule in app.url_map.iter_rules():
            if not rule.rule.startswith("/admin") or method not in rule.methods:
                continue
            args = {name: ids.get(name, "1") for name in rule.arguments - set(rule.defaults or {})}
            urls.append(url_for(rule.endpoint, **args))
    return sorted(set(urls))


def test_url_map_enumeration_finds_the_admin(app, content):
    gets, posts = admin_urls(app, content, "GET"), admin_urls(app, content, "POST")
    assert {"/admin/posts", "/admin/posts/new", "/admin/comments/", "/admin/settings/general"} <= set(gets)
    assert {f"/admin/posts/{content['post_id']}/delete", "/admin/settings/general"} <= set(posts)


def test_every_admin_page_opens_for_the_logged_in_author(app, author, content):
    for url in admin_urls(app, content, "GET"):
        response = author.client.get(url)
        assert response.status_code in (200, 302), url
        assert urlsplit(response.headers.get("Location", "")).path != "/login", url


@pytest.mark.parametrize("method", ["GET", "POST"])
def test_every_admin_url_sends_anonymous_visitors_to_login(app, content, method):
    anonymous = app.test_client()
    data = {"csrf_token": csrf_token(anonymous, "/login"), "title": "Hijacked", "blog_title": "Hijacked"}
    before = snapshot(app)
    urls = admin_urls(app, content, method)
    assert urls
    for url in urls:
        response = anonymous.open(url, method=method, data=data if method == "POST" else None)
        assert response.status_code == 302, (method, url)
        assert urlsplit(response.headers["Location"]).path == "/login", (method, url)
    assert snapshot(app) == before


def test_login_of_a_deleted_user_is_not_honoured(app, author):
    with app.app_context():
        db.session.execute(db.delete(User))
        db.session.commit()
    assert author.client.get("/admin/posts").status_code == 302


# --- CSRF on every state-changing form ---------------------------------------------------------


def csrf_cases(ids: dict) -> dict[str, tuple[str, dict]]:
    post_id, comment_id = ids["post_id"], ids["comment_id"]
    post_fields = {"title": "Changed", "body": "Changed body", "action": "publish"}
    settings = {"blog_title": "Changed", "tagline": "", "site_url": "", "posts_per_page": "3", "timezone": "UTC"}
    return {
        "new post": ("/admin/posts/new", post_fields),
        "edit post": (f"/admin/posts/{post_id}/edit", post_fields),
        "delete post": (f"/admin/posts/{post_id}/delete", {}),
        "trash post": (f"/admin/posts/{post_id}/trash", {}),
        "restore post": (f"/admin/posts/{post_id}/restore", {}),
        "empty trash": ("/admin/posts/trash/empty", {"asked_at": "2999-01-01T00:00:00+00:00"}),
        "approve comment": (f"/admin/comments/{comment_id}/approve", {}),
        "spam comment": (f"/admin/comments/{comment_id}/spam", {}),
        "trash comment": (f"/admin/comments/{comment_id}/trash", {}),
        "general settings": ("/admin/settings/general", settings),
        "logout": ("/logout", {}),
        "upload image": ("/admin/media/upload", {"alt_text": "A picture"}),
        "delete image": (f"/admin/media/{ids['item_id']}/delete", {}),
    }


def wrong_token(app) -> str:
    """A well-formed token that belongs to someone else's session."""
    return csrf_token(app.test_client(), "/login")


@pytest.mark.parametrize("token", ["missing", "garbage", "another session's"])
@pytest.mark.parametrize(
    "case",
    ["new post", "edit post", "delete post", "trash post", "restore post", "empty trash", "approve comment",
     "spam comment", "trash comment", "general settings", "logout", "upload image", "delete image"],
)
def test_admin_forms_refuse_a_bad_csrf_token_and_change_nothing(app, author, content, case, token):
    url, data = csrf_cases(content)[case]
    if token == "garbage":
        data = {**data, "csrf_token": "not-a-token"}
    elif token == "another session's":
        data = {**data, "csrf_token": wrong_token(app)}
    before = snapshot(app)
    response = author.client.post(url, data=data)
    assert response.status_code == 400
    assert "security token" in response.get_data(as_text=True)
    assert snapshot(app) == before
    assert author.client.get("/admin/posts").status_code == 200  # still logged in


@pytest.mark.parametrize("token", ["missing", "garbage", "another session's"])
def test_login_refuses_a_bad_csrf_token(app, author, token):
    client = app.test_client()
    client.get("/login")
    data = {"username": "admin", "password": PASSWORD}
    if token != "missing":
        data["csrf_token"] = "not-a-token" if token == "garbage" else wrong_token(app)
    response = client.post("/login", data=data)
    assert response.status_code == 400
    assert client.get("/admin/posts").status_code == 302


@pytest.mark.parametrize("token", ["missing", "garbage", "another session's"])
def test_setup_refuses_a_bad_csrf_token(app, client, token):
    client.get("/setup")
    data = {"blog_title": "Blog", "username": "admin", "password": PASSWORD, "email": "a@example.com"}
    if token != "missing":
        data["csrf_token"] = "not-a-token" if token == "garbage" else csrf_token(app.test_client(), "/setup")
    before = snapshot(app)
    response = client.post("/setup", data=data)
    assert response.status_code == 400
    assert snapshot(app) == before
    assert urlsplit(client.get("/").headers["Location"]).path == "/setup"
