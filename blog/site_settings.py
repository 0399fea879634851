"""The blog's own settings (title, posts per page, time zone, discussion switches...): typed
defaults in code, values the owner changed stored in the settings table."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any
from zoneinfo import ZoneInfo

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
    "posts_per_page": SettingSpec(int, 10),
    "timezone": SettingSpec(str, "UTC"),
    # Settings -> Discussion (the page itself comes later; the defaults apply already)
    "default_comment_status": SettingSpec(bool, True),
    "default_ping_status": SettingSpec(bool, True),
    "default_pingback_flag": SettingSpec(bool, True),
    "require_name_email": SettingSpec(bool, True),
    "approve_own_links": SettingSpec(bool, True),  # links between my own posts: approved at once
    "accept_pingbacks": SettingSpec(bool, True),  # the blog-wide switches, beside each post's own
    "accept_trackbacks": SettingSpec(bool, True),
    "verify_trackbacks": SettingSpec(bool, True),  # fetch a trackback's page: no link, it is spam
}


def _load() -> dict[str, Any]:
    values = {name: spec.default for name, spec in SPECS.items()}
    for row in db.session.execute(db.select(Setting)).scalars():
        spec = SPECS.get(row.key)
        if spec is None:
            continue
        try:
            value = json.loads(row.value)
        except ValueError:
            continue
        if isinstance(value, spec.type) and not (spec.type is int and isinstance(value, bool)):
            values[row.key] = value
    return values


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
    try:
        return ZoneInfo(get_setting("timezone"))
    except (KeyError, ValueError):
        return ZoneInfo("UTC")
