"""Conditional GET (RFC 9110 section 13): an ETag and Last-Modified on a response, and 304 Not
Modified when the client already holds what it would show."""

from __future__ import annotations

import hashlib
from datetime import datetime

from flask import Request, Response

# Shared caches and readers may keep it, but must ask again (cheaply, with If-None-Match) each time.
REVALIDATE = "public, max-age=0, must-revalidate"


def etag_of(*parts: bytes | str) -> str:
    """A strong validator for a representation: a digest of what it is made of (its bytes, or
    whatever determines them)."""
    digest = hashlib.sha256()
    for part in parts:
        digest.update(part.encode() if isinstance(part, str) else part)
        digest.update(b"\0")
    return digest.hexdigest()[:32]


def conditional(
    response: Response,
    request: Request,
    *,
    etag: str | None = None,
    last_modified: datetime | None = None,
    cache_control: str = REVALIDATE,
) -> Response:
    """The response with its validators and Cache-Control, turned into a 304 without a body when
    the request's If-None-Match (or, without one, If-Modified-Since) shows the client has it.
    Without an etag, one is made from the body."""
    response.set_etag(etag or etag_of(response.get_data()))
    if last_modified is not None:
        response.last_modified = last_modified.replace(microsecond=0)
    response.headers["Cache-Control"] = cache_control
    return response.make_conditional(request)
