"""A hostile battery, run as a new attacker would, through the real endpoints: SSRF variants sent as
pingbacks, trackbacks and webmentions under the default outbound policy; XML bombs and malformed
XML-RPC to /xmlrpc; markup in every remote field and in every field of the comment form; wrong
types and sizes on the linkback endpoints. Floods and brute force (test_parallel_limits.py), kill -9
mid-batch (test_jobs.py), idle connections (test_server.py), dripping sources
(linkbacks/test_http.py) and CSRF (test_admin_access.py, test_admin_comments.py) are tested there."""

from __future__ import annotations

import io
import json
import logging
import re
import time
import xmlrpc.client
from collections.abc import Iterator
from urllib.parse import urlencode

import pytest
import requests
from blog_testing import Author, LiveServer, csrf_token, make_app, run_setup
from bs4 import BeautifulSoup
from defusedxml import ElementTree
from pytest_httpserver import HTTPServer
from werkzeug import Request, Response

from blog.extensions import db
from blog.jobs import run_due_jobs
from blog.models import Comment, CommentStatus, IncomingWebmention, LinkbackCheck

SECRET = "INTERNAL-ONLY-PAGE root:x:0:0:root:/root:/bin/bash"
SCRIPT = "<script>alert(1)</script>"
BREAKOUT = '"><img src=x onerror=alert(1)>'


class Blog:
    """Our blog driven through the Flask test client: a published post, the three linkback
    endpoints as a remote blog calls them, the job layer, and what is stored."""

    def __init__(self, app):
        self.app = app
        client = app.test_client()
        assert run_setup(client).status_code == 302
        self.author = Author(app, client)
        post = self.author.publish("Target post", "Something worth linking to.")
        self.post_id = post.id
        self.path = self.author.url_of(post)
        self.target = self.author.url_of_external(post)
        self.visitor = app.test_client()

    def pingback(self, source: str) -> tuple[int | None, str]:
        """(None, success string) or (fault code, fault string)."""
        body = xmlrpc.client.dumps((source, self.target), "pingback.ping")
        response = self.visitor.post("/xmlrpc", data=body, content_type="text/xml")
        assert response.status_code == 200
        try:
            ((answer,), _) = xmlrpc.client.loads(response.data)
            return None, answer
        except xmlrpc.client.Fault as fault:
            return fault.faultCode, fault.faultString

    def trackback(self, fields: dict | None = None, *, body: bytes | None = None,
                  content_type: str = "application/x-www-form-urlencoded") -> tuple[int, str, str | None]:
        """(HTTP status, <error>, <message>) of a TrackBack ping to the post."""
        data = body if body is not None else urlencode(fields or {}).encode()
        response = self.visitor.post(self.path + "trackback/", data=data, content_type=content_type)
        root = ElementTree.fromstring(response.data)
        return response.status_code, root.findtext("error"), root.findtext("message")

    def webmention(self, source: str, **data):
        return self.visitor.post("/webmention", data={"source": source, "target": self.target, **data})

    def run_jobs(self) -> dict[str, int]:
        with self.app.app_context():
            return run_due_jobs()

    def items(self) -> list[Comment]:
        with self.app.app_context():
            rows = db.session.execute(db.select(Comment).order_by(Comment.id)).scalars().all()
            db.session.expunge_all()
            return rows

    def webmentions(self) -> list[IncomingWebmention]:
        with self.app.app_context():
            rows = db.session.execute(db.select(IncomingWebmention).order_by(IncomingWebmention.id)).scalars().all()
            db.session.expunge_all()
            return rows

    def stored_count(self) -> int:
        """Everything a linkback or comment leaves behind (rate-limit counters aside)."""
        with self.app.app_context():
            return sum(
                db.session.execute(db.select(db.func.count()).select_from(model)).scalar_one()
                for model in (Comment, IncomingWebmention, LinkbackCheck)
            )

    def approve_in_admin(self) -> None:
        """The owner approves every pending item from the moderation queue, as in the browser."""
        token = csrf_token(self.author.client, "/admin/comments/")
        for item in self.items():
            if item.status == CommentStatus.PENDING:
                response = self.author.client.post(f"/admin/comments/{item.id}/approve", data={"csrf_token": token})
                assert response.status_code == 302
        assert {item.status for item in self.items()} <= {CommentStatus.APPROVED}

    def page(self) -> str:
        return self.visitor.get(self.path).get_data(as_text=True)

    def admin_pages(self, items: list[Comment] | None = None) -> dict[str, str]:
        """Every admin screen that shows received items: each queue tab, and the edit form of each
        of `items` (by default all)."""
        paths = [f"/admin/comments/?status={status}" for status in ("pending", "approved", "spam", "trash")]
        paths += [f"/admin/comments/{item.id}/edit" for item in (self.items() if items is None else items)]
        pages = {}
        for path in paths:
            response = self.author.client.get(path)
            assert response.status_code == 200, path
            pages[path] = response.get_data(as_text=True)
        return pages

    def feed(self) -> str:
        response = self.visitor.get("/feed/")
        assert response.status_code == 200
        return response.get_data(as_text=True)


# What may carry a URL in HTML, and the schemes that run or smuggle content there.
URL_ATTRIBUTES = {"href", "src", "srcset", "action", "formaction", "poster", "data", "cite", "background", "ping",
                  "xlink:href", "manifest", "lowsrc", "dynsrc"}
DANGEROUS_URL = re.compile(r"^[\x00-\x20]*(j\s*a\s*v\s*a\s*s\s*c\s*r\s*i\s*p\s*t|data|vbscript)\s*:", re.I)
FOREIGN_TAGS = ["iframe", "object", "embed", "svg", "math", "base", "frame", "frameset", "applet"]


def assert_inert(html: str, where: str) -> BeautifulSoup:
    """No script but our own static files, no event-handler attribute, no javascript:/data: URL,
    no embedded document anywhere on the page."""
    soup = BeautifulSoup(html, "html.parser")
    for script in soup.find_all("script"):
        assert script.get("src", "").startswith("/static/") and not script.get_text().strip(), f"{where}: {script}"
    for tag in soup.find_all(True):
        for name, value in tag.attrs.items():
            assert not name.lower().startswith("on"), f"{where}: event handler in {tag}"
            if name.lower() in URL_ATTRIBUTES:
                for url in value if isinstance(value, list) else [value]:
                    assert not DANGEROUS_URL.match(url), f"{where}: {name}={url!r} in {tag}"
    assert soup.find_all(FOREIGN_TAGS) == [], where
    for style in soup.find_all("style"):
        assert "alert" not in style.get_text() and "expression" not in style.get_text(), where
    assert soup.find("meta", attrs={"http-equiv": re.compile("refresh", re.I)}) is None, where
    return soup


# 1. SSRF variants, under the default outbound policy


@pytest.fixture(scope="module")
def internal_servers():
    """An internal service on loopback: 127.0.0.1 and ::1 on one port number, and 127.0.0.2. Any
    request gets a page holding SECRET and a link to the path a test puts in `links_to`."""
    links_to = {"url": "http://localhost/"}

    def secret_page(request: Request) -> Response:
        html = f"<html><head><title>{SECRET}</title></head><body><p>{SECRET} <a href='{links_to['url']}'>x</a></p>"
        return Response(html + "</body></html>", content_type="text/html")

    v4 = HTTPServer(host="127.0.0.1", port=0, threaded=True)
    v4.start()
    v6 = HTTPServer(host="::1", port=v4.port, threaded=True)
    v6.start()
    other = HTTPServer(host="127.0.0.2", port=0, threaded=True)
    other.start()
    servers = {"v4": v4, "v6": v6, "other": other}
    for server in servers.values():
        server.expect_request(re.compile(".*")).respond_with_handler(secret_page)
    try:
        yield servers, links_to
    finally:
        for server in servers.values():
            server.clear()
            server.stop()


@pytest.fixture
def internal(internal_servers):
    """The internal servers with an empty log; `.received()` lists what reached any of them."""
    servers, links_to = internal_servers
    for server in servers.values():
        server.clear_log()

    class Internal:
        port = servers["v4"].port
        other_port = servers["other"].port

        @staticmethod
        def link_to(url: str) -> None:
            links_to["url"] = url

        @staticmethod
        def received() -> list[str]:
            return [f"{name} {request.url}" for name, server in servers.items() for request, _ in server.log]

    return Internal


def shared_blog(tmp_path_factory, name: str, **config) -> Iterator[Blog]:
    """A blog that several tests share (building one takes a second): each test sends its own
    sources and looks only at what they left."""
    with pytest.MonkeyPatch.context() as monkeypatch:
        yield Blog(make_app(tmp_path_factory.mktemp(name), monkeypatch, **config))


STRICT = {"LINKBACK_ALLOW_PRIVATE": False}
UNLIMITED = {"LINKBACK_PER_ADDRESS_PER_MINUTE": 100_000, "LINKBACK_PER_POST_PER_MINUTE": 100_000}


@pytest.fixture(scope="module")
def strict_blog(tmp_path_factory):
    """Our blog under the default outbound policy (loopback, private, link-local and reserved
    addresses refused; LINKBACK_ALLOWED_NETWORKS empty), its rate limits out of the battery's way."""
    for blog in shared_blog(tmp_path_factory, "strict", **STRICT, **UNLIMITED):
        assert blog.app.config["LINKBACK_ALLOWED_NETWORKS"] == []
        yield blog


@pytest.fixture(scope="module")
def quiet_blog(tmp_path_factory):
    """The blog the refused requests are sent to: each test checks that nothing more was stored."""
    yield from shared_blog(tmp_path_factory, "quiet", **UNLIMITED)


# Each names the internal service (or the cloud metadata service) another way; {via} keeps the
# three protocols' sources apart (one linkback per source page and post, whatever the protocol).
INTERNAL_SOURCES = {
    "loopback": "http://127.0.0.1:{port}/{via}",
    "localhost": "http://localhost:{port}/{via}",
    "ipv6-loopback": "http://[::1]:{port}/{via}",
    "decimal": "http://2130706433:{port}/{via}",
    "hex": "http://0x7f.0.0.1:{port}/{via}",
    "octal": "http://0177.0.0.1:{port}/{via}",
    "short": "http://127.1:{port}/{via}",
    "zero": "http://0.0.0.0:{port}/{via}",
    "ipv6-unspecified": "http://[::]:{port}/{via}",
    "ipv4-mapped-ipv6": "http://[::ffff:127.0.0.1]:{port}/{via}",
    "credentials": "http://user:secret@127.0.0.1:{port}/{via}",
    "other-loopback": "http://127.0.0.2:{other_port}/{via}",
    "cloud-metadata": "http://169.254.169.254/latest/meta-data/{via}",
}
# Not http(s): refused on the wire, before anything is stored.
NOT_HTTP_SOURCES = {
    "file": "file:///etc/passwd#{via}",
    "file-host": "file://localhost/etc/passwd#{via}",
    "gopher": "gopher://127.0.0.1:{port}/_GET%20/{via}",
    "dict": "dict://127.0.0.1:{port}/info:{via}",
    "ftp": "ftp://127.0.0.1:{port}/{via}",
    "scheme-relative": "//127.0.0.1:{port}/{via}",
}
RECEIVED = "received; it is listed once its page is checked to link here."


def sources_for(template: str, internal, name: str) -> dict[str, str]:
    """The source each protocol sends, told apart by the path (the variant's name and the protocol)."""
    return {via: template.format(port=internal.port, other_port=internal.other_port, via=f"{name}-{via}")
            for via in ("pingback", "trackback", "webmention")}


def received_from(blog: Blog, sources: dict[str, str]) -> tuple[dict[str, Comment], list[IncomingWebmention]]:
    """The items (by source) and webmention requests that these sources made."""
    items = {item.author_url: item for item in blog.items() if item.author_url in sources.values()}
    return items, [request for request in blog.webmentions() if request.source in sources.values()]


def assert_nothing_leaks(blog: Blog, sources: dict[str, str], *answers: str) -> None:
    """No item shows on the post, and the internal page is nowhere a sender or the owner can read:
    not in our answers, the webmention status pages, the post or the admin."""
    page = blog.page()
    assert BeautifulSoup(page, "html.parser").select(".comment, .mention, .reactor") == []
    items, requests_made = received_from(blog, sources)
    texts = [page, *answers, *blog.admin_pages(list(items.values())).values()]
    texts += [blog.visitor.get(f"/webmention/{request.token}").get_data(as_text=True) for request in requests_made]
    assert not any("INTERNAL-ONLY" in text for text in texts)


@pytest.mark.parametrize("name", INTERNAL_SOURCES)
def test_internal_source_is_never_fetched_by_any_protocol(strict_blog, internal, name):
    blog = strict_blog
    internal.link_to(blog.target)
    sources = sources_for(INTERNAL_SOURCES[name], internal, name)
    fault, answer = blog.pingback(sources["pingback"])
    assert (fault, answer.endswith(RECEIVED)) == (None, True)
    assert blog.trackback({"url": sources["trackback"], "title": "t"})[:2] == (200, "0")
    response = blog.webmention(sources["webmention"])
    assert response.status_code == 201

    jobs = blog.run_jobs()
    assert (jobs["linkback_checks"], jobs["webmentions"]) == (2, 1)
    assert internal.received() == []
    items, (request,) = received_from(blog, sources)
    assert set(items) == {sources["pingback"], sources["trackback"]}  # and no webmention made an item
    for item in items.values():
        assert (item.status, item.verification) == ("spam", "unreachable"), item.verification_note
    assert items[sources["pingback"]].content == ""
    assert (request.status, request.reason, request.comment_id) == (
        "rejected", "The source could not be fetched.", None
    )
    assert blog.run_jobs()["linkback_checks"] == 0  # refused for good, not retried
    assert_nothing_leaks(blog, sources, answer, response.get_data(as_text=True))


@pytest.mark.parametrize("name", NOT_HTTP_SOURCES)
def test_source_that_is_not_http_is_refused_on_the_wire(strict_blog, internal, name):
    blog = strict_blog
    sources, before = sources_for(NOT_HTTP_SOURCES[name], internal, name), strict_blog.stored_count()
    assert blog.pingback(sources["pingback"]) == (16, "The source URL does not exist or could not be fetched.")
    assert blog.trackback({"url": sources["trackback"]}) == (
        200, "1", "The url must be an http:// or https:// address."
    )
    response = blog.webmention(sources["webmention"])
    assert response.status_code == 400 and response.get_data(as_text=True).startswith("invalid_source")
    assert blog.stored_count() == before
    blog.run_jobs()
    assert internal.received() == []
    assert_nothing_leaks(blog, sources)


REDIRECT_TO_INTERNAL = {
    "other-loopback": "http://127.0.0.2:{other_port}/{via}",
    "ipv6-loopback": "http://[::1]:{port}/{via}",
    "hex-other-loopback": "http://0x7f.0.0.2:{other_port}/{via}",
    "ipv4-mapped-other-loopback": "http://[::ffff:127.0.0.2]:{other_port}/{via}",
    "cloud-metadata": "http://169.254.169.254/latest/meta-data/{via}",
    "file": "file:///etc/passwd",
}


@pytest.mark.parametrize("name", REDIRECT_TO_INTERNAL)
def test_allowed_source_that_redirects_to_an_internal_address_is_not_followed(strict_blog, internal, name,
                                                                             monkeypatch):
    """The redirector itself is allowed (LINKBACK_ALLOWED_NETWORKS = 127.0.0.1/32, standing in for a
    public host); the hop to the internal address is checked again and refused."""
    blog = strict_blog
    monkeypatch.setitem(blog.app.config, "LINKBACK_ALLOWED_NETWORKS", ["127.0.0.1/32"])
    internal.link_to(blog.target)
    with HTTPServer(host="127.0.0.1", port=0) as redirector:
        for via, hop in sources_for(REDIRECT_TO_INTERNAL[name], internal, name).items():
            redirector.expect_request(f"/{via}").respond_with_data("", status=302, headers={"Location": hop})
        sources = {via: redirector.url_for(f"/{via}") for via in ("pingback", "trackback", "webmention")}
        assert blog.pingback(sources["pingback"])[0] is None
        assert blog.trackback({"url": sources["trackback"]})[1] == "0"
        assert blog.webmention(sources["webmention"]).status_code == 201
        blog.run_jobs()
        assert sorted(request.path for request, _ in redirector.log) == ["/pingback", "/trackback", "/webmention"]
    assert internal.received() == []
    items, requests_made = received_from(blog, sources)
    assert [(item.status, item.verification) for item in items.values()] == [("spam", "unreachable")] * 2
    assert [request.status for request in requests_made] == ["rejected"]
    assert_nothing_leaks(blog, sources)


def test_the_internal_addresses_are_reachable_once_private_addresses_are_allowed(tmp_path, monkeypatch, internal):
    """The battery's control: with LINKBACK_ALLOW_PRIVATE the same sources do reach the internal
    servers (and the page would be shown), so the refusals above are the policy's, not an accident
    of the test network."""
    reachable = {name: template for name, template in INTERNAL_SOURCES.items()
                 if name not in ("credentials", "cloud-metadata")}
    blog = Blog(make_app(tmp_path, monkeypatch, LINKBACK_CONCURRENCY=len(reachable), **UNLIMITED))
    internal.link_to(blog.target)
    for name, template in reachable.items():
        assert blog.pingback(template.format(port=internal.port, other_port=internal.other_port, via=name))[0] is None
    assert blog.run_jobs()["linkback_checks"] == len(reachable)
    assert len(internal.received()) == len(reachable)
    assert {(item.verification, item.author_name) for item in blog.items()} == {("verified", SECRET)}


# 2. XML bombs and malformed XML-RPC


def call_body(*params: str, method: str = "pingback.ping") -> str:
    values = "".join(f"<param><value>{value}</value></param>" for value in params)
    return f"<methodCall><methodName>{method}</methodName><params>{values}</params></methodCall>"


BILLION_LAUGHS = (
    '<?xml version="1.0"?><!DOCTYPE methodCall [<!ENTITY lol "lol">'
    + "".join(f'<!ENTITY lol{i} "{f"&lol{i - 1};" * 10 if i > 1 else "&lol;" * 10}">' for i in range(1, 10))
    + "]>" + call_body("<string>&lol9;</string>", "<string>x</string>")
)
QUADRATIC_BLOWUP = (
    f'<?xml version="1.0"?><!DOCTYPE methodCall [<!ENTITY a "{"a" * 20000}">]>'
    + call_body("<string>" + "&a;" * 2000 + "</string>", "<string>x</string>")
)
EXTERNAL_ENTITY = (
    '<?xml version="1.0"?><!DOCTYPE methodCall [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>'
    + call_body("<string>&xxe;</string>", "<string>&xxe;</string>")
)
PARAMETER_ENTITY = (
    '<?xml version="1.0"?><!DOCTYPE methodCall [<!ENTITY % p SYSTEM "file:///etc/passwd"> %p;]>'
    + call_body("<string>a</string>", "<string>b</string>")
)
PLAIN_DTD = '<?xml version="1.0"?><!DOCTYPE methodCall>' + call_body("<string>a</string>", "<string>b</string>")
ENCODINGS = {
    "utf-7": ('<?xml version="1.0" encoding="UTF-7"?>'
              + call_body("+ADw-script+AD4-alert(1)+ADw-/script+AD4-", "b")).encode(),
    "unknown": ('<?xml version="1.0" encoding="x-no-such-charset"?>' + call_body("a", "b")).encode(),
    "ebcdic": ('<?xml version="1.0" encoding="cp037"?>' + call_body("a", "b")).encode(),
    "utf-16-declared-utf-8-sent": ('<?xml version="1.0" encoding="UTF-16"?>' + call_body("a", "b")).encode(),
    "shift-jis": ('<?xml version="1.0" encoding="Shift_JIS"?>' + call_body("東京", "b")).encode("shift_jis"),
    "utf-32": ('<?xml version="1.0" encoding="UTF-32"?>' + call_body("a", "b")).encode("utf-32"),
    "invalid-utf-8": ('<?xml version="1.0"?>' + call_body("a", "b")).encode().replace(b">a<", b">\xff\xfe\xc0<"),
}
# Well-formed XML that the standard library's XML-RPC unmarshaller cannot make values of.
BROKEN_XMLRPC = {
    "struct-member-without-name": call_body("<struct><member><value>x</value></member></struct>", "b"),
    "struct-member-without-value": call_body("<struct><member><name>a</name></member></struct>", "b"),
    "empty-fault-in-a-call": call_body("a", "b").replace("</params>", "</params><fault></fault>"),
    "empty-fault-response": "<methodResponse><fault></fault></methodResponse>",
    "fault-of-a-string": "<methodResponse><fault><value>x</value></fault></methodResponse>",
    "bad-bigdecimal": call_body("<bigdecimal>not a number</bigdecimal>", "b"),
    "bad-boolean": call_body("<boolean>2</boolean>", "b"),
    "bad-int": call_body("<int>" + "9" * 5000 + "</int>", "b"),
    "bad-base64": call_body("<base64>é</base64>", "b"),
    "unhashable-struct-key": call_body("<struct><member><value><array><data/></array></value><value>x</value>"
                                       "</member></struct>", "b"),
    "no-method-name": "<methodCall><params><param><value>a</value></param></params></methodCall>",
    "not-xml-rpc": "<html><body>hello</body></html>",
    "not-xml": "pingback.ping(a, b)",
    "empty": "",
    "unclosed": call_body("a", "b")[:-5],
}
# Every one is answered -32700 (parse error), but a call that names no method: -32601.
BOMBS = {
    "billion-laughs": BILLION_LAUGHS.encode(),
    "quadratic-blowup": QUADRATIC_BLOWUP.encode(),
    "external-entity": EXTERNAL_ENTITY.encode(),
    "parameter-entity": PARAMETER_ENTITY.encode(),
    "a-dtd-at-all": PLAIN_DTD.encode(),
    **{f"encoding-{name}": body for name, body in ENCODINGS.items()},
    **{name: body.encode() for name, body in BROKEN_XMLRPC.items()},
}


def xmlrpc_fault(response) -> tuple[int, str]:
    assert response.status_code == 200
    assert response.headers["Content-Type"].startswith("text/xml")
    with pytest.raises(xmlrpc.client.Fault) as caught:
        xmlrpc.client.loads(response.content if isinstance(response, requests.Response) else response.data)
    return caught.value.faultCode, caught.value.faultString


def assert_refused_quietly(blog: Blog, caplog, body: bytes, codes: set[int]) -> str:
    """The body gets one of the fault codes within two seconds, logs nothing at ERROR, shows no
    expanded entity, and stores nothing."""
    before = blog.stored_count()
    started = time.monotonic()
    with caplog.at_level(logging.INFO):
        response = blog.visitor.post("/xmlrpc", data=body, content_type="text/xml")
    elapsed = time.monotonic() - started
    code, message = xmlrpc_fault(response)
    assert code in codes, message
    assert elapsed < 2, f"took {elapsed:.1f} s"
    assert [r for r in caplog.records if r.levelno >= logging.ERROR] == []
    text = response.get_data(as_text=True)
    assert "root:" not in text and "/bin/" not in text and "lollol" not in text
    assert blog.stored_count() == before
    return message


@pytest.fixture
def blog(app):
    return Blog(app)


@pytest.mark.parametrize("name", BOMBS)
def test_hostile_xml_gets_a_fault_quickly_and_quietly(quiet_blog, caplog, name):
    """Issue: an unknown encoding, a <struct> member or <fault> without its parts, or a <bigdecimal>
    that is no number raised out of the parser (HTTP 500, a traceback at ERROR) instead of -32700."""
    assert_refused_quietly(quiet_blog, caplog, BOMBS[name], {-32601 if name == "no-method-name" else -32700})


@pytest.mark.parametrize("limit", [None, 8_000_000], ids=["default-cap", "cap-raised"])
def test_ten_thousand_deep_arrays_and_a_hundred_thousand_params(quiet_blog, caplog, monkeypatch, limit):
    """Under the default request cap both are too large (-32600); with the cap raised far enough
    to parse them they are well-formed calls with the wrong parameters (-32602), still answered
    quickly, without recursion and without a traceback."""
    blog = quiet_blog
    if limit:
        monkeypatch.setitem(blog.app.config, "LINKBACK_REQUEST_MAX_BYTES", limit)
    deep = "<value><array><data>" * 10_000 + "</data></array></value>" * 10_000
    deep_call = call_body(f"<string>{blog.target}</string>", deep[len("<value>"):-len("</value>")])
    many_params = call_body(*(["x"] * 100_000))
    for body in (deep_call, many_params):
        assert len(body) > 64 * 1024
        assert_refused_quietly(blog, caplog, body.encode(), {-32602} if limit else {-32600})


def test_xml_with_a_dtd_pointing_at_an_internal_server_never_fetches_it(quiet_blog, caplog, internal):
    blog = quiet_blog
    for dtd in (
        f'<!DOCTYPE methodCall SYSTEM "http://127.0.0.1:{internal.port}/evil.dtd">',
        f'<!DOCTYPE methodCall [<!ENTITY x SYSTEM "http://127.0.0.1:{internal.port}/x">]>',
        f'<!DOCTYPE methodCall [<!ENTITY % x SYSTEM "http://[::1]:{internal.port}/x"> %x;]>',
    ):
        body = f'<?xml version="1.0"?>{dtd}' + call_body("<string>&x;</string>", f"<string>{blog.target}</string>")
        assert_refused_quietly(blog, caplog, body.encode(), {-32700})
    assert internal.received() == []


def test_oversized_body_without_a_content_length_is_cut_at_the_cap(quiet_blog):
    """Sent chunked, the body announces no length: the cap is still enforced while reading."""
    blog, before = quiet_blog, quiet_blog.stored_count()
    limit = blog.app.config["LINKBACK_REQUEST_MAX_BYTES"]
    chunk = b"<value><string>" + b"x" * 4000 + b"</string></value>"

    def body():
        yield b"<?xml version='1.0'?><methodCall><methodName>pingback.ping</methodName><params><param>"
        for _ in range(limit // len(chunk) + 2):
            yield chunk
        yield b"</param></params></methodCall>"

    with LiveServer(blog.app) as server:
        response = requests.post(server.url + "/xmlrpc", data=body(), headers={"Content-Type": "text/xml"}, timeout=10)
    assert "Content-Length" not in response.request.headers
    code, message = xmlrpc_fault(response)
    assert code == -32600 and str(limit) in message
    assert blog.stored_count() == before


# 3. Markup in every remote field


def hostile_query(name: str) -> str:
    return f"/{name}?q=" + requests.utils.quote(f'x{BREAKOUT}{SCRIPT}', safe="") + '&r="><script>alert(2)</script>'


def test_hostile_pingback_source_is_shown_as_text_everywhere(blog, httpserver):
    title = "&lt;script&gt;alert(1)&lt;/script&gt; &quot;&gt;&lt;img src=x onerror=alert(1)&gt; <b>T</b>"
    context = (
        f"<p>{SCRIPT} &lt;script&gt;alert(3)&lt;/script&gt; &quot;&gt;&lt;img src=x onerror=alert(4)&gt; "
        f"<img src=x onerror=alert(5)><a href='javascript:alert(6)'>javascript:alert(6)</a> "
        f"<style>*{{background:url(javascript:alert(7))}}</style> data:text/html,{SCRIPT} "
        f"<a href='{blog.target}' onclick='alert(8)'>&lt;b onmouseover=alert(9)&gt;here&lt;/b&gt;</a></p>"
    )
    httpserver.expect_request("/pb").respond_with_data(
        f"<html><head><title>{title}</title></head><body>{context}</body></html>", content_type="text/html"
    )
    source = httpserver.url_for(hostile_query("pb"))
    fault, answer = blog.pingback(source)
    assert fault is None
    blog.run_jobs()
    (item,) = blog.items()
    assert item.verification == "verified"
    blog.approve_in_admin()

    post = assert_inert(blog.page(), "post page")
    shown = post.select_one(f"#comment-{item.id}")
    assert '<script>alert(1)</script> "><img src=x onerror=alert(1)> T' in shown.get_text()
    assert "<script>alert(3)</script>" in shown.get_text() and '"><img src=x onerror=alert(4)>' in shown.get_text()
    assert "<b onmouseover=alert(9)>here</b>" in shown.get_text()
    assert [a["href"] for a in shown.select("a[href^=http]")] == [source]
    for path, html in blog.admin_pages().items():
        assert_inert(html, path)
    admin = BeautifulSoup(blog.admin_pages()["/admin/comments/?status=approved"], "html.parser")
    assert "<script>alert(3)</script>" in admin.select_one(f"#comment-{item.id} .text").get_text()
    assert "alert" not in blog.feed()


HOSTILE_TRACKBACK_URLS = [
    "javascript:alert(1)",
    "JaVaScRiPt:alert(1)",
    " javascript:alert(1)",
    "java\tscript:alert(1)",
    "javascript://example.com/%0aalert(1)",
    "data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==",
    "vbscript:msgbox(1)",
    "http:javascript:alert(1)",
    "http:/\\/example.com",
]


def test_hostile_trackback_fields_are_shown_as_text_and_script_urls_refused(blog, httpserver):
    for url in HOSTILE_TRACKBACK_URLS:
        assert blog.trackback({"url": url, "title": SCRIPT})[1:] == (
            "1", "The url must be an http:// or https:// address."
        ), url
    assert blog.stored_count() == 0

    httpserver.expect_request("/tb").respond_with_data(f"<a href='{blog.target}'>x</a>", content_type="text/html")
    url = httpserver.url_for("/tb") + '?"onmouseover="alert(1)"&x=' + SCRIPT
    double_encoded = "&amp;lt;script&amp;gt;alert(2)&amp;lt;/script&amp;gt;"
    fields = {
        "url": url,
        "title": f"{SCRIPT}{BREAKOUT}{double_encoded} Title",
        "excerpt": f"<a href='javascript:alert(3)'>x</a> {double_encoded} javascript:alert(3) Excerpt",
        "blog_name": f"{BREAKOUT}&amp;lt;script&amp;gt;alert(4)&amp;lt;/script&amp;gt; Name",
    }
    assert blog.trackback(fields)[:2] == (200, "0")
    blog.run_jobs()
    (item,) = blog.items()
    assert (item.verification, item.author_url) == ("verified", url)
    blog.approve_in_admin()

    post = assert_inert(blog.page(), "post page")
    shown = post.select_one(f"#comment-{item.id}")
    assert '"> <script>alert(4)</script> Name' in shown.select_one(".comment-author").get_text()
    assert "<script>alert(2)</script> Title" in shown.get_text()
    assert "javascript:alert(3) Excerpt" in shown.get_text()
    assert [a["href"] for a in shown.select("a[href^=http]")] == [url]
    for path, html in blog.admin_pages().items():
        assert_inert(html, path)
    assert "alert" not in blog.feed()


def h_entry(target: str, relation: str, author: str, content: str = "") -> str:
    return (
        f"<html><head><title>{SCRIPT}</title></head><body><article class='h-entry'>"
        f"<h1 class='p-name'>&lt;script&gt;alert('name')&lt;/script&gt;</h1>{author}"
        f"<div class='e-content'>{content}</div>"
        f"<a class='{relation}' href='{target}'>&lt;script&gt;alert('link')&lt;/script&gt;</a>"
        "</article></body></html>"
    )


def test_hostile_webmention_microformats_are_shown_as_text_everywhere(blog, httpserver):
    hostile_name = f"{BREAKOUT}&lt;script&gt;alert('author')&lt;/script&gt;"
    reply = h_entry(
        blog.target, "u-in-reply-to",
        f"<a class='p-author h-card' href='javascript:alert(1)'><img class='u-photo' src='javascript:alert(2)'>"
        f"<span class='p-name'>{hostile_name}</span></a>",
        f"{SCRIPT}<style>*{{x:expression(alert(3))}}</style><img src=x onerror=alert(4)>"
        f"<a href='javascript:alert(5)' onclick='alert(6)'>click</a> &lt;script&gt;alert('content')&lt;/script&gt;"
        f"<iframe src='javascript:alert(7)'></iframe><svg onload=alert(8)></svg>",
    )
    like = h_entry(
        blog.target, "u-like-of",
        "<div class='p-author h-card'><a class='u-url' href='data:text/html,<script>alert(9)</script>'>"
        f"<img class='u-photo' src='data:image/svg+xml,&lt;svg onload=alert(10)&gt;'>{hostile_name}</a></div>",
    )
    repost = h_entry(
        blog.target, "u-repost-of",
        "<div class='p-author h-card'><a class='u-url' href=' javascript:alert(11)'>"
        "<img class='u-photo' src='http://example.com/p.png?&quot;onerror=&quot;alert(12)'>"
        f"<span class='p-name'>{hostile_name}</span></a></div>",
    )
    sources = {}
    for name, html in {"reply": reply, "like": like, "repost": repost}.items():
        httpserver.expect_request(f"/{name}").respond_with_data(html, content_type="text/html")
        sources[name] = httpserver.url_for(hostile_query(name))
    status_pages = []
    for source in sources.values():
        response = blog.webmention(source)
        assert response.status_code == 201
        status_pages.append(response.headers["Location"])
    assert blog.run_jobs()["webmentions"] == 3
    items = {item.mention_type: item for item in blog.items()}
    assert set(items) == {"reply", "like", "repost"}
    assert all(item.author_url == sources[kind] for kind, item in items.items())
    assert items["repost"].author_photo.startswith("http://example.com/p.png")
    assert items["reply"].author_photo == items["like"].author_photo == ""
    blog.approve_in_admin()

    post = assert_inert(blog.page(), "post page")
    reply_shown = post.select_one(f"#comment-{items['reply'].id}")
    assert "<script>alert('author')</script>" in reply_shown.select_one(".comment-author").get_text()
    assert "<script>alert('content')</script>" in reply_shown.select_one(".comment-text").get_text()
    assert reply_shown.select_one(".comment-author a")["href"] == sources["reply"]
    like_shown = post.select_one(f"#comment-{items['like'].id}")
    assert like_shown["href"] == sources["like"] and "<script>alert('author')</script>" in like_shown["title"]
    assert like_shown.select("img") == []
    (photo,) = post.select(f"#comment-{items['repost'].id} img")
    assert photo["src"] == items["repost"].author_photo
    for location in status_pages:
        status = assert_inert(blog.visitor.get(location).get_data(as_text=True), location)
        assert "accepted" in status.select_one("h1").get_text()
        assert '"><script>alert(2)</script>' in status.select_one(".webmention-status dd").get_text()
    for path, html in blog.admin_pages().items():
        assert_inert(html, path)
    assert "alert" not in blog.feed()


# 4. Markup in every field of the visitor comment form


def comment_form_post(blog: Blog, client, **fields):
    """Fill in the comment form found on the post page and send it, as a browser would."""
    form = BeautifulSoup(client.get(blog.path).get_data(as_text=True), "html.parser").select_one("form.comment-form")
    data = {"name": "", "email": "", "url": "", "content": "", **fields}
    data["csrf_token"] = form.select_one("input[name=csrf_token]")["value"]
    return client.post(form["action"].split("#")[0], data=data)


def test_markup_in_every_comment_field_is_shown_as_text(blog):
    hostile = {
        "name": f"{SCRIPT}{BREAKOUT}",
        "email": "x'onfocus=alert`1`'@example.com",
        "url": f"http://example.com/{BREAKOUT}{SCRIPT}",
        "content": f"{SCRIPT} <img src=x onerror=alert(2)> <a href='javascript:alert(3)'>x</a> javascript:alert(3) "
                   "data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg== <style>*{x:expression(alert(4))}</style>"
                   f" http://example.com/?q={BREAKOUT} <svg onload=alert(5)>",
    }
    assert comment_form_post(blog, blog.visitor, **hostile).status_code == 302
    script_urls = ["javascript:alert(6)", "data:text/html,<script>alert(7)</script>", " javascript:alert(8)"]
    for number, url in enumerate(script_urls):
        other = blog.app.test_client()
        other.environ_base["REMOTE_ADDR"] = f"192.0.2.{number + 10}"  # past the flood rule
        assert comment_form_post(blog, other, name="N", email="n@example.com", url=url, content=url).status_code == 302
    items = blog.items()
    assert items[0].content == hostile["content"]  # stored as typed, escaped when shown
    assert [item.author_url for item in items[1:]] == ["", "", ""]
    blog.approve_in_admin()

    post = assert_inert(blog.page(), "post page")
    shown = post.select_one(f"#comment-{items[0].id}")
    assert shown.select_one(".comment-author").get_text() == hostile["name"]
    assert shown.select_one(".comment-author a")["href"] == hostile["url"]
    assert SCRIPT in shown.select_one(".comment-text").get_text()
    assert "<svg onload=alert(5)>" in shown.select_one(".comment-text").get_text()
    assert hostile["email"] not in blog.page() and "x&#39;onfocus" not in blog.page()
    for path, html in blog.admin_pages().items():
        assert_inert(html, path)
    admin = BeautifulSoup(blog.admin_pages()[f"/admin/comments/{items[0].id}/edit"], "html.parser")
    assert admin.select_one("input[name=author_name]")["value"] == hostile["name"]
    assert admin.select_one("input[name=author_email]")["value"] == hostile["email"]
    assert "alert" not in blog.feed()


def test_refused_comment_form_echoes_the_markup_as_text(blog):
    hostile = {"name": f"{SCRIPT}{BREAKOUT}", "email": f"{BREAKOUT}@example.com",
               "url": f"javascript:alert(1)//{BREAKOUT}", "content": f"</textarea>{SCRIPT}"}
    response = comment_form_post(blog, blog.visitor, **hostile)
    assert response.status_code == 400
    form = assert_inert(response.get_data(as_text=True), "refused form").select_one("form.comment-form")
    assert form.select_one("input[name=name]")["value"] == hostile["name"]
    assert form.select_one("input[name=email]")["value"] == hostile["email"]
    assert form.select_one("textarea[name=content]").get_text().strip() == hostile["content"]
    assert blog.stored_count() == 0


# 5. Wrong types and sizes


def test_webmention_in_json_or_with_array_or_file_parameters_is_refused(quiet_blog):
    blog, before = quiet_blog, quiet_blog.stored_count()
    source = "http://a.example/post"
    answers = [
        blog.visitor.post("/webmention", data=json.dumps({"source": source, "target": blog.target}),
                          content_type="application/json"),
        blog.visitor.post("/webmention", data={"source[]": source, "target[]": blog.target}),
        blog.visitor.post("/webmention", data={"source[0]": source, "target": blog.target}),
        blog.visitor.post("/webmention", content_type="multipart/form-data", data={
            "source": (io.BytesIO(source.encode()), "source.txt"),
            "target": (io.BytesIO(blog.target.encode()), "target.txt"),
        }),
        blog.visitor.post("/webmention", data=f"source={source}&target={blog.target}", content_type="text/plain"),
    ]
    assert [(r.status_code, r.get_data(as_text=True).split(":")[0]) for r in answers] == [
        (400, "missing_source")] * len(answers)
    assert blog.stored_count() == before


@pytest.mark.parametrize("field", ["source", "target"])
def test_webmention_with_a_one_megabyte_url_is_refused(quiet_blog, field):
    """Issue: /webmention read its form up to MAX_CONTENT_LENGTH (4 MB) and stored a source of any
    length in a 2000-character column (kept whole by SQLite, an error on PostgreSQL)."""
    blog, before = quiet_blog, quiet_blog.stored_count()
    data = {"source": "http://a.example/post", "target": blog.target}
    data[field] += "?" + "a" * 1_000_000
    response = blog.visitor.post("/webmention", data=data)
    assert response.status_code == 400 and "Location" not in response.headers
    assert response.get_data(as_text=True) == f"invalid_{field}: the {field} is longer than 2000 characters.\n"
    assert blog.stored_count() == before


def test_trackback_in_json_multipart_or_with_array_parameters_is_refused(quiet_blog):
    """Refused as TrackBack refuses (TB-4): <error>1</error> with the reason, HTTP 200 as WordPress."""
    blog, before = quiet_blog, quiet_blog.stored_count()
    url = "http://a.example/post"
    no_url = (200, "1", "The ping has no url: the url of the linking entry is required.")
    assert blog.trackback(body=json.dumps({"url": url}).encode(), content_type="application/json") == no_url
    multipart = b'--b\r\nContent-Disposition: form-data; name="url"\r\n\r\n' + url.encode() + b"\r\n--b--\r\n"
    assert blog.trackback(body=multipart, content_type="multipart/form-data; boundary=b") == no_url
    assert blog.trackback({"url[]": url, "title[]": "t"}) == no_url
    assert blog.trackback({"url[0]": url}) == no_url
    assert blog.stored_count() == before


def test_trackback_and_pingback_with_a_one_megabyte_field_are_refused(quiet_blog):
    blog, before = quiet_blog, quiet_blog.stored_count()
    assert blog.trackback({"url": "http://a.example/post", "excerpt": "x" * 1_000_000}) == (
        413, "1", "The ping is too large."
    )
    body = xmlrpc.client.dumps(("http://a.example/post?" + "a" * 1_000_000, blog.target), "pingback.ping")
    assert xmlrpc_fault(blog.visitor.post("/xmlrpc", data=body, content_type="text/xml"))[0] == -32600
    assert blog.stored_count() == before


def test_comment_with_a_one_megabyte_field_is_refused(quiet_blog):
    blog, before = quiet_blog, quiet_blog.stored_count()
    for field in ("name", "email", "url", "content"):
        fields = {"name": "N", "email": "n@example.com", "url": "", "content": "Hello", field: "x" * 1_000_000}
        response = comment_form_post(blog, blog.visitor, **fields)
        assert response.status_code in (400, 413), field
    assert blog.stored_count() == before


def test_webmention_author_photo_longer_than_its_column_is_dropped(blog, httpserver):
    """A remote page may name a photo URL of any length; one longer than the column is not kept."""
    photo = "http://example.com/p.png?" + "a" * 100_000
    author = f"<div class='p-author h-card'><img class='u-photo' src='{photo}'><span class='p-name'>Ann</span></div>"
    httpserver.expect_request("/like").respond_with_data(h_entry(blog.target, "u-like-of", author),
                                                         content_type="text/html")
    assert blog.webmention(httpserver.url_for("/like")).status_code == 201
    assert blog.run_jobs()["webmentions"] == 1
    (item,) = blog.items()
    assert (item.mention_type, item.author_name, item.author_photo) == ("like", "Ann", "")
