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

from flask import Flask, current_app

from ..extensions import db

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Queue:
    name: str
    run_pass: Callable[[datetime | None], int]  # in an app context; returns how many items it handled


def all_queues() -> list[Queue]:
    from . import deliveries, housekeeping, linkback_checks, mail, scheduled_posts, webmentions

    return [
        Queue("published", scheduled_posts.run_pass),
        Queue("linkbacks", deliveries.run_pass),
        Queue("linkback_checks", linkback_checks.run_pass),
        Queue("webmentions", webmentions.run_pass),
        Queue("mail", mail.run_pass),
        Queue("housekeeping", housekeeping.run_pass),
    ]


def _pass_in_context(app: Flask, queue: Queue, now: datetime | None) -> int:
    with app.app_context():
        try:
            return queue.run_pass(now)
        except Exception:  # one queue's bug must not stop the others, nor this thread
            log.exception("the %s queue failed", queue.name)
            db.session.rollback()
            return 0
        finally:
            db.session.remove()


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
    """Ask this process's runner (if `serve` started one) for a pass of these queues (all when none
    is named) now rather than at their next tick: a publish gets its linkbacks going at once."""
    runner = current_app.extensions.get("blog_job_runner")
    if runner is not None:
        runner.wake(*queues)


class JobRunner:
    """One daemon thread per queue, each passing every `interval` seconds, at once when woken, and
    again at once after a pass that found work."""

    def __init__(self, app: Flask, interval: float):
        self.app = app
        self.interval = interval
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
        self.app.extensions.pop("blog_job_runner", None)

    def is_alive(self) -> bool:
        return any(thread.is_alive() for thread in self._threads)

    def join(self, timeout: float | None = None) -> None:
        for thread in self._threads:
            thread.join(timeout)

    def _loop(self, queue: Queue, wake: threading.Event) -> None:
        while not self._stop.is_set():
            wake.clear()
            busy = _pass_in_context(self.app, queue, None) > 0
            if not busy:
                wake.wait(self.interval)
