"""Static pages (issue 13, "Pages"): written in the editor at /admin/pages/new, served at /<slug>/,
kept out of the home page, archives and feeds, listed in the site's navigation in the owner's menu
order, open to comments and linkbacks as posts are; reserved and taken slugs refused with a clear
message, parallel saves of one slug leaving one page, markup in titles escaped, h-entry markup."""

from __future__ import annotations

import threading
import xmlrpc.client
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta

import mf2py
import pytest
import requests
from blog_testing import CSRF_RE, PASSWORD, csrf_token, leave_comment, snapshot
from bs4 import BeautifulSoup
from feed_testing import parse_feed
from markupsafe import escape

from blog.extensions import db
from blog.jobs import run_due_jobs
from blog.models import Comment, CommentStatus, Post, PostKind, PostStatus, utcnow
from blog.posts import publish_due_posts

TIMEOUT = 30


def nav_titles(html: str) -> list[str]:
    """The site navigation's link texts, in order."""
    return [a.get_text() for a in BeautifulSoup(html, "html.parser").select("nav.site-nav a")]


def errors_of(html: str) -> list[str]:
    return [p.get_text(" ", strip=True) for p in BeautifulSoup(html, "html.parser").select("p.error")]


def stored_pages(app) -> list[tuple[str, str, str]]:
    with app.app_context():
        rows = db.session.execute(
            db.select(Post.title, Post.slug, Post.status).filter(Post.kind == PostKind.PAGE).order_by(Post.id)
        ).all()
        db.session.remove()
        return [tuple(row) for row in rows]


# --- writing pages ---------------------------------------------------------------------------------


def test_page_editor_has_the_post_editors_fields_without_tags_or_categories(author):
    html = author.client.get("/admin/pages/new").get_data(as_text=True)
    assert "<h1>New page</h1>" in html
    for label in ("Title", "Content", "Slug", "Publish date", "Menu order", "Allow comments"):
        assert f">{label}</label>" in html
    for button in ("Save Draft", "Preview", "Publish"):
        assert f">{button}</button>" in html
    assert ">Tags</label>" not in html and "<legend>Categories</legend>" not in html


def test_published_page_is_served_at_its_slug(author, visitor):
    page = author.publish_page("About", "I write **here**.")
    assert (page.kind, page.status, page.slug) == ("page", "published", "about")
    assert author.url_of(page) == "/about/"
    response = visitor.get("/about/")
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert "<strong>here</strong>" in html and "<title>About – Test Blog</title>" in html
    assert visitor.get("/about").headers["Location"].endswith("/about/")  # without its slash: redirected
    assert response.headers["X-Pingback"].endswith("/xmlrpc")


def test_pages_stay_out_of_the_home_page_archives_and_post_feeds(app, author, visitor):
    post = author.publish("A dated post", "News.", tags="news", publish_date="2024-07-04T12:00")
    author.publish_page("About", "Static text.", publish_date="2024-07-04T13:00")
    month = "/2024/07/"
    for path in ("/", month, "/archives/", "/tag/news/", "/category/uncategorized/"):
        html = visitor.get(path).get_data(as_text=True)
        assert "Static text." not in html and 'href="/about/" rel="bookmark"' not in html, path
        assert "A dated post" in html or path == "/archives/", path
    archives = BeautifulSoup(visitor.get("/archives/").get_data(as_text=True), "html.parser")
    assert [li.get_text(" ", strip=True) for li in archives.select("main li")] == ["July 2024 (1)"]
    for path in ("/feed/", "/feed/rss2/", "/?feed=rss2", "/tag/news/feed/", "/category/uncategorized/feed/"):
        feed = parse_feed(visitor, path)
        assert [e.title for e in feed.entries] == ["A dated post"], path
    # The page is not a post: its slug under a date is not found.
    assert visitor.get(author.url_of(post).replace("a-dated-post", "about")).status_code == 404


def test_drafts_and_scheduled_pages_are_hidden_until_published(app, author, visitor):
    author.save_page("Contact", "Write to me.", action="draft")
    future = (utcnow() + timedelta(days=2)).strftime("%Y-%m-%dT%H:%M")
    response = author.save_page("Colophon", "Made with care.", publish_date=future)
    assert response.status_code == 302
    assert stored_pages(app) == [("Contact", "contact", "draft"), ("Colophon", "colophon", "scheduled")]
    for path in ("/contact/", "/colophon/"):
        assert visitor.get(path).status_code == 404
    assert nav_titles(visitor.get("/").get_data(as_text=True)) == ["Home", "Archives", "Feed"]
    with app.app_context():
        published = publish_due_posts(now=utcnow() + timedelta(days=3))
        assert [p.slug for p in published] == ["colophon"]
    assert visitor.get("/colophon/").status_code == 200
    assert "Colophon" in nav_titles(visitor.get("/").get_data(as_text=True))


def test_navigation_lists_published_pages_in_menu_order(app, author, visitor):
    contact = author.publish_page("Contact", menu_order=3)
    author.publish_page("About", menu_order=1)
    author.publish_page("Now", menu_order=2)
    author.save_page("Unfinished", action="draft", menu_order=0)
    assert nav_titles(visitor.get("/").get_data(as_text=True)) == [
        "Home", "About", "Now", "Contact", "Archives", "Feed"
    ]
    # The owner moves Contact first; every page shows the new order (public and admin alike).
    response = author.save_page("Contact", page_id=contact.id, menu_order=-1)
    assert response.status_code == 302
    for client, path in ((visitor, "/2099/01/"), (visitor, "/about/"), (author.client, "/admin/pages")):
        assert nav_titles(client.get(path).get_data(as_text=True))[:4] == ["Home", "Contact", "About", "Now"]
    rows = BeautifulSoup(author.client.get("/admin/pages").get_data(as_text=True), "html.parser")
    assert [row.select_one("td a").get_text() for row in rows.select("table.pages-table tbody tr")] == [
        "Contact", "Unfinished", "About", "Now"  # the admin list in menu order too, drafts included
    ]
    html = visitor.get("/about/").get_data(as_text=True)
    current = BeautifulSoup(html, "html.parser").select_one('nav.site-nav a[aria-current="page"]')
    assert current.get_text() == "About"


def test_menu_order_that_is_not_a_number_is_refused_with_everything_kept(app, author):
    before = snapshot(app)
    data = {"csrf_token": csrf_token(author.client, "/admin/pages/new"), "title": "About", "body": "Kept text",
            "slug": "", "publish_date": "", "trackback_urls": "", "menu_order": "first", "action": "publish"}
    response = author.client.post("/admin/pages/new", data=data)
    assert response.status_code == 400
    html = response.get_data(as_text=True)
    assert "Kept text</textarea>" in html and errors_of(html) == ["Enter a whole number, such as 0, 1 or 2."]
    assert '<input id="menu_order" name="menu_order" type="text" value="first">' in html  # shown back as typed
    response = author.save_page("About", "Kept text", menu_order=100000)
    assert response.status_code == 400 and errors_of(response.get_data(as_text=True)) == [
        "Give a number from -9999 to 9999."]
    assert snapshot(app) == before


def test_pages_list_holds_pages_and_the_posts_list_holds_posts(author):
    author.publish("A post")
    author.publish_page("About")
    pages = author.client.get("/admin/pages").get_data(as_text=True)
    posts = author.client.get("/admin/posts").get_data(as_text=True)
    def titles(html):
        return [a.get_text() for a in BeautifulSoup(html, "html.parser").select("main table tbody tr td:first-child a")]

    assert titles(pages) == ["About"] and titles(posts) == ["A post"]
    assert "<code>/about/</code>" in pages


def test_editing_a_page_at_the_post_address_goes_to_the_page_editor(author):
    page = author.publish_page("About")
    response = author.client.get(f"/admin/posts/{page.id}/edit")
    assert response.status_code == 302 and response.headers["Location"].endswith(f"/admin/pages/{page.id}/edit")
    html = author.client.get(f"/admin/pages/{page.id}/edit").get_data(as_text=True)
    assert "<h1>Edit page</h1>" in html and 'href="/about/">View page</a>' in html


def test_a_page_moved_to_the_trash_leaves_the_navigation_and_comes_back_on_restore(app, author, visitor):
    page = author.publish_page("About")
    token = csrf_token(author.client, "/admin/pages")
    response = author.client.post(f"/admin/posts/{page.id}/trash", data={"csrf_token": token})
    assert response.headers["Location"].endswith("/admin/pages")
    assert visitor.get("/about/").status_code == 410  # gone, as a trashed post's address
    assert visitor.get("/about").status_code == 410
    assert "About" not in nav_titles(visitor.get("/").get_data(as_text=True))
    assert ">About</a>" not in author.client.get("/admin/pages").get_data(as_text=True)
    assert "About" in author.client.get("/admin/posts?status=trash").get_data(as_text=True)
    token = csrf_token(author.client, "/admin/posts?status=trash")
    author.client.post(f"/admin/posts/{page.id}/restore", data={"csrf_token": token})
    assert visitor.get("/about/").status_code == 200
    assert "About" in nav_titles(visitor.get("/").get_data(as_text=True))


def test_a_deleted_page_answers_410_until_a_new_page_takes_its_address(app, author, visitor):
    page = author.publish_page("Contact", "Write to me.")
    token = csrf_token(author.client, "/admin/pages")
    author.client.post(f"/admin/posts/{page.id}/trash", data={"csrf_token": token})
    token = csrf_token(author.client, "/admin/posts?status=trash")
    assert author.client.post(f"/admin/posts/{page.id}/delete", data={"csrf_token": token}).status_code == 302
    gone = visitor.get("/contact/")
    assert gone.status_code == 410 and "Write to me." not in gone.get_data(as_text=True)
    assert visitor.get("/never-was-a-page/").status_code == 404
    author.publish_page("Contact", "New ways to reach me.")
    assert "New ways to reach me." in visitor.get("/contact/").get_data(as_text=True)


def test_a_restored_page_whose_slug_was_taken_moves_and_its_old_address_leads_to_the_new_owner(
        app, author, visitor):
    first = author.publish_page("Team", "The old team.")
    token = csrf_token(author.client, "/admin/pages")
    author.client.post(f"/admin/posts/{first.id}/trash", data={"csrf_token": token})
    author.publish_page("Team", "The new team.")  # takes /team/ meanwhile
    token = csrf_token(author.client, "/admin/posts?status=trash")
    author.client.post(f"/admin/posts/{first.id}/restore", data={"csrf_token": token})
    assert "The new team." in visitor.get("/team/").get_data(as_text=True)
    assert "The old team." in visitor.get("/team-2/").get_data(as_text=True)


# --- bad input -------------------------------------------------------------------------------------


def test_page_without_a_title_gets_a_clear_message_and_nothing_is_stored(app, author):
    before = snapshot(app)
    response = author.save_page("   ", "My text about me.")
    assert response.status_code == 400
    html = response.get_data(as_text=True)
    assert "Please give the page a title" in " ".join(errors_of(html))
    assert "My text about me.</textarea>" in html
    assert snapshot(app) == before


@pytest.mark.parametrize("slug", [
    "admin", "feed", "category", "tag", "search", "comments", "xmlrpc", "webmention", "static", "media",
    "uploads", "login", "logout", "setup", "trackback", "wp-admin", "page", "archives", "2024", "7", "Admin",
])
def test_reserved_slugs_are_refused_with_the_text_kept(app, author, slug):
    before = snapshot(app)
    response = author.save_page("Reserved", "Body kept.", slug=slug)
    assert response.status_code == 400
    html = response.get_data(as_text=True)
    assert f"“{slug.lower()}” is an address the blog itself uses" in " ".join(errors_of(html))
    assert "Body kept.</textarea>" in html and f'value="{slug}"' in html
    assert snapshot(app) == before


def test_a_title_that_makes_a_reserved_slug_gets_a_free_one(author, visitor):
    page = author.publish_page("Search")
    assert page.slug == "search-2"
    assert visitor.get("/search-2/").status_code == 200
    assert author.publish_page("2024").slug == "2024-2"


@pytest.mark.parametrize("owner", ["page", "post", "draft post"])
def test_a_slug_taken_by_a_page_or_a_post_is_refused(app, author, owner):
    if owner == "page":
        author.publish_page("Contact page", slug="contact")
    else:
        author.save("Contact post", slug="contact", action="draft" if owner == "draft post" else "publish")
    before = snapshot(app)
    response = author.save_page("Contact", "Write to me.", slug="contact")
    assert response.status_code == 400
    assert "The slug “contact” is already used by another post or page." in errors_of(response.get_data(as_text=True))
    assert snapshot(app) == before


def test_a_post_cannot_take_a_pages_slug(app, author):
    author.publish_page("About")
    response = author.save("About", "A post.", slug="about")
    assert response.status_code == 400
    assert "already used by another post or page" in response.get_data(as_text=True)
    assert author.publish("About").slug == "about-2"  # from the title: made unique


def test_markup_in_a_page_title_is_escaped_everywhere(author, visitor):
    title = '<script>alert("x")</script> & <b>About</b>'
    page = author.publish_page(title, "Text.", slug="about")
    for client, path in ((visitor, "/about/"), (visitor, "/"), (author.client, "/admin/pages"),
                         (author.client, f"/admin/pages/{page.id}/edit")):
        html = client.get(path).get_data(as_text=True)
        assert "<script>alert" not in html and "<b>About</b>" not in html, path
        assert str(escape(title)) in html, path
    assert title in nav_titles(visitor.get("/").get_data(as_text=True))


def test_page_editor_refuses_a_missing_csrf_token_and_keeps_the_text(app, author):
    before = snapshot(app)
    response = author.client.post("/admin/pages/new", data={
        "title": "About", "body": "Typed text", "slug": "", "menu_order": "0", "action": "publish"})
    assert response.status_code == 400
    html = response.get_data(as_text=True)
    assert "security token was missing or wrong" in html and "Typed text</textarea>" in html
    assert snapshot(app) == before


def test_visitors_are_refused_on_the_page_admin(app, author, visitor):
    page = author.publish_page("About")
    before = snapshot(app)
    for path in ("/admin/pages", "/admin/pages/new", f"/admin/pages/{page.id}/edit"):
        response = visitor.get(path)
        assert response.status_code == 302 and "/login" in response.headers["Location"], path
    data = {"csrf_token": csrf_token(visitor, "/login"), "title": "Hijacked", "body": "x", "action": "publish"}
    for path in ("/admin/pages/new", f"/admin/pages/{page.id}/edit", f"/admin/posts/{page.id}/delete"):
        response = visitor.post(path, data=data)
        assert response.status_code == 302 and "/login" in response.headers["Location"], path
    assert snapshot(app) == before


def test_edit_link_is_shown_to_the_logged_in_author_only(author, visitor):
    page = author.publish_page("About")
    post = author.publish("A post")
    for path, editor in (("/about/", f"/admin/pages/{page.id}/edit"),
                         (author.url_of(post), f"/admin/posts/{post.id}/edit")):
        assert f'class="edit-link" href="{editor}"' in author.client.get(path).get_data(as_text=True)
        assert "edit-link" not in visitor.get(path).get_data(as_text=True)


# --- in parallel -----------------------------------------------------------------------------------


def logged_in_session(base_url: str) -> requests.Session:
    session = requests.Session()
    token = CSRF_RE.search(session.get(base_url + "/login", timeout=TIMEOUT).text).group(1)
    response = session.post(base_url + "/login", data={"csrf_token": token, "username": "admin",
                                                       "password": PASSWORD}, allow_redirects=False, timeout=TIMEOUT)
    assert response.status_code == 302
    return session


def save_pages_together(base_url: str, titles_and_slugs: list[tuple[str, str]]) -> list[requests.Response]:
    """Each page sent from its own logged-in session, all released at once by a barrier."""
    barrier = threading.Barrier(len(titles_and_slugs), timeout=TIMEOUT)

    def run(item):
        title, slug = item
        session = logged_in_session(base_url)
        token = CSRF_RE.search(session.get(base_url + "/admin/pages/new", timeout=TIMEOUT).text).group(1)
        data = {"csrf_token": token, "title": title, "body": f"Text of {title}", "slug": slug, "publish_date": "",
                "menu_order": "0", "trackback_urls": "", "action": "publish", "allow_comments": "y"}
        barrier.wait()
        return session.post(base_url + "/admin/pages/new", data=data, allow_redirects=False, timeout=TIMEOUT)

    with ThreadPoolExecutor(max_workers=len(titles_and_slugs)) as pool:
        return list(pool.map(run, titles_and_slugs))


def test_two_pages_saved_at_once_with_one_slug_leave_one_page_and_a_clear_error(app, author, live_server):
    for round_ in range(3):
        slug = f"contact-{round_}"
        responses = save_pages_together(live_server.url, [(f"First {round_}", slug), (f"Second {round_}", slug)])
        assert sorted(r.status_code for r in responses) == [302, 400]
        (refused,) = [r for r in responses if r.status_code == 400]
        assert f"The slug “{slug}” is already used by another post or page." in errors_of(refused.text)
        assert "Text of" in refused.text  # the refused page's text is shown back, not lost
    assert sorted(slug for _, slug, _ in stored_pages(app)) == ["contact-0", "contact-1", "contact-2"]


def test_two_pages_with_one_title_saved_at_once_both_get_a_slug(app, author, live_server):
    responses = save_pages_together(live_server.url, [("Contact", ""), ("Contact", ""), ("Contact", "")])
    assert [r.status_code for r in responses] == [302, 302, 302]
    assert sorted(slug for _, slug, _ in stored_pages(app)) == ["contact", "contact-2", "contact-3"]


# --- discussion and linkbacks ----------------------------------------------------------------------


def test_pages_take_comments_with_their_own_feed(app, author, visitor):
    page = author.publish_page("About", "Ask me anything.")
    comment_id = leave_comment(app, author, page, "Who are you?")
    with app.app_context():
        comment = db.session.get(Comment, comment_id)
        assert (comment.post_id, comment.status) == (page.id, CommentStatus.PENDING)
        comment.status = CommentStatus.APPROVED
        db.session.commit()
    assert "Who are you?" in visitor.get("/about/").get_data(as_text=True)
    feed = parse_feed(visitor, "/about/feed/", "atom10")
    assert [e.link for e in feed.entries] == [f"http://localhost/about/#comment-{comment_id}"]
    assert feed.feed.title == "Comments on “About”"
    assert parse_feed(visitor, "/about/feed/rss2/", "rss20").entries[0].title == "Comment on “About” by Reader"
    assert "Who are you?" in parse_feed(visitor, "/comments/feed/").entries[0].content[0].value  # the blog's too
    html = visitor.get("/about/").get_data(as_text=True)
    assert '<link rel="alternate" type="application/atom+xml" title="Comments on “About”" href="/about/feed/">' in html


def test_comments_closed_on_a_page_refuse_comments(app, author, visitor):
    page = author.publish_page("Contact", allow_comments=False)
    html = visitor.get("/contact/").get_data(as_text=True)
    assert "Comments are closed." in html and "comment-form" not in html
    before = snapshot(app)
    data = {"csrf_token": csrf_token(visitor), "name": "A", "email": "a@example.com", "url": "",
            "content": "Let me in"}
    assert visitor.post(f"/comment/{page.id}", data=data).status_code == 403
    assert snapshot(app) == before


@pytest.fixture
def linked_page(app, author, live_server):
    """A published page on the live server and the pages of a remote blog linking to it."""
    page = author.publish_page("About", "Who I am.")
    return live_server.url + author.url_of(page), page


def serve_source(httpserver, path: str, target: str) -> str:
    httpserver.expect_request(path).respond_with_data(
        f"<!doctype html><html><head><title>Their post</title></head><body><p>Read <a href='{target}'>"
        "this page</a>.</p></body></html>", content_type="text/html")
    return httpserver.url_for(path)


def mentions_of(app, page_id: int) -> list[tuple[str, str, str]]:
    with app.app_context():
        rows = db.session.execute(
            db.select(Comment.kind, Comment.verification, Comment.target_url).filter_by(post_id=page_id)
            .order_by(Comment.id)
        ).all()
        db.session.remove()
        return [tuple(row) for row in rows]


def test_webmention_to_a_page_is_accepted_and_verified(app, linked_page, live_server, httpserver):
    target, page = linked_page
    source = serve_source(httpserver, "/mention", target)
    response = requests.post(live_server.url + "/webmention", data={"source": source, "target": target},
                             timeout=TIMEOUT)
    assert response.status_code == 201
    with app.app_context():
        run_due_jobs()
    assert mentions_of(app, page.id) == [("webmention", "verified", target)]


def test_pingback_to_a_page_is_accepted(app, linked_page, live_server, httpserver):
    target, page = linked_page
    source = serve_source(httpserver, "/ping", target)
    answer = xmlrpc.client.ServerProxy(live_server.url + "/xmlrpc").pingback.ping(source, target)
    assert answer.startswith(f"Pingback from {source} to {target} received")
    with app.app_context():
        run_due_jobs()
    assert mentions_of(app, page.id) == [("pingback", "verified", target)]


def test_trackback_to_a_page_is_accepted_at_its_trackback_url(app, linked_page, visitor):
    target, page = linked_page
    html = visitor.get("/about/").get_data(as_text=True)
    assert f'trackback:ping="{target}trackback/"' in html
    response = requests.post(target + "trackback/", data={"url": "http://192.0.2.9/their-post", "title": "Linked"},
                             timeout=TIMEOUT)
    assert response.status_code == 200 and "<error>0</error>" in response.text
    assert [kind for kind, _, _ in mentions_of(app, page.id)] == ["trackback"]


def test_linkbacks_to_a_draft_page_are_refused(app, author, live_server):
    author.save_page("Secret", action="draft")
    rpc = xmlrpc.client.ServerProxy(live_server.url + "/xmlrpc")
    with pytest.raises(xmlrpc.client.Fault) as fault:
        rpc.pingback.ping("http://192.0.2.9/x", live_server.url + "/secret/")
    assert fault.value.faultCode in (32, 33)
    response = requests.post(live_server.url + "/webmention",
                             data={"source": "http://192.0.2.9/x", "target": live_server.url + "/secret/"},
                             timeout=TIMEOUT)
    assert response.status_code == 400


# --- markup ----------------------------------------------------------------------------------------


def test_page_is_an_h_entry_with_name_url_date_author_and_content(author, visitor):
    author.publish_page("About <me>", "I *write*.", publish_date="2024-07-04T12:00")
    html = visitor.get("/about-me/").get_data(as_text=True)
    (entry,) = [i for i in mf2py.parse(doc=html, url="http://localhost/about-me/")["items"] if "h-entry" in i["type"]]
    props = entry["properties"]
    assert props["name"] == ["About <me>"]
    assert props["url"] == ["http://localhost/about-me/"]
    assert props["published"] == ["2024-07-04T12:00:00+0000"]
    assert props["content"][0]["html"].strip() == "<p>I <em>write</em>.</p>"
    assert props["author"][0]["properties"]["name"] == ["admin"]
    assert "category" not in props  # pages have no tags or categories


def test_pages_are_in_the_sitemap_and_drafts_are_not(author, visitor):
    author.publish_page("About", publish_date="2024-01-02T10:00")
    author.save_page("Draft page", action="draft")
    sitemap = visitor.get("/sitemap.xml").get_data(as_text=True)
    assert "<loc>http://localhost/about/</loc>" in sitemap and "draft-page" not in sitemap


def test_an_unknown_one_segment_address_is_a_plain_404(visitor, author):
    for path in ("/no-such-page/", "/no-such-page", "/wp-login.php", "/no-such-page/feed/"):
        assert visitor.get(path).status_code == 404, path
    assert visitor.get("/admin").status_code == 308  # the admin's own address is still redirected


def test_kind_is_stored_as_page_and_posts_stay_posts(app, author):
    post = author.publish("A post")
    page = author.publish_page("A page")
    with app.app_context():
        kinds = dict(db.session.execute(db.select(Post.id, Post.kind)).all())
    assert kinds == {post.id: "post", page.id: "page"}
    assert (page.status, post.status) == (PostStatus.PUBLISHED, PostStatus.PUBLISHED)


# --- in a browser ----------------------------------------------------------------------------------


def test_writing_a_page_and_filing_a_post_in_a_browser(author, browser, live_server):
    """The labels people look for: "Title", "Content", "Menu order", "Publish"; "Categories" and
    "New category" in the post editor."""
    from playwright.sync_api import expect

    base = live_server.url
    owner = browser.new_context().new_page()
    owner.goto(base + "/login")
    owner.get_by_label("Username").fill("admin")
    owner.get_by_label("Password").fill(PASSWORD)
    owner.get_by_role("button", name="Log in").click()
    owner.goto(base + "/admin/pages/new")
    owner.get_by_label("Title").fill("About")
    owner.get_by_label("Content").fill("Who **I** am.")
    owner.get_by_label("Menu order").fill("1")
    owner.get_by_role("button", name="Publish").click()
    expect(owner.locator(".flash-success")).to_contain_text("Page published. It is at /about/")

    owner.goto(base + "/admin/posts/new")
    categories = owner.get_by_role("group", name="Categories")
    expect(categories.get_by_label("Uncategorized")).to_be_checked()
    owner.get_by_label("Title").fill("A trip")
    categories.get_by_label("Uncategorized").uncheck()
    owner.get_by_label("New category").fill("Travel")
    owner.get_by_role("button", name="Publish").click()
    expect(owner.locator(".flash-success")).to_contain_text("Post published")

    reader = browser.new_context().new_page()
    reader.goto(base + "/")
    reader.get_by_role("navigation", name="Site").get_by_role("link", name="About").click()
    expect(reader.get_by_role("heading", name="About")).to_be_visible()
    expect(reader.locator(".edit-link")).to_have_count(0)
    reader.goto(base + "/")
    reader.get_by_role("link", name="Travel").click()
    expect(reader).to_have_url(base + "/category/travel/")
    expect(reader.get_by_role("heading", name="A trip")).to_be_visible()
