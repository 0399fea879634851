"""The editor through its real forms: writing, previewing, publishing, scheduling, editing and
deleting posts, and what happens to bad input (a clear message, typed text kept, nothing changed)."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

import pytest
from blog_testing import snapshot
from markupsafe import escape

from blog.comments import CommentInput, add_visitor_comment
from blog.extensions import db
from blog.jobs import run_due_jobs
from blog.models import Comment, Post, PostStatus, utcnow
from blog.site_settings import save_settings


def input_tag(html: str, name: str) -> str:
    match = re.search(rf'<input[^>]*\bname="{name}"[^>]*>', html)
    assert match, f"no input {name}"
    return match.group(0)


def input_value(html: str, name: str) -> str:
    return re.search(r'value="([^"]*)"', input_tag(html, name)).group(1)


def is_checked(html: str, name: str) -> bool:
    return re.search(r"\bchecked\b", input_tag(html, name)) is not None


def article(html: str) -> str:
    """The post as the shared partial draws it, with its element id (post-N or post-preview) blanked."""
    found = re.search(r"<article.*?</article>", html, re.S)
    assert found, "no article"
    return re.sub(r'id="post-[^"]*"', 'id="post"', found.group(0))


def assert_typed_values_kept(html: str, **typed) -> None:
    for name, value in typed.items():
        if name == "body":
            assert f"{escape(value)}</textarea>" in html
        else:
            assert input_value(html, name) == str(escape(value)), name


def future(days: int = 3) -> str:
    return (utcnow() + timedelta(days=days)).strftime("%Y-%m-%dT%H:%M")


# --- writing and publishing --------------------------------------------------------------------


def test_new_post_form_has_its_fields_and_buttons(author):
    html = author.client.get("/admin/posts/new").get_data(as_text=True)
    for label in ("Title", "Content", "Tags", "Slug", "Publish date", "Allow comments",
                  "Allow pingbacks &amp; trackbacks"):
        assert f">{label}</label>" in html
    for button in ("Save Draft", "Preview", "Publish"):
        assert f'class="button{" primary" if button == "Publish" else ""}">{button}</button>' in html
    assert ">Update</button>" not in html


def test_publishing_stores_the_post_and_shows_it_to_readers(author, visitor):
    post = author.publish("Hello World", "Some *Markdown* here.", tags="Python, web , python")
    assert post.status == PostStatus.PUBLISHED
    assert post.slug == "hello-world"
    assert "<em>Markdown</em>" in post.body_html
    assert [t.name for t in post.tags] == ["Python", "web"]
    page = visitor.get(author.url_of(post))
    assert page.status_code == 200
    assert "<em>Markdown</em>" in page.get_data(as_text=True)
    assert "Hello World" in visitor.get("/").get_data(as_text=True)


def test_saved_draft_is_hidden_from_readers(author, visitor):
    response = author.save("Not yet", "Work in progress", action="draft")
    assert response.status_code == 302
    post = author.post(int(response.headers["Location"].split("/")[-2]))
    assert post.status == PostStatus.DRAFT
    assert visitor.get(author.url_of(post)).status_code == 404
    assert "Not yet" not in visitor.get("/").get_data(as_text=True)


def test_published_post_offers_update_and_switch_to_draft(author, visitor):
    post = author.publish("Live")
    html = author.client.get(f"/admin/posts/{post.id}/edit").get_data(as_text=True)
    assert ">Update</button>" in html and ">Switch to Draft</button>" in html
    assert ">Publish</button>" not in html
    author.save("Live", "Pulled back", action="draft", post_id=post.id)
    assert author.post(post.id).status == PostStatus.DRAFT
    assert visitor.get(author.url_of(post)).status_code == 404


def test_update_with_the_prefilled_form_keeps_slug_and_publish_time(app, author):
    post = author.publish("Kept in place", "First version")
    html = author.client.get(f"/admin/posts/{post.id}/edit").get_data(as_text=True)
    response = author.save(
        input_value(html, "title"), "Second version", post_id=post.id,
        tags=input_value(html, "tags"), slug=input_value(html, "slug"),
        publish_date=input_value(html, "publish_date"),
    )
    assert response.status_code == 302
    updated = author.post(post.id)
    assert updated.body_markdown == "Second version"
    assert (updated.slug, updated.published_at, updated.status) == (post.slug, post.published_at, post.status)


def test_publish_date_is_read_in_the_blogs_time_zone(app, author):
    with app.app_context():
        save_settings({"timezone": "Asia/Tokyo"})
    post = author.publish("Tokyo morning", publish_date="2024-03-01T08:00")
    assert post.published_at == datetime(2024, 2, 29, 23, 0, tzinfo=UTC)
    assert author.url_of(post) == "/2024/03/01/tokyo-morning/"


def test_allow_switches_start_from_the_discussion_defaults(app, author):
    assert is_checked(author.client.get("/admin/posts/new").get_data(as_text=True), "allow_comments")
    with app.app_context():
        save_settings({"default_comment_status": False, "default_ping_status": False})
    html = author.client.get("/admin/posts/new").get_data(as_text=True)
    assert not is_checked(html, "allow_comments") and not is_checked(html, "allow_pings")


def test_unticked_allow_switches_are_stored(author):
    post = author.publish("Quiet", allow_comments=False, allow_pings=False)
    assert (post.allow_comments, post.allow_pings) == (False, False)
    html = author.client.get(f"/admin/posts/{post.id}/edit").get_data(as_text=True)
    assert not is_checked(html, "allow_comments") and not is_checked(html, "allow_pings")


def test_script_in_a_post_is_never_rendered(author, visitor):
    body = '<script>alert("x")</script>\n\n<img src="a.png" onerror="alert(1)">\n\n[link](javascript:alert(2))'
    post = author.publish("<script>alert('title')</script>", body)
    for html in (
        visitor.get(author.url_of(post)).get_data(as_text=True),
        author.save("Preview", body, action="preview").get_data(as_text=True),
        author.client.get(f"/admin/posts/{post.id}/edit").get_data(as_text=True),
        author.client.get("/admin/posts").get_data(as_text=True),
    ):
        assert "<script>alert" not in html and "onerror" not in html.split("<textarea")[0]
        assert 'href="javascript:' not in html


# --- preview -----------------------------------------------------------------------------------


def test_preview_shows_the_post_exactly_as_published_and_saves_nothing(app, author, visitor):
    fields = {"tags": "one, two", "publish_date": "2024-03-01T10:00"}
    body = "# Heading\n\nText with a [link](https://example.com) and a table:\n\n| a |\n|---|\n| 1 |"
    before = snapshot(app)
    response = author.save("Looks right", body, action="preview", **fields)
    assert response.status_code == 200
    preview = response.get_data(as_text=True)
    assert "Preview — not saved yet" in preview
    assert_typed_values_kept(preview, title="Looks right", body=body, tags="one, two")
    assert snapshot(app) == before
    post = author.publish("Looks right", body, **fields)
    assert article(preview) == article(visitor.get(author.url_of(post)).get_data(as_text=True))


def test_preview_of_a_published_post_leaves_it_unchanged(app, author, visitor):
    post = author.publish("Stable", "Original text")
    before = snapshot(app)
    response = author.save("Stable?", "Edited text", action="preview", post_id=post.id)
    assert "Edited text" in article(response.get_data(as_text=True))
    assert snapshot(app) == before
    assert "Original text" in visitor.get(author.url_of(post)).get_data(as_text=True)


# --- scheduling --------------------------------------------------------------------------------


def test_future_date_schedules_a_post_readers_see_only_from_then(app, author, visitor):
    post = author.publish("Tomorrow's news", "Soon", publish_date=future(1))
    assert post.status == PostStatus.SCHEDULED
    assert "Scheduled for" in author.client.get(f"/admin/posts/{post.id}/edit").get_data(as_text=True)
    url = author.url_of(post)
    assert visitor.get(url).status_code == 404
    assert "Tomorrow" not in visitor.get("/").get_data(as_text=True)
    assert "Tomorrow" not in visitor.get("/feed/").get_data(as_text=True)
    with app.app_context():
        assert run_due_jobs(now=post.published_at - timedelta(seconds=1))["published"] == 0
        assert run_due_jobs(now=post.published_at)["published"] == 1
    assert visitor.get(url).status_code == 200
    assert "Tomorrow" in visitor.get("/feed/").get_data(as_text=True)


# --- bad input ---------------------------------------------------------------------------------


@pytest.mark.parametrize("title", ["", "   "])
def test_post_without_title_is_refused_and_keeps_what_was_typed(app, author, title):
    before = snapshot(app)
    typed = {"body": "Precious words", "tags": "kept", "slug": "my-slug", "publish_date": "2024-03-01T10:00"}
    response = author.save(title, **typed)
    html = response.get_data(as_text=True)
    assert response.status_code == 400
    assert "Please give the post a title." in html
    assert_typed_values_kept(html, **typed)
    assert snapshot(app) == before


def test_taken_slug_is_an_error_on_the_slug_field(app, author):
    author.publish("First", slug="taken")
    second = author.publish("Second")
    before = snapshot(app)
    for post_id in (None, second.id):
        response = author.save("Another", "Keep me", slug="taken", post_id=post_id)
        html = response.get_data(as_text=True)
        assert response.status_code == 400
        slug_field = html.split('for="slug"')[1].split('class="field')[0]
        assert "already used by another post" in slug_field
        assert_typed_values_kept(html, title="Another", body="Keep me", slug="taken")
    assert snapshot(app) == before


def test_duplicate_title_gets_a_numbered_slug(author):
    slugs = [author.publish("Same Title").slug for _ in range(3)]
    assert slugs == ["same-title", "same-title-2", "same-title-3"]


def test_tags_that_make_the_same_slug_become_one_tag(author):
    """Two spellings of one tag ("Python", "python!") used to crash on the unique tag slug."""
    post = author.publish("Tagged", tags="Python, python!")
    assert [t.slug for t in post.tags] == ["python"]
    again = author.publish("Tagged again", tags="python!, PYTHON")
    assert [t.id for t in again.tags] == [post.tags[0].id]


def test_content_over_the_limit_is_refused(app, author):
    app.config["POST_MAX_CHARS"] = 100
    before = snapshot(app)
    response = author.save("Long one", "x" * 101)
    assert response.status_code == 400
    assert "at most 100 characters" in response.get_data(as_text=True)
    assert input_value(response.get_data(as_text=True), "title") == "Long one"
    assert snapshot(app) == before


def test_request_over_the_size_limit_gets_the_413_page(app, author):
    app.config["MAX_CONTENT_LENGTH"] = 4096
    before = snapshot(app)
    response = author.save("Huge", "x" * 5000)
    assert response.status_code == 413
    assert "larger than this blog accepts" in response.get_data(as_text=True)
    assert snapshot(app) == before


@pytest.mark.parametrize(
    ("zone", "date"),
    [("UTC", "tomorrow"), ("UTC", "2024-13-01T10:00"), ("UTC", "2024-02-30T10:00"), ("UTC", "01/03/2024"),
     ("Asia/Tokyo", "0001-01-01T00:00"), ("America/New_York", "9999-12-31T23:59")],
)
def test_malformed_or_impossible_date_is_refused_and_kept(app, author, zone, date):
    with app.app_context():
        save_settings({"timezone": zone})
    before = snapshot(app)
    response = author.save("Dated", "Body stays", publish_date=date)
    html = response.get_data(as_text=True)
    assert response.status_code == 400
    assert html.count("Enter the date as YYYY-MM-DD HH:MM") == 1
    assert_typed_values_kept(html, title="Dated", body="Body stays", publish_date=date)
    assert snapshot(app) == before


def test_bad_csrf_token_keeps_what_was_typed(app, author):
    before = snapshot(app)
    data = {"title": "Long essay", "body": "Hours of writing", "action": "publish"}
    response = author.client.post("/admin/posts/new", data={**data, "csrf_token": "stale"})
    html = response.get_data(as_text=True)
    assert response.status_code == 400
    assert "security token was missing or wrong" in html
    assert_typed_values_kept(html, title="Long essay", body="Hours of writing")
    assert snapshot(app) == before
    data["csrf_token"] = input_value(html, "csrf_token")  # the re-rendered form can be sent again
    assert author.client.post("/admin/posts/new", data=data).status_code == 302


@pytest.mark.parametrize("method", ["GET", "POST"])
@pytest.mark.parametrize("path", ["/admin/posts/999/edit", "/admin/posts/999/delete"])
def test_post_that_does_not_exist_is_404(app, author, method, path):
    before = snapshot(app)
    data = {"csrf_token": author.token(), "title": "Ghost", "action": "publish"} if method == "POST" else None
    assert author.client.open(path, method=method, data=data).status_code == 404
    assert snapshot(app) == before


# --- the posts list and deleting ---------------------------------------------------------------


def test_posts_list_shows_status_and_date(author):
    author.publish("Out there", publish_date="2024-03-01T10:00")
    author.save("Half done", action="draft")
    author.publish("Coming up", publish_date="2031-06-15T09:30")
    html = author.client.get("/admin/posts").get_data(as_text=True)
    rows = re.findall(r'<tr class="status-(\w+)">(.*?)</tr>', html, re.S)
    by_title = {re.search(r">([^<]+)</a>", cells).group(1): (status, cells) for status, cells in rows}
    assert by_title["Out there"][0] == "published" and "March 1, 2024 at 10:00" in by_title["Out there"][1]
    assert by_title["Coming up"][0] == "scheduled" and "June 15, 2031 at 09:30" in by_title["Coming up"][1]
    assert by_title["Half done"][0] == "draft" and "Last edited" in by_title["Half done"][1]


def test_delete_goes_through_the_trash_and_asks_first(app, author, visitor):
    post = author.publish("Doomed", "Bye")
    keep = author.publish("Keeper")
    with app.app_context():
        for i, target in enumerate((post.id, post.id, keep.id)):
            data = CommentInput(f"R{i}", "r@example.com", "", f"Comment {i}")
            add_visitor_comment(db.session.get(Post, target), data, ip=f"192.0.2.{i}", user_agent="test")
    before = snapshot(app)
    refused = author.client.post(f"/admin/posts/{post.id}/delete", data={"csrf_token": author.token()})
    assert refused.status_code == 302 and snapshot(app) == before  # not in the trash: nothing deleted
    trashed = author.client.post(f"/admin/posts/{post.id}/trash", data={"csrf_token": author.token()})
    assert trashed.status_code == 302
    page = author.client.get(f"/admin/posts/{post.id}/delete")
    assert page.status_code == 200
    assert "Delete “Doomed” permanently?" in page.get_data(as_text=True) and "2 comments" in page.get_data(as_text=True)
    response = author.client.post(f"/admin/posts/{post.id}/delete", data={"csrf_token": author.token()})
    assert response.status_code == 302
    assert visitor.get(author.url_of(post)).status_code == 410
    with app.app_context():
        assert db.session.get(Post, post.id).status == "deleted"
        assert [c.post_id for c in db.session.execute(db.select(Comment)).scalars()] == [keep.id]


def test_edit_page_renders_for_every_status(author):
    author.save("Draft one", action="draft")
    author.publish("Scheduled one", publish_date=future())
    html = author.client.get("/admin/posts").get_data(as_text=True)
    for post_id in re.findall(r'href="/admin/posts/(\d+)/edit"', html):
        assert author.client.get(f"/admin/posts/{post_id}/edit").status_code == 200
