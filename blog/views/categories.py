"""Managing categories (/admin/categories): the list with its "Add New Category" form, renaming (name
and slug) and deleting, whose posts fall back to the default category."""

from __future__ import annotations

from flask import Blueprint, flash, redirect, render_template, request, url_for

from ..auth import require_login
from ..categories import CategoryRefused, all_categories, category_post_counts, delete_category, save_category
from ..extensions import db
from ..forms import CategoryForm
from ..models import Category

bp = Blueprint("categories", __name__, url_prefix="/admin/categories")


require_login(bp)


@bp.route("/", methods=["GET", "POST"])
def index():
    form = CategoryForm()
    if request.method == "POST":
        if form.validate_on_submit() and _saved(form, None):
            return redirect(url_for("categories.index"))
    return _render_list(form, 400 if form.errors else 200)


def _render_list(form: CategoryForm, status: int):
    return render_template(
        "admin/categories.html", form=form, categories=all_categories(), counts=category_post_counts()
    ), status


def _saved(form: CategoryForm, category: Category | None) -> bool:
    """Save the form's name and slug; False with the reason on the field when refused."""
    try:
        saved = save_category(category, form.name.data, form.slug.data or "")
    except CategoryRefused as refused:
        field = form.slug if refused.field == "slug" else form.name
        field.errors = [*field.errors, str(refused)]
        return False
    flash(f"Category “{saved.name}” {'updated' if category else 'added'}.", "success")
    return True


@bp.route("/<int:category_id>/edit", methods=["GET", "POST"])
def edit(category_id):
    category = db.get_or_404(Category, category_id)
    form = CategoryForm(obj=category)
    if request.method == "POST" and form.validate_on_submit() and _saved(form, category):
        return redirect(url_for("categories.index"))
    return render_template("admin/edit_category.html", form=form, category=category), 400 if form.errors else 200


@bp.route("/<int:category_id>/delete", methods=["GET", "POST"])
def delete(category_id):
    category = db.get_or_404(Category, category_id)
    if request.method == "GET":
        count = category_post_counts().get(category.id, 0)
        return render_template("admin/delete_category.html", category=category, count=count)
    name = category.name
    try:
        count = delete_category(category)
    except CategoryRefused as refused:
        flash(str(refused), "error")
        return redirect(url_for("categories.index"))
    flash(f"Category “{name}” deleted. Its {count} post{'s' if count != 1 else ''} kept their other "
          "categories; any left with none are now in the default category.", "success")
    return redirect(url_for("categories.index"))
