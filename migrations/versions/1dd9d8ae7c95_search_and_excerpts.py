"""search and excerpts: each post's plain text and excerpt stored, the full-text index, reading settings

Revision ID: 1dd9d8ae7c95
Revises: c8578b4f91df
Create Date: 2026-12-03 06:30:00

Posts gain what is derived from their text when stored (blog/post_text.py): the visible text search
reads, the excerpt as HTML and text, the <!--more--> marker and its link text. Every existing post
is rendered again from its Markdown, so its HTML gets the marker's anchor; a post with no Markdown
keeps its HTML and has the rest derived from it. Then the database's own full-text index is made
over published posts: on SQLite an FTS5 table kept by triggers, on PostgreSQL a generated tsvector
column with a GIN index (the same statements as blog/search_index.py, copied so that this script
keeps its meaning). Feeds held as many posts as a page: a blog that changed that number keeps it
for its feeds as the new "Syndication feeds show the most recent" setting.

A later migration that rebuilds the posts table on SQLite (batch "move and copy") drops these
triggers with it and must make them again.
"""
from alembic import op
import sqlalchemy as sa


revision = '1dd9d8ae7c95'
down_revision = 'c8578b4f91df'
branch_labels = None
depends_on = None

SQLITE_DDL = [
    """CREATE VIRTUAL TABLE posts_search USING fts5(
        title, body_text, content='posts', content_rowid='id',
        tokenize='porter unicode61 remove_diacritics 2')""",
    """CREATE TRIGGER posts_search_insert AFTER INSERT ON posts WHEN new.status = 'published' BEGIN
        INSERT INTO posts_search (rowid, title, body_text) VALUES (new.id, new.title, new.body_text);
    END""",
    """CREATE TRIGGER posts_search_delete AFTER DELETE ON posts WHEN old.status = 'published' BEGIN
        INSERT INTO posts_search (posts_search, rowid, title, body_text)
            VALUES ('delete', old.id, old.title, old.body_text);
    END""",
    """CREATE TRIGGER posts_search_update AFTER UPDATE OF title, body_text, status ON posts BEGIN
        INSERT INTO posts_search (posts_search, rowid, title, body_text)
            SELECT 'delete', old.id, old.title, old.body_text WHERE old.status = 'published';
        INSERT INTO posts_search (rowid, title, body_text)
            SELECT new.id, new.title, new.body_text WHERE new.status = 'published';
    END""",
    "INSERT INTO posts_search (rowid, title, body_text) SELECT id, title, body_text FROM posts "
    "WHERE status = 'published'",
]

PG_DDL = [
    """ALTER TABLE posts ADD COLUMN search_vector tsvector GENERATED ALWAYS AS (
        setweight(to_tsvector('english', coalesce(title, '')), 'A')
        || setweight(to_tsvector('english', coalesce(body_text, '')), 'B')) STORED""",
    "CREATE INDEX ix_posts_search_vector ON posts USING gin (search_vector)",
]


def _derive_texts(connection):
    # The app's own rendering, so old posts get exactly what saving them now would store.
    from blog.post_text import post_text_from_html, render_post_text

    posts = connection.execute(sa.text("SELECT id, body_markdown, body_html FROM posts")).all()
    for post_id, markdown_source, html in posts:
        if markdown_source:
            text = render_post_text(markdown_source)
        else:
            text = post_text_from_html(html or "")
        connection.execute(
            sa.text("UPDATE posts SET body_html = :body_html, body_text = :body_text, excerpt_html = :excerpt_html, "
                    "excerpt_text = :excerpt_text, has_more = :has_more, more_link_text = :more_link_text "
                    "WHERE id = :id"),
            {"id": post_id, "body_html": text.body_html if markdown_source else html, "body_text": text.body_text,
             "excerpt_html": text.excerpt_html, "excerpt_text": text.excerpt_text, "has_more": text.has_more,
             "more_link_text": text.more_link_text},
        )


def upgrade():
    # Plain ALTER TABLE ... ADD COLUMN on both databases: a batch "move and copy" of posts on SQLite
    # (which an expression default such as false() asks for) would cascade to every comment.
    op.add_column('posts', sa.Column('body_text', sa.Text(), server_default='', nullable=False))
    op.add_column('posts', sa.Column('excerpt_html', sa.Text(), server_default='', nullable=False))
    op.add_column('posts', sa.Column('excerpt_text', sa.Text(), server_default='', nullable=False))
    op.add_column('posts', sa.Column('has_more', sa.Boolean(), server_default=sa.false(), nullable=False))
    op.add_column('posts', sa.Column('more_link_text', sa.String(length=250), server_default='', nullable=False))

    connection = op.get_bind()
    _derive_texts(connection)
    for statement in {"sqlite": SQLITE_DDL, "postgresql": PG_DDL}.get(connection.dialect.name, []):
        connection.exec_driver_sql(statement)

    per_page = connection.execute(sa.text("SELECT value FROM settings WHERE key = 'posts_per_page'")).scalar()
    has_rss = connection.execute(sa.text("SELECT 1 FROM settings WHERE key = 'posts_per_rss'")).scalar()
    if per_page is not None and not has_rss:
        connection.execute(sa.text("INSERT INTO settings (key, value) VALUES ('posts_per_rss', :value)"),
                           {"value": per_page})


def downgrade():
    connection = op.get_bind()
    if connection.dialect.name == "sqlite":
        for trigger in ("posts_search_insert", "posts_search_delete", "posts_search_update"):
            op.execute(f"DROP TRIGGER IF EXISTS {trigger}")
        op.execute("DROP TABLE IF EXISTS posts_search")
    elif connection.dialect.name == "postgresql":
        op.execute("DROP INDEX IF EXISTS ix_posts_search_vector")
        op.execute("ALTER TABLE posts DROP COLUMN IF EXISTS search_vector")
    op.execute("DELETE FROM settings WHERE key IN ('posts_per_rss', 'rss_use_excerpt', 'home_use_excerpt')")
    # ALTER TABLE ... DROP COLUMN (SQLite 3.35+): a batch rebuild of posts would cascade to the comments.
    for column in ("more_link_text", "has_more", "excerpt_text", "excerpt_html", "body_text"):
        op.execute(f"ALTER TABLE posts DROP COLUMN {column}")
