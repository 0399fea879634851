"""Waking the workers of other processes: a webmention or pingback taken by one process is picked up
by a separate `flask worker` within about a second (PostgreSQL: NOTIFY blog_jobs to its listener;
SQLite: its short poll), an idle SQLite worker never takes the write lock, and a worker whose
PostgreSQL connections are all terminated (listener included), even in the middle of a delivery,
listens again and loses nothing."""

from __future__ import annotations

import os
import sqlite3
import subprocess
import sys
import threading
import time
import xmlrpc.client
from pathlib import Path

import blog_testing
import psycopg
import pytest
import requests
from sqlalchemy.engine import make_url
from werkzeug import Response

from blog.extensions import db
from blog.jobs import JobRunner, wake_jobs
from blog.jobs.runner import all_queues
from blog.jobs.wakeup import CHANNEL, queues_named
from blog.models import Comment, CommentKind, Delivery, DeliveryStatus, IncomingWebmention, Verification

postgresql_only = pytest.mark.skipif(not blog_testing.ON_POSTGRESQL, reason="LISTEN/NOTIFY is PostgreSQL's")


class Worker:
    """`flask worker` in a subprocess on the test app's database, with its own PostgreSQL
    application_name (so its connections can be found), its output in a log file."""

    def __init__(self, app, tmp_path: Path, **config):
        self.app = app
        uri = app.config["SQLALCHEMY_DATABASE_URI"]
        self.name = None
        if blog_testing.ON_POSTGRESQL:
            url = make_url(uri)
            self.name = f"{url.query['application_name']}_worker"
            uri = url.update_query_dict({"application_name": self.name}).render_as_string(hide_password=False)
        self.env = {
            **os.environ,
            "BLOG_INSTANCE_PATH": app.instance_path,
            "BLOG_SQLALCHEMY_DATABASE_URI": uri,
            "BLOG_LINKBACK_ALLOW_PRIVATE": "true",
            **{f"BLOG_{key}": str(value) for key, value in config.items()},
        }
        self.log = tmp_path / "worker.log"
        self.process: subprocess.Popen | None = None

    def __enter__(self):
        with self.log.open("wb") as out:
            self.process = subprocess.Popen(
                [sys.executable, "-m", "flask", "--app", "blog", "worker"], env=self.env, stdout=out,
                stderr=subprocess.STDOUT,
            )
        return self

    def __exit__(self, *exc):
        self.process.terminate()
        try:
            self.process.wait(10)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait(10)

    def output(self) -> str:
        return self.log.read_text(errors="replace")

    def wait_until_idle(self) -> None:
        """Until the worker runs (PostgreSQL: listens) and its first passes are over."""
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline:
            assert self.process.poll() is None, self.output()
            if "Running background jobs" in self.output() and (not self.name or self.listening()):
                break
            time.sleep(0.05)
        else:
            raise AssertionError("the worker never started:\n" + self.output())
        time.sleep(0.5)  # the passes every queue makes at start (and when the listener starts)

    def _pg(self, sql: str) -> list[tuple]:
        with self.app.app_context():
            rows = db.session.execute(db.text(sql), {"name": self.name}).all()
            db.session.commit()
            return [tuple(row) for row in rows]

    def listener_pid(self) -> int | None:
        """The server process of the worker's listening connection, if it has one."""
        rows = self._pg(
            "SELECT pid FROM pg_stat_activity WHERE application_name = :name "
            f"AND query = 'LISTEN {CHANNEL}' AND state = 'idle'"
        )
        return rows[0][0] if len(rows) == 1 else None

    def listening(self) -> bool:
        return self.listener_pid() is not None

    def listening_again(self, old_pid: int) -> bool:
        return self.listener_pid() not in (None, old_pid)

    def terminate_connections(self) -> int:
        """pg_terminate_backend for every connection of the worker: its pool and its listener."""
        rows = self._pg("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE application_name = :name")
        return len(rows)


def _until(condition, timeout: float, step: float = 0.02):
    """Poll `condition` until it is true or `timeout` seconds have passed; returns (value, seconds)."""
    start = time.monotonic()
    while True:
        value = condition()
        elapsed = time.monotonic() - start
        if value or elapsed > timeout:
            return value, elapsed
        time.sleep(step)


def _rows(app, statement):
    with app.app_context():
        rows = db.session.execute(statement).all()
        db.session.remove()
        return rows


def _receive_webmention(app, live_server, httpserver, target: str):
    httpserver.expect_request("/mentions").respond_with_data(
        f'<p>I liked <a href="{target}">this post</a>.</p>', content_type="text/html"
    )
    response = requests.post(
        live_server.url + "/webmention", data={"source": httpserver.url_for("/mentions"), "target": target}, timeout=10
    )
    assert response.status_code == 201, response.text

    def verified():
        statuses = _rows(app, db.select(IncomingWebmention.status))
        return statuses and statuses[0][0] != "queued" and statuses[0][0]

    return verified


def _receive_pingback(app, live_server, httpserver, target: str):
    httpserver.expect_request("/pings").respond_with_data(
        f'<p>I liked <a href="{target}">this post</a>.</p>', content_type="text/html"
    )
    answer = xmlrpc.client.ServerProxy(live_server.url + "/xmlrpc").pingback.ping(httpserver.url_for("/pings"), target)
    assert "received" in answer

    def verified():
        rows = _rows(app, db.select(Comment.verification).filter_by(kind=CommentKind.PINGBACK))
        return rows and rows[0][0] != Verification.PENDING and rows[0][0]

    return verified


@pytest.mark.parametrize("receive", [_receive_webmention, _receive_pingback], ids=["webmention", "pingback"])
def test_a_separate_worker_picks_up_a_received_linkback_within_a_second(
    app, author, live_server, httpserver, tmp_path, receive
):
    """The web process (the live server) takes the linkback; the `flask worker` process verifies it
    at once: woken by NOTIFY on PostgreSQL (its interval is a minute, so nothing else could), by its
    one-second poll on SQLite."""
    post = author.publish("Target", "Something worth linking to.")
    target = live_server.url + author.url_of(post)
    with Worker(app, tmp_path, JOBS_INTERVAL_SECONDS=60, JOBS_POLL_SECONDS=1) as worker:
        worker.wait_until_idle()
        verified = receive(app, live_server, httpserver, target)
        result, seconds = _until(verified, timeout=10)
        output = worker.output()
    assert result in ("accepted", Verification.VERIFIED), output
    limit = 1.5 if blog_testing.ON_POSTGRESQL else 2.5  # SQLite: a poll a second, then the check itself
    assert seconds < limit, f"picked up after {seconds:.2f} s\n{output}"


def test_queue_names_travel_in_the_notification():
    assert queues_named("linkback_checks,mail") == ("linkback_checks", "mail")
    assert queues_named("") == ()  # every queue


@postgresql_only
def test_wake_jobs_notifies_every_process(app):
    params = make_url(app.config["SQLALCHEMY_DATABASE_URI"])
    conninfo = params.set(drivername="postgresql").render_as_string(hide_password=False)
    with psycopg.connect(conninfo, autocommit=True) as listener:
        listener.execute(f"LISTEN {CHANNEL}")
        with app.test_request_context():
            wake_jobs("webmentions")
            wake_jobs()
        payloads = [n.payload for n in listener.notifies(timeout=5, stop_after=2)]
    assert payloads == ["webmentions", ""]


def test_only_a_worker_without_notifications_polls_and_only_the_queues_requests_feed(app):
    runner = JobRunner(app, interval=5, poll_seconds=1)
    idle = {queue.name: runner.idle_seconds(queue) for queue in all_queues()}
    assert idle == {"published": 5, "linkbacks": 1, "linkback_checks": 1, "webmentions": 1, "mail": 1,
                    "housekeeping": 5, "imports": 1}
    in_serve = JobRunner(app, interval=5)  # `flask serve`: its own requests wake it
    assert {in_serve.idle_seconds(queue) for queue in all_queues()} == {5}


@pytest.mark.sqlite_only("SQLite's write lock")
def test_an_idle_polling_worker_never_takes_the_write_lock(app, author):
    """Polling every 50 ms, the idle queues only read: a writer that will not wait at all
    (BEGIN IMMEDIATE with no busy timeout) gets the lock every time."""
    runner = JobRunner(app, interval=60, poll_seconds=0.05)
    runner.start()
    path = make_url(app.config["SQLALCHEMY_DATABASE_URI"]).database
    try:
        time.sleep(0.5)  # the first pass of every queue (housekeeping's clean-up writes) is over
        connection = sqlite3.connect(path, timeout=0, isolation_level=None)
        try:
            for _ in range(200):
                connection.execute("BEGIN IMMEDIATE")
                connection.execute("ROLLBACK")
                time.sleep(0.005)
        finally:
            connection.close()
    finally:
        runner.stop()


class PausingBlog:
    """A loopback blog taking pingbacks; while it holds one (`holding` set) the test acts, then
    `release` lets it answer."""

    def __init__(self, httpserver):
        self.httpserver = httpserver
        self.holding = threading.Event()
        self.release = threading.Event()
        self.pings: list[tuple] = []
        httpserver.expect_request("/page/").respond_with_data(
            "<p>A page</p>", content_type="text/html", headers={"X-Pingback": httpserver.url_for("/xmlrpc")}
        )
        httpserver.expect_request("/xmlrpc", method="POST").respond_with_handler(self._xmlrpc)

    def _xmlrpc(self, request):
        self.pings.append(xmlrpc.client.loads(request.get_data())[0])
        self.holding.set()
        self.release.wait(10)
        return Response(xmlrpc.client.dumps(("Registered",), methodresponse=True), content_type="text/xml")


@postgresql_only
def test_a_worker_whose_connections_are_terminated_listens_again_and_loses_nothing(
    app, author, live_server, httpserver, tmp_path
):
    """pg_terminate_backend on every connection of a running worker, once while it idles (its
    listener must come back and be woken again) and once while a pingback is on the wire (the pass
    must record the outcome on a fresh connection: pool_pre_ping): the delivery still completes."""
    remote = PausingBlog(httpserver)
    try:
        with Worker(app, tmp_path, JOBS_INTERVAL_SECONDS=60) as worker:
            worker.wait_until_idle()
            listener = worker.listener_pid()
            assert worker.terminate_connections() >= 1  # at least the listener's
            back, _ = _until(lambda: worker.listening_again(listener), timeout=10)
            assert back, "the listener did not come back:\n" + worker.output()
            time.sleep(0.5)  # the passes its return triggers

            post = author.publish("Linking", f"I liked [this]({httpserver.url_for('/page/')}).")
            assert remote.holding.wait(5), "the publish did not wake the worker:\n" + worker.output()
            listener = worker.listener_pid()
            assert worker.terminate_connections() >= 2  # the listener's and the pass's
            remote.release.set()

            def sent():
                rows = _rows(app, db.select(Delivery.status).filter_by(post_id=post.id))
                return rows[0][0] == DeliveryStatus.SENT

            done, _ = _until(sent, timeout=15)
            assert done, "the delivery was lost:\n" + worker.output()
            assert worker.process.poll() is None
            back, _ = _until(lambda: worker.listening_again(listener), timeout=10)
            assert back, "the listener did not come back:\n" + worker.output()
    finally:
        remote.release.set()
    assert remote.pings == [(live_server.url + author.url_of(post), httpserver.url_for("/page/"))]
