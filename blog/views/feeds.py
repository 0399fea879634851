"""The feeds: posts, a tag's or a category's posts, all comments, one post's or page's comments; each
in Atom (the plain address) and RSS 2.0 (…/rss2/), answered with an ETag and Last-Modified, and 304
when unchanged."""

from __future__ import annotations

from flask import Blueprint, Response, abort, redirect, request, url_for

from .. import archive, categories, pages
from ..addresses import AddressState, resolve_permalink
from ..feeds import FeedDocument, FeedFormat, discussion_feed, posts_feed
from ..http_caching import conditional
from ..permalinks import permalink_values
from .public import POST_RULE

bp = Blueprint("feeds", __name__)

FORMATS = "<any(atom, rss2):fmt>/"
ATOM = {"fmt": "atom"}  # the plain address (…/feed/) is Atom, as it always was here
# WordPress's ?feed= names, asked of the home page by other software and old links.
NAMED_FEEDS = {
    "rss2": (posts_feed, FeedFormat.RSS2), "rss": (posts_feed, FeedFormat.RSS2),
    "atom": (posts_feed, FeedFormat.ATOM),
    "comments-rss2": (discussion_feed, FeedFormat.RSS2), "comments-atom": (discussion_feed, FeedFormat.ATOM),
}


def feed_response(document: FeedDocument) -> Response:
    response = Response(document.body, mimetype=document.format.mimetype)
    return conditional(response, request, last_modified=document.last_modified)


@bp.get("/feed/", defaults=ATOM)
@bp.get("/feed/" + FORMATS)
def posts(fmt):
    return feed_response(posts_feed(FeedFormat(fmt)))


@bp.get("/tag/<slug>/feed/", defaults=ATOM)
@bp.get("/tag/<slug>/feed/" + FORMATS)
def tag(slug, fmt):
    found = archive.find_tag(slug)
    if found is None or not archive.newest_posts(1, 1, tag=found).items:
        abort(404)  # as the tag page: a tag only drafts use is not shown
    return feed_response(posts_feed(FeedFormat(fmt), found))


@bp.get("/category/<slug>/feed/", defaults=ATOM)
@bp.get("/category/<slug>/feed/" + FORMATS)
def category(slug, fmt):
    found = categories.find_category(slug)
    if found is None or not categories.has_published_posts(found):
        abort(404)  # as the category page: one only drafts use is not shown
    return feed_response(posts_feed(FeedFormat(fmt), category=found))


@bp.get("/comments/feed/", defaults=ATOM)
@bp.get("/comments/feed/" + FORMATS)
def comments(fmt):
    return feed_response(discussion_feed(FeedFormat(fmt)))


@bp.get(POST_RULE + "feed/", defaults=ATOM)
@bp.get(POST_RULE + "feed/" + FORMATS)
def post_comments(year, month, day, slug, fmt):
    found = resolve_permalink(year, month, day, slug)
    if found is None:
        abort(404)
    if found.state == AddressState.GONE:
        abort(410)
    if found.state == AddressState.MOVED:
        return redirect(url_for("feeds.post_comments", fmt=fmt, **permalink_values(found.post)), code=301)
    return feed_response(discussion_feed(FeedFormat(fmt), found.post))


@bp.get("/<slug>/feed/", defaults=ATOM)
@bp.get("/<slug>/feed/" + FORMATS)
def page_comments(slug, fmt):
    found = pages.find_published_page(slug)
    if found is None:
        abort(404)
    return feed_response(discussion_feed(FeedFormat(fmt), found))


def named_feed(name: str) -> Response:
    """The feed WordPress's ?feed=<name> asks for, served in place (404 for a name it has not)."""
    if name not in NAMED_FEEDS:
        abort(404)
    build, fmt = NAMED_FEEDS[name]
    return feed_response(build(fmt))


@bp.app_context_processor
def _feed_links():
    return {"main_feed_url": url_for("feeds.posts")}
