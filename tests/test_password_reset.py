""""Lost your password?" (issue 13): offered only when mail is configured; the link arrives by mail
through a real SMTP server on loopback (aiosmtpd); it works once, within the hour, and ends every
login; asking answers the same whether or not an account matches; requests are limited per address
and per account; a damaged, expired or spent link gets a clear page; the same link used five times
at once works once."""

from __future__ import annotations

import re
import threading
from email import message_from_string
from email.policy import default as default_policy
from urllib.parse import urlsplit

import pytest
import requests
from blog_testing import PASSWORD, csrf_token, make_app, run_setup, snapshot
from bs4 import BeautifulSoup
from itsdangerous import TimestampSigner
from test_notifications import smtp_server

from blog.extensions import db
from blog.jobs import run_until_idle
from blog.models import OutgoingMail, User
from blog.site_settings import save_settings

LOST = "/login/lost-password"
NEW_PASSWORD = "my new long password"
SENT = ("If that is the username or email address of an account here, a link to choose a new password is on its way "
        "to the account's email address. It works once, within the hour.")
LINK_RE = re.compile(r"http://localhost(/login/reset/[A-Za-z0-9_.-]+)")


@pytest.fixture
def smtp():
    with smtp_server() as (inbox, port):
        inbox.port = port
        yield inbox


@pytest.fixture
def app(tmp_path, monkeypatch, smtp):
    return make_app(tmp_path, monkeypatch, MAIL_SERVER="127.0.0.1", MAIL_PORT=smtp.port)


def ask(app, name: str, ip: str = "192.0.2.1", client=None):
    client = client or app.test_client()
    data = {"csrf_token": csrf_token(client, LOST), "name": name}
    return client.post(LOST, data=data, environ_base={"REMOTE_ADDR": ip})


def flash_of(client) -> str:
    soup = BeautifulSoup(client.get("/login").get_data(as_text=True), "html.parser")
    return " ".join(p.get_text() for p in soup.select(".flash"))


def queued_links(app) -> list[str]:
    """The reset links of every mail queued so far, oldest first (paths)."""
    with app.app_context():
        messages = db.session.execute(db.select(OutgoingMail.message).order_by(OutgoingMail.id)).scalars().all()
    bodies = [message_from_string(m, policy=default_policy).get_content() for m in messages]
    return [LINK_RE.search(body).group(1) for body in bodies]


def log_in(app, password: str):
    client = app.test_client()
    response = client.post("/login", data={"csrf_token": csrf_token(client), "username": "admin",
                                           "password": password})
    return client, response.status_code


def reset(client, path: str, password: str = NEW_PASSWORD):
    token = csrf_token(client, "/login")  # the session's token (a refused link's page has no form)
    return client.post(path, data={"csrf_token": token, "new_password": password})


def test_login_offers_the_link_only_when_mail_is_configured(tmp_path, monkeypatch, app, author):
    html = app.test_client().get("/login").get_data(as_text=True)
    link = BeautifulSoup(html, "html.parser").find("a", string="Lost your password?")
    assert link is not None and link["href"] == LOST
    without_mail = make_app(tmp_path / "other", monkeypatch)
    assert run_setup(without_mail.test_client()).status_code == 302
    assert "Lost your password?" not in without_mail.test_client().get("/login").get_data(as_text=True)
    assert without_mail.test_client().get(LOST).status_code == 404


def test_the_link_arrives_by_mail_and_sets_a_new_password_once(app, author, smtp):
    asking = app.test_client()
    response = ask(app, "admin", client=asking)
    assert response.status_code == 302 and response.headers["Location"] == "/login"
    assert flash_of(asking) == SENT
    assert run_until_idle_in(app)["mail"] >= 1
    (mail,) = smtp.received
    assert mail.rcpt_tos == ["admin@example.com"]
    assert mail.subject == "[Test Blog] Password reset"
    body = mail.body
    assert "open this link within 60 minutes. It works once:" in body
    assert "(Asked from the address 192.0.2.1.)" in body
    path = LINK_RE.search(body).group(1)

    browser = app.test_client()
    page = BeautifulSoup(browser.get(path).get_data(as_text=True), "html.parser")
    assert page.select_one('label[for="new_password"]').get_text(" ", strip=True) == "New password (required)"
    assert browser.get(path).headers["Cache-Control"] == "no-store"
    response = reset(browser, path)
    assert response.status_code == 302 and response.headers["Location"] == "/login"
    assert "Your password has been reset. Log in with your new password." in flash_of(browser)

    assert not is_logged_in(author.client)  # every login ended
    assert log_in(app, PASSWORD)[1] == 401
    assert log_in(app, NEW_PASSWORD)[1] == 302
    spent = browser.get(path)
    assert spent.status_code == 400
    assert "it was used already, or the password was changed since" in spent.get_data(as_text=True)


def run_until_idle_in(app):
    with app.app_context():
        return run_until_idle()


def is_logged_in(client) -> bool:
    return client.get("/admin/").status_code == 200


def test_the_same_answer_whether_or_not_an_account_matches(app, author):
    answers = []
    for number, name in enumerate(["admin", "ADMIN@example.com", "nobody", "nobody@example.com"]):
        client = app.test_client()
        response = ask(app, name, ip=f"192.0.2.{number + 1}", client=client)
        answers.append((response.status_code, response.headers["Location"], flash_of(client)))
    assert len(set(answers)) == 1
    assert answers[0] == (302, "/login", SENT)
    assert len(queued_links(app)) == 2  # admin, and the address in any case


def test_a_link_expires_after_an_hour(app, author, monkeypatch):
    ask(app, "admin")
    (path,) = queued_links(app)
    real = TimestampSigner.get_timestamp
    monkeypatch.setattr(TimestampSigner, "get_timestamp", lambda self: real(self) + 3601)
    before = snapshot(app)
    response = reset(app.test_client(), path)
    assert response.status_code == 400
    assert "This link has expired. Ask for a new one below." in response.get_data(as_text=True)
    assert snapshot(app) == before
    assert log_in(app, PASSWORD)[1] == 302


@pytest.mark.parametrize("damage", ["garbage", "other key", "edited"])
def test_a_damaged_link_is_refused(app, author, damage):
    ask(app, "admin")
    (path,) = queued_links(app)
    token = path.rsplit("/", 1)[1]
    if damage == "garbage":
        token = "not-a-token"
    elif damage == "edited":
        token = token[:-3] + ("aaa" if not token.endswith("aaa") else "bbb")
    else:
        app.secret_key = "another secret key entirely"
    response = reset(app.test_client(), f"/login/reset/{token}")
    assert response.status_code == 400
    assert "This link is not valid." in response.get_data(as_text=True)
    assert log_in(app, PASSWORD)[1] == 302


def test_a_password_changed_on_the_profile_spends_earlier_links(app, author):
    ask(app, "admin")
    (path,) = queued_links(app)
    page = BeautifulSoup(author.client.get("/admin/profile").get_data(as_text=True), "html.parser")
    data = {i["name"]: i.get("value", "") for i in page.select("form.profile-form input[name]")
            if i.get("type") not in ("file", "checkbox", "submit")}
    data.update(current_password=PASSWORD, new_password="changed on the profile")
    assert author.client.post("/admin/profile", data=data).status_code == 302
    response = app.test_client().get(path)
    assert response.status_code == 400 and "no longer valid" in response.get_data(as_text=True)


def test_a_short_new_password_is_refused_and_the_link_still_works(app, author):
    ask(app, "admin")
    (path,) = queued_links(app)
    client = app.test_client()
    response = reset(client, path, "short")
    assert response.status_code == 400
    assert "Use at least 8 characters." in response.get_data(as_text=True)
    assert reset(client, path).status_code == 302
    assert log_in(app, NEW_PASSWORD)[1] == 302


def test_requests_are_limited_per_address(app, author):
    app.config["PASSWORD_RESET_PER_ADDRESS_PER_HOUR"] = 2
    for _ in range(2):
        assert ask(app, "nobody").status_code == 302
    response = ask(app, '<script>alert("x")</script>')
    assert response.status_code == 429
    html = response.get_data(as_text=True)
    assert "Too many password reset requests from your address. Try again after " in html
    assert '<script>alert("x")' not in html and "&lt;script&gt;" in html
    assert ask(app, "admin", ip="192.0.2.99").status_code == 302  # another address is not held back


def test_mail_per_account_is_limited_without_saying_so(app, author):
    app.config["PASSWORD_RESET_PER_ACCOUNT_PER_HOUR"] = 2
    answers = {ask(app, "admin", ip=f"198.51.100.{n}").status_code for n in range(4)}
    assert answers == {302}
    assert len(queued_links(app)) == 2


@pytest.mark.parametrize("form", ["ask", "reset"])
def test_both_forms_refuse_a_missing_csrf_token(app, author, form):
    ask(app, "admin", ip="192.0.2.50")
    (path,) = queued_links(app)
    before = snapshot(app)
    client = app.test_client()
    if form == "ask":
        response = client.post(LOST, data={"name": "admin"})
    else:
        response = client.post(path, data={"new_password": NEW_PASSWORD})
    assert response.status_code == 400
    assert snapshot(app) == before


def test_an_address_change_spends_earlier_links(app, author):
    ask(app, "admin")
    (path,) = queued_links(app)
    with app.app_context():
        user = db.session.execute(db.select(User)).scalar_one()
        user.email = "elsewhere@example.com"
        db.session.commit()
    assert app.test_client().get(path).status_code == 400


def test_one_link_used_five_times_at_once_works_once(app, author, live_server):
    with app.app_context():
        save_settings({"site_url": live_server.url})
    ask(app, "admin")
    with app.app_context():
        message = db.session.execute(db.select(OutgoingMail.message)).scalar_one()
    body = message_from_string(message, policy=default_policy).get_content()
    url = re.search(r"http://127\.0\.0\.1:\d+/login/reset/\S+", body).group(0)
    sessions, forms = [], []
    for _ in range(5):
        session = requests.Session()
        soup = BeautifulSoup(session.get(url).text, "html.parser")
        forms.append(soup.select_one('input[name="csrf_token"]')["value"])
        sessions.append(session)
    barrier = threading.Barrier(5)
    answers: list = [None] * 5

    def use(number: int) -> None:
        barrier.wait()
        answers[number] = sessions[number].post(
            url, data={"csrf_token": forms[number], "new_password": f"{NEW_PASSWORD} {number}"},
            allow_redirects=False, timeout=60)

    threads = [threading.Thread(target=use, args=(n,)) for n in range(5)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(90)
    statuses = sorted(a.status_code for a in answers)
    assert statuses == [302, 400, 400, 400, 400], statuses
    winner = next(n for n, a in enumerate(answers) if a.status_code == 302)
    assert urlsplit(answers[winner].headers["Location"]).path == "/login"
    app.config["LOGIN_MAX_FAILURES"] = 100
    for number in range(5):
        assert log_in(app, f"{NEW_PASSWORD} {number}")[1] == (302 if number == winner else 401)
