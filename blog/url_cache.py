"""url_for with the paths it builds remembered per app: a public page asks for some thirty addresses (the menu,
the feeds, each post's permalink), and building one through Werkzeug's URL map cost about 40 µs, a sixth of an
uncached post page. The URL rules never change while the app runs, so a path depends only on the endpoint, its
values and the path the site is served under (the request's script root), which make the key.

Not remembered: static files (their address carries the file's current version, blog/static_versions.py),
addresses with options (`_external`, `_anchor`, ...), blueprint-relative endpoints, and calls outside a request."""

from __future__ import annotations

import flask
from flask import current_app, has_request_context, request

MAX_ENTRIES = 4096  # a few per post of a 1,000-post blog; the map starts again when full


def url_for(endpoint: str, **values) -> str:
    if endpoint == "static" or endpoint.startswith(".") or not has_request_context():
        return flask.url_for(endpoint, **values)
    try:
        key = (request.script_root, endpoint, frozenset(values.items()))
        hash(key)
    except TypeError:  # a list or other unhashable value
        return flask.url_for(endpoint, **values)
    if any(name.startswith("_") for name in values):
        return flask.url_for(endpoint, **values)
    paths: dict = current_app.extensions.setdefault("url_cache", {})
    path = paths.get(key)
    if path is None:
        path = flask.url_for(endpoint, **values)
        if len(paths) >= MAX_ENTRIES:
            paths.clear()
        paths[key] = path
    return path
