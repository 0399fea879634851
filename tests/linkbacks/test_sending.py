"""One delivery attempt: pingback and trackback answers classified as sent, final or transient."""

from __future__ import annotations

import socket
import xmlrpc.client

import pytest
from werkzeug import Response

from blog.linkbacks import faults
from blog.linkbacks.http import FetchPolicy
from blog.linkbacks.sending import Result, discover_target, send_pingback, send_trackback

SOURCE = "http://our.blog.example/2026/11/21/hello/"


def test_pingback_success(remote_blog, policy):
    target = remote_blog.post_page("/post/")
    outcome = send_pingback(remote_blog.url("/xmlrpc"), SOURCE, target, policy)
    assert outcome.result == Result.SENT and outcome.is_delivered
    assert remote_blog.pings == [(SOURCE, target)]


@pytest.mark.parametrize(
    ("code", "result", "words"),
    [
        (faults.GENERIC, Result.FAILED, "without saying why"),
        (faults.SOURCE_NOT_FOUND, Result.FAILED, "could not fetch our post"),
        (faults.SOURCE_LACKS_LINK, Result.FAILED, "did not find a link"),
        (faults.TARGET_NOT_FOUND, Result.FAILED, "does not exist"),
        (faults.TARGET_CANNOT_BE_USED, Result.FAILED, "does not accept pingbacks"),
        (faults.ALREADY_REGISTERED, Result.ALREADY_REGISTERED, "already had"),
        (faults.ACCESS_DENIED, Result.FAILED, "denied access"),
        (faults.UPSTREAM_ERROR, Result.TRANSIENT, "upstream"),
        (faults.METHOD_NOT_FOUND, Result.FAILED, "does not offer pingback.ping"),
        (429, Result.FAILED, "fault 429"),
    ],
)
def test_each_fault_in_plain_words(remote_blog, policy, code, result, words):
    remote_blog.fault = (code, "remote says hi")
    outcome = send_pingback(remote_blog.url("/xmlrpc"), SOURCE, remote_blog.url("/p"), policy)
    assert outcome.result == result
    assert outcome.fault_code == code
    assert words in outcome.detail and "remote says hi" in outcome.detail


def test_already_registered_counts_as_delivered(remote_blog, policy):
    remote_blog.fault = (48, "The pingback has already been registered.")
    assert send_pingback(remote_blog.url("/xmlrpc"), SOURCE, remote_blog.url("/p"), policy).is_delivered


def test_http_5xx_from_pingback_server_is_transient(httpserver, policy):
    httpserver.expect_request("/rpc", method="POST").respond_with_data("down", status=503)
    outcome = send_pingback(httpserver.url_for("/rpc"), SOURCE, "http://t/", policy)
    assert outcome.result == Result.TRANSIENT and outcome.http_status == 503


def test_http_404_from_pingback_server_is_final(httpserver, policy):
    httpserver.expect_request("/rpc", method="POST").respond_with_data("nope", status=404)
    outcome = send_pingback(httpserver.url_for("/rpc"), SOURCE, "http://t/", policy)
    assert outcome.result == Result.FAILED and outcome.detail == "The pingback server answered 404 Not Found: “nope”"


def test_non_xmlrpc_answer_is_final(httpserver, policy):
    httpserver.expect_request("/rpc", method="POST").respond_with_data("<html>hello</html>")
    outcome = send_pingback(httpserver.url_for("/rpc"), SOURCE, "http://t/", policy)
    assert outcome.result == Result.FAILED and "not XML-RPC" in outcome.detail


def test_refused_connection_is_transient(policy):
    with socket.socket() as closed:
        closed.bind(("127.0.0.1", 0))
        port = closed.getsockname()[1]
    outcome = send_pingback(f"http://127.0.0.1:{port}/rpc", SOURCE, "http://t/", policy)
    assert outcome.result == Result.TRANSIENT


def test_endpoint_that_never_answers_times_out_as_transient():
    with socket.socket() as silent:
        silent.bind(("127.0.0.1", 0))
        silent.listen(1)
        port = silent.getsockname()[1]
        outcome = send_pingback(
            f"http://127.0.0.1:{port}/rpc", SOURCE, "http://t/", FetchPolicy(allow_private=True, read_timeout=0.5)
        )
    assert outcome.result == Result.TRANSIENT


def test_private_endpoint_refused_when_not_allowed(remote_blog):
    outcome = send_pingback(remote_blog.url("/xmlrpc"), SOURCE, "http://t/", FetchPolicy())
    assert outcome.result == Result.FAILED and "private or local" in outcome.detail
    assert remote_blog.pings == []


def test_discovery_of_a_failing_page_is_transient(httpserver, policy):
    httpserver.expect_request("/p").respond_with_data("oops", status=502)
    assert discover_target(httpserver.url_for("/p"), policy).result == Result.TRANSIENT


def test_trackback_success_carries_utf8_fields(remote_blog, policy):
    page = remote_blog.post_page("/tb/", pingback=None)
    outcome = send_trackback(
        page + "trackback/", url=SOURCE, title="Crème brûlée — 東京", excerpt="Ünïcode “quotes”",
        blog_name="Zoë's blog", policy=policy,
    )
    assert outcome.result == Result.SENT
    assert remote_blog.trackbacks == [
        {"url": SOURCE, "title": "Crème brûlée — 東京", "excerpt": "Ünïcode “quotes”", "blog_name": "Zoë's blog"}
    ]
    request, _ = remote_blog.server.log[-1]
    assert request.headers["Content-Type"] == "application/x-www-form-urlencoded; charset=utf-8"


def test_trackback_error_1_message_shown(remote_blog, policy):
    remote_blog.trackback_reply = (
        '<?xml version="1.0" encoding="utf-8"?><response><error>1</error>'
        "<message>There is already a ping from that URL for this post.</message></response>"
    )
    page = remote_blog.post_page("/tb/", pingback=None)
    outcome = send_trackback(page + "trackback/", url=SOURCE, title="t", excerpt="e", blog_name="b", policy=policy)
    assert outcome.result == Result.FAILED
    assert "There is already a ping from that URL for this post." in outcome.detail


def test_trackback_non_xml_answer_reported(httpserver, policy):
    httpserver.expect_request("/tb", method="POST").respond_with_data("", content_type="text/html")
    outcome = send_trackback(
        httpserver.url_for("/tb"), url=SOURCE, title="t", excerpt="e", blog_name="b", policy=policy
    )
    assert outcome.result == Result.FAILED and "not a TrackBack response (HTTP 200, text/html)" in outcome.detail


def test_trackback_http_500_is_transient_and_404_final(httpserver, policy):
    httpserver.expect_request("/down", method="POST").respond_with_data("x", status=500)
    httpserver.expect_request("/gone", method="POST").respond_with_response(Response("<h1>404</h1>", status=404))
    assert send_trackback(httpserver.url_for("/down"), url=SOURCE, title="t", excerpt="", blog_name="",
                          policy=policy).result == Result.TRANSIENT
    gone = send_trackback(httpserver.url_for("/gone"), url=SOURCE, title="t", excerpt="", blog_name="", policy=policy)
    assert gone.result == Result.FAILED and "answered 404 Not Found" in gone.detail


def test_fault_with_bad_code_type_is_generic(httpserver, policy):
    body = xmlrpc.client.dumps(xmlrpc.client.Fault("weird", "x"), methodresponse=True).replace(
        "<int>weird</int>", "<string>weird</string>"
    )
    httpserver.expect_request("/rpc", method="POST").respond_with_data(body, content_type="text/xml")
    outcome = send_pingback(httpserver.url_for("/rpc"), SOURCE, "http://t/", policy)
    assert outcome.result == Result.FAILED and outcome.fault_code == faults.GENERIC
