"""Replying from the moderation queue (issue 13): "Reply" on an approved comment and "Approve and Reply"
on a pending one, through plain forms (no script needed). The reply is the owner's, approved at once,
threaded under the comment as deep as Settings -> Discussion allows; empty, stale, forged and
impossible replies (spam, trash, linkbacks, drafts) are refused with a message and change nothing."""

from __future__ import annotations

from urllib.parse import urlsplit

import pytest
from blog_testing import csrf_token, leave_comment, snapshot
from bs4 import BeautifulSoup
from feed_testing import add_item

from blog.extensions import db
from blog.models import Comment, CommentStatus, ModerationEvent
from blog.site_settings import save_settings

QUEUE = "/admin/comments/"


@pytest.fixture
def post(app, author):
    app.config["COMMENT_FLOOD_SECONDS"] = 0
    return author.publish("Talk to me", "Say something.")


def soup_of(response) -> BeautifulSoup:
    return BeautifulSoup(response.get_data(as_text=True), "html.parser")


def reply_link(author, comment_id: int, query: str = "status=all"):
    """The row's reply link on the queue page (None when the row offers none)."""
    row = soup_of(author.client.get(f"{QUEUE}?{query}")).select_one(f"#comment-{comment_id}")
    return next((a for a in row.select("a.button") if "Reply" in a.get_text()), None)


def send_reply(author, link, text: str):
    """Open the reply page the link leads to and send its form as a browser would."""
    page = soup_of(author.client.get(link["href"]))
    form = page.select_one("form.reply-form")
    data = {i["name"]: i.get("value", "") for i in form.select("input[name]") if i.get("type") != "submit"}
    data["content"] = text
    return author.client.post(form["action"], data=data), page


def stored(app, comment_id: int) -> Comment:
    with app.app_context():
        item = db.session.get(Comment, comment_id)
        db.session.expunge(item)
        return item


def replies_to(app, comment_id: int) -> list[Comment]:
    with app.app_context():
        rows = db.session.execute(db.select(Comment).filter_by(parent_id=comment_id)).scalars().all()
        db.session.expunge_all()
        return rows


def test_approve_and_reply_publishes_both(app, author, post):
    comment = leave_comment(app, author, post, "Is this held?")
    assert stored(app, comment).status == CommentStatus.PENDING
    link = reply_link(author, comment, "status=pending")
    assert link.get_text() == "Approve and Reply"
    response, page = send_reply(author, link, "Yes, and now it is **approved**.")
    assert page.select_one('label[for="content"]').get_text(" ", strip=True) == "Reply (required)"
    assert page.select_one('form.reply-form input[type="submit"]')["value"] == "Approve and Reply"
    assert page.select_one(".replied-comment").get_text(strip=True) == "Is this held?"
    assert response.status_code == 302
    assert urlsplit(response.headers["Location"]).path == QUEUE
    assert "Approved the comment and published your reply to Reader." in \
        author.client.get(QUEUE).get_data(as_text=True)

    assert stored(app, comment).status == CommentStatus.APPROVED
    with app.app_context():
        events = db.session.execute(db.select(ModerationEvent).filter_by(comment_id=comment)).scalars().all()
        assert [(e.status, e.by_owner) for e in events][-1] == (CommentStatus.APPROVED, True)
    (reply,) = replies_to(app, comment)
    assert (reply.status, reply.kind, reply.author_name, reply.author_email) == (
        CommentStatus.APPROVED, "comment", "admin", "admin@example.com")
    assert reply.content == "Yes, and now it is **approved**."

    html = soup_of(app.test_client().get(author.url_of(post)))
    nested = html.select_one(f"#comment-{comment} > ol.children > #comment-{reply.id}")
    assert nested is not None and "depth-2" in nested["class"]


def test_reply_to_an_approved_comment_signed_with_the_display_name(app, author, post):
    comment = add_item(app, post, author_name="Ann", content="Nice post")
    with app.app_context():
        from blog.models import User

        user = db.session.execute(db.select(User)).scalar_one()
        user.display_name, user.website = "Ada", "https://ada.example.org/"
        db.session.commit()
    link = reply_link(author, comment, "status=approved")
    assert link.get_text() == "Reply"
    response, page = send_reply(author, link, "Thank you, Ann.")
    assert page.select_one('form.reply-form input[type="submit"]')["value"] == "Reply"
    assert page.select_one('form.reply-form input[name="approve"]') is None
    assert response.status_code == 302
    (reply,) = replies_to(app, comment)
    assert (reply.author_name, reply.author_url) == ("Ada", "https://ada.example.org/")


def test_a_reply_beyond_the_thread_depth_is_shown_at_the_deepest_level(app, author, post):
    save_settings_in(app, thread_comments_depth=2)
    top = add_item(app, post, author_name="Ann", content="Top")
    second = add_item(app, post, author_name="Bob", content="Second level", parent_id=top)
    response, _ = send_reply(author, reply_link(author, second, "status=approved"), "Third, shown at two")
    assert response.status_code == 302
    (reply,) = replies_to(app, second)
    html = soup_of(app.test_client().get(author.url_of(post)))
    shown = html.select_one(f"#comment-{reply.id}")
    assert "depth-2" in shown["class"]
    siblings = [li["id"] for li in html.select(f"#comment-{top} > ol.children > li")]
    assert siblings == [f"comment-{second}", f"comment-{reply.id}"]  # right after the comment it answers


def test_with_threads_off_the_reply_still_names_its_comment(app, author, post):
    save_settings_in(app, thread_comments=False)
    comment = add_item(app, post, author_name="Ann", content="Flat")
    assert send_reply(author, reply_link(author, comment, "status=approved"), "Flat answer")[0].status_code == 302
    (reply,) = replies_to(app, comment)
    html = soup_of(app.test_client().get(author.url_of(post)))
    assert "depth-1" in html.select_one(f"#comment-{reply.id}")["class"]


def test_the_owner_may_reply_where_comments_are_closed(app, author):
    post = author.publish("Closed", "No comments", allow_comments=False)
    comment = add_item(app, post, author_name="Ann", content="Before closing")
    assert send_reply(author, reply_link(author, comment, "status=approved"), "Still answering")[0].status_code == 302
    assert len(replies_to(app, comment)) == 1


def save_settings_in(app, **values):
    with app.app_context():
        save_settings(values)


def test_an_empty_reply_is_refused_and_the_comment_stays_pending(app, author, post):
    comment = leave_comment(app, author, post, "Still waiting")
    before = snapshot(app)
    response, _ = send_reply(author, reply_link(author, comment), "   ")
    assert response.status_code == 400
    assert soup_of(response).select_one(".reply-form .error").get_text() == "Please type a reply."
    assert snapshot(app) == before


def test_a_reply_sent_twice_is_stored_once(app, author, post):
    comment = add_item(app, post, author_name="Ann", content="Hi")
    link = reply_link(author, comment, "status=approved")
    assert send_reply(author, link, "Hello Ann")[0].status_code == 302
    response, _ = send_reply(author, link, "Hello Ann")
    assert response.status_code == 400
    assert "You already posted that reply." in response.get_data(as_text=True)
    assert len(replies_to(app, comment)) == 1


def test_a_stale_reply_form_on_a_comment_put_back_to_pending_is_refused(app, author, post):
    comment = add_item(app, post, author_name="Ann", content="Hi")
    page = soup_of(author.client.get(reply_link(author, comment, "status=approved")["href"]))
    with app.app_context():
        db.session.get(Comment, comment).status = CommentStatus.PENDING  # unapproved in another tab
        db.session.commit()
    form = page.select_one("form.reply-form")
    data = {i["name"]: i.get("value", "") for i in form.select("input[name]") if i.get("type") != "submit"}
    before = snapshot(app)
    response = author.client.post(form["action"], data={**data, "content": "Hi back"})
    assert response.status_code == 400
    assert "use “Approve and Reply” to publish both" in response.get_data(as_text=True)
    assert snapshot(app) == before


@pytest.mark.parametrize(("case", "message"), [
    ("spam", "This comment is in spam: take it out of spam before replying."),
    ("trash", "This comment is in the trash: restore it before replying."),
    ("pingback", "Only comments can be replied to here; answer a linkback on your own post."),
    ("draft", "You cannot reply to a comment on a post that is not published."),
])
def test_replies_that_cannot_be_are_refused(app, author, post, case, message):
    if case == "draft":
        target = author.save("Drafted", "x", action="draft", post_id=None)
        post = author.post(int(target.headers["Location"].rstrip("/").split("/")[-2]))
        item = add_item(app, post, author_name="Ann", content="On a draft")
    elif case == "pingback":
        item = add_item(app, post, kind="pingback", author_name="Blog")
    else:
        item = add_item(app, post, status=case, author_name="Ann")
    assert reply_link(author, item, f"status={'all' if case in ('pingback', 'draft') else case}") is None
    page = author.client.get(f"{QUEUE}{item}/reply")
    assert page.status_code == 200 and message in page.get_data(as_text=True)
    assert soup_of(page).select_one("form.reply-form") is None
    before = snapshot(app)
    response = author.client.post(f"{QUEUE}{item}/reply", data={
        "csrf_token": csrf_token(author.client, QUEUE), "content": "Sneaked in", "approve": "yes"})
    assert response.status_code == 400 and message in response.get_data(as_text=True)
    assert snapshot(app) == before


def test_a_reply_to_a_missing_comment_is_not_found(app, author, post):
    assert author.client.get(f"{QUEUE}999/reply").status_code == 404


def test_markup_in_the_comment_and_the_reply_is_escaped(app, author, post):
    comment = add_item(app, post, author_name='<b onmouseover="x">Ann</b>', content="<script>alert(1)</script>")
    link = reply_link(author, comment, "status=approved")
    response, page = send_reply(author, link, '<script>alert(2)</script> <a href="javascript:alert(3)">x</a>')
    assert response.status_code == 302
    assert "<script>alert(1)" not in str(page) and '<b onmouseover="x">' not in str(page)
    html = app.test_client().get(author.url_of(post)).get_data(as_text=True)
    assert "<script>alert(2)" not in html and 'href="javascript:' not in html
    assert "&lt;script&gt;alert(2)&lt;/script&gt;" in html


def test_the_reply_form_refuses_a_bad_csrf_token(app, author, post):
    comment = leave_comment(app, author, post, "Waiting")
    before = snapshot(app)
    for token in (None, "garbage", csrf_token(app.test_client(), "/login")):
        data = {"content": "Forged reply", "approve": "yes"}
        if token:
            data["csrf_token"] = token
        assert author.client.post(f"{QUEUE}{comment}/reply", data=data).status_code == 400
    assert snapshot(app) == before


@pytest.mark.parametrize("method", ["GET", "POST"])
def test_visitors_cannot_reply(app, author, post, visitor, method):
    comment = leave_comment(app, author, post, "Waiting")
    before = snapshot(app)
    data = {"csrf_token": csrf_token(visitor, "/login"), "content": "Hijack", "approve": "yes"} \
        if method == "POST" else None
    response = visitor.open(f"{QUEUE}{comment}/reply", method=method, data=data)
    assert response.status_code == 302 and urlsplit(response.headers["Location"]).path == "/login"
    assert snapshot(app) == before
