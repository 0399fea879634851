"""What readers see: the home page and its pages, permalinks, tag pages, monthly archives, the
archives page, the 404 page, and the rule that drafts and scheduled posts never show."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from bs4 import BeautifulSoup

from blog.extensions import db
from blog.models import Post, utcnow
from blog.site_settings import save_settings


def configure(app, **values):
    with app.app_context():
        save_settings(values)


def page(client, path, status=200):
    response = client.get(path)
    assert response.status_code == status, (path, response.status_code)
    return BeautifulSoup(response.get_data(as_text=True), "html.parser")


def titles(soup) -> list[str]:
    return [h.get_text(strip=True) for h in soup.select("article.post .post-title")]


def save_draft(author, title, body="", **fields):
    response = author.save(title, body, action="draft", **fields)
    assert response.status_code == 302, response.get_data(as_text=True)
    return author.post(int(response.headers["Location"].rstrip("/").split("/")[-2]))


def in_days(days: int) -> str:
    return (utcnow() + timedelta(days=days)).strftime("%Y-%m-%dT%H:%M")


@pytest.fixture
def hidden(author):
    """A published post beside a draft and a scheduled post, all tagged "news", and the drafts' URLs."""
    shown = author.publish("Shown post", "Visible text.", tags="news", publish_date="2024-05-10T09:00")
    draft = save_draft(author, "Secret draft", "Draft text.", tags="news", publish_date="2024-05-11T09:00")
    scheduled = author.publish("Future post", "Not yet.", tags="news", publish_date=in_days(3))
    assert (draft.status, scheduled.status) == ("draft", "scheduled")
    return shown, draft, scheduled


# Home page and pagination


def test_home_page_lists_published_posts_newest_first(author, visitor):
    author.publish("Older", "One.", publish_date="2024-01-01T10:00")
    author.publish("Newer", "Two.", publish_date="2024-02-01T10:00")
    soup = page(visitor, "/")
    assert titles(soup) == ["Newer", "Older"]
    assert "Two." in soup.select_one("article.post").get_text()


def test_home_page_without_posts_says_so(author, visitor):
    assert "Nothing has been published yet." in page(visitor, "/").get_text()


def test_home_page_is_paginated_by_posts_per_page_setting(app, author, visitor):
    configure(app, posts_per_page=2)
    for n in range(1, 6):
        author.publish(f"Post {n}", publish_date=f"2024-03-0{n}T10:00")
    first = page(visitor, "/")
    assert titles(first) == ["Post 5", "Post 4"]
    assert first.select_one("a.older")["href"] == "/page/2/"
    assert first.select_one("a.newer") is None
    second = page(visitor, "/page/2/")
    assert titles(second) == ["Post 3", "Post 2"]
    assert second.select_one("a.newer")["href"] == "/"
    assert titles(page(visitor, "/page/3/")) == ["Post 1"]


def test_page_past_the_last_is_not_found(author, visitor):
    author.publish("Only post")
    page(visitor, "/page/2/", status=404)


# Permalinks


def test_post_lives_at_its_dated_permalink(author, visitor):
    post = author.publish("Hello World", "Some **bold** text.", publish_date="2024-07-04T12:00")
    assert author.url_of(post) == "/2024/07/04/hello-world/"
    soup = page(visitor, "/2024/07/04/hello-world/")
    assert soup.select_one("h1.post-title").get_text() == "Hello World"
    assert soup.select_one(".post-body strong").get_text() == "bold"
    assert soup.select_one('link[rel="canonical"]')["href"] == "http://localhost/2024/07/04/hello-world/"


def test_wrong_date_in_permalink_redirects_permanently_to_the_right_one(author, visitor):
    author.publish("Hello World", publish_date="2024-07-04T12:00")
    response = visitor.get("/2023/01/02/hello-world/")
    assert response.status_code == 301
    assert response.headers["Location"] == "/2024/07/04/hello-world/"


def test_permalink_works_when_blog_is_served_under_a_path_prefix(author, visitor):
    """Comparing the request path with the permalink redirected /blog/... to itself forever."""
    author.publish("Hello World", publish_date="2024-07-04T12:00")
    assert visitor.get("/2024/07/04/hello-world/", base_url="http://localhost/blog/").status_code == 200
    response = visitor.get("/2023/01/02/hello-world/", base_url="http://localhost/blog/")
    assert (response.status_code, response.headers["Location"]) == (301, "/blog/2024/07/04/hello-world/")


def test_unknown_slug_is_not_found(author, visitor):
    author.publish("Hello World", publish_date="2024-07-04T12:00")
    page(visitor, "/2024/07/04/no-such-post/", status=404)


def test_home_page_links_each_post_to_its_permalink(author, visitor):
    post = author.publish("Linked", publish_date="2024-07-04T12:00")
    link = page(visitor, "/").select_one("article.post .post-title a")
    assert link["href"] == author.url_of(post) == "/2024/07/04/linked/"


# Drafts and scheduled posts stay hidden


def test_draft_and_scheduled_posts_are_not_on_home_page(hidden, visitor):
    assert titles(page(visitor, "/")) == ["Shown post"]


def test_draft_and_scheduled_posts_are_not_at_their_permalinks(author, hidden, visitor):
    _, draft, scheduled = hidden
    page(visitor, author.url_of(draft), status=404)
    page(visitor, author.url_of(scheduled), status=404)


def test_draft_and_scheduled_posts_are_not_on_tag_page(hidden, visitor):
    assert titles(page(visitor, "/tag/news/")) == ["Shown post"]


def test_draft_is_not_in_its_month_archive(hidden, visitor):
    assert titles(page(visitor, "/2024/05/")) == ["Shown post"]


def test_archives_count_only_published_posts(author, hidden, visitor):
    save_draft(author, "Lonely draft", publish_date="2023-01-05T10:00")
    entries = [li.get_text(" ", strip=True) for li in page(visitor, "/archives/").select(".archive-months li")]
    assert entries == ["May 2024 (1)"]
    page(visitor, "/2023/01/", status=404)


def test_post_switched_back_to_draft_disappears(author, visitor):
    post = author.publish("Second thoughts", tags="oops", publish_date="2024-05-10T09:00")
    url = author.url_of(post)
    page(visitor, url)
    response = author.save("Second thoughts", action="draft", post_id=post.id, tags="oops")
    assert response.status_code == 302
    page(visitor, url, status=404)
    assert titles(page(visitor, "/")) == []
    page(visitor, "/tag/oops/", status=404)


def test_scheduled_post_appears_once_published_by_the_jobs(app, author, visitor):
    from blog.jobs import run_due_jobs

    scheduled = author.publish("Future post", publish_date=in_days(3))
    with app.app_context():
        assert run_due_jobs(now=utcnow() + timedelta(days=4))["published"] == 1
    assert titles(page(visitor, "/")) == ["Future post"]
    page(visitor, author.url_of(scheduled))


# Tag pages


def test_tag_page_lists_posts_with_that_tag(author, visitor):
    author.publish("Tagged", tags="Python, Web", publish_date="2024-01-01T10:00")
    author.publish("Untagged", publish_date="2024-01-02T10:00")
    soup = page(visitor, "/tag/python/")
    assert titles(soup) == ["Tagged"]
    assert "Posts tagged “Python”" in soup.select_one("h1").get_text()


def test_post_links_to_its_tag_pages(author, visitor):
    post = author.publish("Tagged", tags="Python, Web Dev")
    links = page(visitor, author.url_of(post)).select('.post-tags a[rel="tag"]')
    assert [(a.get_text(), a["href"]) for a in links] == [("Python", "/tag/python/"), ("Web Dev", "/tag/web-dev/")]


def test_tag_page_is_paginated(app, author, visitor):
    configure(app, posts_per_page=1)
    author.publish("First", tags="t", publish_date="2024-01-01T10:00")
    author.publish("Second", tags="t", publish_date="2024-01-02T10:00")
    soup = page(visitor, "/tag/t/")
    assert titles(soup) == ["Second"]
    assert soup.select_one("a.older")["href"] == "/tag/t/page/2/"
    assert titles(page(visitor, "/tag/t/page/2/")) == ["First"]


def test_unknown_tag_is_not_found(author, visitor):
    page(visitor, "/tag/nothing/", status=404)


def test_tag_used_only_by_drafts_is_not_found(author, visitor):
    save_draft(author, "Draft", tags="secret-plans")
    page(visitor, "/tag/secret-plans/", status=404)


# Monthly archives and the archives page


def test_month_archive_lists_that_months_posts(author, visitor):
    author.publish("March", publish_date="2024-03-15T10:00")
    author.publish("April", publish_date="2024-04-15T10:00")
    soup = page(visitor, "/2024/03/")
    assert titles(soup) == ["March"]
    assert soup.select_one("h1").get_text() == "March 2024"


@pytest.mark.parametrize("path", ["/2024/01/", "/2024/13/", "/2024/00/", "/0000/01/", "/9999/12/"])
def test_month_without_posts_or_out_of_range_is_not_found(author, visitor, path):
    author.publish("March", publish_date="2024-03-15T10:00")
    page(visitor, path, status=404)


def test_archives_page_lists_months_newest_first_with_counts(author, visitor):
    author.publish("A", publish_date="2023-12-01T10:00")
    author.publish("B", publish_date="2024-02-01T10:00")
    author.publish("C", publish_date="2024-02-20T10:00")
    links = page(visitor, "/archives/").select(".archive-months li")
    assert [li.get_text(" ", strip=True) for li in links] == ["February 2024 (2)", "December 2023 (1)"]
    assert [li.a["href"] for li in links] == ["/2024/02/", "/2023/12/"]


def test_archives_page_without_posts_says_so(author, visitor):
    assert "Nothing has been published yet." in page(visitor, "/archives/").get_text()


# The blog's time zone


def test_permalink_and_month_archive_use_blog_time_zone(app, author, visitor):
    """23:30 UTC on March 31st is already April 1st in Tokyo (UTC+9)."""
    configure(app, timezone="Asia/Tokyo")
    post = author.publish("Late night", publish_date="2024-04-01T08:30")
    with app.app_context():
        assert db.session.get(Post, post.id).published_at == datetime(2024, 3, 31, 23, 30, tzinfo=UTC)
    assert author.url_of(post) == "/2024/04/01/late-night/"
    soup = page(visitor, "/2024/04/01/late-night/")
    assert soup.select_one(".post-meta time").get_text() == "April 1, 2024"
    assert visitor.get("/2024/03/31/late-night/").headers["Location"] == "/2024/04/01/late-night/"
    assert titles(page(visitor, "/2024/04/")) == ["Late night"]
    page(visitor, "/2024/03/", status=404)
    assert page(visitor, "/archives/").select_one(".archive-months a")["href"] == "/2024/04/"


def test_changing_time_zone_moves_the_permalink_date(app, author, visitor):
    post = author.publish("Late night", publish_date="2024-03-31T23:30")
    assert author.url_of(post) == "/2024/03/31/late-night/"
    configure(app, timezone="Asia/Tokyo")
    response = visitor.get("/2024/03/31/late-night/")
    assert (response.status_code, response.headers["Location"]) == (301, "/2024/04/01/late-night/")


# Every page's head, and the 404 page


@pytest.mark.parametrize(
    "path", ["/", "/2024/07/04/hello/", "/tag/news/", "/2024/07/", "/archives/", "/no/such/page"]
)
def test_every_page_head_links_to_the_atom_feed(author, visitor, path):
    author.publish("Hello", tags="news", publish_date="2024-07-04T12:00")
    response = visitor.get(path)
    soup = BeautifulSoup(response.get_data(as_text=True), "html.parser")
    feeds = soup.head.select('link[rel="alternate"][type="application/atom+xml"]')
    assert "/feed/" in [link["href"] for link in feeds]


def test_tag_page_head_also_links_to_the_tag_feed(author, visitor):
    author.publish("Hello", tags="news")
    feeds = page(visitor, "/tag/news/").head.select('link[rel="alternate"][type="application/atom+xml"]')
    assert [link["href"] for link in feeds] == ["/feed/", "/comments/feed/", "/tag/news/feed/"]


def test_unknown_page_shows_friendly_404(author, visitor):
    soup = page(visitor, "/this/does/not/exist", status=404)
    assert soup.select_one("h1").get_text() == "Page not found"
    assert "there is nothing here" in soup.get_text()
    assert {a["href"] for a in soup.select(".error-page a")} == {"/", "/archives/"}
