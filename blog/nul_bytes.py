"""No text the blog stores holds a NUL character: PostgreSQL refuses one in any text value ("A string
literal cannot contain NUL (0x00) characters"), so a visitor's comment, a form field, a linking page's
title or a webmention's content carrying one would end its request or job in an error. Every string
sent to the database has its NULs removed on the way, on SQLite too, so both keep the same text."""

from __future__ import annotations

import sqlalchemy as sa
from sqlalchemy.engine import Engine


def _clean(value):
    if isinstance(value, str) and "\x00" in value:
        return value.replace("\x00", "")
    return value


def _clean_parameters(parameters):
    if isinstance(parameters, dict):
        return {key: _clean(value) for key, value in parameters.items()}
    if isinstance(parameters, tuple):
        return tuple(_clean(value) for value in parameters)
    if isinstance(parameters, list):  # executemany: one set of parameters per row
        return [_clean_parameters(row) for row in parameters]
    return parameters


def _before_cursor_execute(conn, cursor, statement, parameters, context, executemany):
    return statement, _clean_parameters(parameters)


def install() -> None:
    if not sa.event.contains(Engine, "before_cursor_execute", _before_cursor_execute):
        sa.event.listen(Engine, "before_cursor_execute", _before_cursor_execute, retval=True)
