"""The one outbound door: address policy, redirects, size cap, timeouts, refused URLs."""

from __future__ import annotations

import socket

import pytest
from werkzeug import Response

from blog.linkbacks.http import (
    AddressNotAllowed,
    ConnectionFailed,
    FetchPolicy,
    FetchTimeout,
    TooManyRedirects,
    URLNotAllowed,
    fetch,
    is_public_address,
)

LOOPBACK_ONLY = FetchPolicy(allowed_networks=("127.0.0.1/32",), connect_timeout=2, read_timeout=2)
OPEN = FetchPolicy(allow_private=True, connect_timeout=2, read_timeout=2)


@pytest.mark.parametrize(
    "address",
    ["127.0.0.1", "127.0.0.2", "10.1.2.3", "172.16.0.1", "192.168.1.1", "169.254.169.254", "100.64.0.1",
     "0.0.0.0", "224.0.0.1", "255.255.255.255", "::1", "fc00::1", "fe80::1", "::ffff:127.0.0.1", "::",
     "ff02::1"],
)
def test_non_public_addresses_are_recognised(address):
    assert not is_public_address(address)


@pytest.mark.parametrize("address", ["93.184.216.34", "8.8.8.8", "2001:4860:4860::8888"])
def test_public_addresses_are_recognised(address):
    assert is_public_address(address)


def test_loopback_refused_by_default_policy(httpserver):
    httpserver.expect_request("/page").respond_with_data("secret")
    with pytest.raises(AddressNotAllowed):
        fetch(httpserver.url_for("/page"), policy=FetchPolicy())
    assert httpserver.log == []  # refused before connecting


def test_allowed_network_is_fetched_with_our_user_agent(httpserver):
    httpserver.expect_request("/page").respond_with_data("hello", content_type="text/html; charset=utf-8")
    policy = FetchPolicy(allow_private=True, user_agent="BlogEngine/0.1 (+http://blog.example/)")
    result = fetch(httpserver.url_for("/page"), policy=policy)
    assert (result.status, result.body, result.content_type, result.charset) == (
        200, b"hello", "text/html", "utf-8"
    )
    request, _ = httpserver.log[0]
    assert request.headers["User-Agent"] == "BlogEngine/0.1 (+http://blog.example/)"


@pytest.mark.parametrize(
    "url", ["ftp://example.com/x", "javascript:alert(1)", "file:///etc/passwd", "http://user:pw@example.com/",
            "http:///nohost", "http://example.com:99999/"],
)
def test_urls_that_are_never_fetched(url):
    with pytest.raises(URLNotAllowed):
        fetch(url, policy=OPEN)


def test_redirects_followed_to_final_url(httpserver):
    httpserver.expect_request("/a").respond_with_response(Response(status=301, headers={"Location": "/b"}))
    httpserver.expect_request("/b").respond_with_response(Response(status=302, headers={"Location": "c"}))
    httpserver.expect_request("/c").respond_with_data("done")
    result = fetch(httpserver.url_for("/a"), policy=OPEN)
    assert result.body == b"done"
    assert result.url == httpserver.url_for("/c")
    assert result.redirects == [httpserver.url_for("/a"), httpserver.url_for("/b")]


def test_redirect_loop_stops_at_the_limit(httpserver):
    httpserver.expect_request("/loop").respond_with_response(Response(status=302, headers={"Location": "/loop"}))
    with pytest.raises(TooManyRedirects):
        fetch(httpserver.url_for("/loop"), policy=FetchPolicy(allow_private=True, max_redirects=3))
    assert len(httpserver.log) == 4  # the first request and three redirects, then it stops


def test_redirect_to_a_refused_address_is_not_followed(httpserver):
    """Every hop is checked again: an allowed page cannot bounce us to another loopback address."""
    target = f"http://127.0.0.2:{httpserver.port}/internal"
    httpserver.expect_request("/hop").respond_with_response(Response(status=302, headers={"Location": target}))
    with pytest.raises(AddressNotAllowed):
        fetch(httpserver.url_for("/hop"), policy=LOOPBACK_ONLY)


def test_redirect_to_another_scheme_is_refused(httpserver):
    httpserver.expect_request("/hop").respond_with_response(
        Response(status=302, headers={"Location": "file:///etc/passwd"})
    )
    with pytest.raises(URLNotAllowed):
        fetch(httpserver.url_for("/hop"), policy=OPEN)


def test_post_follows_307_but_not_302(httpserver):
    httpserver.expect_request("/rpc", method="POST").respond_with_response(
        Response(status=307, headers={"Location": "/rpc2"})
    )
    httpserver.expect_request("/rpc2", method="POST", data=b"<call/>").respond_with_data("answer")
    httpserver.expect_request("/form", method="POST").respond_with_response(
        Response(status=302, headers={"Location": "/elsewhere"})
    )
    assert fetch(httpserver.url_for("/rpc"), policy=OPEN, method="POST", data=b"<call/>").body == b"answer"
    result = fetch(httpserver.url_for("/form"), policy=OPEN, method="POST", data=b"x")
    assert result.status == 302 and result.redirects == []


def test_huge_body_is_cut_at_the_cap(httpserver):
    httpserver.expect_request("/huge").respond_with_data(b"x" * 5_000_000)
    result = fetch(httpserver.url_for("/huge"), policy=FetchPolicy(allow_private=True, max_bytes=100_000))
    assert result.truncated and len(result.body) == 100_000


def test_server_that_never_answers_times_out():
    with socket.socket() as silent:  # accepts connections (backlog) but never says anything
        silent.bind(("127.0.0.1", 0))
        silent.listen(1)
        port = silent.getsockname()[1]
        with pytest.raises(FetchTimeout):
            fetch(f"http://127.0.0.1:{port}/", policy=FetchPolicy(allow_private=True, read_timeout=0.5))


def test_connection_refused_is_a_connection_failure():
    with socket.socket() as closed:
        closed.bind(("127.0.0.1", 0))
        port = closed.getsockname()[1]
    with pytest.raises(ConnectionFailed):
        fetch(f"http://127.0.0.1:{port}/", policy=OPEN)


def test_unresolvable_host_is_a_connection_failure():
    with pytest.raises(ConnectionFailed):
        fetch("http://does-not-exist.invalid/", policy=OPEN)
