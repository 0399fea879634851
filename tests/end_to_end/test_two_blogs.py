"""Two instances of our blog on loopback: A links to one of B's posts (a pingback) and sends a
trackback to another through the box; B verifies both and shows them once approved."""

from __future__ import annotations

from html import unescape

import requests
from blog_testing import Author, LiveServer, csrf_token, make_app, run_setup

from blog.extensions import db
from blog.jobs import run_due_jobs
from blog.jobs.deliveries import deliver_due
from blog.models import Comment, Delivery
from blog.site_settings import save_settings


def start_blog(tmp_path, monkeypatch, name: str):
    app = make_app(tmp_path / name, monkeypatch)
    server = LiveServer(app).__enter__()
    client = app.test_client()
    assert run_setup(client, blog_title=f"Blog {name.upper()}").status_code == 302
    with app.app_context():
        save_settings({"site_url": server.url})  # absolute links name the address it is served at
    return app, server, Author(app, client)


def test_two_blogs_exchange_a_pingback_and_a_trackback(tmp_path, monkeypatch):
    (tmp_path / "a").mkdir(), (tmp_path / "b").mkdir()
    app_a, server_a, author_a = start_blog(tmp_path, monkeypatch, "a")
    app_b, server_b, author_b = start_blog(tmp_path, monkeypatch, "b")
    with app_b.app_context():
        save_settings({"accept_webmentions": False})  # B offers pingback only, so A's link is pinged
    try:
        first = author_b.publish("B's first post", "Something to link to.")
        second = author_b.publish("B's second post", "Something to trackback.")
        first_url, second_url = author_b.url_of_external(first), author_b.url_of_external(second)
        assert first_url.startswith(server_b.url)

        post = author_a.publish(
            "A replies", f"I enjoyed [B's first post]({first_url}) a lot.", trackback_urls=second_url + "trackback/"
        )
        with app_a.app_context():
            assert deliver_due() == 2
            statuses = {d.origin: (d.status, d.method) for d in db.session.execute(db.select(Delivery)).scalars()}
        assert statuses == {"link": ("sent", "pingback"), "trackback": ("sent", "trackback")}
        panel = author_a.client.get(f"/admin/posts/{post.id}/edit").get_data(as_text=True)
        assert first_url in panel and "Pingback accepted." in panel and "Trackback accepted." in panel

        source = author_a.url_of_external(post)
        with app_b.app_context():
            run_due_jobs()  # B's worker checks the trackback's page
            items = {c.post_id: c for c in db.session.execute(db.select(Comment)).scalars()}
            pingback, trackback = items[first.id], items[second.id]
            assert (pingback.kind, pingback.status, pingback.author_name, pingback.author_url) == (
                "pingback", "pending", "A replies – Blog A", source
            )
            assert "I enjoyed B's first post a lot." in pingback.content
            assert (trackback.kind, trackback.author_name, trackback.author_url) == ("trackback", "Blog A", source)
            # A's post does not link to B's second post: B's verification says so and files it as spam.
            assert (trackback.status, trackback.verification) == ("spam", "failed")
            ids = pingback.id, trackback.id

        # Nothing shows before the owner of B approves.
        assert "A replies" not in requests.get(first_url, timeout=5).text
        spam_tab = author_b.client.get("/admin/comments/?status=spam").get_data(as_text=True)
        assert "does not link to this post" in spam_tab
        for comment_id in ids:
            token = csrf_token(author_b.client, "/admin/comments/")
            author_b.client.post(f"/admin/comments/{comment_id}/approve", data={"csrf_token": token})

        first_page, second_page = (requests.get(url, timeout=5).text for url in (first_url, second_url))
        assert f'<a href="{source}" rel="external nofollow ugc">A replies – Blog A</a>' in first_page
        assert "Pingback:" in first_page and "0 comments · 1 mention" in first_page
        assert f'<a href="{source}" rel="external nofollow ugc">Blog A</a>' in second_page
        assert "Trackback:" in second_page
    finally:
        server_a.__exit__(None, None, None)
        server_b.__exit__(None, None, None)


def test_two_blogs_exchange_a_webmention_then_withdraw_it(tmp_path, monkeypatch):
    """B offers webmention and pingback: A's link gets one webmention; when A removes the link, A
    tells B again and B takes the mention down (WM-8, WM-16)."""
    (tmp_path / "a").mkdir(), (tmp_path / "b").mkdir()
    app_a, server_a, author_a = start_blog(tmp_path, monkeypatch, "a")
    app_b, server_b, author_b = start_blog(tmp_path, monkeypatch, "b")
    try:
        target = author_b.publish("B's post", "Something to link to.")
        target_url = author_b.url_of_external(target)
        post = author_a.publish("A replies", f"I enjoyed [B's post]({target_url}) a lot.")
        source = author_a.url_of_external(post)
        with app_a.app_context():
            assert deliver_due() == 1
            row = db.session.execute(db.select(Delivery)).scalar_one()
            assert (row.status, row.method, row.endpoint) == ("sent", "webmention", f"{server_b.url}/webmention")
            assert f"status page is {server_b.url}/webmention/" in row.detail
        with app_b.app_context():
            run_due_jobs()  # B's worker verifies the webmention
            mention = db.session.execute(db.select(Comment)).scalar_one()
            assert (mention.kind, mention.author_url, mention.post_id) == ("webmention", source, target.id)
            assert mention.status != "trash"
            assert db.session.execute(db.select(db.func.count()).select_from(Comment)).scalar_one() == 1
            mention_id = mention.id
        token = csrf_token(author_b.client, "/admin/comments/")
        author_b.client.post(f"/admin/comments/{mention_id}/approve", data={"csrf_token": token})
        shown = requests.get(target_url, timeout=5).text
        assert f'<a href="{source}" rel="external nofollow ugc">' in shown
        assert "I enjoyed B's post a lot." in unescape(shown)

        # Update: A rewords the post (same link: not sent again by itself), then asks to resend it.
        author_a.save("A replies", f"I really enjoyed [B's post]({target_url}), truly.", post_id=post.id)
        with app_a.app_context():
            assert deliver_due() == 0
            row_id = db.session.execute(db.select(Delivery.id)).scalar_one()
        token = csrf_token(author_a.client, f"/admin/posts/{post.id}/edit")
        author_a.client.post(f"/admin/posts/{post.id}/linkbacks/{row_id}/resend", data={"csrf_token": token})
        with app_a.app_context():
            assert deliver_due() == 1
        with app_b.app_context():
            run_due_jobs()
            assert db.session.execute(db.select(db.func.count()).select_from(Comment)).scalar_one() == 1
        assert "I really enjoyed B's post, truly." in unescape(requests.get(target_url, timeout=5).text)

        author_a.save("A replies", "On second thoughts, no link.", post_id=post.id)
        with app_a.app_context():
            assert deliver_due() == 1
            row = db.session.execute(db.select(Delivery)).scalar_one()
            assert row.status == "sent" and row.detail.startswith("Link removed: told the receiver.")
        with app_b.app_context():
            run_due_jobs()
            mention = db.session.execute(db.select(Comment)).scalar_one()
            assert mention.status == "trash" and "no longer links" in mention.moderation_note
        assert source not in requests.get(target_url, timeout=5).text
    finally:
        server_a.__exit__(None, None, None)
        server_b.__exit__(None, None, None)
