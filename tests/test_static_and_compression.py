"""Versioned static URLs with a year-long Cache-Control, and gzip for text responses (issue 11)."""

from __future__ import annotations

import gzip
import re

STYLESHEET_RE = re.compile(r'href="(/static/css/blog\.css\?v=([0-9a-f]{12}))"')


def test_static_urls_carry_a_content_hash_and_are_cached_for_a_year(app, author, visitor):
    author.publish("Static", "Text.")
    url, version = STYLESHEET_RE.search(visitor.get("/").get_data(as_text=True)).groups()
    response = visitor.get(url)
    assert response.status_code == 200
    assert response.headers["Cache-Control"] == "public, max-age=31536000, immutable"
    assert visitor.get("/static/css/blog.css?v=000000000000").headers["Cache-Control"] != (
        "public, max-age=31536000, immutable")  # not the current file: never kept for a year
    assert "immutable" not in visitor.get("/static/css/blog.css").headers.get("Cache-Control", "")


def test_a_changed_static_file_gets_a_new_address(app, author, visitor, tmp_path):
    static = tmp_path / "static"
    static.mkdir()
    (static / "site.css").write_text("body { color: black }")
    app.static_folder = str(static)
    with app.test_request_context():
        from flask import url_for

        before = url_for("static", filename="site.css")
        (static / "site.css").write_text("body { color: navy; }")
        after = url_for("static", filename="site.css")
        missing = url_for("static", filename="nothing-here.css")
    assert before != after and before.startswith("/static/site.css?v=")
    assert missing == "/static/nothing-here.css"


def test_pages_are_gzipped_when_accepted(app, author, visitor):
    author.publish("Zipped", "Some text. " * 100)
    plain = visitor.get("/")
    zipped = visitor.get("/", headers={"Accept-Encoding": "gzip, deflate, br"})
    assert "Content-Encoding" not in plain.headers
    assert zipped.headers["Content-Encoding"] == "gzip"
    assert "Accept-Encoding" in zipped.headers["Vary"] and "Accept-Encoding" in plain.headers["Vary"]
    assert gzip.decompress(zipped.data) == plain.data
    assert len(zipped.data) < len(plain.data) / 3
    assert zipped.headers["ETag"] == "W/" + plain.headers["ETag"]
    again = visitor.get("/", headers={"Accept-Encoding": "gzip", "If-None-Match": zipped.headers["ETag"]})
    assert again.status_code == 304


def test_gzip_refused_with_q_zero_and_small_or_binary_responses_left_alone(app, author, visitor):
    author.publish("Refused", "Some text. " * 100)
    assert "Content-Encoding" not in visitor.get("/", headers={"Accept-Encoding": "gzip;q=0"}).headers
    assert "Content-Encoding" not in visitor.get("/robots.txt", headers={"Accept-Encoding": "gzip"}).headers
    icon = visitor.get("/static/favicon.ico", headers={"Accept-Encoding": "gzip"})
    icon.close()
    assert icon.status_code == 200 and "Content-Encoding" not in icon.headers


def test_feeds_are_gzipped(app, author, visitor):
    author.publish("Feed", "Some text. " * 100)
    feed = visitor.get("/feed/", headers={"Accept-Encoding": "gzip"})
    assert feed.headers["Content-Encoding"] == "gzip"
    assert b"<feed" in gzip.decompress(feed.data)
