"""The admin's comments screen: visitors' comments wait in Pending, the nav shows how many, and
Approve / Unapprove / Spam / Trash move them (only approved ones show on the post)."""

from __future__ import annotations

import re

import pytest
from blog_testing import csrf_token

from blog.extensions import db
from blog.models import Comment, CommentStatus

SCREEN = "/admin/comments/"




def leave_comment(app, author, post, text: str, ip: str = "192.0.2.10"):
    """A visitor (a client of their own, from their own address) sends the post's comment form."""
    visitor = app.test_client()
    url = author.url_of(post)
    data = {"csrf_token": csrf_token(visitor, url), "name": "Reader", "email": "reader@example.com",
            "url": "", "content": text}
    response = visitor.post(f"/comment/{post.id}", data=data, environ_base={"REMOTE_ADDR": ip})
    assert response.status_code == 302, response.get_data(as_text=True)
    with app.app_context():
        return db.session.execute(db.select(Comment).filter_by(content=text)).scalar_one().id


def act(author, comment_id: int, action: str, back: str | None = None):
    data = {"csrf_token": author.token()}
    if back is not None:
        data["back"] = back
    return author.client.post(f"/admin/comments/{comment_id}/{action}", data=data)


def status_of(app, comment_id: int) -> str:
    with app.app_context():
        return db.session.get(Comment, comment_id).status


def tab(author, status: str) -> str:
    return author.client.get(f"{SCREEN}?status={status}").get_data(as_text=True)


def row(html: str, comment_id: int) -> str | None:
    found = re.search(rf'<tr id="comment-{comment_id}".*?</tr>', html, re.S)
    return found.group(0) if found else None


def badge(html: str) -> str | None:
    found = re.search(r'<span class="badge"[^>]*>(\d+)</span>', html)
    return found.group(1) if found else None


@pytest.fixture
def post(author):
    return author.publish("Talk to me", "Comments welcome.")


def test_visitor_comment_waits_in_pending_and_shows_in_the_nav_badge(app, author, visitor, post):
    comment_id = leave_comment(app, author, post, "First!")
    assert status_of(app, comment_id) == CommentStatus.PENDING
    assert "First!" not in visitor.get(author.url_of(post)).get_data(as_text=True)
    pending = author.client.get(SCREEN).get_data(as_text=True)
    assert "First!" in row(pending, comment_id) and "Talk to me" in row(pending, comment_id)
    assert "Pending <span class=\"count\">(1)</span>" in pending
    for page in ("/admin/posts", "/admin/posts/new", SCREEN, "/admin/settings/general"):
        assert badge(author.client.get(page).get_data(as_text=True)) == "1", page
    leave_comment(app, author, post, "Second!", ip="192.0.2.11")
    assert badge(author.client.get("/admin/posts").get_data(as_text=True)) == "2"


def test_approving_puts_the_comment_on_the_post(app, author, visitor, post):
    comment_id = leave_comment(app, author, post, "Lovely post.")
    response = act(author, comment_id, "approve", back=f"{SCREEN}?status=pending")
    assert response.status_code == 302 and response.headers["Location"] == f"{SCREEN}?status=pending"
    assert status_of(app, comment_id) == CommentStatus.APPROVED
    assert "Lovely post." in visitor.get(author.url_of(post)).get_data(as_text=True)
    assert badge(author.client.get("/admin/posts").get_data(as_text=True)) is None
    assert row(tab(author, "pending"), comment_id) is None
    approved = row(tab(author, "approved"), comment_id)
    assert ">Unapprove</button>" in approved and ">Approve</button>" not in approved


def test_unapprove_takes_the_comment_off_the_post(app, author, visitor, post):
    comment_id = leave_comment(app, author, post, "Second thoughts.")
    act(author, comment_id, "approve")
    act(author, comment_id, "unapprove")
    assert status_of(app, comment_id) == CommentStatus.PENDING
    assert "Second thoughts." not in visitor.get(author.url_of(post)).get_data(as_text=True)
    assert badge(author.client.get("/admin/posts").get_data(as_text=True)) == "1"


@pytest.mark.parametrize(("action", "status"), [("spam", CommentStatus.SPAM), ("trash", CommentStatus.TRASH)])
def test_spam_and_trash_move_the_comment_to_their_tab(app, author, visitor, post, action, status):
    comment_id = leave_comment(app, author, post, "Buy cheap things")
    act(author, comment_id, "approve")
    assert act(author, comment_id, action).status_code == 302
    assert status_of(app, comment_id) == status
    assert "Buy cheap things" not in visitor.get(author.url_of(post)).get_data(as_text=True)
    html = tab(author, status)
    assert f'{status.capitalize()} <span class="count">(1)</span>' in html
    buttons = re.findall(r">(\w+)</button>", row(html, comment_id))
    assert action.capitalize() not in buttons and "Approve" in buttons
    assert row(tab(author, "approved"), comment_id) is None


def test_pending_row_offers_approve_spam_and_trash(app, author, post):
    comment_id = leave_comment(app, author, post, "Hello")
    assert re.findall(r">(\w+)</button>", row(tab(author, "pending"), comment_id)) == ["Approve", "Spam", "Trash"]


def test_comment_text_is_shown_escaped(app, author, post):
    comment_id = leave_comment(app, author, post, '<script>alert("pwned")</script> <b>bold</b>')
    html = row(author.client.get(SCREEN).get_data(as_text=True), comment_id)
    assert "<script>" not in html and "<b>" not in html
    assert "&lt;script&gt;" in html


@pytest.mark.parametrize(
    "back", ["https://evil.example/", "//evil.example/", "/\\evil.example", "/admin/\r\nSet-Cookie: x=1"]
)
def test_redirect_after_an_action_never_leaves_the_site(app, author, post, back):
    comment_id = leave_comment(app, author, post, "Hi")
    response = act(author, comment_id, "approve", back=back)
    assert response.headers["Location"] == SCREEN


def test_unknown_action_comment_or_tab_is_404_and_changes_nothing(app, author, post):
    comment_id = leave_comment(app, author, post, "Stay pending")
    assert act(author, comment_id, "delete").status_code == 404
    assert act(author, comment_id + 100, "approve").status_code == 404
    assert author.client.get(f"{SCREEN}?status=everything").status_code == 404
    assert author.client.get(f"/admin/comments/{comment_id}/approve").status_code == 405
    assert status_of(app, comment_id) == CommentStatus.PENDING


def test_empty_tab_says_so(author):
    assert "No spam comments." in tab(author, "spam")
