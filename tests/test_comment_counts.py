"""The comment counts the database keeps (blog/comment_counts.py): whatever writes the comments (the ORM, bulk
statements, a cascade from a deleted post, parallel requests to a served blog, folding running meanwhile), the
counts equal counting the rows; folding leaves one row per kind and status; the moderation queue's "All" tab
merges its statuses newest first, page after page."""

from __future__ import annotations

import threading
from datetime import timedelta

import pytest
import requests
import sqlalchemy as sa
from blog_testing import csrf_token

from blog import comment_counts
from blog import moderation_queue as queue
from blog.extensions import db
from blog.jobs import housekeeping
from blog.models import Comment, CommentKind, CommentStatus, Post, utcnow


def counted_rows() -> dict[tuple[str, str], int]:
    rows = db.session.execute(
        sa.select(Comment.kind, Comment.status, sa.func.count()).group_by(Comment.kind, Comment.status))
    return {(kind, status): n for kind, status, n in rows}


def delta_rows() -> int:
    return db.session.execute(sa.select(sa.func.count()).select_from(comment_counts.CommentCountDelta)).scalar_one()


def add(post_id: int, n: int, kind=CommentKind.COMMENT, status=CommentStatus.PENDING, start=None) -> list[int]:
    start = start or utcnow() - timedelta(days=1)
    rows = [Comment(post_id=post_id, kind=kind, status=status, author_name=f"{kind} {i}", content=f"text {i}",
                    created_at=start + timedelta(minutes=i)) for i in range(n)]
    db.session.add_all(rows)
    db.session.commit()
    return [row.id for row in rows]


@pytest.fixture
def post_id(author):
    return author.publish("Counted post", "Text.").id


def test_counts_follow_every_kind_of_write_and_survive_folding(app, author, post_id):
    other_post = author.publish("Another post", "Text.").id
    with app.app_context():
        assert comment_counts.counts_by_kind_and_status() == {}
        ids = add(post_id, 5)
        add(post_id, 3, CommentKind.PINGBACK, CommentStatus.APPROVED)
        add(other_post, 4, CommentKind.WEBMENTION, CommentStatus.SPAM)
        assert comment_counts.counts_by_kind_and_status() == counted_rows()
        # The ORM, one at a time, and a bulk statement the ORM never sees row by row.
        db.session.get(Comment, ids[0]).status = CommentStatus.APPROVED
        db.session.commit()
        db.session.execute(sa.update(Comment).where(Comment.id.in_(ids[1:3])).values(status=CommentStatus.SPAM))
        db.session.execute(sa.update(Comment).where(Comment.id == ids[3]).values(content="an edit: no count moves"))
        db.session.commit()
        assert comment_counts.counts_by_kind_and_status() == counted_rows()
        # A deleted item, and a post deleted with its comments (a purge from the trash cascades).
        db.session.execute(sa.delete(Comment).where(Comment.id == ids[4]))
        db.session.execute(sa.delete(Post).where(Post.id == other_post))
        db.session.commit()
        expected = counted_rows()
        assert (CommentKind.WEBMENTION, CommentStatus.SPAM) not in expected
        assert comment_counts.counts_by_kind_and_status() == expected
        assert comment_counts.count_in_status(CommentStatus.SPAM) == 2
        assert comment_counts.count_in_status(CommentStatus.PENDING) == 1

        before = delta_rows()
        housekeeping.run_pass()  # the job layer folds them
        assert comment_counts.counts_by_kind_and_status() == expected
        assert delta_rows() == len(expected) < before  # one row per kind and status that has any
        assert queue.queue_page("all").counts.count("spam") == 2


def test_folding_while_items_are_added_and_moved_loses_nothing(app, author, post_id):
    """Writers and the fold run at the same time in threads; nothing added meanwhile is folded away or twice."""
    errors = []
    done = threading.Event()

    def write(worker: int):
        try:
            with app.app_context():
                for _ in range(15):
                    ids = add(post_id, 2, status=CommentStatus.PENDING)
                    db.session.execute(sa.update(Comment).where(Comment.id == ids[0])
                                       .values(status=CommentStatus.APPROVED))
                    db.session.commit()
        except Exception as error:  # noqa: BLE001 - reported below
            errors.append(error)

    def fold():
        try:
            with app.app_context():
                while not done.is_set():
                    comment_counts.fold()
        except Exception as error:  # noqa: BLE001
            errors.append(error)

    folder = threading.Thread(target=fold)
    folder.start()
    writers = [threading.Thread(target=write, args=(n,)) for n in range(3)]
    for thread in writers:
        thread.start()
    for thread in writers:
        thread.join(60)
    done.set()
    folder.join(60)
    busy = [e for e in errors if "locked" not in str(e)]  # SQLite's busy timeout may refuse a writer: retried
    assert not busy, busy
    with app.app_context():
        assert comment_counts.counts_by_kind_and_status() == counted_rows()
        comment_counts.fold()
        assert comment_counts.counts_by_kind_and_status() == counted_rows()


def test_parallel_comments_and_a_bulk_approval_on_a_served_blog_keep_counts_exact(app, author, post_id, live_server):
    """Readers comment from several threads while the owner approves in bulk: the tabs then show what is
    stored."""
    with app.app_context():
        post_url = live_server.url + author.url_of(db.session.get(Post, post_id))
    errors = []

    def comment(worker: int):
        session = requests.Session()
        for n in range(5):
            token = _token(session, post_url)
            response = session.post(f"{live_server.url}/comment/{post_id}", allow_redirects=False, timeout=30, data={
                "csrf_token": token, "name": f"Reader {worker}", "email": f"r{worker}@example.com", "url": "",
                "content": f"Comment {n} from reader {worker}, with enough words to be a comment.",
            })
            if response.status_code not in (302, 303, 429):
                errors.append(response.status_code)

    threads = [threading.Thread(target=comment, args=(n,)) for n in range(4)]
    for thread in threads:
        thread.start()
    owner = author.client
    for _ in range(3):
        with app.app_context():
            pending = db.session.execute(sa.select(Comment.id).where(Comment.status == CommentStatus.PENDING)).scalars()
            ids = [str(i) for i in pending]
        if ids:
            owner.post("/admin/comments/bulk", data={"csrf_token": csrf_token(owner, "/admin/comments/"),
                                                     "action": "approve", "ids": ids})
    for thread in threads:
        thread.join(60)
    assert not errors
    with app.app_context():
        stored = counted_rows()
        assert sum(stored.values()) > 0
        assert comment_counts.counts_by_kind_and_status() == stored
        page = queue.queue_page("all")
        assert page.counts.count("all") == sum(stored.values())


def _token(session: requests.Session, url: str) -> str:
    import re

    page = session.get(url, timeout=30).text
    return re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', page).group(1)


def test_all_tab_merges_pending_and_approved_newest_first_across_pages(app, post_id):
    with app.app_context():
        start = utcnow() - timedelta(days=2)
        # Interleaved in time: pending at even minutes, approved at odd ones, pingbacks among them.
        for i in range(130):
            status = CommentStatus.PENDING if i % 2 == 0 else CommentStatus.APPROVED
            kind = CommentKind.PINGBACK if i % 5 == 0 else CommentKind.COMMENT
            db.session.add(Comment(post_id=post_id, kind=kind, status=status, author_name=f"item {i}",
                                   content="x", created_at=start + timedelta(minutes=i)))
        db.session.add(Comment(post_id=post_id, status=CommentStatus.SPAM, author_name="spam", content="x",
                               created_at=start + timedelta(minutes=500)))
        db.session.commit()
        expected = [f"item {i}" for i in reversed(range(130))]
        seen = []
        for page_number in (1, 2, 3):
            page = queue.queue_page("all", page=page_number)
            seen += [item.author_name for item in page.items]
        assert seen == expected and page.pages == 3
        pings = queue.queue_page("all", "pingback", page=1)
        assert [item.author_name for item in pings.items] == [f"item {i}" for i in reversed(range(0, 130, 5))]
        assert [item.author_name for item in queue.queue_page("pending", page=2).items] == \
            [f"item {i}" for i in reversed(range(0, 130, 2))][50:65]
