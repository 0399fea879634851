"""blog/posts.py without HTTP: slugs, tags, draft/scheduled/published, preview, deleting (through
the trash, blog/trash.py), and the job that publishes scheduled posts when their time comes."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from blog.comments import CommentInput, add_visitor_comment
from blog.extensions import db
from blog.jobs import run_due_jobs
from blog.linkbacks.receiving import Caller, accept_trackback
from blog.models import Comment, CommentStatus, LinkbackCheck, Post, PostStatus, Tag, User
from blog.posts import (
    PostInput,
    SlugTaken,
    choose_slug,
    count_comments_under,
    parse_tags,
    preview_post,
    publish_due_posts,
    save_post,
)
from blog.trash import delete_permanently, move_to_trash

NOW = datetime(2024, 6, 1, 12, 0, 30, tzinfo=UTC)


@pytest.fixture
def ctx(app, author):
    """A request context (publishing needs the blog's address) with the administrator at hand;
    `ctx.save(...)` writes a post at NOW."""
    with app.test_request_context("/", base_url="http://blog.test"):
        admin = db.session.execute(db.select(User)).scalar_one()

        class Ctx:
            user = admin

            @staticmethod
            def save(title="A post", post=None, publish=True, now=NOW, **fields):
                data = PostInput(title, fields.pop("body", ""), **fields)
                return save_post(post, data, publish=publish, author=admin, now=now)

        yield Ctx
        db.session.remove()


def statuses() -> dict[str, str]:
    return {p.slug: p.status for p in db.session.execute(db.select(Post)).scalars()}


# --- tags and slugs ----------------------------------------------------------------------------


def test_parse_tags_trims_folds_spaces_and_drops_repeats():
    assert parse_tags(" Python ,web  dev,, python,WEB DEV , ") == ["Python", "web dev"]
    assert parse_tags("") == []


def test_slug_is_made_from_the_title_and_made_unique(ctx):
    assert choose_slug("", "Hello, World!") == "hello-world"
    ctx.save("Hello, World!")
    ctx.save("Hello World")
    assert choose_slug("", "Hello world") == "hello-world-3"
    assert choose_slug("", "¡!?") == "post"
    assert choose_slug("", "Grüße aus Köln") == "grusse-aus-koln"


def test_typed_slug_is_cleaned_and_must_be_free(ctx):
    first = ctx.save("First", slug="My Own Slug")
    assert first.slug == "my-own-slug"
    with pytest.raises(SlugTaken, match="my-own-slug"):
        choose_slug("my own slug", "Other")
    assert choose_slug("my-own-slug", "First", post=first) == "my-own-slug"


def test_saving_with_a_taken_slug_changes_nothing(ctx):
    ctx.save("First", slug="taken")
    second = ctx.save("Second", body="original")
    with pytest.raises(SlugTaken):
        ctx.save("Second, renamed", post=second, body="changed", slug="taken")
    db.session.rollback()
    stored = db.session.get(Post, second.id)
    assert (stored.title, stored.body_markdown, stored.slug) == ("Second", "original", "second")


def test_tags_are_shared_between_posts_and_one_per_slug(ctx):
    one = ctx.save("One", tags="Python, python!, Web")
    two = ctx.save("Two", tags="PYTHON")
    assert [t.slug for t in one.tags] == ["python", "web"]
    assert [t.id for t in two.tags] == [next(t.id for t in one.tags if t.slug == "python")]
    assert db.session.execute(db.select(db.func.count(Tag.id))).scalar_one() == 2


# --- draft, scheduled, published ---------------------------------------------------------------


def test_draft_keeps_its_date_and_stays_unpublished(ctx):
    post = ctx.save("Draft", publish=False, publish_date=NOW + timedelta(days=2))
    assert (post.status, post.published_at) == (PostStatus.DRAFT, NOW + timedelta(days=2))
    assert ctx.save("Undated draft", publish=False).published_at is None


def test_publish_without_date_publishes_now_and_keeps_that_date_on_update(ctx):
    post = ctx.save("Now")
    assert (post.status, post.published_at) == (PostStatus.PUBLISHED, NOW)
    ctx.save("Now, edited", post=post, now=NOW + timedelta(days=1))
    assert post.published_at == NOW and post.updated_at == NOW + timedelta(days=1)


def test_publish_with_past_date_backdates(ctx):
    past = datetime(2020, 1, 2, 3, 4, tzinfo=UTC)
    assert ctx.save("Old news", publish_date=past).published_at == past


def test_publish_with_future_date_schedules(ctx):
    post = ctx.save("Later", publish_date=NOW + timedelta(hours=1))
    assert (post.status, post.published_at) == (PostStatus.SCHEDULED, NOW + timedelta(hours=1))


def test_dated_draft_is_scheduled_by_its_date_or_published_now_once_the_date_is_cleared(ctx):
    post = ctx.save("Draft", publish=False, publish_date=NOW + timedelta(days=2))
    ctx.save("Draft", post=post, publish_date=post.published_at)
    assert (post.status, post.published_at) == (PostStatus.SCHEDULED, NOW + timedelta(days=2))
    ctx.save("Draft", post=post, publish_date=None, now=NOW + timedelta(hours=1))
    assert (post.status, post.published_at) == (PostStatus.PUBLISHED, NOW + timedelta(hours=1))


def test_date_sent_back_to_the_minute_keeps_the_stored_seconds(ctx):
    post = ctx.save("Precise")
    assert post.published_at.second == 30
    ctx.save("Precise", post=post, publish_date=NOW.replace(second=0))
    assert post.published_at == NOW
    ctx.save("Precise", post=post, publish_date=NOW.replace(second=0) - timedelta(minutes=1))
    assert post.published_at == NOW.replace(second=0) - timedelta(minutes=1)


def test_markdown_is_rendered_and_sanitised_when_saved(ctx):
    post = ctx.save("Safe", body="**bold** <script>alert(1)</script><b onclick=\"x()\">b</b>")
    assert "<strong>bold</strong>" in post.body_html
    assert "<script" not in post.body_html and "onclick" not in post.body_html


# --- preview and delete ------------------------------------------------------------------------


def test_preview_is_rendered_like_a_save_and_never_stored(ctx):
    existing = ctx.save("Existing", body="old")
    data = PostInput("Existing", "*new*", tags="a, b", publish_date=NOW)
    preview = preview_post(data, ctx.user, existing)
    assert preview.body_html == "<p><em>new</em></p>" and [t.name for t in preview.tags] == ["a", "b"]
    db.session.commit()
    db.session.expire_all()
    assert db.session.get(Post, existing.id).body_markdown == "old"
    assert db.session.execute(db.select(db.func.count(Post.id))).scalar_one() == 1
    assert db.session.execute(db.select(db.func.count(Tag.id))).scalar_one() == 0


def test_delete_takes_every_comment_of_the_post_along(ctx):
    doomed, kept = ctx.save("Doomed"), ctx.save("Kept")
    for i, (post, status) in enumerate([(doomed, "approved"), (doomed, "spam"), (doomed, "pending"), (kept, "")]):
        data = CommentInput(f"R{i}", "r@example.com", "", f"Text {i}")
        comment = add_visitor_comment(post, data, ip=f"192.0.2.{i}", user_agent="test")
        comment.status = status or CommentStatus.PENDING
    db.session.commit()
    assert count_comments_under(doomed) == (3, 0)
    move_to_trash(doomed.id, now=NOW)
    assert count_comments_under(doomed) == (3, 0)  # the trash keeps them
    delete_permanently(doomed.id, now=NOW)
    assert statuses() == {"kept": PostStatus.PUBLISHED, f"__trashed-{doomed.id}": PostStatus.DELETED}
    assert [c.post_id for c in db.session.execute(db.select(Comment)).scalars()] == [kept.id]


def test_delete_takes_a_linkback_waiting_for_its_check_along(ctx):
    """A trackback whose page is not checked yet waits with a row in the check queue: the row goes
    with the post, so the worker never looks for an item that is gone."""
    doomed = ctx.save("Doomed")
    accept_trackback(doomed, {"url": "http://other.example/p", "title": "Their post"}, Caller("192.0.2.9", "test"),
                     now=NOW)
    assert len(db.session.execute(db.select(LinkbackCheck)).scalars().all()) == 1
    move_to_trash(doomed.id, now=NOW)
    delete_permanently(doomed.id, now=NOW)
    assert db.session.execute(db.select(Comment)).scalars().all() == []
    assert db.session.execute(db.select(LinkbackCheck)).scalars().all() == []
    assert run_due_jobs(now=NOW)["linkback_checks"] == 0


# --- scheduled posts go live by themselves -----------------------------------------------------


def test_due_scheduled_posts_are_published_exactly_once(ctx):
    ctx.save("Due", publish_date=NOW + timedelta(minutes=5))
    ctx.save("Also due", publish_date=NOW + timedelta(minutes=10))
    ctx.save("Future", publish_date=NOW + timedelta(days=1))
    ctx.save("Draft", publish=False, publish_date=NOW + timedelta(minutes=1))
    assert publish_due_posts(now=NOW + timedelta(minutes=4)) == []
    later = NOW + timedelta(minutes=10)
    assert sorted(p.slug for p in publish_due_posts(now=later)) == ["also-due", "due"]
    assert publish_due_posts(now=later) == []
    assert statuses() == {"due": "published", "also-due": "published", "future": "scheduled", "draft": "draft"}
    assert db.session.execute(
        db.select(Post.published_at).filter_by(slug="due")
    ).scalar_one() == NOW + timedelta(minutes=5)


def test_run_due_jobs_reports_what_it_published(ctx):
    ctx.save("Due", publish_date=NOW + timedelta(minutes=5))
    idle = {"published": 0, "linkbacks": 0, "linkback_checks": 0, "webmentions": 0, "mail": 0, "housekeeping": 0,
            "imports": 0}
    assert run_due_jobs(now=NOW) == idle
    assert run_due_jobs(now=NOW + timedelta(minutes=5)) == {**idle, "published": 1}
    assert run_due_jobs(now=NOW + timedelta(minutes=6)) == idle
    assert statuses() == {"due": PostStatus.PUBLISHED}


def test_post_scheduled_then_switched_to_draft_is_not_published(ctx):
    post = ctx.save("Changed my mind", publish_date=NOW + timedelta(minutes=5))
    ctx.save("Changed my mind", post=post, publish=False, publish_date=post.published_at)
    assert publish_due_posts(now=NOW + timedelta(hours=1)) == []
    assert statuses() == {"changed-my-mind": PostStatus.DRAFT}
