"""WordPress imports: each imported post's WordPress id, guid and import key, each comment's id; uploads

Revision ID: e8a41c7d93f0
Revises: 1dd9d8ae7c95
Create Date: 2026-12-03 06:40:00

Importing a WordPress export (blog/wordpress/) records where each post and comment came from, so
that importing the same file again changes nothing and /?p=123 finds the post WordPress called 123.
Existing rows get nothing: they were not imported. `wordpress_imports` holds the files uploaded on
Tools → Import while the job layer imports them, with their reports. Plain ADD COLUMN (no batch rebuild of posts,
which would cascade to the comments on SQLite).
"""
from alembic import op
import sqlalchemy as sa


revision = "e8a41c7d93f0"
down_revision = '1dd9d8ae7c95'
branch_labels = None
depends_on = None


def upgrade():
    op.add_column("posts", sa.Column("wp_post_id", sa.Integer(), nullable=True))
    op.add_column("posts", sa.Column("wp_guid", sa.String(length=2000), server_default="", nullable=False))
    op.add_column("posts", sa.Column("import_key", sa.String(length=2100), nullable=True))
    op.create_index("ix_posts_wp_post_id", "posts", ["wp_post_id"], unique=False)
    op.create_index("uq_posts_import_key", "posts", ["import_key"], unique=True)
    op.add_column("comments", sa.Column("wp_comment_id", sa.Integer(), nullable=True))
    op.create_index(
        "uq_comments_post_wp_comment_id", "comments", ["post_id", "wp_comment_id"], unique=True,
        sqlite_where=sa.text("wp_comment_id IS NOT NULL"), postgresql_where=sa.text("wp_comment_id IS NOT NULL"),
    )
    op.create_table(
        "wordpress_imports",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("token", sa.String(length=64), nullable=False),
        sa.Column("filename", sa.String(length=255), nullable=False),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("report", sa.Text(), server_default="", nullable=False),
        sa.Column("error", sa.Text(), server_default="", nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("started_at", sa.DateTime(), nullable=True),
        sa.Column("finished_at", sa.DateTime(), nullable=True),
        sa.Column("attempts", sa.Integer(), server_default="0", nullable=False),
        sa.Column("next_attempt_at", sa.DateTime(), nullable=True),
        sa.Column("lease_expires_at", sa.DateTime(), nullable=True),
        sa.Column("claimed_by", sa.String(length=64), nullable=True),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("token"),
    )
    op.create_index("ix_wordpress_imports_status", "wordpress_imports", ["status"], unique=False)


def downgrade():
    op.drop_index("ix_wordpress_imports_status", table_name="wordpress_imports")
    op.drop_table("wordpress_imports")
    op.drop_index("uq_comments_post_wp_comment_id", table_name="comments")
    op.execute("ALTER TABLE comments DROP COLUMN wp_comment_id")
    op.drop_index("uq_posts_import_key", table_name="posts")
    op.drop_index("ix_posts_wp_post_id", table_name="posts")
    op.execute("ALTER TABLE posts DROP COLUMN import_key")
    op.execute("ALTER TABLE posts DROP COLUMN wp_guid")
    op.execute("ALTER TABLE posts DROP COLUMN wp_post_id")
