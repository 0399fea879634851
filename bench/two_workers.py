"""Benchmark: the production layout, `gunicorn` serving the pages and two `flask worker` processes
running the jobs, on SQLite and on PostgreSQL. Publishes a post linking 100 loopback blogs whose
pingback servers each take 0.2 s to answer, and measures (a) the publish request, (b) until the
first pingback arrives, (c) until all 100 are answered and (d) until all 100 are recorded as sent.
A fresh instance and database for every run (SQLite: a file in a temporary instance folder;
PostgreSQL: a temporary schema, dropped afterwards).

    .venv/bin/python bench/two_workers.py [--runs 3] [--targets 100] [--delay 0.2]
        [--databases sqlite,postgresql] [--postgres-url postgresql+psycopg://postgres@127.0.0.1:5432/test]

On SQLite nothing can wake a worker in another process: it finds the new deliveries by polling
(JOBS_POLL_SECONDS). On PostgreSQL the publish request sends NOTIFY and the workers' listeners
wake them."""

from __future__ import annotations

import argparse
import os
import re
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import xmlrpc.client
from collections import Counter
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import requests
import sqlalchemy as sa

ROOT = Path(__file__).resolve().parent.parent
CSRF = re.compile(r'name="csrf_token"[^>]*value="([^"]+)"')
PASSWORD = "bench-password"
DEFAULT_POSTGRES_URL = os.environ.get("TEST_POSTGRES_URL") or "postgresql+psycopg://postgres@127.0.0.1:5432/test"
WAIT_SECONDS = 120  # at most, for any one thing: the server to start, the deliveries to finish


class Server(ThreadingHTTPServer):
    daemon_threads = True
    request_queue_size = 128


class Blogs:
    """The linked blogs, one threaded loopback server: /post/<i>/ pages advertising /xmlrpc, which
    answers each pingback after `delay`. Records when the first ping arrived and the last was answered."""

    def __init__(self, delay: float):
        self.delay = delay
        self.pings: Counter[str] = Counter()
        self.answered = 0
        self.first_ping_at: float | None = None
        self.last_answer_at: float | None = None
        self.stopping = threading.Event()
        lock = threading.Lock()
        outer = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args):
                pass

            def _answer(self, body: bytes, content_type: str, headers: dict[str, str] | None = None):
                self.send_response(200)
                self.send_header("Content-Type", content_type)
                self.send_header("Content-Length", str(len(body)))
                for name, value in (headers or {}).items():
                    self.send_header(name, value)
                self.end_headers()
                self.wfile.write(body)

            def do_GET(self):  # noqa: N802 - the http.server API
                page = b"<!doctype html><title>A post</title><p>Hello.</p>"
                self._answer(page, "text/html; charset=utf-8", {"X-Pingback": outer.url("/xmlrpc")})

            def do_POST(self):  # noqa: N802
                (_source, target), _ = xmlrpc.client.loads(self.rfile.read(int(self.headers["Content-Length"])))
                with lock:
                    outer.first_ping_at = outer.first_ping_at or time.perf_counter()
                    outer.pings[target] += 1
                outer.stopping.wait(outer.delay)
                self._answer(xmlrpc.client.dumps(("Registered.",), methodresponse=True).encode(), "text/xml")
                with lock:
                    outer.answered += 1
                    outer.last_answer_at = time.perf_counter()

        self.server = Server(("127.0.0.1", 0), Handler)
        self.port = self.server.server_address[1]
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def url(self, path: str) -> str:
        return f"http://127.0.0.1:{self.port}{path}"

    def __enter__(self):
        self.thread.start()
        return self

    def __exit__(self, *exc):
        self.stopping.set()
        self.server.shutdown()
        self.server.server_close()
        self.thread.join(5)


@dataclass
class Result:
    publish_ms: float
    first_ping_s: float
    all_answered_s: float
    all_recorded_s: float
    split: list[int]  # deliveries each worker sent
    exactly_once: bool


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def until(condition, what: str, processes: list[subprocess.Popen], step: float = 0.02):
    """Poll `condition` until true, for at most WAIT_SECONDS; fail when a process has exited."""
    deadline = time.monotonic() + WAIT_SECONDS
    while not (value := condition()):
        if any(p.poll() is not None for p in processes):
            raise RuntimeError(f"a process exited while waiting for {what}")
        if time.monotonic() > deadline:
            raise RuntimeError(f"{what}: not within {WAIT_SECONDS} s")
        time.sleep(step)
    return value


def stop(processes: list[subprocess.Popen]) -> None:
    """SIGTERM to each process group (gunicorn's workers are in their master's), SIGKILL after 10 s."""
    for process in processes:
        with_group(process, signal.SIGTERM)
    deadline = time.monotonic() + 10
    for process in processes:
        try:
            process.wait(max(0.1, deadline - time.monotonic()))
        except subprocess.TimeoutExpired:
            pass
        with_group(process, signal.SIGKILL)
        process.wait(10)


def with_group(process: subprocess.Popen, signum: int) -> None:
    try:
        os.killpg(process.pid, signum)
    except ProcessLookupError:
        pass


class PostgresSchema:
    """A temporary schema in the given database; its URL puts every connection in it and names it
    (application_name), so the bench can see the workers listen and close what is left at the end."""

    def __init__(self, url: str):
        self.admin = sa.create_engine(url, isolation_level="AUTOCOMMIT", poolclass=sa.pool.NullPool,
                                      connect_args={"connect_timeout": 5})
        self.name = f"bench_{secrets.token_hex(6)}"
        base = sa.make_url(url)
        options = " ".join(filter(None, [base.query.get("options"), f"-csearch_path={self.name}"]))
        self.url = base.update_query_dict({"options": options, "application_name": self.name}).render_as_string(
            hide_password=False)

    def __enter__(self):
        with self.admin.connect() as connection:
            connection.execute(sa.text(f"CREATE SCHEMA {self.name}"))
        return self

    def listeners(self) -> int:
        with self.admin.connect() as connection:
            return connection.execute(sa.text(
                "SELECT count(*) FROM pg_stat_activity WHERE application_name = :name AND query LIKE 'LISTEN %'"
            ), {"name": self.name}).scalar_one()

    def __exit__(self, *exc):
        with self.admin.connect() as connection:
            connection.execute(sa.text(
                "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE application_name = :name"
            ), {"name": self.name})
            connection.execute(sa.text(f"DROP SCHEMA IF EXISTS {self.name} CASCADE"))
        self.admin.dispose()


def postgres_problem(url: str) -> str | None:
    """Why the PostgreSQL server cannot be used, or None."""
    engine = sa.create_engine(url, poolclass=sa.pool.NullPool, connect_args={"connect_timeout": 5})
    try:
        with engine.connect() as connection:
            connection.execute(sa.text("SELECT 1"))
    except (sa.exc.OperationalError, ImportError) as error:
        return str(getattr(error, "orig", error)).strip().splitlines()[0]
    finally:
        engine.dispose()
    return None


def one_run(database: str, args) -> Result:
    instance = Path(tempfile.mkdtemp(prefix="blog-bench-"))
    schema = PostgresSchema(args.postgres_url) if database == "postgresql" else None
    processes: list[subprocess.Popen] = []
    try:
        if schema is not None:
            schema.__enter__()
        uri = schema.url if schema is not None else f"sqlite:///{instance / 'blog.sqlite'}"
        env = dict(os.environ, BLOG_INSTANCE_PATH=str(instance), BLOG_SQLALCHEMY_DATABASE_URI=uri,
                   BLOG_LINKBACK_ALLOW_PRIVATE="true")
        flask = [sys.executable, "-m", "flask", "--app", "blog"]
        subprocess.run([*flask, "db", "upgrade"], env=env, check=True, capture_output=True, cwd=ROOT)
        subprocess.run([*flask, "create-admin", "--blog-title", "Bench", "--username", "bench",
                        "--email", "bench@example.com", "--password", PASSWORD],
                       env=env, check=True, capture_output=True, cwd=ROOT)
        port = free_port()
        base = f"http://127.0.0.1:{port}"
        set_site_url(uri, instance, base)

        def start(command: list[str], log: str) -> subprocess.Popen:
            with (instance / log).open("wb") as out:
                process = subprocess.Popen(command, env=env, cwd=ROOT, stdout=out, stderr=subprocess.STDOUT,
                                           stdin=subprocess.DEVNULL, start_new_session=True)
            processes.append(process)
            return process

        start([sys.executable, "-m", "gunicorn", "--workers", str(args.web_processes), "--bind", f"127.0.0.1:{port}",
               "--no-control-socket", "--graceful-timeout", "5", "blog.wsgi:app"], "gunicorn.log")
        for n in range(args.workers):
            start([*flask, "worker"], f"worker{n}.log")
        until(lambda: answers(base + "/healthz"), "gunicorn to answer", processes, step=0.1)
        for n in range(args.workers):
            until(lambda n=n: "Running background jobs" in (instance / f"worker{n}.log").read_text(),
                  f"worker {n} to start", processes, step=0.1)
        if schema is not None:
            until(lambda: schema.listeners() >= args.workers, "the workers to LISTEN", processes, step=0.1)
        time.sleep(1)  # the passes every queue makes when its worker starts

        with Blogs(args.delay) as blogs:
            session = requests.Session()
            token = CSRF.search(session.get(base + "/login", timeout=10).text).group(1)
            session.post(base + "/login", timeout=10, data={"csrf_token": token, "username": "bench",
                                                            "password": PASSWORD})
            token = CSRF.search(session.get(base + "/admin/posts/new", timeout=10).text).group(1)
            body = "\n".join(f"- [blog {i}]({blogs.url(f'/post/{i}/')})" for i in range(args.targets))
            started = time.perf_counter()
            response = session.post(base + "/admin/posts/new", allow_redirects=False, timeout=60, data={
                "csrf_token": token, "title": "Fan-out", "body": body, "action": "publish",
                "allow_comments": "y", "allow_pings": "y",
            })
            publish_ms = (time.perf_counter() - started) * 1000
            if response.status_code != 302:
                raise RuntimeError(f"publishing failed: HTTP {response.status_code}")
            until(lambda: blogs.answered >= args.targets, "every pingback", processes)
            engine = sa.create_engine(uri, poolclass=sa.pool.NullPool)
            try:
                recorded = until(lambda: sent_at(engine, args.targets), "every delivery recorded", processes)
            finally:
                engine.dispose()
            time.sleep(0.5)  # a duplicate in flight would arrive now
            exactly_once = sorted(blogs.pings.values()) == [1] * args.targets
        split = [len(re.findall(r"delivery \d+ to \S+: sent", (instance / f"worker{n}.log").read_text()))
                 for n in range(args.workers)]
        return Result(publish_ms, blogs.first_ping_at - started, blogs.last_answer_at - started,
                      recorded - started, split, exactly_once)
    finally:
        stop(processes)
        if schema is not None:
            schema.__exit__(None, None, None)
        shutil.rmtree(instance, ignore_errors=True)


def set_site_url(uri: str, instance: Path, base: str) -> None:
    """Settings -> General, Site URL: the gunicorn address (what pingbacks name as their source)."""
    os.environ["BLOG_INSTANCE_PATH"] = str(instance)
    from blog import create_app
    from blog.extensions import db
    from blog.site_settings import save_settings

    app = create_app({"SQLALCHEMY_DATABASE_URI": uri})
    with app.app_context():
        save_settings({"site_url": base})
        db.session.remove()
        db.engine.dispose()


def answers(url: str) -> bool:
    try:
        return requests.get(url, timeout=2).status_code == 200
    except requests.RequestException:
        return False


def sent_at(engine: sa.Engine, expected: int) -> float | None:
    """The moment every delivery is recorded as sent, or None while some are not."""
    with engine.connect() as connection:
        count = connection.execute(sa.text("SELECT count(*) FROM deliveries WHERE status = 'sent'")).scalar_one()
    return time.perf_counter() if count >= expected else None


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--targets", type=int, default=100)
    parser.add_argument("--delay", type=float, default=0.2, help="seconds each pingback server takes to answer")
    parser.add_argument("--workers", type=int, default=2, help="`flask worker` processes")
    parser.add_argument("--web-processes", type=int, default=4, help="gunicorn workers")
    parser.add_argument("--databases", default="sqlite,postgresql")
    parser.add_argument("--postgres-url", default=DEFAULT_POSTGRES_URL)
    args = parser.parse_args()

    rows = []
    for database in args.databases.split(","):
        if database == "postgresql" and (problem := postgres_problem(args.postgres_url)):
            shown = sa.make_url(args.postgres_url).render_as_string()
            print(f"postgresql: skipped, {shown} does not answer: {problem}", file=sys.stderr)
            continue
        for run in range(1, args.runs + 1):
            result = one_run(database, args)
            print(f"{database} run {run}: {result}", file=sys.stderr)
            rows.append((database, run, result))

    print(f"\n{args.targets} targets, each pingback answered after {args.delay:.1f} s; gunicorn -w "
          f"{args.web_processes} (pages only) + {args.workers} `flask worker`\n")
    print("| database | run | (a) publish request | (b) first ping | (c) all pinged | (d) all recorded sent "
          "| sent by each worker | each target once |")
    print("|---|---|---|---|---|---|---|---|")
    for database, run, r in rows:
        print(f"| {database} | {run} | {r.publish_ms:.0f} ms | {r.first_ping_s:.2f} s | {r.all_answered_s:.2f} s "
              f"| {r.all_recorded_s:.2f} s | {' / '.join(map(str, r.split))} | {'yes' if r.exactly_once else 'NO'} |")


if __name__ == "__main__":
    main()
