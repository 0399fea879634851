"""How the post page reads and renders what it shows (issue 11's cache-miss cost): its categories and tags in one
query, its approved items as plain rows rendered by blog/comment_list.py with every field escaped, and the paths
url_for remembers (blog/url_cache.py)."""

from __future__ import annotations

import sqlalchemy as sa
from bs4 import BeautifulSoup
from flask import url_for as flask_url_for

from blog import url_cache
from blog.extensions import db
from blog.models import Comment, CommentKind, CommentStatus, Post, Verification, utcnow


def soup_of(response) -> BeautifulSoup:
    assert response.status_code == 200
    return BeautifulSoup(response.get_data(as_text=True), "html.parser")


def statements_of(app, client, url: str) -> int:
    with app.app_context():
        engine = db.engine
    seen = []

    def record(*args):
        seen.append(args[2])

    app.config["PAGE_CACHE"] = False
    sa.event.listen(engine, "before_cursor_execute", record)
    try:
        assert client.get(url).status_code == 200
    finally:
        sa.event.remove(engine, "before_cursor_execute", record)
        app.config["PAGE_CACHE"] = True
    return len(seen)


def test_categories_and_tags_are_shown_by_name_and_read_in_one_query_however_many(app, author, visitor):
    few = author.publish("Few", "Text.", tags="zeta, Alpha", new_category="Yew, Ash")
    many = author.publish("Many", "Text.", tags="t4, t1, t3, t2, t6, t5", new_category="c3, c1, c2")
    for post, categories, tags in ((few, ["Ash", "Yew"], ["Alpha", "zeta"]),
                                   (many, ["c1", "c2", "c3"], ["t1", "t2", "t3", "t4", "t5", "t6"])):
        app.config["PAGE_CACHE"] = False
        page = soup_of(visitor.get(author.url_of(post)))
        app.config["PAGE_CACHE"] = True
        assert [a.get_text() for a in page.select("p.post-categories a")] == categories
        assert [a.get_text() for a in page.select("p.post-tag-list a")] == tags
        assert [m["content"] for m in page.select('meta[property="article:tag"]')] == tags
    visitor.get(author.url_of(few))  # warm-up: per-process caches are not what is counted
    assert statements_of(app, visitor, author.url_of(few)) == statements_of(app, visitor, author.url_of(many))


def test_the_comment_list_escapes_every_field_from_a_visitor_or_a_remote_site(app, author, visitor):
    post = author.publish("Hostile", "Text.")
    hostile = '"><script>alert(1)</script><b x="'
    short = '"><b>x'  # a webmention's type is at most 20 characters
    with app.app_context():
        stored = db.session.get(Post, post.id)
        for kind, mention_type in ((CommentKind.COMMENT, None), (CommentKind.PINGBACK, None),
                                   (CommentKind.WEBMENTION, short)):
            db.session.add(Comment(
                post=stored, kind=kind, status=CommentStatus.APPROVED, mention_type=mention_type,
                verification=None if kind == CommentKind.COMMENT else Verification.VERIFIED,
                author_name=hostile, author_url=f"https://evil.example/{hostile}", content=hostile,
                created_at=utcnow(),
            ))
        db.session.commit()
    app.config["PAGE_CACHE"] = False
    html = visitor.get(author.url_of(post)).get_data(as_text=True)
    page = BeautifulSoup(html, "html.parser")
    assert "<script>alert(1)</script>" not in html and not page.select("ol.comment-list script, ol.comment-list b")
    items = page.select("ol.comment-list > li")
    assert len(items) == 3
    for item in items:
        assert item.select_one(".comment-author a").get_text() == hostile
        assert item.select_one(".comment-author a")["href"] == f"https://evil.example/{hostile}"
        assert item.select_one(".comment-text").get_text().strip() == hostile
    assert items[2].select_one(".comment-kind").get_text() == short.capitalize() + ":"
    assert items[0].select_one(".reply-link").get_text() == f"Reply to {hostile}"
    assert not items[1].select(".reply-link")  # a linkback takes no reply


def test_remembered_paths_follow_the_script_root_and_the_values(app):
    with app.test_request_context("/"):
        at_root = url_cache.url_for("public.tag", slug="a b")
        again = url_cache.url_for("public.tag", slug="a b")
        other = url_cache.url_for("public.tag", slug="c")
    with app.test_request_context("/", base_url="http://localhost/blog"):
        under_blog = url_cache.url_for("public.tag", slug="a b")
        assert under_blog == flask_url_for("public.tag", slug="a b")
    assert at_root == again == "/tag/a%20b/"
    assert other == "/tag/c/"
    assert under_blog == "/blog/tag/a%20b/"


def test_what_is_not_remembered_is_built_each_time(app):
    with app.test_request_context("/"):
        assert url_cache.url_for("public.tag", slug="x", _external=True) == "http://localhost/tag/x/"
        assert url_cache.url_for("public.tag", slug="x", _anchor="top") == "/tag/x/#top"
        assert url_cache.url_for("public.search", q=["a", "b"]) == flask_url_for("public.search", q=["a", "b"])
        assert url_cache.url_for("static", filename="css/blog.css").startswith("/static/css/blog.css?v=")
        remembered = app.extensions.get("url_cache", {})
        assert all(key[1] != "static" and not any(name.startswith("_") for name, _ in key[2]) for key in remembered)


def test_remembered_paths_are_bounded(app, monkeypatch):
    monkeypatch.setattr(url_cache, "MAX_ENTRIES", 50)
    with app.test_request_context("/"):
        for n in range(500):
            assert url_cache.url_for("public.tag", slug=f"tag-{n}") == f"/tag/tag-{n}/"
    assert len(app.extensions["url_cache"]) <= 50


def test_settings_parsed_once_still_follow_every_change_to_their_rows(app):
    """The values parsed from the settings rows are kept while the rows are the same; a row written by any
    process (here a plain statement, as another worker's commit) is seen by the next read."""
    from blog.models import Setting
    from blog.site_settings import get_settings, save_settings

    with app.app_context():
        save_settings({"blog_title": "First"})
    with app.app_context():
        first = get_settings()
        first["blog_title"] = "changed by a caller"  # a request's copy: never the next one's
    with app.app_context():
        assert get_settings()["blog_title"] == "First"
        db.session.execute(sa.update(Setting).where(Setting.key == "blog_title").values(value='"Second"'))
        db.session.commit()
    with app.app_context():
        assert get_settings()["blog_title"] == "Second"
        db.session.execute(sa.delete(Setting).where(Setting.key == "blog_title"))
        db.session.commit()
    with app.app_context():
        from blog.site_settings import SPECS

        assert get_settings()["blog_title"] == SPECS["blog_title"].default
