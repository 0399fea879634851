"""The blog's own settings (title, posts per page, time zone, discussion switches...): typed
defaults in code, values the owner changed stored in the settings table."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from flask import g, has_app_context

from .extensions import db
from .models import Setting


@dataclass(frozen=True)
class SettingSpec:
    type: type
    default: Any


SPECS: dict[str, SettingSpec] = {
    "blog_title": SettingSpec(str, "My Blog"),
    "tagline": SettingSpec(str, ""),
    "site_url": SettingSpec(str, ""),
    # Settings -> Reading, WordPress's names (home_use_excerpt is ours: WordPress leaves it to the theme)
    "posts_per_page": SettingSpec(int, 10),  # Blog pages show at most
    "posts_per_rss": SettingSpec(int, 10),  # Syndication feeds show the most recent
    "rss_use_excerpt": SettingSpec(bool, False),  # For each post in a feed, include: Full text / Excerpt
    "home_use_excerpt": SettingSpec(bool, False),  # For each post on the home page, include: ...
    "timezone": SettingSpec(str, "UTC"),
    # Settings -> Discussion, WordPress's names where WordPress has the option (LINKBACKS.md section 5)
    "default_pingback_flag": SettingSpec(bool, True),  # Attempt to notify any blogs linked to from the post
    "default_ping_status": SettingSpec(bool, True),  # Allow link notifications ... on new posts
    "default_comment_status": SettingSpec(bool, True),  # Allow people to submit comments on new posts
    "require_name_email": SettingSpec(bool, True),
    "close_comments_for_old_posts": SettingSpec(bool, False),
    "close_comments_days_old": SettingSpec(int, 14),
    "close_pings_for_old_posts": SettingSpec(bool, False),  # ours: linkbacks close separately
    "close_pings_days_old": SettingSpec(int, 14),
    "thread_comments": SettingSpec(bool, True),
    "thread_comments_depth": SettingSpec(int, 5),
    "page_comments": SettingSpec(bool, False),
    "comments_per_page": SettingSpec(int, 50),
    "default_comments_page": SettingSpec(str, "newest"),  # "newest" (last page) or "oldest" (first)
    "comment_order": SettingSpec(str, "asc"),  # "asc": older at the top; "desc": newer at the top
    "comments_notify": SettingSpec(bool, True),  # Email me whenever anyone posts a comment
    "pings_notify": SettingSpec(bool, True),  # ours: ... a pingback or trackback arrives
    "moderation_notify": SettingSpec(bool, True),  # ... a comment is held for moderation
    "comment_moderation": SettingSpec(bool, False),  # Comment must be manually approved
    "comment_previously_approved": SettingSpec(bool, True),  # author must have a previously approved one
    "comment_max_links": SettingSpec(int, 2),
    "moderation_keys": SettingSpec(str, ""),  # one per line
    "disallowed_keys": SettingSpec(str, ""),  # one per line
    "linkback_allow_sites": SettingSpec(str, ""),  # hosts or URL prefixes, one per line: skip moderation
    "linkback_block_sites": SettingSpec(str, ""),  # hosts or URL prefixes, one per line: straight to spam
    "approve_own_links": SettingSpec(bool, True),  # Approve links between my own posts automatically
    "verify_trackbacks": SettingSpec(bool, True),  # Verify that trackbacks link to this blog
    "nofollow_links": SettingSpec(bool, True),  # Add rel="nofollow" to links in comments and linkbacks
    "separate_mentions": SettingSpec(bool, False),  # Show pingbacks and trackbacks separately from comments
    "accept_pingbacks": SettingSpec(bool, True),
    "accept_trackbacks": SettingSpec(bool, True),
    "accept_webmentions": SettingSpec(bool, True),
    # Spam (ours): the checks on a linkback's sender and page, the learning filter, discarding, clean-up
    "spam_check_sender": SettingSpec(bool, True),  # a ping not sent from its site's address is spam
    "spam_hold_link_farms": SettingSpec(bool, True),
    "spam_link_farm_links": SettingSpec(int, 100),  # links to other sites on the source page
    "spam_hold_contextless": SettingSpec(bool, True),  # not HTML, or no text around the link: held
    "spam_filter": SettingSpec(bool, True),
    "spam_threshold": SettingSpec(int, 90),  # percent: spam at or above
    "spam_hold_threshold": SettingSpec(int, 50),  # percent: held at or above (the uncertain band)
    "spam_discard": SettingSpec(bool, False),  # Akismet's "silently discard the worst spam"
    "spam_discard_threshold": SettingSpec(int, 99),
    "spam_delete_days": SettingSpec(int, 15),  # spam older than this is deleted; 0 keeps it
}


_ROWS = sa.select(Setting.key, Setting.value)  # built once
_parsed: tuple[tuple, dict[str, Any]] = ((), {})  # the rows last read in this process, and their values


def _load() -> dict[str, Any]:
    """The settings' values from their rows. Parsing them again is skipped while the rows are what this process
    read last (they are read every request, and seldom change)."""
    global _parsed
    rows = tuple(tuple(row) for row in db.session.connection().execute(_ROWS))
    seen, values = _parsed
    if rows == seen and seen:
        return dict(values)
    values = {name: spec.default for name, spec in SPECS.items()}
    for key, raw in rows:
        spec = SPECS.get(key)
        if spec is None:
            continue
        try:
            value = json.loads(raw)
        except ValueError:
            continue
        if isinstance(value, spec.type) and not (spec.type is int and isinstance(value, bool)):
            values[key] = value
    _parsed = (rows, values)
    return dict(values)


def get_settings() -> dict[str, Any]:
    """All settings, read once per request (or app context) and cached on `g`."""
    if not has_app_context():
        raise RuntimeError("settings need an app context")
    if "site_settings" not in g:
        g.site_settings = _load()
    return g.site_settings


def get_setting(name: str) -> Any:
    return get_settings()[name]


def save_settings(values: dict[str, Any]) -> None:
    """Store the given settings (validated against their declared types) and commit."""
    for name, value in values.items():
        spec = SPECS[name]
        if not isinstance(value, spec.type) or (spec.type is int and isinstance(value, bool)):
            raise TypeError(f"setting {name} takes {spec.type.__name__}, not {type(value).__name__}")
        row = db.session.get(Setting, name)
        if row is None:
            db.session.add(Setting(key=name, value=json.dumps(value)))
        else:
            row.value = json.dumps(value)
    db.session.commit()
    g.pop("site_settings", None)


def blog_timezone() -> ZoneInfo:
    """The blog's time zone, looked up once per request (every date on a page asks)."""
    settings = get_settings()
    name = settings["timezone"]
    cached = g.get("blog_timezone")
    if cached is not None and cached[0] == name:
        return cached[1]
    try:
        zone = ZoneInfo(name)
    except (KeyError, ValueError):
        zone = ZoneInfo("UTC")
    g.blog_timezone = (name, zone)
    return zone
