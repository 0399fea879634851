"""Turning text into HTML: post Markdown (tables, fenced code, footnotes, heading ids) sanitised
with nh3, visitors' comments as escaped text with links, and plain-text excerpts."""

from __future__ import annotations

import pytest
from bs4 import BeautifulSoup

from blog.rendering import html_to_text, make_excerpt, render_comment_text, render_markdown


def html(source: str) -> BeautifulSoup:
    return BeautifulSoup(render_markdown(source), "html.parser")


# Markdown features


def test_markdown_tables_keep_their_column_alignment():
    soup = html("| Left | Middle | Right |\n|:-----|:------:|------:|\n| a | b | c |\n")
    assert [th.get_text() for th in soup.select("table thead th")] == ["Left", "Middle", "Right"]
    assert [td.get("align") for td in soup.select("table tbody td")] == ["left", "center", "right"]


def test_fenced_code_keeps_language_and_escapes_its_text():
    soup = html("```python\nif a < b:\n    print('<hi>')\n```\n")
    code = soup.select_one("pre > code")
    assert code["class"] == ["language-python"]
    assert code.get_text() == "if a < b:\n    print('<hi>')\n"
    assert "&lt;hi&gt;" in render_markdown("```\n<hi>\n```\n")


def test_footnotes_link_to_their_notes_and_back():
    soup = html("Claim.[^src]\n\n[^src]: The source.\n")
    ref = soup.select_one("sup a.footnote-ref")
    note = soup.select_one(".footnote li")
    assert ref["href"] == f"#{note['id']}"
    assert "The source." in note.get_text()
    assert note.select_one("a.footnote-backref")["href"] == f"#{soup.select_one('sup')['id']}"


def test_headings_get_ids_unique_and_unicode_friendly():
    soup = html("## A heading\n\n## A heading\n\n### Über Größe\n")
    assert [h["id"] for h in soup.select("h2, h3")] == ["a-heading", "a-heading_1", "über-größe"]


def test_plain_markdown_renders_emphasis_links_and_lists():
    soup = html("Some **bold**, *em* and [a link](https://example.com/x).\n\n- one\n- two\n")
    assert soup.select_one("strong").get_text() == "bold"
    assert soup.select_one("em").get_text() == "em"
    assert soup.select_one("a")["href"] == "https://example.com/x"
    assert [li.get_text() for li in soup.select("ul li")] == ["one", "two"]


# Sanitising


@pytest.mark.parametrize(
    "source",
    [
        "<script>alert('x')</script>",
        "Text <script src='https://evil.example/x.js'></script>",
        "<SCRIPT>alert(1)</SCRIPT>",
        "<scr<script>ipt>alert(1)</script>",
        "```html\n</code></pre><script>alert(1)</script>\n```",
    ],
)
def test_script_in_a_post_is_never_rendered(source):
    assert not html(source).select("script")
    assert "<script" not in render_markdown(source).lower()


@pytest.mark.parametrize(
    ("source", "forbidden"),
    [
        ('<img src="x.png" onerror="alert(1)">', "onerror"),
        ('<a href="javascript:alert(1)">x</a>', "javascript"),
        ("[x](javascript:alert(1))", "javascript"),
        ('<a href="https://example.com" onclick="steal()">x</a>', "onclick"),
        ('<iframe src="https://evil.example"></iframe>', "iframe"),
        ("<style>body { display: none }</style>", "display"),
        ('<p style="position:fixed">x</p>', "position"),
        ('<form action="https://evil.example"><input name="pw"></form>', "form"),
        ('<img src="data:image/svg+xml;base64,PHN2Zz4=">', "data:"),
    ],
)
def test_dangerous_html_in_a_post_is_removed(source, forbidden):
    assert forbidden not in render_markdown(source)


def test_harmless_html_in_a_post_is_kept():
    soup = html('<details><summary>More</summary>Hidden <kbd>Ctrl</kbd></details>\n\n<img src="a.png" alt="A">')
    assert soup.select_one("details summary").get_text() == "More"
    assert soup.select_one("kbd").get_text() == "Ctrl"
    assert (soup.img["src"], soup.img["alt"]) == ("a.png", "A")


def test_script_in_a_published_post_is_not_on_its_pages(author, visitor):
    post = author.publish("Risky", "Hello <script>alert('x')</script> <b onmouseover='x()'>world</b>")
    for path in (author.url_of(post), "/"):
        body = BeautifulSoup(visitor.get(path).get_data(as_text=True), "html.parser").select_one(".post-body")
        assert body.select("script") == [] and "alert" not in str(body)
        assert str(body.select_one("b")) == "<b>world</b>"


# Comment text


def comment(text: str) -> BeautifulSoup:
    return BeautifulSoup(str(render_comment_text(text)), "html.parser")


def test_comment_text_is_escaped_not_interpreted():
    out = render_comment_text("<script>alert(1)</script> & <b>bold</b>")
    assert str(out) == "<p>&lt;script&gt;alert(1)&lt;/script&gt; &amp; &lt;b&gt;bold&lt;/b&gt;</p>"


def test_comment_line_breaks_and_paragraphs_are_kept():
    soup = comment("one\ntwo\r\nthree\n\n\nnew paragraph")
    paragraphs = soup.select("p")
    assert len(paragraphs) == 2
    assert len(paragraphs[0].select("br")) == 2
    assert paragraphs[1].get_text() == "new paragraph"


def test_bare_urls_in_comment_become_nofollow_links():
    soup = comment("See https://example.com/a?x=1&y=<2>. Or http://example.org")
    links = [(a["href"], a.get_text(), a["rel"]) for a in soup.select("a")]
    assert links == [
        ("https://example.com/a?x=1&y=", "https://example.com/a?x=1&y=", ["nofollow", "ugc"]),
        ("http://example.org", "http://example.org", ["nofollow", "ugc"]),
    ]
    assert "<2>." in soup.get_text()


def test_www_address_in_comment_becomes_a_link():
    (link,) = comment("Visit www.example.com today").select("a")
    assert (link["href"], link.get_text()) == ("http://www.example.com", "www.example.com")
    assert link["rel"] == ["nofollow", "ugc"]


@pytest.mark.parametrize(
    "text",
    ["my site is example.org", "javascript:alert(1)", "//evil.example/path", "write to mailto:me@example.com"],
)
def test_comment_links_only_http_addresses(text):
    assert comment(text).select("a") == []


# Plain text and excerpts


def test_html_to_text_folds_whitespace():
    assert html_to_text("<p>Hello\n  <b>big</b></p><p>world</p>") == "Hello big world"
    assert html_to_text("<p>Two <em>words</em>.</p><ul><li>a</li><li>b<br>c</li></ul>") == "Two words. a b c"


def test_short_text_is_its_own_excerpt():
    assert make_excerpt("<p>Short and sweet.</p>") == "Short and sweet."


def test_long_text_is_cut_at_a_word_with_an_ellipsis():
    excerpt = make_excerpt("<p>" + "word " * 100 + "</p>", max_chars=52)
    assert excerpt == "word word word word word word word word word word…"
