"""Storing what a WordPress export holds: posts, tags, comments, pingbacks, trackbacks and webmentions,
in one transaction (a file that turns out bad half-way leaves nothing behind).

Importing notifies no one: no delivery is queued (each link of an imported post is recorded as
already pinged, or as not to be sent), no linkback check, no mail, no moderation rule and no spam
filter lesson: items keep the status they had. Items are matched on WordPress's ids, so importing
the same file again changes nothing, and a newer export of the same blog adds only what is new."""

from __future__ import annotations

import html
import re
from collections.abc import Callable
from datetime import datetime
from typing import IO
from urllib.parse import unquote, urlsplit

import sqlalchemy as sa

from ..comment_html import render_stored_html
from ..extensions import db
from ..feed_ids import tag_uri
from ..linkbacks.links import http_url_key, normalize_url, outgoing_links
from ..models import (
    Comment,
    CommentKind,
    CommentStatus,
    Delivery,
    DeliveryMethod,
    DeliveryOrigin,
    DeliveryStatus,
    Post,
    PostKind,
    PostStatus,
    Tag,
    User,
    post_tags,
    utcnow,
)
from ..pages import is_reserved_slug
from ..permalinks import absolute_url_for, permalink_values
from ..post_text import render_post_text
from ..posts import SLUG_MAX_CHARS, make_slug
from . import pages_and_categories
from .content import old_site_images, shortcodes_in, wordpress_to_source
from .import_report import ImportReport
from .wxr_reader import Author, Item, Site, Term, WxrError, plain_title, read_wxr
from .wxr_reader import Comment as WxrComment

POST_STATUSES = {"publish": PostStatus.PUBLISHED, "future": PostStatus.SCHEDULED, "draft": PostStatus.DRAFT,
                 "pending": PostStatus.DRAFT, "private": PostStatus.DRAFT}
COMMENT_STATUSES = {"1": CommentStatus.APPROVED, "approve": CommentStatus.APPROVED, "0": CommentStatus.PENDING,
                    "hold": CommentStatus.PENDING, "spam": CommentStatus.SPAM}
COMMENT_KINDS = {"": CommentKind.COMMENT, "comment": CommentKind.COMMENT, "pingback": CommentKind.PINGBACK,
                 "trackback": CommentKind.TRACKBACK, "webmention": CommentKind.WEBMENTION}
POST_COUNTS = {PostStatus.PUBLISHED: "posts", PostStatus.SCHEDULED: "scheduled posts"}
MENTION_TYPES = {"reply", "like", "repost", "bookmark", "mention"}
# WordPress's own post types: settings, menus, templates, revisions; not content to bring over.
WORDPRESS_INTERNALS = {"nav_menu_item", "wp_block", "wp_template", "wp_template_part", "wp_global_styles",
                       "wp_navigation", "custom_css", "customize_changeset", "oembed_cache", "revision",
                       "user_request", "wp_font_family", "wp_font_face"}
IMPORTED_NOTE = "Imported from WordPress."


class NoOwner(WxrError):
    """The blog is not set up yet: there is no user to give the posts to."""


def import_wordpress(source: IO[bytes], *, now: datetime | None = None,
                     progress: Callable[[int], None] | None = None) -> ImportReport:
    """Import a WXR file (a binary stream) and commit; returns the report. Raises WxrError, having
    stored nothing, when the file cannot be imported."""
    owner = db.session.execute(db.select(User).order_by(User.id).limit(1)).scalar_one_or_none()
    if owner is None:
        raise NoOwner("Set up the blog first: its administrator becomes the author of the imported posts.")
    importer = WxrImporter(owner, now or utcnow())
    try:
        for n, record in enumerate(read_wxr(source), 1):
            importer.take(record)
            if progress is not None and n % 500 == 0:
                progress(n)
        db.session.commit()
    except BaseException:
        db.session.rollback()
        raise
    return importer.report


class WxrImporter:
    def __init__(self, owner: User, now: datetime):
        self.owner_id = owner.id
        self.owner_name = owner.username
        self.now = now
        self.report = ImportReport()
        self.site = Site()
        self.key_prefix = ""
        self.old_hosts: set[str] = set()
        self.authors: set[str] = set()
        self.unknown_authors: set[str] = set()
        self.terms: set[tuple[str, str]] = set()
        self.slugs: set[str] | None = None  # filled by _load_existing at the first post
        self.imported: dict[str, int] = {}
        self.feed_ids: set[str] = set()
        self.tags: dict[str, int] = {}  # slug -> id
        self.permalinks: dict[int, str] = {}  # post id -> its permalink, for linkback targets

    # Records -----------------------------------------------------------------------------------

    def take(self, record) -> None:
        match record:
            case Site():
                self.take_site(record)
            case Author():
                self.authors.add(record.login)
                self.report.note(f"Author “{record.display_name or record.login}” is now you ({self.owner_name}).")
            case Term(taxonomy="category") if (record.taxonomy, record.slug) not in self.terms:
                # WordPress 6.1 writes each category twice: as <wp:category> and as <wp:term>.
                self.terms.add((record.taxonomy, record.slug))
                pages_and_categories.store_category(self.report, record)
            case Term():
                pass  # tags are made when a post uses them: an unused tag would be an empty page
            case Item():
                self.take_item(record)

    def take_site(self, site: Site) -> None:
        self.site = site
        base = (site.base_blog_url or site.link or site.base_site_url).rstrip("/")
        self.key_prefix = base or "wordpress"
        for url in (site.base_site_url, site.base_blog_url, site.link):
            host = urlsplit(url).hostname if url else None
            if host:
                self.old_hosts.add(host.lower())

    def take_item(self, item: Item) -> None:
        label = plain_title(item.title) or f"#{item.wp_id}"
        if item.post_type in WORDPRESS_INTERNALS:
            self.report.count(f"WordPress {item.post_type} items left out (site settings, not content)")
            return
        if item.post_type == "attachment":
            where = item.attachment_url or item.guid
            self.report.skip("attachment", label, f"media files are not copied; the file stays at {where}")
            return
        if item.status in ("trash", "auto-draft", "inherit"):
            why = "in WordPress's trash" if item.status == "trash" else f"status {item.status}"
            self.report.skip(item.post_type, label, why)
            return
        if not item.wp_id:
            self.report.skip(item.post_type, label, "it has no WordPress post id (wp:post_id)")
            return
        if item.post_type not in ("post", "page"):
            self.report.skip(item.post_type, label, f"post type “{item.post_type}” (a plugin's) is not a post")
            return
        post_id, new_post = self.store_post(item, label)
        self.store_comments(post_id, item, label, new_post)

    # Posts --------------------------------------------------------------------------------------

    @property
    def connection(self):
        """Core statements run in the session's transaction (one for the whole import)."""
        return db.session.connection()

    def _load_existing(self) -> None:
        """What the blog already has that an imported post must not collide with, read once: slugs,
        import keys (a post imported before) and feed ids. The blog's size, not the file's."""
        if self.slugs is not None:
            return
        rows = db.session.execute(db.select(Post.id, Post.slug, Post.import_key, Post.feed_id)).all()
        self.slugs = {row.slug for row in rows}
        self.imported = {row.import_key: row.id for row in rows if row.import_key}
        self.feed_ids = {row.feed_id for row in rows if row.feed_id}
        self.tags = {tag.slug: tag.id for tag in db.session.execute(db.select(Tag)).scalars()}

    def store_post(self, item: Item, label: str) -> tuple[int, bool]:
        """The post's (or page's) id here, and whether this import created it (written with single
        statements, not through the ORM's unit of work: 10,000 posts must not take minutes)."""
        is_page = item.post_type == "page"
        self._load_existing()
        key = f"{self.key_prefix}#{item.wp_id}"
        if key in self.imported:
            self.report.count("already imported posts")
            return self.imported[key], False
        unknown = item.creator and self.authors and item.creator not in self.authors
        if unknown and item.creator not in self.unknown_authors:
            self.unknown_authors.add(item.creator)
            self.report.note(f"Author “{item.creator}” is not in the file's list of authors: the posts are yours.")
        status = POST_STATUSES.get(item.status)
        if status is None:
            status = PostStatus.DRAFT
            self.report.note(f"“{label}”: unknown status “{item.status}”, imported as a draft.")
        if item.status == "private":
            self.report.note(f"“{label}” was private: imported as a draft (only you see it).")
        if item.password and status == PostStatus.PUBLISHED:
            status = PostStatus.DRAFT
            self.report.note(f"“{label}” was password-protected: imported as a draft "
                             "(this blog has no post passwords).")
        source = item.markdown if item.markdown is not None else wordpress_to_source(item.content)
        text = render_post_text(source)
        body_html = text.body_html
        created = item.date_gmt or item.date_local or self.now
        modified = max(item.modified_gmt or created, created)
        # WordPress's feeds gave the guid as the entry's id: kept, readers see no entry as new.
        feed_id = item.guid if item.guid and item.guid not in self.feed_ids and len(item.guid) <= 2100 else None
        values = {
            "title": (plain_title(item.title) or "Untitled")[:250],
            "slug": self._free_slug(item, label, is_page),
            "kind": PostKind.PAGE if is_page else PostKind.POST,
            "menu_order": item.menu_order if is_page else 0,
            "body_markdown": source,
            "body_html": body_html,
            "body_text": text.body_text,
            "excerpt_html": text.excerpt_html,
            "excerpt_text": text.excerpt_text,
            "has_more": text.has_more,
            "more_link_text": text.more_link_text,
            "status": status,
            "published_at": item.date_gmt or (None if status == PostStatus.DRAFT else created),
            "created_at": created,
            "updated_at": modified,
            "content_updated_at": modified,
            "feed_id": feed_id,
            "author_id": self.owner_id,
            "allow_comments": item.comment_status == "open",
            "allow_pings": item.ping_status == "open",
            "trackback_urls": item.trackback_urls.strip(),
            # From our own export, the id it had in WordPress (if any) is what old addresses ask for.
            "wp_post_id": (item.original_wp_id or None) if item.markdown is not None else item.wp_id,
            "wp_guid": item.guid[:2000],
            "import_key": key,
        }
        posts = Post.__table__
        post_id = self.connection.execute(posts.insert().returning(posts.c.id), values).scalar_one()
        if feed_id is None:
            values["feed_id"] = tag_uri(created, f"post-{post_id}")
            self.connection.execute(posts.update().where(posts.c.id == post_id).values(feed_id=values["feed_id"]))
        self.feed_ids.add(values["feed_id"])
        self.imported[key] = post_id
        self.permalinks[post_id] = self._permalink(values)
        if is_page:  # pages are outside the blog's tags and categories, as in WordPress
            self.report.count("pages" if status == PostStatus.PUBLISHED else "draft pages")
        else:
            if tag_ids := self._tag_ids(item.tags):
                self.connection.execute(post_tags.insert(), [{"post_id": post_id, "tag_id": t} for t in tag_ids])
            pages_and_categories.give_post_categories(self.report, post_id, item)
            self.report.count(POST_COUNTS.get(status, "drafts"))
        for url in old_site_images(body_html, self.old_hosts):
            self.report.old_image(url)
        if names := shortcodes_in(source):
            self.report.note(f"“{label}” has shortcodes shown as typed: {', '.join(f'[{n}]' for n in names)}.")
        if status != PostStatus.DRAFT or item.status == "private":
            self._record_deliveries(post_id, body_html, item)
        return post_id, True

    def _free_slug(self, item: Item, label: str, is_page: bool = False) -> str:
        wanted = make_slug(unquote(item.slug)) if item.slug else ""
        base = wanted or make_slug(plain_title(item.title)) or ("page" if is_page else "post")
        slug, n = base, 2
        while slug in self.slugs or (is_page and is_reserved_slug(slug)):
            slug = f"{base[:SLUG_MAX_CHARS - 6]}-{n}"
            n += 1
        self.slugs.add(slug)
        if wanted and slug != wanted:
            self.report.note(f"“{label}”: the slug “{wanted}” is taken by another post; stored as “{slug}” "
                             f"(its old address /?p={item.wp_id} leads to it).")
        return slug

    def _permalink(self, values: dict) -> str:
        """The post's absolute permalink (on the Site URL), or its path when no Site URL is known."""
        if values.get("kind") == PostKind.PAGE:
            try:
                return absolute_url_for("public.page", slug=values["slug"])
            except RuntimeError:
                return f"/{values['slug']}/"
        post = Post(slug=values["slug"], published_at=values["published_at"])
        try:
            return absolute_url_for("public.post", **permalink_values(post))
        except RuntimeError:
            parts = permalink_values(post)
            return f"/{parts['year']:04}/{parts['month']:02}/{parts['day']:02}/{parts['slug']}/"

    def _tag_ids(self, names: list[str]) -> list[int]:
        ids: dict[str, int] = {}
        for raw in names:
            name = " ".join(html.unescape(raw).split())[:100]
            slug = make_slug(name, max_length=120) or "tag"
            if not name or slug in ids:
                continue
            if slug not in self.tags:
                tags = Tag.__table__
                self.tags[slug] = self.connection.execute(
                    tags.insert().returning(tags.c.id), {"name": name, "slug": slug}
                ).scalar_one()
                self.report.count("tags")
            ids[slug] = self.tags[slug]
        return list(ids.values())

    def _record_deliveries(self, post_id: int, body_html: str, item: Item) -> None:
        """The outbox rows of an imported post, so that nothing is ever sent for what WordPress sent,
        nor for links WordPress had the chance to ping: our own export's deliveries as they were;
        else the URLs WordPress pinged as sent, and every other link as not to be sent (WordPress's
        exporter does not say which links it pinged). "Resend" in the editor sends one if wanted."""
        rows: dict[tuple[str, str], dict] = {}
        source_url = self.permalinks[post_id]

        def add(target: str, origin: str, **values) -> None:
            key = (normalize_url(target), origin)
            if key not in rows and http_url_key(target):
                rows[key] = {"post_id": post_id, "target": target[:2000], "origin": origin, "source_url": source_url,
                             "created_at": self.now, "updated_at": self.now, "method": None, "endpoint": None,
                             "attempts": 0, "last_attempt_at": None, **values}

        for d in item.deliveries:
            origin = d.origin if d.origin in set(DeliveryOrigin) else DeliveryOrigin.LINK
            status = d.status if d.status in set(DeliveryStatus) else DeliveryStatus.SENT
            if status in (DeliveryStatus.QUEUED, DeliveryStatus.SENDING, DeliveryStatus.RETRYING):
                status = DeliveryStatus.NOT_SENT
                d.detail = f"Still {d.status} when exported; not sent after the import."
            add(d.target, origin, method=d.method if d.method in set(DeliveryMethod) else None,
                endpoint=d.endpoint[:2000] or None, status=status, detail=d.detail,
                attempts=d.attempts, last_attempt_at=d.last_attempt_at)
        pinged = {normalize_url(u) for u in item.pinged if http_url_key(u)}
        for link in outgoing_links(body_html):
            if normalize_url(link) in pinged:
                add(link, DeliveryOrigin.LINK, method=DeliveryMethod.PINGBACK, status=DeliveryStatus.SENT,
                    detail="Pinged by WordPress before the import.")
            else:
                add(link, DeliveryOrigin.LINK, status=DeliveryStatus.NOT_SENT,
                    detail="Imported from WordPress: not sent (it may have been pinged from there).")
        linked = {key for key, _ in rows}
        for url in item.pinged:
            if http_url_key(url) and normalize_url(url) not in linked:
                add(url, DeliveryOrigin.TRACKBACK, method=DeliveryMethod.TRACKBACK, status=DeliveryStatus.SENT,
                    detail="Pinged by WordPress before the import.")
        for url in item.trackback_urls.split():
            add(url, DeliveryOrigin.TRACKBACK, method=DeliveryMethod.TRACKBACK, status=DeliveryStatus.NOT_SENT,
                detail="Imported: not sent.")
        if rows:
            self.connection.execute(Delivery.__table__.insert(), list(rows.values()))

    # Comments -----------------------------------------------------------------------------------

    def _skip_comments(self, item: Item, why: str) -> None:
        for comment in item.comments:
            self.report.skip(_kind_word(comment), f"{comment.wp_id} on “{plain_title(item.title)}”", why)

    def store_comments(self, post_id: int, item: Item, label: str, new_post: bool = False) -> None:
        if not item.comments:
            return
        known, sources = {}, set()
        if not new_post:  # a post imported before: what it has already
            known = dict(db.session.execute(
                db.select(Comment.wp_comment_id, Comment.id).filter(Comment.post_id == post_id,
                                                                      Comment.wp_comment_id.is_not(None))
            ).all())
            sources = set(db.session.execute(
                db.select(Comment.source_key).filter(Comment.post_id == post_id, Comment.source_key.is_not(None))
            ).scalars())
        permalink = self.permalinks.get(post_id) or self._permalink_of(post_id)
        new_rows, parents, left_out = [], [], set()
        for comment in item.comments:
            what = f"{comment.wp_id} on “{label}”"
            if comment.wp_id in known:
                self.report.count("already imported comments")
                continue
            row = self._comment_row(post_id, comment, what, sources, permalink)
            if row is None:
                left_out.add(comment.wp_id)
                continue
            known[comment.wp_id] = None  # a repeated id in the file counts once
            new_rows.append(row)
            parents.append(comment)
        if not new_rows:
            return
        table = Comment.__table__
        ids = self.connection.execute(
            table.insert().returning(table.c.id, sort_by_parameter_order=True), new_rows
        ).scalars().all()
        for comment, new_id in zip(parents, ids, strict=True):
            known[comment.wp_id] = new_id
        threading = []
        for comment, new_id in zip(parents, ids, strict=True):
            if not comment.parent:
                continue
            parent_id = known.get(comment.parent)
            if parent_id is None:
                where = "was left out (see Skipped)" if comment.parent in left_out else "is not in the file"
                self.report.note(f"Comment {comment.wp_id} on “{label}” replies to comment {comment.parent}, "
                                 f"which {where}: it is shown as a comment of its own.")
            elif parent_id != new_id:
                threading.append({"child": new_id, "parent": parent_id})
        if threading:
            table = Comment.__table__
            self.connection.execute(
                table.update().where(table.c.id == sa.bindparam("child")).values(parent_id=sa.bindparam("parent")),
                threading,
            )

    def _comment_row(
        self, post_id: int, comment: WxrComment, what: str, sources: set[str], permalink: str
    ) -> dict | None:
        kind = COMMENT_KINDS.get(comment.type)
        word = _kind_word(comment)
        if kind is None:
            self.report.skip(word, what, f"comment type “{comment.type}” (a plugin's) is not a comment")
            return None
        if comment.approved in ("trash", "post-trashed"):
            self.report.skip(word, what, "in WordPress's trash")
            return None
        if not comment.wp_id:
            self.report.skip(word, what, "it has no WordPress comment id")
            return None
        status = COMMENT_STATUSES.get(comment.approved)
        if status is None:
            status = CommentStatus.PENDING
            self.report.note(f"{word.capitalize()} {what}: unknown status “{comment.approved}”, imported as pending.")
        source_key = None
        if kind != CommentKind.COMMENT:
            source_key = http_url_key(comment.author_url)
            if source_key is None:
                self.report.skip(word, what, "a linkback without the address of the page that links here")
                return None
            if source_key in sources:
                self.report.skip(word, what, f"another linkback from {comment.author_url} is already under this post")
                return None
            sources.add(source_key)
        mention_type = None
        if kind == CommentKind.WEBMENTION:
            wanted = comment.meta.get("semantic_linkbacks_type") or comment.meta.get("webmention_type") or "mention"
            mention_type = wanted if wanted in MENTION_TYPES else "mention"
        self.report.count({CommentKind.COMMENT: "comments", CommentKind.PINGBACK: "pingbacks",
                           CommentKind.TRACKBACK: "trackbacks", CommentKind.WEBMENTION: "webmentions"}[kind])
        return {
            "post_id": post_id, "kind": kind, "status": status,
            "author_name": (html.unescape(comment.author))[:250],
            "author_email": (comment.author_email)[:254],
            "author_url": (comment.author_url)[:2000],
            "content": (content := comment_text(comment.content)),
            "content_html": render_stored_html(content),  # as the ORM would store it (blog/comment_html.py)
            "ip": comment.author_ip[:45], "user_agent": (comment.user_agent)[:255],
            "created_at": comment.date_gmt or self.now,
            "verification": None, "verification_note": IMPORTED_NOTE if kind != CommentKind.COMMENT else "",
            "mention_type": mention_type,
            "author_photo": (comment.meta.get("avatar") or comment.meta.get("semantic_linkbacks_avatar") or "")[:2000],
            "target_url": permalink if kind != CommentKind.COMMENT else "",
            "source_key": source_key,
            "wp_comment_id": comment.wp_id,
        }

    def _permalink_of(self, post_id: int) -> str:
        post = db.session.get(Post, post_id)
        self.permalinks[post_id] = self._permalink({"slug": post.slug, "published_at": post.published_at,
                                                    "kind": post.kind})
        return self.permalinks[post_id]


def _kind_word(comment: WxrComment) -> str:
    return comment.type if comment.type in ("pingback", "trackback", "webmention") else "comment"


LINK = re.compile(r"""<a\s[^>]*?href\s*=\s*(["'])(.*?)\1[^>]*>(.*?)</a\s*>""", re.IGNORECASE | re.DOTALL)
LINE_BREAK = re.compile(r"<br\s*/?>", re.IGNORECASE)
PARAGRAPH_EDGE = re.compile(r"</?(?:p|blockquote|li|pre|div|ul|ol)\b[^>]*>", re.IGNORECASE)
TAG = re.compile(r"<[^>]*>")


def comment_text(content: str) -> str:
    """A WordPress comment's HTML as the plain text our comments hold (shown escaped, URLs linked):
    paragraphs and line breaks kept, a link's address kept after its text, other tags dropped,
    entities decoded."""
    if "<" not in content:
        return html.unescape(content).strip()

    def link(match: re.Match) -> str:
        href, text = html.unescape(match.group(2)), TAG.sub("", match.group(3))
        plain = html.unescape(text).strip() in (href, href.rstrip("/")) or not href.startswith("http")
        return text if plain else f"{text} ({href})"

    text = LINK.sub(link, content)
    text = LINE_BREAK.sub("\n", text)
    text = PARAGRAPH_EDGE.sub("\n\n", text)
    text = html.unescape(TAG.sub("", text))
    return re.sub(r"\n{3,}", "\n\n", re.sub(r"[ \t]+\n", "\n", text)).strip()
