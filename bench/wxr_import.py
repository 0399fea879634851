"""Importing a large WordPress export: writes a WXR 1.2 file of N posts with M comments each (10,000
and 20 by default: 200,000 comments, one in five a reply, with pingbacks and trackbacks among them),
then imports it with `import_wordpress` into a fresh blog (a throwaway SQLite file, or the PostgreSQL
database given) and prints the file size, the import's time (wall clock and CPU) and the process's
peak memory. The file is
written as a stream, so the peak is the import's.

    .venv/bin/python bench/wxr_import.py [--posts 10000] [--comments 20] [--database URL]"""

from __future__ import annotations

import argparse
import os
import resource
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from blog import create_app  # noqa: E402
from blog.extensions import db  # noqa: E402
from blog.models import User  # noqa: E402
from blog.wordpress.wxr_import import import_wordpress  # noqa: E402

HEADER = """<?xml version="1.0" encoding="UTF-8" ?>
<rss version="2.0" xmlns:excerpt="http://wordpress.org/export/1.2/excerpt/"
 xmlns:content="http://purl.org/rss/1.0/modules/content/" xmlns:wfw="http://wellformedweb.org/CommentAPI/"
 xmlns:dc="http://purl.org/dc/elements/1.1/" xmlns:wp="http://wordpress.org/export/1.2/">
<channel><title>Big Blog</title><link>http://big.example</link><wp:wxr_version>1.2</wp:wxr_version>
<wp:base_site_url>http://big.example</wp:base_site_url><wp:base_blog_url>http://big.example</wp:base_blog_url>
<wp:author><wp:author_login><![CDATA[admin]]></wp:author_login></wp:author>
"""
PARAGRAPH = ("Lorem ipsum dolor sit amet, consectetur adipiscing elit, sed do eiusmod tempor incididunt ut labore "
             "et dolore magna aliqua. Ut enim ad minim veniam, quis nostrud exercitation ullamco laboris.")


def write_wxr(path: Path, posts: int, comments: int) -> None:
    comment_id = 0
    with path.open("w", encoding="utf-8") as out:
        out.write(HEADER)
        for n in range(1, posts + 1):
            day = f"20{10 + n % 14:02d}-{1 + n % 12:02d}-{1 + n % 28:02d} 12:{n % 60:02d}:00"
            body = "\n\n".join(f"Paragraph {p} of post {n}. {PARAGRAPH}" for p in range(5))
            body += f'\n\n<a href="http://elsewhere.example/{n}/">A link</a> and <img src="http://big.example/wp-content/uploads/{n}.jpg">'
            out.write(
                f"<item><title><![CDATA[Post number {n}]]></title><dc:creator><![CDATA[admin]]></dc:creator>"
                f'<guid isPermaLink="false">http://big.example/?p={n}</guid>'
                f"<content:encoded><![CDATA[{body}]]></content:encoded><wp:post_id>{n}</wp:post_id>"
                f"<wp:post_date><![CDATA[{day}]]></wp:post_date><wp:post_date_gmt><![CDATA[{day}]]></wp:post_date_gmt>"
                "<wp:comment_status><![CDATA[open]]></wp:comment_status><wp:ping_status><![CDATA[open]]></wp:ping_status>"
                f"<wp:post_name><![CDATA[post-number-{n}]]></wp:post_name><wp:status><![CDATA[publish]]></wp:status>"
                "<wp:post_type><![CDATA[post]]></wp:post_type>"
                f'<category domain="post_tag" nicename="tag-{n % 50}"><![CDATA[Tag {n % 50}]]></category>\n'
            )
            first = comment_id + 1
            for k in range(comments):
                comment_id += 1
                kind = "pingback" if k == 7 else "trackback" if k == 13 else "comment"
                url = f"http://linker{comment_id}.example/post/" if kind != "comment" else ""
                parent = first if k % 5 == 4 else 0
                out.write(
                    f"<wp:comment><wp:comment_id>{comment_id}</wp:comment_id><wp:comment_author><![CDATA[Reader {k}]]>"
                    f"</wp:comment_author><wp:comment_author_email><![CDATA[r{k}@example.com]]></wp:comment_author_email>"
                    f"<wp:comment_author_url>{url}</wp:comment_author_url><wp:comment_author_IP><![CDATA[192.0.2.{k}]]>"
                    f"</wp:comment_author_IP><wp:comment_date_gmt><![CDATA[{day}]]></wp:comment_date_gmt>"
                    f"<wp:comment_content><![CDATA[Comment {k} on post {n}: <em>nice</em> post, thanks.]]>"
                    "</wp:comment_content><wp:comment_approved><![CDATA[1]]></wp:comment_approved>"
                    f"<wp:comment_type><![CDATA[{kind}]]></wp:comment_type><wp:comment_parent>{parent}</wp:comment_parent>"
                    "</wp:comment>\n"
                )
            out.write("</item>\n")
        out.write("</channel></rss>\n")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--posts", type=int, default=10_000)
    parser.add_argument("--comments", type=int, default=20, help="comments per post")
    parser.add_argument("--database", help="a PostgreSQL URL (default: a throwaway SQLite file)")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "big.xml"
        write_wxr(path, args.posts, args.comments)
        os.environ["BLOG_INSTANCE_PATH"] = folder
        app = create_app({"SQLALCHEMY_DATABASE_URI": args.database or f"sqlite:///{folder}/blog.sqlite"})
        with app.app_context():
            db.create_all()
            owner = User(username="admin", email="admin@example.com")
            owner.set_password("bench-password")
            db.session.add(owner)
            db.session.commit()
            started, cpu_started = time.perf_counter(), time.process_time()
            with path.open("rb") as source:
                report = import_wordpress(source)
            seconds, cpu = time.perf_counter() - started, time.process_time() - cpu_started
        peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        print(f"file: {path.stat().st_size / 1e6:.0f} MB, {args.posts} posts, {args.posts * args.comments} comments")
        print(report.summary())
        # CPU time says what the import costs whatever else the machine runs (the database server's
        # share is not in it on PostgreSQL).
        print(f"import: {seconds:.1f} s ({cpu:.1f} s of CPU in this process), peak memory {peak_mb:.0f} MB")


if __name__ == "__main__":
    main()
