"""Categories from a WordPress export: the ones the file defines (kept with WordPress's slugs, so
/category/<slug>/ addresses stay the same) and each post's own, "Uncategorized" included. A category
that is already here (same slug, or same name in any case) is reused, so importing again adds nothing.
Pages are stored by the importer itself, as posts of kind "page" (wxr_import.store_post)."""

from __future__ import annotations

from urllib.parse import unquote

import sqlalchemy as sa

from ..categories import default_category
from ..extensions import db
from ..models import Category, post_categories
from ..posts import make_slug
from .import_report import ImportReport
from .wxr_reader import Item, Term

NAME_MAX_CHARS = 100
SLUG_MAX_CHARS = 120


def _category(name: str, slug: str, report: ImportReport) -> Category | None:
    """The category with this slug or name, made when there is none; None for one with neither."""
    name = " ".join(name.split())[:NAME_MAX_CHARS]
    slug = (make_slug(unquote(slug)) or make_slug(name))[:SLUG_MAX_CHARS]
    if not slug:
        return None
    found = db.session.execute(
        db.select(Category).filter(sa.or_(Category.slug == slug, sa.func.lower(Category.name) == name.lower()))
        .order_by(Category.id).limit(1)
    ).scalar_one_or_none()
    if found is not None:
        return found
    category = Category(name=name or slug, slug=slug)
    db.session.add(category)
    db.session.flush()
    report.count("categories")
    return category


def store_category(report: ImportReport, term: Term) -> None:
    """Store a category defined at the top of the export (WordPress's "uncategorized" is our default)."""
    if term.slug == "uncategorized":
        default_category()
        return
    _category(term.name or term.slug, term.slug, report)


def give_post_categories(report: ImportReport, post_id: int, item: Item) -> None:
    """Give a newly imported post the categories it had; the default when it had none."""
    chosen: dict[int, Category] = {}
    for domain, nicename, name in item.categories:
        if domain != "category":
            continue
        category = default_category() if nicename == "uncategorized" else _category(name, nicename, report)
        if category is not None:
            chosen[category.id] = category
    if not chosen:
        default = default_category()
        chosen[default.id] = default
    db.session.execute(post_categories.insert(), [{"post_id": post_id, "category_id": c} for c in chosen])
