"""Uploading images: from the editor without JavaScript (Upload button) and through the endpoint its
script uses; what is stored (re-encoded, no metadata, resized copies) and how it is served and shown."""

from __future__ import annotations

import io
import re
from pathlib import Path

from bs4 import BeautifulSoup
from media_testing import GPS_IFD, image_bytes, jpeg_with_gps
from PIL import Image

from blog.extensions import db
from blog.media.tables import MediaItem


def stored_files(app) -> list[Path]:
    folder = Path(app.instance_path) / "uploads"
    return sorted(p for p in folder.rglob("*") if p.is_file()) if folder.exists() else []


def image_size(path: Path) -> tuple[int, int]:
    with Image.open(path) as image:
        return image.size


def upload_in_editor(author, data: bytes, filename: str = "photo.jpg", alt: str = "A photo", **fields):
    """The editor's Upload button, as a browser without JavaScript sends it (the post's fields too)."""
    form = {
        "csrf_token": author.token(), "title": fields.pop("title", ""), "body": fields.pop("body", ""),
        "tags": "", "slug": "", "publish_date": "", "trackback_urls": "", "action": "upload",
        "upload-alt_text": alt, "upload-image": (io.BytesIO(data), filename),
    }
    form.update(fields)
    return author.client.post("/admin/posts/new", data=form, content_type="multipart/form-data")


def upload_json(author, data: bytes, filename: str = "photo.jpg", alt: str = "A photo"):
    """What the editor's script sends for a chosen, dropped or pasted image."""
    return author.client.post(
        "/admin/media/upload",
        data={"image": (io.BytesIO(data), filename), "alt_text": alt},
        headers={"X-CSRFToken": author.token(), "Accept": "application/json"},
        content_type="multipart/form-data",
    )


def textarea(html: str, name: str) -> str:
    # WTForms starts a textarea with a line break, which browsers drop.
    return BeautifulSoup(html, "html.parser").find("textarea", attrs={"name": name}).text.removeprefix("\r\n")


def test_upload_without_javascript_adds_markdown_and_keeps_the_unsaved_post(app, author):
    response = upload_in_editor(author, jpeg_with_gps(), "Holiday.JPG", alt="A [grey] gradient",
                                title="Unsaved title", body="My unsaved text.\r\n\r\nSecond paragraph.")
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    body = textarea(html, "body")
    with app.app_context():
        item = db.session.execute(db.select(MediaItem)).scalar_one()
        path = item.path
        assert item.alt_text == "A [grey] gradient"
        assert item.original_name == "Holiday.JPG"
    assert re.fullmatch(r"\d{4}/\d{2}/holiday-[0-9a-f]{8}\.jpg", path)
    markdown = f"![A \\[grey\\] gradient](/uploads/{path})"
    assert body.startswith("My unsaved text.\r\n\r\nSecond paragraph.")
    assert body.rstrip().endswith(markdown)
    assert 'value="Unsaved title"' in html
    assert "The post is not saved yet" in html
    with app.app_context():
        assert db.session.execute(db.select(db.func.count()).select_from(db.text("posts"))).scalar() == 0


def test_publishing_the_inserted_markdown_shows_a_responsive_image(app, author, client):
    result = upload_json(author, jpeg_with_gps(2000, 1000), "wide.jpg", alt="Wide view").get_json()
    post = author.publish("With a picture", "Look:\n\n" + result["markdown"])
    img = BeautifulSoup(client.get(author.url_of(post)).get_data(as_text=True), "html.parser").select_one(
        ".post-body img"
    )
    url = result["url"]
    stem = url.rsplit(".", 1)[0]
    assert img["src"] == url and img["alt"] == "Wide view"
    assert (img["width"], img["height"], img["loading"]) == ("2000", "1000", "lazy")
    assert img["srcset"] == f"{stem}-640w.jpg 640w, {stem}-1280w.jpg 1280w, {stem}-1920w.jpg 1920w, {url} 2000w"
    assert img["sizes"] == "(max-width: 40rem) 100vw, 40rem"
    for candidate in img["srcset"].split(", "):
        file_url, width = candidate.split(" ")
        served = client.get(file_url)
        data = served.get_data()
        served.close()
        assert served.status_code == 200 and served.mimetype == "image/jpeg"
        assert Image.open(io.BytesIO(data)).width == int(width[:-1])
        cache = served.headers["Cache-Control"]
        assert "public" in cache and "max-age=31536000" in cache and "immutable" in cache
        assert served.headers["X-Content-Type-Options"] == "nosniff"


def test_small_images_are_never_upscaled(app, author, client):
    result = upload_json(author, image_bytes(300, 200, "PNG"), "small.png").get_json()
    assert len(stored_files(app)) == 1
    post = author.publish("Small", result["markdown"])
    img = BeautifulSoup(client.get(author.url_of(post)).get_data(as_text=True), "html.parser").select_one(
        ".post-body img"
    )
    assert (img["width"], img["height"], img["loading"]) == ("300", "200", "lazy")
    assert not img.has_attr("srcset")


def test_variants_stop_below_the_image_width(app, author):
    upload_json(author, image_bytes(1300, 100, "WEBP"), "strip.webp")
    with app.app_context():
        item = db.session.execute(db.select(MediaItem)).scalar_one()
        assert (item.mime_type, item.variant_widths) == ("image/webp", [640, 1280])
    widths = sorted(image_size(p)[0] for p in stored_files(app))
    assert widths == [640, 1280, 1300]


def test_gps_and_all_exif_are_gone_from_every_stored_file(app, author):
    photo = jpeg_with_gps(2000, 1000, orientation=6)  # taken with the phone turned: shown rotated 90°
    assert b"PhoneMaker" in photo
    assert upload_in_editor(author, photo, "gps.jpg").status_code == 200
    files = stored_files(app)
    assert len(files) == 2  # 1000 pixels wide once turned: the image and its 640 copy (never upscaled)
    for path in files:
        data = path.read_bytes()
        image = Image.open(io.BytesIO(data))
        exif = image.getexif()
        assert not exif.get_ifd(GPS_IFD) and len(exif) == 0, path
        assert b"Exif" not in data and b"PhoneMaker" not in data, path
        assert "xmp" not in image.info and "exif" not in image.info
        assert image.height > image.width, "the orientation is applied to the pixels"
    assert sorted(image_size(p) for p in files) == [(640, 1280), (1000, 2000)]


def test_gif_and_animated_gif_are_accepted_without_their_comments(app, author):
    frames = [Image.new("RGB", (40, 30), color) for color in ("red", "green", "blue")]
    out = io.BytesIO()
    frames[0].save(out, "GIF", save_all=True, append_images=frames[1:], duration=100, loop=0,
                   comment=b"secret location")
    reply = upload_json(author, out.getvalue(), "anim.gif")
    assert reply.status_code == 200, reply.get_json()
    (path,) = stored_files(app)
    with Image.open(path) as stored:
        assert stored.n_frames == 3
    assert b"secret location" not in path.read_bytes()


def test_the_media_endpoint_answers_json_for_the_editor_script(app, author):
    reply = upload_json(author, image_bytes(50, 40, "PNG"), "dot.png", alt="A teal box")
    assert reply.status_code == 200
    data = reply.get_json()
    assert data["markdown"] == f"![A teal box]({data['url']})"
    assert (data["width"], data["height"]) == (50, 40)
    served = author.client.get(data["url"])
    body = served.get_data()
    served.close()
    assert served.status_code == 200 and body == stored_files(app)[0].read_bytes()


def test_upload_files_outside_the_folder_are_not_served(app, author, client):
    (Path(app.instance_path) / "blog-secret.txt").write_text("secret")
    for path in ("/uploads/../blog-secret.txt", "/uploads/%2e%2e/blog-secret.txt", "/uploads/..%2fblog-secret.txt"):
        response = client.get(path)
        assert response.status_code == 404 and b"secret" not in response.data, path
