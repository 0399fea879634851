"""`flask copy-database --to URL` (issue "Run on PostgreSQL"): a SQLite blog with something in every table moves
to a fresh PostgreSQL schema row for row and serves from there; a target holding a blog, a source behind the
migrations and a wrong URL are refused in one line; a copy whose counts differ leaves nothing behind."""

from __future__ import annotations

import secrets
import socket
import xmlrpc.client
from datetime import timedelta
from urllib.parse import urlencode

import pytest
import sqlalchemy as sa
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from blog_testing import ON_POSTGRESQL, Author, csrf_token, database_uri, snapshot
from flask_migrate import upgrade

from blog import create_app
from blog.comments import CommentInput, add_visitor_comment, set_comment_status
from blog.extensions import db, migrate
from blog.media.tables import MediaItem
from blog.models import (
    Comment,
    CommentStatus,
    Delivery,
    DeliveryStatus,
    OutgoingMail,
    Post,
    PostAddress,
    WordPressImport,
    utcnow,
)
from blog.revisions.tables import PostAutosave, PostRevision
from blog.site_settings import save_settings
from blog.spam.screening import count_discarded
from blog.spam.training import learn

POSTGRES = "postgresql+psycopg://postgres@127.0.0.1/test"
POSTGRES_SERVER = ("127.0.0.1", 5432)


def _blog_config(uri: str) -> dict:
    return {"TESTING": True, "SQLALCHEMY_DATABASE_URI": uri, "SERVER_NAME": None, "LINKBACK_ALLOW_PRIVATE": True}


@pytest.fixture
def app(tmp_path, monkeypatch):
    """A SQLite blog whose schema the migrations made, as `flask db upgrade` makes it (so it is at the head
    revision; conftest's app uses create_all)."""
    monkeypatch.setenv("BLOG_INSTANCE_PATH", str(tmp_path / "instance"))
    app = create_app(_blog_config(f"sqlite:///{tmp_path / 'blog.sqlite'}"))
    with app.app_context():
        upgrade()
    return app


@pytest.fixture
def postgres_url(tmp_path):
    """A fresh PostgreSQL schema, named in the URL's search_path, dropped afterwards: the suite's own
    server during the PostgreSQL run (a private one on a fresh machine), else the one on 127.0.0.1."""
    if ON_POSTGRESQL:
        yield database_uri(tmp_path, "target")
        return
    try:
        socket.create_connection(POSTGRES_SERVER, timeout=2).close()
    except OSError:
        pytest.skip("PostgreSQL does not answer on 127.0.0.1:5432")
    schema = f"t_{secrets.token_hex(6)}"
    admin = sa.create_engine(POSTGRES, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.exec_driver_sql(f"CREATE SCHEMA {schema}")
    try:
        yield f"{POSTGRES}?options=-csearch_path%3D{schema}"
    finally:
        with admin.connect() as conn:
            conn.exec_driver_sql(f"DROP SCHEMA {schema} CASCADE")
        admin.dispose()


@pytest.fixture
def target_app(app, postgres_url):
    """The blog configured for the PostgreSQL schema, as after setting BLOG_SQLALCHEMY_DATABASE_URI."""
    target = create_app(_blog_config(postgres_url))
    yield target
    with target.app_context():
        db.engine.dispose()


@pytest.fixture
def full_blog(app, author):
    """Something in every table: posts with tags, comments and a reply, the spam filter's lessons, a
    pingback and a trackback waiting for their source checks, a webmention received, deliveries in several
    states, settings, rate counters, a mail."""
    client = app.test_client()
    first = author.publish("First post", "I read [this](http://peer.example/article) and [that](http://other.example/).",
                           tags="travel, food", trackback_urls="http://peer.example/trackback/1")
    author.publish("Second post", "Nothing to link.", tags="food")
    author.save("A draft", "Not yet.", action="draft")
    permalink = author.url_of_external(first)

    with app.app_context():
        save_settings({"thread_comments": True, "tagline": "Moved with everything in it"})
        post = db.session.get(Post, first.id)
        ann = add_visitor_comment(post, CommentInput("Ann", "ann@example.com", "", "Lovely."), ip="192.0.2.1",
                                  user_agent="t", now=utcnow() - timedelta(hours=2))
        set_comment_status(ann, CommentStatus.APPROVED)
        reply = add_visitor_comment(post, CommentInput("Bob", "bob@example.com", "https://bob.example/", "Agreed.",
                                                       parent_id=ann.id), ip="192.0.2.2", user_agent="t")
        set_comment_status(reply, CommentStatus.APPROVED)
        later = add_visitor_comment(post, CommentInput("Cy", "cy@example.com", "", "Hm."), ip="192.0.2.3",
                                    user_agent="t")
        set_comment_status(later, CommentStatus.APPROVED)
        # A reply stored before its parent (ids out of order, as an import may leave them): copied in id order,
        # its parent_id can only be set once the parent is there.
        db.session.get(Comment, ann.id).parent_id = later.id
        deliveries = db.session.scalars(db.select(Delivery).order_by(Delivery.id)).all()
        assert len(deliveries) >= 2
        statuses = [DeliveryStatus.SENT, DeliveryStatus.RETRYING, DeliveryStatus.FAILED]
        for delivery, status in zip(deliveries, statuses, strict=False):
            delivery.status = status
            delivery.attempts = 2
            delivery.detail = f"{status} for the test"
            delivery.next_attempt_at = utcnow() + timedelta(minutes=4)
        db.session.add(OutgoingMail(recipient="admin@example.com", subject="Please moderate", message="Subject: x\n\n"))
        learn(db.session.get(Comment, later.id), "ham")  # the spam filter's counts and its lesson
        count_discarded()
        # Rows of the later features' tables: an old address, an uploaded image's record, an import.
        db.session.add(PostAddress(path="/2020/01/01/an-old-slug/", post_id=first.id))
        db.session.add(MediaItem(path="2026/01/photo-0123abcd.jpg", original_name="photo.jpg", mime_type="image/jpeg",
                                 width=10, height=10, byte_size=100, variant_widths=[], alt_text="A photo"))
        db.session.add(WordPressImport(token="an-import", filename="old.xml"))
        db.session.add(PostRevision(post_id=first.id, title="An older title", body_markdown="Older text."))
        db.session.add(PostAutosave(post_id=first.id, title="A newer title", body_markdown="Newer text."))
        db.session.commit()

    answer = client.post("/xmlrpc", data=xmlrpc.client.dumps(("http://pinger.example/p", permalink), "pingback.ping"),
                         content_type="text/xml")
    assert b"<fault>" not in answer.data, answer.data
    trackback = client.post(permalink + "trackback/", content_type="application/x-www-form-urlencoded",
                            data=urlencode({"url": "http://tracker.example/t", "title": "Theirs", "blog_name": "B"}))
    assert b"<error>0</error>" in trackback.data, trackback.data
    mention = client.post("/webmention", data={"source": "http://mentioner.example/m", "target": permalink})
    assert mention.status_code == 201, mention.data

    tables = snapshot(app)
    assert all(tables.values()), [name for name, rows in tables.items() if not rows]
    return blog_state(tables)


def blog_state(tables: dict[str, list[tuple]]) -> dict[str, list[tuple]]:
    """A snapshot with the comment counts as what they add up to: the target's triggers write their own rows
    for the comments copied, so the rows differ while the counts must not."""
    counts: dict[tuple[str, str], int] = {}
    for _, kind, status, delta in tables.pop("comment_count_deltas"):
        counts[(kind, status)] = counts.get((kind, status), 0) + delta
    return {**tables, "comment counts": sorted((key, n) for key, n in counts.items() if n)}


def copy_database(app, target: str, *options: str):
    return app.test_cli_runner().invoke(args=["copy-database", "--to", target, *options])


def table_rows(url: str) -> dict[str, int]:
    engine = sa.create_engine(url)
    try:
        with engine.connect() as conn:
            return {table.name: conn.execute(sa.select(sa.func.count()).select_from(table)).scalar_one()
                    for table in db.metadata.sorted_tables if sa.inspect(conn).has_table(table.name)}
    finally:
        engine.dispose()


def test_copy_moves_every_row_to_postgresql(app, full_blog, postgres_url, target_app):
    result = copy_database(app, postgres_url, "--batch-rows", "2")  # several batches per table
    assert result.exit_code == 0, result.output
    assert blog_state(snapshot(target_app)) == full_blog
    assert "comments" in result.output and "every table has as many rows on both sides" in result.output
    with target_app.app_context():  # made by the migrations: a later `flask db upgrade` starts from head
        heads = ScriptDirectory.from_config(migrate.get_config()).get_heads()
        with db.engine.connect() as conn:
            assert MigrationContext.configure(conn).get_current_heads() == tuple(heads)


def test_blog_serves_from_postgresql_after_the_copy(app, full_blog, postgres_url, target_app):
    assert copy_database(app, postgres_url).exit_code == 0
    visitor = target_app.test_client()
    visitor.environ_base["REMOTE_ADDR"] = "198.51.100.7"  # not an address whose flood counter was copied
    home = visitor.get("/").get_data(as_text=True)
    assert "First post" in home and "Second post" in home and "A draft" not in home

    last_id = max(c.id for c in _comments(target_app))
    page = next(link for link in _links(home) if link.endswith("/first-post/"))
    sent = visitor.post(f"/comment/{_post_id(target_app, 'first-post')}", data={
        "csrf_token": csrf_token(visitor, page), "name": "Dee", "email": "dee@example.com", "url": "",
        "content": "Hello from PostgreSQL.",
    })
    assert sent.status_code == 302, sent.get_data(as_text=True)
    assert [(c.id, c.content) for c in _comments(target_app)][-1] == (last_id + 1, "Hello from PostgreSQL.")

    owner = target_app.test_client()
    login = owner.post("/login", data={"csrf_token": csrf_token(owner), "username": "admin",
                                       "password": Author.password})
    assert login.status_code == 302
    new = Author(target_app, owner).publish("Written on PostgreSQL", "It works.")
    assert new.id == max(row[0] for row in full_blog["posts"]) + 1
    assert "Written on PostgreSQL" in visitor.get("/").get_data(as_text=True)


def test_second_copy_into_the_same_target_is_refused_and_changes_nothing(app, full_blog, postgres_url, target_app):
    assert copy_database(app, postgres_url).exit_code == 0
    before = snapshot(target_app)
    result = copy_database(app, postgres_url)
    assert result.exit_code == 1
    assert "already holds a blog" in result.output
    assert snapshot(target_app) == before


def test_copy_whose_counts_differ_is_rolled_back(app, full_blog, postgres_url, target_app):
    """A target that loses rows silently (here a trigger) must not end up half-copied."""
    with target_app.app_context():
        upgrade()  # an empty schema already there is fine: a failed copy leaves one
        with db.engine.begin() as conn:
            conn.exec_driver_sql("CREATE FUNCTION drop_row() RETURNS trigger LANGUAGE plpgsql "
                                 "AS $$ BEGIN RETURN NULL; END $$")
            conn.exec_driver_sql("CREATE TRIGGER drop_counters BEFORE INSERT ON rate_counters "
                                 "FOR EACH ROW EXECUTE FUNCTION drop_row()")
        db.engine.dispose()
    result = copy_database(app, postgres_url)
    assert result.exit_code == 1
    assert "rate_counters" in result.output and "rolled back" in result.output
    rows = table_rows(postgres_url)
    assert rows.pop("categories") == 1  # the migrations' "Uncategorized", back as it was
    assert set(rows.values()) == {0}

    with target_app.app_context():
        with db.engine.begin() as conn:
            conn.exec_driver_sql("DROP TRIGGER drop_counters ON rate_counters")
        db.engine.dispose()
    assert copy_database(app, postgres_url).exit_code == 0
    assert blog_state(snapshot(target_app)) == full_blog


def _assert_one_line_naming(result, *words: str) -> None:
    assert result.exit_code == 1
    assert isinstance(result.exception, SystemExit), result.exception
    assert "Traceback" not in result.output
    assert len(result.output.strip().splitlines()) == 1, result.output
    assert "secret" not in result.output and "***" in result.output
    for word in words:
        assert word in result.output


def test_unknown_driver_is_one_line(app):
    _assert_one_line_naming(copy_database(app, "postgresql+nosuchdriver://blog:secret@127.0.0.1/blog"),
                            "postgresql+nosuchdriver")


def test_unreachable_server_is_one_line(app):
    _assert_one_line_naming(copy_database(app, "postgresql+psycopg://blog:secret@127.0.0.1:1/blog"),
                            "Cannot connect", "127.0.0.1:1", "Connection refused")


def test_wrong_database_name_is_one_line(app, postgres_url):
    _assert_one_line_naming(copy_database(app, "postgresql+psycopg://postgres:secret@127.0.0.1/no_such_blog"),
                            'database "no_such_blog" does not exist')


def test_text_that_is_no_url_is_one_line(app):
    result = copy_database(app, "blog on the big server")
    assert result.exit_code == 1 and len(result.output.strip().splitlines()) == 1
    assert "not a database URL" in result.output


def test_copy_into_its_own_database_is_refused(app, tmp_path):
    result = copy_database(app, f"sqlite:///{tmp_path / 'blog.sqlite'}")
    assert result.exit_code == 1
    assert "is the database this blog already uses" in result.output


def test_source_behind_the_migrations_is_refused(tmp_path, monkeypatch):
    monkeypatch.setenv("BLOG_INSTANCE_PATH", str(tmp_path / "instance"))
    old = create_app(_blog_config(f"sqlite:///{tmp_path / 'old.sqlite'}"))
    with old.app_context():
        upgrade(revision="466d436330b8")
    target = tmp_path / "new.sqlite"
    result = copy_database(old, f"sqlite:///{target}")
    assert result.exit_code == 1
    assert "flask --app blog db upgrade" in result.output
    assert table_rows(f"sqlite:///{target}") == {}


def _comments(app) -> list[Comment]:
    with app.app_context():
        rows = db.session.scalars(db.select(Comment).order_by(Comment.id)).all()
        db.session.expunge_all()
        return rows


def _post_id(app, slug: str) -> int:
    with app.app_context():
        return db.session.execute(db.select(Post.id).filter_by(slug=slug)).scalar_one()


def _links(html: str) -> list[str]:
    from bs4 import BeautifulSoup

    return [a["href"] for a in BeautifulSoup(html, "html.parser").select("a[href]")]
