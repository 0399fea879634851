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


class CookielessFastPath:
    """WSGI middleware serving stored pages to requests that carry no cookie."""

    def __init__(self, app: Flask, wsgi_app):
        self.app = app
        self.wsgi_app = wsgi_app
        self.store = PageStore(int(app.config["PAGE_CACHE_MAX_BYTES"]))
        self.engine: sa.Engine | None = None
        self.engine_lock = threading.Lock()

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
        # From a pool of the fast path's own, without a ping per checkout (an error falls back to Flask).
        with self._engine().connect() as connection:
            rows = connection.execute(generations_query(len(keys)), {f"k{i}": k for i, k in enumerate(keys)})
            found = {k: generation for k, generation in rows}
        return {k: found.get(k, 0) for k in keys} == entry.generations

    def _engine(self) -> sa.Engine:
        """An engine of the fast path's own, so its reads never wait for the app's pool (nor starve it)."""
        with self.engine_lock:
            if self.engine is None:
                config = self.app.config
                options = config.get("SQLALCHEMY_ENGINE_OPTIONS") or {}
                threads = int(config["SERVER_THREADS"])
                self.engine = sa.create_engine(
                    config["SQLALCHEMY_DATABASE_URI"], connect_args=options.get("connect_args", {}),
                    pool_size=threads, max_overflow=threads, pool_pre_ping=False,
                )
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
