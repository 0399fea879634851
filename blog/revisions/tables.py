"""The revisions and autosaves tables. Both go with their post (ON DELETE CASCADE); deleting a post
permanently, which keeps a tombstone row, removes them itself (trash.delete_permanently)."""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..extensions import db
from ..models import Post, User, UTCDateTime, utcnow


class PostRevision(db.Model):
    """A post's title and text as they were before an update changed them. `created_at` is when it
    was replaced, `author` who replaced it."""

    __tablename__ = "post_revisions"

    id: Mapped[int] = mapped_column(primary_key=True)
    post_id: Mapped[int] = mapped_column(sa.ForeignKey("posts.id", ondelete="CASCADE"), index=True)
    title: Mapped[str] = mapped_column(sa.String(250))
    body_markdown: Mapped[str] = mapped_column(sa.Text, default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    author_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id", ondelete="SET NULL"))

    author: Mapped[User | None] = relationship()
    post: Mapped[Post] = relationship()


class PostAutosave(db.Model):
    """What the editor of a published or scheduled post last autosaved, kept apart so the live post
    is unchanged until the author presses Update. One per post: each autosave replaces it."""

    __tablename__ = "post_autosaves"

    id: Mapped[int] = mapped_column(primary_key=True)
    post_id: Mapped[int] = mapped_column(sa.ForeignKey("posts.id", ondelete="CASCADE"), unique=True)
    title: Mapped[str] = mapped_column(sa.String(250))
    body_markdown: Mapped[str] = mapped_column(sa.Text, default="")
    saved_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    author_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id", ondelete="SET NULL"))

    author: Mapped[User | None] = relationship()
