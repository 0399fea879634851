"""A self-hosted personal blog engine with linkbacks built in."""

from __future__ import annotations

import hashlib
import os
import secrets
from pathlib import Path

from flask import Flask
from sqlalchemy import event
from sqlalchemy.engine import Engine
from werkzeug.middleware.proxy_fix import ProxyFix

from . import config as default_config
from .extensions import csrf, db, login_manager, migrate

PROJECT_ROOT = Path(__file__).resolve().parent.parent


def create_app(test_config: dict | None = None) -> Flask:
    """Build the app: configuration in layers, extensions, blueprints and commands. Starts no threads."""
    app = Flask(
        __name__,
        instance_path=os.environ.get("BLOG_INSTANCE_PATH") or str(PROJECT_ROOT / "instance"),
        instance_relative_config=True,
        template_folder=str(PROJECT_ROOT / "templates"),
        static_folder=str(PROJECT_ROOT / "static"),
    )
    app.config.from_object(default_config)
    app.config.from_pyfile("config.py", silent=True)
    app.config.from_prefixed_env("BLOG")
    if test_config:
        app.config.update(test_config)

    Path(app.instance_path).mkdir(parents=True, exist_ok=True)
    app.config.setdefault(
        "SQLALCHEMY_DATABASE_URI", f"sqlite:///{Path(app.instance_path) / 'blog.sqlite'}"
    )
    if not app.config.get("SECRET_KEY"):
        app.config["SECRET_KEY"] = _instance_secret_key(Path(app.instance_path))
    if app.config["SESSION_COOKIE_NAME"] == "session":
        # Two blogs on one host (different ports) must not overwrite each other's login cookie.
        digest = hashlib.sha256(app.config["SQLALCHEMY_DATABASE_URI"].encode()).hexdigest()[:8]
        app.config["SESSION_COOKIE_NAME"] = f"blog_session_{digest}"

    if app.config["TRUSTED_PROXY_COUNT"]:
        hops = int(app.config["TRUSTED_PROXY_COUNT"])
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=hops, x_proto=hops, x_host=hops)

    db.init_app(app)
    migrate.init_app(app, db, directory=str(PROJECT_ROOT / "migrations"), render_as_batch=True)
    csrf.init_app(app)
    login_manager.init_app(app)

    from . import auth, security_headers, templating
    from .cli import register_commands
    from .views import admin_comments, editor, errors, linkbacks, public, settings
    from .views import auth as auth_views

    auth.init_app(app)
    templating.init_app(app)
    security_headers.init_app(app)
    for module in (public, linkbacks, auth_views, editor, admin_comments, settings, errors):
        app.register_blueprint(module.bp)
    register_commands(app)
    return app


def _instance_secret_key(instance: Path) -> str:
    """The secret key kept in the instance folder, created on first use (never a hard-coded key)."""
    path = instance / "secret_key"
    try:
        key = path.read_text().strip()
        if key:
            return key
    except FileNotFoundError:
        pass
    key = secrets.token_hex(32)
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:  # another process created it a moment ago
        return path.read_text().strip()
    with os.fdopen(fd, "w") as fh:
        fh.write(key)
    return key


@event.listens_for(Engine, "connect")
def _sqlite_pragmas(dbapi_connection, connection_record):
    """WAL (readers never wait for the writer) and foreign keys on, for every SQLite connection."""
    module = type(dbapi_connection).__module__
    if not module.startswith(("sqlite3", "pysqlite")):
        return
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA busy_timeout=10000")
    cursor.close()
