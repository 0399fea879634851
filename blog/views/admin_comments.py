"""The admin's moderation queue: filters, row and bulk actions, edit, allow/block a site, empty spam
or trash, and Undo. The logic lives in blog/moderation_queue.py."""

from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template, request, session, url_for
from flask_login import current_user

from .. import moderation_queue as queue
from .. import owner_replies
from ..admin_forms import ReplyForm
from ..auth import require_login
from ..comment_counts import count_in_status
from ..comments import CommentRejected
from ..extensions import db
from ..forms import CommentEditForm
from ..models import Comment, CommentStatus
from ..permalinks import local_path_or_none
from ..spam.screening import filter_summary

bp = Blueprint("admin_comments", __name__, url_prefix="/admin/comments")

# The latest undoable change: shown once, like a flash message, with its Undo button.
NOTICE_KEY = "moderation_notice"

require_login(bp)

# The screens under the admin menu, which shows the pending count.
ADMIN_BLUEPRINTS = ("dashboard", "editor", "media", "admin_comments", "settings", "profile")


def _back() -> str:
    return local_path_or_none(request.values.get("back")) or url_for("admin_comments.index")


def _report(outcome: queue.Outcome):
    if outcome.undo:
        session[NOTICE_KEY] = {"message": outcome.message, "undo": outcome.undo}
    else:
        flash(outcome.message, "success" if outcome.changed else "info")
    return redirect(_back())


def _refuse(error: queue.QueueError):
    flash(str(error), "error")
    return redirect(_back())


class RowUrls:
    """The queue's per-item addresses, each built once with a stand-in id that is then replaced: werkzeug's URL
    building for the 400 or so links and forms of a 50-item page took a fifth of its time."""

    STAND_IN = "987654321"

    def __init__(self, back: str):
        stand_in = int(self.STAND_IN)
        self._patterns = {
            "reply": url_for("admin_comments.reply", comment_id=stand_in, back=back),
            "edit": url_for("admin_comments.edit", comment_id=stand_in, back=back),
            "site": url_for("admin_comments.site", comment_id=stand_in),
            "edit_post": url_for("editor.edit_post", post_id=stand_in),
        }
        for action in queue.QueueAction:
            self._patterns[action] = url_for("admin_comments.act", comment_id=stand_in, action=action)

    def __call__(self, name: str, item_id: int) -> str:
        """The address `name` ("reply", "edit", "site", "edit_post" or an action) for the item (or post) id;
        the stand-in is the first number in the path, before any query string."""
        return self._patterns[name].replace(self.STAND_IN, str(int(item_id)), 1)


@bp.get("/")
def index():
    try:
        page = queue.queue_page(
            request.args.get("status", CommentStatus.PENDING),
            request.args.get("kind", "all"),
            request.args.get("page", 1, type=int),
        )
    except ValueError:
        abort(404)
    return render_template(
        "admin/comments.html",
        queue=page,
        labels=queue.LABELS,
        status_tabs=queue.STATUS_TABS,
        site_key=queue.site_key,
        confirm_empty=request.args.get("confirm") == "empty" and page.status in queue.DELETABLE,
        notice=session.pop(NOTICE_KEY, None),
        can_reply=owner_replies.can_reply,
        row_urls=RowUrls,
    )


@bp.post("/<int:comment_id>/<action>")
def act(comment_id, action):
    if action not in list(queue.QueueAction):
        abort(404)
    try:  # an item deleted meanwhile (another tab, the spam clean-up) is a no-op with a message
        return _report(queue.apply_action([comment_id], action))
    except queue.QueueError as error:
        return _refuse(error)


@bp.post("/bulk")
def bulk():
    field = "page_ids" if request.form.get("scope") == "page" else "ids"
    try:
        return _report(queue.apply_action(request.form.getlist(field, type=int), request.form.get("action", "")))
    except queue.QueueError as error:
        return _refuse(error)


@bp.post("/empty")
def empty():
    try:
        return _report(queue.empty(request.form.get("status", ""), request.form.get("through", 0, type=int)))
    except queue.QueueError as error:
        return _refuse(error)


@bp.route("/<int:comment_id>/edit", methods=["GET", "POST"])
def edit(comment_id):
    comment = db.get_or_404(Comment, comment_id)
    form = CommentEditForm(obj=comment)
    if form.validate_on_submit():
        fields = queue.CommentFields(
            form.author_name.data or "", form.author_email.data or "", form.author_url.data or "", form.content.data
        )
        return _report(queue.edit_comment(comment, fields))
    status = 400 if form.errors else 200
    return render_template("admin/edit_comment.html", form=form, comment=comment, back=_back(),
                           owner_action_words=queue.OWNER_ACTION_WORDS), status


@bp.route("/<int:comment_id>/reply", methods=["GET", "POST"])
def reply(comment_id):
    comment = db.get_or_404(Comment, comment_id)
    form = ReplyForm()
    refused = owner_replies.refusal(comment)
    if refused is None and form.validate_on_submit():
        was_pending = comment.status == CommentStatus.PENDING
        try:
            owner_replies.reply_as_owner(
                comment, form.content.data, current_user._get_current_object(),
                approve=request.form.get("approve") == "yes",
                ip=request.remote_addr or "", user_agent=request.user_agent.string,
            )
        except (owner_replies.ReplyRefused, CommentRejected) as error:
            form.content.errors.append(str(error))
        else:
            done = "Approved the comment and published" if was_pending else "Published"
            flash(f"{done} your reply to {comment.author_name or 'Anonymous'}.", "success")
            return redirect(_back())
    status = 400 if form.errors or (refused and form.is_submitted()) else 200
    return render_template("admin/reply_comment.html", form=form, comment=comment, refused=refused,
                           back=_back()), status


@bp.post("/<int:comment_id>/site")
def site(comment_id):
    comment = db.get_or_404(Comment, comment_id)
    try:
        return _report(queue.list_site(comment, request.form.get("listing", "")))
    except queue.QueueError as error:
        return _refuse(error)


@bp.post("/undo")
def undo():
    try:
        return _report(queue.undo(request.form))
    except queue.QueueError as error:
        return _refuse(error)


@bp.app_context_processor
def _pending_badge():
    if request.blueprint in ADMIN_BLUEPRINTS and current_user.is_authenticated:
        return {"pending_count": count_in_status(CommentStatus.PENDING), "spam_filter_summary": filter_summary}
    return {}
