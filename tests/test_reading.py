"""Settings -> Reading (issue 14 "Reading and being found"): posts per page, feed size, full text or
excerpt in feeds and on the home page, saved through the real form; excerpts stored with each post
(the text before <!--more-->, else the first 55 words) and the "Continue reading" link to #more."""

from __future__ import annotations

import pytest
from blog_testing import csrf_token, snapshot
from bs4 import BeautifulSoup
from defusedxml import ElementTree

from blog.extensions import db
from blog.models import Post
from blog.post_text import render_post_text
from blog.site_settings import get_settings

URL = "/admin/settings/reading"
ATOM = "{http://www.w3.org/2005/Atom}"
DEFAULTS = {"posts_per_page": "10", "posts_per_rss": "10", "rss_use_excerpt": "full", "home_use_excerpt": "full"}
LONG = " ".join(f"word{n}" for n in range(80))


def save(author, **changes):
    return author.client.post(URL, data={**DEFAULTS, **changes, "csrf_token": author.token()})


def stored(app) -> dict:
    with app.app_context():
        settings = get_settings()
        return {name: settings[name] for name in ("posts_per_page", "posts_per_rss", "rss_use_excerpt",
                                                   "home_use_excerpt")}


def soup(client, path):
    response = client.get(path)
    assert response.status_code == 200, path
    return BeautifulSoup(response.get_data(as_text=True), "html.parser")


def test_reading_page_shows_wordpress_options_at_their_defaults(author):
    page = soup(author.client, URL)
    assert page.select_one("h1").get_text() == "Reading Settings"
    assert page.select_one('nav.settings-tabs a[aria-current="page"]').get_text() == "Reading"
    assert page.select_one('label[for="posts_per_page"]').get_text() == "Blog pages show at most"
    assert page.select_one("#posts_per_page")["value"] == "10"
    assert page.select_one('label[for="posts_per_rss"]').get_text() == "Syndication feeds show the most recent"
    legends = [legend.get_text() for legend in page.select("fieldset legend")]
    assert legends == ["For each post in a feed, include", "For each post on the home page, include"]
    for name in ("rss_use_excerpt", "home_use_excerpt"):
        radios = page.select(f'input[type="radio"][name="{name}"]')
        labels = [page.select_one(f'label[for="{r["id"]}"]').get_text() for r in radios]
        assert labels == ["Full text", "Excerpt"]
        assert [r.has_attr("checked") for r in radios] == [True, False]
    assert "posts_per_page" not in author.client.get("/admin/settings/general").get_data(as_text=True)


def test_saved_through_the_form_and_shown_again(app, author):
    response = save(author, posts_per_page="3", posts_per_rss="25", rss_use_excerpt="excerpt",
                    home_use_excerpt="excerpt")
    assert response.status_code == 302 and response.headers["Location"] == URL
    assert "Settings saved." in author.client.get(URL).get_data(as_text=True)
    assert stored(app) == {"posts_per_page": 3, "posts_per_rss": 25, "rss_use_excerpt": True,
                           "home_use_excerpt": True}
    page = soup(author.client, URL)
    assert page.select_one("#posts_per_rss")["value"] == "25"
    assert page.select_one('input[name="rss_use_excerpt"][value="excerpt"]').has_attr("checked")


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("posts_per_page", "0", "Number must be between 1 and 100."),
        ("posts_per_page", "ten", "Not a valid integer value."),
        ("posts_per_page", "", "This field is required."),
        ("posts_per_rss", "101", "Number must be between 1 and 100."),
        ("posts_per_rss", "-3", "Number must be between 1 and 100."),
        ("rss_use_excerpt", "summary", "Not a valid choice."),
        ("home_use_excerpt", "<script>", "Not a valid choice."),
    ],
)
def test_bad_values_are_refused_and_nothing_changes(app, author, field, value, message):
    before = snapshot(app)
    response = save(author, **{field: value})
    assert response.status_code == 400
    assert message in response.get_data(as_text=True)
    assert "<script>" not in response.get_data(as_text=True)
    assert snapshot(app) == before


def test_form_without_its_csrf_token_is_refused(app, author):
    before = snapshot(app)
    response = author.client.post(URL, data={**DEFAULTS, "posts_per_page": "2"})
    assert response.status_code == 400
    assert snapshot(app) == before


def test_visitors_cannot_see_or_change_reading_settings(app, author, visitor):
    assert visitor.get(URL).status_code in (302, 401)
    token = csrf_token(visitor, "/login")
    response = visitor.post(URL, data={**DEFAULTS, "posts_per_page": "2", "csrf_token": token})
    assert response.status_code in (302, 401)
    assert stored(app)["posts_per_page"] == 10


def test_posts_per_page_sets_the_home_page_size(author, visitor):
    for n in range(3):
        author.publish(f"Post {n}", publish_date=f"2024-01-0{n + 1}T10:00")
    assert save(author, posts_per_page="2").status_code == 302
    assert visitor.get("/").get_data(as_text=True).count("<article") == 2
    assert visitor.get("/page/2/").get_data(as_text=True).count("<article") == 1


def feed_entries(client, path="/feed/"):
    root = ElementTree.fromstring(client.get(path).data)
    return root.findall(f"{ATOM}entry")


def test_feeds_give_full_text_or_excerpt_and_hold_posts_per_rss_items(author, visitor):
    for n in range(3):
        author.publish(f"Post {n}", f"Opening {n}. {LONG}", publish_date=f"2024-01-0{n + 1}T10:00")
    assert save(author, posts_per_rss="2", posts_per_page="1").status_code == 302
    entries = feed_entries(visitor)
    assert len(entries) == 2
    content = entries[0].find(f"{ATOM}content").text
    assert "word79" in content and entries[0].find(f"{ATOM}summary") is None

    assert save(author, posts_per_rss="2", rss_use_excerpt="excerpt").status_code == 302
    entry = feed_entries(visitor)[0]
    assert entry.find(f"{ATOM}content") is None
    summary = entry.find(f"{ATOM}summary")
    assert summary.get("type") == "html"
    assert "word52 […]" in summary.text and "word53" not in summary.text
    assert 'href="http://localhost/2024/01/03/post-2/"' in summary.text and "Continue reading" in summary.text
    rss = ElementTree.fromstring(visitor.get("/feed/rss2/").data)
    item = rss.find("channel/item")
    assert "word52 […]" in item.findtext("description") and "word79" not in item.findtext("description")
    assert item.find("{http://purl.org/rss/1.0/modules/content/}encoded") is None


def test_home_page_gives_full_text_or_excerpt(author, visitor):
    author.publish("Long", f"Opening. {LONG}")
    author.publish("Short", "Only a few words.")
    home = soup(visitor, "/")
    assert "word79" in home.get_text() and not home.select(".more-link")
    assert save(author, home_use_excerpt="excerpt").status_code == 302
    home = soup(visitor, "/")
    assert "word53 […]" in home.get_text() and "word54" not in home.get_text()
    links = home.select(".more-link a")
    assert len(links) == 1  # not under the short post, whose excerpt is all of it
    assert links[0]["href"].endswith("/long/")  # no marker, so no #more
    assert links[0].get_text() == "Continue reading “Long” →"
    assert "word79" in soup(visitor, links[0]["href"]).get_text()  # the post page has it all


def test_more_marker_cuts_the_home_page_and_anchors_the_post(author, visitor):
    body = "First part, **bold**.\n\n<!--more-->\n\nThe rest, after the fold."
    post = author.publish("Folded", body)
    url = author.url_of(post)
    for setting in ("full", "excerpt"):
        assert save(author, home_use_excerpt=setting).status_code == 302
        home = soup(visitor, "/")
        assert "after the fold" not in home.get_text() and home.select_one("article strong").get_text() == "bold"
        link = home.select_one(".more-link a")
        assert link["href"] == f"{url}#more" and link.get_text() == "Continue reading “Folded” →"
    page = soup(visitor, url)
    anchor = page.select_one("#more")
    assert anchor is not None and "after the fold" in page.get_text()
    assert "<!--more" not in visitor.get(url).get_data(as_text=True)
    assert page.select_one('meta[name="description"]')["content"] == "First part, bold."


def test_more_marker_with_custom_text_is_the_link_text(author, visitor):
    post = author.publish("Custom", "Teaser.\n\n<!--more Read the <b>whole</b> story-->\n\nStory.")
    link = soup(visitor, "/").select_one(".more-link a")
    assert link["href"] == f"{author.url_of(post)}#more"
    assert link.get_text() == "Read the whole story “Custom” →"
    assert "<b>" not in str(link)


def test_excerpt_is_computed_when_the_post_is_stored(app, author):
    post = author.publish("Stored", f"Some *text*. {LONG}")
    with app.app_context():
        row = db.session.get(Post, post.id)
        assert row.body_text.startswith("Some text. word0") and row.body_text.endswith("word79")
        assert row.excerpt_text.endswith("word52 […]") and len(row.excerpt_text.split()) == 56
        assert row.excerpt_html == f"<p>{row.excerpt_text}</p>" and not row.has_more
    author.save("Stored", "Now short.\n\n<!--more-->\n\nTail.", post_id=post.id)
    with app.app_context():
        row = db.session.get(Post, post.id)
        assert (row.excerpt_text, row.excerpt_html, row.has_more) == ("Now short.", "<p>Now short.</p>", True)
        assert row.body_text == "Now short. Tail."


def test_more_marker_inside_code_is_text():
    text = render_post_text("Text.\n\n```\n<!--more-->\n```\n\nAnd `<!--more-->` inline.")
    assert not text.has_more and "&lt;!--more--&gt;" in text.body_html and 'id="more"' not in text.body_html


def test_marker_inside_a_list_leaves_well_formed_excerpt():
    text = render_post_text("- one\n- two <!--more--> three\n- four")
    assert text.has_more and text.excerpt_html.count("<ul>") == text.excerpt_html.count("</ul>") == 1
    assert text.excerpt_text == "one two"
