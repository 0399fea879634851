"""Settings -> Discussion, one setting at a time: each changed through the real settings page, and
its documented effect (LINKBACKS.md section 5) shown with real inputs: visitors' comments through
the comment form, pingbacks over XML-RPC and trackbacks over HTTP to the blog served on loopback.
The moderation settings are in test_moderation_rules.py."""

from __future__ import annotations

import xmlrpc.client
from datetime import timedelta

import pytest
from discussion_testing import Discussion, form_data, soup_of
from werkzeug import Request, Response

from blog.jobs import run_due_jobs
from blog.jobs.deliveries import deliver_due
from blog.models import utcnow

OLD_DATE = "2024-01-10T10:00"  # closes after 14 days on January 24, 2024; after 30 on February 9


@pytest.fixture
def blog(app, author, live_server, httpserver):
    return Discussion(app, author, live_server, httpserver)


def recent_date(days: int = 2) -> str:
    return (utcnow() - timedelta(days=days)).strftime("%Y-%m-%dT%H:%M")


def comment_ids(list_element) -> list[str]:
    """The ids of the items directly in a list (not their replies)."""
    return [li["id"] for li in list_element.find_all("li", recursive=False)]


def reply_links(page) -> list[str]:
    return [a["href"] for a in page.select(".comment-list .reply-link")]


def check_linkbacks(blog) -> None:
    """One pass of the job layer: pingbacks and trackbacks are listed only once it has fetched
    their pages and found the link."""
    with blog.app.app_context():
        assert run_due_jobs()["linkback_checks"] > 0


# Default post settings


def test_default_pingback_flag_off_notifies_no_linked_blog(app, blog, httpserver):
    received = []

    def xmlrpc_endpoint(request: Request) -> Response:
        received.append(xmlrpc.client.loads(request.get_data())[0])
        return Response(xmlrpc.client.dumps(("Thanks.",), methodresponse=True), content_type="text/xml")

    httpserver.expect_request("/xmlrpc", method="POST").respond_with_handler(xmlrpc_endpoint)
    for path in ("/quiet", "/loud"):
        httpserver.expect_request(path).respond_with_data(
            "<html><body>Their post</body></html>", content_type="text/html",
            headers={"X-Pingback": httpserver.url_for("/xmlrpc")},
        )
    blog.settings(default_pingback_flag=False)
    quiet = blog.publish("Quiet", f"I liked [their post]({httpserver.url_for('/quiet')}).")
    editor = soup_of(blog.author.client.get(f"/admin/posts/{quiet.id}/edit"))
    assert "notifying linked blogs is switched off" in editor.select_one(".linkback-plan").get_text()
    with app.app_context():
        assert deliver_due() == 0
    assert received == []

    blog.settings(default_pingback_flag=True)
    loud = blog.publish("Loud", f"I liked [their post]({httpserver.url_for('/loud')}).")
    with app.app_context():
        assert deliver_due() == 1
    assert received == [(blog.author.url_of_external(loud), httpserver.url_for("/loud"))]


def publish_from_the_new_post_form(blog, title: str):
    """Publish with the editor's checkboxes left as the new-post form shows them."""
    client = blog.author.client
    data = form_data(client.get("/admin/posts/new").get_data(as_text=True), "form.editor-form")
    response = client.post("/admin/posts/new", data={**data, "title": title, "action": "publish"})
    assert response.status_code == 302
    return blog.author.post(int(response.headers["Location"].rstrip("/").split("/")[-2]))


def test_default_comment_status_sets_the_comment_box_of_new_posts(blog):
    before = publish_from_the_new_post_form(blog, "Before")
    blog.settings(default_comment_status=False)
    data = form_data(blog.author.client.get("/admin/posts/new").get_data(as_text=True), "form.editor-form")
    assert "allow_comments" not in data and data["allow_pings"] == "y"
    after = publish_from_the_new_post_form(blog, "After")
    assert blog.page(after).select_one(".comments-closed").get_text() == "Comments are closed."
    assert blog.page(after).select_one("form.comment-form") is None
    assert blog.page(before).select_one("form.comment-form") is not None


def test_default_ping_status_sets_the_linkback_box_of_new_posts(blog):
    before = publish_from_the_new_post_form(blog, "Before")
    blog.settings(default_ping_status=False)
    data = form_data(blog.author.client.get("/admin/posts/new").get_data(as_text=True), "form.editor-form")
    assert "allow_pings" not in data and data["allow_comments"] == "y"
    after = publish_from_the_new_post_form(blog, "After")
    assert blog.trackback(after, "http://other.example/a") == ("1", "Sorry, trackbacks are closed for this item.")
    assert blog.page(after).select_one(".trackback-info") is None
    assert blog.trackback(before, "http://other.example/b") == ("0", None)


# Other comment settings


def test_require_name_email_refuses_anonymous_comments_only_while_on(blog):
    post = blog.publish("Post")
    response = blog.comment(post, "Who am I?", name="", email="")
    assert response.status_code == 400
    assert [e.get_text() for e in soup_of(response).select(".comment-form .error")] == [
        "Please fill in your name.", "Please fill in your email address."
    ]
    assert blog.items() == []
    assert blog.trackback(post, "http://other.example/p", blog_name="") == ("0", None)  # never for pings

    blog.settings(require_name_email=False)
    assert blog.comment(post, "Nobody in particular", name="", email="").status_code == 302
    stored = blog.last()
    assert (stored.author_name, stored.author_email, stored.content) == ("", "", "Nobody in particular")


def test_close_comments_for_old_posts_closes_the_form_and_refuses_comments(blog):
    old = blog.publish("Old post", publish_date=OLD_DATE)
    recent = blog.publish("Recent post", publish_date=recent_date())
    assert blog.page(old).select_one("form.comment-form") is not None  # off by default
    blog.settings(close_comments_for_old_posts=True, close_comments_days_old=14)

    page = blog.page(old)
    assert page.select_one("form.comment-form") is None
    assert page.select_one(".comments-closed").get_text() == "Comments are closed."
    token = form_data(str(blog.page(recent)), "form.comment-form")["csrf_token"]
    response = blog.visitor.post(f"/comment/{old.id}", data={
        "csrf_token": token, "name": "Late", "email": "late@example.com", "content": "Too late?"
    })
    assert response.status_code == 403 and "Comments are closed." in response.get_data(as_text=True)
    assert blog.items() == []
    editor = blog.author.client.get(f"/admin/posts/{old.id}/edit").get_data(as_text=True)
    assert "Comments closed on January 24, 2024." in editor
    # Linkbacks have their own rule, and recent posts stay open.
    assert blog.trackback(old, "http://other.example/p") == ("0", None)
    assert blog.comment(recent, "Still open").status_code == 302


def test_close_pings_for_old_posts_refuses_pingbacks_and_trackbacks(blog):
    old = blog.publish("Old post", publish_date=OLD_DATE)
    recent = blog.publish("Recent post", publish_date=recent_date())
    blog.settings(close_pings_for_old_posts=True, close_pings_days_old=30)

    answer = blog.pingback(old, blog.linking_page("/links-old", old))
    assert isinstance(answer, xmlrpc.client.Fault) and answer.faultCode == 33
    assert blog.trackback(old, "http://other.example/p") == ("1", "Sorry, trackbacks are closed for this item.")
    assert blog.items() == []
    response = blog.visitor.get(blog.author.url_of(old))
    assert "X-Pingback" not in response.headers and soup_of(response).select_one('link[rel="pingback"]') is None
    editor = blog.author.client.get(f"/admin/posts/{old.id}/edit").get_data(as_text=True)
    assert "Linkbacks closed on February 9, 2024." in editor
    # Comments have their own rule, and recent posts stay open.
    assert blog.comment(old, "Comments still welcome").status_code == 302
    assert blog.pingback(recent, blog.linking_page("/links-recent", recent)).startswith("Pingback from")


def test_thread_comments_nests_a_reply_under_its_parent_with_reply_links(blog):
    post = blog.publish("Post")
    blog.settings(comment_previously_approved=False)
    blog.comment(post, "First!")
    page = blog.page(post, "?replytocom=1")
    assert page.select_one("#respond h3").get_text(" ", strip=True).startswith("Reply to Visitor Vic")
    assert blog.comment(post, "A reply", query="?replytocom=1", name="Rita").status_code == 302
    page = blog.page(post)
    assert comment_ids(page.select_one(".comment-list")) == ["comment-1"]
    assert comment_ids(page.select_one("#comment-1 > ol.children")) == ["comment-2"]
    assert "depth-2" in page.select_one("#comment-2")["class"]
    assert reply_links(page) == ["?replytocom=1#respond", "?replytocom=2#respond"]


def test_thread_comments_off_shows_replies_flat_and_refuses_new_replies(blog):
    post = blog.publish("Post")
    blog.settings(comment_previously_approved=False)
    blog.comment(post, "First!")
    blog.comment(post, "A reply", query="?replytocom=1", name="Rita")
    blog.settings(thread_comments=False)
    page = blog.page(post, "?replytocom=1")
    assert comment_ids(page.select_one(".comment-list")) == ["comment-1", "comment-2"]
    assert page.select("ol.children") == [] and reply_links(page) == []
    assert page.select_one("#respond h3").get_text() == "Leave a comment"
    data = form_data(str(blog.page(post)), "form.comment-form")
    response = blog.visitor.post(f"/comment/{post.id}", data={
        **data, "parent_id": "1", "name": "Rita", "email": "rita@example.com", "content": "Another reply"
    })
    assert response.status_code == 400
    assert "The comment you are replying to is not available." in response.get_data(as_text=True)
    assert len(blog.items()) == 2


def test_thread_comments_depth_flattens_deeper_replies_and_offers_no_reply_at_the_limit(blog):
    """Found with this test: replies past the limit were nested one level deeper than the limit
    (inside the deepest reply's list), and the deepest replies still offered a reply link."""
    post = blog.publish("Post")
    blog.settings(comment_previously_approved=False, thread_comments_depth=3)
    blog.comment(post, "Level one")
    blog.comment(post, "Level two", query="?replytocom=1")
    blog.comment(post, "Level three", query="?replytocom=2")
    page = blog.page(post)
    assert comment_ids(page.select_one("#comment-2 > ol.children")) == ["comment-3"]
    assert reply_links(page) == ["?replytocom=1#respond", "?replytocom=2#respond"]  # not at depth 3

    blog.settings(thread_comments_depth=2)
    page = blog.page(post)
    assert comment_ids(page.select_one("#comment-1 > ol.children")) == ["comment-2", "comment-3"]
    assert page.select(".depth-3") == [] and page.select("#comment-2 ol.children") == []
    assert reply_links(page) == ["?replytocom=1#respond"]


def five_comments_and_a_reply(blog, post) -> None:
    """Comments 1 to 5 at the top level, and comment 6 replying to comment 1."""
    blog.settings(comment_previously_approved=False)
    for n in range(1, 6):
        blog.comment(post, f"Comment {n}")
    blog.comment(post, "Reply to the first", query="?replytocom=1")


def test_page_comments_shows_n_top_level_comments_per_page(blog):
    post = blog.publish("Post")
    five_comments_and_a_reply(blog, post)
    assert len(blog.page(post).select(".comment-list li.comment")) == 6  # off by default
    blog.settings(page_comments=True, comments_per_page=2)

    newest = blog.page(post)
    assert comment_ids(newest.select_one(".comment-list")) == ["comment-5"]
    assert newest.select_one('.comment-pages [aria-current="page"]').get_text() == "3"
    assert [a["href"] for a in newest.select(".comment-pages a")] == ["?cpage=1#comments", "?cpage=2#comments"]
    first = blog.page(post, "?cpage=1")
    assert comment_ids(first.select_one(".comment-list")) == ["comment-1", "comment-2"]
    assert comment_ids(first.select_one("#comment-1 > ol.children")) == ["comment-6"]
    assert comment_ids(blog.page(post, "?cpage=2").select_one(".comment-list")) == ["comment-3", "comment-4"]


def test_default_comments_page_first_shows_the_oldest_page(blog):
    post = blog.publish("Post")
    five_comments_and_a_reply(blog, post)
    blog.settings(page_comments=True, comments_per_page=2, default_comments_page="oldest")
    page = blog.page(post)
    assert comment_ids(page.select_one(".comment-list")) == ["comment-1", "comment-2"]
    assert page.select_one('.comment-pages [aria-current="page"]').get_text() == "1"
    assert comment_ids(blog.page(post, "?cpage=3").select_one(".comment-list")) == ["comment-5"]


def test_comment_order_newer_puts_the_newest_comments_at_the_top(blog):
    post = blog.publish("Post")
    five_comments_and_a_reply(blog, post)
    assert comment_ids(blog.page(post).select_one(".comment-list"))[0] == "comment-1"
    blog.settings(comment_order="desc")
    page = blog.page(post)
    assert comment_ids(page.select_one(".comment-list")) == [f"comment-{n}" for n in (5, 4, 3, 2, 1)]
    assert comment_ids(page.select_one("#comment-1 > ol.children")) == ["comment-6"]  # replies stay put

    blog.settings(page_comments=True, comments_per_page=2)  # the newest comments come first by default
    assert comment_ids(blog.page(post).select_one(".comment-list")) == ["comment-5", "comment-4"]


# Linkbacks


def test_nofollow_links_off_leaves_external_ugc_on_author_links_and_ugc_in_text(blog):
    post = blog.publish("Post")
    blog.settings(comment_previously_approved=False)
    blog.comment(post, "See https://example.net/page", url="https://vic.example.org")
    blog.trackback(post, blog.linking_page("/p", post), excerpt="More at https://other.example/more")
    check_linkbacks(blog)

    def rels(page) -> list[str]:
        links = page.select(".comment-author a, .comment-text a")
        return [" ".join(a["rel"]) for a in links]

    assert rels(blog.page(post)) == ["external nofollow ugc", "nofollow ugc"] * 2
    blog.settings(nofollow_links=False)
    assert rels(blog.page(post)) == ["external ugc", "ugc"] * 2


def test_separate_mentions_lists_pingbacks_apart_from_comments(blog):
    post = blog.publish("Post")
    blog.settings(comment_previously_approved=False)
    blog.comment(post, "A comment")
    source = blog.linking_page("/links-here", post)
    blog.pingback(post, source)
    check_linkbacks(blog)
    page = blog.page(post)
    assert comment_ids(page.select_one(".comment-list")) == ["comment-1", "comment-2"]
    assert page.select_one(".mentions") is None

    blog.settings(separate_mentions=True)
    page = blog.page(post)
    assert comment_ids(page.select_one(".comment-list")) == ["comment-1"]
    mentions = page.select_one("section.mentions")
    assert mentions.select_one("h3").get_text() == "Mentions"
    assert comment_ids(mentions.select_one("ul.mention-list")) == ["comment-2"]
    assert mentions.select_one("a")["href"] == source
    assert "Pingback:" in mentions.get_text()


def test_accept_pingbacks_off_refuses_pingbacks_and_stops_advertising(blog):
    post = blog.publish("Post")
    blog.settings(accept_pingbacks=False)
    answer = blog.pingback(post, blog.linking_page("/links-here", post))
    assert isinstance(answer, xmlrpc.client.Fault) and answer.faultCode == 33
    assert blog.items() == []
    for url in ("/", blog.author.url_of(post)):
        response = blog.visitor.get(url)
        assert "X-Pingback" not in response.headers, url
        assert soup_of(response).select_one('link[rel="pingback"]') is None, url
    assert blog.trackback(post, "http://other.example/p") == ("0", None)  # trackbacks still welcome

    blog.settings(accept_pingbacks=True)
    assert "X-Pingback" in blog.visitor.get(blog.author.url_of(post)).headers
    assert blog.pingback(post, blog.linking_page("/links-again", post)).startswith("Pingback from")


def test_accept_trackbacks_off_refuses_trackbacks_and_hides_the_trackback_url(blog):
    post = blog.publish("Post")
    blog.settings(accept_trackbacks=False)
    assert blog.trackback(post, "http://other.example/p") == ("1", "Sorry, trackbacks are closed for this item.")
    assert blog.items() == []
    html = blog.visitor.get(blog.author.url_of(post)).get_data(as_text=True)
    assert "Trackback URL" not in html and "trackback:ping" not in html
    assert blog.pingback(post, blog.linking_page("/links-here", post)).startswith("Pingback from")

    blog.settings(accept_trackbacks=True)
    assert blog.trackback(post, "http://other.example/p") == ("0", None)
    assert "trackback:ping" in blog.visitor.get(blog.author.url_of(post)).get_data(as_text=True)

