"""What search engines and link previews read (issue "Feeds and addresses"): /sitemap.xml (split
into an index past SITEMAP_MAX_URLS), /robots.txt, the favicon, and each public page's canonical
link, description, Open Graph and Twitter tags."""

from __future__ import annotations

from datetime import datetime

import pytest
from blog_testing import run_setup
from bs4 import BeautifulSoup
from defusedxml import ElementTree

from blog.site_settings import save_settings

SITEMAP = "{http://www.sitemaps.org/schemas/sitemap/0.9}"


def sitemap_entries(client, path="/sitemap.xml") -> dict[str, str]:
    response = client.get(path)
    assert response.status_code == 200
    assert response.mimetype == "application/xml"
    root = ElementTree.fromstring(response.data)
    assert root.tag == f"{SITEMAP}urlset"
    entries = {}
    for url in root.findall(f"{SITEMAP}url"):
        lastmod = url.findtext(f"{SITEMAP}lastmod") or ""
        if lastmod:
            assert datetime.fromisoformat(lastmod).tzinfo is not None
        entries[url.findtext(f"{SITEMAP}loc")] = lastmod
    return entries


def test_sitemap_lists_home_tags_and_published_posts_with_lastmod(app, author, visitor):
    old = author.publish("Old", "Text", tags="news", publish_date="2024-01-02T10:00")
    author.publish("New", "Text", tags="News, rust", publish_date="2024-02-03T10:00")
    author.save("Draft", action="draft", tags="secret")
    author.publish("Later", publish_date="2099-01-01T10:00")  # scheduled
    author.save("Old", "Edited", post_id=old.id, tags="news", publish_date="2024-01-02T10:00")
    entries = sitemap_entries(visitor)
    assert list(entries) == [
        "http://localhost/", "http://localhost/category/uncategorized/", "http://localhost/tag/news/",
        "http://localhost/tag/rust/", "http://localhost/2024/01/02/old/", "http://localhost/2024/02/03/new/",
    ]
    # When each text last changed (a post written today and dated 2024 was written today).
    new = datetime.fromisoformat(entries["http://localhost/2024/02/03/new/"])
    edited = datetime.fromisoformat(entries["http://localhost/2024/01/02/old/"])
    assert edited >= new > datetime.fromisoformat("2024-02-03T10:00:00+00:00")
    assert entries["http://localhost/tag/rust/"] == new.isoformat()
    assert entries["http://localhost/tag/news/"] == entries["http://localhost/"] == edited.isoformat()


def test_sitemap_of_an_empty_blog_lists_the_home_page(author, visitor):
    assert sitemap_entries(visitor) == {"http://localhost/": ""}


def test_sitemap_uses_the_site_url(app, author, visitor):
    author.publish("Hello", publish_date="2024-01-02T10:00")
    with app.app_context():
        save_settings({"site_url": "https://blog.example"})
    assert "https://blog.example/2024/01/02/hello/" in sitemap_entries(visitor, "/sitemap.xml")


def test_large_sitemap_becomes_an_index_of_files(app, author, visitor):
    app.config["SITEMAP_MAX_URLS"] = 2
    for n in range(1, 4):
        author.publish(f"Post {n}", tags="t" if n == 1 else "", publish_date=f"2024-01-0{n}T10:00")
    response = visitor.get("/sitemap.xml")
    root = ElementTree.fromstring(response.data)
    assert root.tag == f"{SITEMAP}sitemapindex"
    files = [s.findtext(f"{SITEMAP}loc") for s in root.findall(f"{SITEMAP}sitemap")]
    assert files == ["http://localhost/sitemap-1.xml", "http://localhost/sitemap-2.xml",
                     "http://localhost/sitemap-3.xml"]
    pages = [list(sitemap_entries(visitor, f"/sitemap-{n}.xml")) for n in (1, 2, 3)]
    assert pages == [
        ["http://localhost/", "http://localhost/category/uncategorized/"],
        ["http://localhost/tag/t/", "http://localhost/2024/01/01/post-1/"],
        ["http://localhost/2024/01/02/post-2/", "http://localhost/2024/01/03/post-3/"],
    ]
    assert visitor.get("/sitemap-4.xml").status_code == 404
    assert visitor.get("/sitemap-0.xml").status_code == 404


def test_robots_txt_keeps_crawlers_out_of_admin_and_names_the_sitemap(app, author, visitor):
    with app.app_context():
        save_settings({"site_url": "https://blog.example"})
    response = visitor.get("/robots.txt")
    assert response.status_code == 200 and response.mimetype == "text/plain"
    lines = response.get_data(as_text=True).splitlines()
    assert lines[:2] == ["User-agent: *", "Disallow: /admin/"]
    assert "Sitemap: https://blog.example/sitemap.xml" in lines


@pytest.mark.parametrize("set_up", [True, False])
def test_favicon_ico_is_a_real_icon(app, client, set_up):
    if set_up:
        run_setup(app.test_client())
    with client.get("/favicon.ico") as response:
        assert response.status_code == 200
        assert response.mimetype == "image/vnd.microsoft.icon"
        assert response.data[:4] == b"\0\0\1\0"  # ICONDIR: reserved 0, type 1 (icon)


def head_of(client, path):
    response = client.get(path)
    assert response.status_code == 200, path
    return BeautifulSoup(response.get_data(as_text=True), "html.parser").head


def meta(head, key) -> str | None:
    tag = head.find("meta", attrs={"property": key}) or head.find("meta", attrs={"name": key})
    return tag["content"] if tag else None


def test_post_page_head_describes_the_post(app, author, visitor):
    body = "A *first* sentence with <b>markup</b>.\n\n" + " ".join(f"word{n}" for n in range(80))
    post = author.publish("Title <&>", body, tags="news, Python", publish_date="2024-01-02T10:00")
    with app.app_context():
        save_settings({"site_url": "https://blog.example"})
    head = head_of(visitor, author.url_of(post))
    canonical = "https://blog.example/2024/01/02/title/"
    assert [link["href"] for link in head.select('link[rel="canonical"]')] == [canonical]
    description = meta(head, "description")
    assert description.startswith("A first sentence with markup. word0 word1")
    # The stored excerpt: the first 55 words, as WordPress (Settings -> Reading, tests/test_reading.py).
    assert description.endswith("word49 […]") and len(description.split()) == 56
    assert meta(head, "og:type") == "article"
    assert meta(head, "og:title") == meta(head, "twitter:title") == "Title <&>"
    assert meta(head, "og:url") == canonical
    assert meta(head, "og:description") == meta(head, "twitter:description") == description
    assert meta(head, "og:site_name") == "Test Blog"
    assert meta(head, "twitter:card") == "summary"
    assert meta(head, "article:published_time") == "2024-01-02T10:00:00+00:00"
    assert sorted(t["content"] for t in head.select('meta[property="article:tag"]')) == ["Python", "news"]
    feeds = {link["href"] for link in head.select('link[rel="alternate"]')}
    assert feeds == {"/feed/", "/feed/rss2/", "/comments/feed/", "/2024/01/02/title/feed/"}


@pytest.mark.parametrize(("path", "canonical"), [
    ("/", "https://blog.example/"),
    ("/page/2/", "https://blog.example/page/2/"),
    ("/tag/news/", "https://blog.example/tag/news/"),
    ("/2024/01/", "https://blog.example/2024/01/"),
    ("/archives/", "https://blog.example/archives/"),
    ("/?utm_source=x", "https://blog.example/"),
])
def test_listing_pages_have_canonical_description_and_card(app, author, visitor, path, canonical):
    with app.app_context():
        save_settings({"site_url": "https://blog.example", "posts_per_page": 1, "tagline": "Notes & things"})
    author.publish("One", tags="news", publish_date="2024-01-02T10:00")
    author.publish("Two", tags="news", publish_date="2024-01-03T10:00")
    head = head_of(visitor, path)
    assert [link["href"] for link in head.select('link[rel="canonical"]')] == [canonical]
    assert meta(head, "og:url") == canonical and meta(head, "og:type") == "website"
    expected = "Posts tagged “news” on Test Blog." if path.startswith("/tag/") else "Notes & things"
    assert meta(head, "description") == expected
    assert head.select_one('link[rel="icon"][type="image/svg+xml"]')["href"].startswith("/static/favicon.svg?v=")


def test_admin_and_login_pages_have_no_canonical_link(author, visitor):
    assert head_of(visitor, "/login").select('link[rel="canonical"]') == []
    assert head_of(author.client, "/admin/posts").select('link[rel="canonical"]') == []
