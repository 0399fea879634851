"""The web server behind `flask serve` (blog/server.py), run in a thread on a free loopback port: idle and
half-sent connections from one address neither keep readers out nor stay open for long."""

from __future__ import annotations

import http.client
import resource
import select
import socket
import threading
import time
from contextlib import contextmanager

import pytest
from waitress import wasyncore

from blog.server import FILES_FOR_THE_REST, address_group, create_blog_server, raise_open_files_limit

FLOOD_ADDRESS = "127.0.0.1"
OTHER_ADDRESS = "127.0.0.2"  # also loopback on Linux: a reader from another address
HALF_A_REQUEST = b"GET / HTTP/1.1\r\nHost: 127.0.0.1\r\nUser-Agent: slo"


@pytest.fixture
def start_server(app, author):
    """Start the blog (set up by `author`, so / answers 200) with config overrides; stopped at teardown, and
    the open files limit, which the server raises, put back."""
    original_limit = resource.getrlimit(resource.RLIMIT_NOFILE)
    running = []

    def start(**config):
        app.config.update(config)
        server = create_blog_server(app, "127.0.0.1", 0)
        thread = threading.Thread(target=server.run, name="blog-server", daemon=True)
        thread.start()
        running.append((server, thread))
        return server

    yield start
    for server, thread in running:
        server.stop()
        thread.join(10)
        assert not thread.is_alive(), "the server did not stop"
    resource.setrlimit(resource.RLIMIT_NOFILE, original_limit)


def port_of(server) -> int:
    return int(server.effective_port)


def make_room_for_connections(count: int) -> None:
    """Raise this process's soft open files limit so `count` connections fit at both ends, server and
    clients, in this one process."""
    needed = 2 * count + FILES_FOR_THE_REST + 100
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if hard != resource.RLIM_INFINITY and hard < needed:
        pytest.skip(f"the hard open files limit ({hard}) is below the {needed} this test needs; raise ulimit -Hn")
    if soft != resource.RLIM_INFINITY and soft < needed:
        resource.setrlimit(resource.RLIMIT_NOFILE, (needed, hard))


@contextmanager
def open_connections(port: int, count: int, first_bytes: bytes = b""):
    """`count` TCP connections from FLOOD_ADDRESS, each sending `first_bytes` once and then nothing."""
    sockets = []
    try:
        for _ in range(count):
            sock = socket.create_connection(("127.0.0.1", port), timeout=10, source_address=(FLOOD_ADDRESS, 0))
            sockets.append(sock)
            if first_bytes:
                try:
                    sock.sendall(first_bytes)
                except ConnectionError:
                    pass  # closed already, over the per-address cap
        yield sockets
    finally:
        for sock in sockets:
            sock.close()


def is_open(sock: socket.socket) -> bool:
    """Whether the server still holds this connection (it sends nothing until a request is complete)."""
    poller = select.poll()
    poller.register(sock, select.POLLIN)
    if not poller.poll(0):
        return True  # nothing to read: no data, no end of file
    try:
        return sock.recv(1, socket.MSG_PEEK) != b""
    except ConnectionError:
        return False


def wait_until(condition, seconds: float = 10) -> bool:
    deadline = time.monotonic() + seconds
    while not condition():
        if time.monotonic() > deadline:
            return False
        time.sleep(0.05)
    return True


def get_home_page(port: int, source: str) -> tuple[int, str]:
    """A reader's GET /, from a socket of its own: (status, body). Fails if it takes 10 s or more."""
    started = time.monotonic()
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=10, source_address=(source, 0))
    try:
        connection.request("GET", "/")
        response = connection.getresponse()
        body = response.read().decode()
    finally:
        connection.close()
    assert time.monotonic() - started < 10, "the reader waited 10 s or more"
    return response.status, body


# With the per-address cap (the default), the flood keeps 100 connections and the reader comes from another
# address; without it (as behind a proxy), the connection limit alone keeps the flood's own address served.
CAP_MODES = {
    "capped": ({}, OTHER_ADDRESS),
    "uncapped": ({"SERVER_CONNECTIONS_PER_ADDRESS": 0}, FLOOD_ADDRESS),
}


@pytest.mark.parametrize("mode", CAP_MODES)
@pytest.mark.parametrize("count", [100, 1000])
def test_reader_gets_the_home_page_past_idle_connections_from_one_address(start_server, count, mode):
    """100 and 1,000 idle or half-sent connections from one address do not keep other readers out (waitress's
    default connection_limit of 100 did)."""
    make_room_for_connections(count)
    config, reader_address = CAP_MODES[mode]
    # Idle connections are not timed out during the test: the limits, not the timeout, let the reader in.
    server = start_server(SERVER_CHANNEL_TIMEOUT_SECONDS=120, **config)
    held = min(count, server.connections_per_address or count)
    with open_connections(port_of(server), count) as flood:
        status, body = get_home_page(port_of(server), reader_address)
        assert status == 200 and "Test Blog" in body
        assert wait_until(lambda: sum(map(is_open, flood)) == held), sum(map(is_open, flood))


@pytest.mark.parametrize("mode", CAP_MODES)
def test_reader_gets_the_home_page_past_half_sent_requests_from_one_address(start_server, mode):
    """100 and 1,000 idle or half-sent connections from one address do not keep other readers out: here 1,000
    that sent half a request line and headers, then stopped."""
    make_room_for_connections(1000)
    config, reader_address = CAP_MODES[mode]
    server = start_server(SERVER_CHANNEL_TIMEOUT_SECONDS=120, **config)
    held = min(1000, server.connections_per_address or 1000)
    with open_connections(port_of(server), 1000, HALF_A_REQUEST) as flood:
        status, body = get_home_page(port_of(server), reader_address)
        assert status == 200 and "Test Blog" in body
        assert wait_until(lambda: sum(map(is_open, flood)) == held), sum(map(is_open, flood))


@pytest.mark.parametrize("first_bytes", [b"", HALF_A_REQUEST], ids=["idle", "half-sent"])
def test_connection_that_sends_nothing_more_is_closed_after_the_channel_timeout(start_server, first_bytes):
    server = start_server(SERVER_CHANNEL_TIMEOUT_SECONDS=1, SERVER_CLEANUP_INTERVAL_SECONDS=1)
    with open_connections(port_of(server), 1, first_bytes) as [sock]:
        assert sock.recv(1) == b"", "the server answered instead of closing"  # times out (fails) after 10 s


def test_connections_over_the_per_address_cap_are_closed_at_once(start_server):
    server = start_server(SERVER_CONNECTIONS_PER_ADDRESS=3, SERVER_CHANNEL_TIMEOUT_SECONDS=120)
    port = port_of(server)
    with open_connections(port, 3) as held:
        with open_connections(port, 1) as [extra]:
            assert extra.recv(1) == b""
        assert all(map(is_open, held))
        assert get_home_page(port, OTHER_ADDRESS)[0] == 200
    # Once its connections are gone, the address gets in again.
    assert wait_until(lambda: not server.active_channels)
    assert get_home_page(port, FLOOD_ADDRESS)[0] == 200


def test_no_per_address_cap_behind_a_trusted_proxy(start_server):
    """Behind a proxy every connection comes from the proxy's address; capping it would cap every reader."""
    server = start_server(TRUSTED_PROXY_COUNT=1, SERVER_CONNECTIONS_PER_ADDRESS=3, SERVER_CHANNEL_TIMEOUT_SECONDS=120)
    assert server.connections_per_address == 0
    with open_connections(port_of(server), 5) as held:
        assert get_home_page(port_of(server), FLOOD_ADDRESS)[0] == 200
        assert all(map(is_open, held))


def test_stop_works_after_the_wake_up_pipe_was_closed(app, author):
    """poll() reporting the wake-up pipe broken makes the loop close it and serve on without it; stop() must
    still stop the server (seen once under the suite: the teardown's stop() failed with EBADF)."""
    server = create_blog_server(app, "127.0.0.1", 0)
    thread = threading.Thread(target=server.run, name="blog-server", daemon=True)
    thread.start()
    try:
        assert get_home_page(port_of(server), FLOOD_ADDRESS)[0] == 200
        broken = server.trigger
        broken.close()  # what the loop does to a pipe poll() reports broken
        assert get_home_page(port_of(server), FLOOD_ADDRESS)[0] == 200
        assert wait_until(lambda: server.trigger is not broken and not server.trigger._closed)
        assert get_home_page(port_of(server), FLOOD_ADDRESS)[0] == 200
        server.stop()
        thread.join(10)
        assert not thread.is_alive(), "the server did not stop"
        with pytest.raises(ConnectionRefusedError):
            socket.create_connection(("127.0.0.1", port_of(server)), timeout=5).close()
    finally:
        if thread.is_alive():
            wasyncore.close_all(server._map, ignore_all=True)


def test_ipv6_clients_count_per_64():
    assert address_group("192.0.2.7") == "192.0.2.7"
    assert address_group("2001:db8:1:2::7") == address_group("2001:db8:1:2:ffff::1") == "2001:db8:1:2::/64"
    assert address_group("2001:db8:1:3::7") != address_group("2001:db8:1:2::7")
    assert address_group("::ffff:192.0.2.7") == "192.0.2.7"


def test_open_files_limit_is_raised_towards_the_hard_limit():
    original = resource.getrlimit(resource.RLIMIT_NOFILE)
    soft, hard = original
    if hard != resource.RLIM_INFINITY and hard < 1024:
        pytest.skip(f"the hard open files limit ({hard}) is below 1024")
    try:
        resource.setrlimit(resource.RLIMIT_NOFILE, (512, hard))
        assert raise_open_files_limit(256) == 512  # never lowered
        assert raise_open_files_limit(1024) == 1024
        assert resource.getrlimit(resource.RLIMIT_NOFILE) == (1024, hard)
        if hard != resource.RLIM_INFINITY:
            assert raise_open_files_limit(hard + 1000) == hard
    finally:
        resource.setrlimit(resource.RLIMIT_NOFILE, original)
