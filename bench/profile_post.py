"""CPU cost of rendering the post page with 100 approved comments without any cache (a cache miss), and
where it goes: cProfile over repeated renders through the test client, in a fresh blog in a temporary folder.

    .venv/bin/python bench/profile_post.py [--renders 200] [--top 25] [--page post|home] [--sql]

Prints the mean CPU milliseconds per render (process time, so other processes on the machine do not
count), the number of SQL statements one render runs, and the top functions by cumulative time."""

from __future__ import annotations

import argparse
import cProfile
import os
import pstats
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench import bench_content  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--renders", type=int, default=200)
    parser.add_argument("--top", type=int, default=25)
    parser.add_argument("--page", choices=("post", "home"), default="post")
    parser.add_argument("--sort", default="cumulative", help="pstats sort key: cumulative, tottime, ...")
    parser.add_argument("--sql", action="store_true", help="print the SQL statements of one render")
    args = parser.parse_args()

    with tempfile.TemporaryDirectory() as folder:
        os.environ["BLOG_INSTANCE_PATH"] = folder
        from flask_migrate import upgrade
        from sqlalchemy import event

        from blog import create_app
        from blog.extensions import db

        app = create_app({"PAGE_CACHE": False})
        with app.app_context():
            upgrade()
        home, post = bench_content.fill(app, "http://127.0.0.1:5000")
        path = post if args.page == "post" else home
        client = app.test_client()
        assert client.get(path).status_code == 200

        statements = []
        with app.app_context():
            engine = db.engine
        def count_statement(*args):
            statements.append(args[2])

        event.listen(engine, "before_cursor_execute", count_statement)
        client.get(path)
        count = len(statements)
        event.remove(engine, "before_cursor_execute", count_statement)

        for _ in range(20):  # warm-up: templates compiled, caches filled
            client.get(path)
        started = time.process_time()
        for _ in range(args.renders):
            client.get(path)
        per_render = (time.process_time() - started) / args.renders * 1000

        profile = cProfile.Profile()
        profile.enable()
        for _ in range(args.renders):
            client.get(path)
        profile.disable()

    print(f"{args.page} {path}: {per_render:.2f} ms CPU per uncached render, {count} SQL statements")
    if args.sql:
        print("\n\n".join(statements))
    pstats.Stats(profile).sort_stats(args.sort).print_stats(args.top)


if __name__ == "__main__":
    main()
