"""The moderation queue at /admin/comments through the real forms: tabs and filters with counts, each
row action and its Undo, bulk actions, emptying spam and trash, edit, allow/block a site, and what
an anonymous visitor or a forged form gets."""

from __future__ import annotations

from datetime import timedelta
from urllib.parse import urlsplit

import pytest
from blog_testing import csrf_token, leave_comment, snapshot
from bs4 import BeautifulSoup
from werkzeug.datastructures import MultiDict

from blog.extensions import db
from blog.models import Comment, CommentKind, CommentStatus, utcnow
from blog.moderation import decide
from blog.site_settings import get_setting

SCREEN = "/admin/comments/"


def add_items(app, post, kinds, status=CommentStatus.PENDING, **fields) -> list[int]:
    """Stored items of the given kinds (as receiving would leave them), each a second newer."""
    start = utcnow() - timedelta(hours=1)
    with app.app_context():
        rows = [Comment(post_id=post.id, kind=kind, status=status, created_at=start + timedelta(seconds=i), **{
            "author_name": f"{kind} {i}", "content": f"{kind} #{i}",
            "author_url": "" if kind == CommentKind.COMMENT else f"http://blog{i}.example/p", **fields})
            for i, kind in enumerate(kinds)]
        db.session.add_all(rows)
        db.session.commit()
        return [row.id for row in rows]


def status_of(app, *ids: int) -> list[str | None]:
    with app.app_context():
        return [getattr(db.session.get(Comment, i), "status", None) for i in ids]


def tab(author, query: str = "status=pending") -> BeautifulSoup:
    return BeautifulSoup(author.client.get(f"{SCREEN}?{query}").get_data(as_text=True), "html.parser")


def buttons(page: BeautifulSoup, comment_id: int) -> list[str]:
    return [b.get_text(strip=True) for b in page.select(f"#comment-{comment_id} button")]


def badge(author) -> str | None:
    found = tab(author).select_one(".admin-nav .badge")
    return found.get_text() if found else None


def textarea_value(textarea) -> str:
    return textarea.get_text().removeprefix("\r\n")  # as a browser reads it: the first newline is markup


def submit(client, form, **fields):
    """Send a form found on a page as a browser would: its inputs, plus the button's name=value."""
    inputs = [i for i in form.select("input[name]") if i.get("type") != "checkbox"]
    data = MultiDict([(i["name"], i.get("value", "")) for i in inputs]
                     + [(t["name"], textarea_value(t)) for t in form.select("textarea[name]")])
    for name, value in fields.items():
        data.setlist(name, value if isinstance(value, list) else [value])
    return client.post(form["action"], data=data)


def click(author, page: BeautifulSoup, comment_id: int, label: str):
    form = next(f for f in page.select(f"#comment-{comment_id} form") if f.button.get_text(strip=True) == label)
    return submit(author.client, form)


def undo(author, response):
    """Follow the action's redirect and press the Undo button of the notice it shows."""
    page = BeautifulSoup(author.client.get(response.headers["Location"]).get_data(as_text=True), "html.parser")
    return submit(author.client, page.select_one(".flash form.undo-form"))


@pytest.fixture
def post(author):
    return author.publish("Talk to me", "Comments welcome.")


def test_visitor_comment_waits_in_pending_and_shows_in_the_nav_badge(app, author, visitor, post):
    comment_id = leave_comment(app, author, post, "First!")
    assert status_of(app, comment_id) == [CommentStatus.PENDING]
    assert "First!" not in visitor.get(author.url_of(post)).get_data(as_text=True)
    row = tab(author).select_one(f"#comment-{comment_id}").get_text()
    assert "First!" in row and "Talk to me" in row and "reader@example.com" in row
    for page in ("/admin/posts", "/admin/posts/new", SCREEN, "/admin/settings/general"):
        nav = BeautifulSoup(author.client.get(page).data, "html.parser").select_one(".admin-nav")
        assert "Comments 1" in nav.get_text(" ", True), page
    leave_comment(app, author, post, "Second!", ip="192.0.2.11")
    assert badge(author) == "2"


def test_tabs_and_kind_filters_show_counts_and_only_matching_items(app, author, post):
    pings = add_items(app, post, [CommentKind.PINGBACK] * 2)
    tracks = add_items(app, post, [CommentKind.TRACKBACK] * 3)
    add_items(app, post, [CommentKind.COMMENT] * 4, CommentStatus.SPAM)
    page = tab(author)
    assert [a.get_text(" ", True) for a in page.select(".status-tabs:not(.kind-filters) a")] == [
        "All (5)", "Pending (5)", "Approved (0)", "Spam (4)", "Trash (0)"]
    assert [a.get_text(" ", True) for a in page.select(".kind-filters a")] == [
        "All (5)", "Comments (0)", "Pingbacks (2)", "Trackbacks (3)"]
    only_pings = tab(author, "status=pending&kind=pingback")
    assert [r["id"] for r in only_pings.select("tbody tr")] == [f"comment-{i}" for i in reversed(pings)]
    assert "Spam (0)" in only_pings.select_one(".status-tabs").get_text(" ", True)
    assert len(tab(author, "status=pending&kind=trackback").select("tbody tr")) == len(tracks)
    assert "No pending comments." in tab(author, "status=pending&kind=comment").get_text()
    assert author.client.get(f"{SCREEN}?kind=pings").status_code == 404


def test_rows_offer_the_actions_of_their_status(app, author, post):
    (comment,) = add_items(app, post, [CommentKind.COMMENT])
    (ping,) = add_items(app, post, [CommentKind.PINGBACK])
    page = tab(author)
    assert buttons(page, comment) == ["Approve", "Spam", "Trash"]
    assert buttons(page, ping) == ["Approve", "Spam", "Trash", "Always allow this site", "Block this site"]
    links = [a.get_text() for a in page.select(f"#comment-{comment} a.button")]
    assert links == ["Approve and Reply", "Edit"]  # a pending comment is answered with its approval
    assert [a.get_text() for a in page.select(f"#comment-{ping} a.button")] == ["Edit"]  # no reply to a linkback
    for status, labels in [("approved", ["Unapprove", "Spam", "Trash"]),
                           ("spam", ["Approve", "Not spam", "Trash", "Delete permanently"]),
                           ("trash", ["Approve", "Restore", "Spam", "Delete permanently"])]:
        (item,) = add_items(app, post, [CommentKind.COMMENT], status)
        assert buttons(tab(author, f"status={status}"), item) == labels


@pytest.mark.parametrize(
    ("start", "label", "after"),
    [("pending", "Approve", "approved"), ("approved", "Unapprove", "pending"), ("pending", "Spam", "spam"),
     ("spam", "Not spam", "pending"), ("approved", "Trash", "trash"), ("trash", "Restore", "pending"),
     ("spam", "Approve", "approved"), ("trash", "Spam", "spam")],
)
def test_each_row_action_and_the_undo_in_its_notice(app, author, post, start, label, after):
    (item,) = add_items(app, post, [CommentKind.TRACKBACK], start)
    response = click(author, tab(author, f"status={start}"), item, label)
    assert response.status_code == 302 and response.headers["Location"] == f"{SCREEN}?status={start}"
    assert status_of(app, item) == [after]
    assert undo(author, response).status_code == 302
    assert status_of(app, item) == [start]
    assert "back where it was" in tab(author, f"status={start}").select_one(".flash").get_text()


def test_approving_puts_the_comment_on_the_post_and_clears_the_badge(app, author, visitor, post):
    comment_id = leave_comment(app, author, post, "Lovely post.")
    click(author, tab(author), comment_id, "Approve")
    assert "Lovely post." in visitor.get(author.url_of(post)).get_data(as_text=True)
    assert badge(author) is None
    assert tab(author, "status=pending").select_one(f"#comment-{comment_id}") is None


def test_linkback_approved_from_the_queue_appears_on_the_post(app, author, visitor, post):
    (ping,) = add_items(app, post, [CommentKind.PINGBACK], author_name="Friendly Blog", verification="verified")
    assert "Friendly Blog" not in visitor.get(author.url_of(post)).get_data(as_text=True)
    click(author, tab(author, "status=pending&kind=pingback"), ping, "Approve")
    public = visitor.get(author.url_of(post)).get_data(as_text=True)
    assert "Friendly Blog" in public and "pingback #0" in public


def test_linkback_row_shows_verification_source_and_why_the_rules_held_it(app, author, post):
    (track,) = add_items(app, post, [CommentKind.TRACKBACK], CommentStatus.SPAM, verification="failed",
                         verification_note="The page does not link to <b>your post</b>.",
                         moderation_note="Spam: it contains “<script>” from your disallowed comment keys.",
                         moderation_note_status=CommentStatus.SPAM)
    row = tab(author, "status=spam").select_one(f"#comment-{track}")
    assert "Failed: The page does not link to <b>your post</b>." in row.select_one(".verification").get_text()
    assert row.select_one(".moderation-note").get_text() == (
        "Spam: it contains “<script>” from your disallowed comment keys.")
    assert row.select("b, script") == []
    source = row.select_one("a.source-link")
    assert (source["href"], source["rel"], source["target"]) == (
        "http://blog0.example/p", ["nofollow", "noopener", "noreferrer"], "_blank")


def test_comment_text_is_shown_escaped(app, author, post):
    comment_id = leave_comment(app, author, post, '<script>alert("pwned")</script> <b>bold</b>')
    html = author.client.get(SCREEN).get_data(as_text=True)
    assert "<script>alert" not in html and "<b>bold" not in html and "&lt;script&gt;" in html
    assert f'id="comment-{comment_id}"' in html


def test_delete_permanently_offers_no_undo(app, author, post):
    (item,) = add_items(app, post, [CommentKind.COMMENT], CommentStatus.TRASH)
    response = click(author, tab(author, "status=trash"), item, "Delete permanently")
    assert status_of(app, item) == [None]
    page = tab(author, "status=trash")
    assert "Deleted the comment from comment 0 permanently." in page.select_one(".flash").get_text()
    assert page.select(".undo-form") == [] and response.status_code == 302


def test_bulk_actions_clear_a_hundred_mixed_items_in_three_posts(app, author, visitor, post):
    ids = add_items(app, post, [CommentKind.COMMENT, CommentKind.PINGBACK, CommentKind.TRACKBACK] * 33 + [
        CommentKind.COMMENT])
    bulk = tab(author).select_one("form#bulk")
    assert [o["value"] for o in bulk.select("option")] == ["", "approve", "spam", "trash"]
    for chosen, action in [(ids[:40], "approve"), (ids[40:70], "spam"), (ids[70:], "trash")]:
        response = submit(author.client, bulk, ids=[str(i) for i in chosen], action=action, scope="ticked")
        assert response.status_code == 302
    notice = tab(author).select_one(".flash")
    assert "Moved 30 items to the trash." in notice.get_text()
    assert status_of(app, *ids) == ["approved"] * 40 + ["spam"] * 30 + ["trash"] * 30
    assert badge(author) is None and "pingback #1" in visitor.get(author.url_of(post)).get_data(as_text=True)
    assert submit(author.client, notice.form).status_code == 302
    assert status_of(app, *ids[70:]) == ["pending"] * 30


def test_apply_to_all_on_the_page_needs_no_ticks_and_two_clicks_clear_a_hundred(app, author, post):
    ids = add_items(app, post, [CommentKind.PINGBACK, CommentKind.COMMENT] * 50)
    for _ in range(2):
        bulk = tab(author).select_one("form#bulk")
        assert bulk.select_one('button[value="page"]').get_text() == "Apply to all 50 on this page"
        submit(author.client, bulk, action="spam", scope="page")
    assert set(status_of(app, *ids)) == {"spam"}
    assert "No pending comments." in tab(author).get_text()


def test_queue_pages_fifty_at_a_time(app, author, post):
    ids = add_items(app, post, [CommentKind.COMMENT] * 120)
    first = tab(author)
    assert len(first.select("tbody tr")) == 50 and "Page 1 of 3" in first.select_one(".pagination").get_text()
    assert first.select_one(".pagination a.older")["href"] == f"{SCREEN}?status=pending&page=2"
    last = tab(author, "status=pending&page=3")
    assert [r["id"] for r in last.select("tbody tr")][-1] == f"comment-{ids[0]}"


@pytest.mark.parametrize(("fields", "message"), [({"action": "approve"}, "Tick at least one item"),
                                                 ({"ids": "1", "action": ""}, "Choose an action")])
def test_bulk_without_ticks_or_action_says_so(app, author, post, fields, message):
    add_items(app, post, [CommentKind.COMMENT])
    response = author.client.post(f"{SCREEN}bulk", data={"csrf_token": author.token(), **fields})
    assert response.status_code == 302
    assert message in tab(author).select_one(".flash-error").get_text()
    assert status_of(app, 1) == ["pending"]


@pytest.mark.parametrize("status", ["spam", "trash"])
def test_emptying_spam_or_trash_asks_for_confirmation_first(app, author, post, status):
    doomed = add_items(app, post, [CommentKind.PINGBACK, CommentKind.COMMENT], status)
    kept = add_items(app, post, [CommentKind.COMMENT], CommentStatus.PENDING)
    link = tab(author, f"status={status}").find("a", string=f"Empty {status}")
    confirm = BeautifulSoup(author.client.get(link["href"]).data, "html.parser").select_one(".confirm-empty")
    assert "Permanently delete all 2 items" in confirm.get_text() and status_of(app, *doomed) == [status] * 2
    submit(author.client, confirm.form)
    assert status_of(app, *doomed, *kept) == [None, None, "pending"]
    where = "spam" if status == "spam" else "the trash"
    assert f"Deleted 2 items from {where} permanently." in tab(author, f"status={status}").get_text()


def edit_page(author, item: int) -> BeautifulSoup:
    return BeautifulSoup(author.client.get(f"{SCREEN}{item}/edit?back=/admin/comments/%3Fstatus%3Dspam").data,
                         "html.parser")


def test_edit_corrects_a_trackback_and_undo_restores_it(app, author, visitor, post):
    (item,) = add_items(app, post, [CommentKind.TRACKBACK], CommentStatus.SPAM)
    form = edit_page(author, item).select_one("form.comment-edit-form")
    assert form.select_one("#author_name")["value"] == "trackback 0" and textarea_value(form.textarea) == "trackback #0"
    response = submit(author.client, form, author_name="Fixed <Name>", author_url="https://fixed.example/",
                      content="Fixed excerpt")
    assert response.headers["Location"] == f"{SCREEN}?status=spam"
    with app.app_context():
        row = db.session.get(Comment, item)
        assert (row.author_name, row.author_url, row.content) == ("Fixed <Name>", "https://fixed.example/",
                                                                   "Fixed excerpt")
    assert "Trackback saved." in tab(author, "status=spam").select_one(".flash").get_text()
    response = submit(author.client, edit_page(author, item).select_one("form.comment-edit-form"), content="Again")
    undo(author, response)
    with app.app_context():
        assert db.session.get(Comment, item).content == "Fixed excerpt"


@pytest.mark.parametrize(("field", "value", "error"), [
    ("author_email", "not an email", "Invalid email address."),
    ("author_url", "javascript:alert(1)", "Enter a web address starting with http:// or https://"),
    ("content", "   ", "The text cannot be empty."),
])
def test_edit_validation_keeps_the_typed_values_and_changes_nothing(app, author, post, field, value, error):
    (item,) = add_items(app, post, [CommentKind.COMMENT])
    before = snapshot(app)
    form = edit_page(author, item).select_one("form.comment-edit-form")
    response = submit(author.client, form, author_name="Typed name", **{field: value})
    assert response.status_code == 400 and snapshot(app) == before
    page = BeautifulSoup(response.data, "html.parser")
    assert error in page.select_one(".error").get_text()
    assert page.select_one("#author_name")["value"] == "Typed name"
    shown = page.select_one(f"#{field}")
    assert (textarea_value(shown) if field == "content" else shown["value"]) == value


@pytest.mark.parametrize(("label", "setting", "verdict"), [
    ("Block this site", "linkback_block_sites", CommentStatus.SPAM),
    ("Always allow this site", "linkback_allow_sites", CommentStatus.APPROVED)])
def test_allow_or_block_a_site_names_the_host_and_can_be_undone(app, author, post, label, setting, verdict):
    (track,) = add_items(app, post, [CommentKind.TRACKBACK], author_url="https://Pinger.example/post")
    response = click(author, tab(author), track, label)
    later = Comment(kind=CommentKind.PINGBACK, author_name="Pinger", author_url="http://pinger.example/new",
                    content="Linked again.")
    with app.app_context():
        assert get_setting(setting) == "pinger.example" and decide(later).status == verdict
    notice = tab(author).select_one(".flash")
    assert notice.get_text().strip().startswith("pinger.example is on your") and notice.select_one(".undo-form")
    submit(author.client, notice.form)
    with app.app_context():
        assert get_setting(setting) == "" and decide(later).status == CommentStatus.PENDING
    assert status_of(app, track) == ["pending"] and response.status_code == 302


@pytest.mark.parametrize(
    "back", ["https://evil.example/", "//evil.example/", "/\\evil.example", "/admin/\r\nSet-Cookie: x=1"]
)
def test_redirect_after_an_action_never_leaves_the_site(app, author, post, back):
    comment_id = leave_comment(app, author, post, "Hi")
    token = author.token()
    for url, data in [(f"{SCREEN}{comment_id}/approve", {}), (f"{SCREEN}bulk", {"ids": comment_id, "action": "spam"}),
                      (f"{SCREEN}undo", {"undo": "status", "restore": f"pending:{comment_id}"})]:
        response = author.client.post(url, data={"csrf_token": token, "back": back, **data})
        assert response.headers["Location"] == SCREEN, url


def test_unknown_action_comment_or_tab_is_404_and_changes_nothing(app, author, post):
    comment_id = leave_comment(app, author, post, "Stay pending")
    for url in [f"{SCREEN}{comment_id}/explode", f"{SCREEN}{comment_id + 100}/site",
                f"{SCREEN}{comment_id + 100}/edit"]:
        assert author.client.post(url, data={"csrf_token": author.token()}).status_code == 404, url
    # A status action on an item that no longer exists (deleted in another tab, or by the spam
    # clean-up) is a no-op that says so, not an error page.
    response = author.client.post(f"{SCREEN}{comment_id + 100}/approve", data={"csrf_token": author.token()})
    assert response.status_code == 302
    assert "no longer exists" in author.client.get(SCREEN).get_data(as_text=True)
    assert author.client.get(f"{SCREEN}?status=everything").status_code == 404
    assert author.client.get(f"{SCREEN}{comment_id}/approve").status_code == 405
    assert status_of(app, comment_id) == [CommentStatus.PENDING]


def queue_forms(comment_id: int) -> dict[str, dict]:
    return {
        f"{SCREEN}{comment_id}/delete": {},
        f"{SCREEN}{comment_id}/site": {"listing": "blocked"},
        f"{SCREEN}{comment_id}/edit": {"author_name": "Hijacked", "content": "Hijacked"},
        f"{SCREEN}bulk": {"ids": str(comment_id), "action": "delete"},
        f"{SCREEN}empty": {"status": "spam", "through": "1000"},
        f"{SCREEN}undo": {"undo": "status", "restore": f"approved:{comment_id}"},
    }


@pytest.mark.parametrize("token", ["missing", "garbage", "another session's"])
def test_queue_forms_refuse_a_bad_csrf_token_and_change_nothing(app, author, post, token):
    (item,) = add_items(app, post, [CommentKind.PINGBACK], CommentStatus.SPAM)
    before = snapshot(app)
    for url, data in queue_forms(item).items():
        if token != "missing":
            data["csrf_token"] = "not-a-token" if token == "garbage" else csrf_token(app.test_client())
        response = author.client.post(url, data=data)
        assert response.status_code == 400 and "security token" in response.get_data(as_text=True), url
    assert snapshot(app) == before


def test_queue_refuses_anonymous_visitors(app, author, post):
    (item,) = add_items(app, post, [CommentKind.PINGBACK], CommentStatus.SPAM)
    anonymous = app.test_client()
    token = csrf_token(anonymous)
    before = snapshot(app)
    for url, data in queue_forms(item).items():
        response = anonymous.post(url, data={"csrf_token": token, **data})
        assert urlsplit(response.headers["Location"]).path == "/login", url
    for url in (SCREEN, f"{SCREEN}?status=spam&confirm=empty", f"{SCREEN}{item}/edit"):
        assert urlsplit(anonymous.get(url).headers["Location"]).path == "/login", url
    assert snapshot(app) == before


def test_edit_of_a_long_foreign_excerpt_keeps_its_undo(app, author, post):
    excerpt = "Schöne Grüße aus Köln, " * 40 + "日本語のトラックバック" * 20
    (item,) = add_items(app, post, [CommentKind.TRACKBACK], content=excerpt)
    response = submit(author.client, edit_page(author, item).select_one("form.comment-edit-form"), content="Short")
    undo(author, response)  # the session cookie carried the old excerpt (a too-large cookie would warn)
    with app.app_context():
        assert db.session.get(Comment, item).content == excerpt
