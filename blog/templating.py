"""What every template can use: the blog's settings, permalinks, and dates in the blog's zone."""

from __future__ import annotations

from datetime import datetime

from flask import Flask

from .discussion import comments_close_at, pings_close_at
from .permalinks import absolute_url_for, local_time, post_url, trackback_url
from .rendering import render_comment_text
from .site_settings import get_settings


def format_date(moment: datetime | None, fmt: str = "%B %-d, %Y") -> str:
    return "" if moment is None else local_time(moment).strftime(fmt)


def format_datetime(moment: datetime | None) -> str:
    return format_date(moment, "%B %-d, %Y at %H:%M")


def machine_time(moment: datetime) -> str:
    """A moment for a `datetime` attribute or a feed: ISO 8601 with whole seconds and its offset
    (HTML allows at most three digits of a second; microseconds are not valid)."""
    return moment.isoformat(timespec="seconds")


def init_app(app: Flask) -> None:
    app.jinja_env.globals.update(
        post_url=post_url, trackback_url=trackback_url, absolute_url_for=absolute_url_for,
        comments_close_at=comments_close_at, pings_close_at=pings_close_at,
    )
    app.jinja_env.filters.update(
        date=format_date, datetime=format_datetime, machine_time=machine_time, comment_text=render_comment_text
    )

    @app.context_processor
    def _inject_site():
        return {"site": get_settings()}
