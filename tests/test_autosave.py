"""The editor's autosave endpoints: a published post's autosave kept apart from the live post and
offered back in the editor, a draft saving itself, a new post becoming a draft, and hostile
conditions (parallel autosaves against a served app, a body over MAX_CONTENT_LENGTH, no CSRF token,
a visitor, a trashed post)."""

from __future__ import annotations

import re
import threading
from concurrent.futures import ThreadPoolExecutor

import requests
from blog_testing import CSRF_RE, PASSWORD, csrf_token, snapshot

from blog import trash
from blog.extensions import db
from blog.models import Post, PostStatus
from blog.revisions.tables import PostAutosave

NOTICE = "There is an autosave of this post that is more recent than the version below."
TIMEOUT = 30


def send_autosave(author, url: str, title: str, body: str, token: str | None = None):
    return author.client.post(url, data={"title": title, "body": body},
                              headers={"X-CSRFToken": author.token() if token is None else token})


def entry(html: str) -> str:
    found = re.search(r"<article.*?</article>", html, re.S)
    assert found and "Live text." in found.group(0)
    return found.group(0)


def autosave_row(app, post_id: int) -> tuple[str, str] | None:
    with app.app_context():
        row = db.session.execute(db.select(PostAutosave).filter_by(post_id=post_id)).scalar_one_or_none()
        return (row.title, row.body_markdown) if row else None


def test_autosave_of_a_published_post_leaves_the_live_post_alone(app, author, visitor):
    post = author.publish("Live title", "Live text.")
    public_before = entry(visitor.get(author.url_of(post)).get_data(as_text=True))
    response = send_autosave(author, f"/admin/posts/{post.id}/autosave", "Typed title", "Typed <em>text</em>.")
    assert response.status_code == 200
    assert response.json["into_draft"] is False and response.json["post_id"] == post.id
    stored = author.post(post.id)
    assert (stored.title, stored.body_markdown, stored.status) == ("Live title", "Live text.", PostStatus.PUBLISHED)
    assert autosave_row(app, post.id) == ("Typed title", "Typed <em>text</em>.")
    assert entry(visitor.get(author.url_of(post)).get_data(as_text=True)) == public_before
    # A second autosave replaces the first: one row per post.
    send_autosave(author, f"/admin/posts/{post.id}/autosave", "Typed title", "Typed more.")
    assert autosave_row(app, post.id) == ("Typed title", "Typed more.")
    with app.app_context():
        assert db.session.execute(db.select(db.func.count(PostAutosave.id))).scalar_one() == 1


def test_the_editor_offers_a_newer_autosave_back(app, author):
    post = author.publish("Live", "Saved text.")
    editor = f"/admin/posts/{post.id}/edit"
    assert NOTICE not in author.client.get(editor).get_data(as_text=True)
    send_autosave(author, f"/admin/posts/{post.id}/autosave", "Live", "Autosaved <b>text</b>.")
    html = author.client.get(editor).get_data(as_text=True)
    assert NOTICE in html
    assert f'<a href="/admin/posts/{post.id}/autosave">View the autosave</a>' in html
    assert f'<a href="{editor}?autosave=restore">Restore the autosave</a>' in html
    assert "Saved text.</textarea>" in html
    view = author.client.get(f"/admin/posts/{post.id}/autosave").get_data(as_text=True)
    assert "<del>Saved text.</del>" in view and "<ins>Autosaved &lt;b&gt;text&lt;/b&gt;.</ins>" in view
    restored = author.client.get(editor + "?autosave=restore").get_data(as_text=True)
    assert "Autosaved &lt;b&gt;text&lt;/b&gt;.</textarea>" in restored and NOTICE not in restored
    assert author.post(post.id).body_markdown == "Saved text."  # restoring fills the editor, Update saves
    assert author.save("Live", "Autosaved <b>text</b>.", post_id=post.id).status_code == 302
    assert autosave_row(app, post.id) is None
    assert NOTICE not in author.client.get(editor).get_data(as_text=True)


def test_an_autosave_matching_the_saved_text_is_not_offered(app, author):
    post = author.publish("Same", "Same text.")
    send_autosave(author, f"/admin/posts/{post.id}/autosave", "Same", "Same text.")
    assert NOTICE not in author.client.get(f"/admin/posts/{post.id}/edit").get_data(as_text=True)


def test_a_draft_saves_itself(app, author):
    draft = author.publish("Draft", "First words.", action="draft", tags="kept")
    response = send_autosave(author, f"/admin/posts/{draft.id}/autosave", "Draft title", "First words, more.")
    assert response.status_code == 200 and response.json["into_draft"] is True
    stored = author.post(draft.id)
    assert (stored.title, stored.body_markdown, stored.status) == ("Draft title", "First words, more.", "draft")
    assert "First words, more." in stored.body_html and [t.name for t in stored.tags] == ["kept"]
    assert autosave_row(app, draft.id) is None


def test_a_new_post_becomes_a_draft_and_later_autosaves_update_it(app, author):
    response = send_autosave(author, "/admin/posts/new/autosave", "Brand new", "Typed so far.")
    assert response.status_code == 200
    answer = response.json
    post_id = answer["post_id"]
    assert answer["edit_url"] == f"/admin/posts/{post_id}/edit"
    assert answer["autosave_url"] == f"/admin/posts/{post_id}/autosave"
    stored = author.post(post_id)
    assert (stored.title, stored.body_markdown, stored.status, stored.kind) == (
        "Brand new", "Typed so far.", "draft", "post")
    send_autosave(author, answer["autosave_url"], "Brand new", "Typed more.")
    assert author.save("Brand new", "Finished.", post_id=post_id).status_code == 302
    with app.app_context():
        assert db.session.execute(db.select(db.func.count(Post.id))).scalar_one() == 1
    assert author.post(post_id).status == PostStatus.PUBLISHED


def test_a_new_page_becomes_a_draft_page(app, author):
    response = send_autosave(author, "/admin/pages/new/autosave", "About", "Me.")
    assert response.status_code == 200 and response.json["edit_url"].startswith("/admin/pages/")
    assert author.post(response.json["post_id"]).kind == "page"


def test_nothing_typed_or_a_too_long_title_is_not_autosaved(app, author):
    before = snapshot(app)
    assert send_autosave(author, "/admin/posts/new/autosave", "  ", "").status_code == 400
    post = author.publish("Live", "Text.")
    before = snapshot(app)
    response = send_autosave(author, f"/admin/posts/{post.id}/autosave", "x" * 251, "Text.")
    assert response.status_code == 400 and "longer than 250" in response.json["error"]
    assert snapshot(app) == before


def test_a_body_over_max_content_length_is_refused_and_nothing_changes(app, author):
    post = author.publish("Live", "Text.")
    token = author.token()
    before = snapshot(app)
    huge = "a" * (app.config["MAX_CONTENT_LENGTH"] + 1024)
    response = send_autosave(author, f"/admin/posts/{post.id}/autosave", "Live", huge, token=token)
    assert response.status_code == 413
    response = send_autosave(author, "/admin/posts/new/autosave", "New", huge, token=token)
    assert response.status_code == 413
    assert snapshot(app) == before


def test_autosave_refused_without_csrf_token_for_a_visitor_and_for_a_trashed_post(app, author, visitor):
    post = author.publish("Live", "Text.")
    before = snapshot(app)
    assert send_autosave(author, f"/admin/posts/{post.id}/autosave", "Live", "Changed", token="").status_code == 400
    assert send_autosave(author, "/admin/posts/new/autosave", "New", "Changed", token="forged").status_code == 400
    response = visitor.post(f"/admin/posts/{post.id}/autosave", data={"title": "Live", "body": "Changed"},
                            headers={"X-CSRFToken": csrf_token(visitor)})
    assert response.status_code == 302 and "/login" in response.headers["Location"]
    assert snapshot(app) == before
    with app.app_context():
        trash.move_to_trash(post.id)
    before = snapshot(app)
    response = send_autosave(author, f"/admin/posts/{post.id}/autosave", "Live", "Changed")
    assert response.status_code == 409 and "trash" in response.json["error"]
    assert snapshot(app) == before


def logged_in_session(base_url: str) -> requests.Session:
    session = requests.Session()
    token = CSRF_RE.search(session.get(base_url + "/login", timeout=TIMEOUT).text).group(1)
    response = session.post(base_url + "/login", data={"csrf_token": token, "username": "admin",
                                                       "password": PASSWORD}, allow_redirects=False, timeout=TIMEOUT)
    assert response.status_code == 302
    return session


def test_parallel_autosaves_leave_one_consistent_row(app, author, live_server):
    post = author.publish("Live", "Live text.")
    base = live_server.url
    writers, rounds = 6, 4
    barrier = threading.Barrier(writers, timeout=TIMEOUT)
    cookies = logged_in_session(base).cookies  # one login (logins are throttled), as tabs of one browser

    def run(n):
        session = requests.Session()
        session.cookies.update(cookies)
        token = CSRF_RE.search(session.get(f"{base}/admin/posts/{post.id}/edit", timeout=TIMEOUT).text).group(1)
        barrier.wait()
        codes = []
        for r in range(rounds):
            response = session.post(f"{base}/admin/posts/{post.id}/autosave", timeout=TIMEOUT,
                                    data={"title": f"Title {n}-{r}", "body": f"Body {n}-{r}\n" * 50},
                                    headers={"X-CSRFToken": token})
            codes.append(response.status_code)
        return codes

    with ThreadPoolExecutor(max_workers=writers) as pool:
        results = list(pool.map(run, range(writers)))
    assert all(code == 200 for codes in results for code in codes), results
    with app.app_context():
        rows = db.session.execute(db.select(PostAutosave).filter_by(post_id=post.id)).scalars().all()
        assert len(rows) == 1
        label = rows[0].title.removeprefix("Title ")
        assert rows[0].body_markdown == f"Body {label}\n" * 50  # title and text from the same autosave
    stored = author.post(post.id)
    assert (stored.title, stored.body_markdown) == ("Live", "Live text.")


def test_an_autosave_begun_for_a_draft_never_takes_a_just_published_post_back_to_draft(app, author):
    from blog.models import User
    from blog.revisions.autosave import autosave

    draft = author.publish("Draft", "Draft text.", action="draft")
    with app.app_context():
        post = db.session.get(Post, draft.id)  # as the autosave request loaded it: a draft
        user = db.session.execute(db.select(User)).scalar_one()
        assert post.status == PostStatus.DRAFT
        db.session.commit()
        # Meanwhile, another tab publishes it (its own thread, request and session).
        other_tab = threading.Thread(target=lambda: author.save("Draft", "Published text.", post_id=draft.id))
        other_tab.start()
        other_tab.join(TIMEOUT)
        result = autosave(post, "Draft", "Autosaved text.", user)
        assert result.into_draft is False
    stored = author.post(draft.id)
    assert (stored.status, stored.body_markdown) == (PostStatus.PUBLISHED, "Published text.")
    assert autosave_row(app, draft.id) == ("Draft", "Autosaved text.")
