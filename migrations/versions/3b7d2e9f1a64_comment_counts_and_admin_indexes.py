"""comment counts kept by the database, and indexes for the admin screens

Revision ID: 3b7d2e9f1a64
Revises: 8f19492091a8
Create Date: 2026-12-03 10:40:00

The moderation queue, the admin menu's pending badge and the dashboard counted every comment on each view
(tens of milliseconds at 200,000 comments). Triggers on `comments` now add +1/-1 rows to
`comment_count_deltas` (blog/comment_counts.py; the statements are copied here so that this script keeps
working when that module changes), seeded with the count of every existing comment. Indexes: the moderation
queue by kind (kind, status, newest first) instead of the (kind, status) one the counts used, the navigation's
published pages in menu order, and the admin Posts screen's date order.
"""
from alembic import op
import sqlalchemy as sa


revision = "3b7d2e9f1a64"
down_revision = "8f19492091a8"
branch_labels = None
depends_on = None

TABLE = "comment_count_deltas"

SQLITE_DDL = [
    f"""CREATE TRIGGER comment_counts_insert AFTER INSERT ON comments BEGIN
        INSERT INTO {TABLE} (kind, status, delta) VALUES (new.kind, new.status, 1);
    END""",
    f"""CREATE TRIGGER comment_counts_delete AFTER DELETE ON comments BEGIN
        INSERT INTO {TABLE} (kind, status, delta) VALUES (old.kind, old.status, -1);
    END""",
    f"""CREATE TRIGGER comment_counts_update AFTER UPDATE OF kind, status ON comments
        WHEN old.kind IS NOT new.kind OR old.status IS NOT new.status BEGIN
        INSERT INTO {TABLE} (kind, status, delta) VALUES (old.kind, old.status, -1), (new.kind, new.status, 1);
    END""",
]

PG_DDL = [
    f"""CREATE FUNCTION comment_count_change() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
        IF TG_OP = 'UPDATE' AND OLD.kind IS NOT DISTINCT FROM NEW.kind
                AND OLD.status IS NOT DISTINCT FROM NEW.status THEN
            RETURN NULL;
        END IF;
        IF TG_OP IN ('DELETE', 'UPDATE') THEN
            INSERT INTO {TABLE} (kind, status, delta) VALUES (OLD.kind, OLD.status, -1);
        END IF;
        IF TG_OP IN ('INSERT', 'UPDATE') THEN
            INSERT INTO {TABLE} (kind, status, delta) VALUES (NEW.kind, NEW.status, 1);
        END IF;
        RETURN NULL;
    END $$""",
    """CREATE TRIGGER comment_counts_insert AFTER INSERT ON comments
        FOR EACH ROW EXECUTE FUNCTION comment_count_change()""",
    """CREATE TRIGGER comment_counts_delete AFTER DELETE ON comments
        FOR EACH ROW EXECUTE FUNCTION comment_count_change()""",
    """CREATE TRIGGER comment_counts_update AFTER UPDATE OF kind, status ON comments
        FOR EACH ROW EXECUTE FUNCTION comment_count_change()""",
]


def upgrade():
    op.create_table(
        TABLE,
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=20), nullable=False),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("delta", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    op.drop_index("ix_comments_kind_status", table_name="comments")
    op.create_index("ix_comments_kind_status_created", "comments", ["kind", "status", "created_at"], unique=False)
    op.create_index("ix_posts_kind_status_menu", "posts", ["kind", "status", "menu_order", "title", "id"],
                    unique=False)
    op.create_index("ix_posts_list_date", "posts", ["kind", sa.text("coalesce(published_at, updated_at)"), "id"],
                    unique=False)
    # Seed and triggers in one transaction (the migration's), so no comment is counted twice or missed. On
    # SQLite a later migration that rebuilds `comments` (batch mode's copy and move) drops its triggers: it
    # must create them again.
    connection = op.get_bind()
    connection.exec_driver_sql(
        f"INSERT INTO {TABLE} (kind, status, delta) SELECT kind, status, count(*) FROM comments GROUP BY kind, status"
    )
    for statement in {"sqlite": SQLITE_DDL, "postgresql": PG_DDL}.get(connection.dialect.name, []):
        connection.exec_driver_sql(statement)


def downgrade():
    op.drop_index("ix_posts_list_date", table_name="posts")
    op.drop_index("ix_posts_kind_status_menu", table_name="posts")
    op.drop_index("ix_comments_kind_status_created", table_name="comments")
    op.create_index("ix_comments_kind_status", "comments", ["kind", "status"], unique=False)
    connection = op.get_bind()
    for trigger in ("comment_counts_insert", "comment_counts_delete", "comment_counts_update"):
        connection.exec_driver_sql(
            f"DROP TRIGGER IF EXISTS {trigger}" + (" ON comments" if connection.dialect.name == "postgresql" else "")
        )
    if connection.dialect.name == "postgresql":
        connection.exec_driver_sql("DROP FUNCTION IF EXISTS comment_count_change()")
    op.drop_table(TABLE)
