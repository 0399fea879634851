"""Publishing queues what a post owes (in the same transaction, with no network), links between
our own posts are recorded on the spot, and the editor shows the plan and the results."""

from __future__ import annotations

import pytest
from blog_testing import csrf_token

from blog.extensions import db
from blog.jobs.deliveries import deliver_due
from blog.models import Comment, Delivery, DeliveryStatus
from blog.site_settings import save_settings


def deliveries(app, post_id: int) -> list[tuple[str, str, str]]:
    with app.app_context():
        rows = db.session.execute(db.select(Delivery).filter_by(post_id=post_id).order_by(Delivery.id)).scalars()
        return [(d.target, d.origin, d.status) for d in rows]


def test_publishing_queues_links_without_touching_the_network(app, author, remote_blog):
    target = remote_blog.post_page("/a/")
    post = author.publish("Linking", f"See [this]({target}) and [that]({target}#again).")
    assert deliveries(app, post.id) == [(target, "link", "queued")]
    assert remote_blog.server.log == []  # nothing was fetched while the author waited


def test_links_are_extracted_absolute_http_only_and_home_pages_skipped(app, author):
    post = author.publish(
        "Links",
        "[rel](/local) [mail](mailto:a@b.c) [ftp](ftp://x.example/f) [home](https://example.org/) "
        "[post](https://example.org/2026/post) [dup](HTTPS://EXAMPLE.ORG:443/2026/post)",
    )
    assert deliveries(app, post.id) == [("https://example.org/2026/post", "link", "queued")]


def test_draft_queues_nothing(app, author, remote_blog):
    response = author.save("Draft", f"[x]({remote_blog.post_page('/a/')})", action="draft")
    post_id = int(response.headers["Location"].split("/")[-2])
    assert deliveries(app, post_id) == []


def test_notify_setting_off_sends_no_pingbacks_but_typed_trackbacks(app, author, remote_blog):
    with app.app_context():
        save_settings({"default_pingback_flag": False})
    page = remote_blog.post_page("/a/")
    post = author.publish("Quiet", f"[x]({page})", trackback_urls=page + "trackback/")
    assert deliveries(app, post.id) == [(page + "trackback/", "trackback", "queued")]


def test_update_never_notifies_a_target_again_but_notifies_new_links(app, author, remote_blog):
    first, second = remote_blog.post_page("/one/"), remote_blog.post_page("/two/")
    post = author.publish("Post", f"[1]({first})")
    with app.app_context():
        deliver_due()
    author.save("Post", f"[1]({first}) and now [2]({second})", post_id=post.id)
    with app.app_context():
        deliver_due()
    author.save("Post", f"[1]({first}) [2]({second}) edited again", post_id=post.id)
    with app.app_context():
        deliver_due()
    assert sorted(remote_blog.pings) == sorted([(author.url_of_external(post), first),
                                               (author.url_of_external(post), second)])
    assert [s for _, _, s in deliveries(app, post.id)] == ["sent", "sent"]


def test_link_removed_before_sending_is_no_longer_owed(app, author, remote_blog):
    page = remote_blog.post_page("/a/")
    post = author.publish("Post", f"[x]({page})")
    author.save("Post", "no links any more", post_id=post.id)
    assert deliveries(app, post.id) == []


def test_link_to_own_post_recorded_as_approved_pingback_without_network(app, author, httpserver):
    older = author.publish("Older post", "The original.")
    older_url = author.url_of_external(older)
    newer = author.publish("Newer post", f"As I wrote in [my older post]({older_url}), things change.")
    assert deliveries(app, newer.id) == [(older_url, "link", "sent")]
    with app.app_context():
        pingback = db.session.execute(db.select(Comment).filter_by(post_id=older.id)).scalar_one()
        assert (pingback.kind, pingback.status, pingback.author_name) == ("pingback", "approved", "Newer post")
        assert pingback.author_url == author.url_of_external(newer)
        assert "As I wrote in my older post, things change." in pingback.content
    page = author.client.get(author.url_of(older)).get_data(as_text=True)
    assert "Newer post" in page and "As I wrote in my older post" in page
    assert httpserver.log == []


def test_own_link_waits_for_approval_when_that_setting_is_off(app, author):
    with app.app_context():
        save_settings({"approve_own_links": False})
    older = author.publish("Older", "x")
    author.publish("Newer", f"[link]({author.url_of_external(older)})")
    with app.app_context():
        assert db.session.execute(db.select(Comment.status)).scalar_one() == "pending"


def test_own_link_from_a_scheduled_post_is_recorded_when_it_goes_live(app, author):
    older = author.publish("Older", "x")
    scheduled = author.publish("Later", f"[link]({author.url_of_external(older)})", publish_date="2999-01-01T10:00")
    assert deliveries(app, scheduled.id)[0][2] == "queued"
    with app.app_context():
        assert db.session.execute(db.select(Comment)).scalars().all() == []


def test_editor_shows_what_publishing_will_notify(app, author, remote_blog):
    page = remote_blog.post_page("/a/")
    response = author.save("Plan", f"[x]({page}) [home](https://example.org/)", action="preview",
                           trackback_urls="https://tb.example/trackback/1")
    html = response.get_data(as_text=True)
    assert "Publishing will notify" in html
    assert page in html and "https://tb.example/trackback/1" in html and "a home page, not a post" in html
    assert remote_blog.server.log == []


def test_trackback_box_refuses_what_is_not_a_url(app, author):
    response = author.save("Post", "text", trackback_urls="https://ok.example/tb javascript:alert(1)")
    assert response.status_code == 400
    assert "Not a web address: javascript:alert(1)" in response.get_data(as_text=True)


def test_edit_screen_lists_each_target_with_its_status(app, author, remote_blog):
    remote_blog.fault = (17, "no link here")
    page = remote_blog.post_page("/a/")
    post = author.publish("Panel", f"[x]({page})")
    with app.app_context():
        deliver_due()
    html = author.client.get(f"/admin/posts/{post.id}/edit").get_data(as_text=True)
    assert 'id="linkbacks"' in html and page in html
    assert "did not find a link to its page in our post (fault 17)" in html
    assert remote_blog.url("/xmlrpc") in html
    listing = author.client.get("/admin/posts").get_data(as_text=True)
    assert "1 failed" in listing


@pytest.mark.parametrize("scope", ["one", "all"])
def test_resend_queues_again(app, author, remote_blog, scope):
    remote_blog.fault = (0, "")
    page = remote_blog.post_page("/a/")
    post = author.publish("Again", f"[x]({page})")
    with app.app_context():
        deliver_due()
        delivery_id = db.session.execute(db.select(Delivery.id)).scalar_one()
    assert deliveries(app, post.id)[0][2] == DeliveryStatus.FAILED
    remote_blog.fault = None
    url = f"/admin/posts/{post.id}/linkbacks/" + (f"{delivery_id}/resend" if scope == "one" else "resend")
    token = csrf_token(author.client, f"/admin/posts/{post.id}/edit")
    assert author.client.post(url, data={"csrf_token": token}).status_code == 302
    with app.app_context():
        deliver_due()
    assert deliveries(app, post.id)[0][2] == DeliveryStatus.SENT
    assert len(remote_blog.pings) == 2


def test_resend_refuses_a_delivery_of_another_post(app, author, remote_blog):
    a = author.publish("A", f"[x]({remote_blog.post_page('/a/')})")
    b = author.publish("B", "nothing")
    with app.app_context():
        delivery_id = db.session.execute(db.select(Delivery.id).filter_by(post_id=a.id)).scalar_one()
    token = csrf_token(author.client, f"/admin/posts/{b.id}/edit")
    response = author.client.post(f"/admin/posts/{b.id}/linkbacks/{delivery_id}/resend", data={"csrf_token": token})
    assert response.status_code == 404
