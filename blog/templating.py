"""What every template can use: the blog's settings, permalinks, and dates in the blog's zone."""

from __future__ import annotations

from datetime import datetime

from flask import Flask

from .authors import author_card
from .comment_html import comment_html
from .comment_list import comment_list_html
from .date_formats import DATE_WORDS, DATETIME_WORDS, attribute_value
from .discussion import comments_close_at, pings_close_at
from .models import Post
from .pages import navigation_pages
from .permalinks import absolute_url_for, comments_feed_url, local_time, permalink_values, post_url, trackback_url
from .post_text import continue_reading_html
from .rendering import render_comment_text
from .seo import page_meta
from .site_settings import get_settings
from .url_cache import url_for


def format_date(moment: datetime | None, fmt: str = DATE_WORDS) -> str:
    return "" if moment is None else local_time(moment).strftime(fmt)


def format_datetime(moment: datetime | None) -> str:
    return format_date(moment, DATETIME_WORDS)


def datetime_attribute(moment: datetime | None) -> str:
    """For datetime="" attributes and microformats: whole seconds, in the blog's zone with its offset."""
    return "" if moment is None else attribute_value(local_time(moment))


def edit_url(post: Post) -> str:
    """Where the author edits a post or page (the "Edit" link on public pages)."""
    return url_for("editor.edit_page" if post.is_page else "editor.edit_post", post_id=post.id)


def init_app(app: Flask) -> None:
    app.jinja_env.globals.update(
        post_url=post_url, trackback_url=trackback_url, absolute_url_for=absolute_url_for,
        comments_close_at=comments_close_at, pings_close_at=pings_close_at, author_card=author_card,
        page_meta=page_meta, permalink_values=permalink_values, comments_feed_url=comments_feed_url,
        edit_url=edit_url, navigation_pages=navigation_pages, continue_reading_html=continue_reading_html,
        comment_html=comment_html, comment_list_html=comment_list_html,
        url_for=url_for,  # remembers the paths it builds (blog/url_cache.py)
    )
    app.jinja_env.filters.update(
        date=format_date, datetime=format_datetime, comment_text=render_comment_text,
        datetime_attr=datetime_attribute,
    )

    @app.context_processor
    def _inject_site():
        return {"site": get_settings()}
