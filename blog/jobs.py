"""Background jobs: the work that must happen without anyone visiting (scheduled posts going live,
and the linkback delivery queue). `run_due_jobs` is one pass; `JobRunner` repeats it in a
thread for `flask serve` and `flask worker`."""

from __future__ import annotations

import logging
import threading
from datetime import datetime

from flask import Flask, current_app

from .extensions import db
from .linkbacks.receiving import verify_pending_trackbacks
from .linkbacks.webmention_receiving import process_webmentions
from .linkbacks.worker import deliver_due
from .posts import publish_due_posts
from .site_settings import get_setting

log = logging.getLogger(__name__)


def run_due_jobs(now: datetime | None = None) -> dict[str, int]:
    """Do everything that is due now; returns how much of each kind was done."""
    published = publish_due_posts(now)
    for post in published:
        log.info("scheduled post %s (%s) is now published", post.id, post.slug)
    # Posts that just went live have their linkbacks queued already (at scheduling): now due.
    done = {"published": len(published), "linkbacks": deliver_due(now)}
    if get_setting("verify_trackbacks"):
        done["trackbacks_checked"] = verify_pending_trackbacks()
    done["webmentions"] = process_webmentions(now=now)
    return done


def wake_jobs() -> None:
    """Ask this process's job runner (if `serve` started one) for a pass now rather than at its
    next tick: a publish gets its linkbacks going at once. A separate `flask worker` still polls."""
    runner = current_app.extensions.get("blog_job_runner")
    if runner is not None:
        runner.wake()


class JobRunner:
    """Runs run_due_jobs every `interval` seconds (or when woken) in a daemon thread until stopped."""

    def __init__(self, app: Flask, interval: float):
        self.app = app
        self.interval = interval
        self._stop = threading.Event()
        self._wake = threading.Event()
        self._thread = threading.Thread(target=self._loop, name="blog-jobs", daemon=True)

    def start(self) -> None:
        self.app.extensions["blog_job_runner"] = self
        self._thread.start()

    def wake(self) -> None:
        self._wake.set()

    def stop(self, timeout: float = 10) -> None:
        self._stop.set()
        self._wake.set()
        self._thread.join(timeout)
        self.app.extensions.pop("blog_job_runner", None)

    def join(self, timeout: float | None = None) -> None:
        self._thread.join(timeout)

    def is_alive(self) -> bool:
        return self._thread.is_alive()

    def _loop(self) -> None:
        while not self._stop.is_set():
            self._wake.clear()
            busy = False
            with self.app.app_context():
                try:
                    busy = any(run_due_jobs().values())
                except Exception:  # keep the thread alive; the next pass tries again
                    log.exception("background jobs failed")
                    db.session.rollback()
            if not busy:  # a pass that found work looks again at once: more may be due
                self._wake.wait(self.interval)
