"""The moderation queue's domain functions, called without HTTP: pages and counts, status changes
and their Undo, permanent deletion, emptying spam and trash, edits, and the allow/block lists."""

from __future__ import annotations

import secrets
from datetime import timedelta

import pytest
from werkzeug.datastructures import MultiDict

from blog import moderation_queue as queue
from blog.extensions import db
from blog.models import Comment, CommentKind, CommentStatus, utcnow
from blog.moderation import decide
from blog.site_settings import get_setting, save_settings

KINDS = [CommentKind.COMMENT, CommentKind.PINGBACK, CommentKind.TRACKBACK]


@pytest.fixture
def post_id(author):
    return author.publish("Queue post", "Link to me.").id


@pytest.fixture
def ctx(app, post_id):
    with app.app_context():
        yield


def add(post_id: int, kind=CommentKind.COMMENT, status=CommentStatus.PENDING, n: int = 1, **fields) -> list[int]:
    """n stored items, each a second newer than the last; ids in creation order."""
    start = utcnow() - timedelta(days=1)
    rows = []
    for i in range(n):
        values = {"author_name": f"{kind} {i}", "content": f"{kind} text {i}",
                  "created_at": start + timedelta(seconds=i)}
        if kind != CommentKind.COMMENT:
            values["author_url"] = f"http://site{i % 3}.example/{i}"
        rows.append(Comment(post_id=post_id, kind=kind, status=status, **{**values, **fields}))
    db.session.add_all(rows)
    db.session.commit()
    return [row.id for row in rows]


def statuses(ids) -> list[str]:
    db.session.expire_all()
    return [db.session.get(Comment, i).status for i in ids]


def test_counts_by_kind_and_status_and_filtered_pages(ctx, post_id):
    add(post_id, CommentKind.COMMENT, n=3)
    add(post_id, CommentKind.PINGBACK, n=2)
    add(post_id, CommentKind.TRACKBACK, CommentStatus.SPAM, n=4)
    page = queue.queue_page("pending")
    assert [page.counts.count(s) for s in CommentStatus] == [5, 0, 4, 0]
    assert page.counts.count("spam", "trackback") == 4 and page.counts.count(None, "comment") == 3
    assert [(k, n) for k, _, n in page.kind_filters] == [("all", 5), ("comment", 3), ("pingback", 2), ("trackback", 0)]
    pings = queue.queue_page("pending", "pingback")
    assert [i.kind for i in pings.items] == ["pingback", "pingback"]
    assert [i.author_name for i in queue.queue_page("spam", "trackback").items][0] == "trackback 3"  # newest first


def test_webmention_filter_appears_once_there_are_webmentions(ctx, post_id):
    assert "webmention" not in [k for k, _, _ in queue.queue_page("pending").kind_filters]
    add(post_id, CommentKind.WEBMENTION, CommentStatus.SPAM)
    assert ("webmention", "Webmentions", 0) in queue.queue_page("pending").kind_filters


@pytest.mark.parametrize(("status", "kind"), [("everything", "all"), ("pending", "pings")])
def test_unknown_status_or_kind_is_refused(ctx, status, kind):
    with pytest.raises(ValueError):
        queue.queue_page(status, kind)


def test_pages_of_fifty_and_a_page_past_the_end_shows_the_last(ctx, post_id):
    ids = add(post_id, n=120)
    first, third = queue.queue_page("pending", page=1), queue.queue_page("pending", page=3)
    assert (len(first.items), first.pages, first.items[0].id) == (50, 3, ids[-1])
    assert len(third.items) == 20 and third.items[-1].id == ids[0]
    assert queue.queue_page("pending", page=99).page == 3 and queue.queue_page("pending", page=-1).page == 1


def test_bulk_action_over_mixed_items_moves_those_it_applies_to_and_undo_puts_each_back(ctx, post_id):
    pending = add(post_id, CommentKind.PINGBACK, n=40) + add(post_id, CommentKind.TRACKBACK, n=30)
    spam = add(post_id, CommentKind.COMMENT, CommentStatus.SPAM, n=20)
    approved = add(post_id, CommentKind.COMMENT, CommentStatus.APPROVED, n=10)
    outcome = queue.apply_action(pending + spam + approved, "approve")
    assert outcome.changed == 90 and outcome.message == "Approved 90 items."
    assert set(statuses(pending + spam + approved)) == {"approved"}
    back = queue.undo(MultiDict(outcome.undo))
    assert back.changed == 90 and back.undo is None
    assert statuses(pending) == ["pending"] * 70 and statuses(spam) == ["spam"] * 20
    assert statuses(approved) == ["approved"] * 10


@pytest.mark.parametrize(
    ("start", "action", "after"),
    [("pending", "approve", "approved"), ("approved", "unapprove", "pending"), ("pending", "spam", "spam"),
     ("spam", "unspam", "pending"), ("approved", "trash", "trash"), ("trash", "restore", "pending"),
     ("trash", "approve", "approved"), ("spam", "trash", "trash")],
)
def test_each_status_action_and_its_undo(ctx, post_id, start, action, after):
    (item,) = add(post_id, CommentKind.TRACKBACK, start, author_name="Other Blog")
    outcome = queue.apply_action([item], action)
    assert statuses([item]) == [after] and "the trackback from Other Blog" in outcome.message
    queue.undo(MultiDict(outcome.undo))
    assert statuses([item]) == [start]


def test_action_that_does_not_apply_changes_nothing(ctx, post_id):
    ids = add(post_id, n=3)
    outcome = queue.apply_action(ids, "unspam")
    assert outcome.changed == 0 and outcome.undo is None and "does not apply" in outcome.message
    assert statuses(ids) == ["pending"] * 3


@pytest.mark.parametrize(("ids", "action", "message"), [([], "approve", "Tick"), ([1], "", "Choose an action"),
                                                         ([1], "explode", "Choose an action")])
def test_bulk_needs_items_and_a_known_action(ctx, ids, action, message):
    with pytest.raises(queue.QueueError, match=message):
        queue.apply_action(ids, action)


def test_bulk_refuses_more_than_the_limit(ctx, post_id):
    ids = add(post_id, n=queue.BULK_LIMIT + 1)
    with pytest.raises(queue.QueueError, match="at most"):
        queue.apply_action(ids, "trash")
    assert set(statuses(ids)) == {"pending"}


def test_delete_permanently_takes_only_spam_and_trash_and_cannot_be_undone(ctx, post_id):
    keep = add(post_id, n=2) + add(post_id, status=CommentStatus.APPROVED)
    gone = add(post_id, status=CommentStatus.SPAM) + add(post_id, CommentKind.PINGBACK, CommentStatus.TRASH)
    outcome = queue.apply_action(keep + gone, "delete")
    assert (outcome.changed, outcome.undo, outcome.message) == (2, None, "Deleted 2 items permanently.")
    assert all(db.session.get(Comment, i) is None for i in gone) and len(statuses(keep)) == 3
    assert queue.apply_action(keep, "delete").changed == 0


def test_undo_after_a_permanent_delete_says_what_could_not_come_back(ctx, post_id):
    ids = add(post_id, n=2)
    trashed = queue.apply_action(ids, "trash")
    queue.apply_action(ids[:1], "delete")
    back = queue.undo(MultiDict(trashed.undo))
    assert back.changed == 1 and "1 had been deleted permanently" in back.message
    assert statuses(ids[1:]) == ["pending"]


def test_empty_spam_deletes_spam_up_to_the_confirmed_item_only(ctx, post_id):
    old_spam = add(post_id, CommentKind.PINGBACK, CommentStatus.SPAM, n=3)
    trash = add(post_id, status=CommentStatus.TRASH)
    confirmed = queue.queue_page("spam").through_id
    late_spam = add(post_id, status=CommentStatus.SPAM)  # arrived while the owner read the confirmation
    outcome = queue.empty("spam", confirmed)
    assert outcome.message == "Deleted 3 items from spam permanently." and outcome.undo is None
    assert all(db.session.get(Comment, i) is None for i in old_spam)
    assert statuses(late_spam + trash) == ["spam", "trash"]
    assert queue.empty("trash", queue.queue_page("trash").through_id).changed == 1
    with pytest.raises(queue.QueueError):
        queue.empty("approved", 10**9)


def test_edit_stores_corrections_and_undo_brings_the_old_version_back(ctx, post_id):
    (item,) = add(post_id, CommentKind.TRACKBACK, author_name="Bad &amp; Title", author_url="http://a.example/p")
    fields = queue.CommentFields(" Good & Title ", "", "b.example/q", "  Corrected excerpt.  ")
    outcome = queue.edit_comment(db.session.get(Comment, item), fields)
    comment = db.session.get(Comment, item)
    assert (comment.author_name, comment.author_url, comment.content) == (
        "Good & Title", "http://b.example/q", "Corrected excerpt.")
    queue.undo(MultiDict(outcome.undo))
    db.session.expire_all()
    comment = db.session.get(Comment, item)
    assert (comment.author_name, comment.author_url, comment.content) == (
        "Bad &amp; Title", "http://a.example/p", "trackback text 0")


def test_edit_of_a_long_text_is_saved_without_undo(ctx, post_id):
    (item,) = add(post_id, content=secrets.token_urlsafe(queue.UNDO_EDIT_MAX_BYTES))  # incompressible
    outcome = queue.edit_comment(db.session.get(Comment, item), queue.CommentFields("A", "", "", "short"))
    assert outcome.undo is None and "too long to offer Undo" in outcome.message


def test_forged_edit_undo_cannot_store_a_script_address(ctx, post_id):
    (item,) = add(post_id, author_url="http://ok.example/")
    queue.edit_comment(db.session.get(Comment, item), queue.CommentFields("A", "", "", "text"))
    queue.undo(MultiDict([("undo", "edit"), ("comment_id", str(item)), ("author_url", "javascript:alert(1)")]))
    assert db.session.get(Comment, item).author_url == ""


def linkback(url: str, kind=CommentKind.PINGBACK) -> Comment:
    """An unsaved incoming linkback, as receiving builds one before deciding its status."""
    return Comment(kind=kind, author_name="Someone", author_url=url, content="They linked here.")


def test_blocked_site_sends_its_later_linkbacks_to_spam_and_undo_lifts_the_block(ctx, post_id):
    (item,) = add(post_id, CommentKind.PINGBACK, author_url="http://Spammy.example/post")
    outcome = queue.list_site(db.session.get(Comment, item), "blocked")
    assert outcome.message.startswith("spammy.example is on your block list")
    for kind in (CommentKind.PINGBACK, CommentKind.TRACKBACK):
        assert decide(linkback("https://spammy.example/other", kind)).status == CommentStatus.SPAM
    queue.undo(MultiDict(outcome.undo))
    assert get_setting("linkback_block_sites") == ""
    assert decide(linkback("https://spammy.example/other")).status != CommentStatus.SPAM


def test_allowed_site_skips_moderation_and_undo_restores_an_earlier_block(ctx, post_id):
    save_settings({"linkback_block_sites": "friend.example", "comment_moderation": True})
    (item,) = add(post_id, CommentKind.TRACKBACK, author_url="http://friend.example/p")
    outcome = queue.list_site(db.session.get(Comment, item), "allowed")
    assert outcome.message.startswith("friend.example is on your allow list")
    assert decide(linkback("http://friend.example/new")).status == CommentStatus.APPROVED
    queue.undo(MultiDict(outcome.undo))
    assert (get_setting("linkback_block_sites"), get_setting("linkback_allow_sites")) == ("friend.example", "")
    assert decide(linkback("http://friend.example/new")).status == CommentStatus.SPAM


@pytest.mark.parametrize(("kind", "url", "listing"), [(CommentKind.COMMENT, "http://a.example/", "blocked"),
                                                      (CommentKind.PINGBACK, "", "blocked"),
                                                      (CommentKind.PINGBACK, "http://a.example/", "unlisted")])
def test_site_lists_need_a_linkback_with_a_source_and_a_choice(ctx, post_id, kind, url, listing):
    (item,) = add(post_id, kind, author_url=url)
    with pytest.raises(queue.QueueError):
        queue.list_site(db.session.get(Comment, item), listing)
    assert get_setting("linkback_block_sites") == "" and get_setting("linkback_allow_sites") == ""


@pytest.mark.parametrize("fields", [[], [("undo", "nothing")], [("undo", "status"), ("restore", "gone:1")],
                                    [("undo", "status"), ("restore", "pending:1,x")],
                                    [("undo", "site"), ("url", "http://a.example/"), ("listing", "vip")],
                                    [("undo", "site"), ("url", "not a url"), ("listing", "allowed")],
                                    [("undo", "edit"), ("comment_id", "999")]])
def test_damaged_undo_fields_are_refused(ctx, fields):
    with pytest.raises(queue.QueueError):
        queue.undo(MultiDict(fields))


def test_the_more_specific_site_entry_wins(app):
    from blog.models import Comment
    from blog.moderation import decide
    from blog.site_settings import save_settings

    with app.app_context():
        save_settings({"linkback_block_sites": "example.com", "linkback_allow_sites": "blog.example.com"})
        def ping(url):
            return decide(Comment(kind="pingback", author_url=url, author_name="x", content="y")).status
        assert ping("http://blog.example.com/post") == "approved"
        assert ping("http://spam.example.com/post") == "spam"
