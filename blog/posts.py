"""Writing posts: saving from the editor (slugs, tags, draft/scheduled/published), deleting, and
publishing scheduled posts when their time comes."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

import sqlalchemy as sa
from slugify import slugify
from sqlalchemy.orm import selectinload

from .extensions import db
from .feed_ids import mint_post_feed_id
from .linkbacks.outbox import queue_deliveries
from .models import Comment, CommentKind, Post, PostStatus, Tag, User, utcnow
from .permalinks import post_url
from .rendering import render_markdown

SLUG_MAX_CHARS = 190
TITLE_MAX_CHARS = 250  # posts.title; the editor refuses a longer one rather than cutting it


class SlugTaken(ValueError):
    """The slug typed in the editor belongs to another post."""


@dataclass
class PostInput:
    """What the editor sends, already checked for form-level errors."""

    title: str
    body: str
    tags: str = ""
    slug: str = ""
    publish_date: datetime | None = None  # aware UTC, or None for "now"
    allow_comments: bool = True
    allow_pings: bool = True
    trackback_urls: str = ""  # the "Send trackbacks to" box


def parse_tags(text: str) -> list[str]:
    """Tag names from a comma-separated list: trimmed, de-duplicated (case-insensitively), in order."""
    seen, names = set(), []
    for raw in text.split(","):
        name = " ".join(raw.split())[:100]
        if name and name.casefold() not in seen:
            seen.add(name.casefold())
            names.append(name)
    return names


def _tags_for(names: list[str]) -> list[Tag]:
    """The Tag rows for these names, created when new. Names that make the same slug ("Python",
    "python!") are one tag: the slug is what the tag page and the unique constraint go by."""
    tags: dict[str, Tag] = {}
    for name in names:
        slug = make_slug(name, max_length=120) or "tag"
        if slug in tags:
            continue
        tag = db.session.execute(db.select(Tag).filter_by(slug=slug)).scalar_one_or_none()
        if tag is None:
            tag = Tag(name=name, slug=slug)
            db.session.add(tag)
        tags[slug] = tag
    return list(tags.values())


def _keep_seconds(wanted: datetime | None, current: datetime | None) -> datetime | None:
    """The editor shows dates to the minute; sending back the date it showed keeps the stored
    seconds, so an unrelated edit never moves a post against others of the same minute."""
    if wanted is not None and current is not None and wanted == current.replace(second=0, microsecond=0):
        return current
    return wanted


def make_slug(text: str, max_length: int = SLUG_MAX_CHARS) -> str:
    """A URL slug of the text, cut at a word boundary when too long (a single longer word is cut)."""
    return slugify(text, max_length=max_length, word_boundary=True)


def _slug_in_use(slug: str, post: Post | None) -> bool:
    query = db.select(Post.id).filter(Post.slug == slug)
    if post is not None and post.id is not None:
        query = query.filter(Post.id != post.id)
    return db.session.execute(query.limit(1)).first() is not None


def choose_slug(wanted: str, title: str, post: Post | None = None) -> str:
    """The slug to use: the one typed (must be free), else one made from the title, made unique."""
    if wanted.strip():
        slug = make_slug(wanted) or "post"
        if _slug_in_use(slug, post):
            raise SlugTaken(f"The slug “{slug}” is already used by another post.")
        return slug
    base = make_slug(title) or "post"
    slug, n = base, 2
    while _slug_in_use(slug, post):
        slug = f"{base}-{n}"
        n += 1
    return slug


def _content_changes(post: Post, data: PostInput, tags: list[Tag]) -> bool:
    """Whether saving changes what a reader of the entry sees: its title, text or tags (not its
    switches, slug or date)."""
    return (post.title, post.body_markdown, sorted(t.name for t in post.tags)) != (
        data.title, data.body, sorted(t.name for t in tags)
    )


def save_post(
    post: Post | None, data: PostInput, *, publish: bool, author: User, now: datetime | None = None
) -> Post:
    """Create or update a post and commit. `publish` False keeps (or makes) it a draft; True
    publishes it now, or schedules it when its publish date is in the future."""
    now = now or utcnow()
    slug = choose_slug(data.slug, data.title, post)  # may raise SlugTaken: nothing changed yet
    with db.session.no_autoflush:
        tags = _tags_for(parse_tags(data.tags))
    publish_date = _keep_seconds(data.publish_date, post.published_at if post else None)
    if post is None:
        post = Post(author=author, created_at=now)
        db.session.add(post)
    elif post.feed_id is None and post.is_published:
        post.feed_id = post_url(post, external=True)  # an old post's id, fixed before its slug can change
    if post.id is None or _content_changes(post, data, tags):
        post.content_updated_at = now
    post.title = data.title
    post.slug = slug
    post.body_markdown = data.body
    post.body_html = render_markdown(data.body)
    post.tags = tags
    post.allow_comments = data.allow_comments
    post.allow_pings = data.allow_pings
    post.trackback_urls = data.trackback_urls.strip()
    post.updated_at = now
    db.session.flush()
    mint_post_feed_id(post)
    if not publish:
        post.status = PostStatus.DRAFT
        post.published_at = publish_date
    elif publish_date is not None and publish_date > now:
        post.status = PostStatus.SCHEDULED
        post.published_at = publish_date
    else:
        post.status = PostStatus.PUBLISHED
        post.published_at = publish_date or post.published_at or now
        if post.published_at > now:  # a draft once dated in the future, published now
            post.published_at = now
    if post.is_published or post.is_scheduled:
        # The linkbacks it owes go into the outbox in this same transaction: nothing is sent
        # while the author waits, and nothing is lost if the process stops right after.
        db.session.flush()
        queue_deliveries(post, post_url(post, external=True), now)
    db.session.commit()
    return post


def preview_post(data: PostInput, author: User, post: Post | None = None) -> Post:
    """An unsaved Post holding what the editor shows, rendered exactly as publishing would."""
    preview = Post(
        id=post.id if post else None,
        title=data.title,
        slug=make_slug(data.slug or data.title) or "post",
        body_markdown=data.body,
        body_html=render_markdown(data.body),
        status=PostStatus.DRAFT,
        published_at=data.publish_date or (post.published_at if post else None) or utcnow(),
        author_id=author.id,
        allow_comments=data.allow_comments,
        allow_pings=data.allow_pings,
        trackback_urls=data.trackback_urls,
    )
    preview.author = author
    preview.tags = [Tag(name=name, slug=make_slug(name, max_length=120) or "tag") for name in parse_tags(data.tags)]
    return preview


def count_comments_under(post: Post) -> tuple[int, int]:
    """(comments, mentions) under the post in any status: what deleting it takes along."""
    is_comment = Comment.kind == CommentKind.COMMENT
    comments, mentions = db.session.execute(
        db.select(
            sa.func.sum(sa.case((is_comment, 1), else_=0)), sa.func.sum(sa.case((is_comment, 0), else_=1))
        ).filter(Comment.post_id == post.id)
    ).one()
    return int(comments or 0), int(mentions or 0)


def count_posts() -> int:
    return db.session.execute(db.select(db.func.count(Post.id))).scalar_one()


def delete_post(post: Post) -> None:
    """Delete the post with its comments (and everything else shown under it)."""
    db.session.delete(post)
    db.session.commit()


def publish_due_posts(now: datetime | None = None) -> list[Post]:
    """Publish every scheduled post whose time has come; returns those this call published.
    The conditional UPDATE makes sure two processes never both publish the same post."""
    now = now or utcnow()
    due = db.session.execute(
        db.select(Post.id).filter(Post.status == PostStatus.SCHEDULED, Post.published_at <= now)
    ).scalars().all()
    published = []
    for post_id in due:
        result = db.session.execute(
            db.update(Post)
            .where(Post.id == post_id, Post.status == PostStatus.SCHEDULED)
            .values(status=PostStatus.PUBLISHED)
        )
        if result.rowcount == 1:
            published.append(post_id)
    db.session.commit()
    if not published:
        return []
    return list(
        db.session.execute(
            db.select(Post).filter(Post.id.in_(published)).options(selectinload(Post.tags))
        ).scalars()
    )


ADMIN_POSTS_PER_PAGE = 20  # as WordPress's Posts screen


def editor_posts_page(page: int, per_page: int = ADMIN_POSTS_PER_PAGE):
    """One page of every post (drafts and scheduled ones too), newest first, with the columns the Posts screen
    shows; a page past the last is empty (Flask-SQLAlchemy Pagination)."""
    from sqlalchemy.orm import load_only

    shown = load_only(Post.id, Post.title, Post.slug, Post.status, Post.published_at, Post.updated_at)
    query = (
        db.select(Post).options(shown)
        .order_by(db.func.coalesce(Post.published_at, Post.updated_at).desc(), Post.id.desc())
    )
    return db.paginate(query, page=max(1, page), per_page=per_page, error_out=False, count=True)
