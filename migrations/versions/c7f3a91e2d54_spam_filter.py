"""spam filter: the classifier's token counts and training decisions, discarded-spam counters,
and each item's spam score and link text

Revision ID: c7f3a91e2d54
Revises: b8e2d4f61c3a
Create Date: 2026-12-02 21:00:00

Nothing is learned here: `flask --app blog retrain-spam` learns from the decisions an existing
blog's moderation history already holds.
"""
from alembic import op
import sqlalchemy as sa


revision = 'c7f3a91e2d54'
down_revision = 'b8e2d4f61c3a'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('spam_tokens',
    sa.Column('token', sa.String(length=80), nullable=False),
    sa.Column('spam', sa.Integer(), server_default='0', nullable=False),
    sa.Column('ham', sa.Integer(), server_default='0', nullable=False),
    sa.PrimaryKeyConstraint('token')
    )
    op.create_table('spam_examples',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('comment_id', sa.Integer(), nullable=True),
    sa.Column('label', sa.String(length=10), nullable=False),
    sa.Column('previous_label', sa.String(length=10), nullable=True),
    sa.Column('tokens', sa.Text(), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('updated_at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['comment_id'], ['comments.id'], ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('comment_id')
    )
    with op.batch_alter_table('spam_examples', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_spam_examples_label'), ['label'], unique=False)
    op.create_table('spam_counters',
    sa.Column('name', sa.String(length=40), nullable=False),
    sa.Column('count', sa.Integer(), server_default='0', nullable=False),
    sa.Column('updated_at', sa.DateTime(), nullable=True),
    sa.PrimaryKeyConstraint('name')
    )
    with op.batch_alter_table('comments', schema=None) as batch_op:
        batch_op.add_column(sa.Column('link_text', sa.String(length=250), server_default='', nullable=False))
        batch_op.add_column(sa.Column('spam_score', sa.Float(), nullable=True))
        batch_op.add_column(sa.Column('spam_score_note', sa.Text(), server_default='', nullable=False))


def downgrade():
    with op.batch_alter_table('comments', schema=None) as batch_op:
        batch_op.drop_column('spam_score_note')
        batch_op.drop_column('spam_score')
        batch_op.drop_column('link_text')
    op.drop_table('spam_counters')
    with op.batch_alter_table('spam_examples', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_spam_examples_label'))
    op.drop_table('spam_examples')
    op.drop_table('spam_tokens')
