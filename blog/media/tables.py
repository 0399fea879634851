"""The media library's table: one row per uploaded image, naming its file and the resized copies."""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..extensions import db
from ..models import User, UTCDateTime, utcnow


class MediaItem(db.Model):
    """An uploaded image. `path` is its place under UPLOAD_FOLDER and under /uploads/ ("2026/12/
    sunset-3fa9c2d1.jpg"), unique and never reused, so a URL always means the same bytes. Each width in
    `variant_widths` has a resized copy beside it ("sunset-3fa9c2d1-640w.jpg")."""

    __tablename__ = "media_items"

    id: Mapped[int] = mapped_column(primary_key=True)
    path: Mapped[str] = mapped_column(sa.String(255), unique=True)
    original_name: Mapped[str] = mapped_column(sa.String(255), default="")  # as the author's computer named it
    mime_type: Mapped[str] = mapped_column(sa.String(40))
    width: Mapped[int]
    height: Mapped[int]
    byte_size: Mapped[int]
    variant_widths: Mapped[list[int]] = mapped_column(sa.JSON, default=list)
    alt_text: Mapped[str] = mapped_column(sa.String(500), default="")
    uploaded_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)
    uploader_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id", ondelete="SET NULL"))

    uploader: Mapped[User | None] = relationship()

    def variant_path(self, width: int) -> str:
        stem, dot, extension = self.path.rpartition(".")
        return f"{stem}-{width}w{dot}{extension}"

    @property
    def file_paths(self) -> list[str]:
        """Every file this item stored: the image and its resized copies."""
        return [self.path, *(self.variant_path(width) for width in self.variant_widths)]
