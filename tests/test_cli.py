"""The flask commands: create-admin, worker, and serve (web server plus background jobs)."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from datetime import timedelta

import requests

from blog.extensions import db
from blog.models import Post, PostStatus, User, utcnow


def _scheduled_post(app, due_in: timedelta) -> int:
    with app.app_context():
        author = db.session.execute(db.select(User)).scalar_one()
        post = Post(
            title="Scheduled",
            slug="scheduled",
            body_markdown="Soon",
            body_html="<p>Soon</p>",
            status=PostStatus.SCHEDULED,
            published_at=utcnow() + due_in,
            author=author,
        )
        db.session.add(post)
        db.session.commit()
        return post.id


def test_create_admin_command_does_the_first_run_setup(app):
    runner = app.test_cli_runner()
    result = runner.invoke(
        args=["create-admin", "--blog-title", "CLI Blog", "--username", "cli", "--email", "cli@example.com",
              "--password", "long enough pw"]
    )
    assert result.exit_code == 0, result.output
    assert app.test_client().get("/").status_code == 200  # no longer sent to setup
    again = runner.invoke(
        args=["create-admin", "--blog-title", "X", "--username", "other", "--email", "o@example.com",
              "--password", "long enough pw"]
    )
    assert again.exit_code != 0 and "already has an administrator" in again.output


def test_worker_once_publishes_due_posts(app, author):
    due = _scheduled_post(app, timedelta(minutes=-1))
    result = app.test_cli_runner().invoke(args=["worker", "--once"])
    assert result.exit_code == 0, result.output
    assert "published: 1" in result.output
    with app.app_context():
        assert db.session.get(Post, due).status == PostStatus.PUBLISHED


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def test_serve_serves_the_blog_and_publishes_scheduled_posts(app, author, tmp_path):
    """`flask serve` runs the web server and the background jobs: a scheduled post whose time has
    come goes live without anyone visiting the admin."""
    _scheduled_post(app, timedelta(seconds=-1))
    port = _free_port()
    env = dict(
        os.environ,
        BLOG_INSTANCE_PATH=app.instance_path,
        BLOG_SQLALCHEMY_DATABASE_URI=app.config["SQLALCHEMY_DATABASE_URI"],
        BLOG_JOBS_INTERVAL_SECONDS="0.2",
    )
    log = tmp_path / "serve.log"
    with log.open("wb") as out:
        server = subprocess.Popen(
            [sys.executable, "-m", "flask", "--app", "blog", "serve", "--port", str(port)],
            env=env, stdout=out, stderr=subprocess.STDOUT,
        )
    try:
        deadline = time.monotonic() + 20
        body = ""
        while time.monotonic() < deadline:
            try:
                body = requests.get(f"http://127.0.0.1:{port}/", timeout=2).text
            except requests.ConnectionError:
                body = ""
            if "Scheduled" in body:
                break
            time.sleep(0.1)
        assert "Scheduled" in body, "the post never appeared:\n" + log.read_text()
    finally:
        server.terminate()
        server.wait(10)


def test_worker_stops_cleanly_on_sigterm(app, author, tmp_path):
    """systemd stops a service with SIGTERM: the worker stops its runner and exits 0, as on Ctrl-C."""
    env = dict(
        os.environ,
        BLOG_INSTANCE_PATH=app.instance_path,
        BLOG_SQLALCHEMY_DATABASE_URI=app.config["SQLALCHEMY_DATABASE_URI"],
    )
    log = tmp_path / "worker.log"
    with log.open("wb") as out:
        worker = subprocess.Popen(
            [sys.executable, "-m", "flask", "--app", "blog", "worker"], env=env, stdout=out, stderr=subprocess.STDOUT,
        )
    try:
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline and "Running background jobs" not in log.read_text():
            time.sleep(0.1)
        worker.terminate()
        assert worker.wait(15) == 0, log.read_text()
    finally:
        if worker.poll() is None:
            worker.kill()
            worker.wait(5)
    assert "Traceback" not in log.read_text()
