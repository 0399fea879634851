"""Uploads built to hurt: files that are not images (renamed text, SVG, polyglots), decompression
bombs, oversized and truncated files, hostile file names, uploads in parallel, visitors and forged
requests. Each gets a clear message and nothing is stored."""

from __future__ import annotations

import io
import threading
from pathlib import Path

import pytest
import requests
from blog_testing import PASSWORD, csrf_token, snapshot
from media_testing import SVG, image_bytes, jpeg_with_gps, noise_png, png_bomb
from test_media_uploads import stored_files, upload_in_editor, upload_json

from blog.extensions import db
from blog.media.tables import MediaItem

NOT_AN_IMAGE = "not an image this blog accepts"
DAMAGED = "damaged or incomplete"


def assert_refused(app, before, response, status: int, message: str):
    assert response.status_code == status, response.get_data(as_text=True)[:500]
    text = response.get_json()["error"] if response.is_json else response.get_data(as_text=True)
    assert message in text
    assert snapshot(app) == before
    assert stored_files(app) == []


@pytest.mark.parametrize("send", [upload_json, upload_in_editor])
@pytest.mark.parametrize(
    "filename, data, message",
    [
        ("notes.jpg", b"Just some text, renamed to look like a photo.\n" * 20, NOT_AN_IMAGE),
        ("drawing.svg", SVG, NOT_AN_IMAGE),
        ("empty.png", b"", "The file is empty"),
        ("page.png", b"<html><script>alert(1)</script></html>" + image_bytes(), NOT_AN_IMAGE),
        ("picture.bmp", image_bytes(20, 20, "BMP"), NOT_AN_IMAGE),
        ("cut.jpg", jpeg_with_gps(600, 400)[:6000], DAMAGED),
        ("cut.png", noise_png(20_000)[:-5000], DAMAGED),
    ],
    ids=["text renamed .jpg", "svg", "empty", "html then png", "bmp", "truncated jpeg", "truncated png"],
)
def test_files_that_are_not_whole_accepted_images_are_refused(app, author, send, filename, data, message):
    before = snapshot(app)
    assert_refused(app, before, send(author, data, filename), 400, message)


@pytest.mark.parametrize("send", [upload_json, upload_in_editor])
def test_png_bomb_is_refused_before_it_is_decoded(app, author, send):
    bomb = png_bomb(20000, 20000)
    assert len(bomb) < 200_000  # small on the wire, 400 megapixels once decoded
    before = snapshot(app)
    response = send(author, bomb, "bomb.png")
    assert_refused(app, before, response, 400, "The image is too large")
    assert "megapixels" in (response.get_json()["error"] if response.is_json else response.get_data(as_text=True))


def test_pillow_bomb_guard_answers_with_the_same_message(app, author):
    """Our limit raised past Pillow's own: Pillow's DecompressionBombError is still a clear refusal."""
    app.config["UPLOAD_MAX_PIXELS"] = 10**12
    before = snapshot(app)
    assert_refused(app, before, upload_json(author, png_bomb(20000, 20000), "bomb.png"), 400,
                   "The image is too large")


def test_pixel_limit_is_configurable(app, author):
    app.config["UPLOAD_MAX_PIXELS"] = 100 * 100
    before = snapshot(app)
    assert_refused(app, before, upload_json(author, image_bytes(101, 100), "wide.png"), 400,
                   "at most 0.01 megapixels")
    assert upload_json(author, image_bytes(100, 100), "fits.png").status_code == 200


def test_animation_with_too_many_frames_is_refused(app, author):
    app.config["UPLOAD_MAX_FRAMES"] = 5
    from PIL import Image

    frames = [Image.new("RGB", (8, 8), (index * 20, 0, 0)) for index in range(8)]
    out = io.BytesIO()
    frames[0].save(out, "GIF", save_all=True, append_images=frames[1:])
    before = snapshot(app)
    assert_refused(app, before, upload_json(author, out.getvalue(), "long.gif"), 400, "too many frames")


@pytest.mark.parametrize("send", [upload_json, upload_in_editor])
def test_file_over_the_size_limit_is_refused_with_413(app, author, send):
    app.config["UPLOAD_MAX_BYTES"] = 50_000
    before = snapshot(app)
    response = send(author, noise_png(60_000), "big.png")
    assert_refused(app, before, response, 413, "images can be at most 48.8 KB")


def test_request_far_over_the_limit_is_cut_off(app, author):
    """A body bigger than any upload may be is refused as soon as its size is known (413 page)."""
    app.config["UPLOAD_MAX_BYTES"] = 50_000
    app.config["MAX_CONTENT_LENGTH"] = 100_000
    before = snapshot(app)
    response = upload_json(author, b"\xff\xd8\xff" + b"\0" * 400_000, "huge.jpg")
    assert response.status_code == 413
    assert "larger than this blog accepts" in response.get_data(as_text=True)
    assert snapshot(app) == before and stored_files(app) == []


def test_missing_alt_text_stores_nothing_and_keeps_the_text(app, author):
    before = snapshot(app)
    response = upload_in_editor(author, image_bytes(), "fine.png", alt="   ", title="Draft", body="Kept text.")
    assert_refused(app, before, response, 400, "Please describe the image in “Alt text”")
    assert "Kept text." in response.get_data(as_text=True)
    assert_refused(app, before, upload_json(author, image_bytes(), "fine.png", alt=""), 400, "Alt text")


def test_choosing_an_image_but_saving_the_post_says_so(app, author):
    before = snapshot(app)
    response = upload_in_editor(author, image_bytes(), "fine.png", title="A post", body="Text", action="draft")
    assert_refused(app, before, response, 400, "did not press Upload")


def test_upload_without_a_file_says_so(app, author):
    response = author.client.post("/admin/media/upload", data={"alt_text": "x"},
                                  headers={"X-CSRFToken": author.token(), "Accept": "application/json"})
    assert response.status_code == 400 and "Choose an image file" in response.get_json()["error"]


@pytest.mark.parametrize(
    "filename, stem",
    [
        ("../../../../etc/passwd.jpg", "passwd"),
        ("<img src=x onerror=alert(1)>.png", "img-src-x-onerror-alert-1"),
        ("Été à Paris – 東京.png", "ete-a-paris-dong-jing"),
        ("\u202egnp.exe", "gnp"),
        ("---.png", "image"),
        ("x" * 300 + ".png", "x" * 60),
    ],
)
def test_hostile_file_names_become_safe_names_and_are_shown_escaped(app, author, filename, stem):
    data = upload_json(author, image_bytes(20, 20), filename).get_json()
    with app.app_context():
        item = db.session.execute(db.select(MediaItem)).scalar_one()
    name = item.path.split("/")[-1]
    assert name.rsplit("-", 1)[0] == stem and name.endswith(".png")
    (path,) = stored_files(app)
    assert path.parent.parent.parent == Path(app.instance_path) / "uploads"
    assert data["url"] == f"/uploads/{item.path}"
    page = author.client.get("/admin/media").get_data(as_text=True)
    assert "<img src=x" not in page
    if "<img" in filename:
        assert "&lt;img src=x onerror=alert(1)&gt;.png" in page


def test_parallel_uploads_against_a_live_server_all_stored_under_distinct_names(app, author, live_server):
    session = requests.Session()
    login = session.get(live_server.url + "/login").text
    token = login.split('name="csrf_token" type="hidden" value="')[1].split('"')[0]
    response = session.post(live_server.url + "/login",
                            data={"csrf_token": token, "username": "admin", "password": PASSWORD})
    assert response.ok and "/admin" in response.url
    token = session.get(live_server.url + "/admin/media").text.split('name="csrf_token" value="')[1].split('"')[0]
    photo = jpeg_with_gps(1400, 700)
    replies, errors = [], []

    def send(number):
        try:
            reply = requests.post(
                live_server.url + "/admin/media/upload",
                files={"image": ("same name.jpg", photo, "image/jpeg")}, data={"alt_text": f"Photo {number}"},
                headers={"X-CSRFToken": token, "Accept": "application/json"}, cookies=session.cookies, timeout=60,
            )
            replies.append((reply.status_code, reply.json()))
        except Exception as error:  # noqa: BLE001 - reported below
            errors.append(error)

    threads = [threading.Thread(target=send, args=(number,)) for number in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(120)
    assert not errors and len(replies) == 8
    assert all(status == 200 for status, _ in replies), replies
    urls = {reply["url"] for _, reply in replies}
    assert len(urls) == 8
    with app.app_context():
        items = db.session.execute(db.select(MediaItem)).scalars().all()
        assert {f"/uploads/{item.path}" for item in items} == urls
        assert sorted(item.alt_text for item in items) == [f"Photo {n}" for n in range(8)]
    assert len(stored_files(app)) == 8 * 3  # each with its 640 and 1280 copies
    for url in urls:
        assert session.get(live_server.url + url).content[:2] == b"\xff\xd8"


def test_visitors_cannot_upload_list_or_delete(app, author, visitor):
    upload_json(author, image_bytes(), "mine.png")
    with app.app_context():
        item_id = db.session.execute(db.select(MediaItem.id)).scalar_one()
    before, files = snapshot(app), stored_files(app)
    token = csrf_token(visitor, "/login")  # the visitor's own, valid token: refused for who they are
    for method, url, data in [
        ("GET", "/admin/media", None),
        ("POST", "/admin/media/upload", {"image": (io.BytesIO(image_bytes()), "x.png"), "alt_text": "x",
                                         "csrf_token": token}),
        ("GET", f"/admin/media/{item_id}/delete", None),
        ("POST", f"/admin/media/{item_id}/delete", {"csrf_token": token}),
    ]:
        response = visitor.open(url, method=method, data=data, headers={"Accept": "application/json"})
        assert response.status_code == 302 and response.headers["Location"].startswith("/login"), url
    assert snapshot(app) == before and stored_files(app) == files


@pytest.mark.parametrize("token", ["missing", "garbage", "another session's"])
def test_uploads_refuse_a_bad_csrf_token(app, author, token):
    value = {"missing": None, "garbage": "not-a-token",
             "another session's": upload_token_of_another_session(app)}[token]
    before = snapshot(app)
    headers = {"Accept": "application/json"} | ({"X-CSRFToken": value} if value else {})
    response = author.client.post("/admin/media/upload", headers=headers,
                                  data={"image": (io.BytesIO(image_bytes()), "x.png"), "alt_text": "x"})
    assert_refused(app, before, response, 400, "security token")
    form = {"title": "", "body": "Typed", "action": "upload", "upload-alt_text": "x",
            "upload-image": (io.BytesIO(image_bytes()), "x.png")} | ({"csrf_token": value} if value else {})
    response = author.client.post("/admin/posts/new", data=form, content_type="multipart/form-data")
    assert_refused(app, before, response, 400, "security token")
    assert "Typed" in response.get_data(as_text=True)


def upload_token_of_another_session(app) -> str:
    return csrf_token(app.test_client(), "/login")


def test_polyglots_are_stored_as_pixels_only(app, author):
    """A JPEG with a web page appended, and a PNG with script in a text chunk, are valid images: they
    are accepted, but what is stored is re-encoded pixels, with nothing of the rest."""
    from PIL import PngImagePlugin

    jpeg_polyglot = jpeg_with_gps(300, 200) + b"<html><script>alert(document.cookie)</script></html>"
    info = PngImagePlugin.PngInfo()
    info.add_text("Comment", "<script>alert(1)</script>")
    from PIL import Image

    out = io.BytesIO()
    Image.new("RGB", (30, 30), "red").save(out, "PNG", pnginfo=info)
    for data, name in ((jpeg_polyglot, "poly.jpg"), (out.getvalue(), "text.png")):
        assert b"<script>" in data
        assert upload_json(author, data, name).status_code == 200
    files = stored_files(app)
    assert len(files) == 2
    for path in files:
        assert b"<script>" not in path.read_bytes() and b"alert" not in path.read_bytes()


def test_post_text_over_the_size_limit_is_refused_in_a_multipart_form_too(app, author):
    """The editor's form is multipart (it carries "Upload image"); the room made for an image does not
    let the text fields past MAX_CONTENT_LENGTH."""
    app.config["MAX_CONTENT_LENGTH"] = 4096
    before = snapshot(app)
    response = author.client.post("/admin/posts/new", content_type="multipart/form-data", data={
        "csrf_token": author.token(), "title": "Huge", "body": "x" * 5000, "action": "publish"})
    assert response.status_code == 413
    assert snapshot(app) == before
