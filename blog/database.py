"""The database connection: engine options merged over the defaults, and a database that cannot be
used (a wrong URL, a server that does not answer, no tables yet) told in one line with the password
masked, for `serve`, `worker` and the migrations to print instead of a traceback."""

from __future__ import annotations

import re

import click
import sqlalchemy as sa
from flask import Flask
from sqlalchemy.engine import Connection, Engine

from . import config as default_config
from . import nul_bytes
from .extensions import db

EXAMPLE_URLS = "sqlite:////path/to/blog.sqlite or postgresql+psycopg://user:password@host/dbname"

# libpq's preamble before the reason ("connection failed: connection to server at "x", port 5432 failed: ")
_LIBPQ_PREAMBLE = re.compile(r"^(connection failed: )?(connection to server (at|on) .*? failed: )?(FATAL:\s+)?")
# user:password@ after an optional scheme, in a string that is not quite a URL
_PASSWORD_IN_URL = re.compile(r"^([^:/@]*://)?([^:/@]*):.*@")


class DatabaseUnusable(click.ClickException):
    """The configured database cannot be used. The message is one line, fit for a terminal or a log:
    a flask command prints it as "Error: …" and exits with status 1, no traceback."""


def init_app(app: Flask) -> None:
    """Bind the db extension with SQLALCHEMY_ENGINE_OPTIONS merged over blog/config.py's, so an instance
    config that adds pool_size keeps pool_pre_ping. A URL that cannot name a database raises
    DatabaseUnusable (the engine is built here, before any command runs)."""
    url = app.config["SQLALCHEMY_DATABASE_URI"] = with_installed_driver(app.config["SQLALCHEMY_DATABASE_URI"])
    options = {**default_config.SQLALCHEMY_ENGINE_OPTIONS, **(app.config.get("SQLALCHEMY_ENGINE_OPTIONS") or {})}
    if _is_postgresql_without_connect_timeout(url, options):
        # libpq waits for ever on a server that drops packets; `serve` should say so after a while
        timeout = app.config["DATABASE_CONNECT_TIMEOUT_SECONDS"]
        options["connect_args"] = {"connect_timeout": timeout, **options.get("connect_args", {})}
    app.config["SQLALCHEMY_ENGINE_OPTIONS"] = options
    nul_bytes.install()
    try:
        db.init_app(app)
    except sa.exc.NoSuchModuleError as error:
        raise DatabaseUnusable(
            f"Cannot use the database URL {masked_url(url)}: unknown kind of database {_scheme(url)!r} "
            f"(use {EXAMPLE_URLS})"
        ) from error
    except sa.exc.ArgumentError as error:
        raise DatabaseUnusable(
            f"Cannot use the database URL {masked_url(url)}: it is not a database URL (use {EXAMPLE_URLS})"
        ) from error
    except ImportError as error:
        raise DatabaseUnusable(
            f"Cannot use the database URL {masked_url(url)}: its driver is not installed ({error})"
        ) from error


def with_installed_driver(url: str) -> str:
    """postgresql:// (and Heroku-style postgres://) with the driver we ship, psycopg 3: SQLAlchemy's
    default for a bare postgresql:// is psycopg2, which is not installed."""
    if not isinstance(url, str):
        return url
    for bare in ("postgresql://", "postgres://"):
        if url.startswith(bare):
            return "postgresql+psycopg://" + url[len(bare):]
    return url


def masked_url(url: str | sa.URL) -> str:
    """The URL as it may be shown or logged: its password replaced by ***."""
    try:
        return sa.make_url(url).render_as_string(hide_password=True)
    except sa.exc.ArgumentError:
        return _PASSWORD_IN_URL.sub(r"\1\2:***@", str(url))


def describe_failure(error: BaseException) -> str:
    """What the driver said, in one line: "Connection refused", 'database "blog" does not exist'."""
    original = getattr(error, "orig", None) or error
    lines = str(original).strip().splitlines()
    if not lines:
        return type(original).__name__
    return _LIBPQ_PREAMBLE.sub("", lines[0].strip()) or lines[0].strip()


def unreachable(engine: Engine, error: BaseException) -> DatabaseUnusable:
    verb = "open" if engine.dialect.name == "sqlite" else "reach"
    return DatabaseUnusable(f"Cannot {verb} the database {masked_url(engine.url)}: {describe_failure(error)}")


def connect(engine: Engine) -> Connection:
    """A connection for a command (the migrations), or DatabaseUnusable saying why there is none."""
    try:
        return engine.connect()
    except sa.exc.DBAPIError as error:
        raise unreachable(engine, error) from error


def check_database() -> None:
    """Make sure the app's database answers and has the blog's tables (`serve` and `worker` call this
    at start); raise DatabaseUnusable with one line saying what is wrong."""
    from .models import Post

    engine = db.engine
    with connect(engine) as connection:
        try:
            connection.execute(sa.text("SELECT 1"))
            has_tables = sa.inspect(connection).has_table(Post.__tablename__)
        except sa.exc.DBAPIError as error:
            raise unreachable(engine, error) from error
    if not has_tables:
        raise DatabaseUnusable(
            f"The database {masked_url(engine.url)} has no blog tables yet: run `flask --app blog db upgrade`"
        )


def _is_postgresql_without_connect_timeout(url: str, options: dict) -> bool:
    try:
        parsed = sa.make_url(url)
    except sa.exc.ArgumentError:
        return False  # init_app says what is wrong with it
    return (
        parsed.get_backend_name() == "postgresql"
        and "connect_timeout" not in parsed.query
        and "connect_timeout" not in options.get("connect_args", {})
    )


def _scheme(url: str) -> str:
    return str(url).split(":", 1)[0]
