"""Moving a whole blog to another database (`flask copy-database --to URL`, e.g. SQLite to PostgreSQL): the
migrations make the schema on the target, then every table is copied in one transaction and counted on both sides."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import click
import sqlalchemy as sa
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from alembic.util import CommandError
from flask.cli import with_appcontext

from .database import describe_failure, masked_url
from .extensions import db, migrate

BATCH_ROWS = 1000
# Tables the migrations fill on an empty database (the default category): on the target they are emptied
# in the copy's transaction, and rows in them alone do not make it "a blog".
SEEDED_BY_MIGRATIONS = ("categories",)
# Tables the target's own triggers fill as the rows they describe are copied (the comment counts): not copied.
KEPT_BY_TRIGGERS = ("comment_count_deltas",)
CONNECT_TIMEOUT_SECONDS = 10  # libpq waits for ever by default when a host does not answer


class CopyRefused(Exception):
    """Why nothing was copied, in one line for the person at the terminal (passwords masked)."""


@dataclass(frozen=True)
class TableCount:
    table: str
    source: int
    target: int


class CountsDiffer(CopyRefused):
    """The copy was rolled back because a table has a different number of rows on the two sides."""

    def __init__(self, counts: list[TableCount]):
        tables = ", ".join(c.table for c in counts if c.source != c.target)
        super().__init__(f"The row counts differ ({tables}), so the copy was rolled back: nothing was copied.")
        self.counts = counts


def copy_database(target: str, *, batch_rows: int = BATCH_ROWS, say: Callable[[str], None] = lambda _: None
                  ) -> list[TableCount]:
    """Copy the current app's database, every row of every table, into the database at `target` (a SQLAlchemy
    URL), which must not hold a blog; returns each table's row count on both sides. The target gets its schema
    from the migrations, so it ends at the same revision. Raises CopyRefused when nothing was copied."""
    source_url = db.engine.url
    target_url = parse_database_url(target)
    target_engine = open_database(target_url)
    source_engine = _snapshot_engine(source_url)
    try:
        if is_same_database(source_url, target_url):
            raise CopyRefused(f"{masked_url(target_url)} is the database this blog already uses.")
        require_head_revision(source_engine)
        refuse_a_blog(target_engine, target_url)
        say(f"Creating the schema on {masked_url(target_url)} (flask db upgrade)")
        create_schema(target_url)
        say(f"Copying {masked_url(source_url)} to {masked_url(target_url)}")
        try:
            return _copy_all(source_engine, target_engine, batch_rows)
        except sa.exc.DBAPIError as error:
            raise CopyRefused(f"The copy failed, so nothing was copied: {describe_failure(error)}") from None
    finally:
        source_engine.dispose()
        target_engine.dispose()


def _copy_all(source_engine: sa.Engine, target_engine: sa.Engine, batch_rows: int) -> list[TableCount]:
    """Every table in one transaction on the target: committed only when all counts match."""
    with source_engine.connect() as source, target_engine.begin() as target:
        for table in reversed(db.metadata.sorted_tables):
            if table.name in SEEDED_BY_MIGRATIONS:
                target.execute(table.delete())
        copied = [table for table in db.metadata.sorted_tables if table.name not in KEPT_BY_TRIGGERS]
        for table in copied:
            try:
                _copy_table(table, source, target, batch_rows)
            except sa.exc.DBAPIError as error:
                raise CopyRefused(
                    f"Copying the table {table.name} failed, so nothing was copied: {describe_failure(error)}"
                ) from None
        _reset_sequences(target)
        counts = [TableCount(table.name, _count(source, table), _count(target, table)) for table in copied]
        if any(c.source != c.target for c in counts):
            raise CountsDiffer(counts)  # leaving the `with` rolls the target back
    return counts


def parse_database_url(text: str) -> sa.URL:
    try:
        url = sa.make_url(text)
    except sa.exc.ArgumentError:
        # Not echoed: it may hold a password.
        raise CopyRefused("--to is not a database URL (dialect+driver://user:password@host/database).") from None
    if "@" in (url.host or ""):
        raise CopyRefused("The --to URL has two @: write an @ in the password as %40.")
    if url.get_backend_name() == "sqlite":
        if url.database in (None, "", ":memory:"):
            raise CopyRefused("--to names an in-memory SQLite database, which would vanish with the copy.")
        # Resolved here, as the migrations' app would otherwise read a relative path from the instance folder.
        url = url.set(database=str(Path(url.database).resolve()))
    return url


def open_database(url: sa.URL) -> sa.Engine:
    """An engine for `url`, once a connection to it has worked; else CopyRefused naming the problem."""
    connect_args = {}
    if url.get_backend_name() == "postgresql" and "connect_timeout" not in url.query:
        connect_args["connect_timeout"] = CONNECT_TIMEOUT_SECONDS
    try:
        engine = sa.create_engine(url, connect_args=connect_args)
    except sa.exc.NoSuchModuleError:
        raise CopyRefused(f"Unknown database or driver {url.drivername!r} in {masked_url(url)}.") from None
    except ImportError as error:
        raise CopyRefused(f"The driver for {masked_url(url)} is not installed ({error}).") from None
    try:
        with engine.connect():
            pass
    except sa.exc.DBAPIError as error:
        engine.dispose()
        raise CopyRefused(f"Cannot connect to {masked_url(url)}: {describe_failure(error)}") from None
    return engine


def is_same_database(a: sa.URL, b: sa.URL) -> bool:
    """Whether two URLs plainly name one database (the "holds a blog" check catches the rest)."""
    if a.get_backend_name() != b.get_backend_name():
        return False
    if a.get_backend_name() == "sqlite":
        return bool(a.database and b.database) and Path(a.database).resolve() == Path(b.database).resolve()
    return (a.host, a.port, a.database, dict(a.query)) == (b.host, b.port, b.database, dict(b.query))


def require_head_revision(engine: sa.Engine) -> None:
    heads = set(ScriptDirectory.from_config(migrate.get_config()).get_heads())
    with engine.connect() as conn:
        current = set(MigrationContext.configure(conn).get_current_heads())
    if current != heads:
        raise CopyRefused("This blog's database is not at the latest schema: run `flask --app blog db upgrade` first.")


def refuse_a_blog(engine: sa.Engine, url: sa.URL) -> None:
    """CopyRefused when any of our tables on the target has a row (empty tables are fine: a copy that failed
    leaves them, and the next one fills them)."""
    with engine.connect() as conn:
        existing = set(sa.inspect(conn).get_table_names())
        for table in db.metadata.sorted_tables:
            if table.name in SEEDED_BY_MIGRATIONS:
                continue
            if table.name in existing and conn.execute(sa.select(sa.literal(1)).select_from(table).limit(1)).first():
                raise CopyRefused(f"{masked_url(url)} already holds a blog (its table {table.name} has rows); "
                                  "copy only into an empty database.")


def create_schema(url: sa.URL) -> None:
    """Run the migrations on the target, through a second app configured for it, as `flask db upgrade` would."""
    from flask_migrate import upgrade

    from . import create_app

    app = create_app({"SQLALCHEMY_DATABASE_URI": url.render_as_string(hide_password=False)})
    with app.app_context():
        try:
            upgrade()
        except (CommandError, sa.exc.DBAPIError) as error:
            raise CopyRefused(f"Making the schema on {masked_url(url)} failed: {describe_failure(error)}") from None
        finally:
            db.engine.dispose()


def _snapshot_engine(url: sa.URL) -> sa.Engine:
    """An engine whose transactions read one snapshot, so a copy made while the blog runs is consistent."""
    if url.get_backend_name() == "postgresql":
        return sa.create_engine(url, isolation_level="REPEATABLE READ")
    engine = sa.create_engine(url)
    if url.get_backend_name() == "sqlite":
        # pysqlite starts no transaction before a SELECT; SQLAlchemy's recipe makes it begin one.
        @sa.event.listens_for(engine, "connect")
        def _no_driver_transactions(dbapi_connection, connection_record):
            dbapi_connection.isolation_level = None

        @sa.event.listens_for(engine, "begin")
        def _begin(conn):
            conn.exec_driver_sql("BEGIN")

    return engine


def _copy_table(table: sa.Table, source: sa.Connection, target: sa.Connection, batch_rows: int) -> None:
    """Insert every row of `table`, primary keys kept, in batches ordered by primary key. A row pointing at a row
    of its own table not copied yet (a reply stored before its parent) gets that column set afterwards."""
    self_refs = [(fk.parent.key, fk.column.key) for fk in table.foreign_keys if fk.column.table is table]
    copied: dict[str, set] = {referred: set() for _, referred in self_refs}
    later: list[tuple[dict, str, object]] = []
    key = [c.key for c in table.primary_key.columns]
    rows = source.execution_options(yield_per=batch_rows).execute(sa.select(table).order_by(*table.primary_key))
    for batch in rows.partitions():
        values = [dict(row._mapping) for row in batch]
        for row in values:
            for column, referred in self_refs:
                if row[column] is not None and row[column] not in copied[referred]:
                    later.append(({k: row[k] for k in key}, column, row[column]))
                    row[column] = None
            for referred, seen in copied.items():
                seen.add(row[referred])
        target.execute(table.insert(), values)
    for where, column, value in later:
        condition = sa.and_(*(table.c[k] == v for k, v in where.items()))
        target.execute(table.update().where(condition).values({column: value}))


def _reset_sequences(target: sa.Connection) -> None:
    """On PostgreSQL, start each id sequence after the largest id copied, so new rows do not collide."""
    if target.dialect.name != "postgresql":
        return
    for table in db.metadata.sorted_tables:
        column = table.autoincrement_column
        if column is None:
            continue
        quoted = target.dialect.identifier_preparer
        name, column_name = quoted.format_table(table), quoted.format_column(column)
        target.execute(
            sa.text(f"SELECT setval(pg_get_serial_sequence(:table, :column), "
                    f"COALESCE((SELECT MAX({column_name}) FROM {name}), 0) + 1, false)"),
            {"table": name, "column": column.name},
        )


def _count(conn: sa.Connection, table: sa.Table) -> int:
    return conn.execute(sa.select(sa.func.count()).select_from(table)).scalar_one()


def format_counts(counts: list[TableCount], source: str = "source", target: str = "target") -> str:
    width = max(len("table"), *(len(c.table) for c in counts))
    lines = [f"{'table':<{width}}  {source:>10}  {target:>10}"]
    for c in counts:
        mark = "" if c.source == c.target else "  <- differs"
        lines.append(f"{c.table:<{width}}  {c.source:>10}  {c.target:>10}{mark}")
    return "\n".join(lines)


@click.command("copy-database")
@click.option("--to", "target", required=True, metavar="URL",
              help="The empty database to copy this blog into, e.g. postgresql+psycopg://blog@localhost/blog")
@click.option("--batch-rows", default=BATCH_ROWS, show_default=True, type=click.IntRange(min=1),
              help="Rows read and written at a time.")
@with_appcontext
def copy_database_command(target: str, batch_rows: int) -> None:
    """Copy this blog, everything in it, into another database (e.g. from SQLite to PostgreSQL)."""
    try:
        counts = copy_database(target, batch_rows=batch_rows, say=click.echo)
    except CountsDiffer as differ:
        click.echo(format_counts(differ.counts))
        raise click.ClickException(str(differ)) from None
    except CopyRefused as refused:
        raise click.ClickException(str(refused)) from None
    click.echo(format_counts(counts))
    url = masked_url(parse_database_url(target))
    click.echo(f"Copied {sum(c.target for c in counts)} rows; every table has as many rows on both sides. "
               f"Point the blog at the new database: BLOG_SQLALCHEMY_DATABASE_URI={url}")
