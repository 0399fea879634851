"""Fixtures: a fresh app and SQLite database per test, a logged-in author, a live server.
Helpers shared by the tests live in blog_testing.py."""

from __future__ import annotations

import shutil

import pytest
from blog_testing import Author, LiveServer, make_app, run_setup


@pytest.fixture
def app(tmp_path, monkeypatch):
    return make_app(tmp_path, monkeypatch)


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture
def author(app):
    client = app.test_client()
    response = run_setup(client)
    assert response.status_code == 302
    return Author(app, client)


@pytest.fixture
def visitor(app):
    return app.test_client()


@pytest.fixture
def live_server(app):
    """The app served on a free loopback port, recorded as the blog's Site URL (as setup records the
    address of its first request), so links and linkback targets name the live server."""
    from blog.site_settings import save_settings

    with LiveServer(app) as server:
        with app.app_context():
            save_settings({"site_url": server.url})
        yield server


CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


@pytest.fixture
def browser():
    """Debian's Chromium, headless, driven by Playwright (its own browser download is not used)."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        executable = shutil.which("chromium") or "/usr/bin/chromium"
        browser = playwright.chromium.launch(executable_path=executable, headless=True, args=CHROMIUM_ARGS)
        yield browser
        browser.close()
