"""The job layer: the shared claim (two workers never get one row; a dead worker's rows come back
when the lease runs out; a worker claims only what it runs), queues that do not wait on each other,
and a worker killed with SIGKILL in the middle of a delivery batch losing nothing."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time
from datetime import timedelta
from http.server import BaseHTTPRequestHandler

import pytest
from blog_testing import LoopbackPeer

from blog.extensions import db
from blog.jobs import JobRunner
from blog.jobs.deliveries import deliver_due
from blog.jobs.queue import claim, new_worker_id
from blog.models import (
    Comment,
    CommentKind,
    CommentStatus,
    Delivery,
    DeliveryStatus,
    LinkbackCheck,
    Post,
    PostStatus,
    User,
    Verification,
    utcnow,
)


class SlowBlogs(LoopbackPeer):
    """Loopback blogs whose every page and XML-RPC answer waits `delay` seconds; counts the pings."""

    def __init__(self, delay: float):
        self.delay = delay
        self.pings: dict[str, int] = {}
        lock = threading.Lock()
        outer = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args):
                pass

            def _wait(self):
                outer.stopping.wait(outer.delay)

            def do_GET(self):  # noqa: N802 - the http.server API
                self._wait()
                body = b"<!doctype html><title>A post</title><p>Hello</p>"
                self.send_response(200)
                self.send_header("Content-Type", "text/html; charset=utf-8")
                self.send_header("X-Pingback", f"http://127.0.0.1:{outer.port}/xmlrpc")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def do_POST(self):  # noqa: N802
                import xmlrpc.client

                params, _ = xmlrpc.client.loads(self.rfile.read(int(self.headers["Content-Length"])))
                with lock:
                    outer.pings[params[1]] = outer.pings.get(params[1], 0) + 1
                self._wait()
                body = xmlrpc.client.dumps(("Registered",), methodresponse=True).encode()
                self.send_response(200)
                self.send_header("Content-Type", "text/xml")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

        super().__init__(Handler)


def _statuses(app, post_id: int) -> list[tuple[str, int]]:
    with app.app_context():
        rows = db.session.execute(
            db.select(Delivery.status, Delivery.attempts).filter_by(post_id=post_id).order_by(Delivery.id)
        ).all()
        db.session.remove()
        return [tuple(row) for row in rows]


def test_two_workers_never_claim_the_same_row(app, author):
    body = " ".join(f"[l{i}](http://blog{i}.example/post/)" for i in range(40))
    post = author.publish("Many links", body)
    got: list[list[int]] = []
    barrier = threading.Barrier(4)

    def worker():
        with app.app_context():
            barrier.wait()
            ids = claim(
                Delivery, Delivery.status == DeliveryStatus.QUEUED, now=utcnow(), limit=40,
                worker_id=new_worker_id(), lease_seconds=60,
            )
            got.append(ids)
            db.session.remove()

    threads = [threading.Thread(target=worker) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    claimed = [i for ids in got for i in ids]
    assert len(claimed) == len(set(claimed)) == 40
    assert len(_statuses(app, post.id)) == 40


def test_a_pass_claims_only_what_it_runs_at_once(app, author):
    app.config["LINKBACK_CONCURRENCY"] = 3
    body = " ".join(f"[l{i}](http://127.0.0.1:9/p{i}/)" for i in range(10))
    post = author.publish("Ten links", body)
    with app.app_context():
        assert deliver_due() == 3  # port 9 refuses at once: three attempted, the rest untouched
    attempts = sorted(a for _, a in _statuses(app, post.id))
    assert attempts == [0] * 7 + [1] * 3


def test_scheduled_post_goes_live_while_slow_verifications_run(app, author):
    """Twenty pingback sources that take 4 s each do not hold up the scheduled-posts queue."""
    app.config.update(LINKBACK_CONCURRENCY=20)
    with SlowBlogs(delay=4) as slow, app.app_context():
        target = author.publish("Target", "Hello")
        user = db.session.execute(db.select(User)).scalar_one()
        now = utcnow()
        for i in range(20):
            comment = Comment(post_id=target.id, kind=CommentKind.PINGBACK, status=CommentStatus.PENDING,
                              verification=Verification.PENDING, author_url=slow.url(f"/src{i}/"),
                              source_key=slow.url(f"/src{i}/"), target_url="http://localhost/", created_at=now)
            db.session.add(comment)
            db.session.flush()
            db.session.add(LinkbackCheck(comment_id=comment.id, next_attempt_at=now, created_at=now))
        scheduled = Post(title="At noon", slug="at-noon", body_markdown="x", body_html="<p>x</p>",
                         status=PostStatus.SCHEDULED, published_at=now + timedelta(seconds=1), author=user)
        db.session.add(scheduled)
        db.session.commit()
        scheduled_id = scheduled.id
        runner = JobRunner(app, interval=0.2)
        runner.start()
        try:
            deadline = time.monotonic() + 3.5  # well before the first 4 s verification can end
            live = False
            while time.monotonic() < deadline and not live:
                time.sleep(0.1)
                live = db.session.execute(
                    db.select(Post.status).filter_by(id=scheduled_id)
                ).scalar_one() == PostStatus.PUBLISHED
                db.session.rollback()
            checks_left = db.session.execute(db.select(db.func.count(LinkbackCheck.id))).scalar_one()
        finally:
            slow.stopping.set()
            runner.stop()
    assert live, "the scheduled post waited for the slow verifications"
    assert checks_left == 20  # they were indeed still running


@pytest.mark.skipif(not hasattr(signal, "SIGKILL"), reason="needs SIGKILL")
def test_worker_killed_mid_batch_loses_nothing(app, author, tmp_path):
    """kill -9 while eight deliveries are in flight: the sixteen never started are due at once for the
    next worker, the eight in flight once their lease runs out; every target is pinged."""
    with SlowBlogs(delay=3) as slow:
        body = " ".join(f"[l{i}]({slow.url(f'/post{i}/')})" for i in range(24))
        post = author.publish("Batch", body)
        env = {
            **os.environ,
            "BLOG_INSTANCE_PATH": app.instance_path,
            "BLOG_SQLALCHEMY_DATABASE_URI": app.config["SQLALCHEMY_DATABASE_URI"],
            "BLOG_LINKBACK_ALLOW_PRIVATE": "true",
            "BLOG_LINKBACK_CONCURRENCY": "8",
            "BLOG_JOBS_INTERVAL_SECONDS": "0.2",
        }
        worker = subprocess.Popen(
            [sys.executable, "-m", "flask", "--app", "blog", "worker"], env=env,
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        )
        try:
            deadline = time.monotonic() + 20
            while time.monotonic() < deadline:
                if sum(1 for s, _ in _statuses(app, post.id) if s == DeliveryStatus.SENDING) == 8:
                    break
                time.sleep(0.1)
            time.sleep(0.5)  # in the middle of the discovery GETs
        finally:
            worker.send_signal(signal.SIGKILL)
            worker.wait(10)
        statuses = _statuses(app, post.id)
        assert sorted(statuses).count((DeliveryStatus.SENDING, 1)) == 8
        assert sorted(statuses).count((DeliveryStatus.QUEUED, 0)) == 16
        with app.app_context():
            now = utcnow()
            while deliver_due(now):  # the sixteen never started: due at once, not behind a lease
                pass
            assert sum(1 for s, _ in _statuses(app, post.id) if s == DeliveryStatus.SENT) == 16
            later = now + timedelta(seconds=app.config["LINKBACK_LEASE_SECONDS"] + 1)
            while deliver_due(later):  # the eight in flight: taken over when the lease ran out
                pass
    assert [s for s, _ in _statuses(app, post.id)] == [DeliveryStatus.SENT] * 24
    assert set(slow.pings) == {slow.url(f"/post{i}/") for i in range(24)}
