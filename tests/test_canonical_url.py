"""One canonical address (issue "Linkbacks never cost readers anything"): setup records the site URL
from its own request, an older blog records it on its administrator's first request, and from then
on a request's Host header changes no link, feed id, X-Pingback, webmention endpoint or trackback URL."""

from __future__ import annotations

import xml.etree.ElementTree as ET

import pytest
from blog_testing import CSRF_RE, PASSWORD, run_setup
from bs4 import BeautifulSoup

from blog.extensions import db
from blog.site_settings import get_setting, save_settings

ATOM = "{http://www.w3.org/2005/Atom}"
EVIL = {"Host": "evil.example"}


def site_url(app) -> str:
    with app.app_context():
        return get_setting("site_url")


def form_token(client, path: str, base_url: str) -> str:
    match = CSRF_RE.search(client.get(path, base_url=base_url).get_data(as_text=True))
    assert match, f"no CSRF token on {path}"
    return match.group(1)


def post_form(client, path: str, base_url: str, **data):
    """Send the form as a browser at base_url would (over https, Flask-WTF wants a same-site Referer)."""
    data["csrf_token"] = form_token(client, path, base_url)
    return client.post(path, data=data, base_url=base_url, headers={"Referer": base_url.rstrip("/") + path})


def setup_at(client, base_url: str):
    return post_form(client, "/setup", base_url, blog_title="Test Blog", username="admin", password=PASSWORD,
                     email="admin@example.com")


def log_in_at(client, base_url: str):
    response = post_form(client, "/login", base_url, username="admin", password=PASSWORD)
    assert response.status_code == 302, response.get_data(as_text=True)
    return response


def feed_urls(response) -> list[str]:
    """Every id that is a URL, link href and generator uri in the Atom document. Entry ids are tag:
    URIs minted under the host the blog had then (tests/test_feed_formats.py), never a request's."""
    root = ET.fromstring(response.data)
    ids = [el.text for el in root.iter(f"{ATOM}id")]
    assert all(i.startswith("tag:localhost,") for i in ids if not i.startswith("http")), ids
    urls = [i for i in ids if i.startswith("http")]
    urls += [el.get("href") for el in root.iter(f"{ATOM}link")]
    urls += [el.get("uri") for el in root.iter(f"{ATOM}generator")]
    return urls


# Setup records the address


def test_setup_records_the_site_url_from_its_request(app, client):
    assert setup_at(client, "https://blog.example.org/").status_code == 302
    assert site_url(app) == "https://blog.example.org"


def test_setup_records_the_port_and_no_trailing_slash(app, client):
    assert setup_at(client, "http://127.0.0.1:8080/").status_code == 302
    assert site_url(app) == "http://127.0.0.1:8080"


def test_setup_through_the_test_client_records_localhost(app, author):
    assert site_url(app) == "http://localhost"


def test_setup_keeps_a_site_url_already_set(app, client):
    with app.app_context():
        save_settings({"site_url": "https://chosen.example"})
    assert run_setup(client).status_code == 302
    assert site_url(app) == "https://chosen.example"


# After setup the Host header changes nothing


@pytest.fixture
def post(author):
    return author.publish("Canonical", "Text.", tags="news", publish_date="2024-07-04T12:00")


def test_feed_ids_and_links_ignore_the_host_header(author, post, visitor):
    for path in ("/feed/", "/tag/news/feed/"):
        response = visitor.get(path, headers=EVIL)
        assert response.status_code == 200
        urls = feed_urls(response)
        assert "http://localhost/2024/07/04/canonical/" in urls
        assert all(url.startswith("http://localhost/") for url in urls), urls
        assert b"evil.example" not in response.data


def test_post_page_advertises_the_recorded_address_whatever_the_host(author, post, visitor):
    response = visitor.get(author.url_of(post), headers=EVIL)
    assert response.status_code == 200
    assert response.headers["X-Pingback"] == "http://localhost/xmlrpc"
    assert response.headers["Link"] == '<http://localhost/webmention>; rel="webmention"'
    soup = BeautifulSoup(response.get_data(as_text=True), "html.parser")
    assert soup.select_one('link[rel="pingback"]')["href"] == "http://localhost/xmlrpc"
    assert soup.select_one('link[rel="webmention"]')["href"] == "http://localhost/webmention"
    assert soup.select_one('link[rel="canonical"]')["href"] == "http://localhost/2024/07/04/canonical/"
    assert soup.select_one("#trackback-url").get_text() == "http://localhost/2024/07/04/canonical/trackback/"
    assert 'trackback:ping="http://localhost/2024/07/04/canonical/trackback/"' in response.get_data(as_text=True)
    assert "evil.example" not in response.get_data(as_text=True)
    assert not any("evil.example" in value for _, value in response.headers.items())


def test_every_public_page_ignores_the_host_header(author, post, visitor):
    for path in ("/", "/archives/", "/tag/news/", "/2024/07/", "/no/such/page/"):
        response = visitor.get(path, headers=EVIL)
        assert "evil.example" not in response.get_data(as_text=True), path
        assert not any("evil.example" in value for _, value in response.headers.items()), path
        if response.status_code == 200:
            assert response.headers["X-Pingback"] == "http://localhost/xmlrpc", path


def test_base_url_on_another_host_changes_no_link(author, post, visitor):
    response = visitor.get(author.url_of(post), base_url="https://evil.example/")
    assert response.headers["X-Pingback"] == "http://localhost/xmlrpc"
    assert "evil.example" not in response.get_data(as_text=True)


def test_a_visitor_never_records_the_site_url(app, visitor):
    """Before anyone logged in on a blog without a site URL, a visitor's Host is not kept."""
    with app.app_context():
        from blog.auth import create_administrator

        create_administrator("Test Blog", "admin", PASSWORD, "admin@example.com")
    assert visitor.get("/", headers=EVIL).status_code == 200
    assert visitor.get("/feed/", headers=EVIL).status_code == 200
    assert site_url(app) == ""


# A blog without a site URL records it from its administrator


def test_create_admin_command_leaves_the_site_url_to_the_first_admin_request(app):
    runner = app.test_cli_runner()
    result = runner.invoke(args=["create-admin", "--blog-title", "CLI Blog", "--username", "admin",
                                 "--email", "admin@example.com", "--password", PASSWORD])
    assert result.exit_code == 0, result.output
    assert site_url(app) == ""
    visitor = app.test_client()
    visitor.get("/", headers=EVIL)
    assert site_url(app) == ""  # an anonymous request decides nothing
    admin = app.test_client()
    log_in_at(admin, "https://blog.example.org/")
    assert site_url(app) == ""  # the login POST itself is not yet logged in
    admin.get("/admin/posts", base_url="https://blog.example.org/")
    assert site_url(app) == "https://blog.example.org"
    feed = visitor.get("/feed/", headers=EVIL)
    assert all(url.startswith("https://blog.example.org/") for url in feed_urls(feed))
    page = visitor.get("/", headers=EVIL)
    assert page.headers["X-Pingback"] == "https://blog.example.org/xmlrpc"


def test_an_older_blog_records_its_site_url_on_the_administrators_first_request(app, author):
    """A blog set up before setup recorded the address: the row holds "" (or is missing)."""
    with app.app_context():
        save_settings({"site_url": ""})
    admin = app.test_client()
    log_in_at(admin, "http://blog.example.org:8000/")
    admin.get("/", base_url="http://blog.example.org:8000/")  # any page, public ones too
    assert site_url(app) == "http://blog.example.org:8000"
    log_in_at(admin, "http://evil.example/")
    admin.get("/admin/posts", base_url="http://evil.example/")
    assert site_url(app) == "http://blog.example.org:8000"  # recorded once, never replaced


def test_record_site_url_keeps_a_value_already_set(app):
    from blog.auth import record_site_url
    from blog.models import Setting

    with app.app_context():
        record_site_url("https://first.example/")
        assert get_setting("site_url") == "https://first.example"
        record_site_url("https://second.example/")
        assert get_setting("site_url") == "https://first.example"
        db.session.execute(db.delete(Setting).where(Setting.key == "site_url"))
        db.session.commit()
        record_site_url("https://third.example")
        assert get_setting("site_url") == "https://third.example"


# Settings -> General still decides


def test_settings_general_changes_the_site_url(app, author, post, visitor):
    data = {"blog_title": "Test Blog", "tagline": "", "site_url": "https://new.example/", "posts_per_page": "10",
            "timezone": "UTC", "csrf_token": form_token(author.client, "/admin/settings/general", "http://localhost/")}
    assert author.client.post("/admin/settings/general", data=data).status_code == 302
    assert site_url(app) == "https://new.example"
    response = visitor.get(author.url_of(post), headers=EVIL)
    assert response.headers["X-Pingback"] == "https://new.example/xmlrpc"
    assert all(url.startswith("https://new.example/") for url in feed_urls(visitor.get("/feed/", headers=EVIL)))


def test_emptied_site_url_is_recorded_again_from_the_administrators_next_request(app, author):
    data = {"blog_title": "Test Blog", "tagline": "", "site_url": "", "posts_per_page": "10", "timezone": "UTC",
            "csrf_token": form_token(author.client, "/admin/settings/general", "http://localhost/")}
    response = author.client.post("/admin/settings/general", data=data, base_url="http://localhost/")
    assert response.status_code == 302
    author.client.get(response.headers["Location"])
    assert site_url(app) == "http://localhost"
