"""A fresh blog for a benchmark, and `flask serve` (what `make run` runs) started on it: shared by
page_speed.py, lighthouse.py and scale.py."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

import requests

ROOT = Path(__file__).resolve().parent.parent


def new_blog(folder: Path, **settings: str) -> dict[str, str]:
    """Migrate an empty blog in `folder` (its instance folder) and point this process at it, so that
    `blog.create_app()` here fills the same database; returns the environment for its server (`settings`
    become BLOG_* variables, e.g. PAGE_CACHE="false")."""
    env = dict(os.environ, BLOG_INSTANCE_PATH=str(folder), **{f"BLOG_{k}": v for k, v in settings.items()})
    subprocess.run([sys.executable, "-m", "flask", "--app", "blog", "db", "upgrade"], env=env, check=True,
                   capture_output=True, cwd=ROOT)
    os.environ["BLOG_INSTANCE_PATH"] = str(folder)
    return env


def start_serving(env: dict[str, str], port: int) -> tuple[subprocess.Popen, str]:
    """`flask serve` on the blog `env` names, once it answers /healthz: (process, base URL). Exits the
    benchmark if it does not within 30 s."""
    server = subprocess.Popen(
        [sys.executable, "-m", "flask", "--app", "blog", "serve", "--port", str(port)], env=env, cwd=ROOT,
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        try:
            if requests.get(base + "/healthz", timeout=1).ok:
                return server, base
        except requests.ConnectionError:
            time.sleep(0.2)
    server.kill()
    raise SystemExit("the blog did not start")


def serve_bench_content(folder: Path, port: int, **settings: str) -> tuple[subprocess.Popen, str, str]:
    """A fresh blog filled with wp-peer's bench content (bench_content.py), served: (process, home URL, post URL)."""
    from bench_content import fill

    from blog import create_app

    env = new_blog(folder, **settings)
    home, post = fill(create_app(), f"http://127.0.0.1:{port}")
    server, base = start_serving(env, port)
    return server, base + home, base + post
