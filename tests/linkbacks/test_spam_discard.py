"""Silently discarding the worst spam (Akismet's option) for linkbacks: a pingback, trackback or
webmention whose page scores as certain spam is not stored at all, only counted, once the owner
has switched discarding on; with it off the same item lands in the Spam tab with its score. The
filter is trained by the owner's decisions on stored comments; the source pages are real
servers on loopback."""

from __future__ import annotations

import xmlrpc.client

import pytest
import requests

from blog.extensions import db
from blog.jobs import run_due_jobs
from blog.models import Comment, CommentKind, CommentStatus, IncomingWebmention, WebmentionStatus
from blog.site_settings import save_settings
from blog.spam.classifier import HAM, SPAM
from blog.spam.screening import discarded_count
from blog.spam.training import learn

SPAMMY = ["Cheap casino bonus, win money now at the lucky casino {n}",
          "Casino jackpot bonus: cheap pills and free money {n}",
          "Win big at the online casino, cheap bonus money {n}"]
HAMMY = ["I enjoyed the part about gardening and tomatoes {n}",
         "Thanks, the tomato seedlings in my garden did well {n}",
         "Your gardening notes helped my balcony tomatoes {n}"]
SPAM_PAGE = ("<p>Casino bonus! Cheap money, win at the online casino now: jackpot, free money, cheap pills, "
             "bonus casino money. Read <a href='{target}'>casino bonus money</a> and win the jackpot.</p>")


@pytest.fixture
def blog(app, author, live_server):
    post = author.publish("Gardening", "Tomatoes on a balcony.")
    target = live_server.url + author.url_of(post)
    with app.app_context():
        save_settings({"comment_previously_approved": False, "spam_check_sender": False})
        for n in range(4):  # the owner's decisions: twelve spam, twelve legitimate (10 are needed)
            for label, texts in ((SPAM, SPAMMY), (HAM, HAMMY)):
                for text in texts:
                    item = Comment(post_id=post.id, kind=CommentKind.COMMENT, author_name=f"Someone {n}",
                                   content=text.format(n=n), ip="192.0.2.1",
                                   status=CommentStatus.SPAM if label == SPAM else CommentStatus.APPROVED)
                    db.session.add(item)
                    db.session.flush()
                    learn(item, label)
        db.session.commit()
        stored = db.session.execute(db.select(db.func.count(Comment.id))).scalar()

    class Blog:
        url = live_server.url
        permalink = target
        comments_before = stored

        @staticmethod
        def send(kind: str, source: str) -> None:
            if kind == "webmention":
                response = requests.post(live_server.url + "/webmention", data={"source": source, "target": target},
                                         timeout=10)
                assert response.status_code == 201
            elif kind == "pingback":
                body = xmlrpc.client.dumps((source, target), "pingback.ping")
                response = requests.post(live_server.url + "/xmlrpc", data=body, timeout=10,
                                         headers={"Content-Type": "text/xml"})
                assert b"<fault>" not in response.content, response.content
            else:
                response = requests.post(target + "trackback/", timeout=10,
                                         data={"url": source, "title": "Casino bonus", "blog_name": "Casino"})
                assert b"<error>0</error>" in response.content
            with app.app_context():
                done = run_due_jobs()
                assert done["webmentions" if kind == "webmention" else "linkback_checks"] == 1

        @staticmethod
        def linkbacks() -> list[Comment]:
            with app.app_context():
                rows = db.session.execute(
                    db.select(Comment).where(Comment.kind != CommentKind.COMMENT)).scalars().all()
                db.session.expunge_all()
                return rows

        @staticmethod
        def discarded() -> int:
            with app.app_context():
                return discarded_count()

    return Blog


KINDS = ["pingback", "trackback", "webmention"]


@pytest.mark.parametrize("kind", KINDS)
def test_certain_spam_linkback_is_counted_and_not_stored_when_discarding_is_on(app, blog, httpserver, kind):
    with app.app_context():
        save_settings({"spam_discard": True, "spam_discard_threshold": 90})
    httpserver.expect_request("/spam").respond_with_data(
        f"<!doctype html><title>Casino</title>{SPAM_PAGE.format(target=blog.permalink)}", content_type="text/html")
    blog.send(kind, httpserver.url_for("/spam"))
    assert blog.linkbacks() == []
    assert blog.discarded() == 1
    if kind == "webmention":  # its status page says only that it was not accepted
        with app.app_context():
            (request,) = db.session.execute(db.select(IncomingWebmention)).scalars().all()
            assert (request.status, request.comment_id) == (WebmentionStatus.REJECTED, None)


@pytest.mark.parametrize("kind", KINDS)
def test_with_discarding_off_the_same_linkback_goes_to_spam_with_its_score(app, blog, httpserver, kind):
    httpserver.expect_request("/spam").respond_with_data(
        f"<!doctype html><title>Casino</title>{SPAM_PAGE.format(target=blog.permalink)}", content_type="text/html")
    blog.send(kind, httpserver.url_for("/spam"))
    (item,) = blog.linkbacks()
    assert item.status == CommentStatus.SPAM and item.spam_score >= 0.9
    assert item.moderation_note.startswith("Spam score ") and "“casino”" in item.moderation_note
    assert blog.discarded() == 0
