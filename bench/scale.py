"""Page times at scale, without any cache: a blog filled with N posts (one a day, two of 50 tags each) and 20
comments and linkbacks per post (a quarter of them pending), served by `flask serve` with the page cache off;
p50 and p99 of home, a post, a tag page, a month archive, the feed, the admin posts list, the moderation
queue (its default Pending tab and its All tab) and the dashboard, and the server's memory. Run at two sizes to see
that times stay flat as the blog grows.

    .venv/bin/python bench/scale.py [--sizes 1000,10000] [--requests 100] [--port 5097]

The default sizes give 1,000 posts / 20,000 comments and 10,000 posts / 200,000 comments (50,000 pending). Each
page is asked --requests times, one request at a time, after 5 warm-up requests; times are measured by the
client (loopback). Memory is the server process's peak resident size (VmHWM) after the run."""

from __future__ import annotations

import argparse
import gc
import re
import statistics
import tempfile
import time
from datetime import timedelta
from pathlib import Path

import requests
from blog_server import new_blog, start_serving

COMMENTS_PER_POST = 20
TEXT = ("Lorem ipsum dolor sit amet, consectetur adipiscing elit, sed do eiusmod tempor incididunt ut labore et "
        "dolore magna aliqua, see https://example.com/page for more.")


def fill(app, posts: int) -> None:
    """Writes the content straight into the tables (Core inserts in batches): the editor would take hours."""
    import sqlalchemy as sa

    from blog.auth import create_administrator
    from blog.comment_html import render_stored_html
    from blog.extensions import db
    from blog.models import Comment, Post, Tag, User, post_tags, utcnow
    from blog.rendering import render_markdown

    with app.app_context():
        create_administrator("Scale Blog", "admin", "bench-password", "admin@example.com", "http://127.0.0.1")
        author_id = db.session.execute(db.select(User.id)).scalar_one()
        db.session.execute(sa.insert(Tag), [{"name": f"Topic {i}", "slug": f"topic-{i}"} for i in range(50)])
        tag_ids = db.session.execute(db.select(Tag.id).order_by(Tag.id)).scalars().all()
        now = utcnow()
        body = "\n\n".join(f"Paragraph {p}. {TEXT}" for p in range(5))
        html = render_markdown(body)
        comment_html = render_stored_html(TEXT)
        for start in range(0, posts, 1000):
            numbers = range(start, min(posts, start + 1000))
            rows = [{"title": f"Post {n}", "slug": f"post-{n}", "body_markdown": body, "body_html": html,
                     "status": "published", "published_at": now - timedelta(days=n, hours=1), "author_id": author_id,
                     "created_at": now - timedelta(days=n), "updated_at": now - timedelta(days=n),
                     "content_updated_at": now - timedelta(days=n)} for n in numbers]
            db.session.execute(sa.insert(Post), rows)
            ids = dict(db.session.execute(
                db.select(Post.slug, Post.id).where(Post.slug.in_([r["slug"] for r in rows]))).all())
            db.session.execute(post_tags.insert(), [
                {"post_id": ids[f"post-{n}"], "tag_id": tag_ids[(n + k * 7) % len(tag_ids)]}
                for n in numbers for k in range(2)])
            comments = []
            for n in numbers:
                for c in range(COMMENTS_PER_POST):
                    kind = ("comment", "comment", "comment", "pingback", "webmention")[c % 5]
                    source = f"https://other{c}.example/{n}" if kind != "comment" else None
                    comments.append({
                        "post_id": ids[f"post-{n}"], "kind": kind, "status": "pending" if c % 4 == 3 else "approved",
                        "author_name": f"Reader {c}", "author_email": f"r{c}@example.com", "author_url": source or "",
                        "source_key": source, "content": TEXT, "content_html": comment_html, "ip": "192.0.2.1",
                        "created_at": now - timedelta(days=n) + timedelta(minutes=c + 1),
                    })
            db.session.execute(sa.insert(Comment), comments)
            db.session.commit()


def serve(folder: Path, port: int, posts: int):
    env = new_blog(folder, PAGE_CACHE="false")
    from blog import create_app

    started = time.monotonic()
    fill(create_app(), posts)
    print(f"filled {posts} posts, {posts * COMMENTS_PER_POST} comments in {time.monotonic() - started:.0f} s",
          flush=True)
    return start_serving(env, port)


def timings(session: requests.Session, url: str, count: int) -> tuple[float, float]:
    for _ in range(5):
        response = session.get(url, timeout=30)
        response.raise_for_status()
    times = []
    for _ in range(count):
        started = time.perf_counter()
        session.get(url, timeout=30).raise_for_status()
        times.append((time.perf_counter() - started) * 1000)
    times.sort()
    return statistics.median(times), times[min(len(times) - 1, int(len(times) * 0.99))]


def peak_memory_mb(pid: int) -> float:
    status = Path(f"/proc/{pid}/status").read_text()
    return int(re.search(r"VmHWM:\s+(\d+) kB", status).group(1)) / 1024


def measure(posts: int, port: int, count: int) -> dict[str, tuple[float, float]]:
    with tempfile.TemporaryDirectory(prefix="scale-") as tmp:
        server, base = serve(Path(tmp) / "instance", port, posts)
        try:
            # This process filled the blog: its own garbage collector's full passes would stall the timing.
            gc.collect()
            gc.freeze()
            reader = requests.Session()
            home = reader.get(base + "/").text
            post = re.search(r'href="(/\d{4}/\d{2}/\d{2}/post-\d+/)"', home).group(1)
            middle = posts // 2  # a post, a tag and a month from the middle of the archive
            page = reader.get(f"{base}/page/{max(1, middle // 10)}/").text
            month = re.search(r'href="(/\d{4}/\d{2})/\d{2}/post-\d+/"', page).group(1) + "/"
            admin = requests.Session()
            token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', admin.get(base + "/login").text)
            admin.post(base + "/login", data={"csrf_token": token.group(1), "username": "admin",
                                              "password": "bench-password"}).raise_for_status()
            pages = {
                "home": (reader, "/"), "post": (reader, post), "tag": (reader, "/tag/topic-7/"),
                "month": (reader, month), "feed": (reader, "/feed/"), "admin posts": (admin, "/admin/posts"),
                "moderation": (admin, "/admin/comments/"), "moderation, All": (admin, "/admin/comments/?status=all"),
                "dashboard": (admin, "/admin/"),
            }
            results = {name: timings(session, base + path, count) for name, (session, path) in pages.items()}
            results["memory"] = (peak_memory_mb(server.pid), 0.0)
        finally:
            server.terminate()
            server.wait(10)
    return results


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sizes", default="1000,10000", help="numbers of posts, comma-separated")
    parser.add_argument("--requests", type=int, default=100)
    parser.add_argument("--port", type=int, default=5097)
    args = parser.parse_args()
    sizes = [int(s) for s in args.sizes.split(",")]
    results = {size: measure(size, args.port, args.requests) for size in sizes}
    header = f"{'page':<16}" + "".join(f"{f'{s} posts p50/p99 ms':>26}" for s in sizes)
    if len(sizes) > 1:
        header += f"{'p50 ratio':>11}"
    print(header)
    for name in results[sizes[0]]:
        if name == "memory":
            continue
        row = f"{name:<16}" + "".join(f"{results[s][name][0]:>17.1f} /{results[s][name][1]:>7.1f}" for s in sizes)
        if len(sizes) > 1:
            row += f"{results[sizes[-1]][name][0] / results[sizes[0]][name][0]:>10.2f}x"
        print(row)
    print(f"{'server peak':<16}" + "".join(f"{results[s]['memory'][0]:>21.0f} MB" + " " * 2 for s in sizes))


if __name__ == "__main__":
    main()
