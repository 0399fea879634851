"""Email notifications (Settings -> Discussion, "Email me whenever"), received by a real SMTP server
on loopback (aiosmtpd): which items send which mail, which never do, what the mail says, that the
mail is queued with the item and sent by the job layer's mail queue, and that a missing or broken
SMTP server never costs a comment (the mail is retried, then given up with an error logged)."""

from __future__ import annotations

import logging
import socket
import threading
import xmlrpc.client
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime, timedelta
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
from blog.jobs import run_due_jobs, run_until_idle
from blog.models import Comment, CommentStatus, MailStatus, OutgoingMail, utcnow
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
        tmp_path, monkeypatch, MAIL_SERVER="127.0.0.1", MAIL_PORT=smtp.port, COMMENT_FLOOD_SECONDS=0,
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


def queued(app) -> list[OutgoingMail]:
    """Every notification mail in the database, oldest first (detached)."""
    with app.app_context():
        rows = db.session.execute(db.select(OutgoingMail).order_by(OutgoingMail.id)).scalars().all()
        db.session.expunge_all()
        return rows


def run_jobs(app, now: datetime | None = None) -> dict[str, int]:
    """Run the job layer until it is idle (a pingback's check, then the mail it queued)."""
    with app.app_context():
        return run_until_idle(now)


# Comments


def test_held_comment_mails_please_moderate(app, author, visitor, post, smtp):
    comment_on(visitor, author, post, url="https://vic.example.org", content="First!")
    run_jobs(app)
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
    run_jobs(app)
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
    assert queued(app) == []
    run_jobs(app)
    assert smtp.received == []


def test_held_comment_still_mails_when_only_comments_notify_is_off(app, author, visitor, post, smtp):
    settings(app, comments_notify=False)
    comment_on(visitor, author, post)
    run_jobs(app)
    assert [mail.subject for mail in smtp.received] == ["[Test Blog] Please moderate: “Open for comments”"]


def test_spam_never_mails(app, author, visitor, post, smtp):
    settings(app, disallowed_keys="casino")
    comment_on(visitor, author, post, content="Best casino bonus")
    assert [c.status for c in stored(app)] == [CommentStatus.SPAM]
    assert queued(app) == []
    run_jobs(app)
    assert smtp.received == []


def test_owners_own_comment_never_mails(app, author, post, smtp):
    comment_on(author.client, author, post, name="", email="", content="Thanks, everyone.")
    assert [c.status for c in stored(app)] == [CommentStatus.APPROVED]
    assert queued(app) == []
    run_jobs(app)
    assert smtp.received == []


def test_non_ascii_arrives_intact(app, author, visitor, smtp):
    post = author.publish("Café über Straße", "Text.")
    comment_on(visitor, author, post, name="Zoë 山田", email="zoe@example.com", content="Ça marche — 日本語 ✓")
    run_jobs(app)
    (mail,) = smtp.received
    assert mail.subject == "[Test Blog] Please moderate: “Café über Straße”"
    assert mail.message["Reply-To"].addresses[0].display_name == "Zoë 山田"
    assert "Author: Zoë 山田" in mail.body and "Ça marche — 日本語 ✓" in mail.body


def test_line_breaks_in_a_name_add_no_header(app, author, visitor, post, smtp):
    comment_on(visitor, author, post, name="Eve\r\nBcc: victim@example.net\r\nX-Evil: 1", email="eve@example.com")
    run_jobs(app)
    (mail,) = smtp.received
    assert mail.rcpt_tos == [ADMIN]
    assert mail.message["Bcc"] is None and mail.message["X-Evil"] is None
    assert mail.message["Reply-To"].addresses[0].display_name == "Eve Bcc: victim@example.net X-Evil: 1"
    assert "victim" not in "".join(mail.rcpt_tos)


# Pingbacks and trackbacks


def linking_page(httpserver, path: str, target: str) -> str:
    """A page on another (loopback) blog linking to the target; returns its URL."""
    httpserver.expect_request(path).respond_with_data(
        f"<html><head><title>A linking post</title></head><body><p>I liked <a href='{target}'>this</a>.</p></body>"
        "</html>", content_type="text/html",
    )
    return httpserver.url_for(path)


@pytest.fixture
def remote_source(httpserver, author, live_server, post):
    """A page on another (loopback) blog linking to our post as the live server serves it."""
    target = live_server.url + author.url_of(post)
    return linking_page(httpserver, "/src", target), target


def send_pingback(live_server, source, target) -> str:
    return xmlrpc.client.ServerProxy(live_server.url + "/xmlrpc").pingback.ping(source, target)


def test_pingback_mails_only_once_its_page_is_checked(app, live_server, remote_source, smtp):
    """The pingback's mail is queued when the worker has proved the page links here, not before:
    an unchecked pingback may be a lie, and its mail would show nothing but a host name."""
    source, target = remote_source
    send_pingback(live_server, source, target)
    assert queued(app) == []
    with app.app_context():
        assert run_due_jobs()["linkback_checks"] == 1
    (mail,) = queued(app)
    assert mail.subject == "[Test Blog] Please moderate: “Open for comments”"
    run_jobs(app)
    assert [m.subject for m in smtp.received] == [mail.subject]


def test_held_pingback_mails_please_moderate_with_its_source(app, live_server, remote_source, smtp):
    source, target = remote_source
    send_pingback(live_server, source, target)
    run_jobs(app)
    (mail,) = smtp.received
    assert mail.subject == "[Test Blog] Please moderate: “Open for comments”"
    assert "A new pingback on the post “Open for comments” is waiting for your approval" in mail.body
    assert f"URL: {source}" in mail.body and "Website: A linking post" in mail.body
    assert "Excerpt:\nI liked this.\n" in mail.body
    assert "Held: the site has no approved linkback yet." in mail.body
    assert mail.message["Reply-To"] is None


def test_mail_about_a_checked_pingback_links_to_the_post_and_the_admin(app, live_server, remote_source, smtp):
    source, target = remote_source
    send_pingback(live_server, source, target)
    run_jobs(app)
    (mail,) = smtp.received
    assert target in mail.body
    assert f"Approve it, or mark it as spam or trash: {live_server.url}/admin/comments/" in mail.body


@pytest.mark.parametrize("pings_notify", [True, False])
def test_approved_pingback_mails_when_pings_notify(app, live_server, remote_source, smtp, pings_notify):
    settings(app, linkback_allow_sites="localhost", pings_notify=pings_notify)
    source, target = remote_source
    send_pingback(live_server, source, target)
    run_jobs(app)
    assert [c.status for c in stored(app)] == [CommentStatus.APPROVED]
    subjects = [mail.subject for mail in smtp.received]
    assert subjects == (["[Test Blog] New pingback on your post “Open for comments”"] if pings_notify else [])
    if pings_notify:
        assert f"URL: {source}" in smtp.received[0].body


@pytest.mark.parametrize("pings_notify", [True, False])
def test_approved_trackback_mails_when_pings_notify(app, author, live_server, post, httpserver, smtp, pings_notify):
    settings(app, linkback_allow_sites="localhost", pings_notify=pings_notify, comments_notify=True)
    source = linking_page(httpserver, "/p/", author.url_of_external(post))
    ping = {"url": source, "title": "Their post", "excerpt": "Über this", "blog_name": "Other"}
    response = requests.post(
        live_server.url + author.url_of(post) + "trackback/", data=urlencode(ping).encode(),
        headers={"Content-Type": "application/x-www-form-urlencoded; charset=utf-8"}, timeout=10,
    )
    assert b"<error>0</error>" in response.content
    run_jobs(app)
    assert [(c.status, c.verification) for c in stored(app)] == [(CommentStatus.APPROVED, "verified")]
    if not pings_notify:
        assert smtp.received == []
        return
    (mail,) = smtp.received
    assert mail.subject == "[Test Blog] New trackback on your post “Open for comments”"
    assert "Website: Other" in mail.body and f"URL: {source}" in mail.body
    assert "Their post\n\nÜber this" in mail.body


def test_trackback_from_a_page_without_the_link_never_mails(app, author, live_server, post, httpserver, smtp):
    httpserver.expect_request("/no-link").respond_with_data("<p>Nothing here.</p>", content_type="text/html")
    ping = {"url": httpserver.url_for("/no-link"), "title": "Their post", "blog_name": "Other"}
    response = requests.post(live_server.url + author.url_of(post) + "trackback/", data=ping, timeout=10)
    assert b"<error>0</error>" in response.content
    run_jobs(app)
    assert [c.status for c in stored(app)] == [CommentStatus.SPAM]
    assert queued(app) == [] and smtp.received == []


@pytest.mark.parametrize("approve_own_links", [True, False])
def test_links_between_own_posts_never_mail(app, author, smtp, approve_own_links):
    settings(app, approve_own_links=approve_own_links)
    older = author.publish("Older", "x")
    author.publish("Newer", f"See [the older one]({author.url_of_external(older)}).")
    run_jobs(app)
    (own,) = stored(app)
    assert own.verification == "own"
    with app.test_request_context(), app.app_context():
        notify_new_item(db.session.get(Comment, own.id))  # even if something called it
        db.session.commit()
    assert queued(app) == []
    run_jobs(app)
    assert smtp.received == []


# Queued with the item, sent by the job layer


def test_mail_is_queued_with_the_comment_and_sent_by_the_mail_queue(app, author, visitor, post, smtp):
    comment_on(visitor, author, post)
    (comment,) = stored(app)
    (mail,) = queued(app)  # written with the comment, before any job runs
    assert (mail.status, mail.recipient, mail.attempts) == (MailStatus.QUEUED, ADMIN, 0)
    assert mail.created_at == comment.created_at == mail.next_attempt_at
    assert mail.subject == "[Test Blog] Please moderate: “Open for comments”"
    assert smtp.received == []  # the visitor waited on no SMTP server

    with app.app_context():
        assert run_due_jobs()["mail"] == 1
    assert [(m.subject, m.rcpt_tos) for m in smtp.received] == [(mail.subject, [ADMIN])]
    (sent,) = queued(app)
    assert sent.status == MailStatus.SENT and sent.sent_at is not None
    with app.app_context():
        assert run_due_jobs()["mail"] == 0  # sent once
    assert len(smtp.received) == 1


def test_queued_mail_survives_a_restart(tmp_path, monkeypatch, app, author, visitor, post, smtp):
    """The mail is a row in the database, not a thread of the process that took the comment: a
    new process on the same database (a restart) sends it."""
    comment_on(visitor, author, post)
    restarted = make_app(tmp_path, monkeypatch, MAIL_SERVER="127.0.0.1", MAIL_PORT=smtp.port)
    with restarted.app_context():
        assert run_due_jobs()["mail"] == 1
    assert [m.subject for m in smtp.received] == ["[Test Blog] Please moderate: “Open for comments”"]


# Configuration and failures


def test_without_mail_server_nothing_is_sent(app, author, visitor, post, smtp):
    app.config["MAIL_SERVER"] = None
    assert not mail_configured(app.config)
    comment_on(visitor, author, post)
    assert len(stored(app)) == 1
    assert queued(app) == []  # nothing is queued either: no mail piles up for a server set later
    with app.app_context():
        assert run_due_jobs()["mail"] == 0
    assert smtp.received == []


def test_mail_configured_needs_a_server():
    assert mail_configured({"MAIL_SERVER": "smtp.example.com"})
    assert not mail_configured({"MAIL_SERVER": ""}) and not mail_configured({})


def mail_logs(caplog) -> list[logging.LogRecord]:
    return [r for r in caplog.records if r.name == "blog.jobs.mail"]


def test_smtp_server_down_keeps_the_comment_and_retries_the_mail_later(app, author, visitor, post, smtp, caplog):
    down = free_port()  # nothing listens there
    app.config["MAIL_PORT"] = down
    response = comment_on(visitor, author, post)
    assert "#comment-" in response.headers["Location"]  # sent to its place, pending
    assert [c.author_name for c in stored(app)] == ["Visitor Vic"]

    start = utcnow()
    with caplog.at_level(logging.WARNING, logger="blog.jobs.mail"):
        run_jobs(app, now=start)
    (mail,) = queued(app)
    assert (mail.status, mail.attempts) == (MailStatus.QUEUED, 1)
    assert mail.next_attempt_at > start and mail.last_error
    (record,) = mail_logs(caplog)
    assert record.levelno == logging.WARNING
    assert "Could not send the notification mail" in record.getMessage()
    assert f"127.0.0.1:{down}" in record.getMessage() and "will retry" in record.getMessage()

    app.config["MAIL_PORT"] = smtp.port  # the server is back
    with app.app_context():
        assert run_due_jobs(now=start)["mail"] == 0  # not before its retry time
    assert smtp.received == []
    with app.app_context():
        assert run_due_jobs(now=mail.next_attempt_at)["mail"] == 1
    assert [m.subject for m in smtp.received] == ["[Test Blog] Please moderate: “Open for comments”"]
    (sent,) = queued(app)
    assert (sent.status, sent.attempts) == (MailStatus.SENT, 2)


def test_smtp_server_down_for_good_gives_the_mail_up_and_logs_an_error(app, author, visitor, post, smtp, caplog):
    attempts = app.config["MAIL_MAX_ATTEMPTS"]
    down = free_port()
    app.config["MAIL_PORT"] = down
    comment_on(visitor, author, post)
    now = utcnow()
    with caplog.at_level(logging.WARNING, logger="blog.jobs.mail"):
        for _ in range(attempts):
            with app.app_context():
                assert run_due_jobs(now=now)["mail"] == 1
            (mail,) = queued(app)
            now = mail.next_attempt_at or now
    assert (mail.status, mail.attempts, mail.next_attempt_at) == (MailStatus.FAILED, attempts, None)
    records = mail_logs(caplog)
    assert [r.levelno for r in records] == [logging.WARNING] * (attempts - 1) + [logging.ERROR]
    assert "Gave up sending the notification mail" in records[-1].getMessage()
    assert f"127.0.0.1:{down}" in records[-1].getMessage()

    app.config["MAIL_PORT"] = smtp.port
    with app.app_context():
        assert run_due_jobs(now=now + timedelta(days=1))["mail"] == 0  # given up is given up
    assert smtp.received == []
    assert [c.author_name for c in stored(app)] == ["Visitor Vic"]


def test_logs_in_with_configured_credentials_and_sender(app, author, visitor, post):
    logins = []

    def authenticator(server, session, envelope, mechanism, auth_data):
        logins.append((mechanism, auth_data.login, auth_data.password))
        return AuthResult(success=auth_data.password == b"s3cret")

    with smtp_server(authenticator=authenticator, auth_require_tls=False) as (inbox, port):
        app.config.update(MAIL_PORT=port, MAIL_USERNAME="blog", MAIL_PASSWORD="s3cret",
                          MAIL_SENDER="Blog Robot <robot@example.org>")
        comment_on(visitor, author, post)
        run_jobs(app)
    assert [(login, password) for _, login, password in logins] == [(b"blog", b"s3cret")]
    (mail,) = inbox.received
    assert mail.mail_from == "robot@example.org"
    assert mail.message["From"] == "Blog Robot <robot@example.org>"
