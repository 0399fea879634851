"""One walk through the blog in a real browser (Debian's headless Chromium driven by Playwright):
first-run setup, writing a Markdown post, preview, publish, the feed, a visitor's comment, approval."""

from __future__ import annotations

from playwright.sync_api import expect


def test_setup_write_publish_comment_and_approve(browser, live_server):
    base = live_server.url
    owner = browser.new_context().new_page()

    # First visit: the blog sends us to setup.
    owner.goto(base + "/")
    expect(owner).to_have_url(base + "/setup")
    owner.get_by_label("Blog title").fill("Browser Blog")
    owner.get_by_label("Username").fill("writer")
    owner.get_by_label("Password").fill("a good password")
    owner.get_by_label("Email").fill("writer@example.com")
    owner.get_by_role("button", name="Install").click()

    # Setup signs us in and opens the editor.
    expect(owner).to_have_url(base + "/admin/posts/new")
    owner.get_by_label("Title").fill("My first post")
    owner.get_by_label("Content").fill("Hello **world**.\n\n## A heading\n\n| a | b |\n|---|---|\n| 1 | 2 |\n")
    owner.get_by_label("Tags").fill("greetings, tests")
    owner.get_by_role("button", name="Preview").click()
    preview = owner.locator(".preview")
    expect(preview.locator("strong")).to_have_text("world")
    expect(preview.locator("h2#a-heading")).to_have_text("A heading")
    expect(preview.locator("table td").first).to_have_text("1")
    expect(owner.get_by_label("Title")).to_have_value("My first post")  # nothing typed is lost

    owner.get_by_role("button", name="Publish").click()
    expect(owner.locator(".flash-success")).to_contain_text("Post published")
    expect(owner.get_by_role("button", name="Update")).to_be_visible()

    # Readers see it on the home page and in the feed.
    reader = browser.new_context().new_page()
    reader.goto(base + "/")
    expect(reader.get_by_role("heading", name="My first post")).to_be_visible()
    feed = reader.request.get(base + "/feed/")
    assert feed.ok and "application/atom+xml" in feed.headers["content-type"]
    assert "<title>My first post</title>" in feed.text()

    # A visitor comments; the comment waits for approval.
    reader.get_by_role("link", name="My first post").click()
    post_url = reader.url
    reader.get_by_label("Name").fill("Visitor Vic")
    reader.get_by_label("Email").fill("vic@example.com")
    reader.get_by_label("Website").fill("https://vic.example.org")
    reader.get_by_label("Comment").fill("Great post!\nSee https://example.net/page")
    reader.get_by_role("button", name="Post Comment").click()
    # It is shown to this reader only, at its place, marked as waiting.
    mine = reader.locator(".comment-list .comment-pending")
    expect(mine).to_contain_text("Your comment is awaiting moderation.")
    expect(mine).to_contain_text("Great post!")
    expect(mine).to_be_in_viewport()
    stranger = browser.new_context().new_page()
    stranger.goto(post_url)
    expect(stranger.locator(".comment-list")).to_have_count(0)
    stranger.context.close()

    # The owner approves it from the comments screen.
    owner.goto(base + "/admin/comments/")
    expect(owner.locator(".comments-table")).to_contain_text("Great post!")
    owner.get_by_role("button", name="Approve").click()
    expect(owner.locator(".flash-success")).to_contain_text("Approved")

    # Now readers see it, with the author's link marked nofollow ugc.
    reader.goto(post_url)
    comment = reader.locator(".comment-list .comment")
    expect(comment).to_contain_text("Great post!")
    author_link = comment.get_by_role("link", name="Visitor Vic", exact=True)
    expect(author_link).to_have_attribute("href", "https://vic.example.org")
    expect(author_link).to_have_attribute("rel", "external nofollow ugc")
    expect(comment.get_by_role("link", name="https://example.net/page")).to_have_attribute("rel", "nofollow ugc")
