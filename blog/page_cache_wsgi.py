"""The page cache's fast path, in front of Flask: a GET without any cookie (a first visit, a crawler, a feed
reader) for a page the cache holds is answered from memory with the headers Flask gave it, after one look at
the page's generations in the database, without running Flask at all. Anything else goes through Flask, where
blog/page_cache.py decides (and stores what this path serves)."""

from __future__ import annotations

import hashlib
import logging
import os
import threading
import time

import sqlalchemy as sa
from flask import Flask
from itsdangerous import URLSafeTimedSerializer
from werkzeug.http import dump_cookie, is_resource_modified, parse_date

from .page_cache import TOKEN_PLACEHOLDER, WIRE_KEY, Entry, PageStore, generations_query

logger = logging.getLogger(__name__)
DROPPED_HEADERS = {"set-cookie", "content-length", "date", "x-page-cache"}
PLACEHOLDER = TOKEN_PLACEHOLDER.encode()


def cache_key(environ) -> str:
    """The address a page is kept under: scheme, host, script name, path and query (absolute links on a page
    are built on the request's host when no Site URL is set)."""
    query = environ.get("QUERY_STRING", "")
    return (f"{environ.get('wsgi.url_scheme', 'http')}://{environ.get('HTTP_HOST', '')}"
            f"{environ.get('SCRIPT_NAME', '')}{environ.get('PATH_INFO', '')}{'?' + query if query else ''}")


def _autocommit(dbapi_connection, _record) -> None:
    """psycopg reads in autocommit (sqlite3 already does for a SELECT outside a transaction)."""
    if type(dbapi_connection).__module__.startswith("psycopg"):
        dbapi_connection.autocommit = True


class CookielessFastPath:
    """WSGI middleware serving stored pages to requests that carry no cookie."""

    def __init__(self, app: Flask, wsgi_app):
        self.app = app
        self.wsgi_app = wsgi_app
        self.store = PageStore(int(app.config["PAGE_CACHE_MAX_BYTES"]))
        self.engine: sa.Engine | None = None
        self.engine_lock = threading.Lock()
        self.statements: dict[int, tuple[str, tuple[str, ...] | None]] = {}

    def __call__(self, environ, start_response):
        if (environ.get("REQUEST_METHOD") not in ("GET", "HEAD") or environ.get("HTTP_COOKIE")
                or not self.app.config["PAGE_CACHE"]):
            return self.wsgi_app(environ, start_response)
        key = cache_key(environ)
        entry = self.store.get(key)
        try:
            current = entry is not None and self._current(entry)
        except Exception:  # the database is down or restarted: Flask answers (and shows the error page)
            logger.warning("page cache: could not read the generations", exc_info=True)
            current = False
        if current:
            return self._serve(entry, environ, start_response)
        return self._render(key, environ, start_response)

    def _current(self, entry: Entry) -> bool:
        if entry.expires_at is not None and time.time() >= entry.expires_at:
            return False
        keys = tuple(entry.generations)
        found = dict(self._read_generations(keys))
        return {k: found.get(k, 0) for k in keys} == entry.generations

    def _read_generations(self, keys: tuple[str, ...]) -> list[tuple[str, int]]:
        """The stored generations of `keys`, through the driver's own cursor on a connection of the fast path's
        pool (in autocommit, not reset on return: each read sees what is committed then, and nothing is left
        to roll back). SQLAlchemy's Connection, its reset on return and its result objects cost twice what the
        rest of a cache hit did, and each call into the driver gives up the GIL to the other threads."""
        sql, names = self._statement(len(keys))
        values = {f"k{i}": k for i, k in enumerate(keys)}
        connection = self._engine().raw_connection()
        try:
            cursor = connection.cursor()
            cursor.execute(sql, tuple(values[name] for name in names) if names else values)
            rows = cursor.fetchall()
            cursor.close()
        except Exception:
            connection.invalidate()  # not given back to the pool: the next read gets a new one
            raise
        finally:
            connection.close()
        return rows

    def _statement(self, count: int) -> tuple[str, tuple[str, ...] | None]:
        """generations_query(count) compiled for this database's driver: its SQL, and the order of its
        parameters for a driver that takes them by position (None: by name)."""
        statement = self.statements.get(count)
        if statement is None:
            compiled = generations_query(count).compile(dialect=self._engine().dialect)
            names = tuple(compiled.positiontup) if compiled.positional else None
            statement = self.statements[count] = (str(compiled), names)
        return statement

    def _engine(self) -> sa.Engine:
        """An engine of the fast path's own, so its reads never wait for the app's pool (nor starve it). Its
        connections only read, in autocommit, so the pool does not roll them back on return."""
        if self.engine is not None:  # every cache hit asks: no lock once it is made
            return self.engine
        with self.engine_lock:
            if self.engine is None:
                config = self.app.config
                options = config.get("SQLALCHEMY_ENGINE_OPTIONS") or {}
                threads = int(config["SERVER_THREADS"])
                engine = sa.create_engine(
                    config["SQLALCHEMY_DATABASE_URI"], connect_args=options.get("connect_args", {}),
                    pool_size=threads, max_overflow=threads, pool_pre_ping=False, pool_reset_on_return=None,
                )
                sa.event.listen(engine, "connect", _autocommit)
                with engine.connect():  # a first connection, and the engine_connect listeners told of it
                    pass
                self.engine = engine
            return self.engine

    def _render(self, key: str, environ, start_response):
        captured = {}

        def capture(status, headers, exc_info=None):
            captured["status"], captured["headers"] = status, headers
            return start_response(status, headers, exc_info)

        result = self.wsgi_app(environ, capture)
        stored = environ.get(WIRE_KEY)
        if stored is None or not captured.get("status", "").startswith("200"):
            return result
        entry: Entry = stored["entry"]
        headers = tuple((k, v) for k, v in captured["headers"] if k.lower() not in DROPPED_HEADERS)
        self.store.put(key, Entry(
            generations=entry.generations, status=200, headers=headers, body=entry.body,
            stored_at=entry.stored_at, expires_at=entry.expires_at, g_values=(),
        ))
        return result

    def _serve(self, entry: Entry, environ, start_response):
        headers = list(entry.headers)
        body = entry.body
        if PLACEHOLDER in body:
            cookie, token = self._new_session()
            body = body.replace(PLACEHOLDER, token.encode())
            headers.append(("Set-Cookie", cookie))
        else:
            etag = next((v for k, v in headers if k == "ETag"), None)
            modified = next((v for k, v in headers if k == "Last-Modified"), None)
            if not is_resource_modified(environ, etag=etag and etag.strip('"'),
                                        last_modified=parse_date(modified) if modified else None):
                kept = [(k, v) for k, v in headers if k.lower() not in ("content-type", "content-language")]
                start_response("304 NOT MODIFIED", kept)
                return [b""]
        headers.append(("Content-Length", str(len(body))))
        headers.append(("X-Page-Cache", "hit"))
        start_response("200 OK", headers)
        return [b""] if environ["REQUEST_METHOD"] == "HEAD" else [body]

    def _new_session(self) -> tuple[str, str]:
        """A new session holding a CSRF token, as Flask-WTF's generate_csrf() makes one: the Set-Cookie value
        and the token for the page's form."""
        app, interface = self.app, self.app.session_interface
        raw = hashlib.sha1(os.urandom(64)).hexdigest()
        field = app.config.get("WTF_CSRF_FIELD_NAME", "csrf_token")
        secret = app.config.get("WTF_CSRF_SECRET_KEY") or app.secret_key
        token = URLSafeTimedSerializer(secret, salt="wtf-csrf-token").dumps(raw)
        value = interface.get_signing_serializer(app).dumps({field: raw})
        cookie = dump_cookie(
            interface.get_cookie_name(app), value, domain=interface.get_cookie_domain(app),
            path=interface.get_cookie_path(app), secure=interface.get_cookie_secure(app),
            httponly=interface.get_cookie_httponly(app), samesite=interface.get_cookie_samesite(app),
            partitioned=interface.get_cookie_partitioned(app),
        )
        return cookie, token
