"""Versioned static URLs: url_for('static', ...) adds ?v=<a hash of the file's contents>, and a request that names
the current version is answered with a year-long, immutable Cache-Control. A changed file gets a new address, so
browsers never keep an old stylesheet; an old or missing version is served with the ordinary short lifetime."""

from __future__ import annotations

import hashlib
import os
import threading
from pathlib import Path

from flask import Flask, Response, current_app, request

IMMUTABLE = "public, max-age=31536000, immutable"

_hashes: dict[tuple[str, str], tuple[float, int, str]] = {}  # (folder, name): (mtime, size, hash)
_lock = threading.Lock()
_paths: dict[tuple[str, str], Path] = {}  # (folder, name): the file's resolved path, or _OUTSIDE
_OUTSIDE = Path("/nonexistent-outside-the-static-folder")
_MAX_PATHS = 1024


def static_version(folder: str, filename: str) -> str | None:
    """The first 12 hex digits of the file's SHA-256, read again only when its mtime or size changes; None for a
    file that is not there (or names its way out of the folder)."""
    key = (folder, filename)
    path = _paths.get(key)
    if path is None:  # resolved once per name: it costs a system call per folder of the path
        root = Path(folder).resolve()
        path = (root / filename).resolve()
        if len(_paths) >= _MAX_PATHS:  # names come from requests for static files too: bounded
            _paths.clear()
        path = _paths.setdefault(key, path if root in path.parents else _OUTSIDE)
    if path is _OUTSIDE:
        return None
    try:
        stat = os.stat(path)
    except OSError:
        return None
    with _lock:
        known = _hashes.get(key)
    if known is not None and known[:2] == (stat.st_mtime, stat.st_size):
        return known[2]
    digest = hashlib.sha256(path.read_bytes()).hexdigest()[:12]
    with _lock:
        _hashes[key] = (stat.st_mtime, stat.st_size, digest)
    return digest


def _add_version(endpoint: str, values: dict) -> None:
    if endpoint != "static" or "v" in values or "filename" not in values:
        return
    version = static_version(current_app.static_folder, values["filename"])
    if version:
        values["v"] = version


def _cache_versioned(response: Response) -> Response:
    if request.endpoint != "static" or response.status_code not in (200, 304):
        return response
    version = request.args.get("v")
    filename = (request.view_args or {}).get("filename", "")
    if version and version == static_version(current_app.static_folder, filename):
        response.headers["Cache-Control"] = IMMUTABLE
    return response


def init_app(app: Flask) -> None:
    app.url_defaults(_add_version)
    app.after_request(_cache_versioned)
