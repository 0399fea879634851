"""The database tables: users, posts, tags, settings, login failures, and the one table for
everything shown under a post (comments now; pingbacks, trackbacks and webmentions later)."""

from __future__ import annotations

import enum
from datetime import UTC, datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship
from werkzeug.security import check_password_hash, generate_password_hash

from .extensions import db
from .search_index import create_search_index


def utcnow() -> datetime:
    return datetime.now(UTC)


class UTCDateTime(sa.types.TypeDecorator):
    """Aware UTC datetimes in Python, naive UTC in the database (SQLite keeps no zone)."""

    impl = sa.DateTime
    cache_ok = True

    def process_bind_param(self, value, dialect):
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given; use an aware UTC datetime")
        return value.astimezone(UTC).replace(tzinfo=None)

    def process_result_value(self, value, dialect):
        return None if value is None else value.replace(tzinfo=UTC)


class PostKind(enum.StrEnum):
    POST = "post"  # dated, in the home page, archives and feeds
    PAGE = "page"  # a static page ("About") at /<slug>/, listed in the site's navigation


class PostStatus(enum.StrEnum):
    DRAFT = "draft"
    SCHEDULED = "scheduled"
    PUBLISHED = "published"
    TRASH = "trash"  # restorable for TRASH_DAYS, as it was (status_before_trash)
    # Deleted permanently (by the owner, or purged from the trash): a tombstone with its content
    # removed, kept so its old addresses answer 410 Gone and its webmentions can still be re-sent.
    DELETED = "deleted"


class CommentKind(enum.StrEnum):
    COMMENT = "comment"
    PINGBACK = "pingback"
    TRACKBACK = "trackback"
    WEBMENTION = "webmention"


class CommentStatus(enum.StrEnum):
    PENDING = "pending"
    APPROVED = "approved"
    SPAM = "spam"
    TRASH = "trash"


class DeliveryOrigin(enum.StrEnum):
    LINK = "link"  # a link found in the post: notified automatically
    TRACKBACK = "trackback"  # a URL typed in the "Send trackbacks to" box


class DeliveryMethod(enum.StrEnum):
    PINGBACK = "pingback"
    TRACKBACK = "trackback"
    WEBMENTION = "webmention"
    SELF = "self"  # a link to one of our own posts, recorded without the network


class DeliveryStatus(enum.StrEnum):
    QUEUED = "queued"
    SENDING = "sending"
    RETRYING = "retrying"
    SENT = "sent"
    ALREADY_REGISTERED = "already_registered"
    FAILED = "failed"
    NO_ENDPOINT = "no_endpoint"
    NOT_SENT = "not_sent"  # a typed trackback whose page already got our webmention or pingback


class Verification(enum.StrEnum):
    VERIFIED = "verified"  # the source was fetched and links to the post
    PENDING = "pending"  # a trackback waiting for the worker to check it
    FAILED = "failed"  # fetched, and it does not link to the post
    UNREACHABLE = "unreachable"  # could not be fetched
    OWN = "own"  # a link between our own posts


class Leased:
    """The columns of a row that the job layer claims (blog/jobs/queue.py): how often it was tried,
    when it is due again, and which worker holds it until when."""

    attempts: Mapped[int] = mapped_column(default=0, server_default="0")
    next_attempt_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    lease_expires_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    claimed_by: Mapped[str | None] = mapped_column(sa.String(64))


class User(db.Model):
    __tablename__ = "users"

    id: Mapped[int] = mapped_column(primary_key=True)
    username: Mapped[str] = mapped_column(sa.String(60), unique=True)
    email: Mapped[str] = mapped_column(sa.String(254))
    password_hash: Mapped[str] = mapped_column(sa.String(255))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    # The profile (/admin/profile): the name readers see instead of the login name, the author's own
    # site, and the file name of their photo in the instance folder (blog/profile_photos.py).
    display_name: Mapped[str] = mapped_column(sa.String(250), default="", server_default="")
    website: Mapped[str] = mapped_column(sa.String(2000), default="", server_default="")
    photo: Mapped[str] = mapped_column(sa.String(100), default="", server_default="")
    # Raised whenever the password changes: every login made before then ends (see get_id).
    session_version: Mapped[int] = mapped_column(default=0, server_default="0")

    # Flask-Login protocol
    is_authenticated = True
    is_active = True
    is_anonymous = False

    def get_id(self) -> str:
        """What the login session holds: the id and the session version, so a session from before
        the last password change no longer loads its user (blog/auth.py's user loader)."""
        return f"{self.id}:{self.session_version or 0}"

    @property
    def public_name(self) -> str:
        """The name shown as the author: the display name, else the login name."""
        return (self.display_name or "").strip() or self.username

    def set_password(self, password: str) -> None:
        self.password_hash = generate_password_hash(password)

    def check_password(self, password: str) -> bool:
        return check_password_hash(self.password_hash, password)


post_tags = sa.Table(
    "post_tags",
    db.metadata,
    sa.Column("post_id", sa.ForeignKey("posts.id", ondelete="CASCADE"), primary_key=True),
    sa.Column("tag_id", sa.ForeignKey("tags.id", ondelete="CASCADE"), primary_key=True),
    sa.Index("ix_post_tags_tag_id", "tag_id"),  # a tag's page: its posts
)


class Tag(db.Model):
    __tablename__ = "tags"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(sa.String(100), unique=True)
    slug: Mapped[str] = mapped_column(sa.String(120), unique=True)


post_categories = sa.Table(
    "post_categories",
    db.metadata,
    sa.Column("post_id", sa.ForeignKey("posts.id", ondelete="CASCADE"), primary_key=True),
    sa.Column("category_id", sa.ForeignKey("categories.id", ondelete="CASCADE"), primary_key=True),
)


class Category(db.Model):
    """A post category, as WordPress's: every post has at least one, the default ("Uncategorized",
    which can be renamed but not deleted) when none is chosen."""

    __tablename__ = "categories"
    __table_args__ = (
        sa.Index("uq_categories_default", "is_default", unique=True,
                 sqlite_where=sa.text("is_default"), postgresql_where=sa.text("is_default")),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(sa.String(100), unique=True)
    slug: Mapped[str] = mapped_column(sa.String(120), unique=True)
    is_default: Mapped[bool] = mapped_column(default=False, server_default=sa.false())


@sa.event.listens_for(Category.__table__, "after_create")
def _add_default_category(table, connection, **kw):
    """A database made by create_all starts as a migrated one does: with "Uncategorized"."""
    connection.execute(table.insert().values(name="Uncategorized", slug="uncategorized", is_default=True))


class Post(db.Model):
    __tablename__ = "posts"
    __table_args__ = (
        sa.Index("uq_posts_feed_id", "feed_id", unique=True),
        sa.Index("uq_posts_import_key", "import_key", unique=True),
        # Every public list: published posts, newest first (home, tag, month, feeds).
        sa.Index("ix_posts_status_published_at", "status", "published_at", "id"),
        # The site's navigation (published pages in menu order) and the admin's counts by kind and status.
        sa.Index("ix_posts_kind_status_menu", "kind", "status", "menu_order", "title", "id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    title: Mapped[str] = mapped_column(sa.String(250))
    slug: Mapped[str] = mapped_column(sa.String(200), unique=True)
    body_markdown: Mapped[str] = mapped_column(sa.Text, default="")
    body_html: Mapped[str] = mapped_column(sa.Text, default="")
    # Derived from the text when the post is stored (blog/post_text.py): its visible text (what search
    # indexes), its excerpt as HTML and as text, and its <!--more--> marker with the marker's link text.
    body_text: Mapped[str] = mapped_column(sa.Text, default="", server_default="")
    excerpt_html: Mapped[str] = mapped_column(sa.Text, default="", server_default="")
    excerpt_text: Mapped[str] = mapped_column(sa.Text, default="", server_default="")
    has_more: Mapped[bool] = mapped_column(default=False, server_default=sa.false())
    more_link_text: Mapped[str] = mapped_column(sa.String(250), default="", server_default="")
    status: Mapped[str] = mapped_column(sa.String(20), default=PostStatus.DRAFT, index=True)
    published_at: Mapped[datetime | None] = mapped_column(UTCDateTime, index=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    # When the title, text or tags last changed (not a switch or a new comment): the feeds' <updated>.
    content_updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    # The entry's id in feeds, fixed when first minted (blog/feed_ids.py): a tag: URI, or for posts
    # from before it the permalink URL the feeds gave them, so readers never see them as new.
    feed_id: Mapped[str | None] = mapped_column(sa.String(2100))
    author_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id"))
    allow_comments: Mapped[bool] = mapped_column(default=True)
    allow_pings: Mapped[bool] = mapped_column(default=True)
    # The "Send trackbacks to" box, as typed (URLs separated by spaces or new lines).
    trackback_urls: Mapped[str] = mapped_column(sa.Text, default="", server_default="")
    kind: Mapped[str] = mapped_column(sa.String(20), default=PostKind.POST, server_default=PostKind.POST.value)
    menu_order: Mapped[int] = mapped_column(default=0, server_default="0")  # pages: place in the navigation
    # In the trash: since when, the status it is restored to, and the slug it had (a trashed post's
    # slug is set aside, as WordPress's __trashed suffix, so a new post may take it meanwhile).
    trashed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    status_before_trash: Mapped[str | None] = mapped_column(sa.String(20))
    slug_before_trash: Mapped[str | None] = mapped_column(sa.String(200))
    # For a post imported from WordPress (blog/wordpress/): its id there (what /?p=123 asks for), its
    # guid, and "<old site URL>#<id>", which makes importing the same file again change nothing.
    wp_post_id: Mapped[int | None] = mapped_column(index=True)
    wp_guid: Mapped[str] = mapped_column(sa.String(2000), default="", server_default="")
    import_key: Mapped[str | None] = mapped_column(sa.String(2100))

    author: Mapped[User] = relationship()
    tags: Mapped[list[Tag]] = relationship(secondary=post_tags, order_by="Tag.name")
    categories: Mapped[list[Category]] = relationship(secondary=post_categories, order_by="Category.name")
    comments: Mapped[list[Comment]] = relationship(
        back_populates="post", cascade="all, delete-orphan", passive_deletes=True
    )
    deliveries: Mapped[list[Delivery]] = relationship(
        back_populates="post", cascade="all, delete-orphan", passive_deletes=True, order_by="Delivery.id"
    )

    @property
    def is_published(self) -> bool:
        return self.status == PostStatus.PUBLISHED

    @property
    def is_page(self) -> bool:
        return self.kind == PostKind.PAGE

    @property
    def is_scheduled(self) -> bool:
        return self.status == PostStatus.SCHEDULED

    @property
    def is_trashed(self) -> bool:
        return self.status == PostStatus.TRASH

    @property
    def is_gone(self) -> bool:
        """In the trash or deleted permanently: its address answers 410 Gone."""
        return self.status in (PostStatus.TRASH, PostStatus.DELETED)

    @property
    def excerpt_is_partial(self) -> bool:
        """Whether the excerpt leaves part of the post out (a "Continue reading" link is due)."""
        return self.has_more or self.excerpt_text != self.body_text


# The full-text index is the database's own (FTS5, or a tsvector column): made with the table.
sa.event.listen(Post.__table__, "after_create", create_search_index)
# The admin's Posts screen: newest first by the date it shows (published, or planned, or last saved).
sa.Index("ix_posts_list_date", Post.kind, sa.func.coalesce(Post.published_at, Post.updated_at), Post.id)


class PostAddress(db.Model):
    """An address a post was published at and no longer is (its slug or date changed, or it went to
    the trash): the path answers 301 to the post's address while it is published, 410 while it is
    gone. Rows point at the post, not at the next address, so chains never form."""

    __tablename__ = "post_addresses"

    id: Mapped[int] = mapped_column(primary_key=True)
    path: Mapped[str] = mapped_column(sa.String(250), unique=True)  # /YYYY/MM/DD/slug/
    post_id: Mapped[int] = mapped_column(sa.ForeignKey("posts.id", ondelete="CASCADE"), index=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    post: Mapped[Post] = relationship()


class Comment(db.Model):
    """A comment, or (with another kind) a pingback, trackback or webmention shown under a post."""

    __tablename__ = "comments"
    __table_args__ = (
        sa.Index("ix_comments_post_status_created", "post_id", "status", "created_at"),
        # The moderation queue and the comment feed: a status, newest first.
        sa.Index("ix_comments_status_created", "status", "created_at"),
        # The moderation queue filtered by kind: a status, newest first.
        sa.Index("ix_comments_kind_status_created", "kind", "status", "created_at"),
        # One linkback per source page and post, whatever the protocol or how many arrive at once.
        sa.Index("uq_comments_post_source_key", "post_id", "source_key", unique=True,
                 sqlite_where=sa.text("source_key IS NOT NULL"), postgresql_where=sa.text("source_key IS NOT NULL")),
        # A comment imported from WordPress, once per post whatever how often the file is imported.
        sa.Index("uq_comments_post_wp_comment_id", "post_id", "wp_comment_id", unique=True,
                 sqlite_where=sa.text("wp_comment_id IS NOT NULL"),
                 postgresql_where=sa.text("wp_comment_id IS NOT NULL")),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    post_id: Mapped[int] = mapped_column(sa.ForeignKey("posts.id", ondelete="CASCADE"), index=True)
    parent_id: Mapped[int | None] = mapped_column(sa.ForeignKey("comments.id", ondelete="SET NULL"))
    kind: Mapped[str] = mapped_column(sa.String(20), default=CommentKind.COMMENT, index=True)
    status: Mapped[str] = mapped_column(sa.String(20), default=CommentStatus.PENDING, index=True)
    author_name: Mapped[str] = mapped_column(sa.String(250), default="")
    author_email: Mapped[str] = mapped_column(sa.String(254), default="")
    author_url: Mapped[str] = mapped_column(sa.String(2000), default="")
    content: Mapped[str] = mapped_column(sa.Text, default="")
    # The content as HTML, rendered once when stored (blog/comment_html.py); None until rendered.
    content_html: Mapped[str | None] = mapped_column(sa.Text)
    ip: Mapped[str] = mapped_column(sa.String(45), default="")
    user_agent: Mapped[str] = mapped_column(sa.String(255), default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)
    # For linkbacks: whether the source was checked to link here (see Verification), and why not.
    verification: Mapped[str | None] = mapped_column(sa.String(20))
    verification_note: Mapped[str] = mapped_column(sa.Text, default="", server_default="")
    # Why the moderation rules gave it its status ("held: 2 or more links", "spam: disallowed word").
    moderation_note: Mapped[str] = mapped_column(sa.Text, default="", server_default="")
    # The status that note explains: it is shown while the item still has it (None: no rule spoke).
    moderation_note_status: Mapped[str | None] = mapped_column(sa.String(20))
    # For webmentions: reply, like, repost, bookmark or mention (from the source's microformats),
    # and the author's photo when the source gives one.
    mention_type: Mapped[str | None] = mapped_column(sa.String(20))
    author_photo: Mapped[str] = mapped_column(sa.String(2000), default="", server_default="")
    # For linkbacks: our URL the source links to (the pingback target, or the trackback's post).
    target_url: Mapped[str] = mapped_column(sa.String(2000), default="", server_default="")
    # For linkbacks: normalize_url(author_url), the source page; None for comments.
    source_key: Mapped[str | None] = mapped_column(sa.String(2000))
    # For webmentions: when the source went away or stopped linking and the mention was taken down.
    taken_down_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # For linkbacks: the text of the source's link to us. The spam classifier's score (0..1) when the
    # item arrived, None while the filter was off or still learning, and the words that decided it.
    link_text: Mapped[str] = mapped_column(sa.String(250), default="", server_default="")
    spam_score: Mapped[float | None] = mapped_column(sa.Float)
    spam_score_note: Mapped[str] = mapped_column(sa.Text, default="", server_default="")
    # Its id in the WordPress export it was imported from (None: it arrived here).
    wp_comment_id: Mapped[int | None]

    post: Mapped[Post] = relationship(back_populates="comments")
    moderation_events: Mapped[list[ModerationEvent]] = relationship(
        back_populates="comment", cascade="all, delete-orphan", passive_deletes=True,
        order_by="ModerationEvent.id",
    )

    @property
    def is_linkback(self) -> bool:
        return self.kind != CommentKind.COMMENT

    @property
    def current_moderation_note(self) -> str:
        """The rules' reason for the item's status, while it still has that status; else ""."""
        return self.moderation_note if self.status == self.moderation_note_status else ""

    @classmethod
    def shown_to_readers(cls):
        """Approved, and not a linkback still waiting for its source check (even if approved by hand
        meanwhile: an unproved link is never shown)."""
        return sa.and_(
            cls.status == CommentStatus.APPROVED,
            sa.or_(cls.verification.is_(None), cls.verification != Verification.PENDING),
        )


class ModerationEvent(db.Model):
    """One status an item was given, by the moderation rules or by the owner, and why: its history."""

    __tablename__ = "moderation_events"

    id: Mapped[int] = mapped_column(primary_key=True)
    comment_id: Mapped[int] = mapped_column(sa.ForeignKey("comments.id", ondelete="CASCADE"), index=True)
    status: Mapped[str] = mapped_column(sa.String(20))
    by_owner: Mapped[bool] = mapped_column(default=False)
    note: Mapped[str] = mapped_column(sa.Text, default="", server_default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    comment: Mapped[Comment] = relationship(back_populates="moderation_events")


class Delivery(db.Model):
    """One linkback to send for a post: a row of the outbox that the worker delivers, retries and
    reports on. Written in the same transaction as the publish that asks for it."""

    __tablename__ = "deliveries"
    __table_args__ = (
        sa.UniqueConstraint("post_id", "target", "origin", name="uq_deliveries_post_target_origin"),
        sa.Index("ix_deliveries_due", "status", "next_attempt_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    post_id: Mapped[int] = mapped_column(sa.ForeignKey("posts.id", ondelete="CASCADE"), index=True)
    target: Mapped[str] = mapped_column(sa.String(2000))  # as written in the post (PB-10)
    origin: Mapped[str] = mapped_column(sa.String(20))
    method: Mapped[str | None] = mapped_column(sa.String(20))  # known once discovered
    endpoint: Mapped[str | None] = mapped_column(sa.String(2000))
    # The TrackBack ping URL the linked page advertises, so a typed trackback to it is not sent twice.
    page_trackback_url: Mapped[str | None] = mapped_column(sa.String(2000))
    source_url: Mapped[str] = mapped_column(sa.String(2000))  # our post's permalink
    status: Mapped[str] = mapped_column(sa.String(20), default=DeliveryStatus.QUEUED)
    attempts: Mapped[int] = mapped_column(default=0)
    last_attempt_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    next_attempt_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    lease_expires_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    claimed_by: Mapped[str | None] = mapped_column(sa.String(64))
    detail: Mapped[str] = mapped_column(sa.Text, default="")  # the last answer, in plain words
    # The post's link was removed and a webmention told the page so (it dropped our mention): a
    # link put back later is announced again.
    removal_announced: Mapped[bool] = mapped_column(default=False, server_default=sa.false())
    http_status: Mapped[int | None]
    fault_code: Mapped[int | None]
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    post: Mapped[Post] = relationship(back_populates="deliveries")

    @property
    def is_done(self) -> bool:
        return self.status in (
            DeliveryStatus.SENT, DeliveryStatus.ALREADY_REGISTERED, DeliveryStatus.FAILED, DeliveryStatus.NO_ENDPOINT,
            DeliveryStatus.NOT_SENT,
        )


class Setting(db.Model):
    """One blog setting; the value is JSON so that its type survives (see site_settings.py)."""

    __tablename__ = "settings"

    key: Mapped[str] = mapped_column(sa.String(64), primary_key=True)
    value: Mapped[str] = mapped_column(sa.Text)


class WebmentionStatus(enum.StrEnum):
    QUEUED = "queued"
    ACCEPTED = "accepted"
    REJECTED = "rejected"
    DELETED = "deleted"  # the source is gone or no longer links: its mention was taken down


class IncomingWebmention(Leased, db.Model):
    """One webmention request received: verified later by the worker; its status page is public at
    /webmention/<token> (the Location of our 201 answer)."""

    __tablename__ = "incoming_webmentions"
    __table_args__ = (sa.Index("ix_incoming_webmentions_due", "status", "next_attempt_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    token: Mapped[str] = mapped_column(sa.String(64), unique=True)
    source: Mapped[str] = mapped_column(sa.String(2000))
    target: Mapped[str] = mapped_column(sa.String(2000))
    post_id: Mapped[int | None] = mapped_column(sa.ForeignKey("posts.id", ondelete="SET NULL"), index=True)
    status: Mapped[str] = mapped_column(sa.String(20), default=WebmentionStatus.QUEUED, index=True)
    reason: Mapped[str] = mapped_column(sa.Text, default="")
    comment_id: Mapped[int | None] = mapped_column(sa.ForeignKey("comments.id", ondelete="SET NULL"))
    ip: Mapped[str] = mapped_column(sa.String(45), default="")
    user_agent: Mapped[str] = mapped_column(sa.String(255), default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    processed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class LinkbackCheck(Leased, db.Model):
    """A pingback or trackback whose source page the worker must fetch to check that it links here;
    the item waits, unseen by readers, until then."""

    __tablename__ = "linkback_checks"
    __table_args__ = (sa.Index("ix_linkback_checks_due", "next_attempt_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    comment_id: Mapped[int] = mapped_column(sa.ForeignKey("comments.id", ondelete="CASCADE"), unique=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    last_error: Mapped[str] = mapped_column(sa.Text, default="", server_default="")

    comment: Mapped[Comment] = relationship()


class MailStatus(enum.StrEnum):
    QUEUED = "queued"
    SENT = "sent"
    FAILED = "failed"


class OutgoingMail(Leased, db.Model):
    """A notification mail, written in the same transaction as what it tells of and sent by the
    job layer: a stopping process loses none."""

    __tablename__ = "outgoing_mail"
    __table_args__ = (sa.Index("ix_outgoing_mail_due", "status", "next_attempt_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    recipient: Mapped[str] = mapped_column(sa.String(254))
    subject: Mapped[str] = mapped_column(sa.Text)
    message: Mapped[str] = mapped_column(sa.Text)  # the whole RFC 5322 message, as built
    status: Mapped[str] = mapped_column(sa.String(20), default=MailStatus.QUEUED)
    last_error: Mapped[str] = mapped_column(sa.Text, default="", server_default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class RateCounter(db.Model):
    """How many events one key (an address's logins, comments or pings; a post's pings) had in its
    current fixed window; bumped atomically by one upsert (blog/throttle.py)."""

    __tablename__ = "rate_counters"

    key: Mapped[str] = mapped_column(sa.String(200), primary_key=True)
    window_start: Mapped[datetime] = mapped_column(UTCDateTime)
    count: Mapped[int] = mapped_column(default=0)


class ImportStatus(enum.StrEnum):
    QUEUED = "queued"
    RUNNING = "running"
    DONE = "done"
    FAILED = "failed"


class WordPressImport(Leased, db.Model):
    """A WordPress export uploaded on Tools → Import: imported by the job layer (the file waits in the
    instance folder), with its report or why it was refused; its status page is /admin/tools/import/<token>."""

    __tablename__ = "wordpress_imports"

    id: Mapped[int] = mapped_column(primary_key=True)
    token: Mapped[str] = mapped_column(sa.String(64), unique=True)
    filename: Mapped[str] = mapped_column(sa.String(255), default="")
    status: Mapped[str] = mapped_column(sa.String(20), default=ImportStatus.QUEUED, index=True)
    report: Mapped[str] = mapped_column(sa.Text, default="", server_default="")  # ImportReport.as_dict(), as JSON
    error: Mapped[str] = mapped_column(sa.Text, default="", server_default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    started_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
