"""Issue "Finished surfaces…", defects 5, 6, 7, 9, 10, 11, 14 and 16: moderation reasons and their
history, the Discussion settings page, the trackback URL box, the mentions list, the moderation queue
and Linkbacks table on a phone, title and slug limits, the queue's All tab, and 404 headers. Layout is
checked in the rendered HTML and, where it is about rendering, in Chromium."""

from __future__ import annotations

import pytest
from blog_testing import PASSWORD, leave_comment, snapshot
from bs4 import BeautifulSoup
from werkzeug.datastructures import MultiDict

from blog.extensions import db
from blog.models import Comment, CommentKind, CommentStatus, Post
from blog.posts import SLUG_MAX_CHARS, PostInput, preview_post
from blog.site_settings import save_settings

QUEUE = "/admin/comments/"
DISCUSSION = "/admin/settings/discussion"


def soup(response) -> BeautifulSoup:
    return BeautifulSoup(response.get_data(as_text=True), "html.parser")


def press(author, status: str, comment_id: int, label: str):
    """Press a row's button on the queue page, as a browser sends its form."""
    page = soup(author.client.get(f"{QUEUE}?status={status}"))
    form = next(f for f in page.select(f"#comment-{comment_id} form") if f.button.get_text(strip=True) == label)
    data = MultiDict([(i["name"], i.get("value", "")) for i in form.select("input[name]")])
    response = author.client.post(form["action"], data=data)
    assert response.status_code == 302
    return response


def row_text(author, status: str, comment_id: int) -> str:
    row = soup(author.client.get(f"{QUEUE}?status={status}")).select_one(f"#comment-{comment_id}")
    assert row is not None, f"item {comment_id} not in the {status} tab"
    return row.get_text(" ", strip=True)


def status_of(app, comment_id: int) -> str:
    with app.app_context():
        return db.session.get(Comment, comment_id).status


@pytest.fixture
def post(author):
    return author.publish("Talk to me", "Comments welcome.")


# --- 5. A moderation reason is shown while it applies; the history stays in the details ----------------


def test_held_reason_goes_once_the_owner_approves_and_stays_in_the_history(app, author, post):
    """Issue "Finished surfaces…", defect 5: "Held: …" stayed on items the owner had approved."""
    with app.app_context():
        save_settings({"comment_moderation": True})
    comment_id = leave_comment(app, author, post, "Please hold me")
    assert "Held: every comment must be manually approved." in row_text(author, "pending", comment_id)

    press(author, "pending", comment_id, "Approve")
    assert status_of(app, comment_id) == CommentStatus.APPROVED
    assert "Held" not in row_text(author, "approved", comment_id)

    details = soup(author.client.get(f"{QUEUE}{comment_id}/edit"))
    assert details.select_one(".moderation-note") is None  # no current reason: the owner decided
    history = [li.get_text(" ", strip=True) for li in details.select(".moderation-history li")]
    assert len(history) == 2, history
    assert history[0].startswith("Held: every comment must be manually approved. (automatic,")
    assert history[1].startswith("Approved by you")


def test_spam_reason_goes_once_the_owner_takes_the_item_out_of_spam(app, author, post):
    """Issue "Finished surfaces…", defect 5: "Spam: …" stayed on an item the owner had said was not spam."""
    with app.app_context():
        save_settings({"disallowed_keys": "casino"})
    comment_id = leave_comment(app, author, post, "Visit my casino")
    assert status_of(app, comment_id) == CommentStatus.SPAM
    assert "Spam:" in row_text(author, "spam", comment_id)

    press(author, "spam", comment_id, "Not spam")
    assert status_of(app, comment_id) == CommentStatus.PENDING
    assert "Spam:" not in row_text(author, "pending", comment_id)
    history = soup(author.client.get(f"{QUEUE}{comment_id}/edit")).select(".moderation-history li")
    assert [li.get_text(" ", strip=True).split(" (")[0] for li in history][-1] == "Back to pending by you"


def test_automatic_reason_shows_while_the_item_keeps_the_status_it_gave(app, author, post):
    """Issue "Finished surfaces…", defect 5: the reason is shown while it applies, from its status column."""
    with app.app_context():
        save_settings({"comment_moderation": True})
    comment_id = leave_comment(app, author, post, "Still waiting")
    with app.app_context():
        comment = db.session.get(Comment, comment_id)
        assert comment.moderation_note_status == CommentStatus.PENDING
        assert comment.current_moderation_note == "Held: every comment must be manually approved."
        comment.status = CommentStatus.APPROVED
        assert comment.current_moderation_note == ""


# --- 6. Settings -> Discussion reads as WordPress's page ----------------------------------------------


def test_discussion_page_shows_each_heading_once_and_sentences_in_one_piece(author):
    """Issue "Finished surfaces…", defect 6: headings shown twice; selects outside their sentences."""
    page = soup(author.client.get(DISCUSSION))
    form = page.select_one("form.discussion-form")
    for heading in ("Comment Moderation", "Disallowed Comment Keys"):
        shown = [el for el in form.find_all(["legend", "label"]) if el.get_text(strip=True) == heading
                 and "visually-hidden" not in el.get("class", [])]
        assert len(shown) == 1, (heading, shown)
    # Each sentence with a select or number inside is one line of text: the controls sit within it.
    depth = form.select_one("#thread_comments_depth").parent
    assert "levels deep" in depth.get_text(" ", strip=True)
    assert "inline-select" in form.select_one("#thread_comments_depth").get("class", [])
    # A checkbox comes before its label, inside one field.
    for box in form.select("input[type=checkbox]"):
        label = form.select_one(f"label[for={box['id']}]")
        assert label is not None and label.parent is box.parent
        assert box.find_next("label") is label


def box(locator) -> dict:
    result = locator.bounding_box()
    assert result is not None
    return result


def log_in(browser, live_server, width: int):
    page = browser.new_context(viewport={"width": width, "height": 900}).new_page()
    page.goto(live_server.url + "/login")
    page.get_by_label("Username").fill("admin")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()
    page.wait_for_url(lambda url: "/login" not in url)
    return page


def assert_nothing_wider_than(page, width: int) -> None:
    wider = page.evaluate("""(width) => [...document.querySelectorAll('body *')]
        .filter(el => { const r = el.getBoundingClientRect();
                        return r.width && (r.right > width + 0.5 || r.left < -0.5); })
        .filter(el => !el.closest('.visually-hidden'))
        .map(el => el.tagName + '.' + el.className + ': ' + (el.textContent || '').trim().slice(0, 40))""", width)
    assert wider == []
    assert page.evaluate("document.documentElement.scrollWidth") <= width


@pytest.mark.parametrize("width", [390, 1280])
def test_discussion_checkboxes_sit_before_their_labels_on_one_line(author, live_server, browser, width):
    """Issue "Finished surfaces…", defect 6: a checkbox above its label, selects on lines of their own,
    one sentence label in bold."""
    page = log_in(browser, live_server, width)
    page.goto(live_server.url + DISCUSSION)
    form = page.locator("form.discussion-form")
    for checkbox in form.locator("input[type=checkbox]").all():
        label = form.locator(f"label[for={checkbox.get_attribute('id')}]")
        # The label's first line (a label inside a sentence may wrap, as text does, under the box).
        b, lab = box(checkbox), label.evaluate("el => { const r = el.getClientRects()[0]; "
                                               "return {x: r.x, y: r.y, height: r.height}; }")
        assert b["x"] + b["width"] <= lab["x"] + 1, checkbox.get_attribute("id")  # before it
        first_line_middle = lab["y"] + min(lab["height"], 28) / 2
        assert b["y"] - 4 <= first_line_middle <= b["y"] + b["height"] + 4, checkbox.get_attribute("id")
    # "[x] Enable threaded (nested) comments [5] levels deep" is one line on a desktop screen.
    sentence = box(form.locator("#thread_comments").locator(".."))
    if width > 1000:
        select = box(form.locator("#thread_comments_depth"))
        checkbox = box(form.locator("#thread_comments"))
        assert abs((select["y"] + select["height"] / 2) - (checkbox["y"] + checkbox["height"] / 2)) < 8
        assert sentence["height"] < 60
    # Labels inside a sentence read as the sentence: not bold.
    for label in form.locator(".field.inline label").all():
        assert label.evaluate("el => getComputedStyle(el).fontWeight") == "400"
    assert_nothing_wider_than(page, width)


# --- 7. The trackback URL is shown whole ----------------------------------------------------------------


def test_trackback_url_is_shown_whole_as_text(author, client, post):
    """Issue "Finished surfaces…", defect 7: the URL box cut the address."""
    page = soup(client.get(author.url_of(post)))
    shown = page.select_one("#trackback-url")
    assert shown.name == "code"
    assert shown.get_text() == author.url_of_external(post) + "trackback/"


def test_trackback_url_fits_in_the_text_size_around_it(author, live_server, browser, post):
    """Issue "Finished surfaces…", defect 7: shown whole ("http://127.0.0.1:5311/202" was all one saw)."""
    for width in (390, 1280):
        page = browser.new_context(viewport={"width": width, "height": 900}).new_page()
        page.goto(live_server.url + author.url_of(post))
        url = page.locator("#trackback-url")
        assert url.inner_text() == f"{live_server.url}{author.url_of(post)}trackback/"
        assert url.evaluate("el => el.scrollWidth <= el.clientWidth + 1")
        size = url.evaluate("el => getComputedStyle(el).fontSize")
        around = page.locator(".trackback-info p").first.evaluate("el => getComputedStyle(el).fontSize")
        assert size == around
        assert_nothing_wider_than(page, width)


# --- 9. Mentions listed as comments are; replies look like replies ------------------------------------


def add_discussion(app, post) -> tuple[int, int, int]:
    with app.app_context():
        alice = Comment(post_id=post.id, status=CommentStatus.APPROVED, author_name="alice", content="Hi there")
        db.session.add(alice)
        db.session.flush()
        reply = Comment(post_id=post.id, parent_id=alice.id, status=CommentStatus.APPROVED, author_name="admin",
                        content="Thanks, alice")
        ping = Comment(post_id=post.id, kind=CommentKind.PINGBACK, status=CommentStatus.APPROVED,
                       author_name="Other blog", author_url="http://other.example/p", content="…mentions this…")
        db.session.add_all([reply, ping])
        db.session.commit()
        return alice.id, reply.id, ping.id


def test_mentions_list_is_unnumbered_and_marked_up_as_the_comments(app, author, client, post):
    """Issue "Finished surfaces…", defect 9: a numbered mentions list in another style."""
    with app.app_context():
        save_settings({"separate_mentions": True})
    _, reply_id, ping_id = add_discussion(app, post)
    page = soup(client.get(author.url_of(post)))
    mentions = page.select_one(".mentions")
    assert mentions.select_one("ol") is None
    listed = mentions.select_one("ul.comment-list")
    assert listed is not None
    ping = listed.select_one(f"#comment-{ping_id}")
    assert "comment" in ping["class"] and ping.select_one(".comment-meta .comment-author")
    reply = page.select_one(f"#comment-{reply_id}")
    assert "children" in reply.parent["class"]  # styled as replies: see the browser test below


def test_mentions_and_replies_render_in_the_comments_style(app, author, live_server, browser, post):
    """Issue "Finished surfaces…", defect 9: numbers, another font size, a large gap; "1. alice"."""
    with app.app_context():
        save_settings({"separate_mentions": True})
    alice_id, reply_id, ping_id = add_discussion(app, post)
    page = browser.new_context(viewport={"width": 1280, "height": 900}).new_page()
    page.goto(live_server.url + author.url_of(post))
    for selector in (f"#comment-{reply_id}", f"#comment-{ping_id}"):
        assert page.locator(selector).evaluate("el => getComputedStyle(el).listStyleType") == "none"
    name_size = "el => getComputedStyle(el).fontSize"
    assert (page.locator(f"#comment-{ping_id} > article .comment-author").evaluate(name_size)
            == page.locator(f"#comment-{alice_id} > article .comment-author").evaluate(name_size))
    # The reply is indented under alice; the mentions follow the comments without a large gap.
    assert box(page.locator(f"#comment-{reply_id}"))["x"] > box(page.locator(f"#comment-{alice_id}"))["x"] + 10
    comments_end = box(page.locator(".comments > .comment-list"))
    mentions_top = box(page.locator(".mentions"))["y"]
    assert mentions_top - (comments_end["y"] + comments_end["height"]) < 48


# --- 10. The queue and the Linkbacks table fit a phone --------------------------------------------------


def test_queue_and_linkbacks_table_fit_a_390px_screen(app, author, live_server, browser):
    """Issue "Finished surfaces…", defect 10: actions and the Linkbacks table sat off-screen."""
    post = author.publish("Links out", "See [this](http://remote.example/a-rather-long/path/to/a/post/) and more.")
    comment_id = leave_comment(app, author, post, "A comment to moderate")
    page = log_in(browser, live_server, 390)
    page.goto(live_server.url + QUEUE + "?status=pending")
    for button in page.locator(f"#comment-{comment_id} button, #comment-{comment_id} a.button").all():
        b = box(button)
        assert 0 <= b["x"] and b["x"] + b["width"] <= 390, button.inner_text()
    table = page.locator(".comments-table")
    assert table.evaluate("el => el.scrollWidth <= el.clientWidth + 1")
    assert_nothing_wider_than(page, 390)

    page.goto(live_server.url + f"/admin/posts/{post.id}/edit")
    table = page.locator(".deliveries-table")
    assert "remote.example" in table.inner_text()
    assert table.evaluate("el => el.scrollWidth <= el.clientWidth + 1")
    for cell in table.locator("tbody td").all():
        b = box(cell) if cell.is_visible() else None
        assert b is None or b["x"] + b["width"] <= 390 + 0.5
    assert_nothing_wider_than(page, 390)


# --- 11. Titles and slugs -------------------------------------------------------------------------------


def test_title_over_250_characters_is_refused_with_a_word_and_kept(app, author):
    """Issue "Finished surfaces…", defect 11: a long title was cut without a word."""
    page = soup(author.client.get("/admin/posts/new"))
    title_input = page.select_one("input#title")
    assert not title_input.has_attr("maxlength")  # the browser would cut it silently
    assert "250 characters" in title_input.find_parent(class_="field").get_text()

    before = snapshot(app)
    title = ("A very long title " * 17).strip()
    assert len(title) == 305
    response = author.save(title, "Body")
    assert response.status_code == 400
    page = soup(response)
    assert page.select_one("input#title")["value"] == title
    errors = page.select_one("input#title").find_parent(class_="field").select(".error")
    assert any("at most 250 characters; this one has 305" in e.get_text() for e in errors)
    assert snapshot(app) == before


def test_generated_slugs_end_at_a_word_boundary(app, author):
    """Issue "Finished surfaces…", defect 11: slugs were cut mid-word."""
    title = "Considerations " * 16  # 240 characters, no word cut short by 190
    post = author.publish(title.strip(), "Body")
    assert len(post.slug) <= SLUG_MAX_CHARS
    assert post.slug.endswith("-considerations") or post.slug == "considerations"
    with app.test_request_context():
        from blog.models import User

        owner = db.session.execute(db.select(User)).scalar_one()
        preview = preview_post(PostInput(title=title.strip(), body="Body"), owner)
        assert set(preview.slug.split("-")) == {"considerations"}
        assert preview.slug == post.slug
    with app.app_context():
        assert db.session.get(Post, post.id).slug == post.slug


# --- 14. The queue's All tab ----------------------------------------------------------------------------


def test_all_tab_lists_pending_and_approved_items(app, author, post):
    """Issue "Finished surfaces…", defect 14: "All" showed only pending items."""
    ids = {}
    with app.app_context():
        for status in CommentStatus:
            item = Comment(post_id=post.id, status=status, author_name=f"{status} author", content=f"{status} text")
            db.session.add(item)
            db.session.flush()
            ids[status] = item.id
        db.session.commit()
    page = soup(author.client.get(f"{QUEUE}?status=all"))
    shown = {int(row["id"].removeprefix("comment-")) for row in page.select(".comments-table tbody tr")}
    assert shown == {ids[CommentStatus.PENDING], ids[CommentStatus.APPROVED]}
    tab = page.select_one('.status-tabs a[aria-current="page"]')
    assert tab.get_text(" ", strip=True) == "All (2)"
    # Each row offers what its own status allows.
    approved_row = page.select_one(f"#comment-{ids[CommentStatus.APPROVED]}").get_text(" ", strip=True)
    pending_row = page.select_one(f"#comment-{ids[CommentStatus.PENDING]}").get_text(" ", strip=True)
    assert "Unapprove" in approved_row and "Unapprove" not in pending_row
    press(author, "all", ids[CommentStatus.PENDING], "Approve")
    assert status_of(app, ids[CommentStatus.PENDING]) == CommentStatus.APPROVED


# --- 16. 404 pages advertise the pingback server and webmention endpoint ---------------------------------


def test_not_found_page_sends_x_pingback_and_link(author, client):
    """Issue "Finished surfaces…", defect 16: 404 pages lacked X-Pingback and Link."""
    for path in ("/no-such-page/", "/2020/01/01/nothing-here/"):
        response = client.get(path)
        assert response.status_code == 404
        assert response.headers["X-Pingback"] == "http://localhost/xmlrpc"
        assert response.headers["Link"] == '<http://localhost/webmention>; rel="webmention"'
