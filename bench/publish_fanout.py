"""Benchmark: publish a post linking 50 loopback blogs whose pingback servers each take 1 s to
answer, and measure (a) how long the publish request takes and (b) how long until every delivery
is finished. Runs the real `flask serve` (web server + delivery thread) on a throwaway instance.

    .venv/bin/python bench/publish_fanout.py [--targets 50] [--delay 1.0]

WordPress sends its pings one after another from WP-Cron, so 50 such targets take it 50+ s."""

from __future__ import annotations

import argparse
import os
import re
import socket
import subprocess
import sys
import tempfile
import threading
import time
import xmlrpc.client
from pathlib import Path

import requests
from werkzeug import Request, Response
from werkzeug.serving import WSGIRequestHandler, make_server

ROOT = Path(__file__).resolve().parent.parent
CSRF = re.compile(r'name="csrf_token"[^>]*value="([^"]+)"')


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class QuietHandler(WSGIRequestHandler):
    def log_request(self, *args, **kwargs):
        pass


class Targets:
    """The 50 remote blogs: post pages advertising one XML-RPC endpoint that answers after `delay`."""

    def __init__(self, delay: float):
        self.delay = delay
        self.received = 0
        self.lock = threading.Lock()
        self.server = make_server("127.0.0.1", 0, self.app, threaded=True, request_handler=QuietHandler)
        self.base = f"http://127.0.0.1:{self.server.socket.getsockname()[1]}"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    @Request.application
    def app(self, request: Request) -> Response:
        if request.path == "/xmlrpc":
            xmlrpc.client.loads(request.get_data())
            time.sleep(self.delay)
            with self.lock:
                self.received += 1
            return Response(xmlrpc.client.dumps(("ok",), methodresponse=True), content_type="text/xml")
        return Response("<html><head><title>t</title></head></html>", content_type="text/html",
                        headers={"X-Pingback": self.base + "/xmlrpc"})


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--targets", type=int, default=50)
    parser.add_argument("--delay", type=float, default=1.0)
    args = parser.parse_args()
    targets = Targets(args.delay)
    instance = tempfile.mkdtemp(prefix="blog-bench-")
    port = free_port()
    env = dict(os.environ, BLOG_INSTANCE_PATH=instance, BLOG_LINKBACK_ALLOW_PRIVATE="true")
    flask = [sys.executable, "-m", "flask", "--app", "blog"]
    subprocess.run([*flask, "db", "upgrade"], env=env, check=True, capture_output=True, cwd=ROOT)
    admin = ["--blog-title", "Bench", "--username", "bench", "--email", "b@example.com", "--password", "bench-password"]
    subprocess.run([*flask, "create-admin", *admin], env=env, check=True, capture_output=True, cwd=ROOT)
    server = subprocess.Popen([*flask, "serve", "--port", str(port)], env=env, cwd=ROOT,
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    base = f"http://127.0.0.1:{port}"
    try:
        session = requests.Session()
        for _ in range(100):
            try:
                page = session.get(base + "/login", timeout=2).text
                break
            except requests.ConnectionError:
                time.sleep(0.1)
        token = CSRF.search(page).group(1)
        session.post(base + "/login", data={"csrf_token": token, "username": "bench", "password": "bench-password"})
        token = CSRF.search(session.get(base + "/admin/posts/new").text).group(1)
        body = "\n".join(f"- [blog {i}]({targets.base}/post/{i}/)" for i in range(args.targets))
        started = time.perf_counter()
        response = session.post(base + "/admin/posts/new", allow_redirects=False, data={
            "csrf_token": token, "title": "Fan-out", "body": body, "action": "publish",
            "allow_comments": "y", "allow_pings": "y",
        })
        publish_seconds = time.perf_counter() - started
        assert response.status_code == 302, response.text[:500]
        while targets.received < args.targets and time.perf_counter() - started < 300:
            time.sleep(0.05)
        all_seconds = time.perf_counter() - started
    finally:
        server.terminate()
        server.wait(10)
    print(f"targets: {args.targets}, each pingback answered after {args.delay:.1f} s")
    print(f"(a) publish request: {publish_seconds * 1000:.0f} ms")
    print(f"(b) all {targets.received} deliveries finished: {all_seconds:.2f} s after publishing")
    print(f"    serial sending (as WordPress does) would need at least {args.targets * args.delay:.0f} s")


if __name__ == "__main__":
    main()
