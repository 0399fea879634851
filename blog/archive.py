"""Finding published posts for readers: pages of the newest, by tag or category, by month, by
permalink, and the comment and mention counts shown beside them. Drafts and scheduled posts never
come out, nor static pages (blog/pages.py)."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import NamedTuple

import sqlalchemy as sa
from sqlalchemy.orm import make_transient_to_detached, selectinload
from sqlalchemy.orm.attributes import set_committed_value

from .extensions import db
from .models import Category, Comment, CommentKind, Post, PostKind, PostStatus, Tag, post_categories, post_tags
from .site_settings import blog_timezone


@dataclass(frozen=True)
class Counts:
    comments: int = 0
    mentions: int = 0  # pingbacks, trackbacks and webmentions

    @property
    def text(self) -> str:
        """"4 comments · 2 mentions": comments always, mentions when there are any."""
        words = f"{self.comments} comment{'s' if self.comments != 1 else ''}"
        if self.mentions:
            words += f" · {self.mentions} mention{'s' if self.mentions != 1 else ''}"
        return words


def published() -> sa.Select:
    return (
        db.select(Post)
        .filter(Post.status == PostStatus.PUBLISHED, Post.kind == PostKind.POST)
        .options(selectinload(Post.tags), selectinload(Post.categories))
        .order_by(Post.published_at.desc(), Post.id.desc())
    )


def newest_posts(page: int, per_page: int, tag: Tag | None = None, category: Category | None = None):
    """A Flask-SQLAlchemy Pagination of published posts (a tag's, a category's), newest first (404
    past the last page)."""
    query = published()
    if tag is not None:
        query = query.filter(Post.tags.contains(tag))
    if category is not None:
        query = query.filter(Post.categories.contains(category))
    return db.paginate(query, page=page, per_page=per_page, error_out=True)


def month_bounds(year: int, month: int) -> tuple[datetime, datetime]:
    """The start of that month and of the next, in the blog's time zone, as UTC."""
    zone = blog_timezone()
    start = datetime(year, month, 1, tzinfo=zone)
    end = datetime(year + (month == 12), month % 12 + 1, 1, tzinfo=zone)
    return start.astimezone(UTC), end.astimezone(UTC)


def posts_in_month(year: int, month: int) -> list[Post]:
    """Published posts of that month in the blog's time zone; none for a month out of range."""
    try:
        start, end = month_bounds(year, month)
    except (ValueError, OverflowError):  # month 13, year 0, year 9999's December, ...
        return []
    return list(
        db.session.execute(
            published().filter(Post.published_at >= start, Post.published_at < end)
        ).scalars()
    )


def archive_months() -> list[tuple[int, int, int]]:
    """(year, month, number of posts) for every month with a published post, newest first."""
    zone = blog_timezone()
    dates = db.session.execute(
        db.select(Post.published_at).filter(Post.status == PostStatus.PUBLISHED, Post.kind == PostKind.POST)
    ).scalars()
    counts = Counter((d.astimezone(zone).year, d.astimezone(zone).month) for d in dates)
    return [(y, m, n) for (y, m), n in sorted(counts.items(), reverse=True)]


def find_published_post(slug: str) -> Post | None:
    return db.session.execute(published().filter(Post.slug == slug)).scalar_one_or_none()


@dataclass(frozen=True)
class Neighbours:
    older: PostLink | None  # the previous post by date: rel="prev"
    newer: PostLink | None  # the next one: rel="next"


class PostLink(NamedTuple):
    """What the older/newer links show of a post: its title and what its address is made of."""

    id: int
    title: str
    slug: str
    kind: str
    published_at: datetime

    @property
    def is_page(self) -> bool:
        return self.kind == PostKind.PAGE


def _neighbour(older: bool) -> sa.Select:
    at, post_id = sa.bindparam("published_at", type_=Post.published_at.type), sa.bindparam("post_id")
    if older:
        side = sa.or_(Post.published_at < at, sa.and_(Post.published_at == at, Post.id < post_id))
        order = (Post.published_at.desc(), Post.id.desc())
    else:
        side = sa.or_(Post.published_at > at, sa.and_(Post.published_at == at, Post.id > post_id))
        order = (Post.published_at, Post.id)
    return (sa.select(Post.id, Post.title, Post.slug, Post.kind, Post.published_at)
            .where(Post.status == PostStatus.PUBLISHED, Post.kind == PostKind.POST, side)
            .order_by(*order).limit(1))


# Built once: both neighbours in one statement, each from the (status, published_at, id) index.
_OLDER, _NEWER = _neighbour(older=True).subquery(), _neighbour(older=False).subquery()
_NEIGHBOURS = sa.union_all(
    sa.select(sa.literal(1).label("older"), _OLDER), sa.select(sa.literal(0).label("older"), _NEWER)
)


def adjacent_posts(post: Post) -> Neighbours:
    """The published posts just before and just after this one by publish date (id breaks ties)."""
    found = {True: None, False: None}
    for older, *columns in db.session.connection().execute(
        _NEIGHBOURS, {"published_at": post.published_at, "post_id": post.id}
    ):
        found[bool(older)] = PostLink(*columns)
    return Neighbours(found[True], found[False])


def find_tag(slug: str) -> Tag | None:
    return db.session.execute(db.select(Tag).filter_by(slug=slug)).scalar_one_or_none()


def approved_counts(post_ids: list[int]) -> dict[int, Counts]:
    """Approved comments and approved mentions per post, in one query."""
    if not post_ids:
        return {}
    is_comment = Comment.kind == CommentKind.COMMENT
    rows = db.session.execute(
        db.select(
            Comment.post_id,
            sa.func.sum(sa.case((is_comment, 1), else_=0)),
            sa.func.sum(sa.case((is_comment, 0), else_=1)),
        )
        .filter(Comment.post_id.in_(post_ids), Comment.shown_to_readers())
        .group_by(Comment.post_id)
    )
    counts = {post_id: Counts() for post_id in post_ids}
    for post_id, comments, mentions in rows:
        counts[post_id] = Counts(int(comments or 0), int(mentions or 0))
    return counts


class ShownItem(NamedTuple):
    """What a post's page shows of an approved item: not the text typed (its stored HTML instead), the
    addresses, notes. Read as plain rows: the page shows every approved item, and building a hundred ORM
    objects cost more than rendering them."""

    id: int
    post_id: int
    parent_id: int | None
    kind: str
    status: str
    author_name: str
    author_url: str
    author_photo: str
    content_html: str | None
    # The text typed, read only for an item stored without its HTML (one written by plain statements, such
    # as an import of old comments): comment_html renders it then.
    content: str | None
    created_at: datetime
    mention_type: str | None

    @property
    def is_linkback(self) -> bool:
        return self.kind != CommentKind.COMMENT


# Built once (constructing it cost as much as running it).
_SHOWN_ITEMS = (
    sa.select(
        Comment.id, Comment.post_id, Comment.parent_id, Comment.kind, Comment.status, Comment.author_name,
        Comment.author_url, Comment.author_photo, Comment.content_html,
        sa.case((Comment.content_html.is_(None), Comment.content), else_=sa.null()),
        Comment.created_at, Comment.mention_type,
    )
    .where(Comment.post_id == sa.bindparam("post_id"), Comment.shown_to_readers())
    .order_by(Comment.created_at, Comment.id)
)


def counts_of(items: list[ShownItem]) -> Counts:
    """approved_counts of one post, from its approved items already read."""
    comments = sum(1 for item in items if item.kind == CommentKind.COMMENT)
    return Counts(comments, len(items) - comments)


def approved_items(post: Post) -> list[ShownItem]:
    """Everything approved under a post (comments and mentions), oldest first, with the columns pages show."""
    make = ShownItem._make
    return [make(row) for row in db.session.connection().execute(_SHOWN_ITEMS, {"post_id": post.id})]


# A post's categories and tags in one statement (its page shows both): built once.
_TERMS = sa.union_all(
    sa.select(sa.literal(True).label("is_category"), Category.id, Category.name, Category.slug, Category.is_default)
    .join(post_categories, post_categories.c.category_id == Category.id)
    .where(post_categories.c.post_id == sa.bindparam("post_id")),
    sa.select(sa.literal(False), Tag.id, Tag.name, Tag.slug, sa.literal(False))
    .join(post_tags, post_tags.c.tag_id == Tag.id)
    .where(post_tags.c.post_id == sa.bindparam("post_id")),
).order_by(sa.literal_column("name"))  # the database's collation, as the relationships order them


def _stored(term):
    make_transient_to_detached(term)  # a row as read: it has its identity and nothing to write
    return db.session.merge(term, load=False)


def load_terms(post: Post) -> None:
    """Fill `post.categories` and `post.tags` (each by name, as their relationships order them) from one query
    instead of a lazy load each. The rows become the session's Category and Tag objects without another read
    (merge without load: they are the stored rows, just read)."""
    categories, tags = [], []
    for is_category, term_id, name, slug, is_default in db.session.connection().execute(
        _TERMS, {"post_id": post.id}
    ):
        if is_category:
            categories.append(_stored(Category(id=term_id, name=name, slug=slug, is_default=bool(is_default))))
        else:
            tags.append(_stored(Tag(id=term_id, name=name, slug=slug)))
    set_committed_value(post, "categories", categories)
    set_committed_value(post, "tags", tags)
