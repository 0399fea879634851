"""Several processes on one PostgreSQL database, as in production: four gunicorn web processes and
two `flask worker` processes. A post linking 100 loopback blogs, 20 webmentions and 20 trackbacks
to verify: every target is discovered and pinged exactly once, every source fetched exactly once,
each queue row claimed exactly once (issue "Run on PostgreSQL with several web processes and
workers"). PostgreSQL only: it runs in the PostgreSQL suite run (BLOG_TEST_DATABASE_URL), in a
schema of its own."""

from __future__ import annotations

import os
import re
import signal
import socket
import subprocess
import sys
import threading
import time
import xmlrpc.client
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from http.server import BaseHTTPRequestHandler
from pathlib import Path

import blog_testing
import pytest
import requests
import sqlalchemy as sa
from blog_testing import CSRF_RE, PASSWORD, LoopbackPeer, database_uri

from blog import PROJECT_ROOT, create_app
from blog.extensions import db
from blog.models import (
    Comment,
    CommentKind,
    Delivery,
    DeliveryMethod,
    DeliveryStatus,
    IncomingWebmention,
    LinkbackCheck,
    Post,
    Verification,
    WebmentionStatus,
)
from blog.permalinks import post_url
from blog.site_settings import save_settings

pytestmark = pytest.mark.skipif(
    not blog_testing.ON_POSTGRESQL,
    reason="PostgreSQL test (several processes, SKIP LOCKED, NOTIFY): runs when BLOG_TEST_DATABASE_URL names "
    "a PostgreSQL server (make test-postgres)",
)

TARGETS = 100
WEBMENTIONS = 20
TRACKBACKS = 20
WEB_PROCESSES = 4
WORKERS = 2
DONE_WITHIN_SECONDS = 90  # until every delivery is sent and every source checked
PING_DELAY_SECONDS = 0.05  # each pingback answer: long enough for the two workers' passes to overlap


class Peers(LoopbackPeer):
    """The other blogs, one threaded loopback server: /target/<i>/ pages advertising its /xmlrpc
    (pingback), /mention/<i>/ and /trackback-source/<i>/ pages linking to `permalink`. Counts every
    request per method and path, and every pingback per target."""

    def __init__(self):
        self.permalink = ""  # our post, once published: what the source pages link to
        self.requests: Counter[tuple[str, str]] = Counter()
        self.pingbacks: Counter[str] = Counter()
        self.ping_sources: set[tuple[str, str]] = set()  # (method, source)
        lock = threading.Lock()
        outer = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args):
                pass

            def _answer(self, body: bytes, content_type: str, **headers):
                self.send_response(200)
                self.send_header("Content-Type", content_type)
                self.send_header("Content-Length", str(len(body)))
                for name, value in headers.items():
                    self.send_header(name.replace("_", "-"), value)
                self.end_headers()
                self.wfile.write(body)

            def do_GET(self):  # noqa: N802 - the http.server API
                with lock:
                    outer.requests["GET", self.path] += 1
                if re.fullmatch(r"/target/\d+/", self.path):
                    page = "<!doctype html><title>A post</title><p>Hello.</p>"
                    self._answer(page.encode(), "text/html; charset=utf-8", X_Pingback=outer.url("/xmlrpc"))
                elif re.fullmatch(r"/(mention|trackback-source)/\d+/", self.path):
                    page = (
                        f'<!doctype html><title>Source {self.path}</title><div class="h-entry">'
                        f'<p class="e-content">I read <a href="{outer.permalink}">this post</a>.</p></div>'
                    )
                    self._answer(page.encode(), "text/html; charset=utf-8")
                else:
                    self.send_error(404)

            def do_HEAD(self):  # noqa: N802
                with lock:
                    outer.requests["HEAD", self.path] += 1
                self.send_error(405)

            def do_POST(self):  # noqa: N802
                body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                with lock:
                    outer.requests["POST", self.path] += 1
                if self.path != "/xmlrpc":
                    self.send_error(404)
                    return
                (source, target), method = xmlrpc.client.loads(body)
                with lock:
                    outer.pingbacks[target] += 1
                    outer.ping_sources.add((method, source))
                outer.stopping.wait(PING_DELAY_SECONDS)
                self._answer(xmlrpc.client.dumps(("Registered.",), methodresponse=True).encode(), "text/xml")

        super().__init__(Handler)


class Processes:
    """Subprocesses each in a process group of its own (gunicorn's workers share their master's), so
    stopping one stops its children: SIGTERM to the group, SIGKILL to what is left after a while."""

    def __init__(self, logs: Path):
        self.logs = logs
        self.started: dict[str, subprocess.Popen] = {}

    def start(self, name: str, command: list[str], env: dict[str, str]) -> subprocess.Popen:
        with (self.logs / f"{name}.log").open("wb") as out:
            process = subprocess.Popen(command, env=env, cwd=PROJECT_ROOT, stdout=out, stderr=subprocess.STDOUT,
                                       stdin=subprocess.DEVNULL, start_new_session=True)
        self.started[name] = process
        return process

    def output(self, name: str) -> str:
        return (self.logs / f"{name}.log").read_text(errors="replace")

    def outputs(self) -> str:
        """Every process's log, for a failure message (the end of each)."""
        return "\n".join(
            f"--- {name} (exit {process.poll()}):\n{self.output(name)[-3000:]}"
            for name, process in self.started.items()
        )

    def assert_running(self) -> None:
        exited = [name for name, p in self.started.items() if p.poll() is not None]
        assert not exited, f"{exited} exited early\n{self.outputs()}"

    def stop_all(self) -> None:
        for process in self.started.values():
            _signal_group(process, signal.SIGTERM)
        deadline = time.monotonic() + 10
        for process in self.started.values():
            try:
                process.wait(max(0.1, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                pass
            _signal_group(process, signal.SIGKILL)  # the group's stragglers too (a gunicorn worker)
            process.wait(10)
        deadline = time.monotonic() + 5
        while (left := {name: _group_members(p.pid) for name, p in self.started.items() if _group_members(p.pid)}):
            if time.monotonic() > deadline:
                raise AssertionError(f"processes left running: {left}")
            time.sleep(0.1)


def _signal_group(process: subprocess.Popen, signum: int) -> None:
    try:
        os.killpg(process.pid, signum)  # start_new_session: the group's id is the leader's pid
    except ProcessLookupError:
        pass


def _group_members(group: int) -> list[int]:
    """The live (not zombie) processes of a process group, from /proc (empty where there is none)."""
    members = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:  # gone meanwhile
            continue
        if int(fields[2]) == group and fields[0] != "Z":
            members.append(int(stat.parent.name))
    return members


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _postgresql_answers() -> str | None:
    """Why the test database's server cannot be used, or None when it answers."""
    engine = sa.create_engine(blog_testing.TEST_DATABASE_URL, poolclass=sa.pool.NullPool,
                              connect_args={"connect_timeout": 5})
    try:
        with engine.connect() as connection:
            connection.execute(sa.text("SELECT 1"))
    except sa.exc.OperationalError as error:
        return str(error.orig).strip().splitlines()[0]
    finally:
        engine.dispose()
    return None


def _until(condition, timeout: float, what: str, processes: Processes):
    """Poll `condition` (a false value: not yet) every 0.1 s for at most `timeout` seconds."""
    deadline = time.monotonic() + timeout
    while True:
        processes.assert_running()
        value = condition()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"{what}: not within {timeout} s\n{processes.outputs()}")
        time.sleep(0.1)


def _scalar(app, statement):
    with app.app_context():
        value = db.session.execute(statement).scalar_one()
        db.session.remove()
        return value


@pytest.fixture
def blog_processes(tmp_path, monkeypatch):
    """The blog on a fresh PostgreSQL schema (migrated, administrator created, Site URL the gunicorn
    address), served by `gunicorn -w 4`, with two `flask worker` processes. Yields (app, base URL,
    processes); `app` is an in-process app on the same schema, for reading the database."""
    why = _postgresql_answers()
    if why is not None:
        shown = sa.make_url(blog_testing.TEST_DATABASE_URL).render_as_string()  # password hidden
        pytest.skip(f"PostgreSQL does not answer at {shown}: {why}")
    uri = database_uri(tmp_path)  # a schema of its own, search_path in the URI; dropped after the test
    instance = tmp_path / "instance"
    port = _free_port()
    base = f"http://127.0.0.1:{port}"
    env = {
        **os.environ,
        "BLOG_INSTANCE_PATH": str(instance),
        "BLOG_SQLALCHEMY_DATABASE_URI": uri,
        "BLOG_LINKBACK_ALLOW_PRIVATE": "true",
        # 40 linkbacks from one address to one post within a minute: past the default rate limits
        "BLOG_LINKBACK_PER_ADDRESS_PER_MINUTE": "1000",
        "BLOG_LINKBACK_PER_POST_PER_MINUTE": "1000",
    }
    flask = [sys.executable, "-m", "flask", "--app", "blog"]
    for command in (
        [*flask, "db", "upgrade"],
        [*flask, "create-admin", "--blog-title", "Many processes", "--username", "admin",
         "--email", "admin@example.com", "--password", PASSWORD],
    ):
        done = subprocess.run(command, env=env, cwd=PROJECT_ROOT, capture_output=True, text=True, timeout=120)
        assert done.returncode == 0, f"{command[4:]} failed:\n{done.stdout}\n{done.stderr}"

    monkeypatch.setenv("BLOG_INSTANCE_PATH", str(instance))
    app = create_app({"SQLALCHEMY_DATABASE_URI": uri, "SERVER_NAME": None})
    with app.app_context():
        save_settings({"site_url": base})
        db.session.remove()

    processes = Processes(tmp_path)
    try:
        processes.start("gunicorn", [
            sys.executable, "-m", "gunicorn", "--workers", str(WEB_PROCESSES), "--bind", f"127.0.0.1:{port}",
            "--graceful-timeout", "5", "--no-control-socket", "--access-logfile", str(tmp_path / "access.log"),
            "--access-logformat", "%(p)s %(m)s %(U)s %(s)s", "blog.wsgi:app",
        ], env)
        for n in range(WORKERS):
            processes.start(f"worker{n}", [*flask, "worker"], env)

        def web_up():
            try:
                return requests.get(base + "/healthz", timeout=2).status_code == 200
            except requests.RequestException:  # not listening yet, or its workers still loading
                return False

        _until(web_up, 60, "gunicorn answering /healthz", processes)
        for n in range(WORKERS):
            _until(lambda n=n: "Running background jobs" in processes.output(f"worker{n}"), 60,
                   f"worker{n} starting", processes)
        yield app, base, processes
    finally:
        processes.stop_all()


def _publish(base: str, title: str, body: str) -> int:
    """Log in and publish through the real editor form over HTTP; returns the post's id."""
    session = requests.Session()
    token = CSRF_RE.search(session.get(base + "/login", timeout=10).text).group(1)
    login = session.post(base + "/login", allow_redirects=False, timeout=10,
                         data={"csrf_token": token, "username": "admin", "password": PASSWORD})
    assert login.status_code == 302, login.text[:2000]
    token = CSRF_RE.search(session.get(base + "/admin/posts/new", timeout=10).text).group(1)
    response = session.post(base + "/admin/posts/new", allow_redirects=False, timeout=30, data={
        "csrf_token": token, "title": title, "body": body, "action": "publish",
        "allow_comments": "y", "allow_pings": "y",
    })
    assert response.status_code == 302, response.text[:2000]
    return int(re.search(r"/admin/posts/(\d+)/edit", response.headers["Location"]).group(1))


def _webmention(base: str, source: str, target: str) -> None:
    response = requests.post(base + "/webmention", data={"source": source, "target": target}, timeout=30)
    assert response.status_code == 201, response.text


def _trackback(permalink: str, source: str) -> None:
    response = requests.post(permalink + "trackback/", timeout=30, data={
        "url": source, "title": "A reply", "excerpt": "I read this post.", "blog_name": "Another blog",
    })
    assert response.status_code == 200 and "<error>0</error>" in response.text, response.text


def _served_by(tmp_path: Path) -> dict[str, set[str]]:
    """The gunicorn worker pids that served each kind of request, from the access log."""
    pids: dict[str, set[str]] = {"webmention": set(), "trackback": set()}
    for line in (tmp_path / "access.log").read_text().splitlines():
        pid, method, path, _status = line.split(" ", 3)
        if method == "POST" and path == "/webmention":
            pids["webmention"].add(pid)
        elif method == "POST" and path.endswith("/trackback/"):
            pids["trackback"].add(pid)
    return pids


def test_several_web_processes_and_workers_do_each_linkback_exactly_once(blog_processes, tmp_path):
    app, base, processes = blog_processes
    with Peers() as peers:
        targets = [peers.url(f"/target/{i}/") for i in range(TARGETS)]
        body = "\n".join(f"- [blog {i}]({url})" for i, url in enumerate(targets))
        post_id = _publish(base, "Linking a hundred blogs", body)
        with app.app_context():
            peers.permalink = post_url(db.session.get(Post, post_id), external=True)
            db.session.remove()
        assert peers.permalink.startswith(base + "/")

        mention_sources = [peers.url(f"/mention/{i}/") for i in range(WEBMENTIONS)]
        trackback_sources = [peers.url(f"/trackback-source/{i}/") for i in range(TRACKBACKS)]
        with ThreadPoolExecutor(max_workers=2 * WEB_PROCESSES) as pool:  # spread over the web processes
            calls = [pool.submit(_webmention, base, source, peers.permalink) for source in mention_sources]
            calls += [pool.submit(_trackback, peers.permalink, source) for source in trackback_sources]
            for call in calls:
                call.result()

        sent = sa.select(sa.func.count()).select_from(Delivery).where(
            Delivery.post_id == post_id, Delivery.status == DeliveryStatus.SENT)
        accepted = sa.select(sa.func.count()).select_from(IncomingWebmention).where(
            IncomingWebmention.status == WebmentionStatus.ACCEPTED)
        verified = sa.select(sa.func.count()).select_from(Comment).where(
            Comment.kind == CommentKind.TRACKBACK, Comment.verification == Verification.VERIFIED)

        def all_done():
            return (_scalar(app, sent), _scalar(app, accepted), _scalar(app, verified)) == (
                TARGETS, WEBMENTIONS, TRACKBACKS)

        _until(all_done, DONE_WITHIN_SECONDS, "100 deliveries sent, 20 webmentions accepted, 20 trackbacks verified",
               processes)
        time.sleep(1)  # a duplicate send or fetch in flight elsewhere would arrive now
        processes.assert_running()

    # Every target: one discovery GET and one pingback, naming our post as the source.
    assert {url: peers.requests["GET", url.removeprefix(peers.url(""))] for url in targets} == dict.fromkeys(targets, 1)
    assert dict(peers.pingbacks) == dict.fromkeys(targets, 1)
    assert peers.ping_sources == {("pingback.ping", peers.permalink)}
    # Every source: fetched once, by one worker.
    for source in mention_sources + trackback_sources:
        assert peers.requests["GET", source.removeprefix(peers.url(""))] == 1, source
    expected = {("GET", url.removeprefix(peers.url(""))) for url in targets + mention_sources + trackback_sources}
    assert set(peers.requests) == expected | {("POST", "/xmlrpc")}  # and nothing else was asked
    assert peers.requests["POST", "/xmlrpc"] == TARGETS

    # Every queue row claimed once (a claim counts an attempt) and released.
    with app.app_context():
        deliveries = db.session.execute(
            sa.select(Delivery.status, Delivery.method, Delivery.attempts, Delivery.claimed_by)
            .where(Delivery.post_id == post_id)).all()
        mentions = db.session.execute(
            sa.select(IncomingWebmention.source, IncomingWebmention.attempts, IncomingWebmention.claimed_by)).all()
        linkbacks = db.session.execute(
            sa.select(Comment.kind, Comment.author_url, Comment.verification)
            .where(Comment.post_id == post_id)).all()
        checks_left = db.session.execute(sa.select(sa.func.count()).select_from(LinkbackCheck)).scalar_one()
        db.session.remove()
    assert Counter(tuple(row) for row in deliveries) == {
        (DeliveryStatus.SENT, DeliveryMethod.PINGBACK, 1, None): TARGETS}
    assert sorted(tuple(row) for row in mentions) == sorted((source, 1, None) for source in mention_sources)
    assert sorted(tuple(row) for row in linkbacks) == sorted(
        [(CommentKind.WEBMENTION, source, Verification.VERIFIED) for source in mention_sources]
        + [(CommentKind.TRACKBACK, source, Verification.VERIFIED) for source in trackback_sources])
    assert checks_left == 0

    # The work was really shared: linkbacks taken by several web processes, deliveries sent by both workers.
    served = _served_by(tmp_path)
    assert len(served["webmention"] | served["trackback"]) >= 2, served
    sent_by = [len(re.findall(r"delivery \d+ to \S+: sent", processes.output(f"worker{n}"))) for n in range(WORKERS)]
    assert sum(sent_by) == TARGETS and all(sent_by), sent_by
