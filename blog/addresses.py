"""Which post a permalink address means, now and for good: the post published there, a post that
moved away from it (301 to where it is now), or one that went to the trash or was deleted (410).
Old addresses live in post_addresses, written when a published post's slug or date changes and when
it goes to the trash."""

from __future__ import annotations

import enum
from dataclasses import dataclass
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import joinedload

from .extensions import db
from .models import Post, PostAddress, PostKind, PostStatus, utcnow
from .pages import find_published_page
from .permalinks import address_values, permalink_values


class AddressState(enum.StrEnum):
    LIVE = "live"  # the post is published at this address
    MOVED = "moved"  # the post is published, at another address: 301
    GONE = "gone"  # the post is in the trash or deleted: 410


@dataclass(frozen=True)
class AddressMatch:
    post: Post
    state: AddressState


def permalink_path(values: dict) -> str:
    """The address key of a post's permalink values, /YYYY/MM/DD/slug/, or of a page's, /slug/ (without any
    path prefix the site is served under, so moving the blog under /blog/ changes no key)."""
    if "year" not in values:
        return f"/{values['slug']}/"
    return f"/{values['year']:04d}/{values['month']:02d}/{values['day']:02d}/{values['slug']}/"


def _values_of(year: int, month: int, day: int, slug: str) -> dict:
    return {"year": year, "month": month, "day": day, "slug": slug}


def _address_at(values: dict) -> PostAddress | None:
    """The old address recorded at the permalink values' path, if any."""
    return db.session.execute(
        db.select(PostAddress).filter(PostAddress.path == permalink_path(values))
    ).scalar_one_or_none()


_PUBLISHED_POST = (  # built once: every post page asks
    sa.select(Post).options(joinedload(Post.author))  # the page shows it: one query, not two
    .where(Post.slug == sa.bindparam("slug"), Post.status == PostStatus.PUBLISHED, Post.kind == PostKind.POST)
)


def resolve_permalink(year: int, month: int, day: int, slug: str) -> AddressMatch | None:
    """What the address /year/month/day/slug/ answers, in this order: the post published there; the
    post that was there (moved or gone) — so an old address keeps its post even when another post
    now uses the slug on another date; a published post with that slug on another date (the date in
    the URL is not the post's: 301); else None (404)."""
    values = _values_of(year, month, day, slug)
    live = db.session.execute(_PUBLISHED_POST, {"slug": slug}).scalar_one_or_none()
    if live is not None and permalink_values(live) == values:
        return AddressMatch(live, AddressState.LIVE)
    earlier = _address_at(values)
    if earlier is not None:
        post = earlier.post
        if post.is_published:
            moved = permalink_values(post) != values
            return AddressMatch(post, AddressState.MOVED if moved else AddressState.LIVE)
        if post.is_gone:
            return AddressMatch(post, AddressState.GONE)
    if live is not None:
        return AddressMatch(live, AddressState.MOVED)
    return None


def resolve_page_address(slug: str) -> AddressMatch | None:
    """What /slug/ answers: the page published there; else the page that was there and went to the trash or
    was deleted (410), or was published elsewhere since (301); else None (404)."""
    live = find_published_page(slug)
    if live is not None:
        return AddressMatch(live, AddressState.LIVE)
    earlier = _address_at({"slug": slug})
    if earlier is None or not earlier.post.is_page:
        return None
    if earlier.post.is_gone:
        return AddressMatch(earlier.post, AddressState.GONE)
    if earlier.post.is_published:
        return AddressMatch(earlier.post, AddressState.MOVED)
    return None


def record_old_address(values: dict, post: Post, now: datetime | None = None) -> None:
    """Remember that `values` was the post's address (the caller commits). A path that another post
    once left is given to this one: the latest post to leave an address is the one it means."""
    row = _address_at(values)
    if row is None:
        db.session.add(PostAddress(path=permalink_path(values), post=post, created_at=now or utcnow()))
    elif row.post_id != post.id:
        row.post = post
        row.created_at = now or utcnow()


def forget_current_address(post: Post) -> None:
    """The post is back at an address it once left (slug changed back, restored): that address is
    its own again, not an old one."""
    db.session.execute(
        db.delete(PostAddress).where(
            PostAddress.path == permalink_path(address_values(post)), PostAddress.post_id == post.id
        )
    )


def note_address_change(before: dict | None, post: Post, now: datetime | None = None) -> None:
    """After a save: when the post was published at `before` and is published elsewhere now, the
    old address is kept for it (301 for good). `before` is None when it was not published."""
    if not post.is_published:
        return
    forget_current_address(post)
    if before is not None and before != permalink_values(post):
        record_old_address(before, post, now)


def old_addresses(post: Post) -> list[str]:
    """The paths that lead to the post besides its own, oldest first."""
    return list(
        db.session.execute(
            db.select(PostAddress.path).filter(PostAddress.post_id == post.id).order_by(PostAddress.id)
        ).scalars()
    )
