"""The trash, as in WordPress: "Move to Trash" instead of deleting; restore as it was (draft,
scheduled or published) for TRASH_DAYS; "Delete Permanently" (or the job layer's purge after
those days) leaves a tombstone whose address answers 410 Gone.

Every change of state is one conditional UPDATE of the post's row, so parallel requests (trash
twice, trash and restore, restore and delete) each find the row as the other left it: exactly one
of them acts, the others are told what happened instead."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

import sqlalchemy as sa
from flask import current_app

from .addresses import forget_current_address, permalink_path, record_old_address
from .extensions import db
from .linkbacks.outbox import queue_deliveries, queue_gone_notices
from .models import Comment, Delivery, DeliveryMethod, Post, PostStatus, post_categories, post_tags, utcnow
from .permalinks import absolute_url_for, address_endpoint, address_values, post_url
from .posts import make_slug, slug_in_use
from .revisions.tables import PostAutosave, PostRevision

LIVE = (PostStatus.DRAFT, PostStatus.SCHEDULED, PostStatus.PUBLISHED)
STATUS_WORDS = {PostStatus.DRAFT: "a draft", PostStatus.SCHEDULED: "scheduled", PostStatus.PUBLISHED: "published"}
TRASHED_SLUG_PREFIX = "__trashed-"  # never made by make_slug, so never taken by a real post


class NoSuchPost(LookupError):
    """No post with that id, or only its tombstone (deleted permanently)."""


@dataclass(frozen=True)
class TrashOutcome:
    """What a trash action did: `changed` False when another request had already done it (or
    undone it), `message` for the author either way."""

    changed: bool
    message: str
    post_id: int


def _conditional_update(post_id: int, allowed: tuple[str, ...], **values) -> bool:
    """Change the post's row only while its status is one of `allowed`; True when it did. The row
    is then held (written) until the commit, so what follows sees it as this request left it."""
    result = db.session.execute(
        db.update(Post).where(Post.id == post_id, Post.status.in_(allowed)).values(**values)
        .execution_options(synchronize_session=False)
    )
    return result.rowcount == 1


def _current(post_id: int) -> Post:
    post = db.session.execute(
        db.select(Post).filter(Post.id == post_id).execution_options(populate_existing=True)
    ).scalar_one_or_none()
    if post is None or post.status == PostStatus.DELETED:
        raise NoSuchPost(post_id)
    return post


def _title(post: Post) -> str:
    return f"“{post.title}”" if post.title.strip() else "The post"


def purge_after(post: Post) -> datetime | None:
    """When the job layer will delete the trashed post for good."""
    if post.trashed_at is None:
        return None
    return post.trashed_at + timedelta(days=current_app.config["TRASH_DAYS"])


def move_to_trash(post_id: int, now: datetime | None = None) -> TrashOutcome:
    """Move the post to the trash: it vanishes from every public page and feed, its address answers
    410 Gone (kept in post_addresses, since its slug is set aside for new posts to take), and each
    page our webmention told of it is told again (WM-9). Its comments stay with it."""
    now = now or utcnow()
    _current(post_id)
    moved = _conditional_update(
        post_id, LIVE, status=PostStatus.TRASH, status_before_trash=Post.status, slug_before_trash=Post.slug,
        slug=f"{TRASHED_SLUG_PREFIX}{post_id}", trashed_at=now,
    )
    post = _current(post_id)
    if not moved:
        db.session.rollback()
        return TrashOutcome(False, f"{_title(post)} is already in the trash.", post_id)
    if post.status_before_trash == PostStatus.PUBLISHED:
        was_at = {**address_values(post), "slug": post.slug_before_trash}  # /slug/ for a page
        if post.feed_id is None:  # an old post's feed id is its permalink: fixed before the slug goes
            post.feed_id = absolute_url_for(address_endpoint(post), **was_at)
        record_old_address(was_at, post, now)
        told = queue_gone_notices(post, now)
    else:
        told = 0
    db.session.commit()
    notice = f" {told} page{'s' if told != 1 else ''} that got its webmention will be told it is gone." if told else ""
    return TrashOutcome(True, f"{_title(post)} was moved to the trash.{notice}", post_id)


def restore_from_trash(post_id: int, now: datetime | None = None) -> TrashOutcome:
    """Bring the post back as it was (draft, scheduled or published), with its comments. Its slug
    comes back unless another post took it meanwhile: then it gets a free one, and the message says
    so. A published post is announced again by the outbox's usual rules (pages told it was gone
    hear of it again; pingbacks already registered are not sent twice)."""
    now = now or utcnow()
    _current(post_id)
    restored = _conditional_update(
        post_id, (PostStatus.TRASH,),
        status=db.func.coalesce(Post.status_before_trash, PostStatus.DRAFT), trashed_at=None,
    )
    post = _current(post_id)
    if not restored:
        db.session.rollback()
        return TrashOutcome(False, f"{_title(post)} is not in the trash (it was restored already).", post_id)
    wanted = post.slug_before_trash or make_slug(post.title) or "post"
    slug = free_slug(wanted, post)
    post.slug = slug
    post.status_before_trash = None
    post.slug_before_trash = None
    post.updated_at = now
    db.session.flush()
    if post.is_published:
        forget_current_address(post)
        queue_deliveries(post, post_url(post, external=True), now,
                         put_back="Post restored from the trash: the page will be told again.")
    db.session.commit()
    message = f"{_title(post)} was restored from the trash as {STATUS_WORDS[PostStatus(post.status)]}."
    if slug != wanted:
        message += (
            f" Its slug “{wanted}” was taken by another post meanwhile, so it now has the slug “{slug}”."
            + (f" Its address is {permalink_path(address_values(post))}" if post.is_published else "")
        )
    return TrashOutcome(True, message, post_id)


def free_slug(wanted: str, post: Post) -> str:
    """`wanted` if no other post uses it, else wanted-2, wanted-3, …"""
    slug, n = wanted, 2
    while slug_in_use(slug, post):
        suffix = f"-{n}"
        slug = wanted[: 200 - len(suffix)] + suffix
        n += 1
    return slug


def delete_permanently(post_id: int, now: datetime | None = None) -> TrashOutcome:
    """Delete a trashed post for good: its text, revisions, tags and everything under it (comments and
    mentions) go; a tombstone row stays (status deleted, no content) so its old addresses still
    answer 410 and the webmentions telling pages it is gone can still be sent or retried."""
    now = now or utcnow()
    title = _title(_current(post_id))
    deleted = _conditional_update(
        post_id, (PostStatus.TRASH,), status=PostStatus.DELETED, title="", body_markdown="", body_html="",
        trackback_urls="", slug_before_trash=None, status_before_trash=None, updated_at=now,
        content_updated_at=now,
    )
    if not deleted:
        db.session.rollback()
        post = _current(post_id)
        return TrashOutcome(False, f"{_title(post)} is not in the trash: move it to the trash first.", post_id)
    db.session.execute(db.delete(Comment).where(Comment.post_id == post_id))
    db.session.execute(db.delete(post_tags).where(post_tags.c.post_id == post_id))
    db.session.execute(db.delete(post_categories).where(post_categories.c.post_id == post_id))
    db.session.execute(db.delete(PostRevision).where(PostRevision.post_id == post_id))  # its old texts
    db.session.execute(db.delete(PostAutosave).where(PostAutosave.post_id == post_id))
    # Only webmentions can tell a page the post is gone: the other rows are of no more use.
    db.session.execute(
        db.delete(Delivery).where(
            Delivery.post_id == post_id,
            sa.or_(Delivery.method.is_(None), Delivery.method != DeliveryMethod.WEBMENTION),
        )
    )
    db.session.commit()
    db.session.expire_all()
    return TrashOutcome(True, f"{title} was deleted permanently.", post_id)


def trashed_ids(trashed_through: datetime | None = None) -> list[int]:
    """The posts in the trash (those trashed at or before `trashed_through`, when given)."""
    query = db.select(Post.id).filter(Post.status == PostStatus.TRASH)
    if trashed_through is not None:
        query = query.filter(Post.trashed_at <= trashed_through)
    return list(db.session.execute(query.order_by(Post.id)).scalars())


def empty_trash(trashed_through: datetime, now: datetime | None = None) -> int:
    """Delete permanently every post trashed at or before `trashed_through` (when the author was
    asked: a post trashed after that in another tab is kept); returns how many were deleted."""
    return sum(delete_permanently(post_id, now).changed for post_id in trashed_ids(trashed_through))


def purge_old_trash(now: datetime | None = None) -> int:
    """The job layer's part: delete for good the posts trashed more than TRASH_DAYS ago; returns
    how many. A post restored meanwhile is left alone (the conditional update sees it)."""
    now = now or utcnow()
    limit = now - timedelta(days=current_app.config["TRASH_DAYS"])
    purged = 0
    for post_id in trashed_ids(limit):
        try:
            purged += delete_permanently(post_id, now).changed
        except NoSuchPost:
            continue
    return purged
