"""The delivery worker: sending, retries with backoff, final failures, crash recovery, concurrency,
two workers, trackbacks. Remote blogs are real HTTP servers on loopback; time is an argument."""

from __future__ import annotations

import socket
import threading
import time
import xmlrpc.client
from datetime import timedelta

import pytest
from blog_testing import make_app
from pytest_httpserver import HTTPServer
from werkzeug import Response

from blog.extensions import db
from blog.jobs import run_until_idle
from blog.jobs.deliveries import claim_due, deliver_due
from blog.models import Delivery, utcnow


def rows(app, post_id: int) -> list[Delivery]:
    with app.app_context():
        found = db.session.execute(db.select(Delivery).filter_by(post_id=post_id).order_by(Delivery.id)).scalars()
        result = list(found)
        db.session.expunge_all()
        return result


def test_publish_then_deliver_pings_the_linked_blog(app, author, remote_blog):
    target = remote_blog.post_page("/hello/")
    post = author.publish("I liked it", f"I liked [this]({target}).")
    with app.app_context():
        assert deliver_due() == 1
    assert remote_blog.pings == [(author.url_of_external(post), target)]
    (row,) = rows(app, post.id)
    assert (row.status, row.method, row.endpoint, row.attempts) == ("sent", "pingback", remote_blog.url("/xmlrpc"), 1)
    with app.app_context():
        assert deliver_due() == 0  # nothing is due any more


def test_page_without_endpoint_is_final_no_endpoint(app, author, remote_blog):
    post = author.publish("Plain", f"[x]({remote_blog.post_page('/plain/', pingback=None)})")
    with app.app_context():
        deliver_due()
        deliver_due(utcnow() + timedelta(days=1))
    (row,) = rows(app, post.id)
    assert (row.status, row.method, row.attempts) == ("no_endpoint", None, 1)
    assert "neither a webmention endpoint" in row.detail and "nor a pingback server" in row.detail


def test_redirect_chain_to_the_real_page_is_followed(app, author, httpserver, remote_blog):
    final = remote_blog.post_page("/final/")
    httpserver.expect_request("/short").respond_with_response(Response(status=301, headers={"Location": "/mid"}))
    httpserver.expect_request("/mid").respond_with_response(Response(status=302, headers={"Location": final}))
    post = author.publish("Redirected", f"[x]({httpserver.url_for('/short')})")
    with app.app_context():
        deliver_due()
    assert rows(app, post.id)[0].status == "sent"
    assert remote_blog.pings == [(author.url_of_external(post), httpserver.url_for("/short"))]  # as written


def test_huge_page_is_read_only_up_to_the_cap(app, author, httpserver):
    app.config["LINKBACK_MAX_BYTES"] = 50_000
    html = "<html><head></head><body>" + "x" * 3_000_000 + '<link rel="pingback" href="/late"></body></html>'
    httpserver.expect_request("/huge").respond_with_data(html, content_type="text/html")
    post = author.publish("Huge", f"[x]({httpserver.url_for('/huge')})")
    with app.app_context():
        deliver_due()
    assert rows(app, post.id)[0].status == "no_endpoint"  # the late link was past what we read


def test_endpoint_down_then_up_is_retried_with_backoff_and_delivered(app, author, remote_blog):
    answers = iter([Response("down", status=503), None])

    def flaky(request):
        answer = next(answers)
        return answer or remote_blog._xmlrpc(request)

    remote_blog.server.clear_all_handlers()
    remote_blog.server.expect_request("/xmlrpc", method="POST").respond_with_handler(flaky)
    target = remote_blog.post_page("/p/")
    post = author.publish("Flaky", f"[x]({target})")
    now = utcnow()
    with app.app_context():
        deliver_due(now)
    (row,) = rows(app, post.id)
    assert (row.status, row.http_status) == ("retrying", 503)
    assert row.next_attempt_at == now + timedelta(seconds=app.config["LINKBACK_RETRY_BASE_SECONDS"])
    with app.app_context():
        assert deliver_due(now + timedelta(seconds=30)) == 0  # not due yet
        assert deliver_due(row.next_attempt_at) == 1
    (row,) = rows(app, post.id)
    assert (row.status, row.attempts) == ("sent", 2)
    assert remote_blog.pings == [(author.url_of_external(post), target)]


def test_endpoint_that_never_answers_times_out_then_fails_for_good(app, author, httpserver):
    app.config.update(LINKBACK_READ_TIMEOUT_SECONDS=0.3, LINKBACK_MAX_ATTEMPTS=2)
    with socket.socket() as silent:
        silent.bind(("127.0.0.1", 0))
        silent.listen(8)
        endpoint = f"http://127.0.0.1:{silent.getsockname()[1]}/rpc"
        httpserver.expect_request("/p").respond_with_data("<html></html>", headers={"X-Pingback": endpoint})
        post = author.publish("Silent", f"[x]({httpserver.url_for('/p')})")
        now = utcnow()
        with app.app_context():
            deliver_due(now)
            assert rows(app, post.id)[0].status == "retrying"
            deliver_due(now + timedelta(hours=1))
    (row,) = rows(app, post.id)
    assert (row.status, row.attempts, row.next_attempt_at) == ("failed", 2, None)
    assert "Gave up after 2 attempts" in row.detail


@pytest.mark.parametrize("code", [16, 17, 33, 0])
def test_definitive_faults_are_never_retried(app, author, remote_blog, code):
    remote_blog.fault = (code, "no")
    post = author.publish("Fault", f"[x]({remote_blog.post_page('/p/')})")
    with app.app_context():
        deliver_due()
        deliver_due(utcnow() + timedelta(days=2))
    (row,) = rows(app, post.id)
    assert (row.status, row.fault_code, row.attempts) == ("failed", code, 1)
    assert len(remote_blog.pings) == 1


def test_fault_48_counts_as_delivered(app, author, remote_blog):
    remote_blog.fault = (48, "The pingback has already been registered.")
    post = author.publish("Dup", f"[x]({remote_blog.post_page('/p/')})")
    with app.app_context():
        deliver_due()
    assert rows(app, post.id)[0].status == "already_registered"


def test_fault_50_is_retried(app, author, remote_blog):
    remote_blog.fault = (50, "upstream down")
    post = author.publish("Upstream", f"[x]({remote_blog.post_page('/p/')})")
    with app.app_context():
        deliver_due()
    assert rows(app, post.id)[0].status == "retrying"


def test_redirect_to_a_private_address_is_refused_when_not_allowed(app, author, httpserver):
    app.config.update(LINKBACK_ALLOW_PRIVATE=False, LINKBACK_ALLOWED_NETWORKS=["127.0.0.1/32"])
    inner = f"http://127.0.0.2:{httpserver.port}/admin"
    httpserver.expect_request("/p").respond_with_response(Response(status=302, headers={"Location": inner}))
    post = author.publish("Sneaky", f"[x]({httpserver.url_for('/p')})")
    with app.app_context():
        deliver_due()
    (row,) = rows(app, post.id)
    assert row.status == "failed" and "private or local network" in row.detail


def test_trackback_success_with_non_ascii_title_and_excerpt(app, author, remote_blog):
    page = remote_blog.post_page("/tb/", pingback=None)
    post = author.publish("Crème brûlée in 東京", "Ünïcode “quoted” text, and more words here.",
                          trackback_urls=page + "trackback/")
    with app.app_context():
        deliver_due()
    assert rows(app, post.id)[0].status == "sent"
    assert remote_blog.trackbacks == [{
        "url": author.url_of_external(post), "title": "Crème brûlée in 東京",
        "excerpt": "Ünïcode “quoted” text, and more words here.", "blog_name": "Test Blog",
    }]


def test_trackback_error_1_shows_its_message_and_is_not_retried(app, author, remote_blog):
    remote_blog.trackback_reply = (
        '<?xml version="1.0" encoding="utf-8"?><response><error>1</error><message>Sorry, trackbacks are closed '
        "for this item.</message></response>"
    )
    page = remote_blog.post_page("/tb/", pingback=None)
    post = author.publish("TB", "text", trackback_urls=page + "trackback/")
    with app.app_context():
        deliver_due()
        deliver_due(utcnow() + timedelta(days=1))
    (row,) = rows(app, post.id)
    assert (row.status, row.attempts) == ("failed", 1)
    assert "Sorry, trackbacks are closed for this item." in row.detail


def test_trackback_non_xml_answer_is_reported(app, author, httpserver):
    httpserver.expect_request("/tb", method="POST").respond_with_data("<html>thanks</html>", content_type="text/html")
    post = author.publish("TB", "text", trackback_urls=httpserver.url_for("/tb"))
    with app.app_context():
        deliver_due()
    assert "not a TrackBack response (HTTP 200, text/html)" in rows(app, post.id)[0].detail


def test_trackback_to_a_page_already_pinged_is_not_sent_twice(app, author, remote_blog):
    page = remote_blog.post_page("/both/", pingback="header", rdf=True)
    post = author.publish("Both", f"[x]({page})", trackback_urls=page + "trackback/")
    with app.app_context():
        deliver_due()
    link, trackback = rows(app, post.id)
    assert (link.status, trackback.status) == ("sent", "not_sent")
    assert remote_blog.trackbacks == [] and len(remote_blog.pings) == 1


def test_scheduled_post_sends_only_once_live(app, author, remote_blog):
    post = author.publish("Later", f"[x]({remote_blog.post_page('/p/')})", publish_date="2999-01-01T10:00")
    with app.app_context():
        assert deliver_due() == 0
        before = run_until_idle(post.published_at - timedelta(seconds=1))
        assert (before["published"], before["linkbacks"]) == (0, 0)
        # The queues of one pass run side by side, so the post may go live while the delivery
        # queue is already looking: its linkbacks go out in that pass or the next.
        done = run_until_idle(post.published_at + timedelta(seconds=1))
        assert (done["published"], done["linkbacks"]) == (1, 1)
    assert len(remote_blog.pings) == 1


def test_restart_with_queued_and_interrupted_rows_delivers_each_exactly_once(app, author, remote_blog, tmp_path,
                                                                             monkeypatch):
    targets = [remote_blog.post_page(f"/p{i}/") for i in range(4)]
    post = author.publish("Many", " ".join(f"[{i}]({t})" for i, t in enumerate(targets)))
    now = utcnow()
    with app.app_context():  # a worker claims two rows, then the process dies before sending
        claimed = claim_due(now, "crashed-worker", limit=2)
        assert len(claimed) == 2
    # A new process: a fresh app on the same database.
    restarted = make_app(tmp_path, monkeypatch)
    with restarted.app_context():
        assert deliver_due(now) == 2  # the two never claimed
        lease = timedelta(seconds=restarted.config["LINKBACK_LEASE_SECONDS"])
        assert deliver_due(now + lease) == 2  # the interrupted two, once their lease ran out
        assert deliver_due(now + 2 * lease) == 0
    assert sorted(target for _, target in remote_blog.pings) == sorted(targets)
    assert {r.status for r in rows(app, post.id)} == {"sent"}


def test_two_workers_never_send_the_same_row(app, author, remote_blog):
    targets = [remote_blog.post_page(f"/p{i}/") for i in range(10)]
    author.publish("Race", " ".join(f"[{i}]({t})" for i, t in enumerate(targets)))
    done, errors = [], []

    def work():
        try:
            with app.app_context():
                done.append(deliver_due())
        except Exception as error:  # pragma: no cover - reported below
            errors.append(error)

    workers = [threading.Thread(target=work) for _ in range(2)]
    for thread in workers:
        thread.start()
    for thread in workers:
        thread.join(30)
    assert errors == []
    assert sum(done) == 10
    assert sorted(target for _, target in remote_blog.pings) == sorted(targets)


def test_twenty_slow_targets_are_sent_concurrently(app, author):
    """20 pingback servers that each take 1 s: each pass claims only what it sends at once,
    LINKBACK_CONCURRENCY rows, and keeps that many of them busy together (asserted by what the
    servers saw, not by a clock); three passes deliver all 20."""
    in_flight, peak, lock = [0], [0], threading.Lock()

    def slow_xmlrpc(request):
        with lock:
            in_flight[0] += 1
            peak[0] = max(peak[0], in_flight[0])
        time.sleep(1)
        with lock:
            in_flight[0] -= 1
        return Response(xmlrpc.client.dumps(("ok",), methodresponse=True), content_type="text/xml")

    server = HTTPServer(threaded=True)
    server.start()
    try:
        server.expect_request("/xmlrpc", method="POST").respond_with_handler(slow_xmlrpc)
        for i in range(20):
            server.expect_request(f"/p{i}").respond_with_data(
                "<html></html>", content_type="text/html", headers={"X-Pingback": server.url_for("/xmlrpc")}
            )
        post = author.publish("Slow", " ".join(f"[{i}]({server.url_for(f'/p{i}')})" for i in range(20)))
        with app.app_context():
            passes = [deliver_due() for _ in range(4)]
    finally:
        server.clear()
        server.stop()
    assert passes == [8, 8, 4, 0]
    assert peak[0] == app.config["LINKBACK_CONCURRENCY"] == 8
    assert {r.status for r in rows(app, post.id)} == {"sent"}
    assert len(rows(app, post.id)) == 20
