"""A remote blog on loopback (pytest-httpserver) that advertises linkback endpoints, answers
XML-RPC pingbacks and TrackBack pings, and records what it received."""

from __future__ import annotations

import threading
import xmlrpc.client
from dataclasses import dataclass, field
from urllib.parse import parse_qs

import pytest
from pytest_httpserver import HTTPServer
from werkzeug import Request, Response

from blog.linkbacks.http import FetchPolicy


@dataclass
class RemoteBlog:
    server: object
    pings: list = field(default_factory=list)  # (source, target) of every pingback.ping received
    trackbacks: list = field(default_factory=list)  # form dicts of every trackback received
    fault: tuple[int, str] | None = None  # answer pingbacks with this fault
    trackback_reply: str | None = None  # answer trackbacks with this body instead of <error>0</error>

    def url(self, path: str) -> str:
        return self.server.url_for(path)

    def post_page(self, path: str, pingback: str | None = "header", rdf: bool = False, body: str = "") -> str:
        """Serve a post page advertising the XML-RPC endpoint by 'header', 'link', 'both' or None."""
        url = self.url(path)
        head, headers = "", {}
        if pingback in ("header", "both"):
            headers["X-Pingback"] = self.url("/xmlrpc")
        if pingback in ("link", "both"):
            head += f'<link rel="pingback" href="{self.url("/xmlrpc")}">'
        if rdf:
            body += (
                '<!-- <rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#" '
                'xmlns:dc="http://purl.org/dc/elements/1.1/" '
                'xmlns:trackback="http://madskills.com/public/xml/rss/module/trackback/">'
                f'<rdf:Description rdf:about="{url}" dc:identifier="{url}" dc:title="A post" '
                f'trackback:ping="{url}trackback/" /></rdf:RDF> -->'
            )
        html = f"<!doctype html><html><head><title>A post</title>{head}</head><body>{body}</body></html>"
        self.server.expect_request(path, method="GET").respond_with_data(
            html, content_type="text/html; charset=utf-8", headers=headers
        )
        self.server.expect_request(path + "trackback/", method="POST").respond_with_handler(self._trackback)
        return url

    def serve_xmlrpc(self) -> None:
        self.server.expect_request("/xmlrpc", method="POST").respond_with_handler(self._xmlrpc)

    def _xmlrpc(self, request: Request) -> Response:
        params, method = xmlrpc.client.loads(request.get_data())
        assert method == "pingback.ping"
        self.pings.append(params)
        if self.fault:
            body = xmlrpc.client.dumps(xmlrpc.client.Fault(*self.fault), methodresponse=True)
        else:
            body = xmlrpc.client.dumps(("Pingback registered.",), methodresponse=True)
        return Response(body, content_type="text/xml")

    def _trackback(self, request: Request) -> Response:
        charset = request.mimetype_params.get("charset", "utf-8")
        self.trackbacks.append({k: v[0] for k, v in parse_qs(request.get_data().decode(charset)).items()})
        body = self.trackback_reply or '<?xml version="1.0" encoding="utf-8"?><response><error>0</error></response>'
        return Response(body, content_type="text/xml")


@pytest.fixture
def remote_blog(httpserver):
    blog = RemoteBlog(httpserver)
    blog.serve_xmlrpc()
    return blog


@pytest.fixture
def policy():
    return FetchPolicy(allow_private=True, connect_timeout=2, read_timeout=2, total_timeout=5)


@pytest.fixture
def slow_peer():
    """A threaded loopback server whose handlers may hold a request until `release` is set
    (at the latest when the test ends)."""
    server = HTTPServer(threaded=True)
    server.start()
    release = threading.Event()
    try:
        yield server, release
    finally:
        release.set()
        server.clear()
        server.stop()
