"""Every page, public and admin, in every state the catalog knows (page_catalog.py), is valid HTML
by the Nu HTML Checker: not one error."""

from __future__ import annotations

import pytest
from blog_testing import make_app
from page_catalog import fill_blog, form_pages, setup_pages

AS_WHOM = {"reader", "owner", "commenter"}


@pytest.fixture
def documents(tmp_path, monkeypatch) -> dict[str, str]:
    app = make_app(tmp_path / "blog", monkeypatch)
    clients = {who: app.test_client() for who in AS_WHOM}
    blog = fill_blog(app, clients["owner"], clients["commenter"])
    pages = {}
    for page in blog.pages:
        response = clients[page.who].get(page.path)
        assert response.status_code in (200, 202, 404, 410), f"{page.name}: {response.status_code}"
        assert response.mimetype == "text/html", page.name
        pages[f"{page.name} ({page.path})"] = response.get_data(as_text=True)
    pages.update(form_pages(app, blog, clients["owner"], clients["reader"]))
    pages.update(setup_pages(lambda: make_app(tmp_path / "fresh", monkeypatch)))
    return pages


def test_every_page_is_valid_html(documents, tmp_path):
    from markup_checkers import vnu_errors

    folder = tmp_path / "pages"
    folder.mkdir()
    errors = vnu_errors(documents, folder)
    assert not errors, f"{len(errors)} errors in {len(documents)} pages:\n" + "\n".join(errors)


def test_the_checker_finds_errors(tmp_path):
    """The check itself works: the mistakes the pages once had are reported."""
    from markup_checkers import vnu_errors

    folder = tmp_path / "pages"
    folder.mkdir()
    bad = ("<!doctype html><html lang=en><title>x</title><time datetime='2026-12-02T15:10:47.326061+00:00'>"
           "now</time><input type=number size=3 aria-label=n><select required aria-label=s><option value=a>a"
           "</option></select>")
    errors = vnu_errors({"bad": bad}, folder)
    assert len(errors) == 3, errors
