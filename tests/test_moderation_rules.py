"""Settings -> Discussion, the moderation settings: which status a visitor's comment, a pingback or a
trackback gets (and the note saying why), each setting changed through the real settings page, and
the rules' order as WordPress has it (LINKBACKS.md WP-21/22): the owner first, then manual
approval, links, moderation words and previous approval; disallowed words override them. A pingback,
or a trackback while "Verify that trackbacks link to this blog" is on, gets its status only once the
job layer has proved its page links here; until then it waits, unseen, and a page that does not link
(or cannot be fetched) sends it to spam, whatever the lists say."""

from __future__ import annotations

from datetime import timedelta

import pytest
from discussion_testing import Discussion

from blog.jobs import run_due_jobs
from blog.models import utcnow


@pytest.fixture
def blog(app, author, live_server, httpserver):
    return Discussion(app, author, live_server, httpserver)


@pytest.fixture
def post(blog):
    return blog.publish("Post")


def outcome(comment) -> tuple[str, str]:
    return comment.status, comment.moderation_note


def approved_comment(blog, post, text="Hello again", **who) -> None:
    """A comment by Visitor Vic (or `who`), approved by the owner."""
    blog.comment(post, text, **who)
    blog.approve(blog.last().id)


def checked(blog, now=None) -> dict[str, int]:
    """One pass of the job layer: the waiting linkbacks' pages are fetched, and those that link
    here get their moderation decision."""
    with blog.app.app_context():
        return run_due_jobs(now)


def linked_trackback(blog, post, path: str, **fields):
    """A trackback from a page (on the loopback server) that really links to the post."""
    return blog.trackback(post, blog.linking_page(path, post), **fields)


def shown(blog, post) -> str:
    """The post page as readers get it."""
    return str(blog.page(post))


# One setting at a time


def test_comment_moderation_holds_every_comment_pingback_and_trackback(blog, post):
    blog.settings(comment_previously_approved=False)
    blog.comment(post, "Approved without it")
    assert blog.last().status == "approved"
    blog.settings(comment_moderation=True)
    blog.comment(post, "Held with it")
    blog.pingback(post, blog.linking_page("/links-here", post))
    linked_trackback(blog, post, "/tracks-here")
    checked(blog)
    held = "Held: every comment must be manually approved."
    assert [outcome(item) for item in blog.items()[1:]] == [("pending", held)] * 3
    assert "Held with it" not in blog.page(post, client=blog.app.test_client()).get_text()  # a reader's view


def test_comment_previously_approved_approves_a_returning_name_and_email(blog, post):
    blog.comment(post, "First time here")
    assert outcome(blog.last()) == ("pending", "Held: no earlier approved comment.")
    blog.approve(blog.last().id)
    blog.comment(post, "Back again")
    assert outcome(blog.last()) == ("approved", "Approved: the author has an approved comment already.")
    blog.comment(post, "Same name, other email", email="someone-else@example.com")
    blog.comment(post, "Same email, other name", name="Vicky")
    assert [item.status for item in blog.items()[2:]] == ["pending", "pending"]

    blog.settings(comment_previously_approved=False)
    blog.comment(post, "A newcomer", name="Nina", email="nina@example.com")
    assert outcome(blog.last()) == ("approved", "Approved: no moderation rule applied.")


def test_comment_previously_approved_never_counts_an_anonymous_comment(blog, post):
    """WP-22.4: a comment lacking name or email is held, whatever was approved before."""
    blog.settings(require_name_email=False)
    approved_comment(blog, post, "Anonymous once", name="", email="")
    blog.comment(post, "Anonymous twice", name="", email="")
    assert outcome(blog.last()) == ("pending", "Held: no earlier approved comment.")


def test_comment_previously_approved_for_linkbacks_means_an_approved_linkback_from_the_site(blog, post):
    blog.settings(verify_trackbacks=False)  # the rule goes by the site's host: these pages are not served
    other = blog.publish("Another post")
    blog.trackback(post, "http://friend.example/first")
    assert outcome(blog.last()) == ("pending", "Held: the site has no approved linkback yet.")
    blog.approve(blog.last().id)
    blog.trackback(other, "http://friend.example/second")
    assert outcome(blog.last()) == ("approved", "Approved: the site has an approved linkback already.")
    blog.trackback(post, "http://stranger.example/p")
    blog.trackback(post, "http://www.friend.example/p")  # another host
    assert [item.status for item in blog.items()[2:]] == ["pending", "pending"]

    blog.pingback(post, blog.linking_page("/one", post))
    checked(blog)
    assert outcome(blog.last()) == ("pending", "Held: the site has no approved linkback yet.")
    blog.approve(blog.last().id)
    blog.pingback(other, blog.linking_page("/two", other))
    checked(blog)
    assert outcome(blog.last()) == ("approved", "Approved: the site has an approved linkback already.")


def test_comment_previously_approved_is_not_earned_by_a_comment_with_the_sites_address(blog, post):
    blog.settings(verify_trackbacks=False)  # so the rule, not the wait for a check, holds it
    approved_comment(blog, post, "I write at friend.example", url="http://friend.example/")
    blog.trackback(post, "http://friend.example/p")
    assert outcome(blog.last()) == ("pending", "Held: the site has no approved linkback yet.")


def test_comment_max_links_holds_a_comment_with_that_many_links(blog, post):
    blog.settings(comment_previously_approved=False)
    blog.comment(post, "One link: https://a.example/", url="https://vic.example.org")  # the website is not counted
    blog.comment(post, "Two: https://a.example/ and www.example.com")
    linked_trackback(blog, post, "/p", excerpt="See https://a.example/ and https://b.example/")
    checked(blog)
    assert [outcome(item) for item in blog.items()] == [
        ("approved", "Approved: no moderation rule applied."),
        ("pending", "Held: it contains 2 or more links."),
        ("pending", "Held: it contains 2 or more links."),
    ]
    blog.settings(comment_max_links=3)
    blog.comment(post, "Two again: https://c.example/ https://d.example/")
    assert blog.last().status == "approved"
    blog.settings(comment_max_links=0)
    blog.comment(post, " ".join(f"https://{n}.example/" for n in "abcdefgh"))
    assert blog.last().status == "approved"


def test_moderation_keys_hold_on_a_match_inside_words_in_any_field(blog, post):
    blog.settings(comment_previously_approved=False, moderation_keys="press\ncasino")
    blog.comment(post, "I love WORDPRESS")
    blog.comment(post, "Innocent words", email="vic@casino.example")
    linked_trackback(blog, post, "/casino-news")
    blog.pingback(post, blog.linking_page("/casino-review", post))
    blog.comment(post, "Nothing to see")
    checked(blog)
    assert [outcome(item) for item in blog.items()] == [
        ("pending", "Held: it contains “press” from your moderation words."),
        ("pending", "Held: it contains “casino” from your moderation words."),
        ("pending", "Held: it contains “casino” from your moderation words."),
        ("pending", "Held: it contains “casino” from your moderation words."),
        ("approved", "Approved: no moderation rule applied."),
    ]


def test_moderation_keys_match_the_visitors_address(blog, post):
    blog.settings(comment_previously_approved=False, moderation_keys="127.0.0.1")
    blog.comment(post, "From loopback")
    assert outcome(blog.last()) == ("pending", "Held: it contains “127.0.0.1” from your moderation words.")


def test_disallowed_keys_send_comments_and_linkbacks_to_spam_with_a_note(blog, post):
    blog.settings(comment_previously_approved=False, disallowed_keys="viagra\nspammer@example.com")
    blog.comment(post, "Cheap VIAGRA here")
    blog.comment(post, "Looks harmless", email="spammer@example.com")
    linked_trackback(blog, post, "/viagra-shop")
    blog.comment(post, "A real comment")
    checked(blog)
    spam = "Spam: it contains “{}” from your disallowed comment keys."
    assert [outcome(item) for item in blog.items()] == [
        ("spam", spam.format("viagra")),
        ("spam", spam.format("spammer@example.com")),
        ("spam", spam.format("viagra")),
        ("approved", "Approved: no moderation rule applied."),
    ]
    assert "VIAGRA" not in blog.page(post).get_text()


def test_linkback_block_sites_send_linkbacks_from_the_site_to_spam(blog, post):
    blog.settings(verify_trackbacks=False)  # the list goes by the site's host: these pages are not served
    blog.trackback(post, "http://blog.spam.example/first")
    blog.approve(blog.last().id)  # even a site approved before
    blog.settings(linkback_block_sites="spam.example\nlocalhost")
    blog.trackback(post, "http://blog.spam.example/second")
    blog.pingback(post, blog.linking_page("/links-here", post))
    blog.trackback(post, "http://notspam.example/p")
    blog.comment(post, "I am a visitor from there", url="http://spam.example/")
    checked(blog)
    assert [outcome(item) for item in blog.items()[1:]] == [
        ("spam", "The site is on your block list (spam.example)."),
        ("spam", "The site is on your block list (localhost)."),
        ("pending", "Held: the site has no approved linkback yet."),
        ("pending", "Held: no earlier approved comment."),  # the list is for linkbacks only
    ]


def test_linkback_allow_sites_approve_linkbacks_from_the_site(blog, post):
    """Trackback verification off, so the list decides at once (with it on, the list decides only
    after the check: see test_allow_listed_sites_linkbacks_wait_unseen_until_their_page_is_checked)."""
    blog.settings(
        comment_moderation=True, linkback_allow_sites="friend.example\nhttp://people.example/alice/",
        verify_trackbacks=False,
    )
    blog.trackback(post, "http://blog.friend.example/p")
    blog.trackback(post, "http://people.example/alice/post")
    blog.trackback(post, "http://people.example/bob/post")
    blog.trackback(post, "http://notfriend.example/p")
    blog.comment(post, "Visitor from the friendly site", url="http://friend.example/")
    held = ("pending", "Held: every comment must be manually approved.")
    assert [outcome(item) for item in blog.items()] == [
        ("approved", "The site is on your allow list (friend.example)."),
        ("approved", "The site is on your allow list (http://people.example/alice/)."),
        held, held, held,
    ]


def test_approve_own_links_approves_a_link_from_another_of_my_posts(blog, post):
    linked = f"[my earlier post]({blog.author.url_of_external(post)})"
    blog.publish("Follow-up", f"As I said in {linked}.")
    assert blog.last().status == "approved"
    mention = blog.page(post).select_one(".comment-list .comment-pingback")
    assert "Follow-up" in mention.get_text()

    blog.settings(approve_own_links=False)
    blog.publish("Second follow-up", f"See {linked} again.")
    assert blog.last().status == "pending"
    assert "Second follow-up" not in blog.page(post).select_one(".comment-list").get_text()


def test_verify_trackbacks_sends_a_trackback_from_a_page_without_the_link_to_spam(app, blog, post, httpserver):
    httpserver.expect_request("/no-link").respond_with_data("<p>Nothing here.</p>", content_type="text/html")
    blog.trackback(post, httpserver.url_for("/no-link"))
    with app.app_context():
        run_due_jobs()
    first = blog.last()
    assert (first.status, first.verification) == ("spam", "failed")
    assert "does not link to this post" in first.verification_note

    blog.settings(verify_trackbacks=False)
    blog.trackback(post, httpserver.url_for("/no-link") + "?again")
    with app.app_context():
        run_due_jobs()
    second = blog.last()
    assert (second.status, second.verification) == ("pending", None)


# The rules together, in WordPress's order


def test_disallowed_word_beats_previous_approval(blog, post):
    approved_comment(blog, post)
    blog.settings(disallowed_keys="casino")
    blog.comment(post, "Try my casino")
    assert outcome(blog.last()) == ("spam", "Spam: it contains “casino” from your disallowed comment keys.")


def test_manual_approval_beats_previous_approval(blog, post):
    approved_comment(blog, post)
    linked_trackback(blog, post, "/first")
    checked(blog)
    blog.approve(blog.last().id)
    blog.settings(comment_moderation=True)
    blog.comment(post, "Back again")
    linked_trackback(blog, post, "/second")
    checked(blog)
    assert [outcome(item) for item in blog.items()[2:]] == [
        ("pending", "Held: every comment must be manually approved.")
    ] * 2


def test_the_first_hold_rule_in_wordpress_order_gives_the_reason(blog, post):
    blog.settings(moderation_keys="casino")
    blog.comment(post, "casino https://a.example/ https://b.example/")  # links come before words
    blog.comment(post, "casino, once more")  # words before previous approval
    blog.comment(post, "Just new here")
    assert [item.moderation_note for item in blog.items()] == [
        "Held: it contains 2 or more links.",
        "Held: it contains “casino” from your moderation words.",
        "Held: no earlier approved comment.",
    ]


def test_block_list_wins_when_both_lists_name_the_same_site(blog, post):
    blog.settings(linkback_allow_sites="localhost", linkback_block_sites="localhost")
    linked_trackback(blog, post, "/p")
    checked(blog)
    assert outcome(blog.last()) == ("spam", "The site is on your block list (localhost).")


def test_owners_own_comment_is_approved_whatever_the_rules(blog, post):
    blog.settings(comment_moderation=True, comment_max_links=1, moderation_keys="casino", disallowed_keys="casino")
    response = blog.comment(post, "My casino post: https://a.example/", client=blog.author.client, name="", email="")
    assert response.status_code == 302
    assert (blog.last().author_name, *outcome(blog.last())) == ("admin", "approved", "Written by the blog's owner.")
    assert "My casino post" in blog.page(post).select_one(".comment-list").get_text()


# Allow-listed sites are trusted only once their page is proved to link here


WAITING = ("pending", "pending", "Held until its page is checked to link here.")


def state(item) -> tuple[str, str, str]:
    return item.status, item.verification, item.moderation_note


def test_allow_listed_sites_linkbacks_wait_unseen_until_their_page_is_checked(blog, post):
    blog.settings(linkback_allow_sites="localhost")
    trackback_source = blog.linking_page("/tb", post, title="Their trackback page")
    assert blog.trackback(post, trackback_source, blog_name="Friendly Blog") == ("0", None)
    pingback_source = blog.linking_page("/pb", post, title="Friendly pingback page")
    answer = blog.pingback(post, pingback_source)
    assert answer == (f"Pingback from {pingback_source} to {blog.permalink(post)} received; "
                      "it is listed once its page is checked to link here.")
    assert [state(item) for item in blog.items()] == [WAITING, WAITING]
    page = shown(blog, post)
    assert trackback_source not in page and pingback_source not in page and "Friendly Blog" not in page

    assert checked(blog)["linkback_checks"] == 2
    allowed = ("approved", "verified", "The site is on your allow list (localhost).")
    assert [state(item) for item in blog.items()] == [allowed, allowed]
    pingback = blog.last()
    assert (pingback.author_name, pingback.content) == ("Friendly pingback page", "I read this post today.")
    page = shown(blog, post)
    assert "Friendly Blog" in page and "Friendly pingback page" in page
    assert trackback_source in page and pingback_source in page


@pytest.mark.parametrize(
    ("served", "verification", "reason"),
    [
        ({"response_data": "<p>Nothing about you.</p>", "content_type": "text/html"},
         "failed", "Its page does not link to this post."),
        ({"response_data": b"\x89PNG\r\n", "content_type": "image/png"},
         "failed", "Its page is not a web page (image/png)."),
        ({"response_data": "Gone", "status": 404}, "unreachable", "Its page answered HTTP 404."),
    ],
    ids=["no-link", "not-a-page", "not-found"],
)
def test_allow_listed_sites_linkbacks_go_to_spam_when_their_page_does_not_prove_the_link(
    blog, post, httpserver, served, verification, reason
):
    blog.settings(linkback_allow_sites="localhost")
    for path in ("/tb", "/pb"):
        httpserver.expect_request(path).respond_with_data(**served)
    blog.trackback(post, httpserver.url_for("/tb"), blog_name="Friendly Blog")
    blog.pingback(post, httpserver.url_for("/pb"))
    assert [state(item) for item in blog.items()] == [WAITING, WAITING]

    checked(blog)
    note = f"Spam: {reason[0].lower()}{reason[1:]} It was not shown."
    assert [(*state(item), item.verification_note) for item in blog.items()] == [
        ("spam", verification, note, reason)
    ] * 2
    page = shown(blog, post)
    assert httpserver.url_for("/tb") not in page and httpserver.url_for("/pb") not in page
    assert "Friendly Blog" not in page


def test_allow_listed_sites_linkbacks_whose_page_keeps_failing_are_retried_then_sent_to_spam(
    app, blog, post, httpserver
):
    app.config["LINKBACK_MAX_ATTEMPTS"] = 2
    blog.settings(linkback_allow_sites="localhost")
    httpserver.expect_request("/tb").respond_with_data("Busy", status=503)
    httpserver.expect_request("/pb").respond_with_data("Busy", status=503)
    blog.trackback(post, httpserver.url_for("/tb"), blog_name="Friendly Blog")
    blog.pingback(post, httpserver.url_for("/pb"))

    now = utcnow()
    assert checked(blog, now)["linkback_checks"] == 2
    assert [item.status for item in blog.items()] == ["pending", "pending"]  # a busy server may recover
    assert all("Trying again later." in item.verification_note for item in blog.items())
    assert checked(blog, now)["linkback_checks"] == 0  # not before the retry time
    assert "Friendly Blog" not in shown(blog, post)

    retry = now + timedelta(seconds=app.config["LINKBACK_RETRY_BASE_SECONDS"])
    assert checked(blog, retry)["linkback_checks"] == 2
    for item in blog.items():
        assert (item.status, item.verification) == ("spam", "unreachable")
        assert item.verification_note == "Its page answered HTTP 503. Gave up after 2 attempts."
        assert item.moderation_note.endswith("It was not shown.")
    assert checked(blog, retry + timedelta(days=1))["linkback_checks"] == 0
    assert "Friendly Blog" not in shown(blog, post)
