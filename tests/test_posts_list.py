"""The admin's posts list (issue 13): status filters with counts, a title search, 20 a page,
preview links for drafts and scheduled posts that only the owner can open, and the "Edit" link a
logged-in author sees on a public post."""

from __future__ import annotations

import re
from datetime import timedelta
from urllib.parse import urlsplit

import pytest

from blog.extensions import db
from blog.models import User, utcnow
from blog.posts import PostInput, save_post
from blog.trash import move_to_trash


def titles(html: str) -> list[str]:
    """The titles in the list's rows, in order."""
    return [re.sub(r"<[^>]+>", "", cell).strip()
            for cell in re.findall(r'<tr class="status-\w+">\s*<td>(.*?)</td>', html, re.S)]


def filter_counts(html: str) -> dict[str, int]:
    tabs = html.split('aria-label="Post status"', 1)[1].split("</nav>", 1)[0]
    return {label: int(n) for label, n in re.findall(r'>(\w+) <span class="count">\((\d+)\)</span>', tabs)}


@pytest.fixture
def make_posts(app, author):
    """Write posts straight through blog/posts.py (fast enough for dozens): make_posts(n, prefix,
    publish=..., future=...) returns their ids."""
    def make(count: int, prefix: str, publish: bool = True, future: bool = False) -> list[int]:
        ids = []
        with app.test_request_context("/", base_url="http://localhost"):
            admin = db.session.execute(db.select(User)).scalar_one()
            for n in range(count):
                when = utcnow() + timedelta(days=3) if future else utcnow() - timedelta(hours=count - n)
                data = PostInput(f"{prefix} {n:02d}", "Text.", publish_date=when if (future or publish) else None)
                ids.append(save_post(None, data, publish=publish, author=admin).id)
            db.session.remove()
        return ids
    return make


def test_filters_show_their_counts_and_all_leaves_out_the_trash(app, author, make_posts):
    make_posts(3, "Published")
    make_posts(2, "Draft", publish=False)
    make_posts(1, "Scheduled", future=True)
    trashed = make_posts(2, "Trashed")
    with app.test_request_context():
        for post_id in trashed:
            move_to_trash(post_id)
    html = author.client.get("/admin/posts").get_data(as_text=True)
    assert filter_counts(html) == {"All": 6, "Published": 3, "Drafts": 2, "Scheduled": 1, "Trash": 2}
    assert not any(t.startswith("Trashed") for t in titles(html))
    for status, prefix, count in (("published", "Published", 3), ("draft", "Draft", 2), ("scheduled", "Scheduled", 1),
                                  ("trash", "Trashed", 2)):
        shown = titles(author.client.get(f"/admin/posts?status={status}").get_data(as_text=True))
        assert len(shown) == count and all(t.startswith(prefix) for t in shown), status
    trash_html = author.client.get("/admin/posts?status=trash").get_data(as_text=True)
    assert trash_html.count(">Restore<") == 2 and trash_html.count(">Delete Permanently<") == 2
    assert "Deleted for good" in trash_html and "Empty Trash" in trash_html


def test_twenty_a_page_with_links_that_keep_the_filter_and_search(app, author, make_posts):
    make_posts(45, "Entry")
    make_posts(3, "Other")
    first = author.client.get("/admin/posts?s=entry").get_data(as_text=True)
    assert titles(first) == [f"Entry {n:02d}" for n in range(44, 24, -1)]  # newest first
    assert "Page 1 of 3" in first
    older = re.search(r'<a class="older" href="([^"]+)"', first).group(1).replace("&amp;", "&")
    assert "s=entry" in older and "page=2" in older
    second = author.client.get(older).get_data(as_text=True)
    assert titles(second) == [f"Entry {n:02d}" for n in range(24, 4, -1)]
    third = author.client.get("/admin/posts?s=entry&page=3").get_data(as_text=True)
    assert titles(third) == [f"Entry {n:02d}" for n in range(4, -1, -1)] and "Page 3 of 3" in third
    past = author.client.get("/admin/posts?s=entry&page=9")
    assert past.status_code == 200 and "There is no page 9." in past.get_data(as_text=True)
    for odd in ("page=0", "page=-3", "page=abc", "status=bogus", "status=deleted"):
        response = author.client.get(f"/admin/posts?{odd}")
        assert response.status_code == 200 and len(titles(response.get_data(as_text=True))) == 20, odd


def test_title_search_is_case_insensitive_literal_and_escaped(app, author, make_posts):
    make_posts(1, "Café au lait")
    make_posts(1, "100% sure")
    make_posts(1, "1000 reasons")
    make_posts(1, "<b>Bold</b> move")
    make_posts(1, "under_score")
    make_posts(1, "underXscore")

    def search(text: str) -> list[str]:
        return titles(author.client.get("/admin/posts", query_string={"s": text}).get_data(as_text=True))

    assert search("CAFÉ") in (["Café au lait 00"], [])  # SQLite folds ASCII only; PostgreSQL folds all
    assert search("café") == ["Café au lait 00"]
    assert search("AU LAIT") == ["Café au lait 00"]
    assert search("100%") == ["100% sure 00"]  # % is a character, not a wildcard
    assert search("under_") == ["under_score 00"]
    html = author.client.get("/admin/posts", query_string={"s": "<b>bold"}).get_data(as_text=True)
    assert "&lt;b&gt;Bold&lt;/b&gt; move 00" in html and "<b>Bold</b>" not in html
    assert 'value="&lt;b&gt;bold"' in html
    nothing = author.client.get("/admin/posts", query_string={"s": "zzz" * 500})
    assert nothing.status_code == 200 and "No posts match" in nothing.get_data(as_text=True)
    counted = author.client.get("/admin/posts", query_string={"s": "score"}).get_data(as_text=True)
    assert filter_counts(counted)["All"] == 2


def test_drafts_and_scheduled_posts_have_a_preview_only_the_owner_can_open(app, author, visitor, make_posts):
    (draft_id,) = make_posts(1, "Secret draft", publish=False)
    (scheduled_id,) = make_posts(1, "Secret plan", future=True)
    (published_id,) = make_posts(1, "Out")
    html = author.client.get("/admin/posts").get_data(as_text=True)
    for post_id in (draft_id, scheduled_id):
        assert f'href="/admin/posts/{post_id}/preview"' in html
        preview = author.client.get(f"/admin/posts/{post_id}/preview")
        assert preview.status_code == 200 and "Only you can see it." in preview.get_data(as_text=True)
        assert "Text." in preview.get_data(as_text=True)
        assert preview.headers["Cache-Control"] == "private, no-store" and preview.headers["X-Robots-Tag"] == "noindex"
        refused = visitor.get(f"/admin/posts/{post_id}/preview")
        assert refused.status_code == 302 and urlsplit(refused.headers["Location"]).path == "/login"
    assert f'href="/admin/posts/{published_id}/preview"' not in html
    published = author.client.get(f"/admin/posts/{published_id}/preview")
    assert published.status_code == 302 and "/out-00/" in published.headers["Location"]


def test_public_post_shows_edit_only_to_the_logged_in_author(app, author, visitor):
    post = author.publish("Editable", "Text.")
    path = author.url_of(post)
    edit_link = f'href="/admin/posts/{post.id}/edit"'
    assert edit_link in author.client.get(path).get_data(as_text=True)
    assert edit_link not in visitor.get(path).get_data(as_text=True)
    assert "/admin/posts/" not in visitor.get(path).get_data(as_text=True)


def test_move_to_trash_from_the_list_returns_to_it_with_undo(app, author, make_posts):
    ids = make_posts(25, "Row")
    response = author.client.post(f"/admin/posts/{ids[0]}/trash", data={
        "csrf_token": author.token(), "status": "published", "s": "row", "page": "2"})
    assert response.status_code == 302
    location = response.headers["Location"]
    assert all(part in location for part in ("status=published", "s=row", "page=2", f"trashed={ids[0]}"))
    html = author.client.get(location).get_data(as_text=True)
    assert "“Row 00” was moved to the trash." in html and "“Row 00” is in the trash." in html
    undo = re.search(r'<form method="post" action="(/admin/posts/\d+/restore)"', html).group(1)
    assert undo == f"/admin/posts/{ids[0]}/restore"
    back = author.client.post(undo, data={"csrf_token": author.token(), "status": "published"})
    assert "was restored from the trash as published" in author.client.get(back.headers["Location"]).get_data(
        as_text=True)
    assert "Row 00" in titles(author.client.get("/admin/posts?page=2").get_data(as_text=True))


def test_editor_offers_move_to_trash_not_delete(app, author):
    post = author.publish("In the editor", "Text.")
    html = author.client.get(f"/admin/posts/{post.id}/edit").get_data(as_text=True)
    assert 'form="trash-form"' in html and ">Move to Trash<" in html
    assert f'action="/admin/posts/{post.id}/trash" id="trash-form"' in html
    assert f"/admin/posts/{post.id}/delete" not in html
