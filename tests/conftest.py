"""Fixtures: a fresh app and SQLite database per test, a logged-in author, a live server."""

from __future__ import annotations

import re
import threading
from dataclasses import dataclass

import pytest
from werkzeug.serving import make_server

from blog import create_app
from blog.extensions import db

CSRF_RE = re.compile(r'name="csrf_token" type="hidden" value="([^"]+)"|name="csrf_token" value="([^"]+)"')


def make_app(tmp_path, monkeypatch, **overrides):
    instance = tmp_path / "instance"
    monkeypatch.setenv("BLOG_INSTANCE_PATH", str(instance))
    config = {
        "TESTING": True,
        "SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path / 'blog.sqlite'}",
        "SERVER_NAME": None,
    }
    config.update(overrides)
    app = create_app(config)
    with app.app_context():
        db.create_all()
    return app


@pytest.fixture
def app(tmp_path, monkeypatch):
    return make_app(tmp_path, monkeypatch)


@pytest.fixture
def client(app):
    return app.test_client()


def csrf_token(client, path: str = "/login") -> str:
    """The CSRF token of the client's session, read from a page that holds a form."""
    html = client.get(path).get_data(as_text=True)
    match = CSRF_RE.search(html)
    assert match, f"no CSRF token on {path}"
    return match.group(1) or match.group(2)


@dataclass
class Author:
    """The blog's administrator, driving the real forms through a test client."""

    app: object
    client: object
    username: str = "admin"
    password: str = "correct horse battery"

    def token(self) -> str:
        return csrf_token(self.client, "/admin/posts/new")

    def save(self, title: str, body: str = "", action: str = "publish", post_id: int | None = None, **fields):
        data = {
            "csrf_token": self.token(),
            "title": title,
            "body": body,
            "tags": fields.pop("tags", ""),
            "slug": fields.pop("slug", ""),
            "publish_date": fields.pop("publish_date", ""),
            "action": action,
        }
        if fields.pop("allow_comments", True):
            data["allow_comments"] = "y"
        if fields.pop("allow_pings", True):
            data["allow_pings"] = "y"
        assert not fields, f"unknown fields {fields}"
        url = f"/admin/posts/{post_id}/edit" if post_id else "/admin/posts/new"
        return self.client.post(url, data=data)

    def publish(self, title: str, body: str = "", **fields):
        """Publish through the editor; returns the stored Post (detached, attributes loaded)."""
        response = self.save(title, body, **fields)
        assert response.status_code == 302, response.get_data(as_text=True)
        post_id = int(response.headers["Location"].rstrip("/").split("/")[-2])
        return self.post(post_id)

    def post(self, post_id: int):
        from blog.models import Post

        with self.app.app_context():
            post = db.session.get(Post, post_id)
            post.tags  # noqa: B018 - load before the session closes
            db.session.expunge(post)
            return post

    def url_of(self, post) -> str:
        from blog.permalinks import post_url

        with self.app.test_request_context():
            return post_url(post)


def run_setup(client, **fields) -> object:
    data = {
        "blog_title": "Test Blog",
        "username": "admin",
        "password": "correct horse battery",
        "email": "admin@example.com",
    }
    data.update(fields)
    data["csrf_token"] = csrf_token(client, "/setup")
    return client.post("/setup", data=data)


@pytest.fixture
def author(app):
    client = app.test_client()
    response = run_setup(client)
    assert response.status_code == 302
    return Author(app, client)


@pytest.fixture
def visitor(app):
    return app.test_client()


class LiveServer:
    def __init__(self, app):
        self.app = app
        self.server = make_server("127.0.0.1", 0, app, threaded=True)
        self.port = self.server.socket.getsockname()[1]
        self.url = f"http://127.0.0.1:{self.port}"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def __enter__(self):
        self.thread.start()
        return self

    def __exit__(self, *exc):
        self.server.shutdown()
        self.server.server_close()
        self.thread.join(5)


@pytest.fixture
def live_server(app):
    with LiveServer(app) as server:
        yield server
