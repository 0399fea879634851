"""Revisions and autosaves of posts and pages

Revision ID: 8f19492091a8
Revises: 0f199447b62a
Create Date: 2026-12-03 07:40:00

Two new tables (blog/revisions/tables.py): post_revisions, a published post's title and text as they
were before each update that changed them, and post_autosaves, one row per post holding what the
editor autosaved for a published or scheduled post. Existing posts start with none of either.
"""
from alembic import op
import sqlalchemy as sa


revision = "8f19492091a8"
down_revision = '0f199447b62a'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "post_revisions",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("post_id", sa.Integer(), nullable=False),
        sa.Column("title", sa.String(length=250), nullable=False),
        sa.Column("body_markdown", sa.Text(), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("author_id", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(["post_id"], ["posts.id"], ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["author_id"], ["users.id"], ondelete="SET NULL"),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_post_revisions_post_id", "post_revisions", ["post_id"], unique=False)
    op.create_table(
        "post_autosaves",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("post_id", sa.Integer(), nullable=False),
        sa.Column("title", sa.String(length=250), nullable=False),
        sa.Column("body_markdown", sa.Text(), nullable=False),
        sa.Column("saved_at", sa.DateTime(), nullable=False),
        sa.Column("author_id", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(["post_id"], ["posts.id"], ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["author_id"], ["users.id"], ondelete="SET NULL"),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("post_id"),
    )


def downgrade():
    op.drop_table("post_autosaves")
    op.drop_index("ix_post_revisions_post_id", table_name="post_revisions")
    op.drop_table("post_revisions")
