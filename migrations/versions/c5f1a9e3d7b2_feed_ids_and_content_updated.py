"""feed ids and content updates: each post's feed entry id, and when its content last changed

Revision ID: c5f1a9e3d7b2
Revises: c7f3a91e2d54
Create Date: 2026-12-10 10:00:00

Feeds used to give each entry its permalink as id, so a new slug or time zone made an old post look
new to every reader. Ids are now tag: URIs minted once and stored. So that readers do not see every
existing post again, each published post keeps the id the feeds gave it: its permalink on the Site
URL, as it is now (date in the blog's time zone). Posts not yet published get a tag: URI. A blog
with no Site URL recorded leaves the ids empty: the feeds then give the permalink, as before, and
the first save of the post keeps that. `content_updated_at` starts as the last save.
"""
import json
from datetime import datetime, timezone
from urllib.parse import quote, urlsplit
from zoneinfo import ZoneInfo

from alembic import op
import sqlalchemy as sa


revision = 'c5f1a9e3d7b2'
down_revision = "c7f3a91e2d54"
branch_labels = None
depends_on = None


def _setting(connection, key, default):
    value = connection.execute(sa.text("SELECT value FROM settings WHERE key = :key"), {"key": key}).scalar()
    try:
        value = json.loads(value) if value is not None else default
    except ValueError:
        return default
    return value if isinstance(value, str) else default


def _zone(name):
    try:
        return ZoneInfo(name)
    except (KeyError, ValueError):
        return ZoneInfo("UTC")


def _as_utc(moment):
    """A naive UTC datetime as stored (SQLite may hand back text)."""
    if isinstance(moment, str):
        moment = datetime.fromisoformat(moment)
    return moment.replace(tzinfo=timezone.utc)


def upgrade():
    # Added NOT NULL with a constant default and filled at once: on SQLite, altering the column
    # afterwards would rebuild the posts table, and dropping it cascades to every comment.
    with op.batch_alter_table('posts', schema=None) as batch_op:
        batch_op.add_column(sa.Column('content_updated_at', sa.DateTime(), nullable=False,
                                      server_default='2000-01-01 00:00:00'))
        batch_op.add_column(sa.Column('feed_id', sa.String(length=2100), nullable=True))

    connection = op.get_bind()
    connection.execute(sa.text("UPDATE posts SET content_updated_at = updated_at"))
    site_url = _setting(connection, "site_url", "").strip().rstrip("/")
    host = (urlsplit(site_url).hostname or "").lower()
    if host:
        zone = _zone(_setting(connection, "timezone", "UTC"))
        posts = connection.execute(sa.text("SELECT id, slug, status, published_at, created_at FROM posts")).all()
        for post_id, slug, status, published_at, created_at in posts:
            if status == "published" and published_at is not None:
                day = _as_utc(published_at).astimezone(zone)
                feed_id = f"{site_url}/{day.year:04d}/{day.month:02d}/{day.day:02d}/{quote(slug)}/"
            else:
                feed_id = f"tag:{host},{_as_utc(created_at).date().isoformat()}:post-{post_id}"
            connection.execute(sa.text("UPDATE posts SET feed_id = :feed_id WHERE id = :id"),
                               {"feed_id": feed_id, "id": post_id})
        if _setting(connection, "feed_tag_authority", "") == "":
            connection.execute(sa.text("DELETE FROM settings WHERE key = 'feed_tag_authority'"))
            connection.execute(sa.text("INSERT INTO settings (key, value) VALUES ('feed_tag_authority', :value)"),
                               {"value": json.dumps(host)})

    op.create_index('uq_posts_feed_id', 'posts', ['feed_id'], unique=True)


def downgrade():
    op.drop_index('uq_posts_feed_id', table_name='posts')
    # ALTER TABLE ... DROP COLUMN (SQLite 3.35+): a batch rebuild of posts would cascade to the comments.
    op.execute("ALTER TABLE posts DROP COLUMN feed_id")
    op.execute("ALTER TABLE posts DROP COLUMN content_updated_at")
