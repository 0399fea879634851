"""Images in the editor, in a real browser (headless Chromium): chosen with "Upload image", pasted and
dropped into Content, each asked for its alt text, its Markdown inserted at the cursor; a refused file
says why; the published post shows the image from its srcset. No script breaks the admin's CSP."""

from __future__ import annotations

import base64
import re

from media_testing import image_bytes, jpeg_with_gps
from playwright.sync_api import expect

UPLOAD = r"/uploads/\d{4}/\d{2}/%s-[0-9a-f]{8}\.%s"

SEND_FILE = """([kind, b64, name, type]) => {
  const bytes = Uint8Array.from(atob(b64), (c) => c.charCodeAt(0));
  const transfer = new DataTransfer();
  transfer.items.add(new File([bytes], name, { type }));
  const content = document.getElementById("body");
  content.focus();
  const event = kind === "paste"
    ? new ClipboardEvent("paste", { clipboardData: transfer, bubbles: true, cancelable: true })
    : new DragEvent("drop", { dataTransfer: transfer, bubbles: true, cancelable: true });
  content.dispatchEvent(event);
}"""


def test_editor_uploads_chosen_pasted_and_dropped_images(browser, live_server):
    base = live_server.url
    page = browser.new_context().new_page()
    problems = []
    # Script errors and CSP violations (the refused upload's own 400 is expected, not a problem).
    page.on("console", lambda message: message.type == "error" and not message.text.startswith(
        "Failed to load resource: the server responded with a status of 400") and problems.append(message.text))
    page.on("pageerror", lambda error: problems.append(str(error)))
    answers = iter(["A wide gradient", "A pasted square", "A dropped square", "Never stored"])
    asked = []

    def answer(dialog):
        asked.append(dialog.message)
        dialog.accept(next(answers))

    page.on("dialog", answer)

    page.goto(base + "/setup")
    page.get_by_label("Blog title").fill("Media Blog")
    page.get_by_label("Username").fill("writer")
    page.get_by_label("Password").fill("a good password")
    page.get_by_label("Email").fill("writer@example.com")
    page.get_by_role("button", name="Install").click()
    expect(page).to_have_url(base + "/admin/posts/new")

    content = page.get_by_label("Content")
    page.get_by_label("Title").fill("Pictures")
    content.fill("Intro text.")
    # With the script, the image is sent as soon as it is chosen; the no-script fields step aside.
    expect(page.get_by_label("Alt text")).to_be_hidden()
    expect(page.get_by_role("button", name="Upload", exact=True)).to_be_hidden()
    page.get_by_label("Upload image").set_input_files(
        {"name": "wide.jpg", "mimeType": "image/jpeg", "buffer": jpeg_with_gps(1400, 700)}
    )
    expect(content).to_have_value(re.compile(r"^Intro text\.\n\n!\[A wide gradient\]\(" + UPLOAD % ("wide", "jpg")
                                             + r"\)\n$"))
    expect(page.locator(".upload-status")).to_have_text("Uploaded wide.jpg; its Markdown is in Content.")
    assert "wide.jpg" in asked[0]

    png = base64.b64encode(image_bytes(60, 60)).decode()
    page.evaluate(SEND_FILE, ["paste", png, "pasted.png", "image/png"])
    expect(content).to_have_value(re.compile(r"!\[A pasted square\]\(" + UPLOAD % ("pasted", "png") + r"\)\n$"))
    page.evaluate(SEND_FILE, ["drop", png, "dropped.png", "image/png"])
    expect(content).to_have_value(re.compile(r"!\[A dropped square\]\(" + UPLOAD % ("dropped", "png") + r"\)\n$"))

    text = base64.b64encode(b"not a picture at all").decode()
    page.evaluate(SEND_FILE, ["paste", text, "fake.png", "image/png"])
    expect(page.locator(".upload-status")).to_contain_text("not an image this blog accepts")
    assert "Never stored" not in content.input_value()

    page.get_by_role("button", name="Publish").click()
    expect(page.locator(".flash-success")).to_contain_text("Post published")
    page.get_by_role("link", name="View post").click()
    image = page.get_by_role("img", name="A wide gradient")
    image.scroll_into_view_if_needed()
    expect(image).to_have_attribute("srcset", re.compile(r"-640w\.jpg 640w, .*-1280w\.jpg 1280w, .* 1400w$"))
    page.wait_for_function("document.querySelector('img[alt=\"A wide gradient\"]').complete")
    assert image.evaluate("img => img.naturalWidth") > 0
    assert "/uploads/" in image.evaluate("img => img.currentSrc")

    page.goto(base + "/admin/media")
    expect(page.locator(".media-table tbody tr")).to_have_count(3)
    expect(page.locator(".media-table .used-in").first).to_contain_text("Pictures")
    assert problems == []
