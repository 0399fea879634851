"""Limits that must hold when requests arrive together (the login lockout, the comment flood rule,
the linkback rate limits): real parallel requests against a served app, released at once by a
barrier, and the atomic counter under them (blog/throttle.py)."""

from __future__ import annotations

import threading
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta
from urllib.parse import urljoin

import pytest
import requests
import sqlalchemy as sa
from blog_testing import CSRF_RE, PASSWORD
from bs4 import BeautifulSoup
from defusedxml import ElementTree
from requests.adapters import HTTPAdapter

import blog.throttle
from blog.extensions import db
from blog.models import Comment, RateCounter
from blog.throttle import clear_hits, record_hit

T0 = datetime(2024, 5, 1, 12, 0, tzinfo=UTC)
TIMEOUT = 60


def together(count: int, prepare):
    """Send `count` requests at once: each thread first gets ready (`prepare(i)` opens its session,
    reads its CSRF token, and returns the call that sends), then all wait at a barrier and go
    together. Returns what the calls returned, in thread order."""
    barrier = threading.Barrier(count, timeout=TIMEOUT)

    def run(i):
        send = prepare(i)
        barrier.wait()
        return send()

    with ThreadPoolExecutor(max_workers=count) as pool:
        return list(pool.map(run, range(count)))


def token_of(html: str) -> str:
    match = CSRF_RE.search(html)
    assert match, "no CSRF token on the page"
    return match.group(1)


class SourceAddressAdapter(HTTPAdapter):
    """Connects from a chosen loopback address (127.0.0.0/8 is all ours), so one machine can play
    several callers."""

    def __init__(self, address: str):
        self.address = address
        super().__init__()

    def init_poolmanager(self, *args, **kwargs):
        kwargs["source_address"] = (self.address, 0)
        super().init_poolmanager(*args, **kwargs)


def session_from(address: str | None = None) -> requests.Session:
    session = requests.Session()
    if address is not None:
        session.mount("http://", SourceAddressAdapter(address))
    return session


def counter(app, key: str) -> int | None:
    with app.app_context():
        row = db.session.get(RateCounter, key)
        count = None if row is None else row.count
        db.session.remove()
        return count


def stored_comments(app) -> list[Comment]:
    with app.app_context():
        rows = db.session.execute(db.select(Comment).order_by(Comment.id)).scalars().all()
        db.session.expunge_all()
        db.session.remove()
        return rows


# --- the counter itself ------------------------------------------------------------------------


def test_record_hit_counts_fifty_parallel_hits_once_each(app):
    """Fifty threads, each with its own app context (so its own connection), bump one key at once:
    every count from 1 to 50 is handed out exactly once, and all share one window."""

    def prepare(_):
        def send():
            with app.app_context():
                hit = record_hit("parallel", 60, now=T0)
                db.session.remove()
                return hit

        return send

    hits = together(50, prepare)
    assert sorted(hit.count for hit in hits) == list(range(1, 51))
    assert {hit.window_ends_at for hit in hits} == {T0 + timedelta(seconds=60)}
    assert counter(app, "parallel") == 50


def test_record_hit_starts_again_when_the_window_has_passed(app):
    with app.app_context():
        for _ in range(3):
            record_hit("k", 60, now=T0)
        assert record_hit("k", 60, now=T0 + timedelta(seconds=59)).count == 4
        again = record_hit("k", 60, now=T0 + timedelta(seconds=60))
        assert (again.count, again.window_ends_at) == (1, T0 + timedelta(seconds=120))
        assert record_hit("k", 60, now=T0 + timedelta(seconds=61)).count == 2
        assert record_hit("other", 60, now=T0 + timedelta(seconds=61)).count == 1


def test_record_hit_counts_on_the_connection_the_request_already_holds(app):
    """A request holds its session's connection when it counts. A counter that checked out a
    second one let forty parallel requests exhaust the pool (each holding one, waiting for another)
    until the pool timed out and they failed with 500."""
    checkouts = []

    def count_checkout(*_):
        checkouts.append(1)

    with app.app_context():
        for action in (lambda: record_hit("k", 60), lambda: clear_hits("k")):
            db.session.execute(db.select(RateCounter)).all()  # as a view's first query does
            sa.event.listen(db.engine, "checkout", count_checkout)
            try:
                action()
            finally:
                sa.event.remove(db.engine, "checkout", count_checkout)
        db.session.remove()
    assert checkouts == []


# --- the login lockout -------------------------------------------------------------------------


def test_parallel_wrong_passwords_get_exactly_the_allowed_checks(app, author, live_server, monkeypatch):
    """Issue: 30 parallel wrong passwords had 11-12 of them checked against a limit of 5. Now
    exactly 5 are checked (401) and 25 refused (429); then even the right password is refused
    until the window that began with the first attempt ends."""
    app.config.update(LOGIN_MAX_FAILURES=5, LOGIN_WINDOW_SECONDS=900)
    login_url = live_server.url + "/login"

    def log_in(session: requests.Session, password: str, token: str | None = None) -> requests.Response:
        token = token or token_of(session.get(login_url, timeout=TIMEOUT).text)
        data = {"csrf_token": token, "username": "admin", "password": password}
        return session.post(login_url, data=data, allow_redirects=False, timeout=TIMEOUT)

    def prepare(i):
        session = session_from()
        token = token_of(session.get(login_url, timeout=TIMEOUT).text)
        return lambda: log_in(session, f"guess {i}", token)

    responses = together(30, prepare)
    assert Counter(response.status_code for response in responses) == {401: 5, 429: 25}
    assert all("Too many failed login attempts" in r.text for r in responses if r.status_code == 429)
    assert counter(app, "login:127.0.0.1") == 30

    assert log_in(session_from(), PASSWORD).status_code == 429
    real_now = blog.throttle.utcnow
    monkeypatch.setattr(blog.throttle, "utcnow", lambda: real_now() + timedelta(seconds=900))
    response = log_in(session_from(), PASSWORD)
    assert response.status_code == 302 and response.headers["Location"].endswith("/admin/")
    assert counter(app, "login:127.0.0.1") is None  # a success clears the address


# --- the comment flood rule --------------------------------------------------------------------


def test_parallel_comments_from_one_address_store_exactly_one(app, author, live_server):
    """Issue: 40 parallel comments from one address stored up to 8 (one per 15 s allowed)."""
    app.config["COMMENT_FLOOD_SECONDS"] = 15
    post = author.publish("Open for comments", "Say something.")
    page_url = live_server.url + author.url_of(post)

    def prepare(i):
        session = session_from()
        page = BeautifulSoup(session.get(page_url, timeout=TIMEOUT).text, "html.parser")
        form = page.select_one("form.comment-form")
        data = {
            "name": f"Visitor {i}",
            "email": f"v{i}@example.com",
            "url": "",
            "content": f"Comment number {i}",  # all different: the duplicate rule stays out of it
            "csrf_token": form.select_one('input[name="csrf_token"]')["value"],
        }
        action = urljoin(page_url, form["action"].split("#")[0])
        return lambda: session.post(action, data=data, allow_redirects=False, timeout=TIMEOUT)

    responses = together(40, prepare)
    assert Counter(response.status_code for response in responses) == {302: 1, 429: 39}
    assert all("You are posting comments too quickly." in r.text for r in responses if r.status_code == 429)
    (comment,) = stored_comments(app)
    (accepted,) = [i for i, response in enumerate(responses) if response.status_code == 302]
    assert comment.content == f"Comment number {accepted}"


# --- the linkback rate limits ------------------------------------------------------------------


def ping_trackback(session: requests.Session, ping_url: str, source: str) -> tuple[int, str, str | None]:
    response = session.post(ping_url, data={"url": source, "title": "Linked"}, timeout=TIMEOUT)
    root = ElementTree.fromstring(response.content)
    return response.status_code, root.findtext("error"), root.findtext("message")


@pytest.fixture
def ping_url(author, live_server) -> str:
    post = author.publish("Target post", "Something worth linking to.")
    return live_server.url + author.url_of(post) + "trackback/"


TOO_MANY = (429, "1", "Too many pings; please try again in a minute.")


def test_parallel_trackbacks_from_one_address_stop_at_its_limit(app, live_server, ping_url):
    app.config.update(LINKBACK_PER_ADDRESS_PER_MINUTE=10, LINKBACK_PER_POST_PER_MINUTE=1000)

    def prepare(i):
        session = session_from()
        return lambda: ping_trackback(session, ping_url, f"http://source.example/{i}")

    answers = together(30, prepare)
    assert Counter(answers) == {(200, "0", None): 10, TOO_MANY: 20}
    assert len(stored_comments(app)) == 10
    assert counter(app, "linkback-ip:127.0.0.1") == 30


def test_parallel_trackbacks_from_many_addresses_stop_at_the_post_limit(app, live_server, ping_url):
    """Thirty callers, each well under its own limit, ping one post at once: the post's limit holds."""
    app.config.update(LINKBACK_PER_ADDRESS_PER_MINUTE=10, LINKBACK_PER_POST_PER_MINUTE=7)

    def prepare(i):
        session = session_from(f"127.0.0.{i + 2}")
        return lambda: ping_trackback(session, ping_url, f"http://source{i}.example/")

    answers = together(30, prepare)
    assert Counter(answers) == {(200, "0", None): 7, TOO_MANY: 23}
    stored = stored_comments(app)
    assert len(stored) == 7 and len({comment.ip for comment in stored}) == 7  # seven callers, one each
    assert counter(app, "linkback-ip:127.0.0.2") == 1
