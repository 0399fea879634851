"""The one outbound door: address policy, redirects, size cap, timeouts, refused URLs."""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Callable, Iterable

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
HURRIED = FetchPolicy(allow_private=True, connect_timeout=2, read_timeout=2, total_timeout=1.5)
# How late past total_timeout a fetch may end: thread scheduling on a busy machine, not a benchmark.
SLACK_SECONDS = 2.0


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


class RawPeer:
    """A TCP server on loopback that reads each HTTP request (unless told not to), then plays
    `answer(peer, conn, request)` on the connection in its own thread. Every loop in it is bounded
    and watches `stopping`, so the threads end by themselves when the test leaves the `with` block."""

    def __init__(self, answer: Callable[[RawPeer, socket.socket, bytes], None], reads_request: bool = True):
        self.answer = answer
        self.reads_request = reads_request
        self.stopping = threading.Event()
        self._listener = socket.create_server(("127.0.0.1", 0))
        self._listener.settimeout(0.1)
        self.port = self._listener.getsockname()[1]
        self._threads = [threading.Thread(target=self._accept, name="raw-peer")]

    def url(self, path: str = "/", scheme: str = "http") -> str:
        return f"{scheme}://127.0.0.1:{self.port}{path}"

    def __enter__(self) -> RawPeer:
        self._threads[0].start()
        return self

    def __exit__(self, *exc_info) -> None:
        self.stopping.set()
        for thread in list(self._threads):
            thread.join(timeout=5)
        self._listener.close()
        assert not any(thread.is_alive() for thread in self._threads)

    def drip(self, conn: socket.socket, data: Iterable[bytes], interval: float) -> None:
        """Send `data` piece by piece, one every `interval` seconds, until the client goes away."""
        for piece in data:
            if self.stopping.wait(interval):
                return
            try:
                conn.sendall(piece)
            except OSError:
                return

    def _accept(self) -> None:
        while not self.stopping.is_set():
            try:
                conn, _ = self._listener.accept()
            except TimeoutError:
                continue
            thread = threading.Thread(target=self._serve, args=(conn,), name="raw-peer-connection")
            self._threads.append(thread)
            thread.start()

    def _serve(self, conn: socket.socket) -> None:
        with conn:
            conn.settimeout(2)
            request = b""
            try:
                while self.reads_request and b"\r\n\r\n" not in request and len(request) < 65536:
                    received = conn.recv(4096)
                    if not received:
                        return
                    request += received
            except OSError:
                return
            self.answer(self, conn, request)


def endless(piece: bytes, limit: int = 200) -> Iterable[bytes]:
    return (piece for _ in range(limit))  # "forever" for a test: far longer than any deadline


def fetch_timed(url: str, policy: FetchPolicy = HURRIED) -> tuple[type[BaseException] | None, float, str]:
    started = time.monotonic()
    try:
        fetch(url, policy=policy)
    except FetchTimeout as error:
        return FetchTimeout, time.monotonic() - started, str(error)
    return None, time.monotonic() - started, ""


def deadline_threads() -> list[threading.Thread]:
    return [thread for thread in threading.enumerate() if thread.name == "fetch-deadline"]


def test_body_dripped_a_byte_at_a_time_is_cut_at_the_total_deadline():
    def answer(peer, conn, request):
        conn.sendall(b"HTTP/1.1 200 OK\r\nContent-Type: text/html\r\nContent-Length: 100000\r\n\r\n")
        peer.drip(conn, endless(b"x"), 0.5)

    with RawPeer(answer) as peer:
        raised, elapsed, message = fetch_timed(peer.url())
    assert raised is FetchTimeout and "total time allowed ran out" in message
    assert elapsed < HURRIED.total_timeout + SLACK_SECONDS


def test_body_without_length_dripped_is_not_taken_for_a_whole_answer():
    """Shutting the socket down ends a body read to EOF as if the peer had finished: still a timeout."""

    def answer(peer, conn, request):
        conn.sendall(b"HTTP/1.0 200 OK\r\nContent-Type: text/html\r\n\r\n")
        peer.drip(conn, endless(b"x"), 0.3)

    with RawPeer(answer) as peer:
        raised, elapsed, _ = fetch_timed(peer.url())
    assert raised is FetchTimeout and elapsed < HURRIED.total_timeout + SLACK_SECONDS


def test_endless_headers_sent_slowly_are_cut_at_the_total_deadline():
    def answer(peer, conn, request):
        conn.sendall(b"HTTP/1.1 200 OK\r\n")
        peer.drip(conn, endless(b"X-Stalling: yes\r\n"), 0.3)

    with RawPeer(answer) as peer:
        raised, elapsed, _ = fetch_timed(peer.url())
    assert raised is FetchTimeout and elapsed < HURRIED.total_timeout + SLACK_SECONDS


def test_status_line_sent_a_byte_at_a_time_is_cut_at_the_total_deadline():
    def answer(peer, conn, request):
        status_line = b"HTTP/1.1 200 OK\r\n"
        peer.drip(conn, (status_line[i : i + 1] for i in range(len(status_line))), 0.3)

    with RawPeer(answer) as peer:
        raised, elapsed, _ = fetch_timed(peer.url())
    assert raised is FetchTimeout and elapsed < HURRIED.total_timeout + SLACK_SECONDS


def test_tls_handshake_dripped_a_byte_at_a_time_is_cut_at_the_total_deadline():
    """https too: a record announces a 16 KB ServerHello that then arrives a byte at a time. (A body
    dripped as one tiny TLS record per byte needs a certificate the fetch trusts, so it is not here.)"""

    def answer(peer, conn, request):
        conn.sendall(b"\x16\x03\x03\x40\x00\x02\x00\x3f\xfc")  # handshake record; ServerHello
        peer.drip(conn, endless(b"\x00"), 0.3)

    with RawPeer(answer, reads_request=False) as peer:
        peer_url = peer.url(scheme="https")
        raised, elapsed, _ = fetch_timed(peer_url)
    assert raised is FetchTimeout and elapsed < HURRIED.total_timeout + SLACK_SECONDS


def test_redirect_chain_of_slowish_hops_is_cut_at_the_total_deadline():
    """Each hop answers well within the read timeout; the deadline covers all of them together."""
    hops = []

    def answer(peer, conn, request):
        hops.append(request.split(b" ")[1])
        if not peer.stopping.wait(0.4):
            following = len(hops)
            redirect = b"HTTP/1.1 302 Found\r\nLocation: /hop/%d\r\nContent-Length: 0\r\nConnection: close\r\n\r\n"
            conn.sendall(redirect % following)

    policy = FetchPolicy(allow_private=True, connect_timeout=2, read_timeout=2, total_timeout=1.5, max_redirects=20)
    with RawPeer(answer) as peer:
        raised, elapsed, _ = fetch_timed(peer.url("/hop/0"), policy)
    assert raised is FetchTimeout and elapsed < policy.total_timeout + SLACK_SECONDS
    assert 2 <= len(hops) < 20  # several hops were followed, and the total stopped the chain


def test_fast_answer_leaves_no_deadline_behind():
    def answer(peer, conn, request):
        conn.sendall(b"HTTP/1.1 200 OK\r\nContent-Length: 5\r\nContent-Type: text/plain\r\n\r\nhello")
        peer.stopping.wait(3)  # keeps the connection open: only our own close may end it

    threads_before = threading.active_count()
    with RawPeer(answer) as peer:
        assert fetch(peer.url("/one"), policy=HURRIED).body == b"hello"
        assert deadline_threads() == []
        assert fetch(peer.url("/two"), policy=HURRIED).body == b"hello"
        assert deadline_threads() == []
    assert threading.active_count() == threads_before


def test_deadline_is_cleared_when_a_fetch_fails():
    with socket.socket() as closed:
        closed.bind(("127.0.0.1", 0))
        port = closed.getsockname()[1]
    with pytest.raises(ConnectionFailed):
        fetch(f"http://127.0.0.1:{port}/", policy=HURRIED)
    assert deadline_threads() == []
