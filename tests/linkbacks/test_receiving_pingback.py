"""Our pingback server, called over real HTTP with xmlrpc.client: success, every fault of
LINKBACKS.md 1.3, hostile requests, and the discovery markup on our pages."""

from __future__ import annotations

import socket
import xmlrpc.client

import pytest
import requests
from bs4 import BeautifulSoup
from bs4 import Comment as HTMLComment
from defusedxml import ElementTree

from blog.extensions import db
from blog.models import Comment, CommentStatus
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

    return Blog


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


def test_pingback_is_verified_and_stored_pending(blog, httpserver):
    text = "Before the link there is a long sentence of context. " * 3
    source = source_page(httpserver, "/src", f"<p>{text}I read <a href='{blog.target}'>this post</a> today.</p>")
    answer = blog.rpc.pingback.ping(source, blog.target)
    assert answer == f"Pingback from {source} to {blog.target} registered. Keep the web talking! :-)"
    (stored,) = blog.stored()
    assert (stored.kind, stored.status, stored.author_name, stored.author_url) == (
        "pingback", "pending", "A linking post", source
    )
    assert stored.content.startswith("[…] ") and stored.content.endswith("I read this post today.")
    assert stored.verification == "verified" and stored.ip == "127.0.0.1"
    request, _ = httpserver.log[-1]
    assert request.headers["X-Pingback-Forwarded-For"] == "127.0.0.1"


def test_source_without_title_is_named_by_its_host(blog, httpserver):
    source = source_page(httpserver, "/untitled", f"<a href='{blog.target}'>x</a>", title=None)
    blog.rpc.pingback.ping(source, blog.target)
    assert blog.stored()[0].author_name == "localhost"


def test_target_tolerates_scheme_and_trailing_slash(blog, httpserver):
    other_form = blog.target.rstrip("/").replace("http://", "https://")
    source = source_page(httpserver, "/s", f"<a href='{other_form}'>x</a>")
    blog.rpc.pingback.ping(source, other_form)
    assert len(blog.stored()) == 1


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


def test_every_source_fetch_failure_is_one_fault_16(blog, httpserver):
    httpserver.expect_request("/gone").respond_with_data("not here", status=404)
    with socket.socket() as closed:
        closed.bind(("127.0.0.1", 0))
        refused = f"http://127.0.0.1:{closed.getsockname()[1]}/post"
    answers = {
        fault_of(lambda url=url: blog.rpc.pingback.ping(url, blog.target))
        for url in (httpserver.url_for("/gone"), refused, "ftp://example.com/x", "http://no-such-host.invalid/")
    }
    assert answers == {(16, "The source URL does not exist or could not be fetched.")}


def test_private_source_refused_when_not_allowed(app, blog, httpserver):
    app.config["LINKBACK_ALLOW_PRIVATE"] = False
    source = source_page(httpserver, "/s", f"<a href='{blog.target}'>x</a>")
    assert fault_of(lambda: blog.rpc.pingback.ping(source, blog.target))[0] == 16
    assert httpserver.log == []


def test_source_without_the_link_is_fault_17(blog, httpserver):
    plain = source_page(httpserver, "/text", f"<p>The URL as text only: {blog.target}</p>")
    other = source_page(httpserver, "/other", f"<a href='{blog.target}x/'>near miss</a>")
    assert fault_of(lambda: blog.rpc.pingback.ping(plain, blog.target))[0] == 17
    assert fault_of(lambda: blog.rpc.pingback.ping(other, blog.target))[0] == 17


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


def test_get_pingbacks_lists_approved_sources(app, blog, httpserver):
    source = source_page(httpserver, "/s", f"<a href='{blog.target}'>x</a>")
    blog.rpc.pingback.ping(source, blog.target)
    assert blog.rpc.pingback.extensions.getPingbacks(blog.target) == []
    with app.app_context():
        db.session.execute(db.update(Comment).values(status=CommentStatus.APPROVED))
        db.session.commit()
    assert blog.rpc.pingback.extensions.getPingbacks(blog.target) == [source]


def test_too_many_calls_from_one_address_is_fault_49(app, blog, httpserver):
    app.config["LINKBACK_PER_ADDRESS_PER_MINUTE"] = 3
    source = source_page(httpserver, "/s", "no link")
    codes = [fault_of(lambda: blog.rpc.pingback.ping(source, blog.target))[0] for _ in range(5)]
    assert codes == [17, 17, 17, 49, 49]
    assert len(httpserver.log) == 3  # refused calls fetch nothing


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
    assert page.find("input", id="trackback-url")["value"] == blog.target + "trackback/"
    assert page.find("label", string="Trackback URL") is not None
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
