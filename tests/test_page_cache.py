"""The full-page cache for anonymous readers (issue 11): a page is served from memory until something it shows
changes, in any process on the database; logged-in users and visitors with a pending comment never get it;
conditional GET and Cache-Control on public pages; comment HTML stored once; a constant number of queries."""

from __future__ import annotations

import re
import threading

import sqlalchemy as sa
from blog_testing import csrf_token, leave_comment, make_app

from blog.comment_html import rerender_comments
from blog.extensions import db
from blog.models import Comment, CommentKind, CommentStatus
from blog.site_settings import save_settings
from tests.test_settings import DEFAULTS, URL

TOKEN_RE = re.compile(r'name="csrf_token" type="hidden" value="([^"]+)"')


def cache_state(response) -> str | None:
    return response.headers.get("X-Page-Cache")


def add_comments(app, post, n: int, status=CommentStatus.APPROVED, text: str = "Nice post, see https://example.com/x"):
    with app.app_context():
        ids = []
        for i in range(n):
            comment = Comment(post_id=post.id, kind=CommentKind.COMMENT, status=status, author_name=f"Reader {i}",
                              content=f"{text} {i}")
            db.session.add(comment)
            db.session.flush()
            ids.append(comment.id)
        db.session.commit()
        return ids


def approve(author, comment_id: int):
    response = author.client.post(f"/admin/comments/{comment_id}/approve", data={"csrf_token": author.token()})
    assert response.status_code == 302


def test_second_view_is_served_from_the_cache_with_the_same_page(app, author, visitor):
    post = author.publish("Cached", "Some text.")
    url = author.url_of(post)
    first = visitor.get(url)
    second = visitor.get(url)
    assert (cache_state(first), cache_state(second)) == ("miss", "hit")
    strip = lambda r: TOKEN_RE.sub("", r.get_data(as_text=True))  # noqa: E731 - each response has its token
    assert strip(first) == strip(second)
    assert first.headers["ETag"] == second.headers["ETag"]


def test_each_visitor_gets_a_token_of_their_own_session_and_can_comment(app, author):
    post = author.publish("Tokens", "Some text.")
    url = author.url_of(post)
    one, two = app.test_client(), app.test_client()
    token_one = TOKEN_RE.search(one.get(url).get_data(as_text=True)).group(1)  # fills the cache
    token_two = TOKEN_RE.search(two.get(url).get_data(as_text=True)).group(1)
    assert token_one.split(".")[0] != token_two.split(".")[0]  # not the token cached with the page
    # The same session token as the page rendered for two alone (the signed form carries the second it was
    # signed in, so only the part before the timestamp is compared).
    assert token_two.split(".")[0] == csrf_token(two, url).split(".")[0]
    response = two.post(f"/comment/{post.id}", data={"csrf_token": token_two, "name": "Two",
                                                     "email": "two@example.com", "content": "Hello from two"})
    assert response.status_code == 302
    assert "\x00" not in two.get(url).get_data(as_text=True)


def test_approved_comment_invalidates_its_post_and_the_lists_but_not_other_posts(app, author, visitor):
    first = author.publish("First", "One.")
    other = author.publish("Other", "Two.")
    urls = [author.url_of(first), author.url_of(other), "/"]
    for url in urls:
        visitor.get(url)
    [pending] = add_comments(app, first, 1, CommentStatus.PENDING, text="Held for now")
    assert [cache_state(visitor.get(u)) for u in urls] == ["hit", "hit", "hit"]  # a pending one changes nothing
    approve(author, pending)
    after = [visitor.get(u) for u in urls]
    assert [cache_state(r) for r in after] == ["miss", "hit", "miss"]
    assert "Held for now" in after[0].get_data(as_text=True)
    assert "1 comment" in after[2].get_data(as_text=True)


def test_invalidation_reaches_another_app_on_the_same_database(app, author, tmp_path, monkeypatch):
    """Two web processes (two app instances) on one database: a change made through one is seen by the other's
    readers at once, though the other served the page from its own memory just before."""
    post = author.publish("Shared", "Original text.")
    url = author.url_of(post)
    other = make_app(tmp_path, monkeypatch)
    reader = other.test_client()
    assert cache_state(reader.get(url)) == "miss"
    assert cache_state(reader.get(url)) == "hit"
    assert cache_state(reader.get("/")) == "miss"
    author.save("Shared", "Edited text.", post_id=post.id)
    page = reader.get(url)
    assert cache_state(page) == "miss" and "Edited text." in page.get_data(as_text=True)
    assert cache_state(reader.get("/")) == "miss"
    assert author.client.post(URL, data={**DEFAULTS, "blog_title": "Renamed Blog", "csrf_token": author.token()}
                              ).status_code == 302
    assert "Renamed Blog" in reader.get(url).get_data(as_text=True)
    assert "Renamed Blog" in reader.get("/").get_data(as_text=True)


def test_setting_changed_outside_a_request_invalidates(app, author, visitor):
    author.publish("Any", "Text.")
    visitor.get("/")
    with app.test_request_context():
        save_settings({"blog_title": "From the shell"})
    page = visitor.get("/")
    assert cache_state(page) == "miss" and "From the shell" in page.get_data(as_text=True)


def test_bulk_update_invalidates(app, author, visitor):
    post = author.publish("Bulk", "Text.")
    url = author.url_of(post)
    visitor.get(url)
    with app.app_context():
        db.session.execute(sa.update(Comment).values(author_name="x"))  # no row matches, still a bulk change
        db.session.commit()
    assert cache_state(visitor.get(url)) == "miss"


def test_logged_in_author_never_gets_a_cached_page(app, author, visitor):
    post = author.publish("Mine", "Text.")
    url = author.url_of(post)
    visitor.get(url)
    visitor.get(url)
    page = author.client.get(url)
    assert cache_state(page) is None
    assert page.headers["Cache-Control"] == "private, no-store"
    assert "Commenting as admin" in page.get_data(as_text=True)


def test_visitor_with_a_pending_comment_sees_it_and_never_a_cached_page(app, author):
    post = author.publish("Pending", "Text.")
    url = author.url_of(post)
    with app.test_request_context():
        save_settings({"comment_moderation": True})
    reader = app.test_client()
    reader.get(url)
    reader.get(url)  # the page is cached for anonymous readers
    writer = app.test_client()
    writer.get(url)
    response = writer.post(f"/comment/{post.id}", data={"csrf_token": csrf_token(writer, url), "name": "W",
                                                        "email": "w@example.com", "content": "Awaiting my turn"})
    assert response.status_code == 302
    page = writer.get(url)
    assert cache_state(page) is None
    assert "Awaiting my turn" in page.get_data(as_text=True)
    assert "private, no-store" in page.headers["Cache-Control"]
    assert "Awaiting my turn" not in reader.get(url).get_data(as_text=True)


def test_conditional_get_and_cache_control_on_public_pages(app, author):
    author.publish("Validators", "Text.")
    reader = app.test_client()
    home = reader.get("/")
    assert home.headers["Cache-Control"] == "public, max-age=0, must-revalidate"
    assert "Cookie" in home.headers["Vary"]
    assert "Set-Cookie" not in home.headers
    assert home.headers["Last-Modified"]
    again = reader.get("/", headers={"If-None-Match": home.headers["ETag"]})
    assert again.status_code == 304 and again.data == b""


def test_post_page_with_a_form_is_private_to_the_browser_and_revalidates(app, author):
    post = author.publish("Form", "Text.")
    url = author.url_of(post)
    reader = app.test_client()
    page = reader.get(url)
    assert page.headers["Cache-Control"] == "private, no-cache"  # it holds this browser's CSRF token
    assert reader.get(url, headers={"If-None-Match": page.headers["ETag"]}).status_code == 304
    stranger = app.test_client()  # no session: a 304 would leave it a token of no session
    assert stranger.get(url, headers={"If-None-Match": page.headers["ETag"]}).status_code == 200


def test_parallel_readers_and_a_writer_never_leave_a_stale_page(app, author):
    """Readers in threads fill the cache while comments are approved one by one; afterwards every reader sees
    every approved comment."""
    post = author.publish("Busy", "Text.")
    url = author.url_of(post)
    pending = add_comments(app, post, 8, CommentStatus.PENDING, text="Parallel comment")
    stop = threading.Event()
    errors = []

    def read():
        client = app.test_client()
        while not stop.is_set():
            response = client.get(url)
            if response.status_code != 200:
                errors.append(response.status_code)

    readers = [threading.Thread(target=read) for _ in range(3)]
    for thread in readers:
        thread.start()
    try:
        for comment_id in pending:
            approve(author, comment_id)
    finally:
        stop.set()
        for thread in readers:
            thread.join()
    assert errors == []
    page = app.test_client().get(url).get_data(as_text=True)
    assert all(f"Parallel comment {i}<" in page or f"Parallel comment {i}\n" in page for i in range(8)), page


def test_comment_html_is_stored_once_and_rerendered(app, author, visitor):
    post = author.publish("Stored", "Text.")
    comment_id = leave_comment(app, author, post, "See <b>this</b> at https://example.com/page")
    with app.app_context():
        comment = db.session.get(Comment, comment_id)
        assert comment.content_html == ('<p>See &lt;b&gt;this&lt;/b&gt; at <a href="https://example.com/page" '
                                        'rel="nofollow ugc">https://example.com/page</a></p>')
        db.session.execute(sa.update(Comment).values(content_html=None))
        db.session.commit()
        assert rerender_comments() >= 1
        assert "&lt;b&gt;" in db.session.get(Comment, comment_id).content_html


def test_nofollow_switch_applies_to_stored_comment_html(app, author, visitor):
    post = author.publish("Rel", "Text.")
    comment_id = leave_comment(app, author, post, "Look at https://example.com/follow")
    approve(author, comment_id)
    with app.test_request_context():
        save_settings({"nofollow_links": False})
    page = visitor.get(author.url_of(post)).get_data(as_text=True)
    assert '<a href="https://example.com/follow" rel="ugc">' in page


def test_post_page_query_count_does_not_grow_with_comments(app, author, visitor):
    """A query per comment (a lazy load in the template) would make the 60-comment page run more queries."""
    post = author.publish("Counted", "Text.")
    url = author.url_of(post)
    with app.app_context():
        engine = db.engine
    counts = []
    for more in (3, 57):
        add_comments(app, post, more)
        statements = []
        def listener(*args, _seen=statements):
            _seen.append(args[2])

        sa.event.listen(engine, "before_cursor_execute", listener)
        try:
            app.config["PAGE_CACHE"] = False
            assert visitor.get(url).status_code == 200
        finally:
            sa.event.remove(engine, "before_cursor_execute", listener)
            app.config["PAGE_CACHE"] = True
        counts.append(len(statements))
    assert counts[0] == counts[1], counts


def test_cookieless_readers_get_the_fast_path_and_see_changes_from_another_app(app, author, tmp_path, monkeypatch):
    """A request without cookies is answered in front of Flask; its check of the generations still sees a change
    committed through another app instance at once."""
    post = author.publish("Fast", "First words.")
    url = author.url_of(post)
    other = make_app(tmp_path, monkeypatch)
    reader = other.test_client(use_cookies=False)
    assert [cache_state(reader.get(u)) for u in (url, url, "/", "/")] == ["miss", "hit", "miss", "hit"]
    author.save("Fast", "Second words.", post_id=post.id)
    page = reader.get(url)
    assert cache_state(page) == "miss" and "Second words." in page.get_data(as_text=True)
    home = reader.get("/")
    assert cache_state(home) == "miss"
    assert reader.get("/", headers={"If-None-Match": home.headers["ETag"]}).status_code == 304


def fast_path_of(app):
    from blog.page_cache_wsgi import CookielessFastPath

    layer = app.wsgi_app
    while not isinstance(layer, CookielessFastPath):
        layer = getattr(layer, "wsgi_app", None) or layer.app
    return layer


def test_a_fast_path_connection_broken_in_its_pool_falls_back_to_flask_once(app, author, caplog):
    """As after a database restart: the fast path's idle connection no longer works. That reader is answered by
    Flask (a fresh page, never an error), the broken connection is dropped, and the next reader is fast again."""
    post = author.publish("Sturdy", "Words.")
    url = author.url_of(post)
    reader = app.test_client(use_cookies=False)
    assert [cache_state(reader.get(url)) for _ in range(2)] == ["miss", "hit"]
    engine = fast_path_of(app).engine
    pooled = engine.raw_connection()
    pooled.driver_connection.close()  # broken while idle in the pool
    pooled.close()  # back to the pool, as it sat there
    fallback = reader.get(url)
    assert fallback.status_code == 200 and "Words." in fallback.get_data(as_text=True)  # through Flask
    assert [r.message for r in caplog.records] == ["page cache: could not read the generations"]
    caplog.clear()
    again = reader.get(url)
    assert again.status_code == 200 and cache_state(again) == "hit"
    assert not caplog.records  # a new connection: the fast path again


def test_cookieless_visitor_gets_a_session_and_token_that_work(app, author):
    post = author.publish("Fresh session", "Text.")
    url = author.url_of(post)
    app.test_client(use_cookies=False).get(url)  # stored for the fast path
    visitor = app.test_client()
    page = visitor.get(url)  # no cookie yet: the fast path makes the session
    assert cache_state(page) == "hit" and "Set-Cookie" in page.headers
    assert page.headers["Cache-Control"] == "private, no-cache"
    token = TOKEN_RE.search(page.get_data(as_text=True)).group(1)
    response = visitor.post(f"/comment/{post.id}", data={"csrf_token": token, "name": "New", "email": "n@example.com",
                                                         "content": "Token from the fast path"})
    assert response.status_code == 302
    with app.app_context():
        assert db.session.execute(sa.select(Comment).filter_by(content="Token from the fast path")).scalar_one()


def test_each_host_has_its_own_pages(app, author):
    """Without a Site URL, absolute links are built on the request's host: one host's page is never another's."""
    post = author.publish("Hosts", "Text.")
    url = author.url_of(post)
    with app.test_request_context():
        save_settings({"site_url": ""})
    reader = app.test_client(use_cookies=False)
    for host in ("one.example", "two.example", "one.example", "two.example"):
        page = reader.get(url, headers={"Host": host}).get_data(as_text=True)
        assert f"http://{host}/" in page
        assert ("one.example" if host == "two.example" else "two.example") not in page
