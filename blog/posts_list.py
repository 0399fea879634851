"""The admin's posts list: one status filter at a time (All, Published, Drafts, Scheduled, Trash)
with the count of each, a title search, and pages of ADMIN_POSTS_PER_PAGE. Static pages have their
own list (pages.all_pages); the one Trash holds trashed posts and pages alike."""

from __future__ import annotations

from dataclasses import dataclass

import sqlalchemy as sa
from flask import current_app
from sqlalchemy.orm import selectinload

from .extensions import db
from .models import Post, PostKind, PostStatus

# (filter value, label, statuses shown); "All" is everything but the trash, as in WordPress.
FILTERS = [
    ("all", "All", (PostStatus.PUBLISHED, PostStatus.DRAFT, PostStatus.SCHEDULED)),
    ("published", "Published", (PostStatus.PUBLISHED,)),
    ("draft", "Drafts", (PostStatus.DRAFT,)),
    ("scheduled", "Scheduled", (PostStatus.SCHEDULED,)),
    ("trash", "Trash", (PostStatus.TRASH,)),
]
STATUSES = {value: statuses for value, _, statuses in FILTERS}
SEARCH_MAX_CHARS = 200


@dataclass(frozen=True)
class StatusFilter:
    value: str
    label: str
    count: int


def status_filters(search: str = "") -> list[StatusFilter]:
    """Each filter with how many posts it shows (matching the search, when there is one)."""
    # Two queries rather than one with OR, so each reads the (kind, status) index alone: posts in every status,
    # and pages in the trash.
    posts = db.select(Post.status, sa.func.count(Post.id)).filter(Post.kind == PostKind.POST).group_by(Post.status)
    trashed_pages = db.select(sa.func.count(Post.id)).filter(Post.kind == PostKind.PAGE,
                                                             Post.status == PostStatus.TRASH)
    if search:
        posts, trashed_pages = posts.filter(_title_matches(search)), trashed_pages.filter(_title_matches(search))
    by_status = dict(db.session.execute(posts).all())
    by_status[PostStatus.TRASH] = by_status.get(PostStatus.TRASH, 0) + db.session.execute(trashed_pages).scalar_one()
    return [
        StatusFilter(value, label, sum(by_status.get(status, 0) for status in statuses))
        for value, label, statuses in FILTERS
    ]


def _title_matches(search: str):
    """Titles containing the words typed, case-insensitively, with % and _ taken literally."""
    escaped = search.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return Post.title.ilike(f"%{escaped}%", escape="\\")


def clean_search(text: str | None) -> str:
    return " ".join((text or "").split())[:SEARCH_MAX_CHARS]


def posts_page(status: str, search: str, page: int):
    """A Flask-SQLAlchemy Pagination of the posts with that status filter and title search: the
    trash by when each was trashed, the others by date (published or planned), newest first."""
    if status == "trash":
        query = db.select(Post).filter(Post.status == PostStatus.TRASH).order_by(Post.trashed_at.desc(), Post.id.desc())
    else:
        # Posts only (pages are listed here only in the trash); the order is the ix_posts_list_date index's.
        statuses = STATUSES.get(status, STATUSES["all"])
        query = (db.select(Post).filter(Post.kind == PostKind.POST, Post.status.in_(statuses))
                 .order_by(sa.func.coalesce(Post.published_at, Post.updated_at).desc(), Post.id.desc()))
    if search:
        query = query.filter(_title_matches(search))
    query = query.options(selectinload(Post.tags))
    return db.paginate(query, page=page, per_page=current_app.config["ADMIN_POSTS_PER_PAGE"], error_out=False)
