"""Protocol adapters for incoming linkbacks: /xmlrpc (pingback), <permalink>trackback/ and /webmention.
CSRF-exempt by nature: other blogs' servers call them, with no session."""

from __future__ import annotations

from flask import Blueprint, current_app, render_template, request
from markupsafe import escape

from ..addresses import AddressState, resolve_page_address, resolve_permalink
from ..extensions import csrf
from ..jobs import wake_jobs
from ..linkbacks.receiving import Caller, TrackbackRefused, accept_trackback, decode_trackback_form
from ..linkbacks.webmention_receiving import WebmentionRefused, find_request, receive_webmention
from ..linkbacks.xmlrpc_server import handle_xmlrpc, too_large_answer
from ..permalinks import absolute_url_for
from .public import POST_RULE

bp = Blueprint("linkbacks", __name__)

XMLRPC_GET_TEXT = (
    "This is the blog's XML-RPC endpoint. It takes pingbacks (pingback.ping) sent with POST, "
    "as other blogs do when they link to a post here.\n"
)


WEBMENTION_GET_TEXT = (
    "This is the blog's Webmention endpoint: POST source and target (form-encoded) to tell it about a link.\n"
)


def _caller() -> Caller:
    return Caller(ip=request.remote_addr or "", user_agent=request.user_agent.string, base_url=request.host_url)


def _read_capped() -> bytes | None:
    """The request body, or None when it is larger than LINKBACK_REQUEST_MAX_BYTES (not read)."""
    limit = current_app.config["LINKBACK_REQUEST_MAX_BYTES"]
    if request.content_length is not None and request.content_length > limit:
        return None
    body = request.stream.read(limit + 1)
    return None if len(body) > limit else body


@bp.route("/xmlrpc.php", methods=["GET", "POST"])  # where WordPress clients look
@bp.route("/xmlrpc", methods=["GET", "POST"])  # registered first: the one url_for gives
@csrf.exempt
def xmlrpc():
    if request.method == "GET":
        return XMLRPC_GET_TEXT, 405, {"Allow": "POST", "Content-Type": "text/plain; charset=utf-8"}
    body = _read_capped()
    if body is None:
        answer = too_large_answer(current_app.config["LINKBACK_REQUEST_MAX_BYTES"])
    else:
        answer = handle_xmlrpc(body, _caller())
        wake_jobs("linkback_checks")  # a pingback taken waits for its source check
    return answer, 200, {"Content-Type": "text/xml; charset=utf-8"}


def trackback_reply(error: str | None = None, status: int = 200):
    """The TrackBack answer (TB-4/TB-5)."""
    if error is None:
        body = '<?xml version="1.0" encoding="utf-8"?>\n<response>\n<error>0</error>\n</response>\n'
    else:
        body = (
            '<?xml version="1.0" encoding="utf-8"?>\n<response>\n<error>1</error>\n'
            f"<message>{escape(error)}</message>\n</response>\n"
        )
    return body, status, {"Content-Type": "text/xml; charset=utf-8"}


@bp.route(POST_RULE + "trackback/", methods=["GET", "POST"])
@csrf.exempt
def trackback(year, month, day, slug):
    found = resolve_permalink(year, month, day, slug)  # an old address of the post takes its pings too
    if found is None:
        return trackback_reply("No such post here.", 404)
    if found.state == AddressState.GONE:
        return trackback_reply("This post has been deleted.", 410)
    return _trackback(found.post)


@bp.route("/<slug>/trackback/", methods=["GET", "POST"])
@csrf.exempt
def page_trackback(slug):
    found = resolve_page_address(slug)
    if found is None:
        return trackback_reply("No such page here.", 404)
    if found.state == AddressState.GONE:
        return trackback_reply("This page has been deleted.", 410)
    return _trackback(found.post)


def _trackback(post):
    if request.method == "GET":
        text = (
            f"This is the TrackBack URL of “{post.title}”. Blogs that link to the post send their "
            "TrackBack ping here with POST (url, title, excerpt, blog_name).\n"
        )
        return text, 405, {"Allow": "POST", "Content-Type": "text/plain; charset=utf-8"}
    body = _read_capped()
    if body is None:
        return trackback_reply("The ping is too large.", 413)
    try:
        fields = decode_trackback_form(body, request.mimetype_params.get("charset"))
        accept_trackback(post, fields, _caller())
    except TrackbackRefused as refused:
        return trackback_reply(str(refused), refused.status)
    wake_jobs("linkback_checks", "mail")
    return trackback_reply()


@bp.route("/webmention", methods=["GET", "POST"])
@csrf.exempt
def webmention():
    if request.method == "GET":
        return WEBMENTION_GET_TEXT, 405, {"Allow": "POST", "Content-Type": "text/plain; charset=utf-8"}
    try:
        received = receive_webmention(request.form.get("source", ""), request.form.get("target", ""), _caller())
    except WebmentionRefused as refused:
        return f"{refused}\n", refused.status, {"Content-Type": "text/plain; charset=utf-8"}
    wake_jobs("webmentions")
    status_url = absolute_url_for("linkbacks.webmention_status", token=received.token)
    text = f"Webmention queued for verification. Its status: {status_url}\n"
    return text, 201, {"Location": status_url, "Content-Type": "text/plain; charset=utf-8"}


@bp.get("/webmention/<token>")
def webmention_status(token):
    received = find_request(token)
    if received is None:
        return "No such webmention.\n", 404, {"Content-Type": "text/plain; charset=utf-8"}
    return render_template("linkbacks/webmention_status.html", received=received)
