"""Replying to a comment from the moderation queue (/admin/comments), as WordPress's "Reply" and
"Approve and Reply": the reply is the blog owner's comment, approved at once, threaded under the one
it answers (shown nested as deep as Settings -> Discussion allows, then beside it; blog/threads.py)."""

from __future__ import annotations

from .comments import DuplicateComment
from .extensions import db
from .models import Comment, CommentKind, CommentStatus, User, utcnow
from .moderation import apply_moderation
from .moderation_queue import QueueAction, change_status
from .site_settings import get_setting


class ReplyRefused(ValueError):
    """The reply cannot be stored; the message says why, in words for the owner."""


def refusal(comment: Comment) -> str | None:
    """Why the owner cannot reply to this item, or None: only comments (not linkbacks) that readers
    see or may soon see, under a published post."""
    if comment.kind != CommentKind.COMMENT:
        return "Only comments can be replied to here; answer a linkback on your own post."
    if comment.status == CommentStatus.SPAM:
        return "This comment is in spam: take it out of spam before replying."
    if comment.status == CommentStatus.TRASH:
        return "This comment is in the trash: restore it before replying."
    if not comment.post.is_published:
        return "You cannot reply to a comment on a post that is not published."
    return None


def can_reply(comment: Comment) -> bool:
    return refusal(comment) is None


def reply_as_owner(
    comment: Comment, text: str, owner: User, *, approve: bool = False, ip: str = "", user_agent: str = ""
) -> Comment:
    """Store the owner's reply to `comment` and return it. A pending comment must be approved with
    it (`approve`, "Approve and Reply"), through the queue's own Approve, so the spam filter learns
    and the comment's history says so. The owner may answer even where comments are closed, as in
    WordPress's admin."""
    reason = refusal(comment)
    if reason:
        raise ReplyRefused(reason)
    text = text.strip()
    if not text:
        raise ReplyRefused("Please type a reply.")
    if comment.status == CommentStatus.PENDING:
        if not approve:
            raise ReplyRefused("This comment awaits moderation: use “Approve and Reply” to publish both.")
    name = owner.public_name
    same = db.session.execute(
        db.select(Comment.id).filter_by(post_id=comment.post_id, parent_id=comment.id, author_name=name,
                                        content=text, kind=CommentKind.COMMENT).limit(1)
    ).first()
    if same is not None:  # the form sent twice (a double click, a reload)
        raise DuplicateComment("You already posted that reply.")
    if comment.status == CommentStatus.PENDING:
        change_status([comment.id], QueueAction.APPROVE)  # commits
    reply = Comment(
        post_id=comment.post_id,
        parent_id=comment.id,
        kind=CommentKind.COMMENT,
        author_name=name[:250],
        author_email=(owner.email or "")[:254],
        author_url=(owner.website or get_setting("site_url"))[:2000],
        content=text,
        ip=ip[:45],
        user_agent=user_agent[:255],
        created_at=utcnow(),
    )
    apply_moderation(reply, by_owner=True)  # approved, "Written by the blog's owner."
    db.session.add(reply)
    db.session.commit()
    return reply
