"""The trash (issue 13): "Move to Trash" instead of deleting, restore as it was, "Delete Permanently"
with confirmation, the purge after TRASH_DAYS, 410 Gone for a trashed or deleted post's address
(with a tombstone after the purge), the webmentions it sent told again (LINKBACKS.md WM-9), and
incoming linkbacks refused. Real HTTP on loopback for the receiver and for parallel requests."""

from __future__ import annotations

import re
import threading
import xmlrpc.client
from datetime import timedelta
from urllib.parse import parse_qs, urlsplit

import pytest
import requests
from blog_testing import CSRF_RE, PASSWORD, leave_comment, snapshot
from werkzeug import Request, Response

from blog.extensions import db
from blog.jobs import housekeeping
from blog.jobs.deliveries import deliver_due
from blog.models import Comment, Delivery, Post, PostAddress, Tag, utcnow

GONE_TEXT = "This post has been deleted by its author"


def trash(author, post_id: int, **fields):
    return author.client.post(f"/admin/posts/{post_id}/trash", data={"csrf_token": author.token(), **fields})


def restore(author, post_id: int, **fields):
    return author.client.post(f"/admin/posts/{post_id}/restore", data={"csrf_token": author.token(), **fields})


def delete_for_good(author, post_id: int):
    return author.client.post(f"/admin/posts/{post_id}/delete", data={"csrf_token": author.token()})


def flashed(author, response) -> str:
    """The page a redirect leads to, as the author sees it (with its notices)."""
    assert response.status_code == 302, response.get_data(as_text=True)[:500]
    return author.client.get(response.headers["Location"]).get_data(as_text=True)


def stored(app, post_id: int) -> Post:
    with app.app_context():
        post = db.session.get(Post, post_id)
        post.tags  # noqa: B018 - load before the session closes
        db.session.expunge(post)
        return post


# --- what a trashed post looks like to readers -------------------------------------------------


def test_trashed_post_vanishes_everywhere_and_its_address_answers_410(app, author, visitor):
    post = author.publish("Going away", "Soon gone.", tags="ephemeral, kept", publish_date="2024-03-01T10:00")
    author.publish("Staying", "Here to stay.", tags="kept", publish_date="2024-03-02T10:00")
    path = author.url_of(post)
    assert visitor.get(path).status_code == 200
    assert trash(author, post.id).status_code == 302

    gone = visitor.get(path)
    assert gone.status_code == 410
    assert GONE_TEXT in gone.get_data(as_text=True) and "Soon gone." not in gone.get_data(as_text=True)
    assert gone.headers["X-Pingback"].endswith("/xmlrpc")  # as on a 404 page: the site still takes pings
    assert 'rel="webmention"' in gone.headers["Link"]
    assert visitor.get(path + "feed/").status_code == 410
    trackback = visitor.post(path + "trackback/", data={"url": "https://elsewhere.example/p", "title": "T"})
    assert trackback.status_code == 410 and "<error>1</error>" in trackback.get_data(as_text=True)
    assert 'March 2024</a> <span class="count">(1)</span>' in visitor.get("/archives/").get_data(as_text=True)
    for page in ("/", "/2024/03/", "/tag/kept/", "/feed/", "/feed/rss2/", "/sitemap.xml"):
        html = visitor.get(page).get_data(as_text=True)
        assert "Staying" in html or "/2024/03/02/staying/" in html, page
        assert "Going away" not in html and "going-away" not in html, page
    assert visitor.get("/tag/ephemeral/").status_code == 404  # only the trashed post used it
    comment_form = visitor.post(f"/comment/{post.id}", data={"content": "Hello?"})
    assert comment_form.status_code == 410


def test_trashed_draft_has_no_public_address_to_mark_gone(app, author, visitor):
    author.save("Never shown", "Draft text.", action="draft")
    with app.app_context():
        draft_id = db.session.execute(db.select(Post.id)).scalar_one()
    assert trash(author, draft_id).status_code == 302
    with app.app_context():
        assert db.session.execute(db.select(PostAddress)).scalars().all() == []
    assert visitor.get("/2024/01/01/never-shown/").status_code == 404


# --- restoring ---------------------------------------------------------------------------------


@pytest.mark.parametrize(("action", "publish_date", "status", "words"), [
    ("publish", "", "published", "as published"),
    ("draft", "", "draft", "as a draft"),
    ("publish", "2031-06-15T09:30", "scheduled", "as scheduled"),
])
def test_restore_brings_the_post_back_as_it_was_with_its_comments(app, author, visitor, action, publish_date,
                                                                  status, words):
    response = author.save("Round trip", "Text kept.", action=action, tags="a, b", publish_date=publish_date)
    post_id = int(response.headers["Location"].rstrip("/").split("/")[-2])
    post = stored(app, post_id)
    if status == "published":
        leave_comment(app, author, post, "A reader's comment.")
    with app.app_context():
        comments_before = sorted((c.id, c.status) for c in db.session.execute(db.select(Comment)).scalars())
    trash(author, post_id)
    trashed = stored(app, post_id)
    assert (trashed.status, trashed.status_before_trash, trashed.slug_before_trash) == ("trash", status, "round-trip")
    assert trashed.slug == f"__trashed-{post_id}" and trashed.trashed_at is not None

    page = flashed(author, restore(author, post_id))
    assert f"“Round trip” was restored from the trash {words}." in page
    back = stored(app, post_id)
    assert (back.status, back.slug, back.body_markdown, [t.name for t in back.tags]) == (
        status, "round-trip", "Text kept.", ["a", "b"])
    assert (back.trashed_at, back.status_before_trash, back.slug_before_trash) == (None, None, None)
    with app.app_context():
        assert sorted((c.id, c.status) for c in db.session.execute(db.select(Comment)).scalars()) == comments_before
        assert db.session.execute(db.select(PostAddress)).scalars().all() == []  # its address is its own again
    if status == "published":
        assert "Text kept." in visitor.get(author.url_of(back)).get_data(as_text=True)


def test_trashing_twice_and_restoring_twice_are_told_not_errors(app, author):
    post = author.publish("Twice", "Text.")
    trash(author, post.id)
    before = snapshot(app)
    assert "“Twice” is already in the trash." in flashed(author, trash(author, post.id))
    assert snapshot(app) == before
    restore(author, post.id)
    before = snapshot(app)
    assert "is not in the trash (it was restored already)" in flashed(author, restore(author, post.id))
    assert snapshot(app) == before


def test_restore_when_the_slug_was_taken_meanwhile_gets_a_free_one_and_says_so(app, author, visitor):
    old = author.publish("Hello", "The first hello.", publish_date="2024-01-02T10:00")
    old_path = author.url_of(old)
    trash(author, old.id)
    newer = author.publish("Hello", "The second hello.", publish_date="2024-05-06T10:00")
    assert newer.slug == "hello"  # the trashed post's slug was set aside for new posts
    page = flashed(author, restore(author, old.id))
    assert "Its slug “hello” was taken by another post meanwhile, so it now has the slug “hello-2”." in page
    back = stored(app, old.id)
    assert (back.status, back.slug, back.body_markdown) == ("published", "hello-2", "The first hello.")
    # Its old address leads to it again (the newer post is on another day), the newer one is untouched.
    moved = visitor.get(old_path)
    assert moved.status_code == 301 and urlsplit(moved.headers["Location"]).path == "/2024/01/02/hello-2/"
    assert "The second hello." in visitor.get("/2024/05/06/hello/").get_data(as_text=True)


def test_a_new_post_at_the_very_address_of_a_trashed_one_wins_it(app, author, visitor):
    old = author.publish("Same day", "Old text.", publish_date="2024-01-02T10:00")
    trash(author, old.id)
    author.publish("Same day", "New text.", publish_date="2024-01-02T18:00")
    assert "New text." in visitor.get("/2024/01/02/same-day/").get_data(as_text=True)
    restore(author, old.id)
    assert "New text." in visitor.get("/2024/01/02/same-day/").get_data(as_text=True)
    assert "Old text." in visitor.get("/2024/01/02/same-day-2/").get_data(as_text=True)


def test_editing_a_trashed_post_is_refused_and_nothing_typed_is_lost(app, author):
    post = author.publish("Locked", "Original.")
    editor_token = author.token()
    trash(author, post.id)
    opened = author.client.get(f"/admin/posts/{post.id}/edit")
    assert opened.status_code == 302 and "is in the trash. Restore it to edit it." in flashed(author, opened)
    before = snapshot(app)
    # The editor was open in another tab when the post went to the trash: the save is refused.
    response = author.client.post(f"/admin/posts/{post.id}/edit", data={
        "csrf_token": editor_token, "title": "Locked", "body": "Hours of new writing", "action": "publish"})
    html = response.get_data(as_text=True)
    assert response.status_code == 409
    assert "Not saved: This post was moved to the trash" in html and "Hours of new writing" in html
    assert snapshot(app) == before


def test_save_racing_the_trash_is_refused(app, author):
    """The save passed the view's check, then the post went to the trash: save_post refuses."""
    from blog.posts import PostInput, PostIsGone, save_post

    post = author.publish("Raced", "Original.")
    with app.test_request_context():
        loaded = db.session.get(Post, post.id)
        writer = loaded.author
        trash(author, post.id)  # another request, another session
        before = snapshot(app)
        with pytest.raises(PostIsGone):
            save_post(loaded, PostInput("Raced", "New text"), publish=True, author=writer)
        assert snapshot(app) == before


# --- deleting for good, the purge, the tombstone -----------------------------------------------


def test_delete_permanently_asks_first_and_leaves_a_tombstone_answering_410(app, author, visitor):
    post = author.publish("Doomed", "Secret text.", tags="only-here")
    leave_comment(app, author, post, "A comment that goes too.")
    path = author.url_of(post)
    trash(author, post.id)
    confirm = author.client.get(f"/admin/posts/{post.id}/delete")
    assert confirm.status_code == 200 and "Delete “Doomed” permanently?" in confirm.get_data(as_text=True)
    assert "1 comment" in confirm.get_data(as_text=True)
    assert "“Doomed” was deleted permanently." in flashed(author, delete_for_good(author, post.id))
    tombstone = stored(app, post.id)
    assert (tombstone.status, tombstone.title, tombstone.body_markdown, tombstone.body_html, tombstone.tags) == (
        "deleted", "", "", "", [])
    with app.app_context():
        assert db.session.execute(db.select(Comment)).scalars().all() == []
        assert db.session.execute(db.select(PostAddress.path)).scalars().all() == [path]
    assert visitor.get(path).status_code == 410
    assert "Secret text." not in visitor.get(path).get_data(as_text=True)
    # The tombstone is nothing the owner can act on, and is in no list.
    for url in (f"/admin/posts/{post.id}/edit", f"/admin/posts/{post.id}/delete", f"/admin/posts/{post.id}/preview"):
        assert author.client.get(url).status_code == 404, url
    assert author.client.post(f"/admin/posts/{post.id}/restore", data={"csrf_token": author.token()}).status_code == 404
    listing = author.client.get("/admin/posts?status=trash").get_data(as_text=True)
    assert "Trash <span class=\"count\">(0)</span>" in listing


def test_delete_permanently_is_only_for_the_trash(app, author):
    post = author.publish("Not yet", "Text.")
    before = snapshot(app)
    assert "is not in the trash: move it to the trash first." in flashed(author, delete_for_good(author, post.id))
    assert author.client.get(f"/admin/posts/{post.id}/delete").status_code == 302
    assert snapshot(app) == before


def test_housekeeping_purges_the_trash_after_trash_days_only(app, author, visitor):
    kept, purged = author.publish("Kept in trash", "K"), author.publish("Purged", "P")
    trash(author, kept.id)
    trash(author, purged.id)
    now = utcnow()
    with app.app_context():
        db.session.get(Post, purged.id).trashed_at = now - timedelta(days=30, minutes=1)
        db.session.get(Post, kept.id).trashed_at = now - timedelta(days=29, hours=23)
        db.session.commit()
        housekeeping.run_pass(now)
    assert (stored(app, purged.id).status, stored(app, kept.id).status) == ("deleted", "trash")
    assert visitor.get(author.url_of(purged)).status_code == 410
    app.config["TRASH_DAYS"] = 7  # configurable (BLOG_TRASH_DAYS, instance/config.py)
    with app.app_context():
        housekeeping.run_pass(now)
    assert stored(app, kept.id).status == "deleted"


def test_empty_trash_keeps_what_was_trashed_after_the_question(app, author):
    first, second, live = author.publish("One", "1"), author.publish("Two", "2"), author.publish("Three", "3")
    trash(author, first.id)
    page = author.client.get("/admin/posts/trash/empty").get_data(as_text=True)
    assert "Delete all 1 post in the trash permanently?" in page
    asked_at = re.search(r'name="asked_at" value="([^"]+)"', page).group(1)
    trash(author, second.id)  # in another tab, after the question was shown
    response = author.client.post("/admin/posts/trash/empty", data={"csrf_token": author.token(), "asked_at": asked_at})
    assert "1 post deleted permanently." in flashed(author, response)
    assert [stored(app, p.id).status for p in (first, second, live)] == ["deleted", "trash", "published"]
    bad = author.client.post("/admin/posts/trash/empty", data={"csrf_token": author.token(), "asked_at": "soon"})
    assert "nothing was deleted" in flashed(author, bad) and stored(app, second.id).status == "trash"


# --- linkbacks: incoming refused, outgoing told again (WM-9) -----------------------------------


@pytest.mark.parametrize("kind", ["post", "page"])
def test_incoming_linkbacks_to_a_gone_post_or_page_are_refused(app, author, live_server, httpserver, kind):
    publish = author.publish if kind == "post" else author.publish_page
    trashed, deleted = publish("In the trash", "T"), publish("Deleted", "D")
    targets = {p.id: live_server.url + author.url_of(p) for p in (trashed, deleted)}
    trash(author, trashed.id)
    trash(author, deleted.id)
    delete_for_good(author, deleted.id)
    httpserver.expect_request("/src").respond_with_data(
        "<html><head><title>S</title></head><body>" + "".join(f'<a href="{t}">x</a>' for t in targets.values())
        + "</body></html>", content_type="text/html")
    source = httpserver.url_for("/src")
    before = snapshot(app)
    rpc = xmlrpc.client.ServerProxy(live_server.url + "/xmlrpc")
    for post_id, code in ((trashed.id, 33), (deleted.id, 32)):  # LINKBACKS.md 1.3
        assert requests.get(targets[post_id], timeout=5).status_code == 410
        with pytest.raises(xmlrpc.client.Fault) as fault:
            rpc.pingback.ping(source, targets[post_id])
        assert fault.value.faultCode == code
        mention = requests.post(live_server.url + "/webmention", data={"source": source, "target": targets[post_id]},
                                timeout=5)
        assert mention.status_code == 400 and "invalid_target" in mention.text  # WM-13
        ping = requests.post(targets[post_id] + "trackback/", data={"url": source, "title": "T"}, timeout=5)
        assert ping.status_code == 410 and "<error>1</error>" in ping.text
    after = snapshot(app)
    assert after["comments"] == before["comments"] and after["incoming_webmentions"] == before["incoming_webmentions"]


class Receiver:
    """Another blog's webmention receiver on loopback: its page advertises the endpoint; each
    webmention received is verified as a receiver does (WM-14/WM-16) by fetching the source, and
    the status our blog answered is recorded."""

    def __init__(self, server):
        self.server = server
        self.fetched: list[tuple[str, int]] = []  # (source, status of our answer) per webmention
        self.lock = threading.Lock()
        server.expect_request("/their-post/", method="GET").respond_with_data(
            "<!doctype html><html><head><title>Their post</title></head><body>Hi</body></html>",
            content_type="text/html", headers={"Link": f'<{server.url_for("/endpoint")}>; rel="webmention"'})
        server.expect_request("/endpoint", method="POST").respond_with_handler(self._receive)

    @property
    def page(self) -> str:
        return self.server.url_for("/their-post/")

    def _receive(self, request: Request) -> Response:
        form = parse_qs(request.get_data(as_text=True))
        source, target = form["source"][0], form["target"][0]
        assert target == self.page
        answer = requests.get(source, timeout=5, allow_redirects=True)
        with self.lock:
            self.fetched.append((source, answer.status_code))
        return Response("Accepted", status=202)


def deliver(app) -> int:
    with app.app_context():
        return deliver_due()


def test_trash_sends_the_webmention_again_and_the_receiver_finds_410(app, author, live_server, httpserver):
    """WM-9: the page our webmention told hears of the post again, fetches it, and gets 410 Gone;
    a restore tells it once more, and it finds the post back."""
    receiver = Receiver(httpserver)
    post = author.publish("Mentioning", f"I liked [their post]({receiver.page}).")
    source = live_server.url + author.url_of(post)
    assert deliver(app) == 1
    assert receiver.fetched == [(source, 200)]

    page = flashed(author, trash(author, post.id))
    assert "1 page that got its webmention will be told it is gone." in page
    assert deliver(app) == 1
    assert receiver.fetched == [(source, 200), (source, 410)]
    with app.app_context():
        (row,) = db.session.execute(db.select(Delivery)).scalars()
        assert (row.status, row.method, row.removal_announced) == ("sent", "webmention", True)
        assert row.detail.startswith("Post deleted: told the receiver.")
    assert deliver(app) == 0  # told once

    restore(author, post.id)
    assert deliver(app) == 1
    assert receiver.fetched[-1] == (source, 200)


def test_the_gone_webmention_still_goes_out_after_the_post_is_deleted_for_good(app, author, live_server,
                                                                               httpserver):
    receiver = Receiver(httpserver)
    post = author.publish("Short-lived", f"See [this]({receiver.page}) and [that](https://nowhere.invalid/x).")
    source = live_server.url + author.url_of(post)
    with app.app_context():  # the other link: given up on
        db.session.execute(db.update(Delivery).where(Delivery.target == "https://nowhere.invalid/x")
                           .values(status="failed", next_attempt_at=None))
        db.session.commit()
    deliver(app)
    trash(author, post.id)
    delete_for_good(author, post.id)  # before the job layer had a chance to tell the receiver
    with app.app_context():
        assert [d.target for d in db.session.execute(db.select(Delivery)).scalars()] == [receiver.page]
    assert deliver(app) == 1
    assert receiver.fetched == [(source, 200), (source, 410)]


def test_pingbacks_are_not_resent_when_the_post_goes_to_the_trash(app, author, httpserver):
    pings = []

    def xmlrpc_server(request: Request) -> Response:
        pings.append(xmlrpc.client.loads(request.get_data())[0])
        return Response(xmlrpc.client.dumps(("Registered.",), methodresponse=True), content_type="text/xml")

    httpserver.expect_request("/xmlrpc", method="POST").respond_with_handler(xmlrpc_server)
    httpserver.expect_request("/pinged/").respond_with_data(
        "<html><head><title>P</title></head><body>p</body></html>", content_type="text/html",
        headers={"X-Pingback": httpserver.url_for("/xmlrpc")})
    post = author.publish("Pinging", f"[x]({httpserver.url_for('/pinged/')})")
    assert deliver(app) == 1 and len(pings) == 1
    flashed(author, trash(author, post.id))
    assert deliver(app) == 0 and len(pings) == 1  # a pingback cannot withdraw (WP-17)
    restore(author, post.id)
    assert deliver(app) == 0 and len(pings) == 1  # already registered: not sent twice


# --- parallel requests -------------------------------------------------------------------------


def logged_in_session(base_url: str) -> tuple[requests.Session, str]:
    session = requests.Session()
    token = CSRF_RE.search(session.get(base_url + "/login", timeout=5).text).group(1)
    response = session.post(base_url + "/login", data={"csrf_token": token, "username": "admin",
                                                       "password": PASSWORD}, timeout=5, allow_redirects=False)
    assert response.status_code == 302
    return session, token


def test_parallel_trash_and_restore_leave_a_consistent_post(app, author, live_server):
    post = author.publish("Contested", "Text.", tags="t")
    session, token = logged_in_session(live_server.url)
    cookies = session.cookies.get_dict()
    statuses: list[int] = []
    lock = threading.Lock()

    def hammer(action: str) -> None:
        mine = requests.Session()
        mine.cookies.update(cookies)
        for _ in range(6):
            answer = mine.post(f"{live_server.url}/admin/posts/{post.id}/{action}", data={"csrf_token": token},
                               timeout=30, allow_redirects=False)
            with lock:
                statuses.append(answer.status_code)

    threads = [threading.Thread(target=hammer, args=(a,)) for a in ("trash", "restore", "trash", "restore")]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    assert statuses == [302] * 24
    final = stored(app, post.id)
    with app.app_context():
        addresses = db.session.execute(db.select(PostAddress.path)).scalars().all()
        tags = db.session.execute(db.select(Tag.name)).scalars().all()
    assert tags == ["t"] and final.body_markdown == "Text." and [t.name for t in final.tags] == ["t"]
    if final.status == "trash":
        assert (final.slug, final.slug_before_trash, final.status_before_trash) == (
            f"__trashed-{post.id}", "contested", "published")
        assert addresses == [author.url_of(post)]
    else:
        assert (final.status, final.slug, final.trashed_at, final.slug_before_trash) == (
            "published", "contested", None, None)
        assert addresses == []
    # Whatever the order, one more of each works from there.
    restore(author, post.id)
    assert stored(app, post.id).status == "published"
    trash(author, post.id)
    assert stored(app, post.id).status == "trash"
