"""Exporting the blog as a WordPress export (WXR 1.2) and the round trip: export, import into a
fresh blog, export again, and the same posts, comments and linkbacks come out."""

from __future__ import annotations

import io

import defusedxml.ElementTree as ET
from blog_testing import make_app, run_setup

from blog.extensions import db
from blog.models import (
    Comment,
    CommentKind,
    CommentStatus,
    Delivery,
    DeliveryMethod,
    DeliveryOrigin,
    DeliveryStatus,
    Post,
    utcnow,
)
from blog.site_settings import save_settings
from blog.wordpress.wxr_import import import_wordpress
from blog.wordpress.wxr_reader import LINKBACKS_NS, Item, read_wxr

WP = "{http://wordpress.org/export/1.2/}"


def fill(app, author) -> None:
    """Posts written in the editor (Markdown), a draft, tags; comments, a reply, every kind of linkback
    and status; deliveries sent and failed."""
    with app.app_context():
        save_settings({"site_url": "http://a.example"})
    first = author.publish("First post", "Some **Markdown** with [a link](http://peer.example/post/).",
                           tags="Python, Linkbacks")
    author.publish("Second post", "Plain text <em>and HTML</em>.", allow_pings=False)
    author.save("Unfinished", "Draft text", action="draft")
    with app.app_context():
        now = utcnow().replace(microsecond=0)
        top = Comment(post_id=first.id, author_name="Ann", author_email="ann@example.com",
                      content="Hello <b>there</b> & all",
                      status=CommentStatus.APPROVED, ip="192.0.2.1", created_at=now)
        db.session.add(top)
        db.session.flush()
        db.session.add_all([
            Comment(post_id=first.id, parent_id=top.id, author_name="admin", content="A reply\n\nin two paragraphs",
                    status=CommentStatus.APPROVED, created_at=now),
            Comment(post_id=first.id, author_name="Held", content="Waiting", status=CommentStatus.PENDING,
                    created_at=now),
            Comment(post_id=first.id, author_name="Spam", content="Buy", status=CommentStatus.SPAM, created_at=now),
            Comment(post_id=first.id, kind=CommentKind.PINGBACK, author_name="Pinger", status=CommentStatus.APPROVED,
                    author_url="http://pinger.example/p/", source_key="http://pinger.example/p/", content="[…] x […]",
                    ip="198.51.100.1", created_at=now),
            Comment(post_id=first.id, kind=CommentKind.TRACKBACK, author_name="Tracker", status=CommentStatus.APPROVED,
                    author_url="http://tracker.example/t/", source_key="http://tracker.example/t/", content="Excerpt",
                    ip="198.51.100.2", created_at=now),
            Comment(post_id=first.id, kind=CommentKind.WEBMENTION, author_name="Indie", status=CommentStatus.APPROVED,
                    author_url="http://indie.example/r", source_key="http://indie.example/r", content="A reply",
                    mention_type="reply", author_photo="http://indie.example/me.jpg", created_at=now),
        ])
        db.session.add(Delivery(post_id=first.id, target="http://failed.example/x", origin=DeliveryOrigin.LINK,
                                method=DeliveryMethod.PINGBACK, status=DeliveryStatus.FAILED, attempts=6,
                                detail="Fault 17", source_url="http://a.example/"))
        for delivery in db.session.execute(db.select(Delivery)).scalars():
            if delivery.status == DeliveryStatus.QUEUED:
                delivery.status, delivery.method, delivery.attempts = DeliveryStatus.SENT, DeliveryMethod.WEBMENTION, 1
        db.session.commit()


def export_of(app) -> bytes:
    result = app.test_cli_runner().invoke(args=["export-wordpress"])
    assert result.exit_code == 0, result.output
    return result.output.encode()


def content_of(data: bytes):
    """What a file says, without the ids and addresses that differ from blog to blog."""
    items = [r for r in read_wxr(io.BytesIO(data)) if isinstance(r, Item)]
    posts, comments, deliveries = set(), set(), set()
    for item in items:
        posts.add((item.title, item.slug, item.status, item.date_gmt, item.markdown, item.content, item.guid,
                   tuple(sorted(item.tags)), item.comment_status, item.ping_status))
        by_id = {c.wp_id: c for c in item.comments}
        for c in item.comments:
            parent = by_id[c.parent].content if c.parent else None
            comments.add((item.slug, c.type, c.approved, c.author, c.author_email, c.author_url, c.author_ip,
                          c.content, c.date_gmt, parent, tuple(sorted(c.meta.items()))))
        for d in item.deliveries:
            deliveries.add((item.slug, d.target, d.origin, d.method, d.status, d.attempts, d.detail))
    return posts, comments, deliveries


def test_export_is_wxr_1_2_with_wordpress_elements_and_ours(app, author):
    fill(app, author)
    data = export_of(app)
    root = ET.fromstring(data)
    channel = root.find("channel")
    assert channel.find(f"{WP}wxr_version").text == "1.2"
    assert channel.find(f"{WP}base_site_url").text == "http://a.example"
    assert [t.find(f"{WP}tag_name").text for t in channel.findall(f"{WP}tag")] == ["Linkbacks", "Python"]
    items = {i.find("title").text: i for i in channel.findall("item")}
    assert set(items) == {"First post", "Second post", "Unfinished"}
    assert items["Unfinished"].find(f"{WP}status").text == "draft"
    assert items["Unfinished"].find(f"{WP}post_date_gmt").text == "0000-00-00 00:00:00"
    assert items["Second post"].find(f"{WP}ping_status").text == "closed"
    first = items["First post"]
    assert "<strong>Markdown</strong>" in first.find("{http://purl.org/rss/1.0/modules/content/}encoded").text
    assert first.find(f"{{{LINKBACKS_NS}}}markdown").text.startswith("Some **Markdown**")
    types = sorted(c.find(f"{WP}comment_type").text for c in first.findall(f"{WP}comment"))
    assert types == ["comment", "comment", "comment", "comment", "pingback", "trackback", "webmention"]
    approved = sorted(c.find(f"{WP}comment_approved").text for c in first.findall(f"{WP}comment"))
    assert approved == ["0", "1", "1", "1", "1", "1", "spam"]
    escaped = [c.find(f"{WP}comment_content").text for c in first.findall(f"{WP}comment")]
    assert "Hello &lt;b&gt;there&lt;/b&gt; &amp; all" in escaped  # plain text shown as typed in WordPress
    deliveries = {d.find(f"{{{LINKBACKS_NS}}}target").text: d.find(f"{{{LINKBACKS_NS}}}status").text
                  for d in first.findall(f"{{{LINKBACKS_NS}}}delivery")}
    assert deliveries == {"http://peer.example/post/": "sent", "http://failed.example/x": "failed"}


def test_round_trip_keeps_posts_comments_and_linkbacks(app, author, tmp_path, monkeypatch):
    fill(app, author)
    first_export = export_of(app)
    (tmp_path / "fresh").mkdir()
    fresh = make_app(tmp_path / "fresh", monkeypatch)
    assert run_setup(fresh.test_client()).status_code == 302
    with fresh.app_context():
        save_settings({"site_url": "http://b.example"})
        report = import_wordpress(io.BytesIO(first_export))
    assert report.counts["posts"] == 2 and report.counts["drafts"] == 1
    assert report.counts["comments"] == 4 and report.counts["webmentions"] == 1
    second_export = export_of(fresh)
    assert content_of(second_export) == content_of(first_export)
    posts, comments, deliveries = content_of(second_export)
    assert len(posts) == 3 and len(comments) == 7 and len(deliveries) == 2
    with fresh.app_context():
        reply = db.session.execute(db.select(Comment).filter_by(content="A reply\n\nin two paragraphs")).scalar_one()
        assert db.session.get(Comment, reply.parent_id).author_name == "Ann"
        assert db.session.execute(db.select(Post).filter_by(slug="first-post")).scalar_one().body_markdown.startswith(
            "Some **Markdown**")


def test_export_page_downloads_for_the_owner_only(app, author, visitor):
    fill(app, author)
    page = author.client.get("/admin/tools/export").get_data(as_text=True)
    assert "Download export file" in page
    response = author.client.get("/admin/tools/export/download")
    assert response.status_code == 200 and response.mimetype == "application/xml"
    assert response.headers["Content-Disposition"].startswith('attachment; filename="blog.WordPress.')
    assert b"<wp:wxr_version>1.2</wp:wxr_version>" in response.data
    assert visitor.get("/admin/tools/export/download").status_code == 302
    assert visitor.get("/admin/tools/export").status_code == 302


def test_export_to_a_file(app, author, tmp_path):
    fill(app, author)
    path = tmp_path / "out.xml"
    result = app.test_cli_runner().invoke(args=["export-wordpress", str(path)])
    assert result.exit_code == 0, result.output
    assert ET.fromstring(path.read_bytes()).find("channel/title").text == "Test Blog"


def test_export_without_a_site_url_asks_for_one(app, author):
    with app.app_context():
        save_settings({"site_url": ""})
    result = app.test_cli_runner().invoke(args=["export-wordpress"])
    assert result.exit_code == 1 and "--site-url" in result.output
    result = app.test_cli_runner().invoke(args=["export-wordpress", "--site-url", "https://blog.example"])
    assert result.exit_code == 0 and "<wp:base_site_url>https://blog.example</wp:base_site_url>" in result.output
