"""Helpers the tests share (imported as `blog_testing`; fixtures live in conftest.py): building an
app on a temporary database, reading CSRF tokens, the first-run setup, an Author that drives the
real editor forms, a snapshot of every table, and a live server on a free loopback port."""

from __future__ import annotations

import re
import threading
from dataclasses import dataclass

from werkzeug.serving import make_server

from blog import create_app
from blog.extensions import db

PASSWORD = "correct horse battery"
CSRF_RE = re.compile(r'name="csrf_token"[^>]*value="([^"]+)"')


def make_app(tmp_path, monkeypatch, **overrides):
    """A fresh app with its own instance folder and SQLite file, tables created, loopback allowed."""
    instance = tmp_path / "instance"
    monkeypatch.setenv("BLOG_INSTANCE_PATH", str(instance))
    config = {
        "TESTING": True,
        "SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path / 'blog.sqlite'}",
        "SERVER_NAME": None,
        "LINKBACK_ALLOW_PRIVATE": True,
    }
    config.update(overrides)
    app = create_app(config)
    with app.app_context():
        db.create_all()
    return app


def csrf_token(client, path: str = "/login") -> str:
    """The CSRF token of the client's session, read from a page that holds a form."""
    match = CSRF_RE.search(client.get(path).get_data(as_text=True))
    assert match, f"no CSRF token on {path}"
    return match.group(1)


def run_setup(client, **fields):
    data = {"blog_title": "Test Blog", "username": "admin", "password": PASSWORD, "email": "admin@example.com"}
    data.update(fields)
    data["csrf_token"] = csrf_token(client, "/setup")
    return client.post("/setup", data=data)


def snapshot(app) -> dict[str, list[tuple]]:
    """Every row of every table: compared before and after a refused request."""
    with app.app_context():
        state = {
            table.name: sorted((tuple(row) for row in db.session.execute(table.select())), key=repr)
            for table in db.metadata.sorted_tables
        }
        db.session.remove()
    return state


@dataclass
class Author:
    """The blog's administrator, driving the real forms through a test client."""

    app: object
    client: object
    username: str = "admin"
    password: str = PASSWORD

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
            "trackback_urls": fields.pop("trackback_urls", ""),
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

    def url_of_external(self, post) -> str:
        """The absolute permalink, as the test client's requests build it (http://localhost/...)."""
        from blog.permalinks import post_url

        with self.app.test_request_context():
            return post_url(post, external=True)

    def url_of(self, post) -> str:
        from blog.permalinks import post_url

        with self.app.test_request_context():
            return post_url(post)



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

