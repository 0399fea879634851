"""First-run setup, logging in and out, the failed-login throttle, and the `next` redirect."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from urllib.parse import urlsplit

import pytest
from blog_testing import PASSWORD, csrf_token, run_setup, snapshot
from bs4 import BeautifulSoup

from blog.auth import SetupAlreadyDone, clear_login_failures, create_administrator, login_refused_until
from blog.extensions import db
from blog.models import User, utcnow
from blog.site_settings import get_setting

T0 = datetime(2024, 5, 1, 12, 0, tzinfo=UTC)


def users(app) -> list[tuple[str, str]]:
    with app.app_context():
        return [(u.username, u.email) for u in db.session.execute(db.select(User)).scalars()]


def log_in(client, username="admin", password=PASSWORD, next_url=None, **kwargs):
    path = "/login" if next_url is None else f"/login?next={next_url}"
    data = {"csrf_token": csrf_token(client, "/login"), "username": username, "password": password}
    return client.post(path, data=data, **kwargs)


def is_logged_in(client) -> bool:
    return client.get("/admin/posts").status_code == 200


def path_of(response) -> str:
    return urlsplit(response.headers["Location"]).path


# --- first-run setup ---------------------------------------------------------------------------


@pytest.mark.parametrize("path", ["/", "/admin/posts", "/admin/settings/general", "/login", "/feed/", "/nope"])
def test_every_page_leads_to_setup_while_no_user_exists(client, path):
    response = client.get(path)
    assert response.status_code == 302
    assert path_of(response) == "/setup"


def test_setup_page_asks_for_blog_title_and_administrator(client):
    html = client.get("/setup").get_data(as_text=True)
    for label in ("Blog title", "Username", "Password", "Email"):
        assert f">{label}</label>" in html
    assert 'value="Install"' in html


def test_setup_creates_administrator_with_hashed_password_and_signs_in(app, client):
    response = run_setup(client, blog_title="Notes from the Shed", username="ada")
    assert response.status_code == 302
    assert path_of(response) == "/admin/posts/new"
    assert is_logged_in(client)
    assert users(app) == [("ada", "admin@example.com")]
    with app.app_context():
        user = db.session.execute(db.select(User)).scalar_one()
        assert user.password_hash != PASSWORD and user.check_password(PASSWORD)
        assert get_setting("blog_title") == "Notes from the Shed"
        db.session.remove()
    stored = [value for rows in snapshot(app).values() for row in rows for value in row]
    assert not [value for value in stored if PASSWORD in str(value)]  # no column of any row holds it


@pytest.mark.sqlite_only("reads the database file and its WAL from disk")
def test_setup_leaves_no_password_in_the_sqlite_files(app, client, tmp_path):
    assert run_setup(client).status_code == 302
    stored = b"".join(p.read_bytes() for p in tmp_path.glob("blog.sqlite*"))
    assert stored and PASSWORD.encode() not in stored


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("password", "short", "at least 8 characters"),
        ("email", "not-an-email", "Invalid email address"),
        ("username", "has space", "letters, digits"),
        ("blog_title", "   ", "This field is required"),
    ],
)
def test_setup_with_bad_field_creates_nobody_and_keeps_typed_values(app, client, field, value, message):
    response = run_setup(client, **{"blog_title": "My Typed Title", "username": "ada", field: value})
    html = response.get_data(as_text=True)
    assert response.status_code == 400
    assert message in html
    assert users(app) == []
    if field != "blog_title":
        assert 'value="My Typed Title"' in html
    assert client.get("/").status_code == 302  # still leads to setup


def test_setup_refuses_everything_once_done(app, author):
    intruder = app.test_client()
    assert path_of(intruder.get("/setup")) == "/login"
    data = {"blog_title": "Taken Over", "username": "mallory", "password": "mallory123", "email": "m@example.com"}
    response = intruder.post("/setup", data={**data, "csrf_token": csrf_token(intruder, "/login")})
    assert response.status_code == 403
    assert users(app) == [("admin", "admin@example.com")]
    with app.app_context():
        assert get_setting("blog_title") == "Test Blog"
    assert not is_logged_in(intruder)


def test_create_administrator_refuses_a_second_one(app, author):
    with app.app_context():
        with pytest.raises(SetupAlreadyDone):
            create_administrator("Other Blog", "mallory", "mallory123", "m@example.com")
    assert users(app) == [("admin", "admin@example.com")]


# --- logging in and out ------------------------------------------------------------------------


def test_login_page_asks_for_username_and_password(app, author):
    html = app.test_client().get("/login").get_data(as_text=True)
    assert ">Username</label>" in html and ">Password</label>" in html
    assert 'value="Log in"' in html


def test_login_with_right_password_opens_the_admin(app, author):
    client = app.test_client()
    response = log_in(client)
    assert path_of(response) == "/admin/"
    assert is_logged_in(client)


@pytest.mark.parametrize(("username", "password"), [("admin", "wrong password"), ("nobody", PASSWORD)])
def test_login_with_wrong_credentials_is_refused(app, author, username, password):
    client = app.test_client()
    response = log_in(client, username, password)
    assert response.status_code == 401
    assert "Unknown username or wrong password." in response.get_data(as_text=True)
    assert not is_logged_in(client)


def test_login_returns_to_the_admin_page_that_asked_for_it(app, author):
    client = app.test_client()
    response = client.get("/admin/settings/general")
    login_url = urlsplit(response.headers["Location"])
    assert login_url.path == "/login"
    data = {"csrf_token": csrf_token(client), "username": "admin", "password": PASSWORD}
    response = client.post(f"/login?{login_url.query}", data=data)
    assert path_of(response) == "/admin/settings/general"


@pytest.mark.parametrize(
    "target",
    [
        "https://evil.example/",
        "//evil.example/",
        "/\\evil.example/",
        "/%09/evil.example/",
        "/%0d%0a/evil.example/",
        "/admin/posts%0d%0aSet-Cookie:%20stolen=1",
        "/admin/posts%00",
        "%2F%2Fevil.example/",
        "javascript:alert(1)",
        "http:/evil.example/",
    ],
)
def test_login_never_redirects_off_site(app, author, target):
    response = log_in(app.test_client(), next_url=target)
    assert response.status_code == 302
    assert response.headers["Location"] == "/admin/"


def test_logout_by_post_signs_out(author):
    response = author.client.post("/logout", data={"csrf_token": author.token()})
    assert response.status_code == 302
    assert not is_logged_in(author.client)


def test_logout_when_already_logged_out_goes_home(app, author):
    client = app.test_client()
    response = client.post("/logout", data={"csrf_token": csrf_token(client, "/login")})
    assert response.status_code == 302 and path_of(response) == "/"


def test_logout_by_get_asks_and_logs_out_only_by_its_form(app, author):
    """A link to /logout (from anywhere, even another site) logs nobody out: it shows a page asking, whose form
    does it, with its CSRF token."""
    page = author.client.get("/logout")
    assert page.status_code == 200 and page.headers["Cache-Control"] == "no-store"
    assert is_logged_in(author.client)
    form = BeautifulSoup(page.get_data(as_text=True), "html.parser").select_one("main form")
    assert form["method"] == "post" and form["action"] == "/logout"
    assert author.client.post("/logout", data={"csrf_token": "forged"}).status_code == 400
    assert is_logged_in(author.client)
    token = form.select_one('input[name="csrf_token"]')["value"]
    assert author.client.post("/logout", data={"csrf_token": token}).status_code == 302
    assert not is_logged_in(author.client)
    assert path_of(app.test_client().get("/logout")) == "/"  # nobody to log out: home


# --- the failed-login throttle -----------------------------------------------------------------


@pytest.fixture
def strict(app):
    app.config.update(LOGIN_MAX_FAILURES=3, LOGIN_WINDOW_SECONDS=600)
    return app


def test_repeated_failures_lock_the_address_out_even_with_the_right_password(strict, author):
    client = strict.test_client()
    for _ in range(3):
        assert log_in(client, password="guess").status_code == 401
    response = log_in(client)
    assert response.status_code == 429
    assert "Too many failed login attempts" in response.get_data(as_text=True)
    assert not is_logged_in(client)


def test_lockout_applies_only_to_the_failing_address(strict, author):
    for _ in range(3):
        log_in(strict.test_client(), password="guess")
    other = strict.test_client()
    response = log_in(other, environ_base={"REMOTE_ADDR": "192.0.2.7"})
    assert response.status_code == 302
    assert is_logged_in(other)


def test_attempts_older_than_the_window_no_longer_count(strict, author):
    with strict.app_context():
        for _ in range(4):
            login_refused_until("127.0.0.1", now=utcnow() - timedelta(seconds=601))
    client = strict.test_client()
    assert log_in(client).status_code == 302


def test_successful_login_forgets_earlier_failures(strict, author):
    client = strict.test_client()
    for _ in range(2):
        log_in(client, password="guess")
    assert log_in(client).status_code == 302
    client = strict.test_client()
    for _ in range(2):
        log_in(client, password="guess")
    assert log_in(client).status_code == 302


def test_every_attempt_is_counted_before_its_password_is_checked(strict):
    """Counting first is what makes the limit hold for parallel guesses: the first three attempts
    may be checked, the fourth is refused whatever its password."""
    with strict.app_context():
        assert [login_refused_until("10.0.0.1", now=T0) for _ in range(3)] == [None, None, None]
        assert login_refused_until("10.0.0.1", now=T0) == T0 + timedelta(minutes=10)


def test_lock_lifts_when_the_window_begun_by_the_first_attempt_ends(strict):
    """A fixed window: it starts with the first attempt, and the reported time is when it ends."""
    with strict.app_context():
        for minute in range(3):
            assert login_refused_until("10.0.0.1", now=T0 + timedelta(minutes=minute)) is None
        until = login_refused_until("10.0.0.1", now=T0 + timedelta(minutes=3))
        assert until == T0 + timedelta(minutes=10)
        assert login_refused_until("10.0.0.1", now=until - timedelta(seconds=1)) == until
        assert login_refused_until("10.0.0.1", now=until) is None  # a new window, this its first attempt
        assert login_refused_until("10.0.0.2", now=T0 + timedelta(minutes=3)) is None


def test_refused_attempts_do_not_extend_the_lock(strict):
    with strict.app_context():
        for minute in range(9):
            login_refused_until("10.0.0.1", now=T0 + timedelta(minutes=minute))
        assert login_refused_until("10.0.0.1", now=T0 + timedelta(minutes=9, seconds=59)) == T0 + timedelta(minutes=10)
        assert login_refused_until("10.0.0.1", now=T0 + timedelta(minutes=10)) is None


def test_clearing_an_address_lifts_its_lock_at_once(strict):
    with strict.app_context():
        for _ in range(4):
            login_refused_until("10.0.0.1", now=T0)
        assert login_refused_until("10.0.0.1", now=T0) is not None
        clear_login_failures("10.0.0.1")
        assert login_refused_until("10.0.0.1", now=T0) is None


def test_login_form_without_its_csrf_token_is_not_counted(strict, author):
    """Only attempts whose password would be checked count, so a broken form cannot lock anyone out."""
    client = strict.test_client()
    for _ in range(5):
        assert client.post("/login", data={"username": "admin", "password": "guess"}).status_code == 400
    assert log_in(client).status_code == 302


def test_setup_racing_another_setup_creates_no_second_administrator(app):
    """Two setups can both pass the "no user yet" check; the install marker lets only one win.
    Here the other racer has just written its marker (its user is not committed yet)."""
    from blog.auth import INSTALLED_KEY, SetupAlreadyDone, create_administrator
    from blog.models import Setting

    with app.app_context():
        db.session.add(Setting(key=INSTALLED_KEY, value='"2026-01-01T00:00:00+00:00"'))
        db.session.commit()
        with pytest.raises(SetupAlreadyDone):
            create_administrator("Blog", "second", "password123", "s@example.com")
        assert db.session.execute(db.select(User)).scalars().all() == []
