"""The app factory: configuration layers, the generated secret key, SQLite pragmas, no threads."""

from __future__ import annotations

import threading

import pytest
import sqlalchemy as sa
from blog_testing import csrf_token, database_uri, make_app, run_setup

from blog import create_app
from blog.extensions import db
from blog.models import RateCounter


def test_defaults_then_instance_config_then_environment(tmp_path, monkeypatch):
    instance = tmp_path / "instance"
    instance.mkdir()
    (instance / "config.py").write_text("POST_MAX_CHARS = 1234\nCOMMENT_MAX_CHARS = 99\n")
    monkeypatch.setenv("BLOG_INSTANCE_PATH", str(instance))
    monkeypatch.setenv("BLOG_COMMENT_MAX_CHARS", "77")
    monkeypatch.setenv("BLOG_SQLALCHEMY_DATABASE_URI", f"sqlite:///{tmp_path / 'env.sqlite'}")
    app = create_app()
    assert app.config["LOGIN_MAX_FAILURES"] == 5  # default from blog/config.py
    assert app.config["POST_MAX_CHARS"] == 1234  # instance/config.py
    assert app.config["COMMENT_MAX_CHARS"] == 77  # BLOG_* wins over the instance file
    assert app.config["SQLALCHEMY_DATABASE_URI"].endswith("env.sqlite")


def test_database_defaults_to_sqlite_in_instance_folder(tmp_path, monkeypatch):
    monkeypatch.setenv("BLOG_INSTANCE_PATH", str(tmp_path / "inst"))
    monkeypatch.delenv("BLOG_SQLALCHEMY_DATABASE_URI", raising=False)
    app = create_app()
    assert app.config["SQLALCHEMY_DATABASE_URI"] == f"sqlite:///{tmp_path / 'inst' / 'blog.sqlite'}"


def test_secret_key_generated_once_and_kept(tmp_path, monkeypatch):
    monkeypatch.setenv("BLOG_INSTANCE_PATH", str(tmp_path / "inst"))
    monkeypatch.delenv("BLOG_SECRET_KEY", raising=False)
    first = create_app().config["SECRET_KEY"]
    second = create_app().config["SECRET_KEY"]
    key_file = tmp_path / "inst" / "secret_key"
    assert len(first) >= 64 and first == second == key_file.read_text().strip()
    assert key_file.stat().st_mode & 0o077 == 0  # readable by the owner only


def test_configured_secret_key_is_used_and_nothing_written(tmp_path, monkeypatch):
    monkeypatch.setenv("BLOG_INSTANCE_PATH", str(tmp_path / "inst"))
    monkeypatch.setenv("BLOG_SECRET_KEY", "from-the-environment")
    assert create_app().config["SECRET_KEY"] == "from-the-environment"
    assert not (tmp_path / "inst" / "secret_key").exists()


def test_two_blogs_get_different_session_cookies(tmp_path, monkeypatch):
    monkeypatch.setenv("BLOG_INSTANCE_PATH", str(tmp_path / "inst"))
    one = create_app({"SQLALCHEMY_DATABASE_URI": database_uri(tmp_path, "a")})
    two = create_app({"SQLALCHEMY_DATABASE_URI": database_uri(tmp_path, "b")})
    assert one.config["SESSION_COOKIE_NAME"] != two.config["SESSION_COOKIE_NAME"]


@pytest.mark.sqlite_only("WAL and foreign keys are SQLite pragmas")
def test_sqlite_runs_in_wal_mode_with_foreign_keys(app):
    with app.app_context():
        with db.engine.connect() as conn:
            assert conn.execute(sa.text("PRAGMA journal_mode")).scalar() == "wal"
            assert conn.execute(sa.text("PRAGMA foreign_keys")).scalar() == 1


def test_create_app_starts_no_threads(tmp_path, monkeypatch):
    monkeypatch.setenv("BLOG_INSTANCE_PATH", str(tmp_path / "inst"))
    before = set(threading.enumerate())
    create_app({"SQLALCHEMY_DATABASE_URI": database_uri(tmp_path)})
    assert set(threading.enumerate()) == before


@pytest.mark.parametrize(("proxies", "expected"), [(0, "10.0.0.1"), (1, "203.0.113.9")])
def test_client_address_from_trusted_proxy_only(tmp_path, monkeypatch, proxies, expected):
    """Lockout and flood control go by the client address; behind a configured proxy it comes
    from X-Forwarded-For, and without one the header is ignored (it could be forged)."""
    app = make_app(tmp_path, monkeypatch, TRUSTED_PROXY_COUNT=proxies)
    client = app.test_client()
    run_setup(client)
    client.post("/logout", data={"csrf_token": csrf_token(client, "/admin/posts/new")})
    client.post(
        "/login",
        data={"username": "admin", "password": "wrong", "csrf_token": csrf_token(client)},
        headers={"X-Forwarded-For": "203.0.113.9"},
        environ_base={"REMOTE_ADDR": "10.0.0.1"},
    )
    with app.app_context():
        assert db.session.execute(db.select(RateCounter.key)).scalars().all() == [f"login:{expected}"]
