"""Migrations: running them from empty gives exactly the models' schema, and upgrading an existing
blog keeps its posts and comments. On SQLite and on PostgreSQL (BLOG_TEST_DATABASE_URL)."""

from __future__ import annotations

import warnings

import sqlalchemy as sa
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory
from blog_testing import database_uri
from flask_migrate import downgrade, upgrade

from blog import create_app
from blog.extensions import db, migrate
from blog.search_index import include_name, include_object


def _fresh_app(tmp_path, monkeypatch):
    monkeypatch.setenv("BLOG_INSTANCE_PATH", str(tmp_path / "inst"))
    return create_app({"SQLALCHEMY_DATABASE_URI": database_uri(tmp_path, "migrated")})


def test_migrations_from_empty_match_the_models(tmp_path, monkeypatch):
    app = _fresh_app(tmp_path, monkeypatch)
    with app.app_context():
        upgrade()
        with db.engine.connect() as conn:
            # The search index is not in the models (an FTS5 table, a generated column): compared apart.
            context = MigrationContext.configure(
                conn, opts={"include_name": include_name, "include_object": include_object}
            )
            with warnings.catch_warnings():  # SQLite cannot reflect the expression index (compared apart)
                warnings.filterwarnings("ignore", "Skipped unsupported reflection of expression-based index")
                warnings.filterwarnings("ignore", "autogenerate skipping metadata-specified expression-based index")
                diff = compare_metadata(context, db.metadata)
    assert diff == []


def test_upgrade_from_first_revision_keeps_posts_and_comments(tmp_path, monkeypatch):
    app = _fresh_app(tmp_path, monkeypatch)
    with app.app_context():
        config = migrate.get_config()
        revisions = list(ScriptDirectory.from_config(config).walk_revisions())
        first = revisions[-1].revision
        upgrade(revision=first)
        with db.engine.begin() as conn:
            conn.execute(sa.text(
                "INSERT INTO users (id, username, email, password_hash, created_at) "
                "VALUES (1, 'old', 'old@example.com', 'x', '2020-01-01 00:00:00')"
            ))
            conn.execute(sa.text(
                "INSERT INTO posts (id, title, slug, body_markdown, body_html, status, published_at, "
                "created_at, updated_at, author_id, allow_comments, allow_pings) VALUES (1, 'Old post', "
                "'old-post', 'hello', '<p>hello</p>', 'published', '2020-01-02 10:00:00', "
                "'2020-01-02 10:00:00', '2020-01-02 10:00:00', 1, TRUE, TRUE)"
            ))
            conn.execute(sa.text(
                "INSERT INTO comments (id, post_id, kind, status, author_name, author_email, author_url, "
                "content, ip, user_agent, created_at) VALUES (1, 1, 'comment', 'approved', 'Ann', "
                "'ann@example.com', '', 'Nice post', '127.0.0.1', 'test', '2020-01-03 09:00:00')"
            ))
        upgrade()
        with db.engine.connect() as conn:
            assert conn.execute(sa.text("SELECT title, body_html FROM posts")).all() == [
                ("Old post", "<p>hello</p>")
            ]
            assert conn.execute(sa.text("SELECT author_name, content FROM comments")).all() == [
                ("Ann", "Nice post")
            ]


def test_job_layer_migration_carries_protocol_state_into_columns(tmp_path, monkeypatch):
    """Issue "Linkbacks never cost readers anything": state read from message text moves to columns,
    duplicate linkbacks keep their data, and a trackback waiting for verification gets its check."""
    app = _fresh_app(tmp_path, monkeypatch)
    with app.app_context():
        upgrade(revision="43f6da588639")
        with db.engine.begin() as conn:
            conn.execute(sa.text(
                "INSERT INTO users (id, username, email, password_hash, created_at) "
                "VALUES (1, 'old', 'old@example.com', 'x', '2020-01-01 00:00:00')"
            ))
            conn.execute(sa.text(
                "INSERT INTO posts (id, title, slug, body_markdown, body_html, status, published_at, created_at, "
                "updated_at, author_id, allow_comments, allow_pings, trackback_urls) VALUES (1, 'P', 'p', '', '', "
                "'published', '2020-01-02 10:00:00', '2020-01-02 10:00:00', '2020-01-02 10:00:00', 1, TRUE, TRUE, '')"
            ))
            for id_, target, detail in [(1, "http://a.example/x", "Link removed: told the receiver. Accepted."),
                                        (2, "http://b.example/y", "Webmention accepted.")]:
                conn.execute(sa.text(
                    "INSERT INTO deliveries (id, post_id, target, origin, method, source_url, status, attempts, "
                    "detail, created_at, updated_at) VALUES (:id, 1, :target, 'link', 'webmention', "
                    "'http://blog.example/p', 'sent', 1, :detail, '2020-01-03', '2020-01-03')"
                ), {"id": id_, "target": target, "detail": detail})
            rows = [
                (1, "webmention", "trash", "HTTP://Src.Example/a#x", "Taken down: The source is gone (410).", None),
                (2, "pingback", "approved", "http://dup.example/p", "", "verified"),
                (3, "pingback", "pending", "http://DUP.example:80/p", "", "verified"),
                (4, "trackback", "pending", "http://tb.example/t", "", "pending"),
                (5, "comment", "approved", "http://commenter.example/", "", None),
            ]
            for id_, kind, status, url, note, verification in rows:
                conn.execute(sa.text(
                    "INSERT INTO comments (id, post_id, kind, status, author_name, author_email, author_url, content, "
                    "ip, user_agent, created_at, verification, verification_note, moderation_note, target_url, "
                    "author_photo) VALUES (:id, 1, :kind, :status, 'n', '', :url, 'c', '', '', '2020-01-04', "
                    ":verification, '', :note, '', '')"
                ), {"id": id_, "kind": kind, "status": status, "url": url, "note": note, "verification": verification})
        upgrade()
        with db.engine.connect() as conn:
            assert conn.execute(sa.text("SELECT id, removal_announced FROM deliveries ORDER BY id")).all() == [
                (1, True), (2, False)
            ]
            assert conn.execute(sa.text(
                "SELECT id, source_key, taken_down_at IS NOT NULL, content FROM comments ORDER BY id"
            )).all() == [
                (1, "http://src.example/a", True, "c"),
                (2, "http://dup.example/p", False, "c"),
                (3, None, False, "c"),  # the later duplicate keeps its data, without the key
                (4, "http://tb.example/t", False, "c"),
                (5, None, False, "c"),
            ]
            assert conn.execute(sa.text("SELECT comment_id FROM linkback_checks")).scalars().all() == [4]


def _old_blog_with_posts(app, site_url: str):
    """A blog as it was before feed ids were stored: Site URL and time zone set, a published post (its
    old feed id was its permalink, dated in the blog's zone), a draft, a comment."""
    upgrade(revision="b8e2d4f61c3a")
    with db.engine.begin() as conn:
        conn.execute(sa.text(
            "INSERT INTO users (id, username, email, password_hash, created_at) "
            "VALUES (1, 'old', 'old@example.com', 'x', '2020-01-01 00:00:00')"
        ))
        for key, value in [("site_url", f'"{site_url}"'), ("timezone", '"America/New_York"')]:
            conn.execute(sa.text("INSERT INTO settings (key, value) VALUES (:key, :value)"),
                         {"key": key, "value": value})
        for id_, slug, status, published in [(1, "old-post", "published", "2020-01-02 03:00:00"),
                                             (2, "draft", "draft", None)]:
            conn.execute(sa.text(
                "INSERT INTO posts (id, title, slug, body_markdown, body_html, status, published_at, created_at, "
                "updated_at, author_id, allow_comments, allow_pings, trackback_urls) VALUES (:id, 'P', :slug, '', "
                "'', :status, :published, '2019-12-30 10:00:00', '2020-01-05 08:00:00', 1, TRUE, TRUE, '')"
            ), {"id": id_, "slug": slug, "status": status, "published": published})
        conn.execute(sa.text(
            "INSERT INTO comments (id, post_id, kind, status, author_name, author_email, author_url, content, ip, "
            "user_agent, created_at, verification_note, moderation_note, target_url, author_photo) VALUES "
            "(1, 1, 'comment', 'approved', 'Ann', '', '', 'Nice', '', '', '2020-01-03 09:00:00', '', '', '', '')"
        ))


def test_feed_id_migration_keeps_the_ids_readers_have(tmp_path, monkeypatch):
    """Issue "Feeds and addresses": existing readers must not see old entries as new. A published post
    keeps its permalink as id (date in the blog's zone: 03:00 UTC is the evening before in New York);
    a draft, never in a feed, gets a tag: URI; content_updated_at starts as the last save."""
    app = _fresh_app(tmp_path, monkeypatch)
    with app.app_context():
        _old_blog_with_posts(app, "https://blog.example.com")
        upgrade()
        with db.engine.connect() as conn:
            assert conn.execute(sa.text("SELECT id, feed_id FROM posts ORDER BY id")).all() == [
                (1, "https://blog.example.com/2020/01/01/old-post/"),
                (2, "tag:blog.example.com,2019-12-30:post-2"),
            ]
            assert {str(v)[:19] for v in conn.execute(sa.text("SELECT content_updated_at FROM posts")).scalars()} \
                == {"2020-01-05 08:00:00"}
            assert conn.execute(sa.text("SELECT value FROM settings WHERE key = 'feed_tag_authority'")).scalar() \
                == '"blog.example.com"'
    feed = app.test_client().get("/feed/")
    assert b"<id>https://blog.example.com/2020/01/01/old-post/</id>" in feed.data


def test_feed_id_migration_without_site_url_keeps_the_permalink_as_id(tmp_path, monkeypatch):
    """With no Site URL recorded the migration cannot know the host readers used: the feed goes on
    giving the permalink, on the host asked, as before."""
    app = _fresh_app(tmp_path, monkeypatch)
    with app.app_context():
        _old_blog_with_posts(app, "")
        upgrade()
        with db.engine.connect() as conn:
            assert conn.execute(sa.text("SELECT feed_id FROM posts")).scalars().all() == [None, None]
    feed = app.test_client().get("/feed/", base_url="http://old.example")
    assert b"<id>http://old.example/2020/01/01/old-post/</id>" in feed.data


def test_feed_id_migration_downgrade_keeps_posts_and_comments(tmp_path, monkeypatch):
    app = _fresh_app(tmp_path, monkeypatch)
    with app.app_context():
        _old_blog_with_posts(app, "https://blog.example.com")
        upgrade()
        downgrade(revision="b8e2d4f61c3a")
        with db.engine.connect() as conn:
            assert conn.execute(sa.text("SELECT count(*) FROM posts")).scalar() == 2
            assert conn.execute(sa.text("SELECT content FROM comments")).scalars().all() == ["Nice"]


def test_author_profile_migration_keeps_users_logged_in_and_posts_intact(tmp_path, monkeypatch):
    """Issue 13 (profile): the new user columns come with defaults, so an existing owner keeps their
    name on posts and can log in as before; downgrading keeps posts and comments."""
    app = _fresh_app(tmp_path, monkeypatch)
    with app.app_context():
        _old_blog_with_posts(app, "https://blog.example.com")
        upgrade(revision="c5f1a9e3d7b2")
        upgrade()
        with db.engine.connect() as conn:
            assert conn.execute(sa.text(
                "SELECT username, display_name, website, photo, session_version FROM users"
            )).all() == [("old", "", "", "", 0)]
            assert conn.execute(sa.text("SELECT count(*) FROM posts")).scalar() == 2
        from blog.authors import author_card
        from blog.models import User

        with app.test_request_context():
            user = db.session.get(User, 1)
            assert user.get_id() == "1:0" and author_card(user).name == "old"
        db.session.remove()
        downgrade(revision="c5f1a9e3d7b2")
        with db.engine.connect() as conn:
            assert conn.execute(sa.text("SELECT username FROM users")).scalars().all() == ["old"]
            assert conn.execute(sa.text("SELECT count(*) FROM posts")).scalar() == 2
            assert conn.execute(sa.text("SELECT content FROM comments")).scalars().all() == ["Nice"]


def test_comment_counts_migration_counts_existing_comments_and_keeps_counting(tmp_path, monkeypatch):
    """Issue 11 (scale): the counts start from the comments an existing blog has, the triggers count what
    comes after, and downgrading and upgrading again starts over from the rows."""
    app = _fresh_app(tmp_path, monkeypatch)
    with app.app_context():
        _old_blog_with_posts(app, "https://blog.example.com")
        upgrade()
        from blog.comment_counts import counts_by_kind_and_status

        assert counts_by_kind_and_status() == {("comment", "approved"): 1}
        with db.engine.begin() as conn:
            conn.execute(sa.text("UPDATE comments SET status = 'spam' WHERE id = 1"))
            conn.execute(sa.text(
                "INSERT INTO comments (id, post_id, kind, status, author_name, author_email, author_url, content, ip, "
                "user_agent, created_at, verification_note, moderation_note, target_url, author_photo) VALUES "
                "(2, 1, 'pingback', 'pending', 'Bob', '', 'http://b.example/', 'x', '', '', '2020-01-04 09:00:00', "
                "'', '', '', '')"
            ))
        db.session.remove()
        assert counts_by_kind_and_status() == {("comment", "spam"): 1, ("pingback", "pending"): 1}
        db.session.remove()
        downgrade(revision="8f19492091a8")
        upgrade()
        assert counts_by_kind_and_status() == {("comment", "spam"): 1, ("pingback", "pending"): 1}
        db.session.remove()
