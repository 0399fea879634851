"""The profile at /admin/profile (issue 13): the display name and website readers see (byline, h-card,
feeds, replies), the photo (checked by content, EXIF dropped, bombs and non-images refused, kept under
the instance folder and served), and the password: the current one required, a wrong one a clear
error, a new one ending every other login, also when several sessions change it at once."""

from __future__ import annotations

import io
import random
import threading
from pathlib import Path
from urllib.parse import urlsplit

import feedparser
import mf2py
import pytest
import requests
from blog_testing import PASSWORD, csrf_token, snapshot
from bs4 import BeautifulSoup
from PIL import ExifTags, Image

from blog.extensions import db
from blog.models import User

PROFILE = "/admin/profile"
NEW_PASSWORD = "a brand new passphrase"


def form_values(client) -> dict:
    """The profile form as the page shows it (text inputs and the token), ready to send back."""
    soup = BeautifulSoup(client.get(PROFILE).get_data(as_text=True), "html.parser")
    form = soup.select_one("form.profile-form")
    return {i["name"]: i.get("value", "") for i in form.select("input[name]")
            if i.get("type") not in ("file", "checkbox", "submit")}


def update(client, **changes):
    data = {**form_values(client), **changes}
    return client.post(PROFILE, data=data, content_type="multipart/form-data")


def page_errors(response) -> dict[str, list[str]]:
    soup = BeautifulSoup(response.get_data(as_text=True), "html.parser")
    return {field.select_one("label")["for"]: [e.get_text() for e in field.select(".error")]
            for field in soup.select(".field.has-error")}


def the_user(app) -> User:
    with app.app_context():
        user = db.session.execute(db.select(User)).scalar_one()
        db.session.expunge(user)
        return user


def log_in(app, password: str = PASSWORD):
    client = app.test_client()
    data = {"csrf_token": csrf_token(client), "username": "admin", "password": password}
    response = client.post("/login", data=data)
    return client, response


def is_logged_in(client) -> bool:
    return client.get("/admin/").status_code == 200


def jpeg_with_exif(size=(60, 40)) -> bytes:
    """A landscape photo, left half red and right half blue, whose EXIF says "turn me 90° clockwise"
    and holds a camera maker and a GPS position."""
    image = Image.new("RGB", size, "red")
    image.paste((0, 0, 255), (size[0] // 2, 0, size[0], size[1]))
    exif = Image.Exif()
    exif[ExifTags.Base.Orientation] = 6
    exif[ExifTags.Base.Make] = "CameraMaker"
    exif[ExifTags.IFD.GPSInfo] = {1: "N", 2: (48.0, 51.0, 24.0), 3: "E", 4: (2.0, 17.0, 40.0)}
    out = io.BytesIO()
    image.save(out, "JPEG", exif=exif, quality=95)
    return out.getvalue()


def png(size, mode="RGBA") -> bytes:
    out = io.BytesIO()
    Image.new(mode, size).save(out, "PNG")
    return out.getvalue()


def photo_files(app) -> list[Path]:
    folder = Path(app.instance_path) / "profile-photos"
    return sorted(p for p in folder.iterdir() if not p.name.startswith(".")) if folder.exists() else []


# --- the page -------------------------------------------------------------------------------------


def test_profile_page_has_the_fields_wordpress_users_look_for(author):
    soup = BeautifulSoup(author.client.get(PROFILE).get_data(as_text=True), "html.parser")
    labels = [label.get_text(" ", strip=True) for label in soup.select("form.profile-form label")]
    for wanted in ("Display name", "Email (required)", "Website", "Photo", "Current password", "New password"):
        assert wanted in labels
    assert soup.select_one('form.profile-form input[type="submit"]')["value"] == "Update Profile"
    assert soup.select_one("form.profile-form")["enctype"] == "multipart/form-data"
    assert soup.select_one("#email")["value"] == "admin@example.com"
    assert soup.select_one('.admin-nav a[aria-current="page"]').get_text() == "Profile"


# --- the name and website readers see -------------------------------------------------------------


def test_display_name_and_website_replace_the_login_name_everywhere(app, author, visitor):
    response = update(author.client, display_name="Ada <Lovelace> & co", website="https://ada.example.org/")
    assert response.status_code == 302 and response.headers["Location"] == PROFILE
    assert "Profile updated." in author.client.get(PROFILE).get_data(as_text=True)
    post = author.publish("Hello", "World")
    url = author.url_of(post)

    html = visitor.get(url).get_data(as_text=True)
    assert "Ada &lt;Lovelace&gt; &amp; co" in html and "<Lovelace>" not in html
    entry = next(i for i in mf2py.parse(doc=html, url="http://localhost" + url)["items"] if "h-entry" in i["type"])
    card = entry["properties"]["author"][0]["properties"]
    assert card["name"] == ["Ada <Lovelace> & co"]
    assert card["url"] == ["https://ada.example.org/"]
    assert "photo" not in card

    for path in ("/feed/", "/feed/rss2/"):
        feed = feedparser.parse(visitor.get(path).data)
        assert not feed.bozo
        assert feed.entries[0].author == "Ada <Lovelace> & co"

    page = author.client.get(url).get_data(as_text=True)
    assert "Commenting as Ada &lt;Lovelace&gt; &amp; co" in page


def test_the_owners_comment_is_signed_with_the_display_name(app, author):
    update(author.client, display_name="Ada", website="https://ada.example.org/")
    post = author.publish("Hello", "World")
    url = author.url_of(post)
    data = {"csrf_token": csrf_token(author.client, url), "name": "", "email": "", "url": "", "content": "Me too"}
    assert author.client.post(f"/comment/{post.id}", data=data).status_code == 302
    from blog.models import Comment

    with app.app_context():
        comment = db.session.execute(db.select(Comment)).scalar_one()
        assert (comment.author_name, comment.author_url, comment.status) == ("Ada", "https://ada.example.org/",
                                                                             "approved")


def test_an_empty_display_name_shows_the_username(app, author, visitor):
    update(author.client, display_name="Someone")
    update(author.client, display_name="   ")
    post = author.publish("Hello", "World")
    html = visitor.get(author.url_of(post)).get_data(as_text=True)
    assert '<span class="p-name">admin</span>' in html
    assert the_user(app).display_name == ""


@pytest.mark.parametrize("website", ["javascript:alert(1)", "ftp://files.example/", "not a url", "//evil.example"])
def test_a_website_that_is_not_a_web_address_is_refused(app, author, website):
    before = snapshot(app)
    response = update(author.client, website=website, display_name="Changed")
    assert response.status_code == 400
    assert page_errors(response)["website"] == [
        "Enter a web address starting with http:// or https://, or leave it empty."]
    assert snapshot(app) == before


def test_markup_in_every_field_comes_back_escaped(app, author):
    evil = '"><script>alert(1)</script>'
    response = update(author.client, display_name=evil, website="https://x.example/" + evil, email=evil)
    assert response.status_code == 400  # the email is not an address
    html = response.get_data(as_text=True)
    assert "<script>alert(1)" not in html
    assert html.count("&lt;script&gt;alert(1)&lt;/script&gt;") >= 2


# --- email ---------------------------------------------------------------------------------------


def test_changing_the_email_takes_the_current_password(app, author):
    before = snapshot(app)
    response = update(author.client, email="new@example.com")
    assert response.status_code == 400
    assert page_errors(response)["current_password"] == [
        "Enter your current password to change your password or email address."]
    assert snapshot(app) == before
    response = update(author.client, email="new@example.com", current_password=PASSWORD)
    assert response.status_code == 302
    assert the_user(app).email == "new@example.com"
    assert is_logged_in(author.client)  # an email change ends no login


def test_an_invalid_email_is_refused(app, author):
    response = update(author.client, email="not an address", current_password=PASSWORD)
    assert response.status_code == 400
    assert page_errors(response)["email"] == ["Invalid email address."]
    assert the_user(app).email == "admin@example.com"


# --- the photo -----------------------------------------------------------------------------------


def test_photo_is_checked_squared_stripped_of_exif_and_served(app, author, visitor):
    response = author.client.post(PROFILE, data={**form_values(author.client),
                                                 "photo": (io.BytesIO(jpeg_with_exif()), "me.jpg")})
    assert response.status_code == 302, page_errors(response)
    user = the_user(app)
    (stored,) = photo_files(app)
    assert stored.name == user.photo and stored.parent == Path(app.instance_path) / "profile-photos"

    served = visitor.get(f"/profile-photos/{user.photo}")
    served.get_data()
    served.close()  # the file it was read from
    assert served.status_code == 200 and served.mimetype == "image/jpeg"
    assert served.cache_control.max_age == 365 * 24 * 3600 and served.cache_control.public
    assert b"CameraMaker" not in served.data
    image = Image.open(io.BytesIO(served.data))
    assert len(image.getexif()) == 0 and image.getexif().get_ifd(ExifTags.IFD.GPSInfo) == {}
    assert image.size == (40, 40)  # a square, never enlarged
    # Turned upright as the EXIF asked: the left (red) half is now on top.
    rgb = image.convert("RGB")
    top, bottom = rgb.getpixel((35, 5)), rgb.getpixel((5, 35))
    assert top[0] > 200 and top[2] < 60, top
    assert bottom[2] > 200 and bottom[0] < 60, bottom

    post = author.publish("Hello", "World")
    html = visitor.get(author.url_of(post)).get_data(as_text=True)
    entry = next(i for i in mf2py.parse(doc=html, url="http://localhost/")["items"] if "h-entry" in i["type"])
    photo = entry["properties"]["author"][0]["properties"]["photo"][0]
    assert (photo["value"] if isinstance(photo, dict) else photo) == f"http://localhost/profile-photos/{user.photo}"


def test_a_new_photo_replaces_the_old_file_and_remove_deletes_it(app, author, visitor):
    for _ in range(2):
        response = author.client.post(PROFILE, data={**form_values(author.client),
                                                     "photo": (io.BytesIO(png((300, 500))), "me.png")})
        assert response.status_code == 302
    (stored,) = photo_files(app)
    with Image.open(stored) as image:
        assert stored.suffix == ".png" and image.size == (300, 300)  # transparency kept: a PNG
    old = the_user(app).photo
    response = author.client.post(PROFILE, data={**form_values(author.client), "remove_photo": "y"})
    assert response.status_code == 302
    assert the_user(app).photo == "" and photo_files(app) == []
    assert visitor.get(f"/profile-photos/{old}").status_code == 404


def bomb_png() -> bytes:
    """20,000 × 20,000 pixels (400 million) in 50 KB: a decompression bomb."""
    return png((20000, 20000), mode="1")


BAD_PHOTOS = {
    "text named .jpg": (b"Just some text, not a picture at all.\n" * 10, "me.jpg",
                        "That file is not an image this blog can use: choose a JPEG, PNG, GIF or WebP photo."),
    "svg": (b'<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>', "me.svg",
            "That file is not an image this blog can use: choose a JPEG, PNG, GIF or WebP photo."),
    "truncated jpeg": (jpeg_with_exif((400, 300))[:-600], "me.jpg",
                       "That image file is damaged or incomplete; it could not be read."),
    "bomb": (bomb_png(), "bomb.png", "The image has too many pixels (at most 40 million). Choose a smaller one."),
    "too many pixels": (png((8000, 8000), mode="1"), "big.png",
                        "The image has too many pixels (at most 40 million). Choose a smaller one."),
    "empty": (b"", "empty.jpg", "The photo file is empty."),
    "no file chosen": (b"", "", None),  # what a browser sends then: the rest is saved, nothing refused
}


@pytest.mark.parametrize("case", sorted(BAD_PHOTOS))
def test_bad_photos_are_refused_and_nothing_changes(app, author, case):
    content, filename, message = BAD_PHOTOS[case]
    update(author.client, display_name="Before")
    before = snapshot(app)
    response = author.client.post(PROFILE, data={**form_values(author.client), "display_name": "After",
                                                 "photo": (io.BytesIO(content), filename)})
    if message is None:
        assert response.status_code == 302
        assert the_user(app).display_name == "After" and the_user(app).photo == ""
        return
    assert response.status_code == 400
    assert page_errors(response)["photo"] == [message]
    assert snapshot(app) == before
    assert photo_files(app) == []


def test_a_photo_over_the_byte_limit_is_refused(app, author):
    app.config["PROFILE_PHOTO_MAX_BYTES"] = 100 * 1024
    noise = Image.frombytes("RGB", (200, 200), random.Random(13).randbytes(200 * 200 * 3))  # incompressible
    out = io.BytesIO()
    noise.save(out, "PNG")
    assert len(out.getvalue()) > 100 * 1024
    before = snapshot(app)
    response = author.client.post(PROFILE, data={**form_values(author.client),
                                                 "photo": (io.BytesIO(out.getvalue()), "noise.png")})
    assert response.status_code == 400
    assert page_errors(response)["photo"] == ["The photo is larger than 100 KB. Choose a smaller one."]
    assert snapshot(app) == before


def test_an_upload_over_the_request_limit_gets_the_form_back_with_the_reason(app, author):
    app.config["MAX_CONTENT_LENGTH"] = 200 * 1024
    update(author.client, display_name="Kept")
    before = snapshot(app)
    response = author.client.post(PROFILE, data={**form_values(author.client),
                                                 "photo": (io.BytesIO(b"x" * (300 * 1024)), "huge.jpg")})
    assert response.status_code == 413
    assert page_errors(response)["photo"] == [
        "The photo is too large: everything sent at once must stay under 200 KB. Choose a smaller photo."]
    assert BeautifulSoup(response.get_data(as_text=True), "html.parser").select_one("#display_name")["value"] == "Kept"
    assert snapshot(app) == before


@pytest.mark.parametrize("name", ["../secret_key", "..%2Fsecret_key", "1-abc.jpg", "x.jpg", "1-0123456789abcdef.svg"])
def test_the_photo_route_serves_nothing_else(app, author, visitor, name):
    (Path(app.instance_path) / "profile-photos").mkdir(exist_ok=True)
    assert visitor.get(f"/profile-photos/{name}").status_code == 404


# --- the password --------------------------------------------------------------------------------


def test_a_wrong_current_password_is_a_clear_error_and_changes_nothing(app, author):
    before = snapshot(app)
    response = update(author.client, current_password="not my password", new_password=NEW_PASSWORD,
                      display_name="Not saved either")
    assert response.status_code == 400
    assert page_errors(response) == {"current_password": ["That is not your current password."]}
    assert 'value="not my password"' not in response.get_data(as_text=True)
    assert response.headers["Cache-Control"] == "no-store"
    assert {k: v for k, v in snapshot(app).items() if k != "rate_counters"} == \
        {k: v for k, v in before.items() if k != "rate_counters"}
    assert log_in(app)[1].status_code == 302  # the old password still works


def test_a_new_password_needs_the_current_one_and_eight_characters(app, author):
    response = update(author.client, new_password=NEW_PASSWORD)
    assert page_errors(response)["current_password"] == [
        "Enter your current password to change your password or email address."]
    response = update(author.client, current_password=PASSWORD, new_password="short")
    assert page_errors(response)["new_password"] == ["Use at least 8 characters."]
    assert log_in(app)[1].status_code == 302


def test_changing_the_password_ends_every_other_login(app, author):
    other, response = log_in(app)
    assert response.status_code == 302 and is_logged_in(other)
    response = update(author.client, current_password=PASSWORD, new_password=NEW_PASSWORD)
    assert response.status_code == 302
    assert "you were logged out everywhere else" in author.client.get(PROFILE).get_data(as_text=True)
    assert is_logged_in(author.client)  # this browser stays in
    assert not is_logged_in(other)
    assert urlsplit(other.get("/admin/posts").headers["Location"]).path == "/login"
    assert log_in(app)[1].status_code == 401
    fresh, response = log_in(app, NEW_PASSWORD)
    assert response.status_code == 302 and is_logged_in(fresh)


def test_wrong_current_passwords_are_limited(app, author):
    app.config["LOGIN_MAX_FAILURES"] = 3
    for _ in range(3):
        assert page_errors(update(author.client, current_password="guess", new_password=NEW_PASSWORD)) == {
            "current_password": ["That is not your current password."]}
    response = update(author.client, current_password=PASSWORD, new_password=NEW_PASSWORD)
    (message,) = page_errors(response)["current_password"]
    assert message.startswith("Too many wrong current passwords. Try again after ")
    assert log_in(app)[1].status_code == 302  # unchanged


@pytest.mark.parametrize("token", ["missing", "garbage", "another session's"])
def test_profile_refuses_a_bad_csrf_token(app, author, token):
    data = {**form_values(author.client), "display_name": "Forged", "current_password": PASSWORD,
            "new_password": NEW_PASSWORD}
    if token == "missing":
        del data["csrf_token"]
    else:
        data["csrf_token"] = "nope" if token == "garbage" else csrf_token(app.test_client(), "/login")
    before = snapshot(app)
    response = author.client.post(PROFILE, data=data)
    assert response.status_code == 400
    assert snapshot(app) == before
    assert log_in(app)[1].status_code == 302


@pytest.mark.parametrize("method", ["GET", "POST"])
def test_visitors_cannot_reach_the_profile(app, author, visitor, method):
    before = snapshot(app)
    data = {"csrf_token": csrf_token(visitor, "/login"), "display_name": "Hijacked", "email": "x@example.com",
            "new_password": NEW_PASSWORD} if method == "POST" else None
    response = visitor.open(PROFILE, method=method, data=data)
    assert response.status_code == 302 and urlsplit(response.headers["Location"]).path == "/login"
    assert snapshot(app) == before


def test_parallel_password_changes_one_wins_and_the_others_are_logged_out(app, author, live_server):
    """Five browsers logged in, each changing the password at the same moment: exactly one change is
    stored, its browser stays logged in, the other four are logged out, and only its password works."""
    sessions = []
    for _ in range(5):
        session = requests.Session()
        page = session.get(live_server.url + "/login").text
        token = BeautifulSoup(page, "html.parser").select_one('input[name="csrf_token"]')["value"]
        answer = session.post(live_server.url + "/login", allow_redirects=False,
                              data={"csrf_token": token, "username": "admin", "password": PASSWORD})
        assert answer.status_code == 302
        sessions.append(session)
    forms = []
    for session in sessions:
        soup = BeautifulSoup(session.get(live_server.url + PROFILE).text, "html.parser")
        forms.append({i["name"]: i.get("value", "") for i in soup.select("form.profile-form input[name]")
                      if i.get("type") not in ("file", "checkbox", "submit")})
    barrier = threading.Barrier(len(sessions))
    answers: list = [None] * len(sessions)

    def change(number: int) -> None:
        data = {**forms[number], "current_password": PASSWORD, "new_password": f"{NEW_PASSWORD} {number}"}
        barrier.wait()
        answers[number] = sessions[number].post(live_server.url + PROFILE, data=data, allow_redirects=False,
                                                timeout=60)

    threads = [threading.Thread(target=change, args=(n,)) for n in range(len(sessions))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(90)
    paths = [urlsplit(a.headers["Location"]).path for a in answers]
    assert sorted(paths) == ["/admin/profile", "/login", "/login", "/login", "/login"], paths
    winner = paths.index("/admin/profile")
    for number, session in enumerate(sessions):
        status = session.get(live_server.url + "/admin/", allow_redirects=False).status_code
        assert status == (200 if number == winner else 302), number
    for number in range(len(sessions)):
        expected = 302 if number == winner else 401
        assert log_in(app, f"{NEW_PASSWORD} {number}")[1].status_code == expected
        app.config["LOGIN_MAX_FAILURES"] = 100  # these checks are not an attack
    assert the_user(app).session_version == 1
