"""The spam filter's tables: how often each token was seen in spam and in legitimate items, every
decision the owner trained it with (kept when the item itself is deleted, so `retrain-spam` can
rebuild the counts), and counters (certain spam discarded unseen)."""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from ..extensions import db
from ..models import UTCDateTime, utcnow


class SpamToken(db.Model):
    """In how many trained spam and legitimate items a token occurred (each item counts once)."""

    __tablename__ = "spam_tokens"

    token: Mapped[str] = mapped_column(sa.String(80), primary_key=True)
    spam: Mapped[int] = mapped_column(default=0, server_default="0")
    ham: Mapped[int] = mapped_column(default=0, server_default="0")


class SpamExample(db.Model):
    """One item the owner judged, as the filter learned it: its label and its tokens. The previous
    label is what Undo of the owner's last action puts back."""

    __tablename__ = "spam_examples"

    id: Mapped[int] = mapped_column(primary_key=True)
    comment_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("comments.id", ondelete="SET NULL"), unique=True
    )
    label: Mapped[str] = mapped_column(sa.String(10), index=True)  # "spam" or "ham"
    previous_label: Mapped[str | None] = mapped_column(sa.String(10))
    tokens: Mapped[str] = mapped_column(sa.Text, default="")  # space-separated, as counted
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class SpamCounter(db.Model):
    """A running count kept by the filter (`discarded`: certain spam never stored)."""

    __tablename__ = "spam_counters"

    name: Mapped[str] = mapped_column(sa.String(40), primary_key=True)
    count: Mapped[int] = mapped_column(default=0, server_default="0")
    updated_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
