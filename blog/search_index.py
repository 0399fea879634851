"""The full-text index of published posts, kept by the database itself as posts are written: on SQLite
an FTS5 table over `posts` (external content) that triggers keep current, on PostgreSQL a generated
tsvector column with a GIN index. Created with the tables (create_all) and by the migration, which
holds its own copy of these statements."""

from __future__ import annotations

import sqlalchemy as sa

# The text search configuration (PostgreSQL) and tokenizer (SQLite): English stemming on both, so
# "photos" finds "photo"; SQLite also folds accents ("cafe" finds "café").
PG_CONFIG = "english"
FTS_TABLE = "posts_search"  # and its shadow tables posts_search_data, _idx, _docsize, _config
PG_COLUMN = "search_vector"
PG_INDEX = "ix_posts_search_vector"

SQLITE_DDL = [
    f"""CREATE VIRTUAL TABLE {FTS_TABLE} USING fts5(
        title, body_text, content='posts', content_rowid='id',
        tokenize='porter unicode61 remove_diacritics 2')""",
    # External content: the index holds only published posts, so a row leaves it with the values it
    # was indexed with ('delete' must be given them), and only if it was in it.
    f"""CREATE TRIGGER posts_search_insert AFTER INSERT ON posts WHEN new.status = 'published' BEGIN
        INSERT INTO {FTS_TABLE} (rowid, title, body_text) VALUES (new.id, new.title, new.body_text);
    END""",
    f"""CREATE TRIGGER posts_search_delete AFTER DELETE ON posts WHEN old.status = 'published' BEGIN
        INSERT INTO {FTS_TABLE} ({FTS_TABLE}, rowid, title, body_text)
            VALUES ('delete', old.id, old.title, old.body_text);
    END""",
    f"""CREATE TRIGGER posts_search_update AFTER UPDATE OF title, body_text, status ON posts BEGIN
        INSERT INTO {FTS_TABLE} ({FTS_TABLE}, rowid, title, body_text)
            SELECT 'delete', old.id, old.title, old.body_text WHERE old.status = 'published';
        INSERT INTO {FTS_TABLE} (rowid, title, body_text)
            SELECT new.id, new.title, new.body_text WHERE new.status = 'published';
    END""",
]

PG_DDL = [
    f"""ALTER TABLE posts ADD COLUMN {PG_COLUMN} tsvector GENERATED ALWAYS AS (
        setweight(to_tsvector('{PG_CONFIG}', coalesce(title, '')), 'A')
        || setweight(to_tsvector('{PG_CONFIG}', coalesce(body_text, '')), 'B')) STORED""",
    f"CREATE INDEX {PG_INDEX} ON posts USING gin ({PG_COLUMN})",
]


def create_search_index(target, connection: sa.Connection, **kw) -> None:
    """The index for this database (an after_create listener on the posts table)."""
    statements = {"sqlite": SQLITE_DDL, "postgresql": PG_DDL}.get(connection.dialect.name, [])
    for statement in statements:
        connection.exec_driver_sql(statement)


def is_search_index(name: str | None) -> bool:
    """Whether a table, column or index name belongs to the search index, which the models do not
    declare: the migrations' comparison (autogenerate) leaves them alone."""
    return bool(name) and (name.startswith(FTS_TABLE) or name in (PG_COLUMN, PG_INDEX))


# Indexes on an expression (models.py declares them): SQLite's reflection cannot read them back (it warns
# "Skipped unsupported reflection of expression-based index"), so the comparison leaves them alone too.
EXPRESSION_INDEXES = ("ix_posts_list_date",)


def include_name(name, type_, parent_names) -> bool:
    """Alembic's include_name hook: everything but the search index and the expression indexes."""
    return not (is_search_index(name) or name in EXPRESSION_INDEXES)


def include_object(obj, name, type_, reflected, compare_to) -> bool:
    """Alembic's include_object hook: everything but the search index's column and index, and the expression
    indexes."""
    return not ((reflected and is_search_index(name)) or name in EXPRESSION_INDEXES)
