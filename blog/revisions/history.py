"""A post's revisions: listing them, what changed between one and the current text (a line diff by
difflib), and restoring one through save_post, so links, linkbacks, excerpt and search follow."""

from __future__ import annotations

import difflib
from dataclasses import dataclass

from ..extensions import db
from ..models import Post, PostStatus, User
from ..posts import PostInput, PostIsGone, save_post
from .tables import PostRevision


class RevisionRefused(ValueError):
    """The revision cannot be restored (its post is in the trash or deleted); the message says why."""


@dataclass(frozen=True)
class DiffLine:
    """One line of a diff: `change` is "added", "removed" or "same"."""

    change: str
    text: str

    @property
    def sign(self) -> str:
        return {"added": "+", "removed": "−", "same": ""}[self.change]


_CHANGES = {"+ ": "added", "- ": "removed", "  ": "same"}


def diff_lines(old: str, new: str) -> list[DiffLine]:
    """Every line of old and new, each marked as removed, added or the same (ndiff's hint lines
    left out)."""
    return [
        DiffLine(_CHANGES[line[:2]], line[2:])
        for line in difflib.ndiff(old.splitlines(), new.splitlines())
        if line[:2] in _CHANGES
    ]


def revisions_of(post: Post) -> list[PostRevision]:
    """The post's revisions, newest first."""
    return list(db.session.execute(
        db.select(PostRevision).filter_by(post_id=post.id).order_by(PostRevision.created_at.desc(),
                                                                    PostRevision.id.desc())
    ).scalars())


def count_revisions(post: Post) -> int:
    return db.session.execute(
        db.select(db.func.count(PostRevision.id)).filter_by(post_id=post.id)
    ).scalar_one()


def input_with_text(post: Post, title: str, body: str) -> PostInput:
    """What saving the post as it is stored, with this title and text, sends to save_post."""
    return PostInput(
        title=title,
        body=body,
        tags=", ".join(t.name for t in post.tags),
        slug=post.slug,
        publish_date=post.published_at,
        allow_comments=post.allow_comments,
        allow_pings=post.allow_pings,
        trackback_urls=post.trackback_urls,
        kind=post.kind,
        menu_order=post.menu_order,
        categories=[c.name for c in post.categories],
    )


def refuse_unless_editable(post: Post | None) -> Post:
    if post is None or post.status == PostStatus.DELETED:
        raise RevisionRefused("This post was deleted permanently; its revisions are gone with it.")
    if post.is_trashed:
        raise RevisionRefused(f"“{post.title}” is in the trash. Restore it from the trash before restoring "
                              "one of its revisions.")
    return post


def restore_revision(revision: PostRevision, author: User) -> Post:
    """Make the revision's title and text the post's again, keeping its status (published stays
    published, a draft a draft); the text replaced is kept as a revision first."""
    post = refuse_unless_editable(db.session.get(Post, revision.post_id))
    data = input_with_text(post, revision.title, revision.body_markdown)
    try:
        return save_post(post, data, publish=post.is_published or post.is_scheduled, author=author,
                         keep_revision=True)
    except PostIsGone as error:  # trashed a moment ago, in another tab
        raise RevisionRefused(str(error)) from error
