"""Helpers for the Settings -> Discussion tests (imported as `discussion_testing`): reading a form
as a browser would send it, changing discussion settings through the real page, and the three
ways in for readers' words: the comment form, a pingback over XML-RPC and a TrackBack POST."""

from __future__ import annotations

import xmlrpc.client
from urllib.parse import urlencode

import requests
from bs4 import BeautifulSoup
from defusedxml import ElementTree

from blog.comments import set_comment_status
from blog.extensions import db
from blog.models import Comment, CommentStatus

SETTINGS_URL = "/admin/settings/discussion"


def soup_of(response) -> BeautifulSoup:
    return BeautifulSoup(response.get_data(as_text=True), "html.parser")


def form_data(html: str, selector: str) -> dict[str, str]:
    """What a browser sends for the form as shown: ticked boxes, selected options, typed text;
    disabled controls and buttons left out."""
    form = BeautifulSoup(html, "html.parser").select_one(selector)
    assert form is not None, f"no {selector} on the page"
    data: dict[str, str] = {}
    for control in form.select("input, select, textarea"):
        name = control.get("name")
        if not name or control.has_attr("disabled"):
            continue
        if control.name == "select":
            option = control.select_one("option[selected]") or control.select_one("option")
            data[name] = option.get("value", option.get_text()) if option else ""
        elif control.name == "textarea":
            text = control.get_text()
            data[name] = text[2:] if text.startswith("\r\n") else text.removeprefix("\n")  # as HTML parsing does
        elif control.get("type", "text") in ("checkbox", "radio"):
            if control.has_attr("checked"):
                data[name] = control.get("value", "on")
        elif control.get("type", "text") not in ("submit", "button", "image", "reset"):
            data[name] = control.get("value", "")
    return data


def save_discussion(client, **changes):
    """Open Settings -> Discussion, change the given fields (True/False tick or untick a box) and
    press Save Changes; returns the response to the POST."""
    data = form_data(client.get(SETTINGS_URL).get_data(as_text=True), "form.discussion-form")
    for name, value in changes.items():
        if value is True:
            data[name] = "y"
        elif value is False:
            data.pop(name, None)
        else:
            data[name] = str(value)
    return client.post(SETTINGS_URL, data=data)


class Discussion:
    """Our blog with an author, served on loopback (for pingbacks and trackbacks) and through the
    test client (for the comment form), plus pytest-httpserver for the pages that link to us."""

    def __init__(self, app, author, live_server, httpserver):
        self.app, self.author, self.live, self.httpserver = app, author, live_server, httpserver
        self.visitor = app.test_client()
        app.config["COMMENT_FLOOD_SECONDS"] = 0

    def settings(self, **changes) -> None:
        response = save_discussion(self.author.client, **changes)
        assert response.status_code == 302, soup_of(response).select(".error")

    def publish(self, title: str, body: str = "Something to talk about.", **fields):
        return self.author.publish(title, body, **fields)

    def page(self, post, query: str = "", client=None) -> BeautifulSoup:
        response = (client or self.visitor).get(self.author.url_of(post) + query)
        assert response.status_code == 200
        return soup_of(response)

    def comment(self, post, text: str, client=None, query: str = "", **fields):
        """Fill in the comment form on the post page (after `query`, e.g. ?replytocom=1) and send it."""
        client = client or self.visitor
        html = client.get(self.author.url_of(post) + query).get_data(as_text=True)
        data = form_data(html, "form.comment-form")
        data.update({"name": "Visitor Vic", "email": "vic@example.com", "url": "", "content": text})
        data.update(fields)
        return client.post(f"/comment/{post.id}", data=data)

    def permalink(self, post) -> str:
        return self.live.url + self.author.url_of(post)

    def linking_page(self, path: str, post, title: str = "A linking post") -> str:
        """A page on the other server that links to the post; returns its URL."""
        self.httpserver.expect_request(path).respond_with_data(
            f"<html><head><title>{title}</title></head><body><p>I read "
            f"<a href='{self.permalink(post)}'>this post</a> today.</p></body></html>",
            content_type="text/html",
        )
        return self.httpserver.url_for(path)

    def pingback(self, post, source: str):
        """pingback.ping(source, permalink) over XML-RPC; the answer, or the Fault."""
        rpc = xmlrpc.client.ServerProxy(self.live.url + "/xmlrpc")
        try:
            return rpc.pingback.ping(source, self.permalink(post))
        except xmlrpc.client.Fault as fault:
            return fault

    def trackback(self, post, url: str, **fields) -> tuple[str | None, str | None]:
        """A TrackBack ping to the post; (error, message) of the answer."""
        body = urlencode({"url": url, "title": "Their post", "blog_name": "Their Blog", **fields})
        response = requests.post(
            self.permalink(post) + "trackback/", data=body,
            headers={"Content-Type": "application/x-www-form-urlencoded; charset=utf-8"}, timeout=10,
        )
        root = ElementTree.fromstring(response.content)
        return root.findtext("error"), root.findtext("message")

    def items(self) -> list[Comment]:
        """Every comment and linkback stored, oldest first (detached)."""
        with self.app.app_context():
            rows = db.session.execute(db.select(Comment).order_by(Comment.id)).scalars().all()
            db.session.expunge_all()
            return rows

    def last(self) -> Comment:
        return self.items()[-1]

    def approve(self, comment_id: int) -> None:
        with self.app.app_context():
            set_comment_status(db.session.get(Comment, comment_id), CommentStatus.APPROVED)
