"""Categories beside tags (issue 13, "Categories"; issue 14 "the same markup and feeds"): the editor's
"Categories" boxes and "New category" field, "Uncategorized" by default, /category/<slug>/ pages
(paginated) with Atom and RSS feeds, p-category markup, feed <category> entries, the sitemap, and
/admin/categories (add, rename, delete with the fallback to the default; the default kept). The
migration files existing posts under "Uncategorized"."""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor

import mf2py
import pytest
import requests
import sqlalchemy as sa
from blog_testing import CSRF_RE, PASSWORD, csrf_token, database_uri, snapshot
from bs4 import BeautifulSoup
from feed_testing import parse_feed
from flask_migrate import upgrade
from markupsafe import escape

from blog import create_app
from blog.extensions import db
from blog.models import Category, Post
from blog.site_settings import save_settings

TIMEOUT = 30


def category_ids(app) -> dict[str, int]:
    with app.app_context():
        rows = dict(db.session.execute(db.select(Category.name, Category.id)).all())
        db.session.remove()
        return rows


def names_of(post) -> list[str]:
    return [c.name for c in post.categories]


def errors_of(html: str) -> list[str]:
    return [p.get_text(" ", strip=True) for p in BeautifulSoup(html, "html.parser").select("p.error")]


def add_category(author, name: str, slug: str = ""):
    token = csrf_token(author.client, "/admin/categories/")
    return author.client.post("/admin/categories/", data={"csrf_token": token, "name": name, "slug": slug})


# --- the editor ------------------------------------------------------------------------------------


def test_editor_offers_the_categories_with_uncategorized_ticked_for_a_new_post(app, author):
    add_category(author, "Travel")
    html = author.client.get("/admin/posts/new").get_data(as_text=True)
    box = BeautifulSoup(html, "html.parser").select_one("fieldset.categories-box")
    assert box.legend.get_text() == "Categories"
    boxes = {box.find("label", attrs={"for": i["id"]}).get_text(): i.has_attr("checked")
             for i in box.select('input[type="checkbox"][name="categories"]')}
    assert boxes == {"Travel": False, "Uncategorized": True}
    assert ">New category</label>" in html


def test_a_post_with_no_category_chosen_is_uncategorized(author, visitor):
    post = author.publish("Hello", "Text.")
    assert names_of(post) == ["Uncategorized"]
    html = visitor.get(author.url_of(post)).get_data(as_text=True)
    link = BeautifulSoup(html, "html.parser").select_one("p.post-categories a")
    assert (link["class"], link["href"], link["rel"], link.get_text()) == (
        ["p-category"], "/category/uncategorized/", ["category", "tag"], "Uncategorized")


def test_chosen_and_new_categories_are_filed_and_new_ones_made_once(app, author):
    add_category(author, "Travel")
    ids = category_ids(app)
    post = author.publish("Trip", categories=[ids["Travel"]], new_category="Food, travel , Books")
    assert names_of(post) == ["Books", "Food", "Travel"]  # "travel" is the existing Travel
    second = author.publish("Another", new_category="food")
    assert names_of(second) == ["Food"]
    assert sorted(category_ids(app)) == ["Books", "Food", "Travel", "Uncategorized"]
    html = author.client.get(f"/admin/posts/{post.id}/edit").get_data(as_text=True)
    ticked = {i["value"] for i in BeautifulSoup(html, "html.parser").select('input[name="categories"][checked]')}
    assert ticked == {str(category_ids(app)[name]) for name in ("Books", "Food", "Travel")}


def test_a_category_deleted_while_the_editor_was_open_is_dropped_not_refused(app, author):
    add_category(author, "Gone")
    gone = category_ids(app)["Gone"]
    token = csrf_token(author.client, f"/admin/categories/{gone}/delete")
    author.client.post(f"/admin/categories/{gone}/delete", data={"csrf_token": token})
    post = author.publish("Still saved", categories=[gone])
    assert names_of(post) == ["Uncategorized"]


def test_preview_shows_the_categories_and_stores_nothing(app, author):
    before = snapshot(app)
    response = author.save("Looks right", "Text", action="preview", new_category="Brand <new>")
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert "Brand &lt;new&gt;</a>" in html
    assert snapshot(app) == before


def test_editing_categories_changes_the_entrys_updated_date(app, author):
    post = author.publish("Hello")
    author.save("Hello", post_id=post.id, new_category="Later")
    edited = author.post(post.id)
    assert names_of(edited) == ["Later"]
    assert edited.content_updated_at > post.content_updated_at


# --- public pages and feeds ------------------------------------------------------------------------


def test_category_page_lists_its_published_posts_in_pages(app, author, visitor):
    with app.app_context():
        save_settings({"posts_per_page": 2})
    for n in range(1, 4):
        author.publish(f"Trip {n}", new_category="Travel", publish_date=f"2024-01-0{n}T10:00")
    author.publish("Elsewhere")
    author.save("Draft trip", action="draft", new_category="Travel")
    first = visitor.get("/category/travel/")
    assert first.status_code == 200
    soup = BeautifulSoup(first.get_data(as_text=True), "html.parser")
    assert soup.h1.get_text() == "Posts in “Travel”"
    assert [h.get_text() for h in soup.select("h2.post-title")] == ["Trip 3", "Trip 2"]
    second = BeautifulSoup(visitor.get("/category/travel/page/2/").get_data(as_text=True), "html.parser")
    assert [h.get_text() for h in second.select("h2.post-title")] == ["Trip 1"]
    assert soup.select_one("a.older")["href"] == "/category/travel/page/2/"
    assert visitor.get("/category/travel/page/3/").status_code == 404
    assert visitor.get("/category/nothing/").status_code == 404


def test_a_category_only_drafts_use_has_no_page_or_feed(author, visitor):
    author.save("Draft", action="draft", new_category="Secret")
    for path in ("/category/secret/", "/category/secret/feed/", "/category/secret/feed/rss2/"):
        assert visitor.get(path).status_code == 404, path


def test_category_feeds_in_atom_and_rss_hold_its_posts(app, author, visitor):
    author.publish("Trip <one>", "Went **far**.", new_category="Travel", publish_date="2024-01-01T10:00")
    author.publish("Trip two", new_category="Travel", tags="photos", publish_date="2024-01-02T10:00")
    author.publish("Cooking", new_category="Food")
    atom = parse_feed(visitor, "/category/travel/feed/", "atom10")
    rss = parse_feed(visitor, "/category/travel/feed/rss2/", "rss20")
    assert [e.title for e in atom.entries] == [e.title for e in rss.entries] == ["Trip two", "Trip <one>"]
    assert atom.feed.title == rss.feed.title == "Test Blog » Travel"
    assert {link.rel: link.href for link in atom.feed.links}["self"] == "http://localhost/category/travel/feed/"
    assert rss.feed.link == "http://localhost/category/travel/"
    assert sorted(t.term for t in atom.entries[0].tags) == ["photos", "travel"]
    assert "<strong>far</strong>" in atom.entries[1].content[0].value
    response = visitor.get("/category/travel/feed/")
    assert visitor.get("/category/travel/feed/", headers={"If-None-Match": response.headers["ETag"]}).status_code == 304
    html = visitor.get("/category/travel/").get_data(as_text=True)
    assert 'type="application/atom+xml" title="Test Blog » Travel" href="/category/travel/feed/"' in html
    # The blog's own feed names the categories of each entry too.
    main = parse_feed(visitor, "/feed/")
    assert {e.title: sorted(t.term for t in e.tags) for e in main.entries}["Cooking"] == ["food"]


def test_categories_are_p_category_in_the_microformats(author, visitor):
    post = author.publish("Trip", new_category="Travel, Far away", tags="photos")
    for path in (author.url_of(post), "/", "/category/far-away/"):
        parsed = mf2py.parse(doc=visitor.get(path).get_data(as_text=True), url="http://localhost" + path)
        entries = [i for i in parsed["items"] if "h-entry" in i["type"]]
        entries += [c for i in parsed["items"] for c in i.get("children", []) if "h-entry" in c["type"]]
        (entry,) = entries
        assert sorted(entry["properties"]["category"]) == ["Far away", "Travel", "photos"], path
    feed = [i for i in mf2py.parse(doc=visitor.get("/category/far-away/").get_data(as_text=True))["items"]
            if "h-feed" in i["type"]]
    assert feed[0]["properties"]["name"] == ["Posts in “Far away”"]


def test_markup_in_a_category_name_is_escaped(author, visitor):
    name = "<script>x()</script> & <i>Co</i>"
    post = author.publish("Trip", new_category=name)
    slug = post.categories[0].slug
    for client, path in ((visitor, author.url_of(post)), (visitor, f"/category/{slug}/"),
                         (author.client, "/admin/categories/"), (author.client, "/admin/posts/new")):
        html = client.get(path).get_data(as_text=True)
        assert "<script>x()" not in html and "<i>Co</i>" not in html, path
        assert str(escape(name)) in html, path
    feed = parse_feed(visitor, f"/category/{slug}/feed/")
    assert feed.feed.title == f"Test Blog » {name}"


def test_categories_are_in_the_sitemap(author, visitor):
    author.publish("Trip", new_category="Travel", publish_date="2024-01-02T10:00")
    author.save("Draft", action="draft", new_category="Secret")
    sitemap = visitor.get("/sitemap.xml").get_data(as_text=True)
    assert "<loc>http://localhost/category/travel/</loc>" in sitemap
    assert "category/secret" not in sitemap and "category/uncategorized" not in sitemap


# --- managing categories ---------------------------------------------------------------------------


def test_adding_a_category_in_the_admin(app, author):
    response = add_category(author, "Travel notes", slug="")
    assert response.status_code == 302
    response = add_category(author, "Books", slug="reading")
    assert response.status_code == 302
    html = author.client.get("/admin/categories/").get_data(as_text=True)
    rows = BeautifulSoup(html, "html.parser").select("table.categories-table tbody tr")
    assert [r.select("td")[1].get_text() for r in rows] == ["reading", "travel-notes", "uncategorized"]
    assert "(default)" in rows[2].get_text()


@pytest.mark.parametrize(("name", "slug", "message"), [
    ("travel", "", "A category named “travel” already exists."),
    ("Journeys", "travel", "The slug “travel” is already used by another category."),
    ("", "", "Please give the category a name."),
    ("x" * 101, "", "Field cannot be longer than 100 characters."),
    ("???", "", "The slug needs at least one letter or digit."),
])
def test_a_name_or_slug_in_use_or_missing_is_refused_with_a_clear_message(app, author, name, slug, message):
    add_category(author, "Travel")
    before = snapshot(app)
    response = add_category(author, name, slug)
    assert response.status_code == 400
    html = response.get_data(as_text=True)
    assert message in errors_of(html)
    assert snapshot(app) == before


def test_renaming_a_category_moves_its_page_and_keeps_its_posts(app, author, visitor):
    post = author.publish("Trip", new_category="Travel")
    travel = category_ids(app)["Travel"]
    token = csrf_token(author.client, f"/admin/categories/{travel}/edit")
    response = author.client.post(f"/admin/categories/{travel}/edit",
                                  data={"csrf_token": token, "name": "Journeys", "slug": "journeys"})
    assert response.status_code == 302
    assert names_of(author.post(post.id)) == ["Journeys"]
    assert visitor.get("/category/travel/").status_code == 404
    assert "Trip" in visitor.get("/category/journeys/").get_data(as_text=True)
    # Renamed, the name without a new slug keeps its address.
    token = csrf_token(author.client, f"/admin/categories/{travel}/edit")
    author.client.post(f"/admin/categories/{travel}/edit", data={"csrf_token": token, "name": "Trips", "slug": ""})
    assert visitor.get("/category/journeys/").status_code == 200


def test_the_default_category_can_be_renamed_and_stays_the_default(app, author):
    default = category_ids(app)["Uncategorized"]
    token = csrf_token(author.client, f"/admin/categories/{default}/edit")
    author.client.post(f"/admin/categories/{default}/edit", data={"csrf_token": token, "name": "General", "slug": ""})
    assert names_of(author.publish("Hello")) == ["General"]


def test_deleting_a_category_files_its_orphans_under_the_default(app, author, visitor):
    only_travel = author.publish("Trip", new_category="Travel")
    both = author.publish("Trip with food", new_category="Travel, Food")
    travel = category_ids(app)["Travel"]
    page = author.client.get(f"/admin/categories/{travel}/delete").get_data(as_text=True)
    assert "Its 2 posts will not be deleted" in page
    token = csrf_token(author.client, f"/admin/categories/{travel}/delete")
    response = author.client.post(f"/admin/categories/{travel}/delete", data={"csrf_token": token})
    assert response.status_code == 302
    assert names_of(author.post(only_travel.id)) == ["Uncategorized"]
    assert names_of(author.post(both.id)) == ["Food"]
    assert "Travel" not in category_ids(app)
    assert visitor.get("/category/travel/").status_code == 404
    assert visitor.get(author.url_of(only_travel)).status_code == 200


def test_the_default_category_cannot_be_deleted(app, author):
    author.publish("Hello")
    default = category_ids(app)["Uncategorized"]
    assert "cannot be deleted" in author.client.get(f"/admin/categories/{default}/delete").get_data(as_text=True)
    before = snapshot(app)
    token = csrf_token(author.client, "/admin/categories/")
    response = author.client.post(f"/admin/categories/{default}/delete", data={"csrf_token": token},
                                  follow_redirects=True)
    assert "“Uncategorized” is the default category and cannot be deleted." in response.get_data(as_text=True)
    assert snapshot(app) == before


def test_visitors_are_refused_on_the_category_admin(app, author, visitor):
    author.publish("Trip", new_category="Travel")
    travel = category_ids(app)["Travel"]
    before = snapshot(app)
    paths = ("/admin/categories/", f"/admin/categories/{travel}/edit", f"/admin/categories/{travel}/delete")
    data = {"csrf_token": csrf_token(visitor), "name": "Hijacked", "slug": "hijacked"}
    for path in paths:
        for response in (visitor.get(path), visitor.post(path, data=data)):
            assert response.status_code == 302 and "/login" in response.headers["Location"], path
    assert snapshot(app) == before


def test_category_forms_refuse_a_missing_csrf_token(app, author):
    travel = add_category(author, "Travel") and category_ids(app)["Travel"]
    before = snapshot(app)
    for path in ("/admin/categories/", f"/admin/categories/{travel}/edit", f"/admin/categories/{travel}/delete"):
        assert author.client.post(path, data={"name": "Changed", "slug": ""}).status_code == 400, path
    assert snapshot(app) == before


# --- in parallel -----------------------------------------------------------------------------------


def test_posts_saved_at_once_with_the_same_new_category_share_one(app, author, live_server):
    """The category made by the first save is found by the others (a unique slug, retried), and
    every post is saved."""
    count = 4
    barrier = threading.Barrier(count, timeout=TIMEOUT)

    def run(i):
        session = requests.Session()
        token = CSRF_RE.search(session.get(live_server.url + "/login", timeout=TIMEOUT).text).group(1)
        session.post(live_server.url + "/login", data={"csrf_token": token, "username": "admin",
                                                       "password": PASSWORD}, timeout=TIMEOUT)
        token = CSRF_RE.search(session.get(live_server.url + "/admin/posts/new", timeout=TIMEOUT).text).group(1)
        data = {"csrf_token": token, "title": f"Post {i}", "body": "Text", "tags": "shared tag", "slug": "",
                "publish_date": "", "trackback_urls": "", "new_category": "Brand New", "action": "publish"}
        barrier.wait()
        return session.post(live_server.url + "/admin/posts/new", data=data, allow_redirects=False, timeout=TIMEOUT)

    with ThreadPoolExecutor(max_workers=count) as pool:
        responses = list(pool.map(run, range(count)))
    assert [r.status_code for r in responses] == [302] * count
    assert sorted(category_ids(app)) == ["Brand New", "Uncategorized"]
    with app.app_context():
        posts = db.session.execute(db.select(Post)).scalars().all()
        assert sorted(names_of(p)[0] for p in posts) == ["Brand New"] * count


# --- the migration ---------------------------------------------------------------------------------


def test_migration_files_existing_posts_under_uncategorized(tmp_path, monkeypatch):
    monkeypatch.setenv("BLOG_INSTANCE_PATH", str(tmp_path / "inst"))
    app = create_app({"SQLALCHEMY_DATABASE_URI": database_uri(tmp_path, "migrated")})
    with app.app_context():
        upgrade(revision="c5f1a9e3d7b2")
        with db.engine.begin() as conn:
            conn.execute(sa.text(
                "INSERT INTO users (id, username, email, password_hash, created_at) "
                "VALUES (1, 'old', 'old@example.com', 'x', '2020-01-01 00:00:00')"
            ))
            for post_id, slug in ((1, "first"), (2, "second")):
                conn.execute(sa.text(
                    "INSERT INTO posts (id, title, slug, body_markdown, body_html, status, published_at, created_at, "
                    "updated_at, content_updated_at, author_id, allow_comments, allow_pings, trackback_urls) VALUES "
                    "(:id, 'Old', :slug, 'x', '<p>x</p>', 'published', '2020-01-02 10:00:00', '2020-01-02 10:00:00', "
                    "'2020-01-02 10:00:00', '2020-01-02 10:00:00', 1, TRUE, TRUE, '')"
                ), {"id": post_id, "slug": slug})
            conn.execute(sa.text(
                "INSERT INTO comments (id, post_id, kind, status, author_name, author_email, author_url, content, "
                "ip, user_agent, created_at) VALUES (1, 1, 'comment', 'approved', 'Ann', '', '', 'Kept', '', '', "
                "'2020-01-03 09:00:00')"
            ))
        upgrade()
        with db.engine.connect() as conn:
            assert conn.execute(sa.text("SELECT id, kind, menu_order FROM posts ORDER BY id")).all() == [
                (1, "post", 0), (2, "post", 0)
            ]
            assert conn.execute(sa.text("SELECT name, slug, is_default FROM categories")).all() == [
                ("Uncategorized", "uncategorized", True)
            ]
            filed = conn.execute(sa.text("SELECT post_id FROM post_categories ORDER BY post_id")).scalars().all()
            assert filed == [1, 2]
            assert conn.execute(sa.text("SELECT content FROM comments")).scalars().all() == ["Kept"]
        posts = db.session.execute(db.select(Post).order_by(Post.id)).scalars().all()
        assert [(p.kind, names_of(p)) for p in posts] == [("post", ["Uncategorized"])] * 2
        db.session.remove()
