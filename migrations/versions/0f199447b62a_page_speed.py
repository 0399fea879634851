"""page speed: comment HTML stored, indexes for every public list, page cache generations

Revision ID: 0f199447b62a
Revises: e8a41c7d93f0
Create Date: 2026-12-03 06:30:00

Comments were linkified on every page view; their HTML is now rendered once and stored in
`content_html`, so this renders every existing comment (the same function new comments use;
`flask --app blog rerender` does it again when the rules change). Adds the indexes the public lists
and the moderation queue use, and the table of page cache generations (blog/page_cache.py).
"""
from alembic import op
import sqlalchemy as sa


revision = '0f199447b62a'
down_revision = 'e8a41c7d93f0'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('comments', schema=None) as batch_op:
        batch_op.add_column(sa.Column('content_html', sa.Text(), nullable=True))
        batch_op.create_index('ix_comments_status_created', ['status', 'created_at'], unique=False)
        batch_op.create_index('ix_comments_kind_status', ['kind', 'status'], unique=False)
    with op.batch_alter_table('posts', schema=None) as batch_op:
        batch_op.create_index('ix_posts_status_published_at', ['status', 'published_at', 'id'], unique=False)
    with op.batch_alter_table('post_tags', schema=None) as batch_op:
        batch_op.create_index('ix_post_tags_tag_id', ['tag_id'], unique=False)
    op.create_table(
        'page_generations',
        sa.Column('key', sa.String(length=100), nullable=False),
        sa.Column('generation', sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint('key'),
    )

    from blog.rendering import render_comment_text

    connection = op.get_bind()
    comments = sa.table('comments', sa.column('id', sa.Integer), sa.column('content', sa.Text),
                        sa.column('content_html', sa.Text))
    last_id = 0
    while True:
        rows = connection.execute(
            sa.select(comments.c.id, comments.c.content).where(comments.c.id > last_id)
            .order_by(comments.c.id).limit(500)
        ).all()
        if not rows:
            break
        connection.execute(
            comments.update().where(comments.c.id == sa.bindparam('row_id'))
            .values(content_html=sa.bindparam('html')),
            [{'row_id': row.id, 'html': str(render_comment_text(row.content or "", "nofollow ugc"))} for row in rows],
        )
        last_id = rows[-1].id


def downgrade():
    op.drop_table('page_generations')
    with op.batch_alter_table('post_tags', schema=None) as batch_op:
        batch_op.drop_index('ix_post_tags_tag_id')
    with op.batch_alter_table('posts', schema=None) as batch_op:
        batch_op.drop_index('ix_posts_status_published_at')
    with op.batch_alter_table('comments', schema=None) as batch_op:
        batch_op.drop_index('ix_comments_kind_status')
        batch_op.drop_index('ix_comments_status_created')
        batch_op.drop_column('content_html')
