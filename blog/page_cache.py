"""The full-page cache for anonymous readers, and HTTP caching of public pages.

Every public page depends on a few *generation* counters kept in the database (`page_generations`): "site"
(settings, users, tags, anything not known to leave pages alone), "posts" (every list of posts: home, tag,
month, feeds, sitemap) and "post:<slug>" (one post's page and comment feed). A write that changes what readers
see bumps the counters it affects in its own transaction (session events below), so every process on every
machine sees the change as soon as it is committed. Each process keeps rendered pages in memory together with
the generations read *before* they were rendered; a page is served from memory only while those generations
are still current, so it is never stale. Logged-in users and visitors with a pending comment (or a message
waiting to be shown) bypass it and get `Cache-Control: private, no-store`."""

from __future__ import annotations

import threading
import time
from collections import OrderedDict
from dataclasses import dataclass
from datetime import UTC, datetime

import sqlalchemy as sa
from flask import Flask, Response, current_app, g, request, session
from flask_login import current_user
from flask_wtf.csrf import generate_csrf
from sqlalchemy import event
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Mapped, Session, mapped_column
from werkzeug.middleware.proxy_fix import ProxyFix

from .comments import OWN_COMMENTS_KEY
from .extensions import db
from .http_caching import REVALIDATE, etag_of
from .models import Comment, CommentStatus, Post, PostStatus

# Tables whose rows never show on a public page: writing them leaves the cache alone.
PRIVATE_TABLES = frozenset({
    "page_generations", "deliveries", "moderation_events", "incoming_webmentions", "linkback_checks",
    "outgoing_mail", "rate_counters", "spam_tokens", "spam_examples", "spam_counters", "login_failures",
    "wordpress_imports", "post_revisions", "post_autosaves",
})  # fmt: skip

# Rendered in place of the comment form's CSRF token; each visitor's own token replaces it when served.
TOKEN_PLACEHOLDER = "\x00page-cache-csrf-token\x00"
WIRE_KEY = "blog.page_cache.wire"  # environ: a page for the fast path (blog/page_cache_wsgi.py) to keep
PRIVATE = "private, no-store"
PRIVATE_REVALIDATE = "private, no-cache"
# Headers a view sets that belong to the stored page (the rest are added by after-request hooks, each time).
KEPT_HEADERS = ("Content-Type", "Cache-Control", "ETag", "Last-Modified", "Content-Language")
# What a view leaves in `g` that after-request hooks read (views/public.py: X-Pingback for this post).
KEPT_G = ("pingbacks_open",)


class PageGeneration(db.Model):
    """How many times the pages depending on `key` have changed."""

    __tablename__ = "page_generations"

    key: Mapped[str] = mapped_column(sa.String(100), primary_key=True)
    generation: Mapped[int] = mapped_column(default=0)


def page_keys(endpoint: str | None, view_args: dict | None) -> tuple[str, ...] | None:
    """The generations a public page depends on, or None for a page this cache never keeps."""
    args = view_args or {}
    if endpoint in ("public.post", "feeds.post_comments"):
        return ("site", f"post:{args.get('slug', '')}")
    if endpoint in ("public.index", "public.tag", "public.month", "public.archives", "feeds.posts", "feeds.tag",
                    "feeds.comments", "seo.sitemap_xml", "seo.sitemap_file"):
        return ("site", "posts")
    if endpoint == "seo.robots_txt":
        return ("site",)
    return None


# -- invalidation: bumping generations in the writing transaction ---------------------------------------------


def bump_generations(connection: sa.Connection, keys: set[str]) -> None:
    """Add one to each key's generation (creating it), in sorted order so concurrent writers never deadlock."""
    table = PageGeneration.__table__
    dialect = {"sqlite": sqlite, "postgresql": postgresql}[connection.dialect.name]
    for key in sorted(keys):
        statement = dialect.insert(table).values(key=key[:100], generation=1)
        connection.execute(statement.on_conflict_do_update(
            index_elements=[table.c.key], set_={"generation": table.c.generation + 1}
        ))


def _history_values(obj, name: str) -> set:
    """The attribute's value before and after the pending change (loading it when it was expired)."""
    history = sa.inspect(obj).attrs[name].history
    values = {*history.added, *history.unchanged, *history.deleted}
    return values or {getattr(obj, name)}


def _shown_comment(comment: Comment) -> bool:
    """Whether readers see (or saw, before this change) the comment."""
    return CommentStatus.APPROVED in _history_values(comment, "status")


def _changes(session: Session) -> tuple[set[str], set[int]]:
    """The keys the session's pending changes affect, and the ids of posts whose slug is still to be found."""
    keys, post_ids = set(), set()
    objects = [*session.new, *session.deleted, *(o for o in session.dirty if session.is_modified(o))]
    for obj in objects:
        table = getattr(obj, "__tablename__", None)
        if table in PRIVATE_TABLES:
            continue
        if isinstance(obj, Comment):
            if _shown_comment(obj):
                keys.add("posts")
                post_ids.update(i for i in _history_values(obj, "post_id") if i is not None)
                post = obj.__dict__.get("post")  # given as an object, its id not yet set
                if post is not None:
                    keys.add(f"post:{post.slug}")
        elif isinstance(obj, Post):
            if PostStatus.PUBLISHED in _history_values(obj, "status"):
                keys.add("posts")
                keys.update(f"post:{slug}" for slug in _history_values(obj, "slug") if slug)
        else:
            keys.add("site")
    return keys, post_ids


@event.listens_for(Session, "before_flush")
def _note_changes(session: Session, _context, _instances) -> None:
    keys, post_ids = _changes(session)
    if keys:
        pending = session.info.setdefault("page_cache_changes", (set(), set()))
        pending[0].update(keys)
        pending[1].update(post_ids)


@event.listens_for(Session, "after_flush")
def _bump_noted(session: Session, _context) -> None:
    keys, post_ids = session.info.pop("page_cache_changes", (set(), set()))
    if not keys:
        return
    connection = session.connection()
    if post_ids:
        slugs = connection.execute(sa.select(Post.__table__.c.slug).where(Post.__table__.c.id.in_(post_ids)))
        keys |= {f"post:{slug}" for slug in slugs.scalars()}
    bump_generations(connection, keys)


@event.listens_for(Session, "do_orm_execute")
def _bump_for_bulk_statements(state) -> None:
    """A bulk UPDATE, DELETE or INSERT (scheduled posts going live, emptying the spam, applying defaults to every
    post) may change any page: everything is invalidated, unless its table is private."""
    if not (state.is_update or state.is_delete or state.is_insert):
        return
    table = getattr(state.statement, "table", None)
    if getattr(table, "name", None) in PRIVATE_TABLES:
        return
    bump_generations(state.session.connection(), {"site"})


def _generations_query(count: int) -> sa.TextClause:
    names = ", ".join(f":k{i}" for i in range(count))
    return sa.text(f"SELECT key, generation FROM page_generations WHERE key IN ({names})")


GENERATIONS_QUERIES = {count: _generations_query(count) for count in (1, 2)}  # text: no compiling per request


def generations_query(count: int) -> sa.TextClause:
    query = GENERATIONS_QUERIES.get(count)
    return _generations_query(count) if query is None else query


def read_generations(keys: tuple[str, ...]) -> dict[str, int]:
    """The current generation of each key (0 for one never bumped). Asked on every public page view: one
    primary-key lookup, written as text so that building the statement costs nothing."""
    rows = db.session.connection().execute(generations_query(len(keys)), {f"k{i}": k for i, k in enumerate(keys)})
    found = {key: generation for key, generation in rows}
    return {key: found.get(key, 0) for key in keys}


# -- the store ------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Entry:
    generations: dict[str, int]
    status: int
    headers: tuple[tuple[str, str], ...]
    body: bytes
    stored_at: datetime
    expires_at: float | None  # time.time(): when the page changes by itself (comments closing)
    g_values: tuple[tuple[str, object], ...]


class PageStore:
    """Rendered pages by address, least recently used dropped first once they pass `max_bytes`. One per app."""

    def __init__(self, max_bytes: int):
        self.max_bytes = max_bytes
        self.bytes = 0
        self.entries: OrderedDict[str, Entry] = OrderedDict()
        self.lock = threading.Lock()
        self.settings: tuple[int, dict] | None = None  # (site generation, the settings then)

    def get(self, key: str) -> Entry | None:
        with self.lock:
            entry = self.entries.get(key)
            if entry is not None:
                self.entries.move_to_end(key)
            return entry

    def put(self, key: str, entry: Entry) -> None:
        size = len(entry.body) + len(key)
        if size > self.max_bytes // 8:
            return
        with self.lock:
            old = self.entries.pop(key, None)
            if old is not None:
                self.bytes -= len(old.body) + len(key)
            self.entries[key] = entry
            self.bytes += size
            while self.bytes > self.max_bytes:
                dropped_key, dropped = self.entries.popitem(last=False)
                self.bytes -= len(dropped.body) + len(dropped_key)

    def clear(self) -> None:
        with self.lock:
            self.entries.clear()
            self.bytes = 0
            self.settings = None


def _store() -> PageStore:
    return current_app.extensions["page_cache"]


def expire_page_at(moment: datetime | None) -> None:
    """Tell the cache that the page being rendered changes by itself at `moment` (comments closing on an old
    post), so it is not served from memory after that."""
    if moment is not None:
        stamp = moment.timestamp()
        current = g.get("page_expires_at")
        g.page_expires_at = stamp if current is None else min(current, stamp)


def _visitor_has_state() -> bool:
    """Whether this browser sees a page of its own: logged in, a comment of its own awaiting moderation, or a
    message waiting to be shown. Read from the signed session (which makes the response vary on Cookie)."""
    if request.cookies.get(current_app.config.get("REMEMBER_COOKIE_NAME", "remember_token")):
        return True
    return bool(session.get("_user_id") or session.get(OWN_COMMENTS_KEY) or session.get("_flashes"))


def _cache_key() -> str:
    """Scheme, host, path and query: absolute links are built on the request's host when no Site URL is set."""
    query = request.query_string.decode("latin-1")
    return f"{request.scheme}://{request.host}{request.script_root}{request.path}{'?' + query if query else ''}"


def _serve_cached():
    """before_request: the stored page when it is current; else note what the page depends on."""
    if request.method not in ("GET", "HEAD"):
        return None
    keys = page_keys(request.endpoint, request.view_args)
    if keys is None:
        return None
    if _visitor_has_state():
        g.page_private = True
        return None
    g.page_public = True
    if not current_app.config["PAGE_CACHE"]:
        return None
    generations = read_generations(keys)  # before anything the page shows is read: see the module's docstring
    store = _store()
    settings = store.settings
    if settings is not None and settings[0] == generations["site"]:
        g.site_settings = dict(settings[1])
    g.page_generations = generations
    entry = store.get(_cache_key())
    if (entry is not None and entry.generations == generations
            and (entry.expires_at is None or time.time() < entry.expires_at)):
        for name, value in entry.g_values:
            setattr(g, name, value)
        g.page_cache_hit = entry
        response = Response(entry.body, status=entry.status)
        response.headers.clear()
        response.headers.extend(entry.headers)
        response.headers["X-Page-Cache"] = "hit"
        return response
    g.csrf_token = TOKEN_PLACEHOLDER  # flask_wtf's generate_csrf() gives what is in g
    return None


def _finish_public_page(response: Response) -> Response:
    """after_request: store a freshly rendered public page; give each page its validators, Cache-Control and
    this visitor's own CSRF token; answer 304 when the browser has it already."""
    if g.get("page_private"):
        if request.method in ("GET", "HEAD"):
            response.headers["Cache-Control"] = PRIVATE
        return response
    if not g.get("page_public") or response.direct_passthrough:
        return response
    if response.status_code != 200:  # not kept; a form on it (an error page's) still needs a real token
        if g.get("csrf_token") == TOKEN_PLACEHOLDER and TOKEN_PLACEHOLDER.encode() in response.get_data():
            g.pop("csrf_token")
            response.set_data(response.get_data().replace(TOKEN_PLACEHOLDER.encode(), generate_csrf().encode()))
        return response
    entry = g.get("page_cache_hit")
    if entry is None:
        entry = _keep(response)
    if entry is not None and not request.cookies:  # the fast path in front of Flask keeps it too
        request.environ[WIRE_KEY] = {"entry": entry}
    body = response.get_data()
    if TOKEN_PLACEHOLDER.encode() in body:
        had_token = "csrf_token" in session
        g.pop("csrf_token", None)
        response.set_data(body.replace(TOKEN_PLACEHOLDER.encode(), generate_csrf().encode()))
        # The page holds this visitor's token: the browser may keep it, a shared cache may not.
        response.headers["Cache-Control"] = PRIVATE_REVALIDATE
        if not had_token:  # a new session: the browser's copy, if any, holds another session's token
            return response
    elif "Cache-Control" not in response.headers:
        response.headers["Cache-Control"] = REVALIDATE
    current_user._get_current_object()  # Flask-Login marks a session it meets for the first time, now or never
    if session.modified:  # a Set-Cookie goes with this response: it is this browser's alone
        response.headers["Cache-Control"] = PRIVATE_REVALIDATE
    if entry is not None and "Last-Modified" not in response.headers:
        response.last_modified = entry.stored_at
    return response.make_conditional(request)


def _keep(response: Response) -> Entry | None:
    """Store the page just rendered (when the cache is on and the page is a whole, ordinary 200)."""
    body = response.get_data()
    if "ETag" not in response.headers:
        response.set_etag(etag_of(body))
    generations = g.get("page_generations")
    if generations is None:
        return None
    store = _store()
    if "site_settings" in g and (store.settings is None or store.settings[0] != generations["site"]):
        store.settings = (generations["site"], dict(g.site_settings))
    entry = Entry(
        generations=generations,
        status=response.status_code,
        headers=tuple((k, v) for k, v in response.headers.items() if k in KEPT_HEADERS),
        body=body,
        stored_at=datetime.now(UTC).replace(microsecond=0),
        expires_at=g.get("page_expires_at"),
        g_values=tuple((name, g.get(name)) for name in KEPT_G if name in g),
    )
    store.put(_cache_key(), entry)
    response.headers["X-Page-Cache"] = "miss"
    return entry


def init_app(app: Flask) -> None:
    """Install the cache's request hooks, last in create_app: its after_request hook then runs before the others
    (Flask runs them newest first) and sees the view's own headers; its before_request hook is put first, so a
    stored page is served before any other work."""
    from .page_cache_wsgi import CookielessFastPath

    app.extensions["page_cache"] = PageStore(int(app.config["PAGE_CACHE_MAX_BYTES"]))
    app.before_request_funcs.setdefault(None, []).insert(0, _serve_cached)
    app.after_request(_finish_public_page)
    # Inside ProxyFix, when there is one: the fast path must see the forwarded scheme and host.
    outer = app.wsgi_app
    if isinstance(outer, ProxyFix):
        outer.app = CookielessFastPath(app, outer.app)
    else:
        app.wsgi_app = CookielessFastPath(app, outer)
