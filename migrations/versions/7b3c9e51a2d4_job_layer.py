"""job layer: leases on every queue, durable mail, atomic counters, protocol state in columns

Revision ID: 7b3c9e51a2d4
Revises: 43f6da588639
Create Date: 2026-12-02 17:40:00

Existing rows are carried over: a delivery whose message said the receiver was told of a removed
link gets removal_announced; a mention taken down gets taken_down_at; every linkback gets its
source key (the first of duplicates keeps it, later ones keep their data without it); trackbacks
still waiting for verification get a check queued; queued webmentions are due at once.
"""
from urllib.parse import urlsplit, urlunsplit

from alembic import op
import sqlalchemy as sa


revision = '7b3c9e51a2d4'
down_revision = '43f6da588639'
branch_labels = None
depends_on = None


def _source_key(url):
    """normalize_url as of this revision (kept here so later code changes cannot alter the migration)."""
    try:
        parts = urlsplit(url.strip())
        port = parts.port
    except ValueError:
        return None
    scheme = parts.scheme.lower()
    host = (parts.hostname or "").lower()
    if scheme not in ("http", "https") or not host:
        return None
    if ":" in host:
        host = f"[{host}]"
    if port and not ((scheme == "http" and port == 80) or (scheme == "https" and port == 443)):
        host = f"{host}:{port}"
    return urlunsplit((scheme, host, parts.path or "/", parts.query, ""))[:2000]


def _lease_columns():
    return [
        sa.Column('attempts', sa.Integer(), server_default='0', nullable=False),
        sa.Column('next_attempt_at', sa.DateTime(), nullable=True),
        sa.Column('lease_expires_at', sa.DateTime(), nullable=True),
        sa.Column('claimed_by', sa.String(length=64), nullable=True),
    ]


def upgrade():
    op.create_table('linkback_checks',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('comment_id', sa.Integer(), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('last_error', sa.Text(), server_default='', nullable=False),
    *_lease_columns(),
    sa.ForeignKeyConstraint(['comment_id'], ['comments.id'], ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('comment_id')
    )
    with op.batch_alter_table('linkback_checks', schema=None) as batch_op:
        batch_op.create_index('ix_linkback_checks_due', ['next_attempt_at'], unique=False)

    op.create_table('outgoing_mail',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('recipient', sa.String(length=254), nullable=False),
    sa.Column('subject', sa.Text(), nullable=False),
    sa.Column('message', sa.Text(), nullable=False),
    sa.Column('status', sa.String(length=20), nullable=False),
    sa.Column('last_error', sa.Text(), server_default='', nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('sent_at', sa.DateTime(), nullable=True),
    *_lease_columns(),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('outgoing_mail', schema=None) as batch_op:
        batch_op.create_index('ix_outgoing_mail_due', ['status', 'next_attempt_at'], unique=False)

    op.create_table('rate_counters',
    sa.Column('key', sa.String(length=200), nullable=False),
    sa.Column('window_start', sa.DateTime(), nullable=False),
    sa.Column('count', sa.Integer(), nullable=False),
    sa.PrimaryKeyConstraint('key')
    )

    with op.batch_alter_table('deliveries', schema=None) as batch_op:
        batch_op.add_column(sa.Column('removal_announced', sa.Boolean(), server_default=sa.false(), nullable=False))
    op.execute(
        "UPDATE deliveries SET removal_announced = true WHERE detail LIKE 'Link removed: told the receiver.%' "
        "AND status IN ('sent', 'already_registered')"
    )

    with op.batch_alter_table('incoming_webmentions', schema=None) as batch_op:
        for column in _lease_columns():
            batch_op.add_column(column)
        batch_op.create_index('ix_incoming_webmentions_due', ['status', 'next_attempt_at'], unique=False)
    op.execute("UPDATE incoming_webmentions SET next_attempt_at = created_at WHERE status = 'queued'")

    with op.batch_alter_table('comments', schema=None) as batch_op:
        batch_op.add_column(sa.Column('source_key', sa.String(length=2000), nullable=True))
        batch_op.add_column(sa.Column('taken_down_at', sa.DateTime(), nullable=True))
    connection = op.get_bind()
    comments = sa.table(
        'comments', sa.column('id', sa.Integer), sa.column('post_id', sa.Integer), sa.column('kind', sa.String),
        sa.column('author_url', sa.String), sa.column('source_key', sa.String),
    )
    seen = set()
    rows = connection.execute(
        sa.select(comments.c.id, comments.c.post_id, comments.c.author_url)
        .where(comments.c.kind != 'comment').order_by(comments.c.id)
    ).all()
    for comment_id, post_id, author_url in rows:
        key = _source_key(author_url or "")
        if key is None or (post_id, key) in seen:
            continue
        seen.add((post_id, key))
        connection.execute(comments.update().where(comments.c.id == comment_id).values(source_key=key))
    op.execute("UPDATE comments SET taken_down_at = created_at WHERE moderation_note LIKE 'Taken down%'")
    with op.batch_alter_table('comments', schema=None) as batch_op:
        batch_op.create_index('uq_comments_post_source_key', ['post_id', 'source_key'], unique=True,
                              sqlite_where=sa.text('source_key IS NOT NULL'),
                              postgresql_where=sa.text('source_key IS NOT NULL'))
    op.execute(
        "INSERT INTO linkback_checks (comment_id, created_at, last_error, attempts, next_attempt_at) "
        "SELECT id, created_at, '', 0, created_at FROM comments "
        "WHERE kind = 'trackback' AND verification = 'pending'"
    )

    with op.batch_alter_table('linkback_attempts', schema=None) as batch_op:
        batch_op.drop_index('ix_linkback_attempts_post_id')
        batch_op.drop_index('ix_linkback_attempts_ip')
        batch_op.drop_index('ix_linkback_attempts_at')
    op.drop_table('linkback_attempts')
    with op.batch_alter_table('login_failures', schema=None) as batch_op:
        batch_op.drop_index('ix_login_failures_ip')
        batch_op.drop_index('ix_login_failures_at')
    op.drop_table('login_failures')


def downgrade():
    op.create_table('login_failures',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('ip', sa.String(length=45), nullable=False),
    sa.Column('at', sa.DateTime(), nullable=False),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('login_failures', schema=None) as batch_op:
        batch_op.create_index('ix_login_failures_at', ['at'], unique=False)
        batch_op.create_index('ix_login_failures_ip', ['ip'], unique=False)
    op.create_table('linkback_attempts',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('ip', sa.String(length=45), nullable=False),
    sa.Column('post_id', sa.Integer(), nullable=True),
    sa.Column('at', sa.DateTime(), nullable=False),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('linkback_attempts', schema=None) as batch_op:
        batch_op.create_index('ix_linkback_attempts_at', ['at'], unique=False)
        batch_op.create_index('ix_linkback_attempts_ip', ['ip'], unique=False)
        batch_op.create_index('ix_linkback_attempts_post_id', ['post_id'], unique=False)

    with op.batch_alter_table('comments', schema=None) as batch_op:
        batch_op.drop_index('uq_comments_post_source_key')
        batch_op.drop_column('taken_down_at')
        batch_op.drop_column('source_key')
    with op.batch_alter_table('incoming_webmentions', schema=None) as batch_op:
        batch_op.drop_index('ix_incoming_webmentions_due')
        for name in ('claimed_by', 'lease_expires_at', 'next_attempt_at', 'attempts'):
            batch_op.drop_column(name)
    with op.batch_alter_table('deliveries', schema=None) as batch_op:
        batch_op.drop_column('removal_announced')
    op.drop_table('rate_counters')
    with op.batch_alter_table('outgoing_mail', schema=None) as batch_op:
        batch_op.drop_index('ix_outgoing_mail_due')
    op.drop_table('outgoing_mail')
    with op.batch_alter_table('linkback_checks', schema=None) as batch_op:
        batch_op.drop_index('ix_linkback_checks_due')
    op.drop_table('linkback_checks')
