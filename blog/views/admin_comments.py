"""The admin's comments screen: pending, approved, spam and trash, with the actions on each."""

from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_login import current_user

from ..auth import require_login
from ..comments import comments_with_status, count_with_status, set_comment_status
from ..extensions import db
from ..models import Comment, CommentStatus
from ..permalinks import local_path_or_none

bp = Blueprint("admin_comments", __name__, url_prefix="/admin/comments")

ACTIONS = {
    "approve": (CommentStatus.APPROVED, "Approved."),
    "unapprove": (CommentStatus.PENDING, "Moved back to pending."),
    "spam": (CommentStatus.SPAM, "Marked as spam."),
    "trash": (CommentStatus.TRASH, "Moved to the trash."),
}


require_login(bp)


@bp.get("/")
def index():
    try:
        status = CommentStatus(request.args.get("status", CommentStatus.PENDING))
    except ValueError:
        abort(404)
    return render_template(
        "admin/comments.html",
        status=status,
        items=comments_with_status(status),
        counts={s: count_with_status(s) for s in CommentStatus},
    )


@bp.post("/<int:comment_id>/<action>")
def act(comment_id, action):
    if action not in ACTIONS:
        abort(404)
    comment = db.get_or_404(Comment, comment_id)
    new_status, message = ACTIONS[action]
    set_comment_status(comment, new_status)
    flash(message, "success")
    return redirect(local_path_or_none(request.form.get("back")) or url_for("admin_comments.index"))


@bp.app_context_processor
def _pending_badge():
    if request.blueprint in ("editor", "admin_comments", "settings") and current_user.is_authenticated:
        return {"pending_count": count_with_status(CommentStatus.PENDING)}
    return {}
