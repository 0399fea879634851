"""The one door for outbound HTTP (discovery, sending, verification).

Every request here: http/https only, no credentials in the URL, connect/read timeouts plus a total
deadline, a cap on bytes read, a small redirect limit with every hop checked again, and refusal of
loopback, private, link-local, multicast and reserved addresses unless the configuration allows
them. The address check happens when the socket connects, on the address actually connected to,
so DNS rebinding between a check and the connection cannot slip through (cf. CVE-2022-3590).

The total deadline covers the whole fetch, every redirect hop included, and holds whatever the
peer does: when it passes, a watchdog shuts down every socket the fetch opened, so a peer that
drips its status line, headers, TLS handshake or body a byte at a time is still cut off.

Exceptions (all FetchError):
    FetchError
    ├── URLNotAllowed       not http(s), no host, or user:password@ in the URL
    ├── AddressNotAllowed   the host resolves only to addresses our policy refuses
    ├── ConnectionFailed    DNS failure, refused, reset, TLS error
    ├── FetchTimeout        connect, read or total deadline passed
    └── TooManyRedirects    more hops than the policy allows
"""

from __future__ import annotations

import ipaddress
import socket
import threading
import time
from contextvars import ContextVar
from dataclasses import dataclass, field
from functools import lru_cache
from urllib.parse import urljoin, urlsplit

import requests
from requests.adapters import HTTPAdapter
from requests.structures import CaseInsensitiveDict
from urllib3.connection import HTTPConnection, HTTPSConnection
from urllib3.connectionpool import HTTPConnectionPool, HTTPSConnectionPool

ENGINE_NAME = "BlogEngine"
ENGINE_VERSION = "0.1"
REDIRECT_CODES = {301, 302, 303, 307, 308}


class FetchError(Exception):
    """Outbound request failed before a usable HTTP answer arrived."""


class URLNotAllowed(FetchError):
    pass


class AddressNotAllowed(FetchError):
    pass


class ConnectionFailed(FetchError):
    pass


class HostNotFound(ConnectionFailed):
    """The host name does not resolve."""


class AnswerBrokeOff(ConnectionFailed):
    """The connection closed or reset while the answer was being read."""


class FetchTimeout(FetchError):
    pass


class TooManyRedirects(FetchError):
    pass


@dataclass(frozen=True)
class FetchPolicy:
    connect_timeout: float = 5.0
    read_timeout: float = 10.0
    total_timeout: float = 20.0
    max_bytes: int = 1_000_000
    max_redirects: int = 5
    allow_private: bool = False  # True: any address at all (tests, closed networks)
    allowed_networks: tuple[str, ...] = ()  # non-public networks allowed anyway, e.g. ("10.1.2.0/24",)
    user_agent: str = f"{ENGINE_NAME}/{ENGINE_VERSION}"

    def allows(self, address: str) -> bool:
        if self.allow_private or is_public_address(address):
            return True
        ip = ipaddress.ip_address(address.split("%", 1)[0])
        return any(ip in ipaddress.ip_network(net, strict=False) for net in self.allowed_networks)


def policy_from_config(config, site_url: str = "") -> FetchPolicy:
    """The policy the app's configuration asks for, with a User-Agent naming the engine and site."""
    agent = f"{ENGINE_NAME}/{ENGINE_VERSION}"
    if site_url:
        agent += f" (+{site_url})"
    return FetchPolicy(
        connect_timeout=float(config["LINKBACK_CONNECT_TIMEOUT_SECONDS"]),
        read_timeout=float(config["LINKBACK_READ_TIMEOUT_SECONDS"]),
        total_timeout=float(config["LINKBACK_TOTAL_TIMEOUT_SECONDS"]),
        max_bytes=int(config["LINKBACK_MAX_BYTES"]),
        max_redirects=int(config["LINKBACK_MAX_REDIRECTS"]),
        allow_private=bool(config["LINKBACK_ALLOW_PRIVATE"]),
        allowed_networks=tuple(config["LINKBACK_ALLOWED_NETWORKS"]),
        user_agent=agent,
    )


@dataclass
class FetchResult:
    url: str  # the final URL, after redirects
    status: int
    headers: CaseInsensitiveDict
    body: bytes
    truncated: bool = False  # the body was longer than the policy's max_bytes
    redirects: list[str] = field(default_factory=list)  # the URLs that redirected, in order

    @property
    def content_type(self) -> str:
        return self.headers.get("Content-Type", "").split(";")[0].strip().lower()

    @property
    def charset(self) -> str | None:
        for part in self.headers.get("Content-Type", "").split(";")[1:]:
            name, _, value = part.partition("=")
            if name.strip().lower() == "charset" and value.strip():
                return value.strip().strip('"')
        return None

    @property
    def text(self) -> str:
        try:
            return self.body.decode(self.charset or "utf-8", errors="replace")
        except LookupError:
            return self.body.decode("utf-8", errors="replace")

    @property
    def ok(self) -> bool:
        return 200 <= self.status < 300


def is_public_address(address: str) -> bool:
    """True for globally routable unicast addresses; False for loopback, private, link-local,
    shared (CGNAT), multicast, reserved and unspecified ones (IPv4 and IPv6)."""
    ip = ipaddress.ip_address(address.split("%", 1)[0])
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        ip = ip.ipv4_mapped
    return ip.is_global and not ip.is_multicast


def check_url(url: str) -> None:
    """Refuse what can never be fetched: other schemes, no host, credentials in the URL."""
    try:
        parts = urlsplit(url)
        parts.port  # noqa: B018 - raises ValueError on a malformed port
    except ValueError as error:
        raise URLNotAllowed(f"malformed URL: {url!r}") from error
    if parts.scheme not in ("http", "https"):
        raise URLNotAllowed(f"only http and https URLs are fetched, not {parts.scheme or 'none'!r}")
    if not parts.hostname:
        raise URLNotAllowed("the URL has no host")
    if parts.username is not None or parts.password is not None:
        raise URLNotAllowed("the URL carries credentials")


class _Deadline:
    """The total deadline of one fetch. A timer thread shuts down every socket the fetch opened
    when it passes, so a read blocked on a slow peer returns at once; the timer is stopped and
    joined when the fetch ends, and no socket is touched after that."""

    def __init__(self, seconds: float):
        self._at = time.monotonic() + seconds
        self._lock = threading.Lock()
        self._sockets: list[socket.socket] = []
        self._expired = self._disarmed = False
        self._timer = threading.Timer(seconds, self._expire)
        self._timer.name = "fetch-deadline"
        self._timer.daemon = True

    def remaining(self) -> float:
        return self._at - time.monotonic()

    def watch(self, sock: socket.socket) -> None:
        """Shut `sock` down when the deadline passes; FetchTimeout if it already has."""
        with self._lock:
            if self._expired:
                raise FetchTimeout("the total time allowed ran out")
            # A duplicate descriptor, because TLS wraps the socket in a new object and detaches
            # this one; shutting the duplicate down still ends the connection under both.
            self._sockets.append(sock.dup())

    def disarm(self) -> bool:
        """Stop watching; True if the deadline had already passed (the answer may be cut short)."""
        with self._lock:
            self._disarmed = True
            return self._expired

    def _expire(self) -> None:
        with self._lock:
            if self._disarmed:
                return
            self._expired = True
            for sock in self._sockets:
                try:
                    sock.shutdown(socket.SHUT_RDWR)
                except OSError:  # never connected, or the peer already went away
                    pass

    def __enter__(self) -> _Deadline:
        self._token = _current_deadline.set(self)
        self._timer.start()
        return self

    def __exit__(self, *exc_info) -> None:
        _current_deadline.reset(self._token)
        self.disarm()
        self._timer.cancel()
        self._timer.join()
        for sock in self._sockets:
            sock.close()
        self._sockets.clear()


# The deadline of the fetch running in this thread: connections are opened in the fetch's own
# thread, deep inside requests, so this is how a new socket finds the deadline that must watch it.
_current_deadline: ContextVar[_Deadline | None] = ContextVar("fetch_deadline", default=None)


def _too_slow(url: str) -> str:
    return f"{url} was too slow: the total time allowed ran out"


def _open_checked_socket(conn, policy: FetchPolicy) -> socket.socket:
    """Resolve, refuse non-public addresses (unless allowed), and connect to a checked address,
    under the current fetch's deadline."""
    deadline = _current_deadline.get()
    try:
        infos = socket.getaddrinfo(conn._dns_host, conn.port, type=socket.SOCK_STREAM)
    except socket.gaierror as error:
        raise HostNotFound(f"cannot resolve {conn.host}") from error
    refused, last_error = None, None
    for family, socktype, proto, _, sockaddr in infos:
        if not policy.allows(sockaddr[0]):
            refused = sockaddr[0]
            continue
        sock = socket.socket(family, socktype, proto)
        try:
            if deadline is not None:
                deadline.watch(sock)
            for option in conn.socket_options or []:
                sock.setsockopt(*option)
            if isinstance(conn.timeout, int | float):
                timeout = conn.timeout if deadline is None else min(conn.timeout, deadline.remaining())
                if timeout <= 0:
                    raise FetchTimeout(f"connecting to {conn.host}: the total time allowed ran out")
                sock.settimeout(timeout)
            sock.connect(sockaddr)
            return sock
        except TimeoutError as error:
            sock.close()
            raise FetchTimeout(f"connecting to {conn.host} timed out") from error
        except OSError as error:
            sock.close()
            last_error = error
        except FetchTimeout:
            sock.close()
            raise
    if last_error is not None:
        raise ConnectionFailed(f"cannot connect to {conn.host}: {last_error}") from last_error
    if refused is not None:
        raise AddressNotAllowed(f"{conn.host} resolves to a non-public address ({refused})")
    raise ConnectionFailed(f"no address for {conn.host}")


class _CheckedHTTPConnection(HTTPConnection):
    policy = FetchPolicy()

    def _new_conn(self):
        return _open_checked_socket(self, self.policy)


class _CheckedHTTPSConnection(HTTPSConnection):
    policy = FetchPolicy()

    def _new_conn(self):
        return _open_checked_socket(self, self.policy)


@lru_cache(maxsize=16)
def _pool_classes(policy: FetchPolicy) -> dict:
    """Connection pools whose connections check addresses under this policy."""
    http_conn = type("CheckedHTTPConnection", (_CheckedHTTPConnection,), {"policy": policy})
    https_conn = type("CheckedHTTPSConnection", (_CheckedHTTPSConnection,), {"policy": policy})
    return {
        "http": type("CheckedHTTPConnectionPool", (HTTPConnectionPool,), {"ConnectionCls": http_conn}),
        "https": type("CheckedHTTPSConnectionPool", (HTTPSConnectionPool,), {"ConnectionCls": https_conn}),
    }


class _CheckedAdapter(HTTPAdapter):
    def __init__(self, policy: FetchPolicy):
        self._policy = policy
        super().__init__(max_retries=0)

    def init_poolmanager(self, *args, **kwargs):
        super().init_poolmanager(*args, **kwargs)
        self.poolmanager.pool_classes_by_scheme = _pool_classes(self._policy)


def _session(policy: FetchPolicy) -> requests.Session:
    session = requests.Session()
    session.trust_env = False  # no proxies or .netrc from the environment around our checks
    adapter = _CheckedAdapter(policy)
    session.mount("http://", adapter)
    session.mount("https://", adapter)
    session.headers["User-Agent"] = policy.user_agent
    return session


def fetch(
    url: str,
    *,
    policy: FetchPolicy,
    method: str = "GET",
    data: bytes | dict | None = None,
    headers: dict | None = None,
    follow_redirects: bool = True,
) -> FetchResult:
    """Make one request under the policy and return the answer, whatever its status.

    GET and HEAD follow redirects up to the policy's limit, each hop checked again; a POST follows
    only 307/308 (which keep the method and body). Raises a FetchError subclass when no HTTP
    answer could be had; FetchTimeout once the policy's total_timeout has passed, at the latest."""
    redirects: list[str] = []
    with _session(policy) as session, _Deadline(policy.total_timeout) as deadline:
        try:
            while True:
                check_url(url)
                response = _send(session, method, url, data, headers, policy, deadline)
                location = response.headers.get("Location")
                follow = follow_redirects and response.status_code in REDIRECT_CODES and location
                if follow and method == "POST" and response.status_code not in (307, 308):
                    follow = False
                if not follow:
                    result = _read(response, url, redirects, policy, deadline)
                    break
                response.close()
                if len(redirects) >= policy.max_redirects:
                    raise TooManyRedirects(f"more than {policy.max_redirects} redirects from {redirects[0]}")
                redirects.append(url)
                if response.status_code == 303 and method not in ("GET", "HEAD"):
                    method, data = "GET", None
                url = urljoin(url, location)
        except Exception as error:
            # Once the watchdog has shut the sockets down, whatever broke (a reset, a short read,
            # a TLS error) broke because time ran out; anything else is what it says.
            if deadline.disarm():
                raise FetchTimeout(_too_slow(url)) from error
            raise
        if deadline.disarm():  # a shut-down socket can end an answer as if the peer had finished it
            raise FetchTimeout(_too_slow(url))
        return result


def _send(session, method, url, data, headers, policy, deadline: _Deadline) -> requests.Response:
    remaining = deadline.remaining()
    if remaining <= 0:
        raise FetchTimeout(_too_slow(url))
    timeout = (min(policy.connect_timeout, remaining), min(policy.read_timeout, remaining))
    try:
        return session.request(
            method, url, data=data, headers=headers, timeout=timeout, allow_redirects=False, stream=True
        )
    except requests.Timeout as error:
        raise FetchTimeout(f"{url} did not answer in time") from error
    except requests.RequestException as error:  # our own FetchErrors from the socket pass through
        raise ConnectionFailed(f"cannot reach {url}: {error.__class__.__name__}") from error


def _read(response, url, redirects, policy, deadline: _Deadline) -> FetchResult:
    chunks, size, truncated = [], 0, False
    try:
        for chunk in response.iter_content(chunk_size=16384):
            if deadline.remaining() <= 0:
                raise FetchTimeout(_too_slow(url))
            if size + len(chunk) > policy.max_bytes:
                chunks.append(chunk[: policy.max_bytes - size])
                truncated = True
                break
            chunks.append(chunk)
            size += len(chunk)
    except requests.Timeout as error:
        raise FetchTimeout(f"{url} stopped sending its answer") from error
    except requests.RequestException as error:
        raise AnswerBrokeOff(f"the answer from {url} broke off") from error
    finally:
        response.close()
    return FetchResult(
        url=url,
        status=response.status_code,
        headers=CaseInsensitiveDict(response.headers),
        body=b"".join(chunks),
        truncated=truncated,
        redirects=redirects,
    )
