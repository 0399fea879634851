"""Helpers the tests share (imported as `blog_testing`; fixtures live in conftest.py): the test
database (a SQLite file, or a PostgreSQL schema, per test), building an app on it, reading CSRF
tokens, the first-run setup, an Author that drives the real editor forms, a snapshot of every table,
and a live server on a free loopback port."""

from __future__ import annotations

import os
import re
import secrets
import threading
from dataclasses import dataclass

import sqlalchemy as sa
from sqlalchemy.engine import Engine, make_url
from werkzeug.serving import make_server

from blog import create_app
from blog.extensions import db

PASSWORD = "correct horse battery"
CSRF_RE = re.compile(r'name="csrf_token"[^>]*value="([^"]+)"')


# BLOG_TEST_DATABASE_URL chooses the server: unset or "sqlite", a SQLite file per test; a PostgreSQL
# URL (postgresql+psycopg://postgres@127.0.0.1/test), a schema per test in that database.
TEST_DATABASE_URL = os.environ.get("BLOG_TEST_DATABASE_URL") or "sqlite"
if TEST_DATABASE_URL != "sqlite" and not TEST_DATABASE_URL.startswith("postgresql"):
    raise RuntimeError(f"BLOG_TEST_DATABASE_URL is 'sqlite' or a postgresql:// URL, not {TEST_DATABASE_URL!r}")
ON_POSTGRESQL = TEST_DATABASE_URL != "sqlite"

_uris: dict[tuple[str, str], str] = {}  # (folder, name) -> its database's URI
_schemas: list[str] = []  # made by this process and not dropped yet, oldest first
_engines: set[Engine] = set()  # every engine that connected to one of them (held until its schema goes)
_admin: Engine | None = None


def database_uri(folder, name: str = "blog") -> str:
    """The URI of the test database that belongs to `folder` (a test's tmp_path): a SQLite file in it,
    or, on PostgreSQL, a schema of its own that every connection lands in (search_path is in the URI,
    so subprocesses given the URI do too). The same folder and name give the same database, so a
    second app on it is a restart."""
    key = (str(folder), name)
    if key not in _uris:
        _uris[key] = _new_schema_uri() if ON_POSTGRESQL else f"sqlite:///{folder / f'{name}.sqlite'}"
    return _uris[key]


def _admin_engine() -> Engine:
    global _admin
    if _admin is None:
        url = make_url(TEST_DATABASE_URL).update_query_dict({"application_name": "blog-tests"})
        _admin = sa.create_engine(url, isolation_level="AUTOCOMMIT", pool_size=1)
    return _admin


def _new_schema_uri() -> str:
    schema = f"t_{secrets.token_hex(8)}"
    with _admin_engine().connect() as conn:
        conn.execute(sa.text(f"CREATE SCHEMA {schema}"))
    _schemas.append(schema)
    url = make_url(TEST_DATABASE_URL)
    options = " ".join(filter(None, [url.query.get("options"), f"-csearch_path={schema}"]))
    # application_name names the schema, so its leftover connections can be found and closed.
    url = url.update_query_dict({"options": options, "application_name": schema})
    return url.render_as_string(hide_password=False)


@sa.event.listens_for(Engine, "engine_connect")
def _remember_engine(connection):
    """Held, so its pool is closed before the schema is dropped (a pool dropped by the garbage
    collector leaves psycopg's "deleted while still open" warnings, errors here)."""
    if ON_POSTGRESQL and connection.engine.url.query.get("application_name") in _schemas:
        _engines.add(connection.engine)


def schemas_made() -> int:
    """How many PostgreSQL schemas this process has made so far (a mark for drop_schemas_since)."""
    return len(_schemas)


def drop_schemas_since(mark: int) -> None:
    """Drop the schemas made since `mark`, after closing every connection to them: the pools of
    our engines, then whatever is left (a killed worker's, a thread's)."""
    doomed = _schemas[mark:]
    if not doomed:
        return
    for engine in [e for e in _engines if e.url.query.get("application_name") in doomed]:
        engine.dispose()
        _engines.discard(engine)
    with _admin_engine().connect() as conn:
        conn.execute(
            sa.text("SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                    "WHERE application_name = ANY(:names) AND pid <> pg_backend_pid()"),
            {"names": doomed},
        )
        for schema in doomed:
            conn.execute(sa.text(f"DROP SCHEMA IF EXISTS {schema} CASCADE"))
    del _schemas[mark:]
    for key in [k for k, uri in _uris.items() if make_url(uri).query.get("application_name") in doomed]:
        del _uris[key]


def drop_all_schemas() -> None:
    """At the end of the session: the schemas shared by module-scoped fixtures, and the admin connection."""
    global _admin
    drop_schemas_since(0)
    if _admin is not None:
        _admin.dispose()
        _admin = None


def make_app(tmp_path, monkeypatch, **overrides):
    """A fresh app with its own instance folder and test database, tables created, loopback allowed."""
    instance = tmp_path / "instance"
    monkeypatch.setenv("BLOG_INSTANCE_PATH", str(instance))
    config = {
        "TESTING": True,
        "SQLALCHEMY_DATABASE_URI": database_uri(tmp_path),
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


def leave_comment(app, author, post, text: str, ip: str = "192.0.2.10") -> int:
    """A visitor (a client of their own, from their own address) sends the post's comment form;
    returns the stored comment's id."""
    from blog.models import Comment

    visitor = app.test_client()
    url = author.url_of(post)
    data = {"csrf_token": csrf_token(visitor, url), "name": "Reader", "email": "reader@example.com",
            "url": "", "content": text}
    response = visitor.post(f"/comment/{post.id}", data=data, environ_base={"REMOTE_ADDR": ip})
    assert response.status_code == 302, response.get_data(as_text=True)
    with app.app_context():
        return db.session.execute(db.select(Comment).filter_by(content=text)).scalar_one().id


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
        if "categories" in fields:  # the ids of the boxes ticked (else the form's default: none ticked)
            data["categories"] = [str(i) for i in fields.pop("categories")]
        if "new_category" in fields:
            data["new_category"] = fields.pop("new_category")
        if fields.pop("allow_comments", True):
            data["allow_comments"] = "y"
        if fields.pop("allow_pings", True):
            data["allow_pings"] = "y"
        assert not fields, f"unknown fields {fields}"
        url = f"/admin/posts/{post_id}/edit" if post_id else "/admin/posts/new"
        return self.client.post(url, data=data)

    def save_page(self, title: str, body: str = "", action: str = "publish", page_id: int | None = None,
                  **fields):
        """The page editor's form, sent as a browser sends it."""
        data = {
            "csrf_token": csrf_token(self.client, "/admin/pages/new"),
            "title": title,
            "body": body,
            "slug": fields.pop("slug", ""),
            "publish_date": fields.pop("publish_date", ""),
            "menu_order": str(fields.pop("menu_order", 0)),
            "trackback_urls": fields.pop("trackback_urls", ""),
            "action": action,
        }
        if fields.pop("allow_comments", True):
            data["allow_comments"] = "y"
        if fields.pop("allow_pings", True):
            data["allow_pings"] = "y"
        assert not fields, f"unknown fields {fields}"
        url = f"/admin/pages/{page_id}/edit" if page_id else "/admin/pages/new"
        return self.client.post(url, data=data)

    def publish_page(self, title: str, body: str = "", **fields):
        """Publish a page through its editor; returns the stored Post of kind "page"."""
        response = self.save_page(title, body, **fields)
        assert response.status_code == 302, response.get_data(as_text=True)
        return self.post(int(response.headers["Location"].rstrip("/").split("/")[-2]))

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
            post.categories  # noqa: B018
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



class LoopbackPeer:
    """A hand-written HTTP peer on a free loopback port (slow, counting, dripping...): subclasses pass
    their BaseHTTPRequestHandler class; `stopping` is set first at exit, so handlers that wait on it
    end at once and the threaded server shuts down promptly."""

    def __init__(self, handler):
        from http.server import ThreadingHTTPServer

        class Server(ThreadingHTTPServer):
            daemon_threads = True
            request_queue_size = 128  # several workers' concurrent connections, and more

        self.stopping = threading.Event()
        self.server = Server(("127.0.0.1", 0), handler)
        self.port = self.server.server_address[1]
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def url(self, path: str) -> str:
        return f"http://127.0.0.1:{self.port}{path}"

    def __enter__(self):
        self.thread.start()
        return self

    def __exit__(self, *exc):
        self.stopping.set()
        self.server.shutdown()
        self.server.server_close()
        self.thread.join(5)
