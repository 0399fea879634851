"""The admin's writing desk: the posts list, the editor (draft, preview, publish, schedule), delete."""

from __future__ import annotations

from datetime import UTC

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_login import current_user

from .. import archive
from ..auth import require_login
from ..extensions import csrf, db
from ..forms import PostForm
from ..jobs import wake_jobs
from ..linkbacks.outbox import STATUS_WORDS, delivery_summary, plan_notifications, resend
from ..models import Delivery, DeliveryMethod, Post, utcnow
from ..permalinks import local_time, post_url
from ..posts import (
    PostInput,
    SlugTaken,
    count_comments_under,
    delete_post,
    editor_posts_page,
    preview_post,
    save_post,
)
from ..site_settings import blog_timezone, get_setting
from ..templating import format_datetime

bp = Blueprint("editor", __name__, url_prefix="/admin")


require_login(bp)


@bp.get("/")
def dashboard():
    return redirect(url_for("editor.posts"))


@bp.get("/posts")
def posts():
    pagination = editor_posts_page(request.args.get("page", 1, type=int))
    rows = pagination.items
    return render_template(
        "editor/posts.html",
        posts=rows,
        pagination=pagination,
        counts=archive.approved_counts([p.id for p in rows]),
        linkbacks=delivery_summary([p.id for p in rows]),
    )


# The editor's CSRF token is checked by PostForm itself rather than by CSRFProtect, so that a
# missing or stale token re-renders the form (400) with everything typed, not an error page.
@bp.route("/posts/new", methods=["GET", "POST"])
@csrf.exempt
def new_post():
    return _edit(None)


@bp.route("/posts/<int:post_id>/edit", methods=["GET", "POST"])
@csrf.exempt
def edit_post(post_id):
    return _edit(db.get_or_404(Post, post_id))


def _form_for(post: Post | None) -> PostForm:
    if request.method == "POST":
        return PostForm()
    if post is None:
        return PostForm(
            allow_comments=get_setting("default_comment_status"),
            allow_pings=get_setting("default_ping_status"),
        )
    return PostForm(
        title=post.title,
        body=post.body_markdown,
        tags=", ".join(t.name for t in post.tags),
        slug=post.slug,
        publish_date=local_time(post.published_at).replace(tzinfo=None) if post.published_at else None,
        allow_comments=post.allow_comments,
        allow_pings=post.allow_pings,
        trackback_urls=post.trackback_urls,
    )


def _input_from(form: PostForm) -> PostInput:
    date = form.publish_date.data
    return PostInput(
        title=form.title.data.strip(),
        body=form.body.data or "",
        tags=form.tags.data or "",
        slug=(form.slug.data or "").strip(),
        publish_date=date.replace(tzinfo=blog_timezone()).astimezone(UTC) if date else None,
        allow_comments=form.allow_comments.data,
        allow_pings=form.allow_pings.data,
        trackback_urls=form.trackback_urls.data or "",
    )


def _edit(post: Post | None):
    form = _form_for(post)
    action = request.form.get("action", "draft")
    if request.method == "GET" or not form.validate():
        return _render_editor(form, post, status=400 if request.method == "POST" else 200)
    data = _input_from(form)
    if action == "preview":
        return _render_editor(form, post, preview=preview_post(data, current_user, post))
    try:
        saved = save_post(post, data, publish=action == "publish", author=current_user)
    except SlugTaken as error:
        form.slug.errors = [*form.slug.errors, str(error)]
        return _render_editor(form, post, status=400)
    wake_jobs()
    flash(_saved_message(saved), "success")
    return redirect(url_for("editor.edit_post", post_id=saved.id))


def _render_editor(form: PostForm, post: Post | None, preview: Post | None = None, status: int = 200):
    """The editor page, with the Linkbacks panel and, beside the form, what publishing would do:
    for the saved post, or for what was just previewed (judged against the saved post's outbox)."""
    shown = preview or post
    deliveries = post.deliveries if post is not None else []
    plan = plan_notifications(shown, post_url(shown, external=True), deliveries) if shown is not None else []
    return (
        render_template(
            "editor/edit_post.html", form=form, post=post, preview=preview, plan=plan, now=utcnow(),
            deliveries=deliveries, status_words=STATUS_WORDS,
        ),
        status,
    )


@bp.post("/posts/<int:post_id>/linkbacks/resend")
def resend_all(post_id):
    post = db.get_or_404(Post, post_id)
    count = resend([d for d in post.deliveries if d.method != DeliveryMethod.SELF])
    wake_jobs()
    flash(f"{count} linkback{'s' if count != 1 else ''} queued to be sent again.", "success")
    return redirect(url_for("editor.edit_post", post_id=post.id) + "#linkbacks")


@bp.post("/posts/<int:post_id>/linkbacks/<int:delivery_id>/resend")
def resend_one(post_id, delivery_id):
    delivery = db.session.get(Delivery, delivery_id)
    if delivery is None or delivery.post_id != post_id:
        abort(404)
    resend([delivery])
    wake_jobs()
    flash(f"Queued to be sent again: {delivery.target}", "success")
    return redirect(url_for("editor.edit_post", post_id=post_id) + "#linkbacks")


def _saved_message(post: Post) -> str:
    if post.is_published:
        return f"Post published. It is at {post_url(post)}"
    if post.is_scheduled:
        return f"Post scheduled for {format_datetime(post.published_at)}."
    return "Draft saved."


@bp.route("/posts/<int:post_id>/delete", methods=["GET", "POST"])
def delete(post_id):
    post = db.get_or_404(Post, post_id)
    if request.method == "GET":
        comments, mentions = count_comments_under(post)
        return render_template("editor/delete_post.html", post=post, comments=comments, mentions=mentions)
    title = post.title
    delete_post(post)
    flash(f"“{title}” was deleted.", "success")
    return redirect(url_for("editor.posts"))
