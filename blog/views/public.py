"""What readers see: home, posts and pages with their comments, tag, category and month archives
(feeds: views/feeds.py)."""

from __future__ import annotations

from flask import Blueprint, abort, current_app, flash, g, redirect, render_template, request, url_for
from flask_login import current_user

from .. import archive, categories
from ..addresses import AddressState, resolve_page_address, resolve_permalink
from ..comments import (
    CommentInput,
    CommentRejected,
    add_visitor_comment,
    own_pending_comments,
    remember_own_comment,
)
from ..discussion import accepts_comments, accepts_pingbacks, accepts_trackbacks, comments_close_at, pings_close_at
from ..extensions import csrf, db
from ..forms import CommentForm
from ..jobs import wake_jobs
from ..models import Comment, CommentStatus, Post
from ..page_cache import expire_page_at
from ..permalinks import absolute_url_for, local_time, post_url
from ..search import search_posts
from ..site_settings import get_setting, get_settings
from ..threads import arrange
from ..wordpress.old_addresses import query_redirect

bp = Blueprint("public", __name__)

POST_RULE = "/<int(fixed_digits=4):year>/<int(fixed_digits=2):month>/<int(fixed_digits=2):day>/<slug>/"


@bp.get("/", defaults={"page": 1})
@bp.get("/page/<int:page>/")
def index(page):
    if "feed" in request.args:  # WordPress's /?feed=rss2 and kin
        from .feeds import named_feed  # the feeds blueprint builds on this one's POST_RULE

        return named_feed(request.args["feed"])
    if "s" in request.args:  # WordPress's search address, /?s=term (&paged=N)
        paged = request.args.get("paged", type=int) or 1
        return redirect(url_for("public.search", q=request.args["s"], **({"page": paged} if paged > 1 else {})), 301)
    if (old := query_redirect(request.args)) is not None:  # WordPress's /?p=123, /?page_id=4, /?m=202001
        return redirect(old, code=301) if old else abort(404)
    pagination = archive.newest_posts(page, get_setting("posts_per_page"))
    return render_template(
        "public/index.html",
        pagination=pagination,
        counts=archive.approved_counts([p.id for p in pagination.items]),
        page_endpoint="public.index",
        page_args={},
    )


@bp.get("/search/")
def search():
    text = request.args.get("q", "")
    if not text.strip():
        return render_template("public/search.html", results=None, query_text="")
    results = search_posts(
        text, page=request.args.get("page", 1, type=int), per_page=get_setting("posts_per_page"),
        max_chars=current_app.config["SEARCH_MAX_QUERY_CHARS"], max_terms=current_app.config["SEARCH_MAX_TERMS"],
    )
    if results.page > results.pages:
        abort(404)
    return render_template(
        "public/search.html", results=results, query_text=results.query.text,
        counts=archive.approved_counts([hit.post.id for hit in results.hits]),
    )


@bp.get(POST_RULE)
def post(year, month, day, slug):
    found = resolve_permalink(year, month, day, slug)
    if found is None:
        abort(404)
    if found.state == AddressState.GONE:
        abort(410)  # in the trash or deleted (WM-9): receivers of its webmentions drop them
    if found.state == AddressState.MOVED:
        return redirect(post_url(found.post), code=301)  # an old address, or a date not the post's
    return render_post(found.post, CommentForm())


def _discussion(post: Post, items, own_pending, page: int | None = None, showing: int | None = None):
    """The post's items as Settings -> Discussion arranges them, with this browser's pending comments."""
    settings = get_settings()
    return arrange(
        sorted([*items, *own_pending], key=lambda i: (i.created_at, i.id)) if own_pending else items,
        threaded=settings["thread_comments"],
        max_depth=settings["thread_comments_depth"],
        per_page=settings["comments_per_page"] if settings["page_comments"] else None,
        page=page,
        show_newest_page=settings["default_comments_page"] == "newest",
        newest_first=settings["comment_order"] == "desc",
        separate_mentions=settings["separate_mentions"],
        showing=showing,
    )


def comment_link(post: Post, comment: Comment) -> str:
    """Where a new comment is shown to its writer: its anchor, on the page of comments that holds it
    (as WordPress's get_comment_link), when comments are in pages and that is not the default one."""
    discussion = _discussion(post, archive.approved_items(post), own_pending_comments(post), showing=comment.id)
    query = f"?cpage={discussion.page}" if discussion.page != discussion.default_page else ""
    return f"{post_url(post)}{query}#comment-{comment.id}"


def render_post(post: Post, form: CommentForm, status: int = 200):
    settings = get_settings()
    items = archive.approved_items(post)
    archive.load_terms(post)
    own_pending = own_pending_comments(post)  # shown to this browser only, marked as waiting
    discussion = _discussion(post, items, own_pending, page=request.args.get("cpage", type=int))
    comments_open = accepts_comments(post)
    replying_to = None
    if comments_open and settings["thread_comments"]:
        wanted = request.args.get("replytocom", type=int) or form.parent_id.data
        replying_to = next((i for i in items if i.id == wanted and not i.is_linkback), None)
    if replying_to is not None:
        form.parent_id.data = replying_to.id
    g.pingbacks_open = accepts_pingbacks(post)
    for closing in (comments_close_at(post), pings_close_at(post)):
        expire_page_at(closing)  # the form and the trackback URL go away then
    return (
        render_template(
            "public/post.html",
            post=post,
            discussion=discussion,
            counts=archive.counts_of(items),
            neighbours=archive.adjacent_posts(post),
            form=form,
            comments_open=comments_open,
            replying_to=replying_to,
            pingbacks_open=g.pingbacks_open,
            trackbacks_open=accepts_trackbacks(post),
            link_rel="external nofollow ugc" if settings["nofollow_links"] else "external ugc",
            text_rel="nofollow ugc" if settings["nofollow_links"] else "ugc",
        ),
        status,
        # A page showing this browser's pending comment is its own: no shared cache may keep it.
        {"Cache-Control": "private, no-store"} if own_pending else {},
    )


@bp.after_app_request
def _advertise_pingback_server(response):
    """X-Pingback on every public page (PB-3), except a post whose pingbacks are closed, and the
    Webmention endpoint as an HTTP Link header (WM-1). Public pages include "not found" for an
    address no view matched (no blueprint), as for one a public view refused."""
    if request.blueprint not in (bp.name, None):
        return response
    if response.mimetype == "text/html" and get_setting("accept_pingbacks") and g.get("pingbacks_open", True):
        response.headers["X-Pingback"] = absolute_url_for("linkbacks.xmlrpc")
    if response.mimetype == "text/html" and get_setting("accept_webmentions"):
        response.headers.add("Link", f'<{absolute_url_for("linkbacks.webmention")}>; rel="webmention"')
    return response


@bp.post("/comment/<int:post_id>")
@csrf.exempt  # CommentForm checks the token itself, so a refused comment comes back with its text
def comment(post_id):
    post = db.get_or_404(Post, post_id)
    if not post.is_published:
        abort(410 if post.is_gone else 404)
    form = CommentForm()
    valid = form.validate()
    if get_setting("require_name_email") and not current_user.is_authenticated:
        valid = form.require_name_and_email() and valid
    if not valid:
        return render_post(post, form, 400)
    data = CommentInput(
        form.name.data or "", form.email.data or "", form.url.data or "", form.content.data, form.parent_id.data
    )
    if current_user.is_authenticated:
        data.name = data.name or current_user.public_name
        data.email = data.email or current_user.email
        data.url = data.url or current_user.website or get_setting("site_url")  # WordPress's user_url
    try:
        comment = add_visitor_comment(
            post,
            data,
            ip=request.remote_addr or "",
            user_agent=request.user_agent.string,
            by_owner=current_user.is_authenticated,
        )
    except CommentRejected as error:
        form.content.errors = [*form.content.errors, str(error)]
        return render_post(post, form, error.status_code)
    wake_jobs("mail")  # its notification, if any
    if comment.status == CommentStatus.APPROVED:
        flash("Your comment was published.", "success")
        return redirect(comment_link(post, comment))
    if comment.status == CommentStatus.PENDING:
        # Shown to this browser at its place, marked "awaiting moderation", where the visitor lands.
        remember_own_comment(comment)
        return redirect(comment_link(post, comment))
    # Spam: told the same, but never shown; the top of the page is where the notice is.
    flash("Thank you! Your comment is awaiting moderation.", "info")
    return redirect(post_url(post))


@bp.get("/tag/<slug>/", defaults={"page": 1})
@bp.get("/tag/<slug>/page/<int:page>/")
def tag(slug, page):
    return _term_page("tag", archive.find_tag(slug), slug, page)


@bp.get("/category/<slug>/", defaults={"page": 1})
@bp.get("/category/<slug>/page/<int:page>/")
def category(slug, page):
    return _term_page("category", categories.find_category(slug), slug, page)


def _term_page(name: str, found, slug: str, page: int):
    """A tag's or category's posts, newest first, a page at a time; 404 for none or past the last."""
    if found is None:
        abort(404)
    pagination = archive.newest_posts(page, get_setting("posts_per_page"), **{name: found})
    if not pagination.items:
        abort(404)
    return render_template(
        f"public/{name}.html",
        **{name: found},
        pagination=pagination,
        counts=archive.approved_counts([p.id for p in pagination.items]),
        page_endpoint=f"public.{name}",
        page_args={"slug": slug},
    )


@bp.get("/<int(fixed_digits=4):year>/<int(fixed_digits=2):month>/")
def month(year, month):
    posts = archive.posts_in_month(year, month)
    if not posts:
        abort(404)
    return render_template(
        "public/month.html",
        posts=posts,
        month_start=local_time(archive.month_bounds(year, month)[0]),
        counts=archive.approved_counts([p.id for p in posts]),
    )


@bp.get("/archives/")
def archives():
    return render_template("public/archives.html", months=archive.archive_months())


# Last, and without strict slashes: /about and /about/ both reach a page (the first redirected), and
# any other one-segment address is a plain 404 here rather than a redirect to a 404.
@bp.get("/<slug>/", strict_slashes=False)
def page(slug):
    found = resolve_page_address(slug)
    if found is None:
        abort(404)
    if found.state == AddressState.GONE:
        abort(410)  # in the trash or deleted, as a post's address
    if found.state == AddressState.MOVED or not request.path.endswith("/"):
        return redirect(post_url(found.post), code=301)
    return render_post(found.post, CommentForm())
