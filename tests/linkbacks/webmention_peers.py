"""A site on loopback (pytest-httpserver) that serves pages advertising Webmention endpoints and
records every POST it receives, answering each endpoint as the test asks (202 by default) and any
other URL like webmention.rocks answers a decoy: 400."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from urllib.parse import parse_qs

from werkzeug import Request, Response


@dataclass(frozen=True)
class Received:
    path: str
    query: str
    content_type: str
    form: dict[str, list[str]]


@dataclass
class WebmentionPeer:
    server: object
    received: list[Received] = field(default_factory=list)  # every POST, in order
    replies: dict[str, Response] = field(default_factory=dict)  # endpoint path -> its answer
    pages: dict[str, tuple[str, list]] = field(default_factory=dict)  # path -> (html, headers)

    def __post_init__(self):
        # Registered after the fixtures' own handlers (the remote blog's /xmlrpc), so those still match first.
        self.server.expect_request(re.compile("/"), method="POST").respond_with_handler(self._receive)

    def url(self, path: str) -> str:
        return self.server.url_for(path)

    def endpoint(self, path: str, reply: Response | None = None) -> str:
        """A webmention endpoint at path answering `reply` (202 unless told, or as told before);
        returns its URL. The query string in path is the sender's business."""
        if reply is not None or path.split("?")[0] not in self.replies:
            self.replies[path.split("?")[0]] = reply or Response("Accepted", status=202, content_type="text/plain")
        return self.url(path)

    def page(self, path: str, head: str = "", body: str = "", headers: list | None = None) -> str:
        """Serve (or change) an HTML page with these raw headers, e.g. [("LinK", "<…>; rel=webmention")]."""
        if path not in self.pages:
            self.server.expect_request(path, method="GET").respond_with_handler(lambda _request: self._page(path))
        html = f"<!doctype html><html><head><title>A post</title>{head}</head><body>{body}</body></html>"
        self.pages[path] = (html, headers or [])
        return self.url(path)

    def _page(self, path: str) -> Response:
        html, headers = self.pages[path]
        return Response(html, content_type="text/html; charset=utf-8", headers=headers)

    def _receive(self, request: Request) -> Response:
        self.received.append(Received(
            request.path, request.query_string.decode(), request.content_type or "",
            parse_qs(request.get_data(as_text=True), keep_blank_values=True),
        ))
        reply = self.replies.get(request.path)
        return reply if reply is not None else Response("wrong endpoint", status=400, content_type="text/plain")

    def mentions(self, path: str | None = None) -> list[tuple[str, str]]:
        """(source, target) of each well-formed webmention received (at path, if given)."""
        return [
            (r.form["source"][0], r.form["target"][0]) for r in self.received
            if (path is None or r.path == path) and sorted(r.form) == ["source", "target"]
        ]
