"""Background jobs: the work that must happen without anyone visiting (scheduled posts going live,
and the linkback delivery queue). `run_due_jobs` is one pass; `JobRunner` repeats it in a
thread for `flask serve` and `flask worker`."""

from __future__ import annotations

import logging
import threading
from datetime import datetime

from flask import Flask

from .extensions import db
from .linkbacks.worker import deliver_due
from .posts import publish_due_posts

log = logging.getLogger(__name__)


def run_due_jobs(now: datetime | None = None) -> dict[str, int]:
    """Do everything that is due now; returns how much of each kind was done."""
    published = publish_due_posts(now)
    for post in published:
        log.info("scheduled post %s (%s) is now published", post.id, post.slug)
    # Posts that just went live have their linkbacks queued already (at scheduling): now due.
    return {"published": len(published), "linkbacks": deliver_due(now)}


class JobRunner:
    """Runs run_due_jobs every `interval` seconds in a daemon thread until stopped."""

    def __init__(self, app: Flask, interval: float):
        self.app = app
        self.interval = interval
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._loop, name="blog-jobs", daemon=True)

    def start(self) -> None:
        self._thread.start()

    def stop(self, timeout: float = 10) -> None:
        self._stop.set()
        self._thread.join(timeout)

    def _loop(self) -> None:
        while not self._stop.is_set():
            with self.app.app_context():
                try:
                    run_due_jobs()
                except Exception:  # keep the thread alive; the next pass tries again
                    log.exception("background jobs failed")
                    db.session.rollback()
            self._stop.wait(self.interval)
