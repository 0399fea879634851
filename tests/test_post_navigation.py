"""Older and newer post links on each post page (issue 14 "Reading and being found"): by publish date,
published posts only, rel="prev" / rel="next", in a labelled navigation landmark."""

from __future__ import annotations

from bs4 import BeautifulSoup

from blog.jobs import run_due_jobs
from blog.models import utcnow


def navigation(client, path):
    response = client.get(path)
    assert response.status_code == 200
    page = BeautifulSoup(response.get_data(as_text=True), "html.parser")
    nav = page.select_one("nav.post-navigation")
    if nav is None:
        return None
    assert nav["aria-label"] == "Older and newer posts"
    return {a["rel"][0]: (a["href"], a.select_one(".nav-title").get_text()) for a in nav.select("a")}


def test_each_post_links_to_the_older_and_newer_one(author, visitor):
    first = author.publish("First", publish_date="2024-01-01T10:00")
    third = author.publish("Third", publish_date="2024-03-01T10:00")
    second = author.publish("Second", publish_date="2024-02-01T10:00")  # written last, dated between
    assert navigation(visitor, author.url_of(first)) == {"next": (author.url_of(second), "Second")}
    assert navigation(visitor, author.url_of(second)) == {
        "prev": (author.url_of(first), "First"), "next": (author.url_of(third), "Third")}
    assert navigation(visitor, author.url_of(third)) == {"prev": (author.url_of(second), "Second")}


def test_drafts_and_scheduled_posts_are_skipped_until_published(app, author, visitor):
    old = author.publish("Old", publish_date="2024-01-01T10:00")
    author.save("Draft", action="draft", publish_date="2024-01-15T10:00")
    newest = author.publish("Newest", publish_date="2024-02-01T10:00")
    later = (utcnow().replace(second=0, microsecond=0)).strftime("%Y-%m-%dT%H:%M")
    author.publish("Scheduled", publish_date=f"{int(later[:4]) + 1}{later[4:]}")
    assert navigation(visitor, author.url_of(old)) == {"next": (author.url_of(newest), "Newest")}
    assert navigation(visitor, author.url_of(newest)) == {"prev": (author.url_of(old), "Old")}
    with app.app_context():
        run_due_jobs(now=utcnow().replace(year=utcnow().year + 2))
    assert navigation(visitor, author.url_of(newest))["next"][1] == "Scheduled"


def test_posts_of_the_same_minute_are_ordered_by_when_written(author, visitor):
    a = author.publish("A", publish_date="2024-01-01T10:00")
    b = author.publish("B", publish_date="2024-01-01T10:00")
    assert navigation(visitor, author.url_of(a)) == {"next": (author.url_of(b), "B")}
    assert navigation(visitor, author.url_of(b)) == {"prev": (author.url_of(a), "A")}


def test_a_lone_post_has_no_navigation_and_titles_are_escaped(author, visitor):
    lone = author.publish("Alone <b>here</b>", publish_date="2024-01-01T10:00")
    assert navigation(visitor, author.url_of(lone)) is None
    other = author.publish("Next <script>x</script>", publish_date="2024-01-02T10:00")
    html = visitor.get(author.url_of(lone)).get_data(as_text=True)
    assert "Next &lt;script&gt;x&lt;/script&gt;" in html and "<script>x" not in html
    assert navigation(visitor, author.url_of(other))["prev"][1] == "Alone <b>here</b>"
