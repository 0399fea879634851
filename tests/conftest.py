"""Fixtures: a fresh app and database per test (a SQLite file, or a PostgreSQL schema when
BLOG_TEST_DATABASE_URL names a server), a logged-in author, a live server.
Helpers shared by the tests live in blog_testing.py."""

from __future__ import annotations

import shutil

import blog_testing
import pytest
from blog_testing import Author, LiveServer, make_app, run_setup
from sqlalchemy.engine import make_url


def pytest_report_header(config):
    if blog_testing.ON_POSTGRESQL:
        url = make_url(blog_testing.TEST_DATABASE_URL).render_as_string()  # password hidden
        return f"database: PostgreSQL, a schema per test in {url}"
    return "database: SQLite, a file per test (BLOG_TEST_DATABASE_URL=postgresql+psycopg://... for PostgreSQL)"


def pytest_runtest_setup(item):
    marker = item.get_closest_marker("sqlite_only")
    if marker and blog_testing.ON_POSTGRESQL:
        pytest.skip(f"SQLite only: {marker.args[0] if marker.args else 'about SQLite itself'}")


def pytest_sessionfinish(session):
    if blog_testing.ON_POSTGRESQL:
        blog_testing.drop_all_schemas()


@pytest.fixture(autouse=True)
def _drop_test_schemas():
    """On PostgreSQL, the schemas a test made are dropped after it (module-scoped fixtures made theirs
    before this mark, so they last until the session ends)."""
    mark = blog_testing.schemas_made()
    yield
    blog_testing.drop_schemas_since(mark)


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
