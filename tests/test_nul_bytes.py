"""A NUL character in anything a visitor or the owner sends is dropped, never an error: PostgreSQL
refuses NUL in text, and this suite runs on both databases."""

from __future__ import annotations

from blog_testing import csrf_token

from blog.extensions import db
from blog.models import Comment, Post


def test_post_with_nul_bytes_is_saved_without_them(app, author):
    response = author.save("Null\x00 title", "Body with a \x00 NUL.", tags="a\x00b")
    assert response.status_code == 302, response.get_data(as_text=True)[:500]
    with app.app_context():
        post = db.session.execute(db.select(Post)).scalar_one()
        assert post.title == "Null title"
        assert "\x00" not in post.body_markdown + post.body_html
        assert [tag.name for tag in post.tags] == ["ab"]


def test_comment_with_nul_bytes_is_stored_without_them(app, author, visitor):
    post = author.publish("Open", "Say something.")
    url = author.url_of(post)
    data = {"csrf_token": csrf_token(visitor, url), "name": "Nul\x00l", "email": "n@example.com",
            "url": "", "content": "Hello\x00 there"}
    response = visitor.post(f"/comment/{post.id}", data=data, environ_base={"REMOTE_ADDR": "192.0.2.99"})
    assert response.status_code == 302, response.get_data(as_text=True)[:500]
    with app.app_context():
        comment = db.session.execute(db.select(Comment)).scalar_one()
        assert (comment.author_name, comment.content) == ("Null", "Hello there")
