"""Changed addresses (issue 13): a published post whose slug or date changes keeps its old address
for good, answering 301 to the new one; chains collapse; a new post at an old address wins it; old
addresses keep taking linkbacks for the post."""

from __future__ import annotations

import xmlrpc.client
from urllib.parse import urlsplit

import pytest
import requests
from blog_testing import snapshot

from blog.extensions import db
from blog.models import Comment, IncomingWebmention, Post, PostAddress


def moves_to(client, path: str) -> str:
    """Where the address sends a reader in one 301 (the path of its Location)."""
    response = client.get(path)
    assert response.status_code == 301, (path, response.status_code)
    return urlsplit(response.headers["Location"]).path


def edit(author, post, **fields):
    fields.setdefault("body", post.body_markdown)
    response = author.save(fields.pop("title", post.title), post_id=post.id, **fields)
    assert response.status_code == 302, response.get_data(as_text=True)[:1000]
    return author.post(post.id)


def test_new_slug_leaves_a_301_at_the_old_address(author, visitor):
    post = author.publish("First title", "Text.", publish_date="2024-02-03T10:00")
    renamed = edit(author, post, slug="better-title", publish_date="2024-02-03T10:00")
    assert author.url_of(renamed) == "/2024/02/03/better-title/"
    assert moves_to(visitor, "/2024/02/03/first-title/") == "/2024/02/03/better-title/"
    assert moves_to(visitor, "/2024/02/03/first-title/feed/") == "/2024/02/03/better-title/feed/"
    assert "Text." in visitor.get("/2024/02/03/better-title/").get_data(as_text=True)


def test_new_date_leaves_a_301_even_when_the_slug_is_reused_on_the_old_date_later(author, visitor):
    post = author.publish("Dated", "Original.", publish_date="2024-02-03T10:00")
    edit(author, post, publish_date="2024-07-08T10:00")
    assert moves_to(visitor, "/2024/02/03/dated/") == "/2024/07/08/dated/"


def test_chains_collapse_into_one_hop(author, visitor):
    post = author.publish("A", "Text.", slug="a", publish_date="2024-02-03T10:00")
    post = edit(author, post, slug="b", publish_date="2024-02-03T10:00")
    post = edit(author, post, slug="c", publish_date="2024-04-05T10:00")
    for old in ("/2024/02/03/a/", "/2024/02/03/b/"):
        assert moves_to(visitor, old) == "/2024/04/05/c/", old  # straight to C, never through B
    assert visitor.get("/2024/04/05/c/").status_code == 200


def test_going_back_to_an_old_address_makes_it_live_again_without_a_loop(app, author, visitor):
    post = author.publish("Back", "Text.", slug="x", publish_date="2024-02-03T10:00")
    post = edit(author, post, slug="y", publish_date="2024-02-03T10:00")
    edit(author, post, slug="x", publish_date="2024-02-03T10:00")
    assert visitor.get("/2024/02/03/x/").status_code == 200
    assert moves_to(visitor, "/2024/02/03/y/") == "/2024/02/03/x/"
    with app.app_context():
        assert db.session.execute(db.select(PostAddress.path)).scalars().all() == ["/2024/02/03/y/"]


def test_a_new_post_taking_an_old_address_wins_over_the_redirect(app, author, visitor):
    moved = author.publish("Taken", "The moved one.", publish_date="2024-02-03T10:00")
    moved = edit(author, moved, slug="moved-away", publish_date="2024-02-03T10:00")
    author.publish("Taken", "The newcomer.", publish_date="2024-02-03T15:00")
    assert "The newcomer." in visitor.get("/2024/02/03/taken/").get_data(as_text=True)
    # Should the newcomer move on too, the address is its own old one from then on.
    with app.app_context():
        newcomer_id = db.session.execute(db.select(Post.id).filter_by(slug="taken")).scalar_one()
    edit(author, author.post(newcomer_id), slug="newcomer", publish_date="2024-02-03T15:00")
    assert moves_to(visitor, "/2024/02/03/taken/") == "/2024/02/03/newcomer/"


def test_drafts_and_scheduled_posts_leave_no_old_address(app, author, visitor):
    response = author.save("Draft", "Text.", action="draft", publish_date="2024-02-03T10:00")
    draft = author.post(int(response.headers["Location"].rstrip("/").split("/")[-2]))
    edit(author, draft, slug="renamed-draft", action="draft", publish_date="2024-02-03T10:00")
    later = author.publish("Later", "Text.", publish_date="2031-01-01T10:00")
    edit(author, later, slug="later-still", publish_date="2031-01-02T10:00")
    with app.app_context():
        assert db.session.execute(db.select(PostAddress)).scalars().all() == []
    assert visitor.get("/2024/02/03/draft/").status_code == 404


def test_an_unrelated_edit_records_nothing(app, author):
    post = author.publish("Steady", "One.", publish_date="2024-02-03T10:00")
    edit(author, post, body="Two.", publish_date="2024-02-03T10:00")
    edit(author, post, body="Three.")  # the date field left as the editor showed it
    with app.app_context():
        assert db.session.execute(db.select(PostAddress)).scalars().all() == []


# --- linkbacks to an old address reach the post ------------------------------------------------


@pytest.fixture
def moved(app, author, live_server):
    """A published post that moved: its old and new URLs on the live server."""
    post = author.publish("Moved post", "Worth linking.", publish_date="2024-02-03T10:00")
    post = edit(author, post, slug="moved-post-new", publish_date="2024-02-03T10:00")
    return post, live_server.url + "/2024/02/03/moved-post/", live_server.url + author.url_of(post)


def test_pingback_to_the_old_address_targets_the_post(app, moved, live_server, httpserver):
    post, old_url, _ = moved
    httpserver.expect_request("/src").respond_with_data(
        f'<html><head><title>S</title></head><body><a href="{old_url}">old link</a></body></html>',
        content_type="text/html")
    rpc = xmlrpc.client.ServerProxy(live_server.url + "/xmlrpc")
    assert "received" in rpc.pingback.ping(httpserver.url_for("/src"), old_url)
    with app.app_context():
        (stored,) = db.session.execute(db.select(Comment)).scalars()
        assert (stored.post_id, stored.target_url, stored.kind) == (post.id, old_url, "pingback")


def test_webmention_and_trackback_to_the_old_address_reach_the_post(app, moved, httpserver):
    post, old_url, _ = moved
    answer = requests.post(urlsplit(old_url)._replace(path="/webmention").geturl(),
                           data={"source": httpserver.url_for("/src"), "target": old_url}, timeout=5)
    assert answer.status_code == 201
    ping = requests.post(old_url + "trackback/", data={"url": "https://other.example/p", "title": "Their post"},
                         timeout=5)
    assert ping.status_code == 200 and "<error>0</error>" in ping.text
    with app.app_context():
        assert db.session.execute(db.select(IncomingWebmention.post_id)).scalars().all() == [post.id]
        assert db.session.execute(db.select(Comment.post_id)).scalars().all() == [post.id]


def test_an_old_address_of_a_trashed_post_answers_410(app, author, visitor):
    post = author.publish("Will go", "Text.", publish_date="2024-02-03T10:00")
    post = edit(author, post, slug="will-go-later", publish_date="2024-02-03T10:00")
    before = snapshot(app)["post_addresses"]
    token = author.token()
    assert author.client.post(f"/admin/posts/{post.id}/trash", data={"csrf_token": token}).status_code == 302
    assert len(snapshot(app)["post_addresses"]) == len(before) + 1
    for address in ("/2024/02/03/will-go/", "/2024/02/03/will-go-later/"):
        assert visitor.get(address).status_code == 410, address
    author.client.post(f"/admin/posts/{post.id}/restore", data={"csrf_token": token})
    assert moves_to(visitor, "/2024/02/03/will-go/") == "/2024/02/03/will-go-later/"
    assert visitor.get("/2024/02/03/will-go-later/").status_code == 200
