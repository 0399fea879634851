"""Sending webmentions (WM-7, WM-8): webmention before pingback, one protocol per page, the answers
classified (2xx sent, 4xx final, 5xx retried), and the pages of removed links told on update.
Linked pages and endpoints are real servers on loopback; time is an argument."""

from __future__ import annotations

import socket
from datetime import timedelta

import pytest
from webmention_peers import WebmentionPeer
from werkzeug import Response

from blog.extensions import db
from blog.jobs.deliveries import deliver_due
from blog.linkbacks.outbox import resend
from blog.linkbacks.sending import Result, send_webmention
from blog.models import Delivery, utcnow

SOURCE = "http://our.blog.example/2026/11/21/hello/"


@pytest.fixture
def peer(remote_blog):
    return WebmentionPeer(remote_blog.server)  # after the remote blog's /xmlrpc, which keeps answering pingbacks


def offer(peer, remote_blog, path: str, webmention: bool = True, pingback: bool = False) -> str:
    """Serve (or change) a post page offering a webmention endpoint (Link header) and/or a pingback server."""
    headers = []
    if webmention:
        headers.append(("Link", f'<{peer.endpoint("/webmention")}>; rel="webmention"'))
    if pingback:
        headers.append(("X-Pingback", remote_blog.url("/xmlrpc")))
    return peer.page(path, headers=headers)


def rows(app, post_id: int) -> list[Delivery]:
    with app.app_context():
        found = db.session.execute(db.select(Delivery).filter_by(post_id=post_id).order_by(Delivery.id)).scalars()
        result = list(found)
        db.session.expunge_all()
        return result


def deliver(app, now=None) -> int:
    with app.app_context():
        return deliver_due(now)


@pytest.mark.parametrize(
    ("webmention", "pingback", "method", "status"),
    [(True, True, "webmention", "sent"), (True, False, "webmention", "sent"), (False, True, "pingback", "sent"),
     (False, False, None, "no_endpoint")],
)
def test_webmention_is_chosen_before_pingback(app, author, remote_blog, peer, webmention, pingback, method, status):
    target = offer(peer, remote_blog, "/post/", webmention=webmention, pingback=pingback)
    post = author.publish("Choice", f"I liked [this]({target}).")
    assert deliver(app) == 1
    source = author.url_of_external(post)
    assert peer.mentions() == ([(source, target)] if method == "webmention" else [])
    assert remote_blog.pings == ([(source, target)] if method == "pingback" else [])
    (row,) = rows(app, post.id)
    assert (row.status, row.method) == (status, method)
    if status == "no_endpoint":
        assert "neither a webmention endpoint" in row.detail and "nor a pingback server" in row.detail


def test_201_records_the_status_page(app, author, remote_blog, peer):
    peer.endpoint("/webmention", Response("", status=201, headers={"Location": "/webmention/status/42"}))
    post = author.publish("Created", f"[x]({offer(peer, remote_blog, '/post/')})")
    deliver(app)
    (row,) = rows(app, post.id)
    assert (row.status, row.http_status) == ("sent", 201)
    assert f"status page is {peer.url('/webmention/status/42')}" in row.detail


def test_202_counts_as_sent_and_queued_on_their_side(app, author, remote_blog, peer):
    post = author.publish("Accepted", f"[x]({offer(peer, remote_blog, '/post/')})")
    deliver(app)
    (row,) = rows(app, post.id)
    assert (row.status, row.http_status, row.endpoint) == ("sent", 202, peer.url("/webmention"))
    assert "will check it later" in row.detail


def test_400_is_final_and_shows_the_reason_as_plain_text(app, author, remote_blog, peer):
    html = "<html><body><h1>Bad request</h1><p>source_not_found:  " + "why " * 100 + "</p></body></html>"
    peer.endpoint("/webmention", Response(html, status=400, content_type="text/html"))
    post = author.publish("Refused", f"[x]({offer(peer, remote_blog, '/post/')})")
    deliver(app)
    deliver(app, utcnow() + timedelta(days=1))
    (row,) = rows(app, post.id)
    assert (row.status, row.http_status, row.attempts) == ("failed", 400, 1)
    reason = row.detail.split("“", 1)[1].rstrip("”")
    assert reason.startswith("Bad request source_not_found: why why") and len(reason) == 200
    assert "<" not in row.detail and len(peer.received) == 1


def test_500_is_retried_with_backoff_then_sent(app, author, remote_blog, peer):
    peer.endpoint("/webmention", Response("down", status=500))
    post = author.publish("Flaky", f"[x]({offer(peer, remote_blog, '/post/')})")
    now = utcnow()
    deliver(app, now)
    (row,) = rows(app, post.id)
    assert (row.status, row.http_status, row.method) == ("retrying", 500, "webmention")
    peer.endpoint("/webmention", Response("Accepted", status=202))
    assert deliver(app, row.next_attempt_at) == 1
    (row,) = rows(app, post.id)
    assert (row.status, row.attempts) == ("sent", 2)
    assert len(peer.mentions()) == 2


def test_unreachable_endpoint_is_transient(policy):
    with socket.socket() as closed:
        closed.bind(("127.0.0.1", 0))
        port = closed.getsockname()[1]
    outcome = send_webmention(f"http://127.0.0.1:{port}/webmention", SOURCE, "http://t.example/p", policy)
    assert outcome.result == Result.TRANSIENT and outcome.endpoint.endswith("/webmention")


def test_update_never_sends_a_linked_page_a_second_webmention(app, author, remote_blog, peer):
    first, second = offer(peer, remote_blog, "/one/"), offer(peer, remote_blog, "/two/")
    post = author.publish("Post", f"[1]({first})")
    deliver(app)
    author.save("Post", f"[1]({first}) and now [2]({second})", post_id=post.id)
    deliver(app)
    author.save("Post", f"[1]({first}) [2]({second}) edited again", post_id=post.id)
    assert deliver(app) == 0
    source = author.url_of_external(post)
    assert peer.mentions() == [(source, first), (source, second)]


def test_removed_link_is_told_by_webmention_on_update(app, author, remote_blog, peer):
    """webmention.rocks "update 2": the page whose link was removed hears again, so it can drop
    the mention; the page still linked does not."""
    kept, dropped = offer(peer, remote_blog, "/kept/"), offer(peer, remote_blog, "/dropped/")
    post = author.publish("Post", f"[1]({kept}) [2]({dropped})")
    deliver(app)
    author.save("Post", f"Only [1]({kept}) now.", post_id=post.id)
    (_, waiting) = rows(app, post.id)
    assert (waiting.status, waiting.attempts, waiting.method) == ("queued", 0, "webmention")
    assert deliver(app) == 1
    source = author.url_of_external(post)
    # The first two were sent concurrently: compare what arrived, not in which order.
    assert sorted(peer.mentions()) == sorted([(source, kept), (source, dropped), (source, dropped)])
    assert peer.mentions()[-1] == (source, dropped)  # the removal notice came after both
    (kept_row, dropped_row) = rows(app, post.id)
    assert (kept_row.status, dropped_row.status) == ("sent", "sent")
    assert (kept_row.removal_announced, dropped_row.removal_announced) == (False, True)
    assert dropped_row.detail.startswith("Link removed: told the receiver.")
    author.save("Post", f"Only [1]({kept}), edited again.", post_id=post.id)
    assert deliver(app) == 0  # told once is enough
    assert remote_blog.pings == []


def test_removed_link_whose_page_dropped_webmention_gets_no_endpoint_not_a_pingback(app, author, remote_blog, peer):
    target = offer(peer, remote_blog, "/post/", webmention=True)
    post = author.publish("Post", f"[x]({target})")
    deliver(app)
    offer(peer, remote_blog, "/post/", webmention=False, pingback=True)
    author.save("Post", "No link any more.", post_id=post.id)
    assert deliver(app) == 1
    (row,) = rows(app, post.id)
    assert (row.status, row.method) == ("no_endpoint", "webmention")
    assert "no longer offers webmention" in row.detail
    assert remote_blog.pings == [] and len(peer.mentions()) == 1


def test_removed_link_that_got_a_pingback_is_left_alone(app, author, remote_blog, peer):
    target = offer(peer, remote_blog, "/post/", webmention=False, pingback=True)
    post = author.publish("Post", f"[x]({target})")
    deliver(app)
    offer(peer, remote_blog, "/post/", webmention=True, pingback=True)
    author.save("Post", "No link any more.", post_id=post.id)
    assert deliver(app) == 0
    assert len(remote_blog.pings) == 1 and peer.received == []


def test_page_pinged_before_is_never_sent_a_webmention(app, author, remote_blog, peer):
    """Resend after the page started offering webmention: it hears by pingback again, never by both."""
    target = offer(peer, remote_blog, "/post/", webmention=False, pingback=True)
    post = author.publish("Post", f"[x]({target})")
    deliver(app)
    offer(peer, remote_blog, "/post/", webmention=True, pingback=True)
    (row,) = rows(app, post.id)
    with app.app_context():
        resend([db.session.get(Delivery, row.id)])
    deliver(app)
    assert len(remote_blog.pings) == 2 and peer.received == []
    assert rows(app, post.id)[0].method == "pingback"


def test_webmention_retry_never_falls_back_to_pingback(app, author, remote_blog, peer):
    peer.endpoint("/webmention", Response("down", status=503))
    target = offer(peer, remote_blog, "/post/", webmention=True, pingback=True)
    post = author.publish("Post", f"[x]({target})")
    now = utcnow()
    deliver(app, now)
    offer(peer, remote_blog, "/post/", webmention=False, pingback=True)
    deliver(app, now + timedelta(days=1))
    (row,) = rows(app, post.id)
    assert (row.status, row.method) == ("no_endpoint", "webmention")
    assert "a pingback is not sent instead" in row.detail
    assert remote_blog.pings == []


def test_trackback_to_a_page_that_got_our_webmention_is_not_sent(app, author, remote_blog, peer):
    target = offer(peer, remote_blog, "/post/")
    post = author.publish("Both", f"[x]({target})", trackback_urls=target + "trackback/")
    deliver(app)
    link, trackback = rows(app, post.id)
    assert (link.status, link.method) == ("sent", "webmention")
    assert trackback.status == "not_sent"
    assert trackback.detail == "Not sent: this page already got our webmention."
    assert [r.path for r in peer.received] == ["/webmention"]


def test_link_put_back_after_its_removal_was_told_is_announced_again(app, author, remote_blog, peer):
    target = offer(peer, remote_blog, "/post/")
    post = author.publish("Post", f"[x]({target})")
    deliver(app)
    author.save("Post", "No link.", post_id=post.id)
    deliver(app)
    author.save("Post", f"The [link]({target}) is back.", post_id=post.id)
    assert deliver(app) == 1
    (row,) = rows(app, post.id)
    assert row.status == "sent" and not row.detail.startswith("Link removed")
    assert len(peer.mentions("/webmention")) == 3
    author.save("Post", f"The [link]({target}) is back, edited.", post_id=post.id)
    assert deliver(app) == 0
