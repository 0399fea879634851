"""media library: one row per uploaded image (its file under UPLOAD_FOLDER, size, resized copies)

Revision ID: 64266a4c28f1
Revises: c5f1a9e3d7b2
Create Date: 2026-12-03 06:45:00

A new table only: existing posts and comments are untouched.
"""
from alembic import op
import sqlalchemy as sa


revision = '64266a4c28f1'
down_revision = 'c5f1a9e3d7b2'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('media_items',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('path', sa.String(length=255), nullable=False),
    sa.Column('original_name', sa.String(length=255), nullable=False),
    sa.Column('mime_type', sa.String(length=40), nullable=False),
    sa.Column('width', sa.Integer(), nullable=False),
    sa.Column('height', sa.Integer(), nullable=False),
    sa.Column('byte_size', sa.Integer(), nullable=False),
    sa.Column('variant_widths', sa.JSON(), nullable=False),
    sa.Column('alt_text', sa.String(length=500), nullable=False),
    sa.Column('uploaded_at', sa.DateTime(), nullable=False),
    sa.Column('uploader_id', sa.Integer(), nullable=True),
    sa.ForeignKeyConstraint(['uploader_id'], ['users.id'], ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('path')
    )
    with op.batch_alter_table('media_items', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_media_items_uploaded_at'), ['uploaded_at'], unique=False)


def downgrade():
    with op.batch_alter_table('media_items', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_media_items_uploaded_at'))

    op.drop_table('media_items')
