"""Visitor comments: checking and storing what the comment form sends, and moving comments
between pending, approved, spam and trash."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from urllib.parse import urlsplit

from flask import current_app, session

from .discussion import accepts_comments
from .extensions import db
from .models import Comment, CommentKind, CommentStatus, Post, utcnow
from .moderation import apply_moderation
from .notifications import notify_new_item
from .site_settings import get_setting
from .spam.screening import count_discarded
from .throttle import record_hit


class CommentRejected(ValueError):
    """The comment cannot be stored; the message says why, in words for the visitor, and
    `status_code` is the HTTP status the form comes back with."""

    status_code = 400


class CommentsClosed(CommentRejected):
    status_code = 403


class CommentFlood(CommentRejected):
    status_code = 429  # Too Many Requests, as WordPress answers a comment flood


class DuplicateComment(CommentRejected):
    status_code = 409  # Conflict, as WordPress answers a duplicate comment


@dataclass
class CommentInput:
    name: str
    email: str
    url: str
    text: str
    parent_id: int | None = None  # the comment this one replies to


def normalize_author_url(url: str) -> str:
    """The commenter's website as an http(s) URL, or "" when it is not one."""
    url = url.strip()
    if not url:
        return ""
    if "://" not in url:
        url = "http://" + url
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        return ""
    try:
        parts.port  # noqa: B018 - "javascript:alert(1)" became host "javascript", port "alert(1)"
    except ValueError:
        return ""
    return url


def add_visitor_comment(
    post: Post,
    data: CommentInput,
    *,
    ip: str,
    user_agent: str,
    by_owner: bool = False,
    now: datetime | None = None,
) -> Comment:
    """Store a comment from the form, with the status the moderation rules give it; the owner's
    own comments are approved at once (as WordPress does for the post author). Certain spam, when
    the owner chose to discard it, is returned unstored (status spam, no id)."""
    now = now or utcnow()
    if not accepts_comments(post):
        raise CommentsClosed("Comments are closed.")
    text = data.text.strip()
    if not text:
        raise CommentRejected("Please type a comment.")
    if not by_owner:
        _check_flood(ip, now)
    _check_duplicate(post, data.name.strip(), data.email.strip(), text)
    parent = _reply_parent(post, data.parent_id)
    comment = Comment(
        post=post,
        parent_id=parent.id if parent else None,
        kind=CommentKind.COMMENT,
        author_name=data.name.strip()[:250],
        author_email=data.email.strip()[:254],
        author_url=normalize_author_url(data.url)[:2000],
        content=text,
        ip=ip[:45],
        user_agent=user_agent[:255],
        created_at=now,
    )
    with db.session.no_autoflush:
        decision = apply_moderation(comment, by_owner=by_owner)
    if decision.discard:  # certain spam, and the owner keeps none: counted, never stored
        comment.post = None
        count_discarded()
        db.session.commit()
        return comment
    db.session.add(comment)
    db.session.flush()
    notify_new_item(comment, by_owner=by_owner, now=now)  # queued in the same transaction
    db.session.commit()
    return comment


# The signed session's list of comment ids this browser wrote, newest last, and how many it keeps.
OWN_COMMENTS_KEY = "own_comments"
OWN_COMMENTS_KEPT = 20


def remember_own_comment(comment: Comment) -> None:
    """Note in the signed session that this browser wrote `comment`, so it is shown to it while it
    awaits moderation (as WordPress shows an unapproved comment to the browser that posted it)."""
    kept = [i for i in session.get(OWN_COMMENTS_KEY, []) if i != comment.id]
    session[OWN_COMMENTS_KEY] = [*kept[-(OWN_COMMENTS_KEPT - 1) :], comment.id]


def own_pending_comments(post: Post) -> list[Comment]:
    """This browser's comments on `post` still awaiting moderation, oldest first. Known only by the
    ids its signed session holds, never by a name or email address, which anyone can type."""
    ids = [i for i in session.get(OWN_COMMENTS_KEY, []) if isinstance(i, int)]
    if not ids:
        return []
    return list(
        db.session.execute(
            db.select(Comment)
            .filter(
                Comment.id.in_(ids),
                Comment.post_id == post.id,
                Comment.kind == CommentKind.COMMENT,
                Comment.status == CommentStatus.PENDING,
            )
            .order_by(Comment.created_at, Comment.id)
        ).scalars()
    )


def _reply_parent(post: Post, parent_id: int | None) -> Comment | None:
    """The approved comment of this post being replied to; replies need threads switched on."""
    if not parent_id:
        return None
    parent = db.session.get(Comment, parent_id)
    if (
        not get_setting("thread_comments")
        or parent is None
        or parent.post_id != post.id
        or parent.status != CommentStatus.APPROVED
        or parent.kind != CommentKind.COMMENT
    ):
        raise CommentRejected("The comment you are replying to is not available.")
    return parent


def _check_flood(ip: str, now: datetime) -> None:
    """One comment per address per COMMENT_FLOOD_SECONDS, counted atomically (parallel posts from
    one address get one through, not several)."""
    hit = record_hit(f"comment:{ip}", current_app.config["COMMENT_FLOOD_SECONDS"], now)
    if hit.count > 1:
        raise CommentFlood("You are posting comments too quickly. Slow down.")


def _check_duplicate(post: Post, name: str, email: str, text: str) -> None:
    same = db.session.execute(
        db.select(Comment.id)
        .filter(
            Comment.post_id == post.id,
            Comment.author_name == name,
            Comment.author_email == email,
            Comment.content == text,
            Comment.status != CommentStatus.TRASH,
        )
        .limit(1)
    ).first()
    if same is not None:
        raise DuplicateComment("Duplicate comment detected; it looks as though you’ve already said that!")


def set_comment_status(comment: Comment, status: CommentStatus) -> None:
    comment.status = status
    db.session.commit()
