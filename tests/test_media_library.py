"""The Media page (/admin/media): every upload with its thumbnail, name, size, dimensions, date and the
posts that use it; deleting after confirmation, with a warning when a post still shows the image."""

from __future__ import annotations

import io

from blog_testing import csrf_token
from bs4 import BeautifulSoup
from media_testing import image_bytes, jpeg_with_gps
from test_media_uploads import stored_files, upload_json

from blog.extensions import db
from blog.media.tables import MediaItem


def test_media_page_lists_uploads_and_where_they_are_used(app, author):
    used = upload_json(author, jpeg_with_gps(1400, 700), "Lake at dawn.jpg", alt="A lake").get_json()
    upload_json(author, image_bytes(120, 80), "unused.png", alt="A box")
    author.publish("Lake post", "Before.\n\n" + used["markdown"])
    author.publish("Linking post", f"See [the full size]({used['url']}).")
    author.publish("Other post", "No image here; /uploads/ mentioned in passing.")

    page = author.client.get("/admin/media")
    assert page.status_code == 200
    soup = BeautifulSoup(page.get_data(as_text=True), "html.parser")
    rows = soup.select(".media-table tbody tr")
    assert len(rows) == 2
    unused, lake = rows  # newest first
    assert "Lake at dawn.jpg" in lake.get_text() and "1400 × 700" in lake.get_text()
    assert [a.get_text() for a in lake.select(".used-in a")] == ["Linking post", "Lake post"]
    assert "Not used" in unused.select_one(".used-in").get_text()
    thumb = lake.select_one(".thumbnail img")
    assert thumb["src"].endswith("-640w.jpg") and thumb["alt"] == "A lake"
    assert "KB" in lake.get_text()
    assert soup.find("input", attrs={"type": "file"})["id"] == "image"
    assert soup.find("label", attrs={"for": "image"}).get_text() == "Upload image"


def test_upload_from_the_media_page_without_javascript(app, author):
    token = csrf_token(author.client, "/admin/media")
    response = author.client.post("/admin/media/upload", data={
        "csrf_token": token, "image": (io.BytesIO(image_bytes()), "box.png"), "alt_text": "A box",
    }, follow_redirects=True)
    assert response.status_code == 200
    text = response.get_data(as_text=True)
    assert "Uploaded box.png" in text and "![A box](/uploads/" in text
    refused = author.client.post("/admin/media/upload", data={
        "csrf_token": token, "image": (io.BytesIO(b"text"), "box.png"), "alt_text": "A box",
    })
    assert refused.status_code == 400 and "not an image this blog accepts" in refused.get_data(as_text=True)


def test_deleting_a_used_image_warns_first_then_removes_every_file(app, author, client):
    data = upload_json(author, jpeg_with_gps(1400, 700), "used.jpg", alt="Used").get_json()
    author.publish("Shows it", data["markdown"])
    assert len(stored_files(app)) == 3
    confirm = author.client.get(f"/admin/media/{data['id']}/delete")
    html = confirm.get_data(as_text=True)
    assert confirm.status_code == 200
    assert "This image is used in 1 post" in html and "Shows it" in html
    assert "Delete anyway" in html
    assert len(stored_files(app)) == 3  # asking deletes nothing

    response = author.client.post(f"/admin/media/{data['id']}/delete",
                                  data={"csrf_token": csrf_token(author.client, "/admin/media")})
    assert response.status_code == 302
    assert stored_files(app) == []
    with app.app_context():
        assert db.session.execute(db.select(MediaItem)).first() is None
    assert client.get(data["url"]).status_code == 404
    assert "“used.jpg” was deleted." in author.client.get("/admin/media").get_data(as_text=True)


def test_deleting_an_unused_image_asks_plainly(app, author):
    data = upload_json(author, image_bytes(), "spare.png").get_json()
    html = author.client.get(f"/admin/media/{data['id']}/delete").get_data(as_text=True)
    assert "is used in" not in html and "Delete permanently" in html


def test_deleting_an_image_already_gone_from_disk_still_works(app, author):
    data = upload_json(author, image_bytes(), "gone.png").get_json()
    for path in stored_files(app):
        path.unlink()
    response = author.client.post(f"/admin/media/{data['id']}/delete",
                                  data={"csrf_token": csrf_token(author.client, "/admin/media")})
    assert response.status_code == 302
    assert author.client.get(f"/admin/media/{data['id']}/delete").status_code == 404


def test_media_page_is_in_the_admin_navigation(app, author):
    soup = BeautifulSoup(author.client.get("/admin/posts").get_data(as_text=True), "html.parser")
    link = soup.select_one(".admin-nav").find("a", string="Media")
    assert link["href"] == "/admin/media"


def test_media_page_shows_thirty_images_a_page(app, author):
    with app.app_context():
        for number in range(31):
            db.session.add(MediaItem(path=f"2026/01/img-{number:08x}.png", original_name=f"img{number}.png",
                                     mime_type="image/png", width=10, height=10, byte_size=2048, variant_widths=[],
                                     alt_text=f"Image {number}"))
        db.session.commit()
    first = BeautifulSoup(author.client.get("/admin/media").get_data(as_text=True), "html.parser")
    assert len(first.select(".media-table tbody tr")) == 30
    assert first.select_one(".pagination .older")["href"] == "/admin/media?page=2"
    second = BeautifulSoup(author.client.get("/admin/media?page=2").get_data(as_text=True), "html.parser")
    assert [row.select_one(".media-name").get_text() for row in second.select(".media-table tbody tr")] == [
        "img0.png"
    ]
