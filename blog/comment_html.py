"""A comment's text as HTML, rendered once when the comment is stored (the `content_html` column) rather than
on every page view, and re-rendered by `flask --app blog rerender` when the rendering rules change."""

from __future__ import annotations

import click
import sqlalchemy as sa
from flask.cli import with_appcontext
from markupsafe import Markup
from sqlalchemy import event

from .extensions import db
from .models import Comment
from .rendering import render_comment_text

# The rel stored links carry; Settings -> Discussion's "nofollow" switch is applied when shown.
STORED_REL = "nofollow ugc"
_STORED_ATTRIBUTE = f' rel="{STORED_REL}">'


def render_stored_html(text: str | None) -> str:
    """What `content_html` holds for a comment whose text is `text`."""
    return str(render_comment_text(text or "", STORED_REL))


@event.listens_for(Comment.content, "set")
def _render_on_set(comment: Comment, value, _old, _initiator):
    comment.content_html = render_stored_html(value)


def comment_html(item: Comment, rel: str = STORED_REL) -> Markup:
    """The item's text as HTML with its links' rel as the settings want it. The stored HTML is escaped text and
    our own <a> tags, so the rel attribute ending an opening tag can only be one we wrote."""
    html = item.content_html
    if html is None:  # stored before this column and not yet rendered: render, but never store from a page
        return render_comment_text(item.content or "", rel)
    if rel != STORED_REL:
        html = html.replace(_STORED_ATTRIBUTE, f' rel="{rel}">')
    return Markup(html)


def rerender_comments(batch_size: int = 500) -> int:
    """Render every comment's stored HTML again from its text (after a change of the rendering rules), in
    batches of `batch_size` committed one by one; returns how many were rendered."""
    done, last_id = 0, 0
    while True:
        rows = db.session.execute(
            sa.select(Comment.id, Comment.content).where(Comment.id > last_id).order_by(Comment.id).limit(batch_size)
        ).all()
        if not rows:
            return done
        db.session.execute(
            sa.update(Comment),
            [{"id": row.id, "content_html": render_stored_html(row.content)} for row in rows],
        )
        db.session.commit()
        done += len(rows)
        last_id = rows[-1].id


@click.command("rerender")
@with_appcontext
def rerender_command() -> None:
    """Render every comment's HTML again (after an upgrade that changes how comment text is shown)."""
    click.echo(f"Rendered {rerender_comments()} comments.")
