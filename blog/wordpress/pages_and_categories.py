"""Pages and categories from a WordPress export: NOT SUPPORTED YET on this branch.

Static pages (Post.kind "page") and categories (a Category model) are being built on another branch.
Until they are merged, everything of theirs that an import meets passes through the functions below,
which only count it in the report as "skipped: not supported yet". Wiring them after the merge means
replacing these bodies (store the page as a Post of kind "page" with its menu_order and parent; store
the category; give the post its categories) and nothing else in the importer."""

from __future__ import annotations

from .import_report import ImportReport
from .wxr_reader import Item, Term

NOT_SUPPORTED_YET = "not supported yet"


def store_page(report: ImportReport, item: Item, author_id: int) -> int | None:
    """Store a WordPress page; returns its post id (so its comments are imported under it), or None
    when it was not stored (its comments are then skipped with it)."""
    report.skip("page", item.title or f"#{item.wp_id}", NOT_SUPPORTED_YET)
    return None


def store_category(report: ImportReport, term: Term) -> None:
    """Store a category defined at the top of the export."""
    report.skip("category", term.name or term.slug, NOT_SUPPORTED_YET)


def give_post_categories(report: ImportReport, post_id: int, item: Item) -> None:
    """Give an imported post the categories it had ("Uncategorized" included)."""
    if item.category_names:
        report.count("post categories not kept (not supported yet)", len(item.category_names))
