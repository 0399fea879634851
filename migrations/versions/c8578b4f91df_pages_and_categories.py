"""pages and categories: posts get a kind ("post" or "page") and a menu order, and categories
beside tags, with "Uncategorized" holding every existing post

Revision ID: c8578b4f91df
Revises: 4129386f3e46
Create Date: 2026-12-12 07:00:00

Every existing row is a post, so the kind defaults to "post" and nothing moves. Columns are added
NOT NULL with a constant default (ALTER TABLE ADD COLUMN): on SQLite a batch rebuild of posts would
drop the table, and with it, by cascade, every comment.
"""
from alembic import op
import sqlalchemy as sa


revision = 'c8578b4f91df'
down_revision = '4129386f3e46'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('posts', schema=None) as batch_op:
        batch_op.add_column(sa.Column('kind', sa.String(length=20), nullable=False, server_default='post'))
        batch_op.add_column(sa.Column('menu_order', sa.Integer(), nullable=False, server_default='0'))

    op.create_table('categories',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=100), nullable=False),
    sa.Column('slug', sa.String(length=120), nullable=False),
    sa.Column('is_default', sa.Boolean(), server_default=sa.false(), nullable=False),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('name'),
    sa.UniqueConstraint('slug')
    )
    op.create_index('uq_categories_default', 'categories', ['is_default'], unique=True,
                    sqlite_where=sa.text('is_default'), postgresql_where=sa.text('is_default'))
    op.create_table('post_categories',
    sa.Column('post_id', sa.Integer(), nullable=False),
    sa.Column('category_id', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['category_id'], ['categories.id'], ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['post_id'], ['posts.id'], ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('post_id', 'category_id')
    )

    connection = op.get_bind()
    categories = sa.table('categories', sa.column('name'), sa.column('slug'), sa.column('is_default', sa.Boolean))
    connection.execute(categories.insert().values(name='Uncategorized', slug='uncategorized', is_default=True))
    connection.execute(sa.text(
        "INSERT INTO post_categories (post_id, category_id) "
        "SELECT posts.id, categories.id FROM posts, categories WHERE categories.is_default AND posts.kind = 'post'"
    ))


def downgrade():
    op.drop_table('post_categories')
    op.drop_index('uq_categories_default', table_name='categories')
    op.drop_table('categories')
    # ALTER TABLE ... DROP COLUMN (SQLite 3.35+): a batch rebuild of posts would cascade to the comments.
    op.execute("ALTER TABLE posts DROP COLUMN menu_order")
    op.execute("ALTER TABLE posts DROP COLUMN kind")
