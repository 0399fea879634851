"""Every page of the catalog (page_catalog.py), public and admin, loaded in Chromium and checked with
axe-core: not one violation. Also at a phone's width, where the layout changes."""

from __future__ import annotations

import pytest
from blog_testing import PASSWORD, LiveServer, make_app
from markup_checkers import axe_violations
from page_catalog import fill_blog
from playwright.sync_api import expect

PHONE = {"width": 390, "height": 844}
DESKTOP = {"width": 1280, "height": 900}


@pytest.fixture
def served_blog(tmp_path, monkeypatch):
    app = make_app(tmp_path / "blog", monkeypatch)
    clients = {who: app.test_client() for who in ("reader", "owner", "commenter")}
    blog = fill_blog(app, clients["owner"], clients["commenter"])
    with LiveServer(app) as server:
        yield server, blog, clients


def _context(browser, server, who, client, viewport):
    """A browser context for the reader, the owner (signed in through the login form) or the
    commenter (holding the session that remembers their comment awaiting moderation)."""
    context = browser.new_context(viewport=viewport)
    if who == "owner":
        page = context.new_page()
        page.goto(server.url + "/login")
        page.get_by_label("Username").fill("alice")
        page.get_by_label("Password").fill(PASSWORD)
        page.get_by_role("button", name="Log in").click()
        expect(page).not_to_have_url(server.url + "/login")
        page.close()
    elif who == "commenter":
        name = server.app.config["SESSION_COOKIE_NAME"]
        context.add_cookies([{"name": name, "value": client.get_cookie(name).value, "url": server.url}])
    return context


def _check(page, url: str, found: dict[str, list[str]], name: str) -> None:
    response = page.goto(url)
    assert response is not None and response.status in (200, 202, 404, 410), f"{name}: {response and response.status}"
    assert page.url == url, f"{name}: sent to {page.url}"
    violations = axe_violations(page)
    if violations:
        found[name] = violations


@pytest.mark.parametrize("viewport", [DESKTOP, PHONE], ids=["desktop", "phone"])
def test_every_page_has_no_axe_violations(browser, served_blog, viewport):
    server, blog, clients = served_blog
    contexts = {who: _context(browser, server, who, client, viewport) for who, client in clients.items()}
    pages = {who: context.new_page() for who, context in contexts.items()}
    found: dict[str, list[str]] = {}
    for entry in blog.pages:
        _check(pages[entry.who], server.url + entry.path, found, f"{entry.name} ({entry.path})")

    # Pages that are answers to forms: a wrong password, the editor's preview.
    login = browser.new_context(viewport=viewport).new_page()
    login.goto(server.url + "/login")
    login.get_by_label("Username").fill("alice")
    login.get_by_label("Password").fill(PASSWORD + "x")
    login.get_by_role("button", name="Log in").click()
    expect(login.locator(".flash, .error").first).to_be_visible()
    if violations := axe_violations(login):
        found["login, wrong password"] = violations
    editor = pages["owner"]
    editor.goto(server.url + "/admin/posts/new")
    editor.get_by_label("Title").fill("Previewed")
    editor.get_by_label("Content").fill("Links to [a page](https://example.org/) and **bold**.")
    editor.get_by_role("button", name="Preview").click()
    expect(editor.locator(".preview strong")).to_have_text("bold")
    if violations := axe_violations(editor):
        found["editor, preview"] = violations

    report = "\n".join(f"{name}:\n  " + "\n  ".join(lines) for name, lines in found.items())
    assert not found, f"axe-core violations on {len(found)} pages:\n{report}"


def test_setup_page_has_no_axe_violations(browser, tmp_path, monkeypatch):
    app = make_app(tmp_path / "fresh", monkeypatch)
    with LiveServer(app) as server:
        page = browser.new_context(viewport=PHONE).new_page()
        page.goto(server.url + "/setup")
        assert axe_violations(page) == []
        page.get_by_label("Password").fill("short")
        page.get_by_role("button", name="Install").click()  # the browser's own checks stop it: nothing is lost
        page.evaluate("document.querySelector('form').noValidate = true")
        page.get_by_role("button", name="Install").click()
        expect(page.locator(".error").first).to_be_visible()
        assert axe_violations(page) == []


def test_axe_finds_violations(browser, tmp_path):
    """The check itself works: an image without text and an unlabelled field are reported."""
    page = browser.new_page()
    page.set_content("<!doctype html><html lang=en><title>t</title><main><img src=x.png><input></main></html>")
    found = axe_violations(page)
    assert any(line.startswith("image-alt") for line in found), found
    assert any(line.startswith("label") for line in found), found
