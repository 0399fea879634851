"""Revisions of published posts and pages: one kept per update that changes the title or text (in
the save's own transaction), the Revisions screen's escaped line diff, restoring one through the
editor's save, and what is refused (a trashed post, a visitor, a missing CSRF token)."""

from __future__ import annotations

import re

from blog_testing import csrf_token, snapshot

from blog import trash
from blog.extensions import db
from blog.models import Post
from blog.revisions.tables import PostRevision


def revisions_of(app, post_id: int) -> list[tuple[str, str]]:
    with app.app_context():
        return [(r.title, r.body_markdown) for r in db.session.execute(
            db.select(PostRevision).filter_by(post_id=post_id).order_by(PostRevision.id)).scalars()]


def restore(author, post_id: int, revision_id: int, token: str | None = None):
    return author.client.post(f"/admin/posts/{post_id}/revisions/{revision_id}/restore",
                              data={"csrf_token": token if token is not None else author.token()})


def revision_ids(app, post_id: int) -> list[int]:
    with app.app_context():
        return list(db.session.execute(
            db.select(PostRevision.id).filter_by(post_id=post_id).order_by(PostRevision.id)).scalars())


def test_each_update_of_a_published_post_keeps_the_text_it_replaces(app, author):
    post = author.publish("First title", "First text.")
    assert author.save("Second title", "First text.", post_id=post.id).status_code == 302
    assert author.save("Second title", "Second text.", post_id=post.id).status_code == 302
    assert revisions_of(app, post.id) == [("First title", "First text."), ("Second title", "First text.")]
    html = author.client.get(f"/admin/posts/{post.id}/edit").get_data(as_text=True)
    assert f'href="/admin/posts/{post.id}/revisions">Revisions (2)</a>' in html


def test_no_revision_when_title_and_text_are_unchanged_or_for_a_draft(app, author):
    post = author.publish("Same", "Same text.")
    assert author.save("Same", "Same text.", post_id=post.id, tags="new tag").status_code == 302
    draft = author.publish("Draft", "One.", action="draft")
    assert author.save("Draft", "Two.", post_id=draft.id, action="draft").status_code == 302
    assert revisions_of(app, post.id) == [] and revisions_of(app, draft.id) == []
    assert "Revisions (" not in author.client.get(f"/admin/posts/{post.id}/edit").get_data(as_text=True)


def test_pages_keep_revisions_too(app, author):
    page = author.publish_page("About", "Who I am.")
    assert author.save_page("About me", "Who I am.", page_id=page.id).status_code == 302
    assert revisions_of(app, page.id) == [("About", "Who I am.")]


def test_revisions_screen_shows_an_escaped_line_diff(app, author):
    post = author.publish("<b>Bold</b> title", "line one\n<script>alert(1)</script>\nline three")
    author.save("<i>Plain</i> title", "line one\nline two & more\nline three", post_id=post.id)
    html = author.client.get(f"/admin/posts/{post.id}/revisions").get_data(as_text=True)
    assert "<script>alert(1)" not in html and "<b>Bold</b>" not in html
    assert "<del>&lt;script&gt;alert(1)&lt;/script&gt;</del>" in html
    assert "<ins>line two &amp; more</ins>" in html
    assert "<del>&lt;b&gt;Bold&lt;/b&gt; title</del>" in html
    assert "<ins>&lt;i&gt;Plain&lt;/i&gt; title</ins>" in html
    # Unchanged lines are shown as such, and each change says in words what it is.
    assert re.search(r'<tr class="diff-same">\s*<td class="diff-sign"><span class="visually-hidden">unchanged'
                     r"</span></td>\s*<td class=\"diff-text\">line one</td>", html)
    assert html.count("+<span class=\"visually-hidden\"> added</span>") == 2
    assert "Restore This Revision" in html


def test_restore_brings_back_the_text_keeps_the_current_one_and_stays_published(app, author):
    post = author.publish("Original", "Original text with a [link](https://example.com/).")
    author.save("Rewritten", "Rewritten text.", post_id=post.id)
    [first] = revision_ids(app, post.id)
    response = restore(author, post.id, first)
    assert response.status_code == 302 and response.headers["Location"] == f"/admin/posts/{post.id}/edit"
    restored = author.post(post.id)
    assert (restored.title, restored.body_markdown, restored.status) == (
        "Original", "Original text with a [link](https://example.com/).", "published")
    assert "Original text with a" in restored.body_html and "Original text" in restored.body_text
    assert revisions_of(app, post.id)[-1] == ("Rewritten", "Rewritten text.")
    public = author.client.get(author.url_of(restored)).get_data(as_text=True)
    assert "Original text with a" in public


def test_restore_refused_for_a_post_in_the_trash(app, author):
    post = author.publish("Going", "Old text.")
    author.save("Going", "New text.", post_id=post.id)
    [revision] = revision_ids(app, post.id)
    with app.app_context():
        trash.move_to_trash(post.id)
    before = snapshot(app)
    response = restore(author, post.id, revision)
    assert response.status_code == 302
    assert snapshot(app) == before
    page = author.client.get(response.headers["Location"]).get_data(as_text=True)
    assert "The revision was not restored" in page and "is in the trash" in page
    screen = author.client.get(f"/admin/posts/{post.id}/revisions").get_data(as_text=True)
    assert "restore it from the trash before restoring" in screen and "Restore This Revision" not in screen


def test_deleting_permanently_deletes_the_revisions(app, author):
    post = author.publish("Doomed", "One.")
    author.save("Doomed", "Two.", post_id=post.id)
    with app.app_context():
        trash.move_to_trash(post.id)
        trash.delete_permanently(post.id)
        assert db.session.get(Post, post.id) is not None  # the tombstone stays
    assert revisions_of(app, post.id) == []
    assert author.client.get(f"/admin/posts/{post.id}/revisions").status_code == 404


def test_visitor_is_refused_the_screen_and_the_restore(app, author, visitor):
    post = author.publish("Private", "One.")
    author.save("Private", "Two.", post_id=post.id)
    [revision] = revision_ids(app, post.id)
    before = snapshot(app)
    response = visitor.get(f"/admin/posts/{post.id}/revisions")
    assert response.status_code == 302 and "/login" in response.headers["Location"]
    response = visitor.post(f"/admin/posts/{post.id}/revisions/{revision}/restore",
                            data={"csrf_token": csrf_token(visitor)})
    assert response.status_code == 302 and "/login" in response.headers["Location"]
    assert snapshot(app) == before


def test_restore_without_the_csrf_token_is_refused(app, author):
    post = author.publish("Guarded", "One.")
    author.save("Guarded", "Two.", post_id=post.id)
    [revision] = revision_ids(app, post.id)
    before = snapshot(app)
    assert restore(author, post.id, revision, token="").status_code == 400
    assert restore(author, post.id, revision, token="forged").status_code == 400
    assert snapshot(app) == before


def test_a_revision_of_another_post_is_not_found(app, author):
    one = author.publish("One", "a")
    author.save("One", "b", post_id=one.id)
    other = author.publish("Other", "c")
    [revision] = revision_ids(app, one.id)
    assert restore(author, other.id, revision).status_code == 404
