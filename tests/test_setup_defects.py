"""First-run setup as a new user met it (issue "Finished surfaces: valid, accessible pages, and the
defects a new user hit"): the email address refused, the password wiped after an error."""

from __future__ import annotations

import pytest
from blog_testing import PASSWORD, run_setup
from bs4 import BeautifulSoup

from blog.extensions import db
from blog.models import User


def users(app) -> list[tuple[str, str]]:
    with app.app_context():
        found = [(u.username, u.email) for u in db.session.execute(db.select(User)).scalars()]
        db.session.remove()
        return found


@pytest.mark.parametrize(
    "email", ["alice@example.test", "alice@blog.example", "alice@blog.localhost", "alice@home.local", "a@localhost"]
)
def test_setup_accepts_a_well_formed_address_on_a_special_use_domain(app, client, email):
    """Issue "Finished surfaces…", defect 12: setup refused alice@example.test with only "Invalid
    email address."."""
    response = run_setup(client, username="alice", email=email)
    assert response.status_code == 302, BeautifulSoup(response.get_data(as_text=True), "html.parser").select(".error")
    assert users(app) == [("alice", email)]


@pytest.mark.parametrize("email", ["alice", "alice@", "alice@@example.test", "al ice@example.test", "alice@.local"])
def test_setup_still_refuses_an_address_that_is_not_one(app, client, email):
    """Issue "Finished surfaces…", defect 12: accepting special-use domains accepts no malformed address."""
    response = run_setup(client, email=email)
    assert response.status_code == 400
    assert "Invalid email address." in response.get_data(as_text=True)
    assert users(app) == []


def test_setup_keeps_the_typed_password_after_an_error(app, client):
    """Issue "Finished surfaces…", defect 12: every error wiped the password field."""
    response = run_setup(client, email="not-an-email")
    assert response.status_code == 400
    page = BeautifulSoup(response.get_data(as_text=True), "html.parser")
    assert page.select_one("input#password")["value"] == PASSWORD
    assert "no-store" in response.headers.get("Cache-Control", "")  # a page holding a password is never cached
