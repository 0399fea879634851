"""Benchmark: fill a throwaway blog with 10,000 published posts (varied English text, a few hundred
words each) and time search_posts() for common, rare, two-word, phrase and no-match queries,
p50 and p99 over repeated runs, on SQLite (FTS5) and/or PostgreSQL (tsvector + GIN).

    .venv/bin/python bench/search.py [--posts 10000] [--runs 50] [--databases sqlite,postgresql]
        [--postgresql-url postgresql+psycopg://postgres@127.0.0.1:5432/test]

Posts are written with the app's own set_post_text (the same derived columns and triggers as the
editor), in batches, without the editor's forms."""

from __future__ import annotations

import argparse
import os
import random
import secrets
import statistics
import tempfile
import time
from datetime import timedelta
from pathlib import Path

import sqlalchemy as sa

from blog import create_app
from blog.extensions import db
from blog.models import Post, PostStatus, User, utcnow
from blog.posts import set_post_text
from blog.search import search_posts

WORDS = (
    "the of and to in a is that for it as was with be by on not he this are or his from at which but have an they "
    "you were her she there been one all we their has would when if so no will my what up out about who can some "
    "time them other into more only your could new these two may first then do any like my now over such our man "
    "me even most made after also did many before must through back years where much way well down should because "
    "each just those people how too little state good very make world still own see men work long get here between "
    "both life being under never day same another know while last might us great old year off come since against "
    "go came right used take three garden river mountain kitchen bread coffee bicycle winter summer library "
    "letter window morning evening travel harbour lantern orchard meadow violin novel painting bridge lighthouse"
).split()
RARE = ["heron", "quinoa", "zeppelin", "marmalade", "obsidian", "tuba"]
QUERIES = {
    "common word": "garden",
    "rare word": "zeppelin",
    "two words": "river bridge",
    "phrase": '"morning coffee"',
    "or": "violin or tuba",
    "no match": "xylograph",
}


def fill(posts: int) -> None:
    random.seed(1)
    user = User(username="bench", email="bench@example.com", password_hash="x")
    db.session.add(user)
    db.session.flush()
    start = utcnow() - timedelta(days=posts)
    for n in range(posts):
        words = random.choices(WORDS, k=random.randint(150, 600))
        if n % 50 == 0:
            words.insert(random.randrange(len(words)), random.choice(RARE))
        paragraphs = [" ".join(words[i:i + 60]).capitalize() + "." for i in range(0, len(words), 60)]
        title = " ".join(random.choices(WORDS[-40:], k=3)).title()
        post = Post(title=title, slug=f"post-{n}", status=PostStatus.PUBLISHED, author=user,
                    published_at=start + timedelta(days=n), created_at=start, updated_at=start,
                    content_updated_at=start)
        set_post_text(post, "\n\n".join(paragraphs))
        db.session.add(post)
        if n % 1000 == 999:
            db.session.commit()
    db.session.commit()


def percentile(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(p / 100 * (len(ordered) - 1)))]


def run(database: str, url: str, posts: int, runs: int) -> None:
    app = create_app({"SQLALCHEMY_DATABASE_URI": url, "TESTING": True})
    with app.app_context():
        db.create_all()
        began = time.perf_counter()
        fill(posts)
        print(f"\n{database}: {posts} posts written and indexed in {time.perf_counter() - began:.1f} s")
        print(f"{'query':<12} {'found':>6} {'p50 ms':>8} {'p99 ms':>8}")
        for name, text in QUERIES.items():
            times = []
            for _ in range(runs):
                began = time.perf_counter()
                results = search_posts(text, page=1, per_page=10)
                times.append((time.perf_counter() - began) * 1000)
                db.session.remove()
            print(f"{name:<12} {results.total:>6} {statistics.median(times):>8.1f} {percentile(times, 99):>8.1f}")
        db.session.remove()
        db.engine.dispose()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--posts", type=int, default=10_000)
    parser.add_argument("--runs", type=int, default=50)
    parser.add_argument("--databases", default="sqlite")
    parser.add_argument("--postgresql-url", default="postgresql+psycopg://postgres@127.0.0.1:5432/test")
    args = parser.parse_args()
    os.environ.setdefault("BLOG_INSTANCE_PATH", tempfile.mkdtemp(prefix="bench-search-"))
    for database in args.databases.split(","):
        if database == "sqlite":
            with tempfile.TemporaryDirectory() as folder:
                run("SQLite", f"sqlite:///{Path(folder) / 'bench.sqlite'}", args.posts, args.runs)
        else:
            schema = f"bench_{secrets.token_hex(4)}"
            admin = sa.create_engine(args.postgresql_url, isolation_level="AUTOCOMMIT")
            with admin.connect() as conn:
                conn.execute(sa.text(f"CREATE SCHEMA {schema}"))
            url = sa.make_url(args.postgresql_url).update_query_dict({"options": f"-csearch_path={schema}"})
            try:
                run("PostgreSQL", url.render_as_string(hide_password=False), args.posts, args.runs)
            finally:
                with admin.connect() as conn:
                    conn.execute(sa.text(f"DROP SCHEMA {schema} CASCADE"))
                admin.dispose()


if __name__ == "__main__":
    main()
