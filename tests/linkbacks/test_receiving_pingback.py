"""Our pingback server, called over real HTTP with xmlrpc.client: success, every fault of
LINKBACKS.md 1.3 that is answered on the wire, the source check the job layer makes afterwards
(what used to be faults 16 and 17 now sends the item to spam, unseen), parallel calls, hostile
requests, and the discovery markup on our pages."""

from __future__ import annotations

import socket
import threading
import xmlrpc.client
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta

import pytest
import requests
from blog_testing import csrf_token
from bs4 import BeautifulSoup
from bs4 import Comment as HTMLComment
from defusedxml import ElementTree
from werkzeug import Response

from blog.extensions import db
from blog.jobs import run_due_jobs
from blog.models import Comment, LinkbackCheck, utcnow
from blog.site_settings import save_settings


@pytest.fixture
def blog(app, author, live_server):
    """Our blog served on loopback with one published post; `blog.target` is its permalink there."""
    post = author.publish("Target post", "Something worth linking to.")

    class Blog:
        url = live_server.url
        target = live_server.url + author.url_of(post)
        post_id = post.id
        rpc = xmlrpc.client.ServerProxy(live_server.url + "/xmlrpc")

        @staticmethod
        def stored():
            with app.app_context():
                rows = db.session.execute(db.select(Comment).order_by(Comment.id)).scalars().all()
                db.session.expunge_all()
                return rows

        @staticmethod
        def check(now=None) -> int:
            """One pass of the job layer; returns how many sources the linkback checks fetched."""
            with app.app_context():
                return run_due_jobs(now)["linkback_checks"]

        @staticmethod
        def page() -> str:
            return requests.get(Blog.target, timeout=5).text

    return Blog


def received(source: str, target: str) -> str:
    """The success string: the call is taken, its source is checked later."""
    return f"Pingback from {source} to {target} received; it is listed once its page is checked to link here."


def approve_in_admin(author, comment_id: int) -> None:
    """The blog's owner approves the item in the moderation queue, as in the browser."""
    token = csrf_token(author.client, "/admin/comments/")
    response = author.client.post(f"/admin/comments/{comment_id}/approve", data={"csrf_token": token})
    assert response.status_code == 302


def source_page(httpserver, path: str, body: str, title: str | None = "A linking post") -> str:
    head = f"<title>{title}</title>" if title is not None else ""
    httpserver.expect_request(path).respond_with_data(
        f"<!doctype html><html><head>{head}</head><body>{body}</body></html>", content_type="text/html"
    )
    return httpserver.url_for(path)


def fault_of(call) -> tuple[int, str]:
    with pytest.raises(xmlrpc.client.Fault) as caught:
        call()
    return caught.value.faultCode, caught.value.faultString


def test_pingback_is_stored_unverified_then_verified_by_the_job_layer(blog, httpserver):
    text = "Before the link there is a long sentence of context. " * 3
    source = source_page(httpserver, "/src", f"<p>{text}I read <a href='{blog.target}'>this post</a> today.</p>")
    answer = blog.rpc.pingback.ping(source, blog.target)
    assert answer == received(source, blog.target)
    assert httpserver.log == []  # the request fetched nothing: the sender never waits on its own page
    (stored,) = blog.stored()
    assert (stored.kind, stored.status, stored.verification, stored.author_name, stored.content) == (
        "pingback", "pending", "pending", "localhost", ""
    )
    assert blog.check() == 1
    (stored,) = blog.stored()
    assert (stored.kind, stored.status, stored.author_name, stored.author_url) == (
        "pingback", "pending", "A linking post", source
    )
    assert stored.content.startswith("[…] ") and stored.content.endswith("I read this post today.")
    assert stored.verification == "verified" and stored.ip == "127.0.0.1"
    request, _ = httpserver.log[-1]
    assert request.headers["X-Pingback-Forwarded-For"] == "127.0.0.1"
    assert blog.check() == 0  # checked once, done


def test_source_without_title_is_named_by_its_host(blog, httpserver):
    source = source_page(httpserver, "/untitled", f"<a href='{blog.target}'>x</a>", title=None)
    blog.rpc.pingback.ping(source, blog.target)
    blog.check()
    (stored,) = blog.stored()
    assert (stored.verification, stored.author_name) == ("verified", "localhost")


def test_target_tolerates_scheme_and_trailing_slash(blog, httpserver):
    other_form = blog.target.rstrip("/").replace("http://", "https://")
    source = source_page(httpserver, "/s", f"<a href='{other_form}'>x</a>")
    blog.rpc.pingback.ping(source, other_form)
    blog.check()
    (stored,) = blog.stored()
    assert stored.verification == "verified"


def test_unknown_host_is_fault_33(blog, httpserver):
    source = source_page(httpserver, "/s", "<a href='http://elsewhere.example/p/'>x</a>")
    assert fault_of(lambda: blog.rpc.pingback.ping(source, "http://elsewhere.example/p/"))[0] == 33


def test_our_home_page_is_not_a_target(blog, httpserver):
    source = source_page(httpserver, "/s", f"<a href='{blog.url}/'>x</a>")
    assert fault_of(lambda: blog.rpc.pingback.ping(source, blog.url + "/"))[0] == 33


def test_post_that_does_not_exist_is_fault_32(blog, httpserver):
    missing = blog.url + "/2020/01/01/no-such-post/"
    source = source_page(httpserver, "/s", f"<a href='{missing}'>x</a>")
    assert fault_of(lambda: blog.rpc.pingback.ping(source, missing))[0] == 32


def test_closed_post_and_closed_blog_are_fault_33(app, blog, httpserver, author):
    source = source_page(httpserver, "/s", f"<a href='{blog.target}'>x</a>")
    with app.app_context():
        save_settings({"accept_pingbacks": False})
    assert fault_of(lambda: blog.rpc.pingback.ping(source, blog.target))[0] == 33
    with app.app_context():
        save_settings({"accept_pingbacks": True})
    author.save("Target post", "Something worth linking to.", post_id=blog.post_id, allow_pings=False)
    assert fault_of(lambda: blog.rpc.pingback.ping(source, blog.target))[0] == 33
    assert blog.stored() == []


def test_same_source_twice_is_fault_48(blog, httpserver):
    source = source_page(httpserver, "/s", f"<a href='{blog.target}'>x</a>")
    blog.rpc.pingback.ping(source, blog.target)
    assert fault_of(lambda: blog.rpc.pingback.ping(source, blog.target)) == (
        48, "The pingback has already been registered."
    )


def test_source_that_is_no_http_url_is_fault_16(blog):
    assert fault_of(lambda: blog.rpc.pingback.ping("ftp://example.com/x", blog.target)) == (
        16, "The source URL does not exist or could not be fetched."
    )
    assert blog.stored() == []


def test_every_source_fetch_failure_gets_one_answer_then_goes_to_spam_unseen(app, blog, httpserver):
    """Formerly one fault 16 for all: the sender now gets the same success string whatever its page
    does (still no port-scan oracle), and the check sends each to spam with the reason. A 404 is
    final at once; a refused connection or an unknown host is tried again, then given up."""
    app.config["LINKBACK_MAX_ATTEMPTS"] = 2
    httpserver.expect_request("/gone").respond_with_data("not here", status=404)
    with socket.socket() as closed:  # bound, never listening: connections are refused
        closed.bind(("127.0.0.1", 0))
        refused = f"http://127.0.0.1:{closed.getsockname()[1]}/post"
        gone, unknown = httpserver.url_for("/gone"), "http://no-such-host.invalid/"
        sources = (gone, refused, unknown)
        assert [blog.rpc.pingback.ping(url, blog.target) for url in sources] == [
            received(url, blog.target) for url in sources
        ]
        now = utcnow()
        assert blog.check(now) == 3
        assert {c.author_url: (c.status, c.verification) for c in blog.stored()} == {
            gone: ("spam", "unreachable"), refused: ("pending", "pending"), unknown: ("pending", "pending")
        }
        assert blog.check(now + timedelta(seconds=app.config["LINKBACK_RETRY_BASE_SECONDS"])) == 2
    stored = {c.author_url: c for c in blog.stored()}
    assert {url: (c.status, c.verification) for url, c in stored.items()} == {
        url: ("spam", "unreachable") for url in sources
    }
    assert "answered HTTP 404" in stored[gone].moderation_note
    for url in (refused, unknown):
        assert "could not be fetched" in stored[url].moderation_note
        assert "Gave up after 2 attempts" in stored[url].moderation_note
    page = blog.page()
    assert not any(url in page for url in sources)
    assert blog.check(now + timedelta(days=1)) == 0


def test_private_source_is_never_fetched_when_not_allowed(app, blog, httpserver):
    app.config["LINKBACK_ALLOW_PRIVATE"] = False
    source = source_page(httpserver, "/s", f"<a href='{blog.target}'>x</a>")
    assert blog.rpc.pingback.ping(source, blog.target) == received(source, blog.target)
    assert blog.check() == 1
    (stored,) = blog.stored()
    assert (stored.status, stored.verification) == ("spam", "unreachable")
    assert "could not be fetched" in stored.moderation_note
    assert httpserver.log == []
    assert source not in blog.page()


def test_source_without_the_link_goes_to_spam_unseen(blog, httpserver):
    """Formerly fault 17: the sender is told the ping was received; the check finds no link (or no
    web page) and files it as spam with the reason."""
    plain = source_page(httpserver, "/text", f"<p>The URL as text only: {blog.target}</p>")
    other = source_page(httpserver, "/other", f"<a href='{blog.target}x/'>near miss</a>")
    httpserver.expect_request("/file.pdf").respond_with_data(
        f"<a href='{blog.target}'>x</a>", content_type="application/pdf"
    )
    pdf = httpserver.url_for("/file.pdf")
    for source in (plain, other, pdf):
        assert blog.rpc.pingback.ping(source, blog.target) == received(source, blog.target)
    assert blog.check() == 3
    stored = {c.author_url: c for c in blog.stored()}
    assert {url: (c.status, c.verification) for url, c in stored.items()} == {
        plain: ("spam", "failed"), other: ("spam", "failed"), pdf: ("spam", "failed")
    }
    assert "does not link to this post" in stored[plain].moderation_note
    assert "does not link to this post" in stored[other].moderation_note
    assert "not a web page" in stored[pdf].moderation_note
    page = blog.page()
    assert not any(url in page for url in (plain, other, pdf))


def test_source_that_times_out_is_retried_and_verified_once_it_answers(app, blog, slow_peer):
    app.config.update(LINKBACK_READ_TIMEOUT_SECONDS=0.3, LINKBACK_TOTAL_TIMEOUT_SECONDS=2)
    server, release = slow_peer
    html = f"<html><head><title>Slow but real</title></head><body><a href='{blog.target}'>x</a></body></html>"
    calls = []

    def source(_request):
        calls.append(1)
        if len(calls) == 1:
            release.wait(5)  # answers long after the read timeout
        return Response(html, content_type="text/html")

    server.expect_request("/slow").respond_with_handler(source)
    url = server.url_for("/slow")
    assert blog.rpc.pingback.ping(url, blog.target) == received(url, blog.target)
    now = utcnow()
    assert blog.check(now) == 1
    release.set()
    (stored,) = blog.stored()
    assert (stored.status, stored.verification) == ("pending", "pending")
    assert "Trying again later" in stored.verification_note
    base = timedelta(seconds=app.config["LINKBACK_RETRY_BASE_SECONDS"])
    with app.app_context():
        check = db.session.execute(db.select(LinkbackCheck)).scalar_one()
        assert (check.attempts, check.next_attempt_at) == (1, now + base)
    assert url not in blog.page()
    assert blog.check(now + base / 2) == 0  # not due yet
    assert blog.check(now + base) == 1
    (stored,) = blog.stored()
    assert (stored.verification, stored.author_name) == ("verified", "Slow but real")
    assert len(calls) == 2
    with app.app_context():
        assert db.session.execute(db.select(LinkbackCheck)).first() is None


def test_source_equal_to_target_is_fault_0(blog):
    assert fault_of(lambda: blog.rpc.pingback.ping(blog.target, blog.target))[0] == 0


def test_wrong_arguments_and_unknown_methods(blog):
    assert fault_of(lambda: blog.rpc.pingback.ping(blog.target))[0] == -32602
    assert fault_of(lambda: blog.rpc.pingback.ping(1, 2))[0] == -32602
    assert fault_of(lambda: blog.rpc.system.multicall([]))[0] == -32601
    assert fault_of(lambda: blog.rpc.wp.getUsersBlogs("admin", "x"))[0] == -32601


def test_list_methods_offers_exactly_three(blog):
    assert blog.rpc.system.listMethods() == [
        "pingback.extensions.getPingbacks", "pingback.ping", "system.listMethods"
    ]


def test_get_pingbacks_lists_sources_verified_and_approved(blog, author, httpserver):
    source = source_page(httpserver, "/s", f"<a href='{blog.target}'>x</a>")
    blog.rpc.pingback.ping(source, blog.target)
    assert blog.rpc.pingback.extensions.getPingbacks(blog.target) == []
    assert blog.check() == 1
    (stored,) = blog.stored()
    assert (stored.status, stored.verification) == ("pending", "verified")  # held by the moderation rules
    assert blog.rpc.pingback.extensions.getPingbacks(blog.target) == []
    assert source not in blog.page()
    approve_in_admin(author, stored.id)
    assert blog.rpc.pingback.extensions.getPingbacks(blog.target) == [source]
    assert f'<a href="{source}" rel="external nofollow ugc">A linking post</a>' in blog.page()


def test_unverified_pingback_is_never_listed_even_from_an_allowed_site(app, blog, httpserver):
    """The allow list approves a site's linkbacks without the owner, but only once the page is
    proved to link here: until the check, the item is on neither the post page nor getPingbacks."""
    with app.app_context():
        save_settings({"linkback_allow_sites": "localhost"})
    source = source_page(httpserver, "/s", f"<p>I read <a href='{blog.target}'>this</a>.</p>")
    blog.rpc.pingback.ping(source, blog.target)
    (stored,) = blog.stored()
    assert (stored.status, stored.verification) == ("pending", "pending")
    assert source not in blog.page()
    assert blog.rpc.pingback.extensions.getPingbacks(blog.target) == []
    assert blog.check() == 1
    (stored,) = blog.stored()
    assert (stored.status, stored.verification) == ("approved", "verified")
    assert "allow list" in stored.moderation_note
    assert blog.rpc.pingback.extensions.getPingbacks(blog.target) == [source]
    page = blog.page()
    assert f'<a href="{source}" rel="external nofollow ugc">A linking post</a>' in page
    assert "I read this." in page


def test_allowed_site_whose_page_does_not_link_is_never_listed(app, blog, httpserver):
    with app.app_context():
        save_settings({"linkback_allow_sites": "localhost"})
    source = source_page(httpserver, "/s", "<p>No link.</p>")
    blog.rpc.pingback.ping(source, blog.target)
    blog.check()
    (stored,) = blog.stored()
    assert (stored.status, stored.verification) == ("spam", "failed")
    assert blog.rpc.pingback.extensions.getPingbacks(blog.target) == []
    assert source not in blog.page()


def test_too_many_calls_from_one_address_is_fault_49(app, blog, httpserver):
    app.config["LINKBACK_PER_ADDRESS_PER_MINUTE"] = 3
    sources = [source_page(httpserver, f"/s{i}", "no link") for i in range(5)]
    answers = []
    for source in sources:
        try:
            answers.append(blog.rpc.pingback.ping(source, blog.target))
        except xmlrpc.client.Fault as fault:
            answers.append(fault.faultCode)
    assert answers == [received(source, blog.target) for source in sources[:3]] + [49, 49]
    assert len(blog.stored()) == 3
    assert httpserver.log == []  # no call fetches anything in the request
    blog.check()
    assert len(httpserver.log) == 3  # refused calls are never fetched later either


def test_twenty_parallel_identical_pingbacks_store_one(app, blog, httpserver):
    """Twenty calls with one source and target, released together: the unique source key lets one
    in, the others get fault 48 (never a duplicate, never a crash)."""
    app.config["LINKBACK_PER_ADDRESS_PER_MINUTE"] = 1000
    source = source_page(httpserver, "/s", f"<a href='{blog.target}'>x</a>")
    barrier = threading.Barrier(20, timeout=30)

    def ping(_):
        rpc = xmlrpc.client.ServerProxy(blog.url + "/xmlrpc")  # one connection per thread
        barrier.wait()
        try:
            return rpc.pingback.ping(source, blog.target)
        except xmlrpc.client.Fault as fault:
            return fault.faultCode, fault.faultString

    with ThreadPoolExecutor(max_workers=20) as pool:
        answers = list(pool.map(ping, range(20)))
    assert answers.count(received(source, blog.target)) == 1
    assert answers.count((48, "The pingback has already been registered.")) == 19
    assert len(blog.stored()) == 1
    assert blog.check() == 1
    (stored,) = blog.stored()
    assert stored.verification == "verified"


def test_billion_laughs_refused_cheaply(blog):
    """The DTD is refused before any entity is expanded: a parse-error fault, nothing stored."""
    bomb = (
        '<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol">'
        + "".join(f'<!ENTITY lol{i} "{("&lol" + str(i - 1) + ";") * 10 if i else "&lol;" * 10}">' for i in range(1, 10))
        + ']><methodCall><methodName>pingback.ping</methodName><params><param><value><string>&lol9;'
        "</string></value></param></params></methodCall>"
    )
    response = requests.post(blog.url + "/xmlrpc", data=bomb, headers={"Content-Type": "text/xml"}, timeout=10)
    with pytest.raises(xmlrpc.client.Fault) as caught:
        xmlrpc.client.loads(response.content)
    assert caught.value.faultCode == -32700
    assert blog.stored() == []


def test_oversized_request_refused_without_reading_it(app, blog):
    huge = b"<?xml version='1.0'?><methodCall>" + b" " * (app.config["LINKBACK_REQUEST_MAX_BYTES"] + 10)
    response = requests.post(blog.url + "/xmlrpc", data=huge, headers={"Content-Type": "text/xml"}, timeout=10)
    with pytest.raises(xmlrpc.client.Fault) as caught:
        xmlrpc.client.loads(response.content)
    assert caught.value.faultCode == -32600


def test_get_on_the_endpoint_explains_itself(blog):
    for path in ("/xmlrpc", "/xmlrpc.php"):
        response = requests.get(blog.url + path, timeout=5)
        assert response.status_code == 405 and "pingback" in response.text
        assert response.headers["Allow"] == "POST"


def test_pages_advertise_the_pingback_server(blog):
    home = requests.get(blog.url + "/", timeout=5)
    post = requests.get(blog.target, timeout=5)
    assert home.headers["X-Pingback"] == post.headers["X-Pingback"] == blog.url + "/xmlrpc"
    link = BeautifulSoup(post.text, "html.parser").find("link", rel="pingback")
    assert link["href"] == blog.url + "/xmlrpc"


def test_post_page_carries_trackback_url_and_valid_rdf(blog):
    page = BeautifulSoup(requests.get(blog.target, timeout=5).text, "html.parser")
    assert page.find("code", id="trackback-url").get_text() == blog.target + "trackback/"
    assert "Trackback URL for this post" in page.select_one(".trackback-info").get_text()
    (rdf_comment,) = [c for c in page.find_all(string=lambda s: isinstance(s, HTMLComment)) if "rdf:RDF" in c]
    root = ElementTree.fromstring(rdf_comment.strip())
    description = root.find("{http://www.w3.org/1999/02/22-rdf-syntax-ns#}Description")
    assert description.get("{http://purl.org/dc/elements/1.1/}identifier") == blog.target
    assert description.get("{http://madskills.com/public/xml/rss/module/trackback/}ping") == blog.target + "trackback/"


def test_closed_post_offers_no_linkback_discovery(blog, author):
    author.save("Target post", "Something worth linking to.", post_id=blog.post_id, allow_pings=False)
    response = requests.get(blog.target, timeout=5)
    page = BeautifulSoup(response.text, "html.parser")
    assert "X-Pingback" not in response.headers
    assert page.find("link", rel="pingback") is None and page.find("input", id="trackback-url") is None
    assert "rdf:RDF" not in response.text
