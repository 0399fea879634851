"""A self-hosted personal blog engine with linkbacks built in."""

from __future__ import annotations

import hashlib
import os
import secrets
import tempfile
from pathlib import Path

from flask import Flask
from sqlalchemy import event
from sqlalchemy.engine import Engine
from werkzeug.middleware.proxy_fix import ProxyFix

from . import comment_counts as _comment_counts  # noqa: F401 - its table and triggers belong to db.metadata
from . import config as default_config
from . import database
from .extensions import csrf, db, login_manager, migrate
from .media import tables as _media_tables  # noqa: F401 - its table belongs to db.metadata
from .revisions import tables as _revision_tables  # noqa: F401 - its tables belong to db.metadata
from .spam import tables as _spam_tables  # noqa: F401 - its tables belong to db.metadata

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

    database.init_app(app)  # SQLALCHEMY_ENGINE_OPTIONS merged over the defaults; a bad URL in one line
    migrate.init_app(app, db, directory=str(PROJECT_ROOT / "migrations"), render_as_batch=True)
    csrf.init_app(app)
    login_manager.init_app(app)

    from . import auth, comment_html, page_cache, security_headers, static_versions, templating
    from .cli import register_commands
    from .compression import Compression
    from .views import (
        admin_comments,
        categories,
        dashboard,
        editor,
        errors,
        feeds,
        health,
        linkbacks,
        media,
        old_addresses,
        profile,
        profile_photos,
        public,
        revisions,
        seo,
        settings,
        tools,
        uploads,
    )
    from .views import auth as auth_views

    auth.init_app(app)
    templating.init_app(app)
    security_headers.init_app(app)
    for module in (public, uploads, feeds, seo, linkbacks, auth_views, dashboard, editor, revisions, media,
                   admin_comments, categories, settings, profile, profile_photos, tools, health, old_addresses, errors):
        app.register_blueprint(module.bp)
    register_commands(app)
    app.cli.add_command(comment_html.rerender_command)
    static_versions.init_app(app)
    page_cache.init_app(app)  # last: see its docstring
    if app.config["COMPRESS_RESPONSES"]:
        app.wsgi_app = Compression(app.wsgi_app, min_bytes=int(app.config["COMPRESS_MIN_BYTES"]))
    return app


def _instance_secret_key(instance: Path) -> str:
    """The secret key kept in the instance folder, created on first use (never a hard-coded key).

    Written whole to a private temporary file, then linked into place: a process racing us (four
    gunicorn workers starting on a new instance) reads either no file or the whole key, never an
    empty one; an empty file left by a crash is replaced."""
    path = instance / "secret_key"
    for _ in range(3):
        try:
            key = path.read_text().strip()
        except FileNotFoundError:
            key = ""
        if key:
            return key
        fd, temporary = tempfile.mkstemp(dir=instance, prefix=".secret_key.")  # mode 0600
        try:
            with os.fdopen(fd, "w") as fh:
                fh.write(secrets.token_hex(32))
                fh.flush()
                os.fsync(fh.fileno())
            if path.exists() and not path.read_text().strip():
                path.unlink(missing_ok=True)  # left empty by a crash before this change
            try:
                os.link(temporary, path)
            except FileExistsError:
                pass  # another process linked its key first: read it on the next turn
        finally:
            os.unlink(temporary)
    raise RuntimeError(f"cannot create the secret key file {path}")


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
