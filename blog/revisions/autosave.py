"""The editor's autosave. A draft saves itself (as WordPress does: the draft is the author's own
working copy, nothing readers see changes, and leaving the editor loses nothing). A published or
scheduled post is never changed by an autosave: its title and text go to its one row in
post_autosaves, offered back when the editor is opened again; pressing Update drops it."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy.dialects import postgresql, sqlite

from ..extensions import db
from ..models import Post, PostKind, PostStatus, User, utcnow
from ..posts import TITLE_MAX_CHARS, PostInput, PostIsGone, save_post
from .history import input_with_text
from .tables import PostAutosave


class AutosaveRefused(ValueError):
    """Not autosaved: `status` is the HTTP status to answer with, the message says why."""

    def __init__(self, message: str, status: int):
        super().__init__(message)
        self.status = status


@dataclass(frozen=True)
class Autosaved:
    post: Post
    saved_at: datetime
    into_draft: bool  # True: the draft itself was saved; False: the post's autosave row


def _check_title(title: str) -> str:
    title = title.strip()
    if len(title) > TITLE_MAX_CHARS:
        raise AutosaveRefused(f"Not autosaved: the title is longer than {TITLE_MAX_CHARS} characters.", 400)
    return title


def autosave_new(kind: str, title: str, body: str, author: User) -> Autosaved:
    """The first autosave of a post not saved yet: it becomes a draft (its address then the editor's)."""
    title = _check_title(title)
    kind = PostKind.PAGE if kind == PostKind.PAGE else PostKind.POST
    post = save_post(None, PostInput(title=title, body=body, kind=kind), publish=False, author=author)
    return Autosaved(post, post.updated_at, True)


def autosave(post: Post, title: str, body: str, author: User, now: datetime | None = None) -> Autosaved:
    """Autosave the editor's title and text for this post: see the module's docstring. The post's
    row is held first, in the state the choice was made for, so an autosave racing Publish, Switch
    to Draft or Move to Trash in another tab is before or after it, never half-way (an autosave
    that began for a draft never takes a post just published back to draft)."""
    now = now or utcnow()
    title = _check_title(title)
    if _hold(post.id, PostStatus.DRAFT):
        db.session.refresh(post)
        try:
            saved = save_post(post, input_with_text(post, title, body), publish=False, author=author, now=now)
        except PostIsGone as error:
            raise AutosaveRefused(f"Not autosaved: {error}", 409) from error
        return Autosaved(saved, now, True)
    if _hold(post.id, PostStatus.PUBLISHED, PostStatus.SCHEDULED):
        _upsert(post.id, title, body, author, now)
        db.session.commit()
        return Autosaved(post, now, False)
    db.session.rollback()
    raise AutosaveRefused("Not autosaved: this post was moved to the trash or deleted.", 409)


def _hold(post_id: int, *statuses: str) -> bool:
    """Take the post's row (SQLite's write lock, PostgreSQL's row lock) if its status is one of these."""
    return db.session.execute(
        db.update(Post)
        .where(Post.id == post_id, Post.status.in_(statuses))
        .values(status=Post.status)
        .execution_options(synchronize_session=False)
    ).rowcount == 1


def _upsert(post_id: int, title: str, body: str, author: User, now: datetime) -> None:
    """One row per post, written in one statement (INSERT … ON CONFLICT DO UPDATE), so parallel
    autosaves leave the last one whole rather than two rows or a mix."""
    dialect = db.session.get_bind().dialect.name
    insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
    values = {"title": title, "body_markdown": body, "saved_at": now, "author_id": author.id}
    statement = insert(PostAutosave).values(post_id=post_id, **values)
    db.session.execute(statement.on_conflict_do_update(index_elements=["post_id"], set_=values))


def newer_autosave(post: Post | None) -> PostAutosave | None:
    """The post's autosave when it is newer than the saved post and differs from it: what the
    editor offers back."""
    if post is None:
        return None
    row = db.session.execute(db.select(PostAutosave).filter_by(post_id=post.id)).scalar_one_or_none()
    if row is None or row.saved_at < post.updated_at or (row.title, row.body_markdown) == (
        post.title, post.body_markdown
    ):
        return None
    return row
