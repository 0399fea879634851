"""A post's Revisions screen (what changed, Restore This Revision), the view of its autosave, and
the autosave endpoints the editor's script posts to (X-CSRFToken header, checked by CSRFProtect)."""

from __future__ import annotations

from flask import Blueprint, abort, flash, jsonify, redirect, render_template, request, url_for
from flask_login import current_user

from ..auth import require_login
from ..extensions import db
from ..jobs import wake_jobs
from ..models import Post, PostKind, PostStatus
from ..permalinks import local_time
from ..posts import SlugTaken
from ..revisions.autosave import AutosaveRefused, autosave, autosave_new, newer_autosave
from ..revisions.history import RevisionRefused, diff_lines, restore_revision, revisions_of
from ..revisions.tables import PostRevision
from ..templating import edit_url, format_datetime

bp = Blueprint("revisions", __name__, url_prefix="/admin")
require_login(bp)


def _post_or_404(post_id: int) -> Post:
    post = db.get_or_404(Post, post_id)
    if post.status == PostStatus.DELETED:
        abort(404)
    return post


@bp.get("/posts/<int:post_id>/revisions")
def revisions(post_id):
    post = _post_or_404(post_id)
    rows = revisions_of(post)
    chosen = next((r for r in rows if r.id == request.args.get("revision", type=int)), rows[0] if rows else None)
    return render_template(
        "editor/revisions.html", post=post, revisions=rows, chosen=chosen,
        title_diff=diff_lines(chosen.title, post.title) if chosen else [],
        body_diff=diff_lines(chosen.body_markdown, post.body_markdown) if chosen else [],
    )


@bp.post("/posts/<int:post_id>/revisions/<int:revision_id>/restore")
def restore(post_id, revision_id):
    revision = db.session.get(PostRevision, revision_id)
    if revision is None or revision.post_id != post_id:
        abort(404)
    try:
        post = restore_revision(revision, current_user)
    except RevisionRefused as error:
        flash(f"The revision was not restored: {error}", "error")
        return redirect(url_for("editor.posts", status="trash"))
    except SlugTaken as error:
        flash(f"The revision was not restored: {error}", "error")
        return redirect(url_for("revisions.revisions", post_id=post_id))
    wake_jobs()
    flash(f"Restored the revision of {format_datetime(revision.created_at)}; the text it replaced is kept "
          "as a revision.", "success")
    return redirect(edit_url(post))


@bp.get("/posts/<int:post_id>/autosave")
def view_autosave(post_id):
    post = _post_or_404(post_id)
    row = newer_autosave(post)
    if row is None:
        flash("There is no autosave of this post newer than its saved text.", "info")
        return redirect(edit_url(post))
    return render_template(
        "editor/autosave.html", post=post, autosave=row,
        title_diff=diff_lines(post.title, row.title), body_diff=diff_lines(post.body_markdown, row.body_markdown),
    )


def _autosave_answer(call):
    try:
        saved = call()
    except AutosaveRefused as error:
        return jsonify(error=str(error)), error.status
    except SlugTaken as error:
        return jsonify(error=f"Not autosaved: {error}"), 409
    post = saved.post
    return jsonify(
        post_id=post.id,
        edit_url=edit_url(post),
        autosave_url=url_for("revisions.autosave_post", post_id=post.id),
        saved_at=saved.saved_at.isoformat(),
        into_draft=saved.into_draft,
        message=("Draft saved" if saved.into_draft else "Autosaved (readers see no change until you press "
                 "Update)") + f" at {local_time(saved.saved_at):%H:%M:%S}.",
    )


@bp.post("/posts/<int:post_id>/autosave")
def autosave_post(post_id):
    post = _post_or_404(post_id)
    title, body = request.form.get("title", ""), request.form.get("body", "")
    if post.is_trashed:
        return jsonify(error="Not autosaved: this post is in the trash."), 409
    return _autosave_answer(lambda: autosave(post, title, body, current_user))


@bp.post("/posts/new/autosave", defaults={"kind": PostKind.POST})
@bp.post("/pages/new/autosave", defaults={"kind": PostKind.PAGE})
def autosave_new_post(kind):
    title, body = request.form.get("title", ""), request.form.get("body", "")
    if not title.strip() and not body.strip():
        return jsonify(error="Nothing to autosave yet."), 400
    return _autosave_answer(lambda: autosave_new(kind, title, body, current_user))



