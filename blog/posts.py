"""Writing posts and pages: saving from the editor (slugs, tags, categories, draft/scheduled/published,
the old address kept when a published post's moves) and publishing scheduled posts when their time
comes. The trash and deleting for good: trash.py."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

import sqlalchemy as sa
from slugify import slugify
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import selectinload

from .addresses import note_address_change
from .categories import categories_for
from .extensions import db
from .feed_ids import mint_post_feed_id
from .linkbacks.outbox import queue_deliveries
from .models import Category, Comment, CommentKind, Post, PostKind, PostStatus, Tag, User, utcnow
from .pages import is_reserved_slug
from .permalinks import permalink_values, post_url
from .post_text import render_post_text
from .revisions.tables import PostAutosave, PostRevision

SLUG_MAX_CHARS = 190
TITLE_MAX_CHARS = 250  # posts.title; the editor refuses a longer one rather than cutting it


# How many times a save is tried again when another request took its slug, or created the same new tag
# or category, between our check and our insert (the unique constraints catch it).
SAVE_ATTEMPTS = 3


class SlugTaken(ValueError):
    """The slug typed in the editor belongs to another post or page, or is an address a page
    cannot have."""


class PostIsGone(ValueError):
    """The post went to the trash (or was deleted) while the editor was open: it is not saved."""


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
    kind: str = PostKind.POST
    menu_order: int = 0  # pages: their place in the site's navigation
    categories: list[str] = field(default_factory=list)  # names; none: the default category (posts only)


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


def slug_in_use(slug: str, post: Post | None) -> bool:
    query = db.select(Post.id).filter(Post.slug == slug)
    if post is not None and post.id is not None:
        query = query.filter(Post.id != post.id)
    return db.session.execute(query.limit(1)).first() is not None


def choose_slug(wanted: str, title: str, post: Post | None = None, kind: str = PostKind.POST) -> str:
    """The slug to use: the one typed (must be free, and for a page not a reserved address), else one
    made from the title, made unique. Posts and pages share one set of slugs."""
    is_page = kind == PostKind.PAGE
    if wanted.strip():
        slug = make_slug(wanted) or kind
        if is_page and is_reserved_slug(slug):
            raise SlugTaken(f"“{slug}” is an address the blog itself uses (/{slug}/): choose another slug "
                            "for the page.")
        if slug_in_use(slug, post):
            raise SlugTaken(f"The slug “{slug}” is already used by another post or page.")
        return slug
    base = make_slug(title) or kind
    slug, n = base, 2
    while slug_in_use(slug, post) or (is_page and is_reserved_slug(slug)):
        slug = f"{base}-{n}"
        n += 1
    return slug


def set_post_text(post: Post, source: str) -> None:
    """Store the post's Markdown with everything derived from it: the one place a post's text is
    rendered, so its HTML, excerpt and searchable text never disagree."""
    text = render_post_text(source)
    post.body_markdown = source
    post.body_html = text.body_html
    post.body_text = text.body_text
    post.excerpt_html = text.excerpt_html
    post.excerpt_text = text.excerpt_text
    post.has_more = text.has_more
    post.more_link_text = text.more_link_text


def _content_changes(post: Post, data: PostInput, tags: list[Tag], categories: list[Category]) -> bool:
    """Whether saving changes what a reader of the entry sees: its title, text, tags or categories
    (not its switches, slug or date)."""
    return (post.title, post.body_markdown, sorted(t.name for t in post.tags),
            sorted(c.name for c in post.categories)) != (
        data.title, data.body, sorted(t.name for t in tags), sorted(c.name for c in categories)
    )


def save_post(
    post: Post | None, data: PostInput, *, publish: bool, author: User, now: datetime | None = None,
    keep_revision: bool = False,
) -> Post:
    """Create or update a post or page (data.kind) and commit. `publish` False keeps (or makes) it a
    draft; True publishes it now, or schedules it when its publish date is in the future. SlugTaken
    when the slug typed is taken or reserved, also when another request took it a moment before.
    Updating a published post's title or text keeps its text as it was as a revision (in any state
    with `keep_revision`), and a save drops the post's autosave, which it replaces."""
    post_id = post.id if post is not None else None
    for attempt in range(1, SAVE_ATTEMPTS + 1):
        try:
            return _save_once(post, data, publish=publish, author=author, now=now, keep_revision=keep_revision)
        except IntegrityError:
            # Another request committed the same slug, new tag or new category between our check
            # and our insert: start again from what is stored now (choose_slug then says "taken").
            db.session.rollback()
            if attempt == SAVE_ATTEMPTS:
                raise
            post = db.session.get(Post, post_id) if post_id is not None else None
    raise AssertionError("unreachable")


def _save_once(
    post: Post | None, data: PostInput, *, publish: bool, author: User, now: datetime | None, keep_revision: bool
) -> Post:
    now = now or utcnow()
    kind = post.kind if post is not None else data.kind
    slug = choose_slug(data.slug, data.title, post, kind)  # may raise SlugTaken: nothing changed yet
    if post is not None:
        _hold_unless_gone(post, now)  # may raise PostIsGone: nothing changed
    # A published post's dated address, kept if it moves (a page's address is its slug alone).
    before = permalink_values(post) if post is not None and post.is_published and kind == PostKind.POST else None
    with db.session.no_autoflush:
        if kind == PostKind.PAGE:
            tags, categories = [], []  # pages are outside the blog's taxonomy, as in WordPress
        else:
            tags = _tags_for(parse_tags(data.tags))
            categories = categories_for(data.categories)
    publish_date = _keep_seconds(data.publish_date, post.published_at if post else None)
    if post is None:
        post = Post(author=author, created_at=now, kind=kind)
        db.session.add(post)
    elif post.feed_id is None and post.is_published:
        post.feed_id = post_url(post, external=True)  # an old post's id, fixed before its slug can change
    if post.id is None or _content_changes(post, data, tags, categories):
        post.content_updated_at = now
    if post.id is not None:
        _keep_revision(post, data, author, now, always=keep_revision)
    post.title = data.title
    post.slug = slug
    set_post_text(post, data.body)
    post.tags = tags
    post.categories = categories
    post.menu_order = data.menu_order if kind == PostKind.PAGE else 0
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
    note_address_change(before, post, now)  # a published post that moved: its old address leads here
    if post.is_published or post.is_scheduled:
        # The linkbacks it owes go into the outbox in this same transaction: nothing is sent
        # while the author waits, and nothing is lost if the process stops right after.
        db.session.flush()
        queue_deliveries(post, post_url(post, external=True), now)
    db.session.commit()
    return post


def _keep_revision(post: Post, data: PostInput, author: User, now: datetime, always: bool) -> None:
    """Before a published post's title or text changes, keep them as they were (in the same
    transaction as the save); its autosave, if any, is replaced by this save."""
    db.session.execute(db.delete(PostAutosave).where(PostAutosave.post_id == post.id))
    if (post.is_published or always) and (post.title, post.body_markdown) != (data.title, data.body):
        db.session.add(PostRevision(post_id=post.id, title=post.title, body_markdown=post.body_markdown,
                                    created_at=now, author_id=author.id))


def _hold_unless_gone(post: Post, now: datetime) -> None:
    """Take the post's row (a write lock on SQLite, the row lock on PostgreSQL) unless it is in the
    trash or deleted, so a save racing "Move to Trash" either comes first or is refused, never
    brings a trashed post back half-way."""
    held = db.session.execute(
        db.update(Post)
        .where(Post.id == post.id, Post.status.not_in([PostStatus.TRASH, PostStatus.DELETED]))
        .values(updated_at=now)
        .execution_options(synchronize_session=False)
    ).rowcount
    if held != 1:
        db.session.rollback()
        raise PostIsGone("This post was moved to the trash; restore it from the trash to edit it.")
    db.session.refresh(post)


def preview_post(data: PostInput, author: User, post: Post | None = None) -> Post:
    """An unsaved Post holding what the editor shows, rendered exactly as publishing would."""
    kind = post.kind if post else data.kind
    preview = Post(
        id=post.id if post else None,
        kind=kind,
        title=data.title,
        slug=make_slug(data.slug or data.title) or "post",
        status=PostStatus.DRAFT,
        published_at=data.publish_date or (post.published_at if post else None) or utcnow(),
        author_id=author.id,
        allow_comments=data.allow_comments,
        allow_pings=data.allow_pings,
        trackback_urls=data.trackback_urls,
    )
    set_post_text(preview, data.body)
    preview.author = author
    if kind == PostKind.POST:
        preview.tags = [Tag(name=name, slug=make_slug(name, max_length=120) or "tag") for name in parse_tags(data.tags)]
        preview.categories = categories_for(data.categories, create=False)
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
    """Posts the owner has (in the trash too), not the tombstones of deleted ones."""
    return db.session.execute(
        db.select(db.func.count(Post.id)).filter(Post.status != PostStatus.DELETED)
    ).scalar_one()


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

