"""Email notifications (Settings -> Discussion, "Email me whenever"), received by a real SMTP server
on loopback (aiosmtpd): which items send which mail, which never do, what the mail says, and that a
missing or broken SMTP server never costs a comment."""

from __future__ import annotations

import logging
import socket
import threading
import xmlrpc.client
from contextlib import contextmanager
from dataclasses import dataclass
from email import message_from_bytes
from email.message import EmailMessage
from email.policy import default as default_policy
from urllib.parse import urlencode

import pytest
import requests
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult
from blog_testing import csrf_token, make_app

from blog.extensions import db
from blog.models import Comment, CommentStatus
from blog.notifications import mail_configured, notify_new_item
from blog.site_settings import save_settings

ADMIN = "admin@example.com"  # run_setup's administrator


@dataclass
class Received:
    mail_from: str
    rcpt_tos: list[str]
    message: EmailMessage

    @property
    def subject(self) -> str:
        return self.message["Subject"]

    @property
    def body(self) -> str:
        return self.message.get_content().replace("\r\n", "\n")  # as sent on the wire


class Inbox:
    """An aiosmtpd handler keeping every message it accepts."""

    def __init__(self):
        self.received: list[Received] = []
        self.arrived = threading.Event()

    async def handle_DATA(self, server, session, envelope):
        message = message_from_bytes(envelope.content, policy=default_policy)
        self.received.append(Received(envelope.mail_from, list(envelope.rcpt_tos), message))
        self.arrived.set()
        return "250 Message accepted for delivery"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@contextmanager
def smtp_server(**options):
    """A real SMTP server on a free loopback port; yields (inbox, port)."""
    inbox = Inbox()
    controller = Controller(inbox, hostname="127.0.0.1", port=free_port(), **options)
    controller.start()
    try:
        yield inbox, controller.port
    finally:
        controller.stop()


@pytest.fixture
def smtp():
    with smtp_server() as (inbox, port):
        inbox.port = port
        yield inbox


@pytest.fixture
def app(tmp_path, monkeypatch, smtp):
    return make_app(
        tmp_path, monkeypatch, MAIL_SERVER="127.0.0.1", MAIL_PORT=smtp.port, MAIL_SEND_IN_BACKGROUND=False,
        COMMENT_FLOOD_SECONDS=0,
    )


@pytest.fixture
def post(author):
    return author.publish("Open for comments", "Say something.")


def settings(app, **values):
    with app.app_context():
        save_settings(values)


def comment_on(client, author, post, **fields):
    data = {"name": "Visitor Vic", "email": "vic@example.com", "url": "", "content": "Nice post!", **fields}
    data["csrf_token"] = csrf_token(client, author.url_of(post))
    response = client.post(f"/comment/{post.id}", data=data)
    assert response.status_code == 302, response.get_data(as_text=True)
    return response


def stored(app) -> list[Comment]:
    with app.app_context():
        rows = db.session.execute(db.select(Comment).order_by(Comment.id)).scalars().all()
        db.session.expunge_all()
        return rows


# Comments


def test_held_comment_mails_please_moderate(app, author, visitor, post, smtp):
    comment_on(visitor, author, post, url="https://vic.example.org", content="First!")
    (mail,) = smtp.received
    assert mail.rcpt_tos == [ADMIN]
    assert mail.subject == "[Test Blog] Please moderate: “Open for comments”"
    assert mail.message["To"] == ADMIN
    assert mail.message["From"] == "Test Blog <blog@localhost>"
    assert mail.message["Reply-To"] == "Visitor Vic <vic@example.com>"
    assert mail.message.get_content_type() == "text/plain"
    assert mail.message.get_content_charset() == "utf-8"
    body = mail.body
    assert "A new comment on the post “Open for comments” is waiting for your approval" in body
    assert "http://localhost" + author.url_of(post) in body
    assert "Author: Visitor Vic (IP address: 127.0.0.1)" in body
    assert "Email: vic@example.com" in body and "URL: https://vic.example.org" in body
    assert "Comment:\nFirst!\n" in body
    assert "Held: no earlier approved comment." in body
    assert "http://localhost/admin/comments/" in body


def test_approved_comment_mails_new_comment(app, author, visitor, post, smtp):
    settings(app, comment_previously_approved=False)
    comment_on(visitor, author, post)
    (comment,) = stored(app)
    assert comment.status == CommentStatus.APPROVED
    (mail,) = smtp.received
    assert mail.subject == "[Test Blog] New comment on your post “Open for comments”"
    assert f"http://localhost{author.url_of(post)}#comment-{comment.id}" in mail.body
    assert "Please moderate" not in mail.body


@pytest.mark.parametrize(
    "switches",
    [
        {"comment_previously_approved": False, "comments_notify": False},  # approved, "anyone posts" off
        {"moderation_notify": False},  # held, "held for moderation" off
    ],
)
def test_no_comment_mail_when_its_box_is_unticked(app, author, visitor, post, smtp, switches):
    settings(app, **switches)
    comment_on(visitor, author, post)
    assert len(stored(app)) == 1
    assert smtp.received == []


def test_held_comment_still_mails_when_only_comments_notify_is_off(app, author, visitor, post, smtp):
    settings(app, comments_notify=False)
    comment_on(visitor, author, post)
    assert [mail.subject for mail in smtp.received] == ["[Test Blog] Please moderate: “Open for comments”"]


def test_spam_never_mails(app, author, visitor, post, smtp):
    settings(app, disallowed_keys="casino")
    comment_on(visitor, author, post, content="Best casino bonus")
    assert [c.status for c in stored(app)] == [CommentStatus.SPAM]
    assert smtp.received == []


def test_owners_own_comment_never_mails(app, author, post, smtp):
    comment_on(author.client, author, post, name="", email="", content="Thanks, everyone.")
    assert [c.status for c in stored(app)] == [CommentStatus.APPROVED]
    assert smtp.received == []


def test_non_ascii_arrives_intact(app, author, visitor, smtp):
    post = author.publish("Café über Straße", "Text.")
    comment_on(visitor, author, post, name="Zoë 山田", email="zoe@example.com", content="Ça marche — 日本語 ✓")
    (mail,) = smtp.received
    assert mail.subject == "[Test Blog] Please moderate: “Café über Straße”"
    assert mail.message["Reply-To"].addresses[0].display_name == "Zoë 山田"
    assert "Author: Zoë 山田" in mail.body and "Ça marche — 日本語 ✓" in mail.body


def test_line_breaks_in_a_name_add_no_header(app, author, visitor, post, smtp):
    comment_on(visitor, author, post, name="Eve\r\nBcc: victim@example.net\r\nX-Evil: 1", email="eve@example.com")
    (mail,) = smtp.received
    assert mail.rcpt_tos == [ADMIN]
    assert mail.message["Bcc"] is None and mail.message["X-Evil"] is None
    assert mail.message["Reply-To"].addresses[0].display_name == "Eve Bcc: victim@example.net X-Evil: 1"
    assert "victim" not in "".join(mail.rcpt_tos)


# Pingbacks and trackbacks


@pytest.fixture
def remote_source(httpserver, author, live_server, post):
    """A page on another (loopback) blog linking to our post as the live server serves it."""
    target = live_server.url + author.url_of(post)
    httpserver.expect_request("/src").respond_with_data(
        f"<html><head><title>A linking post</title></head><body><p>I liked <a href='{target}'>this</a>.</p></body>"
        "</html>", content_type="text/html",
    )
    return httpserver.url_for("/src"), target


def send_pingback(live_server, source, target) -> str:
    return xmlrpc.client.ServerProxy(live_server.url + "/xmlrpc").pingback.ping(source, target)


def test_held_pingback_mails_please_moderate_with_its_source(app, live_server, remote_source, smtp):
    source, target = remote_source
    send_pingback(live_server, source, target)
    (mail,) = smtp.received
    assert mail.subject == "[Test Blog] Please moderate: “Open for comments”"
    assert "A new pingback on the post “Open for comments” is waiting for your approval" in mail.body
    assert f"URL: {source}" in mail.body and "Website: A linking post" in mail.body
    assert "Held: the site has no approved linkback yet." in mail.body
    assert f"{live_server.url}/admin/comments/" in mail.body
    assert mail.message["Reply-To"] is None


@pytest.mark.parametrize("pings_notify", [True, False])
def test_approved_pingback_mails_when_pings_notify(app, live_server, remote_source, smtp, pings_notify):
    settings(app, linkback_allow_sites="localhost", pings_notify=pings_notify)
    source, target = remote_source
    send_pingback(live_server, source, target)
    assert [c.status for c in stored(app)] == [CommentStatus.APPROVED]
    subjects = [mail.subject for mail in smtp.received]
    assert subjects == (["[Test Blog] New pingback on your post “Open for comments”"] if pings_notify else [])
    if pings_notify:
        assert f"URL: {source}" in smtp.received[0].body


@pytest.mark.parametrize("pings_notify", [True, False])
def test_approved_trackback_mails_when_pings_notify(app, author, live_server, post, smtp, pings_notify):
    settings(app, linkback_allow_sites="other.example", pings_notify=pings_notify, comments_notify=True)
    ping = {"url": "http://other.example/p/", "title": "Their post", "excerpt": "Über this", "blog_name": "Other"}
    response = requests.post(
        live_server.url + author.url_of(post) + "trackback/", data=urlencode(ping).encode(),
        headers={"Content-Type": "application/x-www-form-urlencoded; charset=utf-8"}, timeout=10,
    )
    assert b"<error>0</error>" in response.content
    if not pings_notify:
        assert smtp.received == []
        return
    (mail,) = smtp.received
    assert mail.subject == "[Test Blog] New trackback on your post “Open for comments”"
    assert "Website: Other" in mail.body and "URL: http://other.example/p/" in mail.body
    assert "Their post\n\nÜber this" in mail.body


@pytest.mark.parametrize("approve_own_links", [True, False])
def test_links_between_own_posts_never_mail(app, author, smtp, approve_own_links):
    settings(app, approve_own_links=approve_own_links)
    older = author.publish("Older", "x")
    author.publish("Newer", f"See [the older one]({author.url_of_external(older)}).")
    (own,) = stored(app)
    assert own.verification == "own"
    with app.test_request_context(), app.app_context():
        notify_new_item(db.session.get(Comment, own.id))  # even if something called it
    assert smtp.received == []


# Configuration and failures


def test_without_mail_server_nothing_is_sent(app, author, visitor, post, smtp):
    app.config["MAIL_SERVER"] = None
    assert not mail_configured(app.config)
    comment_on(visitor, author, post)
    assert len(stored(app)) == 1
    assert smtp.received == []


def test_mail_configured_needs_a_server():
    assert mail_configured({"MAIL_SERVER": "smtp.example.com"})
    assert not mail_configured({"MAIL_SERVER": ""}) and not mail_configured({})


def test_smtp_server_down_keeps_the_comment_and_logs(app, author, visitor, post, smtp, caplog):
    app.config["MAIL_PORT"] = free_port()  # nothing listens there
    with caplog.at_level(logging.ERROR, logger="blog.notifications"):
        response = comment_on(visitor, author, post)
    assert response.headers["Location"].endswith("#comments")
    assert [c.author_name for c in stored(app)] == ["Visitor Vic"]
    (record,) = [r for r in caplog.records if r.name == "blog.notifications"]
    assert record.levelno == logging.ERROR
    assert "Could not send the notification mail" in record.getMessage()
    assert f"127.0.0.1:{app.config['MAIL_PORT']}" in record.getMessage()


def test_sends_from_a_background_thread_by_default(app, author, visitor, post, smtp):
    app.config["MAIL_SEND_IN_BACKGROUND"] = True
    comment_on(visitor, author, post)
    assert smtp.arrived.wait(10)
    assert [mail.rcpt_tos for mail in smtp.received] == [[ADMIN]]


def test_logs_in_with_configured_credentials_and_sender(app, author, visitor, post):
    logins = []

    def authenticator(server, session, envelope, mechanism, auth_data):
        logins.append((mechanism, auth_data.login, auth_data.password))
        return AuthResult(success=auth_data.password == b"s3cret")

    with smtp_server(authenticator=authenticator, auth_require_tls=False) as (inbox, port):
        app.config.update(MAIL_PORT=port, MAIL_USERNAME="blog", MAIL_PASSWORD="s3cret",
                          MAIL_SENDER="Blog Robot <robot@example.org>")
        comment_on(visitor, author, post)
    assert [(login, password) for _, login, password in logins] == [(b"blog", b"s3cret")]
    (mail,) = inbox.received
    assert mail.mail_from == "robot@example.org"
    assert mail.message["From"] == "Blog Robot <robot@example.org>"
