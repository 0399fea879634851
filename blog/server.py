"""The web server behind `flask serve`: waitress, tuned so that idle or half-sent connections cannot keep
readers out (a high connection limit, a short idle timeout, poll() instead of select(), a per-address cap)."""

from __future__ import annotations

import gc
import ipaddress
import logging
import resource
import time

from flask import Flask
from waitress import trigger, wasyncore
from waitress.adjustments import Adjustments
from waitress.channel import HTTPChannel
from waitress.server import TcpWSGIServer

logger = logging.getLogger(__name__)

# File descriptors kept back from the connection limit for everything else the process opens: the listening
# socket, waitress's trigger pipe, SQLite files, outbound linkback and mail connections, logs.
FILES_FOR_THE_REST = 256

# Connections taken from the listening socket's queue each time it is ready.
ACCEPTS_PER_TURN = 64


def address_group(host: str) -> str:
    """The client address the per-address cap counts: an IPv4 address itself, or the /64 an IPv6 address
    belongs to (one subscriber usually gets a whole /64, so counting single IPv6 addresses would cap nothing)."""
    if ":" not in host:
        return host
    address = ipaddress.IPv6Address(host.split("%", 1)[0])
    if address.ipv4_mapped:
        return str(address.ipv4_mapped)
    return str(ipaddress.IPv6Network((address, 64), strict=False))


def raise_open_files_limit(wanted: int) -> int:
    """Raise this process's soft RLIMIT_NOFILE to `wanted`, or as near as the hard limit allows (never lower
    it); return the soft limit now in force."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    target = wanted if hard == resource.RLIM_INFINITY else min(wanted, hard)
    if soft != resource.RLIM_INFINITY and soft < target:
        try:
            resource.setrlimit(resource.RLIMIT_NOFILE, (target, hard))
            logger.info("raised the open files limit from %d to %d (hard limit %s)", soft, target, hard)
            soft = target
        except (ValueError, OSError):
            logger.warning("could not raise the open files limit from %d to %d", soft, target, exc_info=True)
    return soft


class BlogChannel(HTTPChannel):
    """A waitress connection that remembers which client address group it counts against."""

    def __init__(self, server, sock, addr, adj, map=None):
        self.address_group = address_group(addr[0])
        super().__init__(server, sock, addr, adj, map=map)


class BlogServer(TcpWSGIServer):
    """waitress's TCP server, closing at once any connection beyond `connections_per_address` (0: no cap)
    from one client address, taking waiting connections in batches, and able to be stopped from another thread."""

    channel_class = BlogChannel
    took_connection = False  # whether the last accept() got a connection, admitted or not

    def __init__(self, application, *, adj: Adjustments, connections_per_address: int = 0):
        self.connections_per_address = connections_per_address
        self.refused_since_report = 0
        self.next_refusal_report = 0.0  # time.monotonic(): the log says how many were refused once a minute
        super().__init__(application, adj=adj, sockinfo=adj.listen[0])

    def handle_accept(self):
        # waitress takes one connection per turn of its loop, and every turn walks all open connections, so a
        # burst of a few thousand would queue a reader's connection for seconds (7 s behind 4,000, 27 s behind
        # 10,000 here): take up to ACCEPTS_PER_TURN of those waiting, stopping at the connection limit.
        for _ in range(ACCEPTS_PER_TURN):
            if len(self._map) >= self.adj.connection_limit:
                return
            self.took_connection = False
            super().handle_accept()
            if not self.took_connection:
                return

    def accept(self):
        pair = super().accept()
        self.took_connection = pair is not None
        if pair is None or not self.connections_per_address:
            return pair
        conn, addr = pair
        group = address_group(addr[0])
        # One pass over the open channels per accepted connection, about what one turn of the event loop costs
        # anyway (it asks every channel whether to poll it), and unlike a running count it cannot drift.
        held = sum(1 for channel in self.active_channels.values() if channel.address_group == group)
        if held < self.connections_per_address:
            return pair
        conn.close()
        self.refused_since_report += 1
        now = time.monotonic()
        if now >= self.next_refusal_report:
            logger.warning(
                "closed %d new connections from addresses that held %d already (the latest: %s)",
                self.refused_since_report, self.connections_per_address, group,
            )
            self.refused_since_report = 0
            self.next_refusal_report = now + 60
        return None  # waitress's handle_accept then does nothing

    stopping = False

    def run(self) -> None:
        """Serve until stopped (Ctrl-C, or `stop()`), then close every connection and stop the worker threads.

        waitress's own loop runs while anything is left to watch and is stopped through its wake-up pipe; but
        when poll() reports that pipe broken the loop closes it and serves on without it (seen once under the
        test suite), and writing to its closed descriptor, which the process may have reused meanwhile, would
        then fail or land elsewhere. So this loop also checks a flag each turn (a turn lasts at most
        asyncore_loop_timeout) and makes a new pipe when the old one is gone."""
        try:
            while self._map and not self.stopping:
                wasyncore.poll2(self.adj.asyncore_loop_timeout, self._map)
                if self.trigger._closed and not self.stopping:
                    logger.warning("the server's wake-up pipe was closed; making a new one")
                    self.trigger = trigger.trigger(self._map)
        except (SystemExit, KeyboardInterrupt):
            pass
        finally:
            wasyncore.close_all(self._map, ignore_all=True)
            self.task_dispatcher.shutdown()

    def stop(self) -> None:
        """Make `run()` close the listening socket and every connection and return. Safe from any thread."""
        self.stopping = True
        self.pull_trigger()

    def pull_trigger(self) -> None:
        """Wake the loop (worker threads do, when a response is ready); nothing when the pipe is closed, as the
        loop's next turn comes within asyncore_loop_timeout anyway."""
        wake_up = self.trigger
        if not wake_up._closed:
            try:
                wake_up.pull_trigger()
            except OSError:
                pass  # closed since the check


def create_blog_server(app: Flask, host: str, port: int) -> BlogServer:
    """A waitress server for `app` on host:port with the SERVER_* settings, listening but not yet running
    (call `run()`). Raises the open files limit so the connection limit fits, or lowers the connection limit to
    what the hard limit allows; logs what it got."""
    config = app.config
    wanted = int(config["SERVER_CONNECTION_LIMIT"])
    files = raise_open_files_limit(wanted + FILES_FOR_THE_REST)
    connection_limit = max(16, min(wanted, files - FILES_FOR_THE_REST))
    if connection_limit < wanted:
        logger.warning(
            "the open files limit is %d, so at most %d connections instead of SERVER_CONNECTION_LIMIT %d "
            "(raise the hard limit: LimitNOFILE= in systemd, ulimit -Hn)",
            files, connection_limit, wanted,
        )
    # Behind a proxy every connection comes from the proxy's address: capping it would cap everyone.
    per_address = 0 if config["TRUSTED_PROXY_COUNT"] else int(config["SERVER_CONNECTIONS_PER_ADDRESS"])
    adj = Adjustments(
        host=host,
        port=port,
        threads=config["SERVER_THREADS"],
        connection_limit=connection_limit,
        channel_timeout=config["SERVER_CHANNEL_TIMEOUT_SECONDS"],
        cleanup_interval=config["SERVER_CLEANUP_INTERVAL_SECONDS"],
        asyncore_use_poll=True,  # select() cannot watch descriptors numbered 1024 or more
        ident="blog",
    )
    server = BlogServer(app, adj=adj, connections_per_address=per_address)
    logger.info(
        "open files limit %d; up to %d connections (%s from one address), idle ones closed after %d s, %d threads",
        files, connection_limit, per_address or "any number", adj.channel_timeout, adj.threads,
    )
    return server


def freeze_startup_objects() -> None:
    """Move every object alive now (modules, the app, its templates and routes) out of the garbage collector's
    reach. Its full passes walk every tracked object: with the app's 120,000 or so they stalled a request for
    about 100 ms every few seconds (the p99 of every page); frozen, a pass walks only what came after."""
    gc.collect()
    gc.freeze()


def serve_blog(app: Flask, host: str, port: int) -> None:
    """Serve `app` on host:port until Ctrl-C."""
    server = create_blog_server(app, host, port)
    freeze_startup_objects()
    server.run()
