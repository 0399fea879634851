"""The admin Posts screen in pages of 20, newest first (issue 11: it listed every post, 10,000 of them at once)."""

from __future__ import annotations

import re

from blog.extensions import db
from blog.models import User
from blog.posts import PostInput, save_post


def test_posts_screen_shows_twenty_a_page_with_a_link_to_older(app, author):
    with app.test_request_context():
        user = db.session.execute(db.select(User)).scalar_one()
        for n in range(25):
            save_post(None, PostInput(title=f"Numbered {n:02d}", body="Text."), publish=n % 2 == 0, author=user)
    first = author.client.get("/admin/posts").get_data(as_text=True)
    second = author.client.get("/admin/posts?page=2").get_data(as_text=True)
    row = re.compile(r'/edit">Numbered \d\d<')  # each post's title, linking to its editor
    assert len(row.findall(first)) == 20 and len(row.findall(second)) == 5
    assert "Page 1 of 2" in first and 'href="/admin/posts?page=2"' in first
    assert not {f"Numbered {n:02d}<" for n in range(25)} - {
        f"Numbered {n:02d}<" for n in range(25) if f"Numbered {n:02d}<" in first + second}
    assert author.client.get("/admin/posts?page=9").status_code == 200
