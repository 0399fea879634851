"""Post categories, as WordPress's beside tags: the default one ("Uncategorized") every post falls back
to, finding or creating categories by name, and renaming and deleting them from the admin."""

from __future__ import annotations

import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError

from .extensions import db
from .models import Category, Post, PostKind, PostStatus, post_categories

DEFAULT_NAME = "Uncategorized"
NAME_MAX_CHARS = 100
SLUG_MAX_CHARS = 120


class CategoryRefused(ValueError):
    """A category change that cannot be made, with the reason to show (a name or slug taken, the
    default category deleted)."""

    def __init__(self, message: str, field: str = "name"):
        super().__init__(message)
        self.field = field


def _slug_for(text: str) -> str:
    from .posts import make_slug  # posts.py builds on this module

    return make_slug(text, max_length=SLUG_MAX_CHARS)


def default_category(create: bool = True) -> Category:
    """The default category, created ("Uncategorized") when the blog has none yet (a database made
    by create_all; the migration creates it for an existing blog). Two first saves racing agree: the
    partial unique index lets one insert win, and the other reads it. With `create` False, a missing
    one is given unsaved (a preview)."""
    query = db.select(Category).filter(Category.is_default.is_(True))
    found = db.session.execute(query).scalar_one_or_none()
    if found is not None:
        return found
    if not create:
        return Category(name=DEFAULT_NAME, slug=_slug_for(DEFAULT_NAME), is_default=True)
    try:
        with db.session.begin_nested():
            found = db.session.execute(
                db.select(Category).filter(Category.slug == _slug_for(DEFAULT_NAME))
            ).scalar_one_or_none()
            if found is None:
                found = Category(name=DEFAULT_NAME, slug=_slug_for(DEFAULT_NAME))
                db.session.add(found)
            found.is_default = True
    except IntegrityError:
        found = db.session.execute(query).scalar_one()
    return found


def parse_category_names(text: str) -> list[str]:
    """Names from the editor's "New category" box: comma-separated, trimmed, de-duplicated."""
    from .posts import parse_tags  # the same rules as tags

    return [name[:NAME_MAX_CHARS] for name in parse_tags(text)]


def categories_for(names: list[str], create: bool = True) -> list[Category]:
    """The categories with these names (matched case-insensitively, or by the slug the name makes),
    created when new (left unsaved without `create`: a preview); the default category when there
    are none."""
    found: dict[int | str, Category] = {}
    for name in names:
        name = " ".join(name.split())[:NAME_MAX_CHARS]
        if not name:
            continue
        slug = _slug_for(name) or "category"
        category = db.session.execute(
            db.select(Category).filter(sa.or_(sa.func.lower(Category.name) == name.lower(), Category.slug == slug))
            .order_by(sa.func.lower(Category.name) != name.lower()).limit(1)
        ).scalar_one_or_none()
        if category is None:
            if slug in found:
                continue
            category = Category(name=name, slug=slug)
            if create:
                db.session.add(category)
            found[slug] = category
        else:
            found[category.id] = category
    return list(found.values()) or [default_category(create)]


def find_category(slug: str) -> Category | None:
    return db.session.execute(db.select(Category).filter_by(slug=slug)).scalar_one_or_none()


def all_categories() -> list[Category]:
    """Every category by name (the default one created if missing): the editor's checkboxes."""
    default_category()
    return list(db.session.execute(db.select(Category).order_by(sa.func.lower(Category.name), Category.id)).scalars())


def category_post_counts() -> dict[int, int]:
    """How many posts (in any state) each category holds, by category id."""
    rows = db.session.execute(
        db.select(post_categories.c.category_id, sa.func.count())
        .join(Post, Post.id == post_categories.c.post_id)
        .filter(Post.kind == PostKind.POST)
        .group_by(post_categories.c.category_id)
    )
    return dict(rows.all())


def has_published_posts(category: Category) -> bool:
    return db.session.execute(
        db.select(Post.id).filter(
            Post.kind == PostKind.POST, Post.status == PostStatus.PUBLISHED, Post.categories.contains(category)
        ).limit(1)
    ).first() is not None


def _check_free(name: str, slug: str, category: Category | None) -> None:
    others = db.select(Category.id)
    if category is not None and category.id is not None:
        others = others.filter(Category.id != category.id)
    if db.session.execute(others.filter(sa.func.lower(Category.name) == name.lower()).limit(1)).first():
        raise CategoryRefused(f"A category named “{name}” already exists.", "name")
    if db.session.execute(others.filter(Category.slug == slug).limit(1)).first():
        raise CategoryRefused(f"The slug “{slug}” is already used by another category.", "slug")


def save_category(category: Category | None, name: str, slug: str = "") -> Category:
    """Create a category, or rename one (its slug too, when given), and commit. CategoryRefused when
    the name or slug belongs to another category, checked first and again by the unique
    constraints (two requests at once): nothing is changed then."""
    name = " ".join(name.split())[:NAME_MAX_CHARS]
    if not name:
        raise CategoryRefused("Please give the category a name.", "name")
    slug = _slug_for(slug) if slug.strip() else (category.slug if category is not None else _slug_for(name))
    if not slug:
        raise CategoryRefused("The slug needs at least one letter or digit.", "slug")
    _check_free(name, slug, category)
    if category is None:
        category = Category()
        db.session.add(category)
    category.name, category.slug = name, slug
    try:
        db.session.commit()
    except IntegrityError as error:
        db.session.rollback()
        raise CategoryRefused(f"A category named “{name}” or with the slug “{slug}” was just saved by another "
                              "request; choose another name.", "name") from error
    return category


def delete_category(category: Category) -> int:
    """Delete a category; its posts left with no category fall back to the default one. Returns how
    many posts it held. The default category cannot be deleted (CategoryRefused)."""
    if category.is_default:
        raise CategoryRefused(f"“{category.name}” is the default category and cannot be deleted.")
    default = default_category()
    post_ids = list(db.session.execute(
        db.select(post_categories.c.post_id).filter(post_categories.c.category_id == category.id)
    ).scalars())
    db.session.execute(sa.delete(post_categories).where(post_categories.c.category_id == category.id))
    if post_ids:
        still_filed = db.select(post_categories.c.post_id).filter(post_categories.c.post_id.in_(post_ids))
        orphans = [i for i in post_ids if i not in set(db.session.execute(still_filed).scalars())]
        if orphans:
            db.session.execute(sa.insert(post_categories), [{"post_id": i, "category_id": default.id} for i in orphans])
    db.session.delete(category)
    db.session.commit()
    return len(post_ids)
