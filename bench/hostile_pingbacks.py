"""Benchmark: do readers notice hostile pingbacks? 50 pingbacks whose source pages drip for 20 s
arrive from 10 loopback addresses while reader threads fetch the home page and a post with 100
comments. Targets: each page's p99 during the attack within 2x its idle p99, no reader request
over 200 ms, and every pingback (all are legitimate) verified. Runs the real `flask serve`.

    .venv/bin/python bench/hostile_pingbacks.py [--quick] [--pingbacks 50] [--drip 20]

--quick: 10 pingbacks with 5 s drips and a 5 s idle phase, for a fast check."""

from __future__ import annotations

import argparse
import http.client
import os
import shutil
import signal
import socket
import socketserver
import sqlite3
import subprocess
import sys
import tempfile
import threading
import time
import xmlrpc.client
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
P99_RATIO_TARGET = 2.0
MAX_LATENCY_TARGET = 0.200
CHECKS_TIME_LIMIT = 240.0
DRIP_INTERVAL = 0.2  # seconds between two pieces of a source page
CLOCK_OFFSET = time.time() - time.perf_counter()  # to place the server log's timestamps on our clock
PAGE_FILLER = (
    "<p>Hostile peers are patient: they answer, but only a few bytes at a time, so a blog that checks "
    "their pages ties up a thread for as long as they like.</p>\n"
)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def percentile(values: list[float], share: float) -> float:
    """Nearest-rank percentile (the value below which `share` of the samples lie)."""
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, int(share * len(ordered) + 0.999999) - 1))]


# --- the senders' source pages ---------------------------------------------------------------------------


@dataclass
class SourceLog:
    fetches: int = 0
    completed: int = 0  # fetches that got the whole page
    cut_off: int = 0  # fetches the blog closed before the end
    seconds: list[float] = field(default_factory=list)


class DripHandler(socketserver.BaseRequestHandler):
    """Reads the request, then sends the whole answer (status line, headers, HTML) in small pieces
    spread over the drip time, as a hostile or merely very slow peer does."""

    def handle(self) -> None:
        server: DripServer = self.server
        self.request.settimeout(10)
        head = b""
        while b"\r\n\r\n" not in head and len(head) < 65536:
            piece = self.request.recv(4096)
            if not piece:
                return
            head += piece
        path = head.split(b" ", 2)[1].decode("latin-1") if head.count(b" ") >= 2 else ""
        page = server.pages.get(path)
        if page is None:
            self.request.sendall(b"HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\nConnection: close\r\n\r\n")
            return
        answer = (
            "HTTP/1.1 200 OK\r\nContent-Type: text/html; charset=utf-8\r\n"
            f"Content-Length: {len(page)}\r\nConnection: close\r\n\r\n"
        ).encode() + page
        pieces = max(1, round(server.drip_seconds / DRIP_INTERVAL))
        size = -(-len(answer) // pieces)
        log = server.logs[path]
        with server.lock:
            log.fetches += 1
        started = time.perf_counter()
        try:
            for offset in range(0, len(answer), size):
                if offset:
                    time.sleep(DRIP_INTERVAL)
                self.request.sendall(answer[offset : offset + size])
        except OSError:
            with server.lock:
                log.cut_off += 1
            return
        with server.lock:
            log.completed += 1
            log.seconds.append(time.perf_counter() - started)


class DripServer(socketserver.ThreadingTCPServer):
    daemon_threads = True
    allow_reuse_address = True

    def __init__(self, address: str, drip_seconds: float):
        super().__init__((address, 0), DripHandler)
        self.drip_seconds = drip_seconds
        self.pages: dict[str, bytes] = {}
        self.logs: dict[str, SourceLog] = {}
        self.lock = threading.Lock()
        self.base = f"http://{address}:{self.server_address[1]}"
        threading.Thread(target=self.serve_forever, kwargs={"poll_interval": 0.2}, daemon=True).start()

    def add_page(self, number: int, target: str) -> str:
        path = f"/2024/05/{number:02d}/a-reply-{number}/"
        html = (
            f"<!doctype html>\n<html><head><meta charset='utf-8'><title>A reply, part {number}</title></head>\n"
            f"<body><article><h1>A reply, part {number}</h1>\n{PAGE_FILLER * 8}"
            f"<p>As <a href=\"{target}\">this post</a> says, a reader should never wait on another blog.</p>\n"
            f"{PAGE_FILLER * 2}</article></body></html>\n"
        )
        self.pages[path] = html.encode()
        self.logs[path] = SourceLog()
        return self.base + path


# --- the blog ------------------------------------------------------------------------------------------------


def prepare_blog(instance: str, env: dict[str, str], base: str) -> str:
    """Create the database, the administrator and the content; return the busy post's path."""
    flask = [sys.executable, "-m", "flask", "--app", "blog"]
    subprocess.run([*flask, "db", "upgrade"], env=env, check=True, capture_output=True, cwd=ROOT)
    admin = ["--blog-title", "Bench", "--username", "bench", "--email", "b@example.com", "--password", "bench-password"]
    subprocess.run([*flask, "create-admin", *admin], env=env, check=True, capture_output=True, cwd=ROOT)
    os.environ.update(env)  # the in-process app below must open the same instance, configured alike
    sys.path.insert(0, str(ROOT))
    from blog import create_app
    from blog.extensions import db
    from blog.models import Comment, CommentKind, CommentStatus, User, utcnow
    from blog.permalinks import post_url
    from blog.posts import PostInput, save_post
    from blog.site_settings import save_settings

    app = create_app()
    with app.test_request_context(base_url=base):
        save_settings({"site_url": base})
        author = db.session.execute(db.select(User)).scalar_one()
        paragraph = "A paragraph of an ordinary post, with *some emphasis* and `code`, long enough to wrap. " * 4
        for number in range(1, 12):
            body = "\n\n".join([f"## Part {number}", paragraph, "- one\n- two\n- three", paragraph])
            save_post(None, PostInput(title=f"Ordinary post {number}", body=body, tags="notes, bench"),
                      publish=True, author=author)
        post = save_post(None, PostInput(title="The busy post", body="\n\n".join([paragraph] * 6), tags="bench"),
                         publish=True, author=author)
        previous = None
        for number in range(100):  # every fifth one a reply to the one before
            comment = Comment(
                post=post, kind=CommentKind.COMMENT, status=CommentStatus.APPROVED,
                author_name=f"Reader {number}", author_email=f"reader{number}@example.com",
                author_url=f"https://reader{number}.example.com/" if number % 3 == 0 else "",
                content=f"Comment {number}: I read this and have thoughts. " * 5, ip=f"192.0.2.{number + 1}",
                created_at=utcnow(), parent_id=previous.id if number % 5 == 4 and previous else None,
            )
            db.session.add(comment)
            db.session.flush()
            previous = comment
        db.session.commit()
        path = post_url(post)
        db.engine.dispose()
    return path


def open_database(instance: str) -> sqlite3.Connection:
    return sqlite3.connect(f"file:{Path(instance) / 'blog.sqlite'}?mode=ro", uri=True, timeout=10)


def cpu_seconds(pid: int) -> float:
    """User plus system CPU time the process has used so far (Linux /proc)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def stop_server(server: subprocess.Popen) -> None:
    """Ctrl-C (waitress and the job runner stop cleanly), then SIGTERM, then SIGKILL."""
    for send, wait in ((lambda: server.send_signal(signal.SIGINT), 15), (server.terminate, 5), (server.kill, 5)):
        if server.poll() is not None:
            return
        send()
        try:
            server.wait(wait)
            return
        except subprocess.TimeoutExpired:
            continue


# --- readers and senders ----------------------------------------------------------------------------------


@dataclass
class Sample:
    at: float  # perf_counter when the request started
    page: str
    seconds: float
    ok: bool


class Readers:
    """Threads fetching the home page and the post page one after the other, on kept-alive connections."""

    def __init__(self, port: int, pages: dict[str, str], count: int, pause: float):
        self.port = port
        self.pages = pages
        self.pause = pause
        self.samples: list[Sample] = []
        self.lock = threading.Lock()
        self.stop = threading.Event()
        self.threads = [threading.Thread(target=self._read, daemon=True) for _ in range(count)]

    def start(self) -> None:
        for thread in self.threads:
            thread.start()

    def finish(self) -> None:
        self.stop.set()
        for thread in self.threads:
            thread.join(15)

    def _read(self) -> None:
        conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=10)
        while not self.stop.is_set():
            for name, path in self.pages.items():
                started = time.perf_counter()
                try:
                    conn.request("GET", path)
                    response = conn.getresponse()
                    response.read()
                    ok = response.status == 200
                except (OSError, http.client.HTTPException):
                    conn.close()  # the next request opens a new connection
                    ok = False
                    self.stop.wait(0.1)
                with self.lock:
                    self.samples.append(Sample(started, name, time.perf_counter() - started, ok))
                self.stop.wait(self.pause)
        conn.close()

    def in_window(self, start: float, end: float) -> list[Sample]:
        with self.lock:
            return [s for s in self.samples if start <= s.at < end]


@dataclass
class Answer:
    sender: str
    source: str
    seconds: float
    result: str  # "ok", or "fault N: message", or "error: ..."


def send_pingbacks(port: int, plan: list[tuple[str, str]], target: str) -> list[Answer]:
    """Send every (sender address, source URL) pingback: one thread per sender address, each sending
    its own one after another, all at once."""
    answers: list[Answer] = []
    lock = threading.Lock()

    def send_from(sender: str, sources: list[str]) -> None:
        for source in sources:
            body = xmlrpc.client.dumps((source, target), "pingback.ping").encode()
            started = time.perf_counter()
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30, source_address=(sender, 0))
            try:
                conn.request("POST", "/xmlrpc", body, {"Content-Type": "text/xml"})
                reply = conn.getresponse().read()
                try:
                    xmlrpc.client.loads(reply)
                    result = "ok"
                except xmlrpc.client.Fault as fault:
                    result = f"fault {fault.faultCode}: {fault.faultString}"
            except (OSError, http.client.HTTPException) as error:
                result = f"error: {error!r}"
            finally:
                conn.close()
            with lock:
                answers.append(Answer(sender, source, time.perf_counter() - started, result))

    by_sender: dict[str, list[str]] = {}
    for sender, source in plan:
        by_sender.setdefault(sender, []).append(source)
    threads = [threading.Thread(target=send_from, args=item, daemon=True) for item in by_sender.items()]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    return answers


# --- the run -----------------------------------------------------------------------------------------------


def wait_until_serving(port: int, server: subprocess.Popen) -> None:
    for _ in range(200):
        if server.poll() is not None:
            raise SystemExit(f"flask serve exited with {server.returncode}")
        try:
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=2)
            conn.request("GET", "/")
            if conn.getresponse().status == 200:
                conn.close()
                return
        except OSError:
            pass
        time.sleep(0.1)
    raise SystemExit("flask serve did not answer within 20 s")


def wait_for_checks(database: sqlite3.Connection, server: subprocess.Popen, limit: float) -> bool:
    """Wait until no linkback check is left in the queue; False if the time limit passed first."""
    deadline = time.perf_counter() + limit
    while time.perf_counter() < deadline and server.poll() is None:
        if database.execute("SELECT count(*) FROM linkback_checks").fetchone()[0] == 0:
            return True
        time.sleep(0.25)
    return False


def page_figures(samples: list[Sample]) -> tuple[int, int, float, float, float]:
    seconds = [s.seconds for s in samples]
    failed = sum(1 for s in samples if not s.ok)
    if not seconds:
        return 0, failed, float("nan"), float("nan"), float("nan")
    return len(seconds), failed, percentile(seconds, 0.50), percentile(seconds, 0.99), max(seconds)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="10 pingbacks, 5 s drips, 5 s idle phase")
    parser.add_argument("--pingbacks", type=int, default=50)
    parser.add_argument("--senders", type=int, default=10, help="client addresses 127.0.0.2 ...")
    parser.add_argument("--drip", type=float, default=20.0, help="seconds each source takes to send its page")
    parser.add_argument("--readers", type=int, default=2)
    parser.add_argument("--pause", type=float, default=0.1, help="seconds each reader waits between requests")
    parser.add_argument("--idle", type=float, default=45.0, help="seconds of the idle phase")
    args = parser.parse_args()
    if args.quick:
        args.pingbacks, args.drip, args.idle = 10, 5.0, 5.0
    if not 1 <= args.senders <= 250 or args.pingbacks < 1 or args.readers < 1:
        parser.error("use 1-250 senders, and at least one pingback and one reader")

    instance = tempfile.mkdtemp(prefix="blog-bench-")
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    blog_env = {
        "BLOG_INSTANCE_PATH": instance,
        "BLOG_LINKBACK_ALLOW_PRIVATE": "true",
        "BLOG_LINKBACK_TOTAL_TIMEOUT_SECONDS": "30",
        "BLOG_LINKBACK_PER_POST_PER_MINUTE": "100",
    }
    env = dict(os.environ, **blog_env)
    server = readers = None
    drips: list[DripServer] = []
    log_path = Path(instance) / "serve.log"
    finished = False
    try:
        post_path = prepare_blog(instance, env, base)
        target = base + post_path
        drips = [DripServer(f"127.0.0.{2 + i}", args.drip) for i in range(args.senders)]
        plan = []
        for number in range(args.pingbacks):
            drip = drips[number % len(drips)]
            plan.append((drip.server_address[0], drip.add_page(number + 1, target)))

        with log_path.open("wb") as log:
            server = subprocess.Popen([sys.executable, "-m", "flask", "--app", "blog", "serve", "--port", str(port)],
                                      env=env, cwd=ROOT, stdout=log, stderr=subprocess.STDOUT)
        wait_until_serving(port, server)
        database = open_database(instance)
        readers = Readers(port, {"home": "/", "post": post_path}, args.readers, args.pause)
        readers.start()
        time.sleep(2)  # warm up: templates compiled, connections open

        idle_start, cpu_idle_start = time.perf_counter(), cpu_seconds(server.pid)
        time.sleep(args.idle)
        idle_end, cpu_idle_end = time.perf_counter(), cpu_seconds(server.pid)

        attack_start, cpu_attack_start = time.perf_counter(), cpu_seconds(server.pid)
        answers = send_pingbacks(port, plan, target)
        sent_seconds = time.perf_counter() - attack_start
        checks_done = wait_for_checks(database, server, CHECKS_TIME_LIMIT)
        attack_end, cpu_attack_end = time.perf_counter(), cpu_seconds(server.pid)

        pingbacks = dict(database.execute(
            "SELECT author_url, verification FROM comments WHERE kind = 'pingback'").fetchall())
        notes = database.execute(
            "SELECT verification, verification_note, count(*) FROM comments WHERE kind = 'pingback' "
            "AND verification != 'verified' GROUP BY 1, 2").fetchall()
        database.close()
        finished = True
    finally:
        if readers is not None:
            readers.finish()
        if server is not None:
            stop_server(server)
        for drip in drips:
            drip.shutdown()
            drip.server_close()
        server_log = log_path.read_text(errors="replace") if log_path.exists() else ""
        if not finished and server_log:
            print("flask serve's last words:\n" + "\n".join(server_log.splitlines()[-20:]), file=sys.stderr)
        shutil.rmtree(instance, ignore_errors=True)

    phases = {
        "idle": (idle_start, idle_end),
        "attack": (attack_start, attack_end),
        " arrive": (attack_start, attack_start + sent_seconds),  # the pingbacks' requests being answered
        " checks": (attack_start + sent_seconds, attack_end),  # only the source checks running
    }
    figures = {(name, phase): page_figures([s for s in readers.in_window(*window) if s.page == name])
               for name in ("home", "post") for phase, window in phases.items()}
    idle = {name: figures[name, "idle"] for name in ("home", "post")}
    attack = {name: figures[name, "attack"] for name in ("home", "post")}
    slowest = sorted(readers.in_window(attack_start, attack_end), key=lambda s: s.seconds, reverse=True)[:5]
    verified = sum(1 for _, source in plan if pingbacks.get(source) == "verified")
    accepted = sum(1 for a in answers if a.result == "ok")
    logs = [log for drip in drips for log in drip.logs.values()]
    fetches = sum(log.fetches for log in logs)
    drip_times = [t for log in logs for t in log.seconds]
    problems: dict[str, dict[str, int]] = {}  # message kind -> phase -> how many
    for line in server_log.splitlines():
        stamp, _, message = line.partition(" WARNING ") if " WARNING " in line else line.partition(" ERROR ")
        if not message:
            continue
        kind = message.rstrip("0123456789")  # "Task queue depth is 6" and "... is 2" count as one kind
        try:
            at = datetime.strptime(stamp, "%Y-%m-%d %H:%M:%S,%f").timestamp() - CLOCK_OFFSET
        except ValueError:
            at = None
        phase = next((name.strip() for name, (start, end) in phases.items()
                      if name != "attack" and at is not None and start <= at < end), "other")
        counts = problems.setdefault(kind, {})
        counts[phase] = counts.get(phase, 0) + 1

    print(f"blog: `flask serve` (SERVER_THREADS 8, LINKBACK_CONCURRENCY 8 by default); post with 100 approved "
          f"comments + 11 other posts; {args.readers} reader threads on kept-alive connections, "
          + (f"{args.pause * 1000:.0f} ms between requests" if args.pause else "requests back to back"))
    print("      BLOG_LINKBACK_ALLOW_PRIVATE=true (sources on loopback), BLOG_LINKBACK_TOTAL_TIMEOUT_SECONDS=30 "
          f"(so a source taking {args.drip:.0f} s is still legitimate),")
    print(f"      BLOG_LINKBACK_PER_POST_PER_MINUTE=100 ({args.pingbacks} pings to one post in a minute); "
          "everything else default")
    print(f"pingbacks: {args.pingbacks} from {len(drips)} addresses (127.0.0.2-127.0.0.{1 + len(drips)}), "
          f"all sent within {sent_seconds:.2f} s; {accepted} accepted, {len(answers) - accepted} refused; "
          f"answer p50 {percentile([a.seconds for a in answers], 0.5) * 1000:.0f} ms, "
          f"max {max(a.seconds for a in answers) * 1000:.0f} ms")
    for answer in answers:
        if answer.result != "ok":
            print(f"    {answer.sender} {answer.source}: {answer.result}")
    print(f"sources: each page dripped over {args.drip:.0f} s in pieces every {DRIP_INTERVAL} s; {fetches} fetches, "
          f"{sum(log.completed for log in logs)} read to the end"
          + (f" (in {min(drip_times):.1f}-{max(drip_times):.1f} s)" if drip_times else "")
          + f", {sum(log.cut_off for log in logs)} cut off")
    print(f"checks: {'all done' if checks_done else 'NOT done'} {attack_end - attack_start:.1f} s after the first "
          f"pingback; verified {verified}/{args.pingbacks}")
    for verification, note, count in notes:
        print(f"    {count} {verification}: {note}")
    idle_cpu = (cpu_idle_end - cpu_idle_start) / (idle_end - idle_start)
    attack_cpu = (cpu_attack_end - cpu_attack_start) / (attack_end - attack_start)
    print(f"server CPU: {idle_cpu:.2f} cores idle, {attack_cpu:.2f} cores under attack ({os.cpu_count()} cores here)")
    print()
    print(f"{'page':5} {'phase':7} {'requests':>8} {'failed':>6} {'p50 ms':>7} {'p99 ms':>7} {'max ms':>7}")
    for name in ("home", "post"):
        for phase in phases:
            count, failed, p50, p99, top = figures[name, phase]
            print(f"{name:5} {phase:7} {count:8} {failed:6} {p50 * 1000:7.1f} {p99 * 1000:7.1f} {top * 1000:7.1f}")
    print("(attack: first pingback sent until no check is left; arrive: until the last pingback was answered; "
          "checks: the rest)")
    print("slowest under attack: " + ", ".join(
        f"{s.page} {s.seconds * 1000:.0f} ms at +{s.at - attack_start:.1f} s" for s in slowest))
    print()
    ratios = {name: attack[name][3] / idle[name][3] for name in ("home", "post")}
    worst = max(attack[name][4] for name in ("home", "post"))
    failed = sum(attack[name][1] + idle[name][1] for name in ("home", "post"))
    print("attack p99 / idle p99: " + ", ".join(f"{name} {ratio:.2f}x" for name, ratio in ratios.items())
          + f" (target <= {P99_RATIO_TARGET:.0f}x); slowest reader request under attack {worst * 1000:.0f} ms "
          f"(target <= {MAX_LATENCY_TARGET * 1000:.0f} ms)")
    for kind, counts in problems.items():
        print(f"server log: {kind[:120]}... " + ", ".join(f"{n}x {phase}" for phase, n in counts.items()))
    misses = []
    if any(ratio > P99_RATIO_TARGET for ratio in ratios.values()):
        misses.append("p99 over 2x idle")
    if worst > MAX_LATENCY_TARGET:
        idle_worst = max(idle[name][4] for name in ("home", "post"))
        misses.append(f"a reader waited over 200 ms (idle max was {idle_worst * 1000:.0f} ms)")
    if failed:
        misses.append(f"{failed} reader requests failed")
    if verified < args.pingbacks or not checks_done:
        misses.append(f"only {verified}/{args.pingbacks} pingbacks verified")
    print("verdict: " + ("HOLDS: readers unaffected and every pingback verified" if not misses
                         else "DOES NOT HOLD: " + "; ".join(misses)))


if __name__ == "__main__":
    main()
