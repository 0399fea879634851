"""Importing a WordPress export (WXR): what is kept, that nobody is notified, that a second import
changes nothing, and that bad files are refused with nothing stored. On SQLite and PostgreSQL."""

from __future__ import annotations

import io
import threading
from http.server import BaseHTTPRequestHandler
from pathlib import Path

import pytest
from blog_testing import LoopbackPeer, csrf_token, snapshot
from test_notifications import smtp_server
from wxr_testing import C, P, wxr

from blog.extensions import db
from blog.jobs import run_until_idle
from blog.models import (
    Comment,
    CommentKind,
    CommentStatus,
    Delivery,
    DeliveryStatus,
    OutgoingMail,
    Post,
    PostStatus,
)
from blog.site_settings import save_settings
from blog.wordpress.wxr_import import import_wordpress
from blog.wordpress.wxr_reader import WxrError

REAL_EXPORT = Path(__file__).parent / "data" / "wordpress-6.1-export.xml"


def run_import(app, data: bytes):
    with app.app_context():
        return import_wordpress(io.BytesIO(data))


def posts_by_title(app) -> dict[str, Post]:
    with app.app_context():
        posts = db.session.execute(db.select(Post)).scalars().all()
        for post in posts:
            post.tags, post.categories  # noqa: B018 - loaded before the session closes
        db.session.expunge_all()
        return {post.title: post for post in posts}


def comments_of(app, title: str) -> list[Comment]:
    with app.app_context():
        post_id = db.session.execute(db.select(Post.id).filter_by(title=title)).scalar_one()
        items = db.session.execute(db.select(Comment).filter_by(post_id=post_id).order_by(Comment.id)).scalars().all()
        db.session.expunge_all()
        return items


A_BLOG = wxr(
    P(10, "Classic post", "classic-post", "First line\nsecond line.\n\n<strong>Bold</strong> paragraph.",
      tags=["Python", "Linkbacks"], comments=[
          C(100, "Top comment", "Ann", date="2020-01-03 10:00:00"),
          C(101, "A reply", "Bob", parent=100, date="2020-01-03 11:00:00"),
          C(102, "Held for moderation", "Cy", approved="0"),
          C(103, "Cheap pills", "Spammer", approved="spam"),
          C(104, "Thrown away", "Dee", approved="trash"),
          C(105, "[…] they linked […]", "Their Blog", url="http://pinger.example/post/", ip="198.51.100.4",
            type="pingback"),
          C(106, "An excerpt of theirs", "Track Blog", url="http://tracker.example/t/", ip="198.51.100.5",
            type="trackback", approved="0"),
          C(107, "Liked this", "Indie", url="http://indie.example/like", type="webmention",
            meta={"semantic_linkbacks_type": "like"}),
      ]),
    P(11, "Block post", "block-post",
      "<!-- wp:paragraph -->\n<p>A block paragraph with a <em>word</em>.</p>\n<!-- /wp:paragraph -->\n\n"
      '<!-- wp:image -->\n<figure class="wp-block-image"><img src="http://old.example/wp-content/uploads/cat.jpg" '
      'alt="A cat"/></figure>\n<!-- /wp:image -->', comment_status="closed", ping_status="closed"),
    P(12, "A draft", "", status="draft"),
    P(13, "Coming soon", "coming-soon", status="future", date="2099-05-01 08:00:00"),
    P(14, "Only for me", "only-for-me", status="private"),
    P(15, "About", "about", type="page"),
    P(16, "A photo", "a-photo", type="attachment"),
)


def test_import_keeps_posts_statuses_tags_dates_and_switches(app, author):
    report = run_import(app, A_BLOG)
    posts = posts_by_title(app)
    classic = posts["Classic post"]
    assert classic.status == PostStatus.PUBLISHED and classic.slug == "classic-post"
    assert classic.published_at.isoformat() == "2020-01-02T09:30:00+00:00"
    assert sorted(t.name for t in classic.tags) == ["Linkbacks", "Python"]
    assert classic.allow_comments and classic.allow_pings
    assert classic.body_html == "<p>First line<br>\nsecond line.</p>\n<p><strong>Bold</strong> paragraph.</p>"
    assert classic.wp_post_id == 10 and classic.feed_id == "http://old.example/?p=10"
    block = posts["Block post"]
    assert "wp:" not in block.body_html and "<!--" not in block.body_html
    assert '<img src="http://old.example/wp-content/uploads/cat.jpg" alt="A cat">' in block.body_html
    assert not block.allow_comments and not block.allow_pings
    assert posts["A draft"].status == PostStatus.DRAFT and posts["A draft"].published_at is None
    assert posts["A draft"].slug == "a-draft"
    assert posts["Coming soon"].status == PostStatus.SCHEDULED
    assert posts["Only for me"].status == PostStatus.DRAFT
    assert (posts["About"].kind, posts["About"].slug, posts["About"].status) == ("page", "about", "published")
    assert [c.name for c in classic.categories] == ["Uncategorized"] and posts["About"].categories == []
    assert "A photo" not in posts
    assert report.counts["pages"] == 1
    assert report.counts["posts"] == 2 and report.counts["drafts"] == 2 and report.counts["scheduled posts"] == 1
    assert report.counts["comments"] == 4 and report.counts["pingbacks"] == 1 and report.counts["trackbacks"] == 1
    assert report.counts["webmentions"] == 1
    skipped = {(s.kind, s.what): s.why for s in report.skipped}
    assert "media files are not copied" in skipped[("attachment", "A photo")]
    assert skipped[("comment", "104 on “Classic post”")] == "in WordPress's trash"
    assert report.old_images == ["http://old.example/wp-content/uploads/cat.jpg"]
    assert any("“Only for me” was private" in note for note in report.notes)


def test_import_keeps_comment_statuses_threads_and_linkbacks(app, author):
    run_import(app, A_BLOG)
    items = {c.author_name: c for c in comments_of(app, "Classic post")}
    assert set(items) == {"Ann", "Bob", "Cy", "Spammer", "Their Blog", "Track Blog", "Indie"}
    assert items["Bob"].parent_id == items["Ann"].id and items["Ann"].parent_id is None
    assert items["Ann"].created_at.isoformat() == "2020-01-03T10:00:00+00:00"
    assert items["Ann"].status == CommentStatus.APPROVED
    assert items["Cy"].status == CommentStatus.PENDING
    assert items["Spammer"].status == CommentStatus.SPAM
    pingback, trackback, mention = items["Their Blog"], items["Track Blog"], items["Indie"]
    assert (pingback.kind, pingback.author_url, pingback.ip) == (CommentKind.PINGBACK, "http://pinger.example/post/",
                                                                  "198.51.100.4")
    assert (trackback.kind, trackback.status, trackback.ip) == (CommentKind.TRACKBACK, CommentStatus.PENDING,
                                                                 "198.51.100.5")
    assert (mention.kind, mention.mention_type) == (CommentKind.WEBMENTION, "like")
    assert pingback.source_key == "http://pinger.example/post/"


def test_imported_post_and_its_approved_items_are_shown(app, author, client):
    run_import(app, A_BLOG)
    page = client.get("/2020/01/02/classic-post/").get_data(as_text=True)
    assert "<strong>Bold</strong> paragraph." in page
    assert "Top comment" in page and "A reply" in page and "they linked" in page
    assert "Held for moderation" not in page and "Cheap pills" not in page


def test_importing_the_same_file_twice_changes_nothing(app, author):
    run_import(app, A_BLOG)
    before = snapshot(app)
    report = run_import(app, A_BLOG)
    assert snapshot(app) == before
    assert report.counts["already imported posts"] == 6  # five posts and the page
    assert report.counts["already imported comments"] == 7
    assert not report.counts["posts"] and not report.counts["comments"]


def test_a_newer_export_adds_only_the_new_comments(app, author):
    run_import(app, wxr(P(10, comments=[C(100)])))
    report = run_import(app, wxr(P(10, comments=[C(100), C(101, "New one", parent=100)])))
    assert report.counts["comments"] == 1 and report.counts["already imported comments"] == 1
    items = comments_of(app, "Hello")
    assert [c.content for c in items] == ["Nice post!", "New one"] and items[1].parent_id == items[0].id


class CountingPeer(LoopbackPeer):
    """A blog that records every request it gets: an import must send it none."""

    def __init__(self):
        self.requests: list[str] = []
        outer = self
        lock = threading.Lock()

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args):
                pass

            def _record(self):
                with lock:
                    outer.requests.append(f"{self.command} {self.path}")
                body = b"<!doctype html><title>A post</title><p>Hello</p>"
                self.send_response(200)
                self.send_header("Content-Type", "text/html; charset=utf-8")
                self.send_header("X-Pingback", f"http://127.0.0.1:{outer.port}/xmlrpc")
                self.send_header("Link", f'<http://127.0.0.1:{outer.port}/webmention>; rel="webmention"')
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            do_GET = do_POST = do_HEAD = _record  # noqa: N815 - the http.server API

        super().__init__(Handler)


def test_import_notifies_no_one_while_or_after_importing(tmp_path, monkeypatch):
    from blog_testing import make_app, run_setup

    with smtp_server() as (inbox, port), CountingPeer() as peer:
        app = make_app(tmp_path, monkeypatch, MAIL_SERVER="127.0.0.1", MAIL_PORT=port)
        assert run_setup(app.test_client()).status_code == 302
        with app.app_context():
            save_settings({"comments_notify": True, "moderation_notify": True, "pings_notify": True,
                           "default_pingback_flag": True, "site_url": "http://127.0.0.1:9"})
        linked, pinged = peer.url("/linked-post/"), peer.url("/pinged-post/")
        data = wxr(P(20, "Links out", "links-out",
                     f'<a href="{linked}">one</a> and <a href="{pinged}">two</a>', meta={"_pinged": pinged},
                     comments=[C(200, "Held", approved="0"), C(201, "Shown"),
                               C(202, "ping", url=peer.url("/their-post/"), type="pingback", approved="0"),
                               C(203, "track", url=peer.url("/their-t/"), type="trackback")]),
                   P(21, "Later", "later", f'<a href="{linked}">one</a>', status="future", date="2000-01-01 00:00:00"))
        result = app.test_cli_runner().invoke(args=["import-wordpress", "-"], input=data)
        assert result.exit_code == 0, result.output
        assert "Imported 1 posts, 1 scheduled posts, 2 comments, 1 pingbacks, 1 trackbacks" in result.output
        done = run_until_idle(app=app)  # the job layer after the import: the scheduled post goes live
        assert done["published"] == 1
        with app.app_context():
            statuses = {(d.target, d.status) for d in db.session.execute(db.select(Delivery)).scalars()}
            mails = db.session.execute(db.select(db.func.count(OutgoingMail.id))).scalar_one()
        assert statuses == {(linked, DeliveryStatus.NOT_SENT), (pinged, DeliveryStatus.SENT)}
        assert mails == 0 and inbox.received == []
        assert peer.requests == []


def test_unknown_author_duplicate_slug_and_missing_parent_are_reported(app, author):
    author.publish("Hello", "Written here first.")
    report = run_import(app, wxr(P(30, "Hello", "hello", creator="stranger", comments=[C(300, parent=299)])))
    notes = "\n".join(report.notes)
    assert "Author “stranger” is not in the file's list of authors" in notes
    assert "the slug “hello” is taken by another post; stored as “hello-2”" in notes
    assert "Comment 300 on “Hello” replies to comment 299, which is not in the file" in notes
    with app.app_context():
        imported = db.session.execute(db.select(Post).filter_by(slug="hello-2")).scalar_one()
        assert [c.parent_id for c in imported.comments] == [None]


def test_duplicate_linkbacks_and_plugin_comment_types_are_skipped_with_why(app, author):
    report = run_import(app, wxr(P(40, comments=[
        C(400, url="http://a.example/p/", type="pingback"), C(401, url="http://a.example/p/", type="trackback"),
        C(402, type="order_note"), C(403, url="", type="pingback")])))
    whys = {s.what.split()[0]: s.why for s in report.skipped if s.kind != "category"}
    assert "already under this post" in whys["401"]
    assert "comment type “order_note”" in whys["402"]
    assert "without the address" in whys["403"]
    assert report.counts["pingbacks"] == 1


BILLION_LAUGHS = b"""<?xml version="1.0"?>
<!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">
<!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">]>
<rss><channel><title>&lol3;</title></channel></rss>"""
EXTERNAL_ENTITY = b"""<?xml version="1.0"?>
<!DOCTYPE rss [<!ENTITY secret SYSTEM "file:///etc/passwd">]>
<rss><channel><title>&secret;</title></channel></rss>"""
BAD_FILES = {
    "not XML": (b"%PDF-1.4 this is not XML at all", "not a valid XML file"),
    "HTML page": (b"<html><body><p>Hello</p></body></html>", "its root element is <html>"),
    "RSS feed, not WXR": (b'<rss version="2.0"><channel><title>x</title><item><title>a</title></item></channel></rss>',
                          "no <wp:wxr_version>"),
    "entity bomb": (BILLION_LAUGHS, "declares a DTD"),
    "external entity": (EXTERNAL_ENTITY, "declares a DTD"),
    "truncated": (wxr(P(50, "First"), P(51, "Second", "second"))[:-60], "ends too early"),
    "empty": (b"", "ends too early"),
}


@pytest.mark.parametrize("name", BAD_FILES)
def test_bad_files_are_refused_with_a_clear_message_and_nothing_stored(app, author, name):
    data, message = BAD_FILES[name]
    before = snapshot(app)
    with pytest.raises(WxrError, match=message.replace("(", r"\(")):
        run_import(app, data)
    assert snapshot(app) == before


def test_command_line_refuses_a_bad_file_in_one_line(app, author, tmp_path):
    path = tmp_path / "broken.xml"
    path.write_bytes(BILLION_LAUGHS)
    result = app.test_cli_runner().invoke(args=["import-wordpress", str(path)])
    assert result.exit_code == 1
    assert "declares a DTD" in result.output and "Nothing was imported." in result.output


def upload(client, data: bytes, name: str = "old-blog.WordPress.2020-01-05.xml"):
    form = {"csrf_token": csrf_token(client, "/admin/tools/import"), "file": (io.BytesIO(data), name)}
    return client.post("/admin/tools/import", data=form, content_type="multipart/form-data")


def test_import_page_imports_in_the_background_and_reports(app, author):
    page = author.client.get("/admin/tools/import").get_data(as_text=True)
    assert "WordPress export file" in page and ">Import<" in page
    response = upload(author.client, A_BLOG)
    assert response.status_code == 302
    status = response.headers["Location"]
    waiting = author.client.get(status)
    assert waiting.status_code == 200 and waiting.headers["Refresh"] == "3"
    assert "Waiting for the background worker" in waiting.get_data(as_text=True)
    assert posts_by_title(app) == {}
    assert run_until_idle(app=app)["imports"] == 1
    done = author.client.get(status)
    assert "Refresh" not in done.headers
    html = done.get_data(as_text=True)
    assert "2 posts" in html and "4 comments" in html and "1 pingbacks" in html and "1 trackbacks" in html
    assert "in WordPress&#39;s trash" in html and "http://old.example/wp-content/uploads/cat.jpg" in html
    assert "Classic post" in posts_by_title(app)
    assert list((Path(app.instance_path) / "imports").iterdir()) == []  # the upload is gone once imported


def test_import_page_shows_why_a_file_is_refused(app, author):
    before = {name: rows for name, rows in snapshot(app).items() if name != "wordpress_imports"}
    status = upload(author.client, BILLION_LAUGHS, "x.xml").headers["Location"]
    run_until_idle(app=app)
    response = author.client.get(status)
    assert "declares a DTD" in response.get_data(as_text=True)
    assert "was refused; nothing was imported" in response.get_data(as_text=True)
    assert {name: rows for name, rows in snapshot(app).items() if name != "wordpress_imports"} == before


def test_import_status_pages_are_the_owners_only(app, author, visitor):
    status = upload(author.client, A_BLOG).headers["Location"]
    assert visitor.get(status).status_code == 302
    assert author.client.get("/admin/tools/import/no-such-token").status_code == 404


def test_import_page_refuses_a_file_over_the_limit(app, author):
    app.config["WORDPRESS_IMPORT_MAX_BYTES"] = 10_000
    data = {"csrf_token": csrf_token(author.client, "/admin/tools/import"),
            "file": (io.BytesIO(A_BLOG + b" " * 20_000), "big.xml")}
    response = author.client.post("/admin/tools/import", data=data, content_type="multipart/form-data")
    assert response.status_code == 413
    assert "flask --app blog import-wordpress" in response.get_data(as_text=True)


def test_import_page_refuses_visitors_and_requests_without_csrf(app, author, visitor):
    before = snapshot(app)
    assert visitor.get("/admin/tools/import").status_code == 302
    upload = {"file": (io.BytesIO(A_BLOG), "a.xml")}
    response = visitor.post("/admin/tools/import", data=upload, content_type="multipart/form-data")
    assert response.status_code in (400, 302)
    upload = {"file": (io.BytesIO(A_BLOG), "a.xml")}
    response = author.client.post("/admin/tools/import", data=upload, content_type="multipart/form-data")
    assert response.status_code == 400
    assert snapshot(app) == before


def test_a_larger_file_imports_in_one_go(app, author):
    posts = [P(1000 + n, f"Post {n}", f"post-{n}", comments=[C(10_000 + n * 10 + k) for k in range(5)])
             for n in range(200)]
    report = run_import(app, wxr(*posts))
    assert report.counts["posts"] == 200 and report.counts["comments"] == 1000


def test_a_real_wordpress_6_1_export_imports(app, author, client):
    """tests/data/wordpress-6.1-export.xml: WordPress 6.1's own export_wp() output (built by
    tools/wordpress-export-fixture.sh on ../shared/tools/wp-peer)."""
    report = run_import(app, REAL_EXPORT.read_bytes())
    counts = report.counts
    assert (counts["posts"], counts["drafts"], counts["scheduled posts"]) == (3, 2, 1)
    assert (counts["comments"], counts["pingbacks"], counts["trackbacks"]) == (5, 1, 1)  # one on the page
    skipped = {(s.kind, s.what): s.why for s in report.skipped}
    assert counts["pages"] == 1 and counts["categories"] == 1  # "Uncategorized" is ours already
    assert skipped[("comment", "108 on “WXR fixture: a classic post”")] == "in WordPress's trash"
    assert report.old_images == ["http://127.0.0.1:8081/wp-content/uploads/2021/03/cat.jpg"]
    posts = posts_by_title(app)
    classic, block = posts["WXR fixture: a classic post"], posts["WXR fixture: a block post"]
    assert (classic.slug, classic.wp_post_id) == ("wxr-classic", 14)
    assert classic.published_at.isoformat() == "2021-03-04T10:20:30+00:00"
    assert sorted(t.name for t in classic.tags) == ["wxr-linkbacks", "wxr-python"]
    page = posts["WXR fixture page"]
    assert page.kind == "page" and client.get(f"/{page.slug}/").status_code == 200
    assert {c.name for p in posts.values() for c in p.categories} == {"Uncategorized", "WXR Fixture News"}
    assert "<strong>bold</strong> &amp; an ampersand.<br>" in classic.body_html
    assert "<figcaption>A cat on the old site</figcaption>" in classic.body_html
    assert "wp:" not in block.body_html and '<blockquote class="wp-block-quote">' in block.body_html
    assert posts["WXR fixture: a private post"].status == PostStatus.DRAFT
    assert posts["WXR fixture: a scheduled post"].status == PostStatus.SCHEDULED
    items = comments_of(app, "WXR fixture: a classic post")
    by_text = {c.content: c for c in items}
    first = by_text["A first comment, with emphasis and a link: my site (http://example.org/ann/)."]
    reply = by_text["A reply to Ann."]
    assert reply.parent_id == first.id and by_text["A reply to the reply."].parent_id == reply.id
    assert by_text["Waiting for moderation."].status == CommentStatus.PENDING
    pingback = next(c for c in items if c.kind == CommentKind.PINGBACK)
    trackback = next(c for c in items if c.kind == CommentKind.TRACKBACK)
    assert pingback.author_url == "http://127.0.0.1:8081/2021/03/05/wxr-block/" and pingback.ip == "127.0.0.1"
    assert trackback.author_url.startswith("http://127.0.0.1:8081/") and trackback.author_name == "WP Peer"
    page = client.get("/2021/03/04/wxr-classic/").get_data(as_text=True)
    assert "A reply to the reply." in page and "A block paragraph linking to the classic post" in page
    assert client.get("/?p=14").headers["Location"] == "/2021/03/04/wxr-classic/"
    before = snapshot(app)
    run_import(app, REAL_EXPORT.read_bytes())
    assert snapshot(app) == before
