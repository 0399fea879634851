"""Every page of the blog, public and admin, in the states a user meets: a blog filled with posts
(published, draft, scheduled), tags, comments (threaded, pending, spam, trash), pingbacks,
trackbacks, webmentions (a reply, a like, a repost), deliveries in every state, and forms shown with
their errors. The markup checks (test_valid_html.py, test_accessibility.py) walk this list, so a page
added to the blog belongs here."""

from __future__ import annotations

import io
from dataclasses import dataclass
from datetime import timedelta

from blog_testing import PASSWORD, csrf_token, run_setup
from media_testing import image_bytes, jpeg_with_gps

from blog.extensions import db
from blog.models import (
    Category,
    Comment,
    CommentKind,
    CommentStatus,
    Delivery,
    DeliveryMethod,
    DeliveryOrigin,
    DeliveryStatus,
    IncomingWebmention,
    Post,
    Verification,
    WebmentionStatus,
    utcnow,
)


@dataclass(frozen=True)
class Page:
    name: str
    path: str
    who: str  # "reader", "owner", or "commenter" (a visitor whose comment awaits moderation)


@dataclass
class FilledBlog:
    pages: list[Page]
    post_path: str  # the post with every kind of response under it
    post_id: int


def _item(post_id: int, kind: str, status: str, name: str, text: str, **fields) -> Comment:
    item = Comment(
        post_id=post_id, kind=kind, status=status, author_name=name, author_email="someone@example.com",
        author_url=fields.pop("author_url", "https://someone.example.org/"), content=text, ip="192.0.2.7", **fields,
    )
    db.session.add(item)
    db.session.flush()
    return item


def _revise(owner, post_id: int) -> int:
    """Update the published post twice (two revisions), then leave an autosave newer than it."""
    for title, body in (("A <revised> post, again", "line one\nline 2 & <i>more</i>\nline three"),
                        ("A <revised> post, again", "line one\nline three\nline four")):
        data = {"csrf_token": csrf_token(owner, f"/admin/posts/{post_id}/edit"), "title": title, "body": body,
                "tags": "", "slug": "", "publish_date": "", "trackback_urls": "", "action": "publish",
                "allow_comments": "y", "allow_pings": "y"}
        assert owner.post(f"/admin/posts/{post_id}/edit", data=data).status_code == 302
    response = owner.post(f"/admin/posts/{post_id}/autosave",
                          data={"title": "A <revised> post, autosaved", "body": "line one\n<em>typed</em>"},
                          headers={"X-CSRFToken": csrf_token(owner, f"/admin/posts/{post_id}/edit")})
    assert response.status_code == 200, response.get_data(as_text=True)[:2000]
    return post_id


def fill_blog(app, owner, commenter) -> FilledBlog:
    """Sets the blog up through its own pages (owner's client), writes its content and returns every
    page worth checking. `commenter` is a client that leaves a comment held for moderation."""
    assert run_setup(owner, blog_title="Markup Blog", username="alice").status_code == 302
    app.config["COMMENT_FLOOD_SECONDS"] = 0
    app.config["MAIL_SERVER"] = "127.0.0.1"  # "Lost your password?" is offered (mail is only queued)
    profile = {"csrf_token": csrf_token(owner, "/admin/profile"), "display_name": "Alice <A.>",
               "email": "admin@example.com", "website": "https://alice.example.org/",
               "photo": (io.BytesIO(_photo()), "me.png")}
    assert owner.post("/admin/profile", data=profile).status_code == 302

    def save(title, body, action="publish", tags="", publish_date="", trackback_urls="", new_category=""):
        data = {"csrf_token": csrf_token(owner, "/admin/posts/new"), "title": title, "body": body, "tags": tags,
                "slug": "", "publish_date": publish_date, "trackback_urls": trackback_urls, "action": action,
                "allow_comments": "y", "allow_pings": "y", "new_category": new_category}
        response = owner.post("/admin/posts/new", data=data)
        assert response.status_code == 302, response.get_data(as_text=True)[:2000]
        return int(response.headers["Location"].rstrip("/").split("/")[-2])

    def upload(data, name, alt):
        response = owner.post("/admin/media/upload", data={"image": (io.BytesIO(data), name), "alt_text": alt},
                              headers={"X-CSRFToken": csrf_token(owner, "/admin/media"), "Accept": "application/json"})
        assert response.status_code == 200, response.get_data(as_text=True)[:2000]
        return response.get_json()

    photo = upload(jpeg_with_gps(1400, 700), "Lake & <dawn>.jpg", "A grey gradient, like a lake at dawn")
    upload(image_bytes(120, 80), "spare.png", "A teal box")

    def save_page(title, body, action="publish", menu_order="0"):
        data = {"csrf_token": csrf_token(owner, "/admin/pages/new"), "title": title, "body": body, "slug": "",
                "publish_date": "", "trackback_urls": "", "menu_order": menu_order, "action": action,
                "allow_comments": "y", "allow_pings": "y"}
        response = owner.post("/admin/pages/new", data=data)
        assert response.status_code == 302, response.get_data(as_text=True)[:2000]
        return int(response.headers["Location"].rstrip("/").split("/")[-2])

    body = (
        "An **opening** paragraph with [a link](https://example.org/page) and `code`.\n\n"
        f"{photo['markdown']}\n\n"
        "## A section\n\n- one\n- two\n\n> A quotation.\n\n| a | b |\n|---|---|\n| 1 | 2 |\n\n"
        "```\nprint('hello')\n```\n"
    )
    main_id = save("A post with every kind of response", body, tags="linkbacks, testing",
                   trackback_urls="https://example.net/trackback/")
    about_id = save_page("About <this> blog", "Who writes here, and **why**.", menu_order="1")
    save_page("Contact", "Write to me.", menu_order="2")
    draft_page_id = save_page("Unfinished page", "Later.", action="draft")
    category_token = csrf_token(owner, "/admin/categories/")
    assert owner.post("/admin/categories/", data={"csrf_token": category_token, "name": "Travel & <notes>",
                                                  "slug": "travel"}).status_code == 302
    save("A post filed in a category", "Somewhere far.", new_category="Travel & <notes>, Books")
    for number in range(12):  # enough for a second home page
        fold = "\n\n<!--more Read on-->\n\nThe rest." if number == 11 else ""  # a Continue reading link
        save(f"Older post {number}", f"Text of post {number}.{fold}", tags="testing")
    draft_id = save("A draft", "Not yet.", action="draft")
    future = (utcnow() + timedelta(days=3)).strftime("%Y-%m-%dT%H:%M")
    scheduled_id = save("A scheduled post", "Soon.", action="publish", publish_date=future)
    trashed_id = save("A trashed post", "Gone <soon>.", tags="testing")
    gone_path = post_path_of(app, trashed_id)
    token = csrf_token(owner, "/admin/posts")
    assert owner.post(f"/admin/posts/{trashed_id}/trash", data={"csrf_token": token}).status_code == 302
    revised_id = _revise(owner, save("A <revised> post", "line one\nline two & <b>bold</b>\nline three"))

    with app.app_context():
        post = db.session.get(Post, main_id)
        moment = post.published_at
        first = _item(main_id, CommentKind.COMMENT, CommentStatus.APPROVED, "Bob", "First! A *comment*.")
        _item(main_id, CommentKind.COMMENT, CommentStatus.APPROVED, "alice", "Thanks, Bob.", parent_id=first.id)
        _item(main_id, CommentKind.COMMENT, CommentStatus.PENDING, "Carol", "Waiting for approval.",
              moderation_note="Held: contains a link.", moderation_note_status=CommentStatus.PENDING)
        _item(main_id, CommentKind.COMMENT, CommentStatus.SPAM, "Spammer", "Buy now.",
              moderation_note="Spam: a disallowed word.", moderation_note_status=CommentStatus.SPAM,
              spam_score=0.97, spam_score_note="Spam score 0.97: words “buy”, “now”; site seen in 12 spam items")
        _item(main_id, CommentKind.COMMENT, CommentStatus.TRASH, "Dan", "Deleted.")
        _item(main_id, CommentKind.PINGBACK, CommentStatus.APPROVED, "Their Blog", "[…] linked here […]",
              author_url="https://pinger.example.org/post/", source_key="https://pinger.example.org/post/",
              verification=Verification.VERIFIED)
        _item(main_id, CommentKind.TRACKBACK, CommentStatus.APPROVED, "Track Blog", "An excerpt of their post.",
              author_url="https://tracker.example.org/post/", source_key="https://tracker.example.org/post/",
              verification=Verification.VERIFIED)
        for mention_type in ("reply", "like", "repost"):
            source = f"https://indie.example.org/{mention_type}"
            item = _item(main_id, CommentKind.WEBMENTION, CommentStatus.APPROVED, f"Indie {mention_type}",
                         f"A {mention_type}.", author_url=source, source_key=source, mention_type=mention_type,
                         verification=Verification.VERIFIED, target_url="", author_photo="")
            db.session.add(IncomingWebmention(
                token=f"token-{mention_type}", source=source, target="x", post_id=main_id,
                status=WebmentionStatus.ACCEPTED, comment_id=item.id, processed_at=moment,
            ))
        db.session.add(IncomingWebmention(token="token-queued", source="https://q.example.org/", target="x",
                                          post_id=main_id))
        db.session.add(IncomingWebmention(token="token-rejected", source="https://r.example.org/", target="x",
                                          post_id=main_id, status=WebmentionStatus.REJECTED,
                                          reason="The source does not link to the target."))
        for number, status in enumerate(DeliveryStatus):
            db.session.add(Delivery(
                post_id=main_id, target=f"https://peer{number}.example.org/post/", origin=DeliveryOrigin.LINK,
                method=DeliveryMethod.PINGBACK, endpoint=f"https://peer{number}.example.org/xmlrpc",
                source_url="https://blog.example/", status=status, attempts=1, last_attempt_at=moment,
                detail="The page answered 404 Not Found" if status == DeliveryStatus.FAILED else "",
            ))
        _wordpress_imports()
        db.session.commit()
        post_path = post_path_of(app, main_id)
        month_path = "/" + post.published_at.strftime("%Y/%m") + "/"
        pending_id = db.session.execute(db.select(Comment.id).filter_by(author_name="Carol")).scalar_one()
        spam_id = db.session.execute(db.select(Comment.id).filter_by(author_name="Spammer")).scalar_one()

    # A visitor's own comment, awaiting moderation, shown to them only.
    data = {"csrf_token": csrf_token(commenter, post_path), "name": "Vic", "email": "vic@example.com",
            "url": "https://vic.example.org", "content": "My comment, held for moderation."}
    assert commenter.post(f"/comment/{main_id}", data=data).status_code == 302

    pages = [
        Page("home", "/", "reader"),
        Page("home, page 2", "/page/2/", "reader"),
        Page("post", post_path, "reader"),
        Page("post, replying to a comment", post_path + f"?replytocom={first_id(app, main_id)}", "reader"),
        Page("post, as its commenter", post_path, "commenter"),
        Page("post, as its owner", post_path, "owner"),
        Page("tag", "/tag/linkbacks/", "reader"),
        Page("page", "/about-this-blog/", "reader"),
        Page("page, as its owner", "/about-this-blog/", "owner"),
        Page("category", "/category/travel/", "reader"),
        Page("category, page 2", "/category/uncategorized/page/2/", "reader"),
        Page("month", month_path, "reader"),
        Page("archives", "/archives/", "reader"),
        Page("search", "/search/", "reader"),
        Page("search results", "/search/?q=post", "reader"),
        Page("search results, page 2", "/search/?q=post&page=2", "reader"),
        Page("search results, none", "/search/?q=nothing-matches-this", "reader"),
        Page("search results, nothing to search for", "/search/?q=%F0%9F%98%80", "reader"),
        Page("not found", "/no/such/page/", "reader"),
        Page("webmention status, accepted", "/webmention/token-reply", "reader"),
        Page("webmention status, queued", "/webmention/token-queued", "reader"),
        Page("webmention status, rejected", "/webmention/token-rejected", "reader"),
        Page("login", "/login", "reader"),
        Page("log out (asks first)", "/logout", "owner"),
        Page("posts", "/admin/posts", "owner"),
        Page("new post", "/admin/posts/new", "owner"),
        Page("edit post, with linkbacks", f"/admin/posts/{main_id}/edit", "owner"),
        Page("edit draft", f"/admin/posts/{draft_id}/edit", "owner"),
        Page("delete post permanently", f"/admin/posts/{trashed_id}/delete", "owner"),
        Page("posts, trash", "/admin/posts?status=trash", "owner"),
        Page("posts, drafts", "/admin/posts?status=draft", "owner"),
        Page("posts, searched, nothing found", "/admin/posts?s=%3Cnothing%3E", "owner"),
        Page("posts, undo of move to trash", f"/admin/posts?trashed={trashed_id}", "owner"),
        Page("posts, past the last page", "/admin/posts?page=9", "owner"),
        Page("empty trash", "/admin/posts/trash/empty", "owner"),
        Page("preview of a draft", f"/admin/posts/{draft_id}/preview", "owner"),
        Page("preview of a scheduled post", f"/admin/posts/{scheduled_id}/preview", "owner"),
        Page("gone (a trashed post)", gone_path, "reader"),
        Page("revisions", f"/admin/posts/{revised_id}/revisions", "owner"),
        Page("revisions, none yet", f"/admin/posts/{draft_id}/revisions", "owner"),
        Page("edit post, with a newer autosave", f"/admin/posts/{revised_id}/edit", "owner"),
        Page("edit post, autosave restored", f"/admin/posts/{revised_id}/edit?autosave=restore", "owner"),
        Page("autosave", f"/admin/posts/{revised_id}/autosave", "owner"),
        Page("pages", "/admin/pages", "owner"),
        Page("new page", "/admin/pages/new", "owner"),
        Page("edit page", f"/admin/pages/{about_id}/edit", "owner"),
        Page("edit draft page", f"/admin/pages/{draft_page_id}/edit", "owner"),
        Page("categories", "/admin/categories/", "owner"),
        Page("edit category", f"/admin/categories/{category_id(app, 'travel')}/edit", "owner"),
        Page("delete category", f"/admin/categories/{category_id(app, 'travel')}/delete", "owner"),
        Page("delete the default category", f"/admin/categories/{category_id(app, 'uncategorized')}/delete",
             "owner"),
        Page("moderation queue", "/admin/comments/", "owner"),
        *(Page(f"moderation queue, {tab}", f"/admin/comments/?status={tab}", "owner")
          for tab in ("all", "approved", "spam", "trash")),
        Page("moderation queue, pingbacks", "/admin/comments/?status=all&kind=pingback", "owner"),
        Page("edit comment", f"/admin/comments/{pending_id}/edit", "owner"),
        Page("settings, general", "/admin/settings/general", "owner"),
        Page("settings, reading", "/admin/settings/reading", "owner"),
        Page("settings, discussion", "/admin/settings/discussion", "owner"),
        Page("settings, apply defaults", "/admin/settings/discussion/apply-defaults", "owner"),
        Page("media", "/admin/media", "owner"),
        Page("delete image, used in a post", f"/admin/media/{photo['id']}/delete", "owner"),
        Page("dashboard", "/admin/", "owner"),
        Page("profile", "/admin/profile", "owner"),
        Page("reply to a comment", f"/admin/comments/{pending_id}/reply", "owner"),
        Page("reply, refused for spam", f"/admin/comments/{spam_id}/reply", "owner"),
        Page("lost password", "/login/lost-password", "reader"),
        Page("reset password", f"/login/reset/{reset_token(app)}", "reader"),
        Page("tools, import", "/admin/tools/import", "owner"),
        Page("tools, export", "/admin/tools/export", "owner"),
        *(Page(f"tools, import {state}", f"/admin/tools/import/import-{state}", "owner")
          for state in ("queued", "running", "done", "failed")),
    ]
    return FilledBlog(pages=pages, post_path=post_path, post_id=main_id)


def _photo() -> bytes:
    from PIL import Image

    out = io.BytesIO()
    Image.new("RGB", (120, 120), "teal").save(out, "PNG")
    return out.getvalue()


def reset_token(app) -> str:
    from blog.models import User
    from blog.password_reset import make_token

    with app.app_context():
        return make_token(db.session.execute(db.select(User)).scalar_one())


def _wordpress_imports() -> None:
    """Tools → Import uploads in each state, for their status pages."""
    import json

    from blog.models import ImportStatus, WordPressImport
    from blog.wordpress.import_report import ImportReport

    report = ImportReport()
    report.count("posts", 12)
    report.count("comments", 340)
    report.count("already imported posts", 2)
    report.skip("page", "About", "not supported yet")
    report.skip("comment", "12 on “Hello”", "in WordPress's trash")
    report.note("Author “Old User” is now you (alice).")
    report.old_image("http://old.example/wp-content/uploads/cat.jpg")
    for state in ImportStatus:
        db.session.add(WordPressImport(
            token=f"import-{state}", filename="old-blog.WordPress.2020-01-05.xml", status=state,
            report=json.dumps(report.as_dict()) if state == ImportStatus.DONE else "",
            error="This file declares a DTD, which a WordPress export never does; it was refused. "
                  "Nothing was imported." if state == ImportStatus.FAILED else "",
        ))


def post_path_of(app, post_id: int) -> str:
    from blog.permalinks import post_url

    with app.test_request_context():
        return post_url(db.session.get(Post, post_id))


def first_pending_id(app) -> int:
    with app.app_context():
        return db.session.execute(db.select(Comment.id).filter_by(author_name="Carol")).scalar_one()


def category_id(app, slug: str) -> int:
    with app.app_context():
        return db.session.execute(db.select(Category.id).filter_by(slug=slug)).scalar_one()


def first_id(app, post_id: int) -> int:
    with app.app_context():
        return db.session.execute(
            db.select(Comment.id).filter_by(post_id=post_id, author_name="Bob")
        ).scalar_one()


def form_pages(app, blog: FilledBlog, owner, reader) -> dict[str, str]:
    """Pages that exist only as the answer to a form: each form sent with a mistake, and the editor's
    preview. Name -> HTML."""
    answers = {}
    fresh = app.test_client()
    answers["login, wrong password"] = fresh.post("/login", data={
        "csrf_token": csrf_token(fresh, "/login"), "username": "alice", "password": PASSWORD + "x"})
    answers["comment, missing fields"] = reader.post(f"/comment/{blog.post_id}", data={
        "csrf_token": csrf_token(reader, blog.post_path), "name": "", "email": "not an address", "url": "",
        "content": ""})
    answers["editor, preview"] = owner.post("/admin/posts/new", data={
        "csrf_token": csrf_token(owner, "/admin/posts/new"), "title": "Previewed", "action": "preview",
        "body": "Links to [a page](https://example.org/) and **bold**.", "tags": "a, b", "slug": "",
        "publish_date": "", "trackback_urls": "https://example.org/trackback/"})
    answers["editor, errors"] = owner.post("/admin/posts/new", data={
        "csrf_token": csrf_token(owner, "/admin/posts/new"), "title": "", "action": "publish", "body": "",
        "tags": "", "slug": "", "publish_date": "not a date", "trackback_urls": "not a url"})
    upload_fields = {"title": "", "body": "Typed text.", "tags": "", "slug": "", "publish_date": "",
                     "trackback_urls": "", "action": "upload", "upload-alt_text": "A teal box"}
    answers["editor, image uploaded"] = owner.post("/admin/posts/new", content_type="multipart/form-data", data={
        **upload_fields, "csrf_token": csrf_token(owner, "/admin/posts/new"),
        "upload-image": (io.BytesIO(image_bytes(30, 20)), "box.png")})
    answers["editor, image refused"] = owner.post("/admin/posts/new", content_type="multipart/form-data", data={
        **upload_fields, "csrf_token": csrf_token(owner, "/admin/posts/new"), "upload-alt_text": "",
        "upload-image": (io.BytesIO(b"not an image"), "notes.jpg")})
    answers["media, upload refused"] = owner.post("/admin/media/upload", data={
        "csrf_token": csrf_token(owner, "/admin/media"), "alt_text": "",
        "image": (io.BytesIO(b"not an image"), "notes.jpg")})
    answers["page editor, errors"] = owner.post("/admin/pages/new", data={
        "csrf_token": csrf_token(owner, "/admin/pages/new"), "title": "", "action": "publish", "body": "Kept",
        "slug": "admin", "publish_date": "", "menu_order": "first", "trackback_urls": ""})
    answers["page editor, preview"] = owner.post("/admin/pages/new", data={
        "csrf_token": csrf_token(owner, "/admin/pages/new"), "title": "A previewed page", "action": "preview",
        "body": "Some **text**.", "slug": "", "publish_date": "", "menu_order": "3", "trackback_urls": ""})
    answers["page editor, reserved slug"] = owner.post("/admin/pages/new", data={
        "csrf_token": csrf_token(owner, "/admin/pages/new"), "title": "Feed", "action": "publish",
        "body": "x", "slug": "feed", "publish_date": "", "menu_order": "0", "trackback_urls": ""})
    answers["categories, errors"] = owner.post("/admin/categories/", data={
        "csrf_token": csrf_token(owner, "/admin/categories/"), "name": "Books", "slug": "travel"})
    answers["settings, general errors"] = owner.post("/admin/settings/general", data={
        "csrf_token": csrf_token(owner, "/admin/settings/general"), "blog_title": "", "tagline": "",
        "site_url": "ftp://nowhere", "timezone": "Mars/Olympus"})
    answers["dashboard, quick draft errors"] = owner.post("/admin/quick-draft", data={
        "csrf_token": csrf_token(owner, "/admin/"), "title": "", "body": "Kept"})
    answers["profile, errors"] = owner.post("/admin/profile", data={
        "csrf_token": csrf_token(owner, "/admin/profile"), "display_name": "x" * 300, "email": "nope",
        "website": "javascript:alert(1)", "current_password": "wrong", "new_password": "short",
        "photo": (io.BytesIO(b"not an image"), "x.jpg")})
    answers["profile, wrong current password"] = owner.post("/admin/profile", data={
        "csrf_token": csrf_token(owner, "/admin/profile"), "display_name": "", "email": "admin@example.com",
        "website": "", "current_password": "wrong", "new_password": "a long new password"})
    pending_id = first_pending_id(app)
    answers["reply, errors"] = owner.post(f"/admin/comments/{pending_id}/reply", data={
        "csrf_token": csrf_token(owner, "/admin/"), "content": " ", "approve": "yes"})
    answers["lost password, errors"] = fresh.post("/login/lost-password", data={
        "csrf_token": csrf_token(fresh, "/login/lost-password"), "name": ""})
    answers["reset password, errors"] = fresh.post(f"/login/reset/{reset_token(app)}", data={
        "csrf_token": csrf_token(fresh, "/login"), "new_password": "short"})
    answers["reset password, spent link"] = fresh.get("/login/reset/not-a-valid-token")
    answers["settings, reading errors"] = owner.post("/admin/settings/reading", data={
        "csrf_token": csrf_token(owner, "/admin/settings/reading"), "posts_per_page": "0", "posts_per_rss": "101",
        "rss_use_excerpt": "neither", "home_use_excerpt": ""})
    answers.update(import_pages(app, owner))
    html = {name: response.get_data(as_text=True) for name, response in answers.items()}
    for name, response in answers.items():
        assert response.status_code in (200, 400, 401, 409, 422), f"{name}: {response.status_code}"
    return html


def setup_pages(app_factory) -> dict[str, str]:
    """The first-run setup page, blank and with its errors, on a blog not yet set up."""
    app = app_factory()
    client = app.test_client()
    blank = client.get("/setup").get_data(as_text=True)
    errors = client.post("/setup", data={"csrf_token": csrf_token(client, "/setup"), "blog_title": "",
                                          "username": "", "password": "short", "email": "nope"})
    return {"setup": blank, "setup, errors": errors.get_data(as_text=True)}


def import_pages(app, owner) -> dict:
    """Tools → Import's pages: an import waiting for the job layer, its report (counts, skipped items,
    notes, old images), and the form with a refused file."""
    import io

    from wxr_testing import C, P, wxr

    from blog.jobs.wordpress_imports import run_pass

    data = wxr(
        P(9001, "Imported <em>post</em>", "imported-post",
          '<img src="http://old.example/wp-content/uploads/a.jpg" alt="">',
          comments=[C(1, parent=99), C(2, approved="trash")]),
        P(9002, "About", "about", type="page"),
    )
    token = csrf_token(owner, "/admin/tools/import")
    pages = {}
    for name, upload in (("report", data), ("refused", b"not xml")):
        queued = owner.post("/admin/tools/import", content_type="multipart/form-data",
                            data={"csrf_token": token, "file": (io.BytesIO(upload), f"{name}.xml")})
        status = queued.headers["Location"]
        pages[f"tools, import {name}, queued"] = owner.get(status)
        with app.app_context():
            run_pass()
        pages[f"tools, import {name}"] = owner.get(status)
    return pages
