"""Settings → General: what the form shows, what it refuses, and that a saved change shows on the
very next request (title, tagline, site URL, time zone). Posts per page: Settings -> Reading
(tests/test_reading.py)."""

from __future__ import annotations

import re

import pytest
from markupsafe import escape

from blog.extensions import db
from blog.site_settings import get_settings

URL = "/admin/settings/general"
DEFAULTS = {"blog_title": "Test Blog", "tagline": "", "site_url": "", "timezone": "UTC"}


def save(author, **changes):
    return author.client.post(URL, data={**DEFAULTS, **changes, "csrf_token": author.token()})


def stored(app) -> dict:
    with app.app_context():
        return {name: get_settings()[name] for name in DEFAULTS}


def field_html(html: str, name: str) -> str:
    """The markup of one form field, from its label to the next field."""
    return html.split(f'for="{name}"')[1].split('class="field')[0]


def test_general_settings_show_the_current_values(author):
    html = author.client.get(URL).get_data(as_text=True)
    for label in ("Blog title", "Tagline", "Site URL", "Time zone"):
        assert f">{label}</label>" in html
    assert 'value="Test Blog"' in html and "posts_per_page" not in html  # moved to Settings -> Reading
    assert '<option selected value="UTC">' in html
    assert 'value="Save Changes"' in html


def test_saved_title_and_tagline_show_on_the_next_request(app, author, visitor):
    response = save(author, blog_title="  Field Notes ", tagline="Small things, written down")
    assert response.status_code == 302
    assert "Settings saved." in author.client.get(response.headers["Location"]).get_data(as_text=True)
    assert stored(app)["blog_title"] == "Field Notes"
    home = visitor.get("/").get_data(as_text=True)
    assert "<title>Field Notes – Small things, written down</title>" in home
    assert 'value="Field Notes"' in author.client.get(URL).get_data(as_text=True)


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("timezone", "Mars/Olympus_Mons", "Not a valid choice."),
        ("timezone", "localtime", "Not a valid choice."),
        ("blog_title", "", "This field is required."),
        ("blog_title", "   ", "This field is required."),
        ("site_url", "not a url", "Enter a full URL"),
        ("site_url", "ftp://example.com", "Enter a full URL"),
        ("site_url", "javascript://example.com/%0aalert(1)", "Enter a full URL"),
        ("site_url", "https://example.com/blog?lang=en", "Enter a full URL"),
        ("site_url", "https://example.com/#top", "Enter a full URL"),
    ],
)
def test_bad_values_are_refused_with_a_message_and_nothing_changes(app, author, field, value, message):
    before = stored(app)
    typed = {"blog_title": "Typed Title", "tagline": "Typed tagline"}
    response = save(author, **{**typed, field: value})
    html = response.get_data(as_text=True)
    assert response.status_code == 400
    assert message in field_html(html, field)
    assert stored(app) == before
    for name, text in typed.items():
        if name != field:
            assert f'value="{escape(text)}"' in field_html(html, name)


def test_time_zone_moves_dates_and_permalinks(app, author, visitor):
    post = author.publish("Late night", publish_date="2024-03-01T23:30")
    assert author.url_of(post) == "/2024/03/01/late-night/"
    assert save(author, timezone="Asia/Tokyo").status_code == 302
    assert author.url_of(post) == "/2024/03/02/late-night/"
    assert visitor.get("/2024/03/02/late-night/").status_code == 200
    assert "March 2, 2024 at 08:30" in author.client.get("/admin/posts").get_data(as_text=True)
    html = author.client.get(f"/admin/posts/{post.id}/edit").get_data(as_text=True)
    assert 'value="2024-03-02T08:30"' in html and "Your time zone (Asia/Tokyo)" in html


def test_absolute_links_use_the_site_url_recorded_at_setup_until_changed(app, author, visitor):
    assert stored(app)["site_url"] == "http://localhost"  # setup's request (tests/test_canonical_url.py)
    post = author.publish("Linked", publish_date="2024-03-01T10:00")
    feed = visitor.get("/feed/").get_data(as_text=True)
    assert 'href="http://localhost/2024/03/01/linked/"' in feed
    assert save(author, site_url="https://blog.example.com/").status_code == 302
    assert stored(app)["site_url"] == "https://blog.example.com"
    feed = visitor.get("/feed/").get_data(as_text=True)
    assert 'href="https://blog.example.com/feed/"' in feed
    assert 'href="https://blog.example.com/2024/03/01/linked/"' in feed
    # Only the entry's id keeps the host it was minted under, so readers never see the post as new.
    assert feed.count("localhost") == 1 and "<id>tag:localhost," in feed
    page = visitor.get(author.url_of(post)).get_data(as_text=True)
    assert '<link rel="canonical" href="https://blog.example.com/2024/03/01/linked/">' in page


def test_site_url_may_live_under_a_path(app, author, visitor):
    author.publish("Sub", publish_date="2024-03-01T10:00")
    assert save(author, site_url="https://example.com/blog").status_code == 302
    assert 'href="https://example.com/blog/2024/03/01/sub/"' in visitor.get("/feed/").get_data(as_text=True)


def test_setting_saved_elsewhere_shows_on_the_next_request(app, author, visitor):
    """Another process (or the shell) saving a setting is seen on the next request, no restart."""
    from blog.models import Setting

    with app.app_context():
        db.session.merge(Setting(key="blog_title", value='"Changed Elsewhere"'))
        db.session.commit()
    assert re.search(r"<title>Changed Elsewhere", visitor.get("/").get_data(as_text=True))
