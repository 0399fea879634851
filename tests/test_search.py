"""Search (issue 14 "Reading and being found"): /search/?q= and WordPress's /?s= find published posts
by title and text with the database's own full-text engine (SQLite FTS5, PostgreSQL tsvector), best
match first, matches marked in escaped text, in pages; the index follows every edit, unpublish and
delete; whatever is typed gets results or a plain message; searches run in parallel with edits."""

from __future__ import annotations

import threading
from datetime import timedelta

import pytest
import requests
from bs4 import BeautifulSoup

from blog.extensions import db
from blog.jobs import run_due_jobs
from blog.models import Post, utcnow
from blog.search import parse_query, search_posts
from blog.site_settings import save_settings


def results_page(client, query, **params):
    response = client.get("/search/", query_string={"q": query, **params})
    assert response.status_code == 200, response.status_code
    return BeautifulSoup(response.get_data(as_text=True), "html.parser")


def found_titles(client, query, **params) -> list[str]:
    page = results_page(client, query, **params)
    return [h.get_text() for h in page.select(".search-result .post-title")]


def test_finds_published_posts_by_title_and_text(author, visitor):
    author.publish("Walking in the Alps", "Snow and rock.")
    author.publish("Bread", "I baked sourdough with alpine flour.")
    author.publish("Unrelated", "Nothing here.")
    assert found_titles(visitor, "alps") == ["Walking in the Alps"]
    assert found_titles(visitor, "sourdough") == ["Bread"]
    assert found_titles(visitor, "SOURDOUGH flour") == ["Bread"]  # every word, any case
    assert found_titles(visitor, "sourdough snow") == []
    assert set(found_titles(visitor, "sourdough or snow")) == {"Bread", "Walking in the Alps"}
    assert found_titles(visitor, "baking") == ["Bread"]  # stemmed: baked, baking
    assert found_titles(visitor, "snow -rock") == []
    assert found_titles(visitor, '"rock snow"') == []  # a phrase is words in that order
    assert found_titles(visitor, '"snow and rock"') == ["Walking in the Alps"]


def test_drafts_scheduled_and_future_posts_are_never_found(app, author, visitor):
    author.publish("Public kiwi", "kiwi")
    author.save("Draft kiwi", "kiwi", action="draft")
    author.publish("Scheduled kiwi", "kiwi", publish_date=(utcnow() + timedelta(days=2)).strftime("%Y-%m-%dT%H:%M"))
    assert found_titles(visitor, "kiwi") == ["Public kiwi"]
    with app.app_context():
        assert run_due_jobs(now=utcnow() + timedelta(days=3))["published"] == 1
    assert set(found_titles(visitor, "kiwi")) == {"Public kiwi", "Scheduled kiwi"}


def test_title_matches_rank_first_then_newest(author, visitor):
    author.publish("A note", "Once I mentioned a heron in passing, among other birds.", publish_date="2024-03-01T10:00")
    author.publish("Heron", "A bird I watched.", publish_date="2024-01-01T10:00")
    author.publish("Another note", "A heron, briefly.", publish_date="2024-02-01T10:00")
    titles = found_titles(visitor, "heron")
    assert titles[0] == "Heron"
    assert set(titles) == {"Heron", "A note", "Another note"}


def test_matches_are_marked_in_escaped_text(author, visitor):
    body = "Never paste `<script>alert('owl')</script>` into a page. An owl & a <b>bold</b> owl."
    post = author.publish("Owls <em>& friends</em>", body)
    page = results_page(visitor, "owl")
    result = page.select_one(".search-result")
    html = str(result)
    assert "<script>" not in html and "&lt;script&gt;" in html
    assert "<em>" not in html and "&lt;em&gt;" in html
    assert [m.get_text() for m in result.select(".post-title mark")] == ["Owls"]
    excerpt = result.select_one(".search-excerpt")
    assert {m.get_text().lower() for m in excerpt.select("mark")} == {"owl"}
    assert "&amp;" in str(excerpt) and not excerpt.select("b")
    assert result.select_one(".post-title a")["href"] == f"/{post.published_at:%Y/%m/%d}/{post.slug}/"


def test_results_come_in_pages(app, author, visitor):
    with app.app_context():
        save_settings({"posts_per_page": 5})
    for n in range(12):
        author.publish(f"Pelican {n:02d}", "pelican", publish_date=f"2024-01-{n + 1:02d}T10:00")
    first = results_page(visitor, "pelican")
    assert "12 posts found; page 1 of 3." in first.get_text()
    titles = [[h.get_text() for h in results_page(visitor, "pelican", page=n).select(".post-title")]
              for n in (1, 2, 3)]
    assert [len(t) for t in titles] == [5, 5, 2]
    assert sorted(sum(titles, [])) == sorted(f"Pelican {n:02d}" for n in range(12))
    assert titles[0][0] == "Pelican 11"  # equal ranks: newest first
    nav = first.select_one('nav[aria-label="More results"]')
    assert nav.select_one("a.older")["href"] == "/search/?q=pelican&page=2"
    second = results_page(visitor, "pelican", page=2).select_one('nav[aria-label="More results"]')
    assert second.select_one("a.newer")["href"] == "/search/?q=pelican"
    assert results_page(visitor, "pelican", page=3).select_one(".search-results")["start"] == "11"
    assert visitor.get("/search/?q=pelican&page=4").status_code == 404
    assert visitor.get("/search/?q=pelican&page=x").status_code == 200  # read as the first page


def test_index_follows_edits_unpublishing_and_deleting(app, author, visitor):
    post = author.publish("Gannet", "A seabird that dives.")
    assert found_titles(visitor, "dives") == ["Gannet"]
    author.save("Booby", "A seabird that plunges.", post_id=post.id)
    assert found_titles(visitor, "dives") == [] and found_titles(visitor, "gannet") == []
    assert found_titles(visitor, "plunges") == ["Booby"]
    author.save("Booby", "A seabird that plunges.", action="draft", post_id=post.id)  # unpublished
    assert found_titles(visitor, "plunges") == []
    author.save("Booby", "A seabird that plunges.", post_id=post.id)  # published again
    assert found_titles(visitor, "plunges") == ["Booby"]
    response = author.client.post(f"/admin/posts/{post.id}/trash", data={"csrf_token": author.token()})
    assert response.status_code == 302
    assert found_titles(visitor, "plunges") == []
    response = author.client.post(f"/admin/posts/{post.id}/restore", data={"csrf_token": author.token()})
    assert found_titles(visitor, "plunges") == ["Booby"]  # restored, found again
    author.client.post(f"/admin/posts/{post.id}/trash", data={"csrf_token": author.token()})
    response = author.client.post(f"/admin/posts/{post.id}/delete", data={"csrf_token": author.token()})
    assert response.status_code == 302
    assert found_titles(visitor, "plunges") == []  # deleted for good: a tombstone, never found
    other = author.publish("Still here", "plunges too")
    assert found_titles(visitor, "plunges") == ["Still here"]
    with app.app_context():
        results = search_posts("plunges")
        assert [hit.post.id for hit in results.hits] == [other.id] and results.total == 1


HOSTILE = [
    '"', '""', '"unclosed phrase', "*", "owl*", "NEAR(owl heron)", "NEAR(", "AND OR", "OR", "owl AND OR heron",
    "-", "--", "-owl", "- owl", "(", ")", "((owl))", "owl) OR (", "title:owl", "^owl", "owl:", "{title}: owl",
    "owl + heron", "'; DROP TABLE posts; --", "\\", "%", "_", "owl\x00heron", "\x00", "😀", "🦉 owl",
    "<script>alert(1)</script>", "&amp;", "!!!", "a" * 300, "owl " * 2500, "\u202e\u200b", "　",
]


@pytest.mark.parametrize("query", HOSTILE)
def test_hostile_queries_get_results_or_a_message(author, visitor, query):
    author.publish("Owl", "An owl and a heron.")
    response = visitor.get("/search/", query_string={"q": query})
    assert response.status_code == 200
    page = BeautifulSoup(response.get_data(as_text=True), "html.parser")
    main = page.select_one("main")
    answered = main.select(".search-result") or main.select_one(".empty") or main.select_one(".notice")
    assert answered or main.select_one("h1").get_text() == "Search", query  # only spaces: the form
    assert not page.select("main script")


def test_ten_kilobytes_of_query_are_cut_and_said_so(app, author, visitor):
    author.publish("Owl", "An owl.")
    page = results_page(visitor, "owl " + "x" * 10_000)
    assert "Only the first 200 characters were searched for." in page.get_text()
    page = results_page(visitor, " ".join(["owl"] * 30))
    assert "Only the first 20 words were searched for." in page.get_text()
    assert [h.get_text() for h in page.select(".post-title")] == ["Owl"]


def test_nothing_to_search_for_says_so(author, visitor):
    author.publish("Owl", "An owl.")
    assert "nothing to search for" in results_page(visitor, "😀 !!").select_one(".empty").get_text()
    assert "not only words to leave out" in results_page(visitor, "-owl").select_one(".empty").get_text()
    assert "No posts match “heron”" in results_page(visitor, "heron").select_one(".empty").get_text()


def test_empty_query_shows_the_form(author, visitor):
    for path in ("/search/", "/search/?q=", "/search/?q=%20%20"):
        page = BeautifulSoup(visitor.get(path).get_data(as_text=True), "html.parser")
        assert page.select_one("h1").get_text() == "Search"
        assert page.select_one('main form[role="search"] input[name="q"]')
        assert not page.select(".search-results") and not page.select(".empty")


def test_wordpress_search_address_redirects(author, visitor):
    response = visitor.get("/?s=owl+heron")
    assert response.status_code == 301 and response.headers["Location"] == "/search/?q=owl+heron"
    assert visitor.get("/?s=owl&paged=2").headers["Location"] == "/search/?q=owl&page=2"


def test_results_pages_are_not_indexed_and_every_page_has_the_search_box(author, visitor):
    author.publish("Owl", "An owl.")
    page = results_page(visitor, "owl")
    assert page.select_one('meta[name="robots"]')["content"] == "noindex"
    home = BeautifulSoup(visitor.get("/").get_data(as_text=True), "html.parser")
    assert not home.select('meta[name="robots"]')
    box = home.select_one('header form[role="search"]')
    assert box["action"] == "/search/" and box["method"] == "get"
    field = box.select_one('input[type="search"][name="q"]')
    assert home.select_one(f'label[for="{field["id"]}"]').get_text() == "Search this blog"
    assert not BeautifulSoup(author.client.get("/admin/posts").get_data(as_text=True), "html.parser").select(
        'header form[role="search"]')


def test_search_query_is_read_as_websearch_syntax_and_quoted_for_fts5():
    query = parse_query('owl "snowy owl" -barn or heron NEAR( * "a""b')
    assert [(t.text, t.phrase, t.excluded, t.or_previous) for t in query.terms] == [
        ("owl", False, False, False), ("snowy owl", True, False, False), ("barn", False, True, False),
        ("heron", False, False, False), ("NEAR(", False, False, False), ("a", True, False, False),
        ("b", True, False, False),
    ]
    assert query.fts5_expression() == (
        '(("owl") AND ("snowy owl") AND ("heron") AND ("NEAR(") AND ("a") AND ("b")) NOT "barn"'
    )
    assert parse_query("owl or heron").fts5_expression() == '("owl" OR "heron")'
    assert parse_query("owl or heron").websearch_text() == "owl or heron"
    assert parse_query('say "hi"" there').websearch_text() == 'say "hi" "there"'
    assert not parse_query("-owl").is_searchable and not parse_query("😀 --").is_searchable


def test_parallel_searches_while_posts_are_edited(app, author, live_server):
    """Readers search a served blog from eight threads while the author keeps editing, publishing and
    deleting: every answer is a results page, and never shows a draft."""
    posts = [author.publish(f"Tern {n}", "A tern over the sea.") for n in range(6)]
    errors: list[str] = []
    stop = threading.Event()

    def reader():
        with requests.Session() as session:
            while not stop.is_set():
                response = session.get(f"{live_server.url}/search/", params={"q": "tern sea"}, timeout=30)
                if response.status_code != 200 or "search-count" not in response.text:
                    errors.append(f"{response.status_code}: {response.text[:200]}")
                if "Draft tern" in response.text:
                    errors.append("a draft was found")

    threads = [threading.Thread(target=reader) for _ in range(8)]
    for thread in threads:
        thread.start()
    try:
        for round_ in range(4):
            for post in posts:
                author.save(f"Tern {post.id} edit {round_}", "A tern over the sea, again.", post_id=post.id)
            author.save("Draft tern", "A tern over the sea.", action="draft")
            passing = author.publish(f"Passing tern {round_}", "A tern over the sea, briefly.")
            response = author.client.post(f"/admin/posts/{passing.id}/trash", data={"csrf_token": author.token()})
            assert response.status_code == 302
    finally:
        stop.set()
        for thread in threads:
            thread.join(60)
    assert errors == []
    with app.app_context():
        titles = {hit.post.title for hit in search_posts("tern", per_page=50).hits}
        assert titles == {f"Tern {p.id} edit 3" for p in posts}
        # 6 posts and 4 drafts, and the 4 passing posts in the trash
        assert db.session.execute(db.select(db.func.count(Post.id)).filter(Post.status != "trash")).scalar_one() == 10


def test_upgrade_stores_excerpts_and_indexes_existing_posts(tmp_path, monkeypatch):
    """A blog from before search: the migration renders each post's text again (the more marker's
    anchor, excerpt, plain text), indexes the published ones only, and keeps the feed size it had."""
    import sqlalchemy as sa
    from blog_testing import database_uri
    from flask_migrate import upgrade

    from blog import create_app

    monkeypatch.setenv("BLOG_INSTANCE_PATH", str(tmp_path / "inst"))
    app = create_app({"SQLALCHEMY_DATABASE_URI": database_uri(tmp_path, "old")})
    with app.app_context():
        upgrade(revision="c5f1a9e3d7b2")
        with db.engine.begin() as conn:
            conn.execute(sa.text("INSERT INTO users (id, username, email, password_hash, created_at) "
                                 "VALUES (1, 'old', 'old@example.com', 'x', '2020-01-01 00:00:00')"))
            conn.execute(sa.text("INSERT INTO settings (key, value) VALUES ('posts_per_page', '5')"))
            for id_, title, body, status in [(1, "Puffins", "Puffins nest.\n\n<!--more-->\n\nOn cliffs.", "published"),
                                             (2, "Secret puffins", "Puffins, not yet.", "draft")]:
                conn.execute(sa.text(
                    "INSERT INTO posts (id, title, slug, body_markdown, body_html, status, published_at, created_at, "
                    "updated_at, content_updated_at, author_id, allow_comments, allow_pings, trackback_urls) VALUES "
                    "(:id, :title, :slug, :body, '<p>old</p>', :status, '2020-01-02 10:00:00', '2020-01-02 10:00:00', "
                    "'2020-01-02 10:00:00', '2020-01-02 10:00:00', 1, TRUE, TRUE, '')"
                ), {"id": id_, "title": title, "slug": f"p{id_}", "body": body, "status": status})
        upgrade()
        row = db.session.get(Post, 1)
        assert (row.excerpt_text, row.has_more, row.body_text) == ("Puffins nest.", True, "Puffins nest. On cliffs.")
        assert '<span id="more"></span>' in row.body_html
        assert [hit.post.title for hit in search_posts("puffins").hits] == ["Puffins"]
        assert [hit.post.title for hit in search_posts("cliffs").hits] == ["Puffins"]
        from blog.site_settings import get_settings

        assert get_settings()["posts_per_rss"] == 5
        db.session.remove()
        db.engine.dispose()


def test_reader_searches_from_the_header_box_in_a_browser(author, live_server, browser):
    author.publish("Kestrel", "A small falcon that hovers.")
    from playwright.sync_api import expect

    page = browser.new_page()
    page.goto(f"{live_server.url}/")
    box = page.get_by_role("search").get_by_role("searchbox", name="Search this blog")
    box.fill("hovers")
    box.press("Enter")
    expect(page.get_by_role("heading", level=1)).to_have_text("Search results for “hovers”")
    expect(page.locator(".search-result mark")).to_have_text("hovers")
    page.get_by_role("link", name="Kestrel").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Kestrel")
