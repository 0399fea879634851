"""gzip for text responses (HTML, feeds, CSS, JavaScript, SVG, JSON) when the client accepts it, as WSGI
middleware around everything, so pages served by the page cache's fast path are compressed too. A page
compressed before (the same bytes) is not compressed again: the last few are remembered."""

from __future__ import annotations

import gzip
import hashlib
import threading
from collections import OrderedDict

from werkzeug.http import parse_accept_header

COMPRESSIBLE_TYPES = (
    "text/", "application/json", "application/xml", "application/atom+xml", "application/rss+xml",
    "application/javascript", "application/xrd+xml", "image/svg+xml", "application/manifest+json",
)  # fmt: skip


def accepts_gzip(environ) -> bool:
    """Whether the request's Accept-Encoding allows gzip (q=0 refuses it)."""
    accepted = parse_accept_header(environ.get("HTTP_ACCEPT_ENCODING", ""))
    return accepted.quality("gzip") > 0


class Compression:
    """Compresses whole 200 responses of a compressible type at least `min_bytes` long; streams everything else
    through untouched. Adds Vary: Accept-Encoding to every response it could compress, and makes a compressed
    response's ETag weak (as nginx does), so If-None-Match still matches it."""

    def __init__(self, wsgi_app, *, min_bytes: int = 500, level: int = 6, memo_bytes: int = 8 * 1024 * 1024):
        self.wsgi_app = wsgi_app
        self.min_bytes = min_bytes
        self.level = level
        self.memo_bytes = memo_bytes
        self.memo: OrderedDict[bytes, bytes] = OrderedDict()  # sha256 of the body: its gzip
        self.memo_size = 0
        self.lock = threading.Lock()

    def __call__(self, environ, start_response):
        captured = {}

        def capture(status, headers, exc_info=None):
            captured["status"], captured["headers"], captured["exc_info"] = status, headers, exc_info
            return lambda data: captured.setdefault("written", []).append(data)  # the WSGI write() callable

        result = self.wsgi_app(environ, capture)
        headers = captured["headers"]
        names = {name.lower(): value for name, value in headers}
        kind = names.get("content-type", "").lower()
        if (not captured["status"].startswith("200") or "content-encoding" in names
                or not kind.startswith(COMPRESSIBLE_TYPES) or captured.get("written")):
            start_response(captured["status"], headers, captured["exc_info"])
            return result
        try:
            body = b"".join(result)
        finally:
            if hasattr(result, "close"):
                result.close()
        headers = [(n, v) for n, v in headers if n.lower() != "vary"]
        vary = [v.strip() for v in names.get("vary", "").split(",") if v.strip()]
        headers.append(("Vary", ", ".join([*vary, "Accept-Encoding"] if "Accept-Encoding" not in vary else vary)))
        if len(body) < self.min_bytes or environ.get("REQUEST_METHOD") == "HEAD" or not accepts_gzip(environ):
            start_response(captured["status"], headers)
            return [body]
        compressed = self._compress(body)
        headers = [(n, v) for n, v in headers if n.lower() not in ("content-length", "etag")]
        if "etag" in names and not names["etag"].startswith("W/"):
            headers.append(("ETag", "W/" + names["etag"]))
        elif "etag" in names:
            headers.append(("ETag", names["etag"]))
        headers += [("Content-Encoding", "gzip"), ("Content-Length", str(len(compressed)))]
        start_response(captured["status"], headers)
        return [compressed]

    def _compress(self, body: bytes) -> bytes:
        key = hashlib.sha256(body).digest()
        with self.lock:
            found = self.memo.get(key)
            if found is not None:
                self.memo.move_to_end(key)
                return found
        compressed = gzip.compress(body, compresslevel=self.level, mtime=0)
        if len(compressed) <= self.memo_bytes // 16:
            with self.lock:
                if key not in self.memo:
                    self.memo[key] = compressed
                    self.memo_size += len(compressed)
                while self.memo_size > self.memo_bytes:
                    _, dropped = self.memo.popitem(last=False)
                    self.memo_size -= len(dropped)
        return compressed
