"""Running the queues: each queue passes in its own thread, so a queue busy with slow peers never
delays another (a post scheduled for 12:00 goes live on time while twenty slow verifications
run). One pass of a queue claims at most what it runs at once, so a pass lasts at most one item's
deadline. `flask serve` runs the runner beside the web server; `flask worker` runs it alone; tests
and `flask worker --once` call `run_queues_once`."""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import datetime

import sqlalchemy as sa
from flask import Flask, current_app

from ..database import describe_failure
from ..extensions import db
from .wakeup import WakeupListener, can_listen, notify_runners

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Queue:
    name: str
    run_pass: Callable[[datetime | None], int]  # in an app context; returns how many items it handled
    # Its work arrives from requests (a publish, a ping, a comment), which wake it; without a way to be
    # woken from another process (SQLite), a separate worker polls it every JOBS_POLL_SECONDS.
    fed_by_requests: bool = True


def all_queues() -> list[Queue]:
    from . import deliveries, housekeeping, linkback_checks, mail, scheduled_posts, webmentions, wordpress_imports

    return [
        Queue("published", scheduled_posts.run_pass, fed_by_requests=False),  # the clock brings its work
        Queue("linkbacks", deliveries.run_pass),
        Queue("linkback_checks", linkback_checks.run_pass),
        Queue("webmentions", webmentions.run_pass),
        Queue("mail", mail.run_pass),
        Queue("housekeeping", housekeeping.run_pass, fed_by_requests=False),
        Queue("imports", wordpress_imports.run_pass),
    ]


def _pass_in_context(app: Flask, queue: Queue, now: datetime | None) -> int:
    with app.app_context():
        try:
            return queue.run_pass(now)
        except sa.exc.OperationalError as error:
            # The database went away (a restart, a dropped connection): what this pass claimed comes
            # back when its lease runs out, and the next pass gets a fresh connection (pool_pre_ping).
            log.warning("the %s queue could not use the database: %s", queue.name, describe_failure(error))
            return 0
        except Exception:  # one queue's bug must not stop the others, nor this thread
            log.exception("the %s queue failed", queue.name)
            return 0
        finally:
            _end_session()


def _end_session() -> None:
    try:
        db.session.rollback()
        db.session.remove()
    except Exception as error:  # a broken connection is discarded by the pool; the thread goes on
        log.warning("closing a job session failed: %s", describe_failure(error))


def run_queues_once(now: datetime | None = None, app: Flask | None = None) -> dict[str, int]:
    """One pass of every queue, concurrently; returns how many items each handled."""
    app = app or current_app._get_current_object()
    queues = all_queues()
    with ThreadPoolExecutor(max_workers=len(queues), thread_name_prefix="blog-jobs") as pool:
        results = {q.name: pool.submit(_pass_in_context, app, q, now) for q in queues}
        return {name: future.result() for name, future in results.items()}


def run_until_idle(now: datetime | None = None, app: Flask | None = None, max_passes: int = 50) -> dict[str, int]:
    """Pass every queue again and again until none finds work (tests, `worker --once`)."""
    totals: dict[str, int] = {}
    for _ in range(max_passes):
        done = run_queues_once(now, app)
        for name, count in done.items():
            totals[name] = totals.get(name, 0) + count
        if not any(done.values()):
            break
    return totals


def wake_jobs(*queues: str) -> None:
    """Ask for a pass of these queues (all when none is named) now rather than at their next tick, so
    a publish gets its linkbacks going at once: this process's runner (if `serve` started one) and,
    on PostgreSQL, every other process's (NOTIFY). Call it after committing the work it announces."""
    runner = current_app.extensions.get("blog_job_runner")
    if runner is not None:
        runner.wake(*queues)
    notify_runners(queues)


class JobRunner:
    """One daemon thread per queue, each passing every `interval` seconds, at once when woken, and
    again at once after a pass that found work. On PostgreSQL a listener thread wakes the queues that
    other processes notify; elsewhere, with `poll_seconds` (a separate worker), the queues fed by
    requests look that often instead, since nothing else would tell them of new work."""

    def __init__(self, app: Flask, interval: float, poll_seconds: float | None = None):
        self.app = app
        self.interval = interval
        self.poll_seconds = poll_seconds
        self.listener: WakeupListener | None = None
        self._stop = threading.Event()
        self._wakes: dict[str, threading.Event] = {}
        self._threads: list[threading.Thread] = []
        for queue in all_queues():
            wake = threading.Event()
            self._wakes[queue.name] = wake
            self._threads.append(
                threading.Thread(target=self._loop, args=(queue, wake), name=f"blog-jobs-{queue.name}", daemon=True)
            )

    def start(self) -> None:
        self.app.extensions["blog_job_runner"] = self
        with self.app.app_context():
            engine = db.engine
        if can_listen(engine):
            self.listener = WakeupListener(engine, self.wake, self._stop)
            self.listener.start()
        for thread in self._threads:
            thread.start()

    def wake(self, *queues: str) -> None:
        for name, wake in self._wakes.items():
            if not queues or name in queues:
                wake.set()

    def stop(self, timeout: float = 10) -> None:
        self._stop.set()
        self.wake()
        for thread in self._threads:
            thread.join(timeout)
        if self.listener is not None:
            self.listener.join(timeout)
        self.app.extensions.pop("blog_job_runner", None)

    def is_alive(self) -> bool:
        return any(thread.is_alive() for thread in self._threads)

    def join(self, timeout: float | None = None) -> None:
        for thread in self._threads:
            thread.join(timeout)

    def idle_seconds(self, queue: Queue) -> float:
        """How long the queue waits, unless woken, after a pass that found nothing."""
        if queue.fed_by_requests and self.listener is None and self.poll_seconds is not None:
            return min(self.poll_seconds, self.interval)
        return self.interval

    def _loop(self, queue: Queue, wake: threading.Event) -> None:
        while not self._stop.is_set():
            wake.clear()
            busy = _pass_in_context(self.app, queue, None) > 0
            if not busy:
                wake.wait(self.idle_seconds(queue))
