"""author profile: display name, website, photo, and a session version that a new password raises

Revision ID: 4129386f3e46
Revises: 5e715085a544
Create Date: 2026-12-03 07:00:00

Every column has a server default, so existing users keep working as they were: no display name
(the username is shown), no website (the site's URL), no photo, session version 0 (which the logins
made before this version carry too, so nobody is logged out by the upgrade).
"""
from alembic import op
import sqlalchemy as sa


revision = '4129386f3e46'
down_revision = '5e715085a544'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('users', schema=None) as batch_op:
        batch_op.add_column(sa.Column('display_name', sa.String(length=250), server_default='', nullable=False))
        batch_op.add_column(sa.Column('website', sa.String(length=2000), server_default='', nullable=False))
        batch_op.add_column(sa.Column('photo', sa.String(length=100), server_default='', nullable=False))
        batch_op.add_column(sa.Column('session_version', sa.Integer(), server_default='0', nullable=False))


def downgrade():
    # ALTER TABLE ... DROP COLUMN (SQLite 3.35+): a batch rebuild of users would touch every post.
    for column in ('session_version', 'photo', 'website', 'display_name'):
        op.execute(f"ALTER TABLE users DROP COLUMN {column}")
