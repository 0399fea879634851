"""The editor's linkback surfaces say what really happened and what will happen: the plan beside the
editor, each target's state in plain words, and typed trackbacks a page did not need."""

from __future__ import annotations

import socket
from datetime import timedelta
from pathlib import Path

import pytest
from bs4 import BeautifulSoup
from webmention_peers import WebmentionPeer

from blog.extensions import db
from blog.jobs.deliveries import deliver_due
from blog.models import Delivery, utcnow


@pytest.fixture
def peer(remote_blog):
    return WebmentionPeer(remote_blog.server)


def offer_webmention(peer, path: str) -> str:
    peer.endpoint("/webmention")
    return peer.page(path, headers=[("Link", f'<{peer.url("/webmention")}>; rel="webmention"')])


def deliver(app, now=None) -> int:
    with app.app_context():
        return deliver_due(now)


def rows(app, post_id: int) -> list[Delivery]:
    with app.app_context():
        found = list(db.session.execute(
            db.select(Delivery).filter_by(post_id=post_id).order_by(Delivery.id)).scalars())
        db.session.expunge_all()
        return found


def plan_items(html: str) -> dict[str, str]:
    """The plan's lines, by target URL, as the author reads them."""
    section = BeautifulSoup(html, "html.parser").find(class_="linkback-plan")
    assert section is not None, "no plan on the page"
    return {li.a["href"]: " ".join(li.get_text(" ").split()) for li in section.find_all("li")}


def panel_details(html: str) -> dict[str, tuple[str, str]]:
    """The Linkbacks panel's (status, answer in plain words) by target URL."""
    table = BeautifulSoup(html, "html.parser").find(class_="deliveries-table")
    return {
        tr.find(class_="target").a["href"]: (
            " ".join(tr.find(class_="status").get_text(" ").split()),
            " ".join(tr.find(class_="detail").p.get_text(" ").split()),  # the answer, not the times
        )
        for tr in table.tbody.find_all("tr")
    }


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def test_update_plan_says_what_happens_to_each_target(app, author, remote_blog, peer, httpserver):
    """Issue "Finished surfaces…" (2): "Updating will notify" listed every earlier target as
    "Skipped … already notified", even those that got nothing or were still being retried."""
    told = offer_webmention(peer, "/told/")
    bare = remote_blog.post_page("/bare/", pingback=None)
    httpserver.expect_request("/flaky/").respond_with_data("down", status=503)
    flaky = httpserver.url_for("/flaky/")
    httpserver.expect_request("/gone/").respond_with_data("no such page", status=404)
    gone = httpserver.url_for("/gone/")
    post = author.publish("Links", f"[a]({told}) [b]({bare}) [c]({flaky}) [d]({gone})")
    now = utcnow()
    deliver(app, now)

    plan = plan_items(author.client.get(f"/admin/posts/{post.id}/edit").get_data(as_text=True))
    assert "already notified by webmention on" in plan[told]
    assert "no endpoint found last time: not tried again" in plan[bare]
    assert "still retrying (attempt 2 of 6, next at" in plan[flaky]
    assert "failed:" in plan[gone] and "404 Not Found" in plan[gone]
    assert all("already notified" not in plan[url] for url in (bare, flaky, gone))

    response = author.save("Links", f"[b]({bare}) [c]({flaky}) [d]({gone})", action="preview", post_id=post.id)
    plan = plan_items(response.get_data(as_text=True))
    assert "will be told the link was removed" in plan[told]


def test_panel_says_plainly_why_nothing_was_delivered(app, author, httpserver):
    """Issue "Finished surfaces…" (3): a 404 page was reported as offering no endpoint, and an
    unreachable host showed "[Errno 111] Connection refused"."""
    app.config["LINKBACK_READ_TIMEOUT_SECONDS"] = 0.5
    httpserver.expect_request("/gone/").respond_with_data("no such page", status=404)
    gone = httpserver.url_for("/gone/")
    refused = f"http://127.0.0.1:{free_port()}/post/"
    nowhere = "http://nowhere.invalid/post/"
    with socket.socket() as silent:  # accepts connections, never answers
        silent.bind(("127.0.0.1", 0))
        silent.listen()
        mute = f"http://127.0.0.1:{silent.getsockname()[1]}/post/"
        post = author.publish("Links", f"[a]({gone}) [b]({refused}) [c]({nowhere}) [d]({mute})")
        deliver(app)
    details = panel_details(author.client.get(f"/admin/posts/{post.id}/edit").get_data(as_text=True))
    assert "The page answered 404 Not Found." in details[gone][1]
    assert "neither a webmention endpoint" not in details[gone][1]
    assert "Could not connect to 127.0.0.1." in details[refused][1]
    assert "The address of nowhere.invalid could not be found." in details[nowhere][1]
    assert "127.0.0.1 did not answer in time." in details[mute][1]
    assert not any("Errno" in detail or "cannot " in detail for _status, detail in details.values())


def test_panel_shows_the_remote_blogs_own_message_escaped(app, author, remote_blog, httpserver):
    """Issue "Finished surfaces…" (3): an endpoint's refusal is shown with the remote blog's own
    words (escaped, shortened), not only its HTTP status."""
    httpserver.expect_request("/refusing/").respond_with_data(
        "<html></html>", content_type="text/html", headers={"X-Pingback": httpserver.url_for("/closed-xmlrpc")}
    )
    httpserver.expect_request("/closed-xmlrpc", method="POST").respond_with_data(
        "Pings are <b>closed</b> here " + "because " * 100, status=403, content_type="text/plain"
    )
    refusing = httpserver.url_for("/refusing/")
    post = author.publish("Links", f"[a]({refusing})")
    deliver(app)
    html = author.client.get(f"/admin/posts/{post.id}/edit").get_data(as_text=True)
    status, detail = panel_details(html)[refusing]
    assert "The pingback server answered 403 Forbidden: “Pings are <b>closed</b> here because" in detail
    assert "&lt;b&gt;closed&lt;/b&gt;" in html and detail.endswith("…”") and len(detail) < 320


def test_plan_is_beside_the_editor_before_publishing(app, author, remote_blog):
    """Issue "Finished surfaces…" (4): "Publishing will notify" appeared only after Preview, below
    the form; it belongs beside the editor, from the saved draft, and follows each Preview."""
    first = remote_blog.post_page("/first/")
    second = remote_blog.post_page("/second/")
    response = author.save("Draft", f"[x]({first})", action="draft")
    post_id = int(response.headers["Location"].split("/")[-2])

    def beside_the_form(html: str):
        soup = BeautifulSoup(html, "html.parser")
        layout = soup.find(class_="editor-layout")
        assert layout is not None and layout.find("form", class_="editor-form") is not None
        aside = layout.find("aside", class_="linkback-plan")
        assert aside is not None, "the plan is not beside the editor"
        return aside

    html = author.client.get(f"/admin/posts/{post_id}/edit").get_data(as_text=True)
    aside = beside_the_form(html)
    assert "Publishing will notify" in aside.get_text() and first in str(aside)

    html = author.save("Draft", f"[y]({second})", action="preview", post_id=post_id).get_data(as_text=True)
    aside = beside_the_form(html)
    assert second in str(aside) and first not in str(aside)

    new = author.client.get("/admin/posts/new").get_data(as_text=True)
    assert "Publishing will notify" in beside_the_form(new).get_text()
    soup = BeautifulSoup(new, "html.parser")
    scripts = soup.find_all("script")
    assert all(s.get("src") and not s.string for s in scripts)  # the admin's CSP allows no inline script
    assert any(s["src"].split("?")[0].endswith("/static/js/linkback-plan.js") for s in scripts)
    assert Path(app.static_folder, "js", "linkback-plan.js").is_file()
    assert remote_blog.server.log == []


def test_trackback_skipped_for_a_page_our_webmention_told_is_its_own_state(app, author, remote_blog, peer):
    """Issue "Finished surfaces…" (15): a typed trackback URL whose page already got our
    webmention was marked "already registered", which reads like the remote blog's answer though
    nothing was sent to it."""
    target = offer_webmention(peer, "/post/")
    post = author.publish("Both", f"[x]({target})", trackback_urls=target + "trackback/")
    deliver(app)
    link, trackback = rows(app, post.id)
    assert (link.status, trackback.status) == ("sent", "not_sent")
    html = author.client.get(f"/admin/posts/{post.id}/edit").get_data(as_text=True)
    status, detail = panel_details(html)[target + "trackback/"]
    assert status == "not sent" and "this page already got our webmention" in detail
    assert "already registered" not in html
    assert "this page already got our webmention" in plan_items(html)[target + "trackback/"]
    listing = author.client.get("/admin/posts").get_data(as_text=True)
    assert "1 not sent" in listing
    deliver(app, utcnow() + timedelta(days=1))
    assert remote_blog.trackbacks == []


def test_readme_says_which_typed_trackback_urls_are_pinged():
    """Issue "Finished surfaces…" (15): the README said every URL in "Send trackbacks to" gets a
    TrackBack ping, though one whose page already got our webmention or pingback is not sent."""
    readme = Path(__file__).parents[2].joinpath("README.md").read_text(encoding="utf-8")
    linkbacks_out = readme.split("## Linkbacks out", 1)[1].split("\n## ", 1)[0]
    assert "box gets a TrackBack ping. " not in linkbacks_out
    assert "not sent: this page already got our webmention" in linkbacks_out
