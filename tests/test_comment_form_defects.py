"""The comment form as a new user met it (issue "Finished surfaces: valid, accessible pages, and the
defects a new user hit"): where the "awaiting moderation" notice shows, the pending comment shown to
its author only, the logged-in author's form, and name and email marked required."""

from __future__ import annotations

import re

import pytest
from blog_testing import csrf_token
from bs4 import BeautifulSoup

from blog.comments import set_comment_status
from blog.extensions import db
from blog.models import Comment, CommentStatus
from blog.site_settings import save_settings

VIC = {"name": "Visitor Vic", "email": "vic@example.com", "url": "", "content": "A thought worth waiting for."}


def soup_of(response) -> BeautifulSoup:
    return BeautifulSoup(response.get_data(as_text=True), "html.parser")


def send_comment(client, author, post, ip="10.0.0.1", **fields):
    """Fill in the comment form found on the post page and send it, as a browser at `ip` would."""
    url = author.url_of(post)
    form = soup_of(client.get(url)).select_one("form.comment-form")
    assert form is not None, "no comment form on the post page"
    data = {**VIC, **fields, "csrf_token": csrf_token(client, url)}
    return client.post(form["action"].split("#")[0], data=data, environ_base={"REMOTE_ADDR": ip})


def comment_id_in(location: str) -> int:
    match = re.search(r"#comment-(\d+)$", location)
    assert match, f"not sent to the comment's place: {location}"
    return int(match.group(1))


@pytest.fixture
def post(author):
    return author.publish("Open for comments", "Say something.")


def test_pending_comment_is_shown_to_its_author_with_the_notice_where_they_land(app, author, visitor, post):
    """Issue "Finished surfaces…", defect 1: the notice showed at the top, off-screen, and the
    comment was not shown to the visitor who had just written it."""
    response = send_comment(visitor, author, post)
    assert response.status_code == 302
    assert response.headers["Location"].startswith(author.url_of(post) + "#comment-")
    comment_id = comment_id_in(response.headers["Location"])

    landed = visitor.get(response.headers["Location"])
    page = soup_of(landed)
    mine = page.select_one(f"#comments #comment-{comment_id}")
    assert mine is not None, "the pending comment is not shown to its author"
    assert "A thought worth waiting for." in mine.get_text()
    assert "Your comment is awaiting moderation." in mine.get_text()
    assert not page.select(".flashes"), "the notice is still at the top of the page"
    cache = {part.strip() for part in landed.headers.get("Cache-Control", "").split(",")}
    assert {"private", "no-store"} <= cache
    assert "Visitor Vic" in mine.get_text()
    assert not mine.select(".reply-link"), "a pending comment cannot be replied to"
    with app.app_context():
        assert db.session.get(Comment, comment_id).status == CommentStatus.PENDING


def test_pending_comment_is_not_shown_to_anyone_else(app, author, visitor, post):
    """Issue "Finished surfaces…", defect 1: only the browser that posted it sees a pending comment,
    not another visitor, not one who types the same name and email."""
    first = send_comment(visitor, author, post)
    comment_id = comment_id_in(first.headers["Location"])

    stranger = app.test_client()
    page = stranger.get(author.url_of(post))
    assert "A thought worth waiting for." not in page.get_data(as_text=True)
    assert "no-store" not in page.headers.get("Cache-Control", "")

    impostor = app.test_client()
    second = send_comment(impostor, author, post, ip="10.0.0.2", content="Someone else, same name and email.")
    assert second.status_code == 302
    html = impostor.get(second.headers["Location"]).get_data(as_text=True)
    assert "Someone else, same name and email." in html
    assert "A thought worth waiting for." not in html
    assert f'id="comment-{comment_id}"' not in html

    # The session names the comment, but only its own post shows it.
    other_post = author.publish("Another post", "Elsewhere.")
    assert "A thought worth waiting for." not in visitor.get(author.url_of(other_post)).get_data(as_text=True)


def test_comment_once_approved_or_spammed_loses_its_notice(app, author, visitor, post):
    """Issue "Finished surfaces…", defect 1: the author's view follows the comment's status."""
    comment_id = comment_id_in(send_comment(visitor, author, post).headers["Location"])
    with app.app_context():
        set_comment_status(db.session.get(Comment, comment_id), CommentStatus.APPROVED)
    page = soup_of(visitor.get(author.url_of(post)))
    assert "awaiting moderation" not in page.select_one(f"#comment-{comment_id}").get_text()
    with app.app_context():
        set_comment_status(db.session.get(Comment, comment_id), CommentStatus.SPAM)
    html = visitor.get(author.url_of(post)).get_data(as_text=True)
    assert "A thought worth waiting for." not in html


def test_logged_in_author_gets_no_name_email_or_website_fields(app, author, post):
    """Issue "Finished surfaces…", defect 8: "Commenting as admin" above empty Name, Email and
    Website fields."""
    page = soup_of(author.client.get(author.url_of(post)))
    form = page.select_one("form.comment-form")
    assert "Commenting as admin" in form.get_text()
    assert [label.get_text(strip=True) for label in form.select("label")] == ["Comment"]
    assert not form.select("input#name, input#email, input#url")

    data = {"content": "The author answers.", "csrf_token": csrf_token(author.client, author.url_of(post))}
    response = author.client.post(form["action"].split("#")[0], data=data)
    assert response.status_code == 302
    with app.app_context():
        comment = db.session.execute(db.select(Comment)).scalar_one()
        assert (comment.author_name, comment.status) == ("admin", CommentStatus.APPROVED)
        assert comment.author_url == "http://localhost"  # the blog's address, as WordPress's user_url


def test_name_and_email_are_marked_required_only_while_the_setting_asks(app, author, visitor, post):
    """Issue "Finished surfaces…", defect 13: Name and Email were required but not marked so."""
    form = soup_of(visitor.get(author.url_of(post))).select_one("form.comment-form")
    for name in ("name", "email"):
        assert "(required)" in form.select_one(f'label[for="{name}"]').get_text()
        field = form.select_one(f"input#{name}")
        assert field.has_attr("required") and field["aria-required"] == "true"
    assert "(required)" not in form.select_one('label[for="url"]').get_text()
    assert not form.select_one("input#url").has_attr("required")

    with app.app_context():
        save_settings({"require_name_email": False})
    form = soup_of(visitor.get(author.url_of(post))).select_one("form.comment-form")
    assert "(required)" not in form.get_text()
    assert not form.select("input#name[required], input#email[required], [aria-required]")


def test_comment_from_a_special_use_domain_is_accepted(app, author, visitor, post):
    """Issue "Finished surfaces…", defect 12: the same address rule as setup, so alice@example.test
    may comment too."""
    response = send_comment(visitor, author, post, email="alice@example.test")
    assert response.status_code == 302


@pytest.mark.parametrize("status", [CommentStatus.PENDING, CommentStatus.APPROVED])
def test_new_comment_lands_on_the_page_of_comments_that_holds_it(app, author, visitor, post, status):
    """With comments in pages and the first page shown by default, a new comment is on the last page:
    its writer is sent there (?cpage=N#comment-ID), not to an anchor the default page lacks."""
    with app.app_context():
        save_settings({"page_comments": True, "comments_per_page": 2, "default_comments_page": "oldest",
                       "comment_moderation": status == CommentStatus.PENDING, "comment_previously_approved": False})
    app.config["COMMENT_FLOOD_SECONDS"] = 0
    for number in range(3):
        earlier = send_comment(app.test_client(), author, post, ip=f"10.0.1.{number}", content=f"Earlier {number}")
        with app.app_context():
            set_comment_status(db.session.get(Comment, comment_id_in(earlier.headers["Location"])),
                               CommentStatus.APPROVED)

    response = send_comment(visitor, author, post, content="Mine, on page two")
    location = response.headers["Location"]
    comment_id = comment_id_in(location)
    with app.app_context():
        assert db.session.get(Comment, comment_id).status == status
    assert location == f"{author.url_of(post)}?cpage=2#comment-{comment_id}"
    page = soup_of(visitor.get(location))
    assert "Mine, on page two" in page.select_one(f"#comment-{comment_id}").get_text()
    assert soup_of(visitor.get(author.url_of(post))).select_one(f"#comment-{comment_id}") is None  # page 1
