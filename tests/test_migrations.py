"""Migrations: running them from empty gives exactly the models' schema, and upgrading an existing
blog keeps its posts and comments."""

from __future__ import annotations

import sqlalchemy as sa
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory
from flask_migrate import upgrade

from blog import create_app
from blog.extensions import db, migrate


def _fresh_app(tmp_path, monkeypatch):
    monkeypatch.setenv("BLOG_INSTANCE_PATH", str(tmp_path / "inst"))
    return create_app({"SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path / 'migrated.sqlite'}"})


def test_migrations_from_empty_match_the_models(tmp_path, monkeypatch):
    app = _fresh_app(tmp_path, monkeypatch)
    with app.app_context():
        upgrade()
        with db.engine.connect() as conn:
            diff = compare_metadata(MigrationContext.configure(conn), db.metadata)
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
                "'2020-01-02 10:00:00', '2020-01-02 10:00:00', 1, 1, 1)"
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
