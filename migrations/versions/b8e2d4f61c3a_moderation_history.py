"""moderation history: the status a moderation note explains, and every status an item was given

Revision ID: b8e2d4f61c3a
Revises: 7b3c9e51a2d4
Create Date: 2026-12-02 19:10:00

Existing notes were written for the status the rules gave; that status was not stored, so it is
read once, here, from the note's first word (Held / Spam / Taken down / Approved) and kept only when
the item still has it. A note whose item has moved on since is no longer shown, as after this change.
Each such note also starts the item's history.
"""
from alembic import op
import sqlalchemy as sa


revision = 'b8e2d4f61c3a'
down_revision = '7b3c9e51a2d4'
branch_labels = None
depends_on = None

NOTE_STATUS = (("Held", "pending"), ("Spam", "spam"), ("Taken down", "trash"), ("Approved", "approved"))


def upgrade():
    with op.batch_alter_table('comments', schema=None) as batch_op:
        batch_op.add_column(sa.Column('moderation_note_status', sa.String(length=20), nullable=True))

    op.create_table('moderation_events',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('comment_id', sa.Integer(), nullable=False),
    sa.Column('status', sa.String(length=20), nullable=False),
    sa.Column('by_owner', sa.Boolean(), nullable=False),
    sa.Column('note', sa.Text(), server_default='', nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['comment_id'], ['comments.id'], ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('moderation_events', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_moderation_events_comment_id'), ['comment_id'], unique=False)

    comments = sa.table('comments', sa.column('id', sa.Integer), sa.column('status', sa.String),
                        sa.column('moderation_note', sa.Text), sa.column('moderation_note_status', sa.String),
                        sa.column('created_at', sa.DateTime))
    events = sa.table('moderation_events', sa.column('comment_id', sa.Integer), sa.column('status', sa.String),
                      sa.column('by_owner', sa.Boolean), sa.column('note', sa.Text),
                      sa.column('created_at', sa.DateTime))
    connection = op.get_bind()
    for prefix, status in NOTE_STATUS:
        noted = comments.c.moderation_note.like(f"{prefix}%")
        connection.execute(events.insert().from_select(
            ['comment_id', 'status', 'by_owner', 'note', 'created_at'],
            sa.select(comments.c.id, sa.literal(status), sa.false(), comments.c.moderation_note,
                      comments.c.created_at).where(noted),
        ))
        connection.execute(comments.update().where(noted, comments.c.status == status)
                           .values(moderation_note_status=status))


def downgrade():
    with op.batch_alter_table('moderation_events', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_moderation_events_comment_id'))

    op.drop_table('moderation_events')
    with op.batch_alter_table('comments', schema=None) as batch_op:
        batch_op.drop_column('moderation_note_status')

