"""Webmention endpoint discovery (WM-1..5), one test per webmention.rocks discovery test 1-23
(LINKBACKS.md 3.3): each page serves the same headers and HTML on loopback, a post linking to it is
published through the editor, and one worker pass must POST source and target exactly once, to the
right endpoint, and never to a decoy."""

from __future__ import annotations

import pytest
from webmention_peers import Received, WebmentionPeer
from werkzeug import Response

from blog.extensions import db
from blog.jobs.deliveries import deliver_due
from blog.models import Delivery

FORM = "application/x-www-form-urlencoded"


@pytest.fixture
def peer(httpserver):
    return WebmentionPeer(httpserver)


def send_to(app, author, target: str) -> str:
    """Publish a post linking to target and run one worker pass; returns the post's URL (the source)."""
    post = author.publish("Rocks", f"Testing [this page]({target}) for discovery.")
    with app.app_context():
        assert deliver_due() == 1
    return author.url_of_external(post)


def assert_sent_only_to(app, peer, path: str, source: str, target: str, query: str = "") -> None:
    """Exactly one POST arrived, at path (with its query string untouched), holding source and target only."""
    assert peer.received == [Received(path, query, FORM, {"source": [source], "target": [target]})]
    with app.app_context():
        row = db.session.execute(db.select(Delivery)).scalar_one()
        endpoint = peer.url(path) + (f"?{query}" if query else "")
        assert (row.status, row.method, row.endpoint) == ("sent", "webmention", endpoint)


def test_1_link_header_unquoted_rel_relative_url(app, author, peer):
    peer.endpoint("/test/1/webmention")
    target = peer.page("/test/1", headers=[("Link", "</test/1/webmention>; rel=webmention")])
    assert_sent_only_to(app, peer, "/test/1/webmention", send_to(app, author, target), target)


def test_2_link_header_unquoted_rel_absolute_url(app, author, peer):
    endpoint = peer.endpoint("/test/2/webmention")
    target = peer.page("/test/2", headers=[("Link", f"<{endpoint}>; rel=webmention")])
    assert_sent_only_to(app, peer, "/test/2/webmention", send_to(app, author, target), target)


def test_3_link_element_relative_url(app, author, peer):
    peer.endpoint("/test/3/webmention")
    target = peer.page("/test/3", head='<link rel="webmention" href="/test/3/webmention">')
    assert_sent_only_to(app, peer, "/test/3/webmention", send_to(app, author, target), target)


def test_4_link_element_href_first_absolute_url(app, author, peer):
    endpoint = peer.endpoint("/test/4/webmention")
    target = peer.page("/test/4", head=f'<link href="{endpoint}" rel="webmention">')
    assert_sent_only_to(app, peer, "/test/4/webmention", send_to(app, author, target), target)


def test_5_a_element_relative_url(app, author, peer):
    peer.endpoint("/test/5/webmention")
    target = peer.page("/test/5", body='<p>Send to my <a rel="webmention" href="/test/5/webmention">endpoint</a>.</p>')
    assert_sent_only_to(app, peer, "/test/5/webmention", send_to(app, author, target), target)


def test_6_a_element_href_first_absolute_url(app, author, peer):
    endpoint = peer.endpoint("/test/6/webmention")
    target = peer.page("/test/6", body=f'<p>My <a href="{endpoint}" rel="webmention">endpoint</a>.</p>')
    assert_sent_only_to(app, peer, "/test/6/webmention", send_to(app, author, target), target)


def test_7_link_header_name_in_odd_casing(app, author, peer):
    endpoint = peer.endpoint("/test/7/webmention")
    target = peer.page("/test/7", headers=[("LinK", f"<{endpoint}>; rel=webmention")])
    assert_sent_only_to(app, peer, "/test/7/webmention", send_to(app, author, target), target)


def test_8_link_header_quoted_rel(app, author, peer):
    endpoint = peer.endpoint("/test/8/webmention")
    target = peer.page("/test/8", headers=[("Link", f'<{endpoint}>; rel="webmention"')])
    assert_sent_only_to(app, peer, "/test/8/webmention", send_to(app, author, target), target)


def test_9_link_element_with_several_rel_values(app, author, peer):
    endpoint = peer.endpoint("/test/9/webmention")
    target = peer.page("/test/9", head=f'<link rel="webmention somethingelse" href="{endpoint}">')
    assert_sent_only_to(app, peer, "/test/9/webmention", send_to(app, author, target), target)


def test_10_link_header_with_several_rel_values(app, author, peer):
    endpoint = peer.endpoint("/test/10/webmention")
    target = peer.page("/test/10", headers=[("Link", f'<{endpoint}>; rel="webmention somethingelse"')])
    assert_sent_only_to(app, peer, "/test/10/webmention", send_to(app, author, target), target)


def test_11_link_header_wins_over_link_and_a_elements(app, author, peer):
    peer.endpoint("/test/11/webmention")
    target = peer.page(
        "/test/11",
        head='<link rel="webmention" href="/test/11/webmention/error">',
        body='<p>Also an <a href="/test/11/webmention/error" rel="webmention">a element</a>.</p>',
        headers=[("Link", '</test/11/webmention>; rel="webmention"')],
    )
    assert_sent_only_to(app, peer, "/test/11/webmention", send_to(app, author, target), target)


def test_12_rel_must_match_the_exact_token(app, author, peer):
    peer.endpoint("/test/12/webmention")
    target = peer.page(
        "/test/12",
        head='<link rel="not-webmention" href="/test/12/webmention/error">',
        body='<p>The <a href="/test/12/webmention" rel="webmention">right endpoint</a>.</p>',
    )
    assert_sent_only_to(app, peer, "/test/12/webmention", send_to(app, author, target), target)


def test_13_element_inside_an_html_comment_is_ignored(app, author, peer):
    peer.endpoint("/test/13/webmention")
    target = peer.page("/test/13", body=(
        '<p>A comment <!-- <a href="/test/13/webmention/error" rel="webmention"></a> --> and then the '
        '<a href="/test/13/webmention" rel="webmention">right endpoint</a>.</p>'
    ))
    assert_sent_only_to(app, peer, "/test/13/webmention", send_to(app, author, target), target)


def test_14_escaped_html_is_ignored(app, author, peer):
    peer.endpoint("/test/14/webmention")
    target = peer.page("/test/14", body=(
        '<p>Sample code: <code>&lt;a href="/test/14/webmention/error" rel="webmention"&gt;&lt;/a&gt;</code> '
        'and the <a href="/test/14/webmention" rel="webmention">right endpoint</a>.</p>'
    ))
    assert_sent_only_to(app, peer, "/test/14/webmention", send_to(app, author, target), target)


def test_15_empty_href_makes_the_page_its_own_endpoint(app, author, peer):
    peer.endpoint("/test/15")
    target = peer.page("/test/15", head='<link rel="webmention" href="">')
    assert_sent_only_to(app, peer, "/test/15", send_to(app, author, target), target)


def test_16_a_before_link_the_a_wins(app, author, peer):
    peer.endpoint("/test/16/webmention")
    target = peer.page("/test/16", body=(
        '<p>First an <a href="/test/16/webmention" rel="webmention">a element</a>, then a link element '
        '<link rel="webmention" href="/test/16/webmention/error">.</p>'
    ))
    assert_sent_only_to(app, peer, "/test/16/webmention", send_to(app, author, target), target)


def test_17_link_before_a_the_link_wins(app, author, peer):
    peer.endpoint("/test/17/webmention")
    target = peer.page("/test/17", body=(
        '<p>First a link element <link rel="webmention" href="/test/17/webmention">, then an '
        '<a href="/test/17/webmention/error" rel="webmention">a element</a>.</p>'
    ))
    assert_sent_only_to(app, peer, "/test/17/webmention", send_to(app, author, target), target)


def test_18_two_link_headers_the_first_another_rel(app, author, peer):
    endpoint = peer.endpoint("/test/18/webmention")
    target = peer.page("/test/18", headers=[
        ("Link", f'<{peer.url("/test/18/webmention/error")}>; rel="other"'),
        ("Link", f'<{endpoint}>; rel="webmention"'),
    ])
    assert_sent_only_to(app, peer, "/test/18/webmention", send_to(app, author, target), target)


def test_19_one_link_header_with_two_links(app, author, peer):
    endpoint = peer.endpoint("/test/19/webmention")
    error = peer.url("/test/19/webmention/error")
    target = peer.page("/test/19", headers=[("Link", f'<{error}>; rel="other", <{endpoint}>; rel="webmention"')])
    assert_sent_only_to(app, peer, "/test/19/webmention", send_to(app, author, target), target)


def test_20_link_element_without_href_is_skipped(app, author, peer):
    peer.endpoint("/test/20/webmention")
    target = peer.page("/test/20", body=(
        '<p>A link element without href <link rel="webmention"> must be skipped for '
        '<a href="/test/20/webmention" rel="webmention">this endpoint</a>.</p>'
    ))
    assert_sent_only_to(app, peer, "/test/20/webmention", send_to(app, author, target), target)


def test_21_query_string_of_the_endpoint_is_kept_in_the_url(app, author, peer):
    peer.endpoint("/test/21/webmention?query=yes")
    target = peer.page("/test/21", head='<link rel="webmention" href="/test/21/webmention?query=yes">')
    assert_sent_only_to(app, peer, "/test/21/webmention", send_to(app, author, target), target, query="query=yes")


def test_22_endpoint_relative_to_the_page_path(app, author, peer):
    peer.endpoint("/test/22/webmention")
    target = peer.page("/test/22", head='<link rel="webmention" href="22/webmention">')
    assert_sent_only_to(app, peer, "/test/22/webmention", send_to(app, author, target), target)


def test_23_redirect_to_a_one_time_page_with_relative_endpoint(app, author, peer, httpserver):
    """Every URL answers once: one GET (following the relative redirect) must find the endpoint,
    resolved against the final URL, and the POST goes to it with the URL as linked as target."""
    httpserver.expect_oneshot_request("/test/23/page", method="GET").respond_with_response(
        Response(status=302, headers={"Location": "page/A1b2C3"})
    )
    httpserver.expect_oneshot_request("/test/23/page/A1b2C3", method="GET").respond_with_response(Response(
        '<html><body><p>My <a href="webmention-endpoint/A1b2C3" rel="webmention">endpoint</a>.</p></body></html>',
        content_type="text/html", headers={"Link": '<webmention-endpoint/A1b2C3>; rel="webmention"'},
    ))
    peer.endpoint("/test/23/page/webmention-endpoint/A1b2C3")
    target = peer.url("/test/23/page")
    assert_sent_only_to(app, peer, "/test/23/page/webmention-endpoint/A1b2C3", send_to(app, author, target), target)
    assert [(request.method, request.path) for request, _ in httpserver.log] == [
        ("GET", "/test/23/page"), ("GET", "/test/23/page/A1b2C3"), ("POST", "/test/23/page/webmention-endpoint/A1b2C3"),
    ]
    httpserver.check_assertions()
