"""Pingback endpoint discovery (PB-7): header first, then <link rel="pingback">; TrackBack RDF."""

from __future__ import annotations

from werkzeug import Response

from blog.linkbacks.discovery import discover


def test_endpoint_found_in_x_pingback_header(remote_blog, policy):
    page = remote_blog.post_page("/a/", pingback="header")
    assert discover(page, policy).pingback == remote_blog.url("/xmlrpc")


def test_endpoint_found_in_link_element(remote_blog, policy):
    page = remote_blog.post_page("/a/", pingback="link")
    assert discover(page, policy).pingback == remote_blog.url("/xmlrpc")


def test_header_wins_over_link_element(httpserver, policy):
    html = '<html><head><link rel="pingback" href="http://elsewhere.example/xmlrpc"></head></html>'
    httpserver.expect_request("/p").respond_with_data(
        html, content_type="text/html", headers={"X-Pingback": httpserver.url_for("/header-rpc")}
    )
    assert discover(httpserver.url_for("/p"), policy).pingback == httpserver.url_for("/header-rpc")


def test_relative_link_href_resolved_against_the_final_url(httpserver, policy):
    httpserver.expect_request("/old").respond_with_response(Response(status=301, headers={"Location": "/blog/post"}))
    httpserver.expect_request("/blog/post").respond_with_data(
        '<html><head><link href="../rpc.php?x=1&amp;y=2" rel="pingback"></head></html>', content_type="text/html"
    )
    found = discover(httpserver.url_for("/old"), policy)
    assert found.url == httpserver.url_for("/blog/post")
    assert found.pingback == httpserver.url_for("/rpc.php") + "?x=1&y=2"


def test_no_endpoint_when_page_advertises_none(remote_blog, policy):
    page = remote_blog.post_page("/plain/", pingback=None)
    assert discover(page, policy).pingback is None


def test_link_text_in_body_is_not_an_endpoint(httpserver, policy):
    html = (
        '<html><body><pre>&lt;link rel="pingback" href="http://x/rpc"&gt;</pre>'
        '<!-- <link rel="pingback" href="http://y/rpc"> --></body></html>'
    )
    httpserver.expect_request("/p").respond_with_data(html, content_type="text/html")
    assert discover(httpserver.url_for("/p"), policy).pingback is None


def test_non_html_page_uses_header_only(httpserver, policy):
    httpserver.expect_request("/img.png").respond_with_data(
        b"\x89PNG<link rel=\"pingback\" href=\"http://x/\">", content_type="image/png",
        headers={"X-Pingback": httpserver.url_for("/rpc")},
    )
    assert discover(httpserver.url_for("/img.png"), policy).pingback == httpserver.url_for("/rpc")


def test_trackback_ping_url_from_rdf(remote_blog, policy):
    page = remote_blog.post_page("/tb/", pingback=None, rdf=True)
    assert discover(page, policy).trackback == page + "trackback/"


def test_rdf_of_another_entry_is_not_used_when_several(httpserver, policy):
    def block(url):
        return (
            '<rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#" '
            'xmlns:dc="http://purl.org/dc/elements/1.1/" '
            'xmlns:trackback="http://madskills.com/public/xml/rss/module/trackback/">'
            f'<rdf:Description rdf:about="{url}" dc:identifier="{url}" trackback:ping="{url}tb" /></rdf:RDF>'
        )
    page = httpserver.url_for("/list/")
    other = "http://other.example/post/"
    html = f"<html><body><!-- {block(other)} --><!-- {block(page)} --></body></html>"
    httpserver.expect_request("/list/").respond_with_data(html, content_type="text/html")
    assert discover(page, policy).trackback == page + "tb"


def test_billion_laughs_in_rdf_is_ignored(httpserver, policy):
    bomb = (
        '<!DOCTYPE r [<!ENTITY a "aaaaaaaaaa"><!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;">]>'
        '<rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#">&b;</rdf:RDF>'
    )
    httpserver.expect_request("/bomb").respond_with_data(f"<html><!-- {bomb} --></html>", content_type="text/html")
    assert discover(httpserver.url_for("/bomb"), policy).trackback is None
