"""trash and old addresses: a post's trash state, and the addresses it answers at besides its own

Revision ID: 5e715085a544
Revises: 64266a4c28f1
Create Date: 2026-12-12 06:00:00

Posts get three empty columns (when trashed, the status and slug to restore); existing posts are
untouched. post_addresses starts empty: addresses change from now on. Columns are added with plain
ALTER TABLE ... ADD COLUMN (no batch rebuild of posts, which would cascade to the comments on
SQLite).
"""
from alembic import op
import sqlalchemy as sa


revision = '5e715085a544'
down_revision = '64266a4c28f1'
branch_labels = None
depends_on = None


def upgrade():
    op.add_column('posts', sa.Column('trashed_at', sa.DateTime(), nullable=True))
    op.add_column('posts', sa.Column('status_before_trash', sa.String(length=20), nullable=True))
    op.add_column('posts', sa.Column('slug_before_trash', sa.String(length=200), nullable=True))
    op.create_table('post_addresses',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('path', sa.String(length=250), nullable=False),
    sa.Column('post_id', sa.Integer(), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['post_id'], ['posts.id'], ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('path')
    )
    with op.batch_alter_table('post_addresses', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_post_addresses_post_id'), ['post_id'], unique=False)


def downgrade():
    with op.batch_alter_table('post_addresses', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_post_addresses_post_id'))
    op.drop_table('post_addresses')
    # The older schema knows no trash: a trashed post becomes a draft (its text kept, its slug the
    # __trashed one until edited); a tombstone holds nothing and goes.
    op.execute("UPDATE posts SET status = 'draft' WHERE status = 'trash'")
    op.execute("DELETE FROM posts WHERE status = 'deleted'")
    # ALTER TABLE ... DROP COLUMN (SQLite 3.35+): a batch rebuild of posts would cascade to the comments.
    op.execute("ALTER TABLE posts DROP COLUMN slug_before_trash")
    op.execute("ALTER TABLE posts DROP COLUMN status_before_trash")
    op.execute("ALTER TABLE posts DROP COLUMN trashed_at")
