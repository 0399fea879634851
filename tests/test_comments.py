"""Comments under a post: the form, moderation, how comments are shown, every way a comment is
refused (each with its message or status, nothing stored lost), and a fixed number of queries."""

from __future__ import annotations

from datetime import timedelta

import pytest
from blog_testing import csrf_token
from bs4 import BeautifulSoup
from sqlalchemy import event

from blog.comments import CommentInput, add_visitor_comment, normalize_author_url, set_comment_status
from blog.extensions import db
from blog.models import Comment, CommentStatus, Post, utcnow
from blog.site_settings import save_settings

VIC = {"name": "Visitor Vic", "email": "vic@example.com", "url": "https://vic.example.org", "content": "Nice!"}


def soup_of(response) -> BeautifulSoup:
    return BeautifulSoup(response.get_data(as_text=True), "html.parser")




def submit_comment(client, author, post, token: str | None = None, **fields):
    """Fill in the comment form found on the post page and send it, as a browser would."""
    page = soup_of(client.get(author.url_of(post)))
    form = page.select_one("form.comment-form")
    assert form is not None, "no comment form on the post page"
    data = {**VIC, **fields}
    data["csrf_token"] = csrf_token(client, author.url_of(post)) if token is None else token
    return client.post(form["action"].split("#")[0], data=data)


def stored(app) -> list[tuple[str, str, str]]:
    with app.app_context():
        rows = db.session.execute(db.select(Comment).order_by(Comment.id)).scalars()
        return [(c.author_name, c.content, c.status) for c in rows]


def add_comment(app, post, text, *, ip="10.0.0.1", approve=False, ago=timedelta(hours=1), **who):
    """A visitor's comment stored through the domain function, dated `ago` in the past."""
    data = CommentInput(who.get("name", "Old Friend"), who.get("email", "old@example.com"), who.get("url", ""), text)
    with app.app_context():
        comment = add_visitor_comment(db.session.get(Post, post.id), data, ip=ip, user_agent="t", now=utcnow() - ago)
        if approve:
            set_comment_status(comment, CommentStatus.APPROVED)
        return comment.id


def errors(response) -> list[str]:
    return [p.get_text(strip=True) for p in soup_of(response).select(".comment-form .error")]


@pytest.fixture
def post(author):
    return author.publish("Open for comments", "Say something.")


# The form and moderation


def test_comment_form_has_name_email_website_comment_and_button(app, author, visitor, post):
    app.config["COMMENT_MAX_CHARS"] = 5000
    page = soup_of(visitor.get(author.url_of(post)))
    form = page.select_one("form.comment-form")
    labels = [label.get_text() for label in form.select("label")]
    assert labels == ["Name (required)", "Email (required)", "Website", "Comment"]
    assert form.select_one('input[type="submit"]')["value"] == "Post Comment"
    assert form.select_one("textarea#content")["maxlength"] == "5000"


def test_visitor_comment_waits_for_approval_and_visitor_is_told(app, author, visitor, post):
    response = submit_comment(visitor, author, post)
    assert response.status_code == 302
    assert response.headers["Location"].startswith(author.url_of(post) + "#comment-")
    page = soup_of(visitor.get(response.headers["Location"]))
    mine = page.select_one(response.headers["Location"][response.headers["Location"].index("#") :])
    assert "awaiting moderation" in mine.select_one(".comment-awaiting-moderation").get_text()
    assert [li["id"] for li in page.select(".comment-list .comment")] == [mine["id"]]  # only to its author
    assert soup_of(app.test_client().get(author.url_of(post))).select(".comment-list .comment") == []
    assert stored(app) == [("Visitor Vic", "Nice!", "pending")]


def test_approved_comment_shows_with_author_link_nofollow_ugc(app, author, visitor, post):
    submit_comment(visitor, author, post)
    with app.app_context():
        set_comment_status(db.session.execute(db.select(Comment)).scalar_one(), CommentStatus.APPROVED)
    page = soup_of(visitor.get(author.url_of(post)))
    comment = page.select_one(".comment-list .comment")
    link = comment.select_one(".comment-author a")
    assert (link.get_text(), link["href"]) == ("Visitor Vic", "https://vic.example.org")
    assert {"nofollow", "ugc"} <= set(link["rel"])
    assert comment.select_one(".comment-text").get_text(strip=True) == "Nice!"
    assert page.select_one(".comments-title").get_text() == "1 comment"


def test_comment_count_shows_on_home_page(app, author, visitor, post):
    add_comment(app, post, "First", approve=True)
    add_comment(app, post, "Second", approve=True, ip="10.0.0.2")
    add_comment(app, post, "Pending", ip="10.0.0.3", name="Newcomer", email="new@example.com")
    assert soup_of(visitor.get("/")).select_one(".post-meta a").get_text() == "2 comments"


@pytest.mark.parametrize("status", [CommentStatus.PENDING, CommentStatus.SPAM, CommentStatus.TRASH])
def test_comment_not_approved_is_not_shown(app, author, visitor, post, status):
    comment_id = add_comment(app, post, "Hidden words")
    with app.app_context():
        set_comment_status(db.session.get(Comment, comment_id), status)
    html = visitor.get(author.url_of(post)).get_data(as_text=True)
    assert "Hidden words" not in html


def test_comment_with_script_is_stored_as_typed_and_shown_as_text(app, author, visitor, post):
    text = "Line one <script>alert(1)</script>\nline two https://example.net/page\n\nNew paragraph"
    assert submit_comment(visitor, author, post, content=text, name="<b>Bold</b> Bob").status_code == 302
    with app.app_context():
        comment = db.session.execute(db.select(Comment)).scalar_one()
        assert comment.content == text  # stored as typed; escaped when shown
        set_comment_status(comment, CommentStatus.APPROVED)
    page = soup_of(visitor.get(author.url_of(post)))
    body = page.select_one(".comment-text")
    assert body.select("script") == [] and "<script>alert(1)</script>" in body.get_text()
    assert len(body.select("p")) == 2 and len(body.select("p br")) == 1
    link = body.select_one("a")
    assert (link["href"], link["rel"]) == ("https://example.net/page", ["nofollow", "ugc"])
    assert page.select_one(".comment-author").get_text() == "<b>Bold</b> Bob"


def test_owner_comment_is_published_at_once(app, author, post):
    response = submit_comment(author.client, author, post, name="", email="", url="", content="Thanks all")
    assert response.status_code == 302
    assert stored(app) == [("admin", "Thanks all", "approved")]
    assert response.headers["Location"].endswith("#comment-1")
    page = soup_of(author.client.get(response.headers["Location"]))
    assert page.select_one(".comment-list .comment-text").get_text(strip=True) == "Thanks all"


# Closed posts, drafts, missing posts


def test_post_without_comments_shows_comments_are_closed(author, visitor):
    closed = author.publish("Closed", allow_comments=False)
    page = soup_of(visitor.get(author.url_of(closed)))
    assert page.select_one("form.comment-form") is None
    assert page.select_one(".comments-closed").get_text() == "Comments are closed."


def test_comment_on_closed_post_is_refused(app, author, visitor):
    open_post = author.publish("Open")
    closed = author.publish("Closed", allow_comments=False)
    token = csrf_token(visitor, author.url_of(open_post))  # the closed post's page has no form
    response = visitor.post(f"/comment/{closed.id}", data={**VIC, "csrf_token": token})
    assert response.status_code == 403
    assert "Comments are closed." in response.get_data(as_text=True)
    assert stored(app) == []


def test_comment_on_draft_scheduled_or_missing_post_is_not_found(app, author, visitor, post):
    draft_id = int(author.save("Draft", action="draft").headers["Location"].split("/")[-2])
    future = (utcnow() + timedelta(days=2)).strftime("%Y-%m-%dT%H:%M")
    scheduled_id = author.publish("Later", publish_date=future).id
    token = csrf_token(visitor, author.url_of(post))
    for post_id in (draft_id, scheduled_id, 999):
        response = visitor.post(f"/comment/{post_id}", data={**VIC, "csrf_token": token})
        assert response.status_code == 404, post_id
    assert stored(app) == []


# Bad input: refused with a message, the form keeps what was typed


def test_comment_without_csrf_token_is_refused_and_keeps_text(app, author, visitor, post):
    response = submit_comment(visitor, author, post, token="", content="My long, careful comment")
    assert response.status_code == 400
    page = soup_of(response)
    assert "security token" in page.select_one(".comment-form .error").get_text()
    assert page.select_one("textarea#content").get_text().strip() == "My long, careful comment"
    assert stored(app) == []


def test_comment_with_wrong_csrf_token_is_refused(app, author, visitor, post):
    response = submit_comment(visitor, author, post, token="not-the-token")
    assert response.status_code == 400
    assert stored(app) == []


@pytest.mark.parametrize("content", ["", "   \n  "])
def test_empty_comment_is_refused(app, author, visitor, post, content):
    response = submit_comment(visitor, author, post, content=content)
    assert response.status_code == 400
    assert errors(response) == ["Please type a comment."]
    assert stored(app) == []


def test_oversized_comment_is_refused(app, author, visitor, post):
    app.config["COMMENT_MAX_CHARS"] = 50
    response = submit_comment(visitor, author, post, content="x" * 51)
    assert response.status_code == 400
    assert errors(response) == ["This is too long: at most 50 characters."]
    assert stored(app) == []
    assert submit_comment(visitor, author, post, content="x" * 50).status_code == 302


def test_invalid_email_is_refused_and_form_keeps_what_was_typed(app, author, visitor, post):
    response = submit_comment(visitor, author, post, email="vic-at-example", content="Line 1\nLine 2")
    assert response.status_code == 400
    assert errors(response) == ["Invalid email address."]
    page = soup_of(response)
    assert page.select_one("input#name")["value"] == "Visitor Vic"
    assert page.select_one("input#email")["value"] == "vic-at-example"
    assert page.select_one("input#url")["value"] == "https://vic.example.org"
    assert page.select_one("textarea#content").get_text().strip() == "Line 1\nLine 2"
    assert stored(app) == []


def test_missing_name_and_email_are_refused_when_required(app, author, visitor, post):
    response = submit_comment(visitor, author, post, name=" ", email="")
    assert response.status_code == 400
    assert errors(response) == ["Please fill in your name.", "Please fill in your email address."]
    assert stored(app) == []


def test_name_and_email_may_be_left_out_when_not_required(app, author, visitor, post):
    with app.app_context():
        save_settings({"require_name_email": False})
    response = submit_comment(visitor, author, post, name="", email="", url="")
    assert response.status_code == 302
    assert stored(app) == [("", "Nice!", "pending")]


def test_second_comment_within_flood_window_is_refused(app, author, visitor, post):
    assert submit_comment(visitor, author, post, content="First").status_code == 302
    response = submit_comment(visitor, author, post, content="Second, too soon")
    assert response.status_code == 429
    assert errors(response) == ["You are posting comments too quickly. Slow down."]
    assert soup_of(response).select_one("textarea#content").get_text().strip() == "Second, too soon"
    assert stored(app) == [("Visitor Vic", "First", "pending")]


def test_comment_after_flood_window_is_accepted(app, author, visitor, post):
    add_comment(app, post, "Earlier", ip="127.0.0.1", ago=timedelta(seconds=16))
    assert submit_comment(visitor, author, post, content="Later").status_code == 302
    assert [row[1] for row in stored(app)] == ["Earlier", "Later"]


def test_flood_window_is_configurable(app, author, visitor, post):
    add_comment(app, post, "Earlier", ip="127.0.0.1", ago=timedelta(seconds=16))
    app.config["COMMENT_FLOOD_SECONDS"] = 60
    assert submit_comment(visitor, author, post, content="Later").status_code == 429


def test_duplicate_comment_is_refused(app, author, visitor, post):
    add_comment(app, post, "Nice!", name="Visitor Vic", email="vic@example.com")
    response = submit_comment(visitor, author, post)
    assert response.status_code == 409
    assert errors(response) == ["Duplicate comment detected; it looks as though you’ve already said that!"]
    assert stored(app) == [("Visitor Vic", "Nice!", "pending")]


# Commenter's website


@pytest.mark.parametrize(
    ("typed", "kept"),
    [
        ("https://vic.example.org/", "https://vic.example.org/"),
        ("vic.example.org", "http://vic.example.org"),
        ("  ", ""),
        ("javascript:alert(1)", ""),
        ("ftp://files.example.org", ""),
        ("http://", ""),
    ],
)
def test_commenter_website_is_kept_only_as_http_url(typed, kept):
    assert normalize_author_url(typed) == kept


# Queries


def count_queries(app, client, url) -> tuple[int, int]:
    """(SQL statements run, comments shown) for one GET of the page, after a warm-up GET."""
    statements = []

    def record(conn, cursor, statement, parameters, context, executemany):
        statements.append(statement)

    with app.app_context():
        engine = db.engine
    client.get(url)  # warm up: per-process caches (setup done, ...) are not what we measure
    event.listen(engine, "before_cursor_execute", record)
    try:
        response = client.get(url)
    finally:
        event.remove(engine, "before_cursor_execute", record)
    assert response.status_code == 200
    return len(statements), len(soup_of(response).select(".comment-list .comment"))


def test_post_page_makes_the_same_number_of_queries_whatever_the_comments(app, author, visitor, post):
    add_comment(app, post, "Comment 0", url="https://a.example", approve=True)
    one = count_queries(app, visitor, author.url_of(post))
    for n in range(1, 30):
        add_comment(app, post, f"Comment {n}", ip=f"10.0.1.{n}", url="https://a.example", approve=True)
    thirty = count_queries(app, visitor, author.url_of(post))
    assert (one[1], thirty[1]) == (1, 30)
    assert one[0] == thirty[0]
