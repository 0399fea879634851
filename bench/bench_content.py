"""The content wp-peer's bench-setup gives WordPress (../shared/tools/wp-peer/lib/wp.php), written into
one of our blogs, so both are measured on the same pages: ten posts "Bench post 01–10" of five
paragraphs each (01 oldest) and 100 approved comments on Bench post 01."""

from __future__ import annotations

from datetime import timedelta

LOREM = (
    "Lorem ipsum dolor sit amet, consectetur adipiscing elit, sed do eiusmod tempor incididunt ut labore et "
    "dolore magna aliqua. Ut enim ad minim veniam, quis nostrud exercitation ullamco laboris nisi ut aliquip ex "
    "ea commodo consequat. Duis aute irure dolor in reprehenderit in voluptate velit esse cillum dolore eu "
    "fugiat nulla pariatur."
)
COMMENT = (
    "Lorem ipsum dolor sit amet, consectetur adipiscing elit, sed do eiusmod tempor incididunt ut labore et "
    "dolore magna aliqua. Ut enim ad minim veniam, quis nostrud exercitation ullamco laboris nisi ut aliquip ex "
    "ea commodo consequat."
)


def fill(app, site_url: str, comments: int = 100) -> tuple[str, str]:
    """Sets the blog up (administrator "admin") and writes the content; returns the paths of the home
    page and of Bench post 01."""
    from blog.auth import create_administrator
    from blog.extensions import db
    from blog.models import Comment, CommentKind, CommentStatus, User, utcnow
    from blog.permalinks import post_url
    from blog.posts import PostInput, save_post

    with app.app_context():
        create_administrator("Bench Blog", "admin", "bench-password", "admin@example.com", site_url)
        author = db.session.execute(db.select(User)).scalar_one()
        now = utcnow()
        posts = []
        for number in range(1, 11):
            title = f"Bench post {number:02d}"
            body = "\n\n".join(f"Paragraph {p} of {title}. {LOREM}" for p in range(1, 6))
            posts.append(save_post(None, PostInput(title=title, body=body), publish=True, author=author,
                                   now=now - timedelta(seconds=11 - number)))
        first = posts[0]
        for number in range(1, comments + 1):
            db.session.add(Comment(
                post_id=first.id, kind=CommentKind.COMMENT, status=CommentStatus.APPROVED,
                author_name=f"Commenter {number}", author_email=f"c{number}@example.com",
                content=f"Seeded comment number {number}. {COMMENT}", ip="127.0.0.1",
                created_at=now - timedelta(minutes=comments - number + 1),
            ))
        db.session.commit()
        with app.test_request_context():
            return "/", post_url(first)
