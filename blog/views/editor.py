"""The admin's writing desk: the posts and pages lists, the editor (draft, preview, publish, schedule)
for both, the preview of a draft, and the trash (move, restore, delete permanently, empty)."""

from __future__ import annotations

from datetime import UTC, datetime

from flask import Blueprint, abort, current_app, flash, redirect, render_template, request, url_for
from flask_login import current_user
from flask_wtf.csrf import validate_csrf
from wtforms import ValidationError

from .. import archive, posts_list, trash
from ..auth import require_login
from ..categories import all_categories, parse_category_names
from ..extensions import csrf, db
from ..forms import ImageUploadForm, PageForm, PostForm
from ..jobs import wake_jobs
from ..linkbacks.outbox import STATUS_WORDS, delivery_summary, plan_notifications, resend
from ..media.library import (
    AltTextRejected,
    ImageRejected,
    UploadResult,
    append_markdown,
    store_upload,
    upload_request_limit,
)
from ..models import Delivery, DeliveryMethod, Post, PostKind, PostStatus, utcnow
from ..pages import all_pages
from ..permalinks import local_path_or_none, local_time, post_url
from ..posts import PostInput, PostIsGone, SlugTaken, count_comments_under, preview_post, save_post
from ..revisions.autosave import newer_autosave
from ..revisions.history import count_revisions
from ..site_settings import blog_timezone, get_setting
from ..templating import edit_url, format_datetime

bp = Blueprint("editor", __name__, url_prefix="/admin")


require_login(bp)


@bp.get("/posts")
def posts():
    status = request.args.get("status", "all")
    if status not in posts_list.STATUSES:
        status = "all"
    search = posts_list.clean_search(request.args.get("s"))
    pagination = posts_list.posts_page(status, search, request.args.get("page", 1, type=int))
    ids = [p.id for p in pagination.items]
    return render_template(
        "editor/posts.html",
        pagination=pagination,
        posts=pagination.items,
        status=status,
        search=search,
        filters=posts_list.status_filters(search),
        undo=_undoable(request.args.get("trashed", type=int)),
        counts=archive.approved_counts(ids),
        linkbacks=delivery_summary(ids),
        purge_after=trash.purge_after,
        now=utcnow(),
    )


# The editor's CSRF token is checked by PostForm itself rather than by CSRFProtect, so that a
# missing or stale token re-renders the form (400) with everything typed, not an error page.
@bp.route("/posts/new", methods=["GET", "POST"])
@csrf.exempt
def new_post():
    return _edit(None, PostKind.POST)


@bp.route("/posts/<int:post_id>/edit", methods=["GET", "POST"])
@csrf.exempt
def edit_post(post_id):
    post = _post_or_404(post_id)
    if post.is_page:
        return redirect(url_for("editor.edit_page", post_id=post.id), code=_SAME_METHOD[request.method])
    return _edit_unless_trashed(post, PostKind.POST)


def _edit_unless_trashed(post: Post, kind: str):
    if post.is_trashed and request.method == "GET":  # as WordPress: restore it first
        flash(f"“{post.title}” is in the trash. Restore it to edit it.", "error")
        return redirect(url_for("editor.posts", status="trash"))
    return _edit(post, kind)  # a save sent from an editor left open is refused there, its text shown again


def _post_or_404(post_id: int) -> Post:
    """The post or page, in any state but deleted (a tombstone is nothing the owner can act on)."""
    post = db.get_or_404(Post, post_id)
    if post.status == PostStatus.DELETED:
        abort(404)
    return post


def _undoable(post_id: int | None) -> Post | None:
    """The post just moved to the trash, while it is still there: the list offers its Undo."""
    post = db.session.get(Post, post_id) if post_id else None
    return post if post is not None and post.is_trashed else None


# A post opened at a page's editor address, or the other way round, goes to its own; a form sent
# there is sent on (307 keeps the method and body).
_SAME_METHOD = {"GET": 302, "POST": 307}


@bp.get("/pages")
def pages():
    rows = all_pages()
    return render_template("editor/pages.html", pages=rows, counts=archive.approved_counts([p.id for p in rows]))


@bp.route("/pages/new", methods=["GET", "POST"])
@csrf.exempt
def new_page():
    return _edit(None, PostKind.PAGE)


@bp.route("/pages/<int:post_id>/edit", methods=["GET", "POST"])
@csrf.exempt
def edit_page(post_id):
    post = _post_or_404(post_id)
    if not post.is_page:
        return redirect(url_for("editor.edit_post", post_id=post.id), code=_SAME_METHOD[request.method])
    return _edit_unless_trashed(post, PostKind.PAGE)


def _form_for(post: Post | None, kind: str) -> PostForm:
    form_class = PageForm if kind == PostKind.PAGE else PostForm
    if request.method == "POST":
        form = form_class()
    elif post is None:
        form = form_class(
            allow_comments=get_setting("default_comment_status"),
            allow_pings=get_setting("default_ping_status"),
        )
    else:
        form = form_class(
            title=post.title,
            body=post.body_markdown,
            tags=", ".join(t.name for t in post.tags),
            categories=[c.id for c in post.categories],
            slug=post.slug,
            publish_date=local_time(post.published_at).replace(tzinfo=None) if post.published_at else None,
            allow_comments=post.allow_comments,
            allow_pings=post.allow_pings,
            trackback_urls=post.trackback_urls,
            menu_order=post.menu_order,
        )
        if request.args.get("autosave") == "restore" and (autosaved := newer_autosave(post)) is not None:
            form.title.data, form.body.data = autosaved.title, autosaved.body_markdown  # saved by Update only
    if kind == PostKind.POST:
        form.categories.choices = [(c.id, c.name) for c in all_categories()]
        if request.method == "GET" and post is None:
            form.categories.data = [c.id for c in all_categories() if c.is_default]
    return form


def _input_from(form: PostForm, kind: str) -> PostInput:
    date = form.publish_date.data
    data = PostInput(
        title=form.title.data.strip(),
        body=form.body.data or "",
        slug=(form.slug.data or "").strip(),
        publish_date=date.replace(tzinfo=blog_timezone()).astimezone(UTC) if date else None,
        allow_comments=form.allow_comments.data,
        allow_pings=form.allow_pings.data,
        trackback_urls=form.trackback_urls.data or "",
        kind=kind,
    )
    if kind == PostKind.PAGE:
        data.menu_order = form.menu_order.data or 0
    else:
        data.tags = form.tags.data or ""
        names = dict(form.categories.choices)
        data.categories = [names[i] for i in form.categories.data] + parse_category_names(form.new_category.data or "")
    return data


def _edit(post: Post | None, kind: str):
    if request.mimetype == "multipart/form-data":
        # The form may carry an image ("Upload image"): the body may be that much bigger, while each
        # text field stays within MAX_CONTENT_LENGTH (werkzeug's per-field limit), as a plain form's does.
        request.max_content_length = upload_request_limit()
        request.max_form_memory_size = current_app.config["MAX_CONTENT_LENGTH"]
    form = _form_for(post, kind)
    upload = ImageUploadForm(prefix="upload", meta={"csrf": False})
    action = request.form.get("action", "draft")
    if request.method == "POST" and action == "upload":
        return _upload_image(form, upload, post, kind)
    if request.method == "POST" and upload.image.data and upload.image.data.filename:
        upload.image.errors = ["You chose an image but did not press Upload. Choose it again and press Upload, "
                               "or save without it."]
        return _render_editor(form, post, kind, upload=upload, status=400)
    if request.method == "GET" or not form.validate():
        return _render_editor(form, post, kind, upload=upload, status=400 if request.method == "POST" else 200)
    data = _input_from(form, kind)
    if action == "preview":
        return _render_editor(form, post, kind, preview=preview_post(data, current_user, post), upload=upload)
    try:
        saved = save_post(post, data, publish=action == "publish", author=current_user)
    except SlugTaken as error:
        form.slug.errors = [*form.slug.errors, str(error)]
        return _render_editor(form, post, kind, upload=upload, status=400)
    except PostIsGone as error:  # trashed in another tab meanwhile: the text typed is shown again
        flash(f"Not saved: {error} Your text is below, to copy.", "error")
        return _render_editor(form, post, kind, upload=upload, status=409)
    wake_jobs()
    flash(_saved_message(saved), "success")
    return redirect(edit_url(saved))


def _upload_image(form: PostForm, upload: ImageUploadForm, post: Post | None, kind: str):
    """The editor's Upload button (used without JavaScript): the image is stored and its Markdown
    added at the end of Content; the page comes back with everything typed, the post not yet saved."""
    try:
        validate_csrf(form.csrf_token.data)
    except ValidationError:
        form.csrf_token.errors = ["The form's security token was missing or wrong."]
        return _render_editor(form, post, kind, upload=upload, status=400)
    try:
        result = store_upload(upload.image.data, upload.alt_text.data, current_user)
    except ImageRejected as error:
        (upload.alt_text if isinstance(error, AltTextRejected) else upload.image).errors = [str(error)]
        return _render_editor(form, post, kind, upload=upload, status=error.status)
    form.body.data = append_markdown(form.body.data, result.markdown)
    upload.alt_text.data = ""
    return _render_editor(form, post, kind, upload=upload, uploaded=result)


def _render_editor(
    form: PostForm,
    post: Post | None,
    kind: str,
    preview: Post | None = None,
    status: int = 200,
    upload: ImageUploadForm | None = None,
    uploaded: UploadResult | None = None,
):
    """The editor page, with the Linkbacks panel and, beside the form, what publishing would do:
    for the saved post, or for what was just previewed (judged against the saved post's outbox)."""
    shown = preview or post
    deliveries = post.deliveries if post is not None else []
    plan = plan_notifications(shown, post_url(shown, external=True), deliveries) if shown is not None else []
    return (
        render_template(
            "editor/edit_post.html", form=form, post=post, preview=preview, plan=plan, now=utcnow(),
            deliveries=deliveries, status_words=STATUS_WORDS, uploaded=uploaded,
            upload=upload or ImageUploadForm(prefix="upload", meta={"csrf": False}),
            noun="page" if kind == PostKind.PAGE else "post",
            autosave=newer_autosave(post) if request.method == "GET" else None,
            autosave_restored=request.method == "GET" and request.args.get("autosave") == "restore",
            revision_count=count_revisions(post) if post is not None else 0,
            autosave_url=_autosave_url(post, kind),
        ),
        status,
    )


def _autosave_url(post: Post | None, kind: str) -> str | None:
    """Where the editor's script autosaves to; none for a post in the trash."""
    if post is None:
        return url_for("revisions.autosave_new_post", kind=kind)
    return None if post.is_trashed else url_for("revisions.autosave_post", post_id=post.id)


@bp.post("/posts/<int:post_id>/linkbacks/resend")
def resend_all(post_id):
    post = _post_or_404(post_id)
    if post.is_trashed:
        abort(409)
    count = resend([d for d in post.deliveries if d.method != DeliveryMethod.SELF])
    wake_jobs()
    flash(f"{count} linkback{'s' if count != 1 else ''} queued to be sent again.", "success")
    return redirect(edit_url(post) + "#linkbacks")


@bp.post("/posts/<int:post_id>/linkbacks/<int:delivery_id>/resend")
def resend_one(post_id, delivery_id):
    delivery = db.session.get(Delivery, delivery_id)
    if delivery is None or delivery.post_id != post_id:
        abort(404)
    if delivery.post.is_gone:
        abort(409)
    resend([delivery])
    wake_jobs()
    flash(f"Queued to be sent again: {delivery.target}", "success")
    back = local_path_or_none(request.form.get("back"))  # the dashboard's Resend returns there
    return redirect(back or edit_url(delivery.post) + "#linkbacks")


def _saved_message(post: Post) -> str:
    noun = "Page" if post.is_page else "Post"
    if post.is_published:
        return f"{noun} published. It is at {post_url(post)}"
    if post.is_scheduled:
        return f"{noun} scheduled for {format_datetime(post.published_at)}."
    return "Draft saved."


@bp.get("/posts/<int:post_id>/preview")
def preview(post_id):
    """A draft or scheduled post as readers will see it; only the logged-in owner reaches it."""
    post = _post_or_404(post_id)
    if post.is_published:
        return redirect(post_url(post))
    if post.published_at is None:  # an undated draft shows the date publishing now would give it
        post.tags, post.categories, post.author  # noqa: B018 - loaded before it leaves the session
        db.session.expunge(post)
        post.published_at = utcnow()
    return (
        render_template("editor/preview_post.html", post=post),
        200,
        {"Cache-Control": "private, no-store", "X-Robots-Tag": "noindex"},
    )


def _list_args(default_status: str = "all", **extra) -> dict:
    """The posts list's filter, search and page the author acted from (sent back by its forms)."""
    status = request.form.get("status", default_status)
    args = {"status": status if status in posts_list.STATUSES else default_status}
    if search := posts_list.clean_search(request.form.get("s")):
        args["s"] = search
    if (page := request.form.get("page", 1, type=int)) > 1:
        args["page"] = page
    return {**args, **extra}


@bp.post("/posts/<int:post_id>/trash")
def move_to_trash(post_id):
    _post_or_404(post_id)
    try:
        outcome = trash.move_to_trash(post_id)
    except trash.NoSuchPost:
        abort(404)
    wake_jobs()
    flash(outcome.message, "success" if outcome.changed else "info")
    if db.session.get(Post, post_id).is_page:  # a page goes back to the Pages list (the Trash has its Restore)
        return redirect(url_for("editor.pages"))
    # The list then offers Undo for this post (a Restore form), as WordPress's notice does.
    return redirect(url_for("editor.posts", **_list_args(**({"trashed": post_id} if outcome.changed else {}))))


@bp.post("/posts/<int:post_id>/restore")
def restore(post_id):
    _post_or_404(post_id)
    try:
        outcome = trash.restore_from_trash(post_id)
    except trash.NoSuchPost:
        abort(404)
    wake_jobs()
    flash(outcome.message, "success" if outcome.changed else "info")
    return redirect(url_for("editor.posts", **_list_args("trash")))


@bp.route("/posts/<int:post_id>/delete", methods=["GET", "POST"])
def delete(post_id):
    post = _post_or_404(post_id)
    if not post.is_trashed:
        flash(f"“{post.title}” is not in the trash: move it to the trash first.", "error")
        return redirect(url_for("editor.posts"))
    if request.method == "GET":
        comments, mentions = count_comments_under(post)
        return render_template("editor/delete_post.html", post=post, comments=comments, mentions=mentions)
    try:
        outcome = trash.delete_permanently(post_id)
    except trash.NoSuchPost:
        abort(404)
    flash(outcome.message, "success" if outcome.changed else "info")
    return redirect(url_for("editor.posts", status="trash"))


@bp.route("/posts/trash/empty", methods=["GET", "POST"])
def empty_trash():
    if request.method == "GET":
        doomed = trash.trashed_ids()
        return render_template("editor/empty_trash.html", count=len(doomed), asked_at=utcnow().isoformat())
    try:
        asked_at = datetime.fromisoformat(request.form.get("asked_at", ""))
    except ValueError:
        asked_at = None
    if asked_at is None or asked_at.tzinfo is None:
        flash("The confirmation was incomplete; nothing was deleted. Please try again.", "error")
        return redirect(url_for("editor.empty_trash"))
    count = trash.empty_trash(asked_at)
    flash(f"{count} post{'s' if count != 1 else ''} deleted permanently.", "success")
    return redirect(url_for("editor.posts", status="trash"))
