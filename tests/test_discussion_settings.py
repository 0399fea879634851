"""Settings -> Discussion, the page itself: every option shown with its default and saved through
the real form, refused values (nothing saved), word and site lists trimmed, the mail boxes, the
"apply to all existing posts" confirmation, and the page closed to anonymous visitors."""

from __future__ import annotations

import pytest
from blog_testing import csrf_token, snapshot
from discussion_testing import SETTINGS_URL, form_data, save_discussion, soup_of

from blog.extensions import db
from blog.models import Post
from blog.site_settings import SPECS, get_settings

APPLY_URL = "/admin/settings/discussion/apply-defaults"
GENERAL = ("blog_title", "tagline", "site_url", "timezone")
READING = ("posts_per_page", "posts_per_rss", "rss_use_excerpt", "home_use_excerpt")
DISCUSSION = [name for name in SPECS if name not in GENERAL + READING]
MAIL = ("comments_notify", "pings_notify", "moderation_notify")
NOT_THE_DEFAULT = {
    "close_comments_days_old": 30,
    "close_pings_days_old": 60,
    "thread_comments_depth": 3,
    "comments_per_page": 20,
    "default_comments_page": "oldest",
    "comment_order": "desc",
    "comment_max_links": 0,
    "moderation_keys": "casino\nviagra",
    "disallowed_keys": "spammer@example.com",
    "linkback_allow_sites": "friend.example\nhttps://blog.example.org/people/",
    "linkback_block_sites": ".spam.example",
    "spam_link_farm_links": 40,
    "spam_threshold": 80,  # each alone must keep hold <= spam <= discard (defaults 50, 90, 99)
    "spam_hold_threshold": 30,
    "spam_discard_threshold": 95,
    "spam_delete_days": 30,
}


def stored(app) -> dict:
    with app.app_context():
        return {name: get_settings()[name] for name in DISCUSSION}


def as_sent(value) -> str | None:
    """How the browser sends a setting's value: a ticked box as "y", an unticked one not at all."""
    if isinstance(value, bool):
        return "y" if value else None
    return str(value)


def shown(author) -> dict[str, str]:
    data = form_data(author.client.get(SETTINGS_URL).get_data(as_text=True), "form.discussion-form")
    data.pop("csrf_token")
    return data


def test_page_shows_every_discussion_setting_at_its_default(author):
    expected = {name: as_sent(SPECS[name].default) for name in DISCUSSION if name not in MAIL}
    assert shown(author) == {name: value for name, value in expected.items() if value is not None}


def test_every_control_has_a_label_or_an_accessible_name(author):
    page = soup_of(author.client.get(SETTINGS_URL))
    for name in DISCUSSION:
        control = page.find(id=name)
        assert control is not None, name
        assert page.select_one(f'label[for="{name}"]') or control.get("aria-label"), name
    labels = [label.get_text(" ", strip=True) for label in page.select("form.discussion-form label")]
    for wordpress_label in (
        "Attempt to notify any blogs linked to from the post",
        "Comment author must fill out name and email",
        "Comment must be manually approved",
        "Comment author must have a previously approved comment",
        "Disallowed Comment Keys",
    ):
        assert wordpress_label in labels


@pytest.mark.parametrize("name", [n for n in DISCUSSION if n not in MAIL])
def test_each_option_is_saved_through_the_form_and_shown_again(app, author, name):
    before = stored(app)
    default = SPECS[name].default
    value = (not default) if isinstance(default, bool) else NOT_THE_DEFAULT[name]
    response = save_discussion(author.client, **{name: value})
    assert response.status_code == 302 and response.headers["Location"] == SETTINGS_URL
    assert "Settings saved." in author.client.get(SETTINGS_URL).get_data(as_text=True)
    assert stored(app) == {**before, name: value}
    assert shown(author).get(name) == as_sent(value)


def test_mail_boxes_are_disabled_and_explained_without_a_mail_server(app, author):
    page = soup_of(author.client.get(SETTINGS_URL))
    assert all(page.find(id=name).has_attr("disabled") for name in MAIL)
    assert "MAIL_SERVER" in page.select_one(".mail-unavailable").get_text()
    # The browser sends nothing for disabled boxes: saving must not read that as "unticked".
    assert save_discussion(author.client, comment_moderation=True).status_code == 302
    assert {name: stored(app)[name] for name in MAIL} == dict.fromkeys(MAIL, True)


def test_mail_boxes_can_be_changed_when_a_mail_server_is_configured(app, author):
    app.config["MAIL_SERVER"] = "smtp.example.com"
    page = soup_of(author.client.get(SETTINGS_URL))
    assert not any(page.find(id=name).has_attr("disabled") for name in MAIL)
    assert page.select_one(".mail-unavailable") is None
    assert save_discussion(author.client, comments_notify=False, moderation_notify=False).status_code == 302
    assert {name: stored(app)[name] for name in MAIL} == {
        "comments_notify": False, "pings_notify": True, "moderation_notify": False
    }


@pytest.mark.parametrize(
    ("name", "value", "message"),
    [
        ("close_comments_days_old", "0", "Number must be between 1 and 36500."),
        ("close_comments_days_old", "36501", "Number must be between 1 and 36500."),
        ("close_comments_days_old", "two weeks", "Not a valid integer value."),
        ("close_pings_days_old", "-1", "Number must be between 1 and 36500."),
        ("close_pings_days_old", "", "This field is required."),
        ("comments_per_page", "0", "Number must be between 1 and 1000."),
        ("comments_per_page", "1001", "Number must be between 1 and 1000."),
        ("comment_max_links", "-1", "Number must be between 0 and 100."),
        ("comment_max_links", "101", "Number must be between 0 and 100."),
        ("thread_comments_depth", "1", "Not a valid choice."),
        ("thread_comments_depth", "11", "Not a valid choice."),
        ("default_comments_page", "middle", "Not a valid choice."),
        ("comment_order", "random", "Not a valid choice."),
        ("linkback_allow_sites", "friend.example\nftp://files.example", "Not a site: ftp://files.example"),
        ("linkback_allow_sites", "friend.example/blog", "Not a site: friend.example/blog"),
        ("linkback_block_sites", "http://", "Not a site: http://"),
        ("linkback_block_sites", "spam example", "Not a site: spam example"),
        ("moderation_keys", "x" * 20001, "Field cannot be longer than 20000 characters."),
    ],
)
def test_bad_values_are_refused_with_a_message_and_nothing_is_saved(app, author, name, value, message):
    """Found with this test: a refused depth, default page or order showed no message beside it."""
    before = snapshot(app)
    response = save_discussion(author.client, comment_moderation=True, **{name: value})
    assert response.status_code == 400
    page = soup_of(response)
    assert "nothing was saved" in page.select_one(".flash-error").get_text()
    beside = page.find(id=name).find_parent("div")
    assert any(error.get_text().startswith(message) for error in beside.select(".error")), beside
    assert snapshot(app) == before


def test_refused_form_keeps_what_was_typed(author):
    response = save_discussion(author.client, comments_per_page="0", moderation_keys="casino", comment_moderation=True)
    assert response.status_code == 400
    kept = form_data(response.get_data(as_text=True), "form.discussion-form")
    assert (kept["comments_per_page"], kept["moderation_keys"], kept["comment_moderation"]) == ("0", "casino", "y")


def test_save_without_csrf_token_is_refused(app, author):
    data = form_data(author.client.get(SETTINGS_URL).get_data(as_text=True), "form.discussion-form")
    data.pop("csrf_token")
    data["comment_moderation"] = "y"
    before = snapshot(app)
    assert author.client.post(SETTINGS_URL, data=data).status_code == 400
    assert snapshot(app) == before


def test_word_and_site_lists_are_stored_trimmed_one_per_line(app, author):
    response = save_discussion(
        author.client,
        moderation_keys="  casino \r\n\r\n\tViagra\t\r\n   \r\n",
        disallowed_keys="\r\n spammer@example.com\r\n203.0.113.9  ",
        linkback_allow_sites=" friend.example \r\n\r\n https://blog.example.org/people/ ",
        linkback_block_sites="\t.spam.example\r\n",
    )
    assert response.status_code == 302
    assert {name: stored(app)[name] for name in NOT_THE_DEFAULT if name.endswith(("keys", "sites"))} == {
        "moderation_keys": "casino\nViagra",
        "disallowed_keys": "spammer@example.com\n203.0.113.9",
        "linkback_allow_sites": "friend.example\nhttps://blog.example.org/people/",
        "linkback_block_sites": ".spam.example",
    }
    assert shown(author)["moderation_keys"] == "casino\nViagra"


def test_changing_the_defaults_leaves_existing_posts_alone(app, author):
    post = author.publish("Older post")
    assert save_discussion(author.client, default_comment_status=False, default_ping_status=False).status_code == 302
    kept = author.post(post.id)
    assert (kept.allow_comments, kept.allow_pings) == (True, True)


def test_apply_defaults_asks_first_then_sets_every_post(app, author, visitor):
    open_post = author.publish("Open post")
    no_pings = author.publish("No pings", allow_pings=False)
    author.save("A draft", action="draft", allow_comments=False)
    settings_page = soup_of(author.client.get(SETTINGS_URL))
    assert settings_page.select_one(f'a[href="{APPLY_URL}"]').get_text() == "apply them to all existing posts"
    assert save_discussion(author.client, default_comment_status=False).status_code == 302

    before = snapshot(app)
    confirm = soup_of(author.client.get(APPLY_URL))
    assert snapshot(app) == before  # asking changes nothing
    assert confirm.select_one("h1").get_text() == "Apply the defaults to all 3 posts?"
    assert [s.get_text() for s in confirm.select("strong")] == ["off", "on"]
    assert confirm.select_one(f'a[href="{SETTINGS_URL}"]').get_text() == "Cancel"

    response = author.client.post(APPLY_URL, data=form_data(str(confirm), "section.confirm form"))
    assert response.status_code == 302 and response.headers["Location"] == SETTINGS_URL
    assert "The defaults now apply to all 3 posts." in author.client.get(SETTINGS_URL).get_data(as_text=True)
    with app.app_context():
        states = db.session.execute(db.select(Post.allow_comments, Post.allow_pings)).all()
    assert [tuple(state) for state in states] == [(False, True)] * 3
    assert "Comments are closed." in visitor.get(author.url_of(open_post)).get_data(as_text=True)
    assert "Trackback URL" in visitor.get(author.url_of(no_pings)).get_data(as_text=True)


def test_apply_defaults_without_csrf_token_changes_nothing(app, author):
    author.publish("Post", allow_comments=False)
    before = snapshot(app)
    assert author.client.post(APPLY_URL).status_code == 400
    assert snapshot(app) == before


@pytest.mark.parametrize(("method", "url"), [("GET", SETTINGS_URL), ("GET", APPLY_URL), ("POST", SETTINGS_URL),
                                             ("POST", APPLY_URL)])
def test_anonymous_visitors_are_sent_to_login(app, author, method, url):
    author.publish("Post", allow_comments=False)
    anonymous = app.test_client()
    data = {"csrf_token": csrf_token(anonymous, "/login"), "comment_moderation": "y", "close_comments_days_old": "1"}
    before = snapshot(app)
    response = anonymous.open(url, method=method, data=data if method == "POST" else None)
    assert response.status_code == 302 and response.headers["Location"].startswith("/login?next=")
    assert snapshot(app) == before
