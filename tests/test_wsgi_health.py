"""Running in production: gunicorn serves the pages (no jobs) from blog.wsgi or the factory, /healthz
answers before setup and while the database is down, engine options from the instance keep
pool_pre_ping, and a database that cannot be used is one line from every command, password masked."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from datetime import timedelta

import pytest
import requests
from blog_testing import database_uri, make_app

from blog import PROJECT_ROOT, create_app
from blog.extensions import db
from blog.health import read_health
from blog.models import (
    Delivery,
    IncomingWebmention,
    MailStatus,
    OutgoingMail,
    Post,
    PostStatus,
    User,
    WebmentionStatus,
    utcnow,
)


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _mail(now, *, due_in: float, status=MailStatus.QUEUED, leased_for: float | None = None) -> OutgoingMail:
    return OutgoingMail(
        recipient="admin@example.com", subject="s", message="m", status=status,
        next_attempt_at=now + timedelta(seconds=due_in), created_at=now - timedelta(hours=1),
        lease_expires_at=None if leased_for is None else now + timedelta(seconds=leased_for),
    )


def _scheduled_post(app, published_at) -> int:
    with app.app_context():
        author = db.session.execute(db.select(User)).scalar_one()
        post = Post(title="Scheduled", slug=f"scheduled-{published_at.timestamp():.0f}", body_markdown="Soon",
                    body_html="<p>Soon</p>", status=PostStatus.SCHEDULED, published_at=published_at, author=author)
        db.session.add(post)
        db.session.commit()
        return post.id


def test_healthz_answers_before_setup_never_cached(client):
    assert client.get("/").status_code == 302  # every page leads to setup...
    response = client.get("/healthz")  # ...but not this one
    assert response.status_code == 200
    assert response.get_json() == {"database": "ok", "oldest_overdue_job_seconds": 0.0}
    assert response.mimetype == "application/json"
    assert response.headers["Cache-Control"] == "no-store"
    assert response.headers["X-Content-Type-Options"] == "nosniff"  # the headers every page gets


def test_oldest_overdue_job_counts_only_due_unleased_waiting_items(app, author):
    now = utcnow()
    with app.app_context():
        db.session.add_all([
            _mail(now, due_in=-30),
            _mail(now, due_in=-500, leased_for=60),  # a worker holds it
            _mail(now, due_in=-900, status=MailStatus.SENT),
            _mail(now, due_in=+60),  # a retry, not due yet
        ])
        db.session.commit()
        assert read_health(now).oldest_overdue_job_seconds == 30.0

    post = author.publish("Linking", "See [this](http://127.0.0.1:9/p/).")
    with app.app_context():
        db.session.execute(db.update(Delivery).filter_by(post_id=post.id).values(next_attempt_at=now - timedelta(45)))
        db.session.commit()
        assert read_health(now).oldest_overdue_job_seconds == 45 * 86400.0

        db.session.add(IncomingWebmention(
            token="t", source="http://a.example/", target="http://b.example/", status=WebmentionStatus.QUEUED,
            next_attempt_at=now - timedelta(days=50), lease_expires_at=now - timedelta(seconds=1),  # lease ran out
        ))
        db.session.commit()
        assert read_health(now).oldest_overdue_job_seconds == 50 * 86400.0

    _scheduled_post(app, now - timedelta(days=60))
    _scheduled_post(app, now + timedelta(days=1))
    with app.app_context():
        assert read_health(now).oldest_overdue_job_seconds == 60 * 86400.0

    seconds = app.test_client().get("/healthz").get_json()["oldest_overdue_job_seconds"]
    assert 60 * 86400 <= seconds < 60 * 86400 + 60


@pytest.mark.parametrize("uri", ["postgresql+psycopg://blog:secret@127.0.0.1:1/blog", "sqlite:////no/such/dir/blog.sqlite"],
                         ids=["postgresql", "sqlite"])
def test_healthz_is_503_when_the_database_does_not_answer(tmp_path, monkeypatch, uri):
    monkeypatch.setenv("BLOG_INSTANCE_PATH", str(tmp_path / "instance"))
    app = create_app({"TESTING": True, "SQLALCHEMY_DATABASE_URI": uri})
    response = app.test_client().get("/healthz")
    assert response.status_code == 503
    assert response.get_json() == {"database": "unreachable"}
    assert response.headers["Cache-Control"] == "no-store"


def test_healthz_is_503_when_the_database_has_no_tables_yet(tmp_path, monkeypatch):
    monkeypatch.setenv("BLOG_INSTANCE_PATH", str(tmp_path / "instance"))
    app = create_app({"TESTING": True, "SQLALCHEMY_DATABASE_URI": database_uri(tmp_path, "empty")})
    response = app.test_client().get("/healthz")
    assert response.status_code == 503
    assert response.get_json()["database"] == "ok"
    assert "flask db upgrade" in response.get_json()["problem"]


def test_engine_options_from_the_instance_keep_pool_pre_ping(tmp_path, monkeypatch):
    instance = tmp_path / "instance"
    instance.mkdir()
    (instance / "config.py").write_text('SQLALCHEMY_ENGINE_OPTIONS = {"pool_size": 3}\n')
    app = make_app(tmp_path, monkeypatch)
    assert app.config["SQLALCHEMY_ENGINE_OPTIONS"]["pool_pre_ping"] is True
    with app.app_context():
        assert db.engine.pool._pre_ping is True
        assert db.engine.pool.size() == 3


@pytest.mark.parametrize("spec", ["blog.wsgi:app", "blog:create_app()"])
def test_gunicorn_serves_the_pages_and_runs_no_jobs(app, author, tmp_path, spec):
    """`gunicorn blog.wsgi:app` serves the blog; the jobs are `flask worker`'s, so a scheduled post
    whose time has come stays scheduled, and /healthz says how long it has waited."""
    post_id = _scheduled_post(app, utcnow() - timedelta(seconds=5))
    port = _free_port()
    env = {
        **os.environ,
        "BLOG_INSTANCE_PATH": app.instance_path,
        "BLOG_SQLALCHEMY_DATABASE_URI": app.config["SQLALCHEMY_DATABASE_URI"],
        "BLOG_JOBS_INTERVAL_SECONDS": "0.2",
    }
    log = tmp_path / "gunicorn.log"
    with log.open("wb") as out:
        server = subprocess.Popen(
            [sys.executable, "-m", "gunicorn", spec, "--bind", f"127.0.0.1:{port}", "--workers", "2",
             "--no-control-socket"],  # tests run in parallel: not one socket in the home folder for all
            env=env, cwd=PROJECT_ROOT, stdout=out, stderr=subprocess.STDOUT,
        )
    try:
        deadline = time.monotonic() + 20
        health = None
        while time.monotonic() < deadline and health is None:
            try:  # the workers import the app after the socket listens: allow for that
                health = requests.get(f"http://127.0.0.1:{port}/healthz", timeout=15)
            except requests.ConnectionError:
                time.sleep(0.1)
        assert health is not None and health.status_code == 200, log.read_text()
        home = requests.get(f"http://127.0.0.1:{port}/", timeout=5)
        assert home.status_code == 200 and "Test Blog" in home.text
        time.sleep(1)  # five of the intervals a job runner would have used
        health = requests.get(f"http://127.0.0.1:{port}/healthz", timeout=5).json()
    finally:
        server.terminate()
        server.wait(10)
    assert health["oldest_overdue_job_seconds"] >= 5
    with app.app_context():
        assert db.session.get(Post, post_id).status == PostStatus.SCHEDULED


def _run_flask(uri: str, *args: str, instance) -> subprocess.CompletedProcess:
    env = {**os.environ, "BLOG_INSTANCE_PATH": str(instance), "BLOG_SQLALCHEMY_DATABASE_URI": uri}
    return subprocess.run(
        [sys.executable, "-m", "flask", "--app", "blog", *args], env=env, cwd=PROJECT_ROOT,
        capture_output=True, text=True, timeout=60,
    )


COMMANDS = {
    "serve": ("serve", "--port", "1"),  # never reaches the listening socket
    "worker": ("worker",),
    "worker --once": ("worker", "--once"),
    "db upgrade": ("db", "upgrade"),
}
BAD_DATABASES = {
    "refused": ("postgresql+psycopg://blog:secret@127.0.0.1:1/blog",
                "Error: Cannot reach the database postgresql+psycopg://blog:***@127.0.0.1:1/blog: Connection refused"),
    "unknown kind": ("oracle+nosuch://blog:secret@db.example/blog",
                     "Error: Cannot use the database URL oracle+nosuch://blog:***@db.example/blog: unknown kind of "
                     "database 'oracle+nosuch'"),
    "not a URL": ("blog:secret@db.example/blog",
                  "Error: Cannot use the database URL blog:***@db.example/blog: it is not a database URL"),
    "missing folder": ("sqlite:////no/such/dir/blog.sqlite",
                       "Error: Cannot open the database sqlite:////no/such/dir/blog.sqlite: unable to open database "
                       "file"),
}


# A server that cannot be reached fails in each command's own code; a URL that names no database fails
# in create_app, the same for every command.
CASES = [(bad, command) for bad in ("refused", "missing folder") for command in COMMANDS] + [
    (bad, command) for bad in ("unknown kind", "not a URL") for command in ("worker", "db upgrade")
]


@pytest.mark.parametrize(("bad", "command"), CASES, ids=[f"{bad}-{command}" for bad, command in CASES])
def test_a_database_that_cannot_be_used_is_one_line(tmp_path, bad, command):
    uri, expected = BAD_DATABASES[bad]
    result = _run_flask(uri, *COMMANDS[command], instance=tmp_path / "instance")
    output = (result.stdout + result.stderr).strip()
    assert result.returncode == 1, output
    assert "\n" not in output and "Traceback" not in output, output
    assert output.startswith(expected), output
    assert "secret" not in output


@pytest.mark.parametrize("command", ["serve", "worker"])
def test_serve_and_worker_refuse_a_database_without_tables(tmp_path, command):
    uri = database_uri(tmp_path, "empty")
    result = _run_flask(uri, *COMMANDS[command], instance=tmp_path / "instance")
    output = (result.stdout + result.stderr).strip()
    assert result.returncode == 1, output
    assert output.startswith("Error: The database ") and "\n" not in output, output
    assert output.endswith("has no blog tables yet: run `flask --app blog db upgrade`")


@pytest.mark.parametrize("bare", ["postgresql://", "postgres://"])
def test_a_bare_postgresql_url_uses_the_installed_driver(bare):
    """The README's postgresql:// URL works on a fresh install: psycopg 3 is the driver we ship."""
    from blog.database import with_installed_driver

    assert with_installed_driver(f"{bare}blog:pw@db/blog") == "postgresql+psycopg://blog:pw@db/blog"
    assert with_installed_driver("sqlite:////x/blog.sqlite") == "sqlite:////x/blog.sqlite"
