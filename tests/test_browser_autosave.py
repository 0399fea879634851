"""Autosave in a real browser (headless Chromium): a new post typed in the editor saves itself as a
draft and the address becomes its editor's; a published post's autosave leaves it unchanged and is
offered back on return; leaving with unsaved changes asks first (beforeunload), saving does not."""

from __future__ import annotations

import re

from playwright.sync_api import expect

from blog.extensions import db
from blog.models import Post
from blog.revisions.tables import PostAutosave

NOTICE = "There is an autosave of this post that is more recent than the version below."


def stored(app, post_id: int) -> tuple[str, str, str]:
    with app.app_context():
        post = db.session.get(Post, post_id)
        return post.title, post.body_markdown, post.status


def type_at_end(page, text: str) -> None:
    content = page.get_by_label("Content")
    content.click()
    content.press("Control+End")
    content.press_sequentially(text)


def test_editor_autosaves_and_asks_before_leaving_unsaved_changes(app, browser, live_server):
    app.config["AUTOSAVE_INTERVAL_SECONDS"] = 1
    base = live_server.url
    page = browser.new_context().new_page()
    problems, dialogs = [], []
    page.on("console", lambda message: message.type == "error" and problems.append(message.text))
    page.on("pageerror", lambda error: problems.append(str(error)))

    def answer(dialog):
        dialogs.append(dialog.type)
        dialog.accept()

    page.on("dialog", answer)

    page.goto(base + "/setup")
    page.get_by_label("Blog title").fill("Autosave Blog")
    page.get_by_label("Username").fill("writer")
    page.get_by_label("Password").fill("a good password")
    page.get_by_label("Email").fill("writer@example.com")
    page.get_by_role("button", name="Install").click()
    expect(page).to_have_url(base + "/admin/posts/new")

    # A new post: typing makes it a draft, and the address becomes the draft's editor.
    page.get_by_label("Title").press_sequentially("Typed in a browser")
    page.get_by_label("Content").press_sequentially("First words <b>bold</b>.")
    expect(page.locator(".autosave-status")).to_contain_text("Draft saved at", timeout=15000)
    expect(page).to_have_url(re.compile(re.escape(base) + r"/admin/posts/(\d+)/edit$"))
    post_id = int(re.search(r"/admin/posts/(\d+)/edit", page.url).group(1))
    assert stored(app, post_id) == ("Typed in a browser", "First words <b>bold</b>.", "draft")

    # A change the autosave does not keep (Tags) arms the prompt: leaving asks first.
    page.get_by_label("Tags").press_sequentially("unsaved tag")
    page.goto(base + "/admin/posts")
    assert dialogs == ["beforeunload"]

    # Publishing from the editor asks nothing.
    page.goto(base + f"/admin/posts/{post_id}/edit")
    type_at_end(page, " More.")
    page.get_by_role("button", name="Publish").click()
    expect(page.locator(".flash-success")).to_contain_text("Post published")
    assert dialogs == ["beforeunload"]
    assert stored(app, post_id) == ("Typed in a browser", "First words <b>bold</b>. More.", "published")

    # A published post: the autosave goes aside, the live post is unchanged, and is offered on return.
    type_at_end(page, " Autosaved only.")
    expect(page.locator(".autosave-status")).to_contain_text("Autosaved", timeout=15000)
    assert stored(app, post_id)[1] == "First words <b>bold</b>. More."
    with app.app_context():
        row = db.session.execute(db.select(PostAutosave).filter_by(post_id=post_id)).scalar_one()
        assert row.body_markdown == "First words <b>bold</b>. More. Autosaved only."
    page.reload()
    assert dialogs == ["beforeunload", "beforeunload"]  # the live post still lacks the typed text
    expect(page.get_by_text(NOTICE)).to_be_visible()
    page.get_by_role("link", name="Restore the autosave").click()
    expect(page.get_by_label("Content")).to_have_value("First words <b>bold</b>. More. Autosaved only.")
    page.get_by_role("button", name="Update").click()
    expect(page.locator(".flash-success")).to_contain_text("Post published")
    assert stored(app, post_id)[1] == "First words <b>bold</b>. More. Autosaved only."
    expect(page.get_by_text(NOTICE)).to_have_count(0)
    page.get_by_role("link", name="Revisions (1)").click()
    expect(page.get_by_role("button", name="Restore This Revision")).to_be_visible()
    assert dialogs == ["beforeunload", "beforeunload"]
    assert problems == []


def test_publishing_while_the_first_autosave_is_on_its_way_makes_one_post(app, browser, live_server):
    app.config["AUTOSAVE_INTERVAL_SECONDS"] = 1
    base = live_server.url
    page = browser.new_context().new_page()
    page.goto(base + "/setup")
    page.get_by_label("Blog title").fill("Autosave Blog")
    page.get_by_label("Username").fill("writer")
    page.get_by_label("Password").fill("a good password")
    page.get_by_label("Email").fill("writer@example.com")
    page.get_by_role("button", name="Install").click()
    expect(page).to_have_url(base + "/admin/posts/new")

    held = []

    def hold(route):  # the server handles the autosave at once; the page gets its answer when let go
        held.append((route, route.fetch()))

    page.route("**/autosave", hold)
    page.get_by_label("Title").press_sequentially("Raced")
    page.get_by_label("Content").press_sequentially("Typed, then published at once.")
    for _ in range(100):
        if held:
            break
        page.wait_for_timeout(100)
    assert held, "no autosave was sent"
    page.get_by_role("button", name="Publish").click()
    page.wait_for_timeout(300)
    route, answer = held[0]
    route.fulfill(response=answer)
    expect(page.locator(".flash-success")).to_contain_text("Post published")
    with app.app_context():
        posts = db.session.execute(db.select(Post)).scalars().all()
        assert [(p.title, p.status) for p in posts] == [("Raced", "published")]
