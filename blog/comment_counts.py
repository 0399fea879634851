"""How many comments there are of each kind in each status, kept by the database itself: triggers on
`comments` add a row of +1 or -1 to `comment_count_deltas` for every insert, delete and change of kind or
status, whoever writes (the app, an import, a cascade from a purged post, a bulk statement). Rows are only
ever added, so writers never wait on one another for a counter (two bulk actions moving items in opposite
directions would deadlock on shared counter rows); the job layer's housekeeping folds them into one row per
kind and status, so reading the counts stays a handful of rows however many comments there are.

The moderation queue's tabs, the admin menu's pending badge and the dashboard read these counts instead of
counting 200,000 comments on every view. Created with the tables (create_all) and by the migration, which
holds its own copy of these statements."""

from __future__ import annotations

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from .extensions import db

TABLE = "comment_count_deltas"
PG_FUNCTION = "comment_count_change"

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
    f"""CREATE FUNCTION {PG_FUNCTION}() RETURNS trigger LANGUAGE plpgsql AS $$
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
    f"""CREATE TRIGGER comment_counts_insert AFTER INSERT ON comments
        FOR EACH ROW EXECUTE FUNCTION {PG_FUNCTION}()""",
    f"""CREATE TRIGGER comment_counts_delete AFTER DELETE ON comments
        FOR EACH ROW EXECUTE FUNCTION {PG_FUNCTION}()""",
    f"""CREATE TRIGGER comment_counts_update AFTER UPDATE OF kind, status ON comments
        FOR EACH ROW EXECUTE FUNCTION {PG_FUNCTION}()""",
]

class CommentCountDelta(db.Model):
    """+n or -n comments of a kind in a status; the sum per kind and status is how many there are."""

    __tablename__ = TABLE

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(sa.String(20))
    status: Mapped[str] = mapped_column(sa.String(20))
    delta: Mapped[int] = mapped_column()


def create_triggers(connection: sa.Connection) -> None:
    statements = {"sqlite": SQLITE_DDL, "postgresql": PG_DDL}.get(connection.dialect.name, [])
    for statement in statements:
        connection.exec_driver_sql(statement)


def _after_create_all(metadata, connection: sa.Connection, tables=(), **kw) -> None:
    """create_all made `comments` and the deltas table (both exist once every table is made): add the triggers."""
    names = {table.name for table in tables}
    if {"comments", TABLE} <= names:
        create_triggers(connection)


sa.event.listen(db.metadata, "after_create", _after_create_all)


def counts_by_kind_and_status() -> dict[tuple[str, str], int]:
    """{(kind, status): how many}, leaving out the pairs that add up to none."""
    rows = db.session.execute(
        sa.select(CommentCountDelta.kind, CommentCountDelta.status, sa.func.sum(CommentCountDelta.delta))
        .group_by(CommentCountDelta.kind, CommentCountDelta.status)
    )
    return {(kind, status): int(total) for kind, status, total in rows if total}


def count_in_status(status: str) -> int:
    return int(db.session.execute(
        sa.select(sa.func.coalesce(sa.func.sum(CommentCountDelta.delta), 0)).where(CommentCountDelta.status == status)
    ).scalar_one())


def fold() -> None:
    """Fold every delta row into one per kind and status (none for a pair that adds up to zero). One statement on
    PostgreSQL (the rows deleted are exactly the rows summed, whatever commits meanwhile); on SQLite the write
    lock taken by the INSERT keeps every other writer out until the commit."""
    table = CommentCountDelta.__table__
    if db.engine.dialect.name == "postgresql":
        db.session.execute(sa.text(
            f"WITH folded AS (DELETE FROM {TABLE} RETURNING kind, status, delta) "
            f"INSERT INTO {TABLE} (kind, status, delta) "
            f"SELECT kind, status, sum(delta) FROM folded GROUP BY kind, status HAVING sum(delta) <> 0"
        ))
    else:
        last = db.session.execute(sa.select(sa.func.max(table.c.id))).scalar()
        if last is None:
            return
        db.session.execute(sa.text(
            f"INSERT INTO {TABLE} (kind, status, delta) SELECT kind, status, sum(delta) FROM {TABLE} "
            f"WHERE id <= :last GROUP BY kind, status HAVING sum(delta) <> 0"
        ), {"last": last})
        db.session.execute(sa.delete(table).where(table.c.id <= last))
    db.session.commit()
