"""The dashboard at /admin (issue 13, "At a glance"): where logging in leads; its counts and the lists
they link to; the newest mentions received (escaped); linkbacks that failed or are retrying, each with
a working Resend; scheduled posts; and the Quick Draft form, with its bad input and forged tokens."""

from __future__ import annotations

from datetime import timedelta
from urllib.parse import parse_qs, urlsplit

import pytest
from blog_testing import PASSWORD, csrf_token, leave_comment, snapshot
from bs4 import BeautifulSoup
from feed_testing import add_item

from blog.extensions import db
from blog.models import (
    Delivery,
    DeliveryMethod,
    DeliveryOrigin,
    DeliveryStatus,
    Post,
    PostStatus,
    User,
    utcnow,
)

DASHBOARD = "/admin/"


def page(client) -> BeautifulSoup:
    response = client.get(DASHBOARD)
    assert response.status_code == 200
    return BeautifulSoup(response.get_data(as_text=True), "html.parser")


def section(soup: BeautifulSoup, title: str):
    heading = soup.find("h2", string=title)
    assert heading is not None, title
    return heading.find_parent("section")


def glance(client) -> dict[str, str]:
    """The At a glance entries: text -> link."""
    box = section(page(client), "At a glance")
    return {li.get_text(" ", strip=True): (li.a["href"] if li.a else None) for li in box.select("li")}


def add_delivery(app, post_id: int, target: str, status: str, detail: str = "", minutes_ago: int = 0) -> int:
    moment = utcnow() - timedelta(minutes=minutes_ago)
    with app.app_context():
        delivery = Delivery(
            post_id=post_id, target=target, origin=DeliveryOrigin.LINK, method=DeliveryMethod.PINGBACK,
            endpoint="https://peer.example/xmlrpc", source_url="https://blog.example/p", status=status, attempts=3,
            last_attempt_at=moment, next_attempt_at=moment + timedelta(hours=1), detail=detail,
        )
        db.session.add(delivery)
        db.session.commit()
        return delivery.id


def test_logging_in_leads_to_the_dashboard(app, author):
    client = app.test_client()
    data = {"csrf_token": csrf_token(client), "username": "admin", "password": PASSWORD}
    response = client.post("/login", data=data)
    assert response.headers["Location"] == DASHBOARD
    soup = page(client)
    assert soup.h1.get_text() == "Dashboard"
    assert soup.select_one('.admin-nav a[aria-current="page"]').get_text() == "Dashboard"
    assert client.get("/login").headers["Location"] == DASHBOARD  # already logged in


def test_at_a_glance_counts_link_to_their_lists(app, author):
    author.publish("One", "x")
    author.publish("Two", "y")
    author.save("A draft", "z", action="draft")
    future = (utcnow() + timedelta(days=2)).strftime("%Y-%m-%dT%H:%M")
    author.publish("Later", "w", publish_date=future)
    post = author.publish("Commented", "c")
    app.config["COMMENT_FLOOD_SECONDS"] = 0
    leave_comment(app, author, post, "Held for moderation, as a first comment is.")
    add_item(app, post, content="An approved one")
    add_item(app, post, status="spam", content="Cheap pills")
    add_item(app, post, kind="pingback", status="spam", content="A link farm")
    entries = glance(author.client)
    assert entries["2 Spam"] == "/admin/comments/?status=spam"
    assert entries["3 Posts"] == "/admin/posts?status=published"
    assert entries["1 Draft"] == "/admin/posts?status=draft"
    assert entries["1 Scheduled"] == "/admin/posts?status=scheduled"
    assert entries["1 Pending"] == "/admin/comments/"
    assert entries["1 Comment"] == "/admin/comments/?status=approved"
    assert "Spam filter: learned from 0 spam and 0 legitimate items" in section(page(author.client), "At a glance").text
    # Each link opens its list for the logged-in owner.
    for link in entries.values():
        if link:
            assert author.client.get(link).status_code == 200, link


def test_pages_are_counted_apart_once_posts_have_a_kind(app, author):
    """Pages arrive as Post rows with kind "page" (the pages feature): counted as Pages and not as
    Posts once that column exists; without it there is no Pages entry at all."""
    author.publish("A post", "x")
    if not hasattr(Post, "kind"):
        assert not any(text.endswith(("Page", "Pages")) for text in glance(author.client))
        return
    with app.app_context():
        owner = db.session.execute(db.select(User)).scalar_one()
        db.session.add(Post(title="About", slug="about", kind="page", status=PostStatus.PUBLISHED,
                            published_at=utcnow(), author=owner))
        db.session.commit()
    entries = glance(author.client)
    assert "1 Page" in entries and "1 Post" in entries


def test_latest_mentions_are_the_newest_five_escaped(app, author):
    post = author.publish("Mentioned", "text")
    start = utcnow() - timedelta(hours=1)
    for number in range(6):
        add_item(app, post, kind="pingback", author_name=f"Blog {number}", content=f"ping {number}",
                 created_at=start + timedelta(minutes=number))
    add_item(app, post, kind="trackback", status="spam", author_name="Spammy", created_at=utcnow())
    add_item(app, post, kind="webmention", status="pending", mention_type="reply", created_at=utcnow(),
             author_name='<img src=x onerror="alert(1)">', content="<script>alert(2)</script>",
             author_url="javascript:alert(3)")
    response = author.client.get(DASHBOARD)
    html = response.get_data(as_text=True)
    assert "<script>alert(2)" not in html and "<img src=x" not in html and 'href="javascript:' not in html
    box = section(BeautifulSoup(html, "html.parser"), "Latest mentions")
    items = box.select(".dashboard-list > li")
    assert len(items) == 5
    first = " ".join(items[0].get_text(" ").split())
    assert first.startswith('Reply <img src=x onerror="alert(1)"> on Mentioned') and "Pending" in first
    assert [li.select_one("a").get_text() for li in items[1:]] == ["Blog 5", "Blog 4", "Blog 3", "Blog 2"]
    assert items[1].select_one("a")["rel"] == ["nofollow", "noopener", "noreferrer"]
    assert "Spammy" not in html  # spam has its own tab


def test_undelivered_linkbacks_have_a_resend_that_requeues_them(app, author):
    post = author.publish("Linking", "text")
    failed = add_delivery(app, post.id, "https://gone.example/<b>x</b>", DeliveryStatus.FAILED,
                          detail="The page answered <em>404</em>", minutes_ago=5)
    retrying = add_delivery(app, post.id, "https://slow.example/p", DeliveryStatus.RETRYING, minutes_ago=1)
    add_delivery(app, post.id, "https://fine.example/p", DeliveryStatus.SENT)
    html = author.client.get(DASHBOARD).get_data(as_text=True)
    assert "<em>404</em>" not in html and "&lt;em&gt;404&lt;/em&gt;" in html
    box = section(BeautifulSoup(html, "html.parser"), "Linkbacks not delivered")
    rows = box.select(".dashboard-list > li")
    assert [r.strong.get_text() for r in rows] == ["Retrying", "Failed"]
    assert "fine.example" not in box.get_text()
    form = rows[1].form
    assert form.button.get_text() == "Resend"
    fields = {i["name"]: i["value"] for i in form.select("input")}
    response = author.client.post(form["action"], data=fields)
    assert response.status_code == 302 and response.headers["Location"] == DASHBOARD
    with app.app_context():
        resent = db.session.get(Delivery, failed)
        assert (resent.status, resent.attempts) == (DeliveryStatus.QUEUED, 0)
        assert db.session.get(Delivery, retrying).status == DeliveryStatus.RETRYING
    assert "Queued to be sent again: https://gone.example/&lt;b&gt;x&lt;/b&gt;" in \
        author.client.get(DASHBOARD).get_data(as_text=True)
    rows = section(page(author.client), "Linkbacks not delivered").select(".dashboard-list > li")
    assert len(rows) == 1


def test_resend_from_the_dashboard_needs_a_csrf_token(app, author):
    post = author.publish("Linking", "text")
    failed = add_delivery(app, post.id, "https://gone.example/", DeliveryStatus.FAILED)
    before = snapshot(app)
    response = author.client.post(f"/admin/posts/{post.id}/linkbacks/{failed}/resend", data={"back": DASHBOARD})
    assert response.status_code == 400
    assert snapshot(app) == before


def test_scheduled_posts_are_listed_soonest_first(app, author):
    later = (utcnow() + timedelta(days=9)).strftime("%Y-%m-%dT%H:%M")
    sooner = (utcnow() + timedelta(days=2)).strftime("%Y-%m-%dT%H:%M")
    author.publish("Later <i>one</i>", "x", publish_date=later)
    author.publish("Sooner", "y", publish_date=sooner)
    box = section(page(author.client), "Scheduled")
    assert [a.get_text() for a in box.select("li a")] == ["Sooner", "Later <i>one</i>"]


def test_quick_draft_saves_a_draft(app, author):
    token = csrf_token(author.client, DASHBOARD)
    response = author.client.post("/admin/quick-draft", data={
        "csrf_token": token, "title": "  An idea <b>bold</b>  ", "body": "To write **later**."})
    assert response.status_code == 302 and urlsplit(response.headers["Location"]).path == DASHBOARD
    with app.app_context():
        (post,) = db.session.execute(db.select(Post)).scalars().all()
        assert (post.title, post.status, post.body_markdown) == ("An idea <b>bold</b>", "draft", "To write **later**.")
        assert post.author.username == "admin" and post.published_at is None
    soup = page(author.client)
    assert "Draft saved: “An idea <b>bold</b>”." in soup.select_one(".flash").get_text()
    drafts = section(soup, "Quick Draft").select(".dashboard-list a")
    assert [a.get_text() for a in drafts] == ["An idea <b>bold</b>"]
    assert drafts[0]["href"] == f"/admin/posts/{post.id}/edit"


def test_quick_draft_without_a_title_is_refused_with_the_text_kept(app, author):
    before = snapshot(app)
    token = csrf_token(author.client, DASHBOARD)
    response = author.client.post("/admin/quick-draft", data={"csrf_token": token, "title": " ", "body": "Kept text"})
    assert response.status_code == 400
    soup = BeautifulSoup(response.get_data(as_text=True), "html.parser")
    assert soup.select_one("#quick-draft .error").get_text() == "Please give the draft a title."
    assert soup.select_one("#quick-draft textarea").get_text().strip() == "Kept text"
    assert snapshot(app) == before


@pytest.mark.parametrize("token", ["missing", "garbage", "another session's"])
def test_quick_draft_refuses_a_bad_csrf_token(app, author, token):
    data = {"title": "Forged", "body": "x"}
    if token == "garbage":
        data["csrf_token"] = "nope"
    elif token == "another session's":
        data["csrf_token"] = csrf_token(app.test_client(), "/login")
    before = snapshot(app)
    response = author.client.post("/admin/quick-draft", data=data)
    assert response.status_code == 400
    assert snapshot(app) == before


@pytest.mark.parametrize(("method", "path"), [("GET", DASHBOARD), ("POST", "/admin/quick-draft")])
def test_visitors_are_sent_to_log_in(app, author, visitor, method, path):
    before = snapshot(app)
    data = {"csrf_token": csrf_token(visitor, "/login"), "title": "Sneaky"} if method == "POST" else None
    response = visitor.open(path, method=method, data=data)
    assert response.status_code == 302
    location = urlsplit(response.headers["Location"])
    assert location.path == "/login" and parse_qs(location.query)["next"] == [path]
    assert snapshot(app) == before


def test_a_quick_draft_is_not_public(app, author):
    """The home page and the feed never show a quick draft."""
    author.publish("Public", "x")
    token = csrf_token(author.client, DASHBOARD)
    author.client.post("/admin/quick-draft", data={"csrf_token": token, "title": "Secret draft", "body": ""})
    reader = app.test_client()
    assert "Secret draft" not in reader.get("/").get_data(as_text=True)
    assert b"Secret draft" not in reader.get("/feed/").data
    assert "Secret draft" in author.client.get("/admin/posts").get_data(as_text=True)
