"""Waking the job runners of other processes. On PostgreSQL, a request that queued work sends
`NOTIFY blog_jobs, '<queue names>'`, and every runner's listener (one thread holding its own
connection in `LISTEN blog_jobs`) wakes those queues at once. SQLite has no such signal: a separate
worker polls the queues requests feed instead (JOBS_POLL_SECONDS)."""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable

import sqlalchemy as sa
from sqlalchemy.engine import Engine

from ..database import describe_failure
from ..extensions import db

log = logging.getLogger(__name__)

CHANNEL = "blog_jobs"
# How often the listener looks up from its connection to see whether it should stop.
STOP_CHECK_SECONDS = 0.5
# Waits between attempts to listen again after the connection failed: 1, 2, 4 … at most this.
MAX_RECONNECT_SECONDS = 30
# libpq settings the listener adds unless the URL sets them: a bounded connect, and keepalives so a
# connection whose server vanished without closing it (a network cut) is noticed within about a minute.
LISTENER_CONNECT_DEFAULTS = {
    "connect_timeout": 10,
    "keepalives": 1,
    "keepalives_idle": 30,
    "keepalives_interval": 10,
    "keepalives_count": 3,
}


def can_notify(engine: Engine) -> bool:
    return engine.dialect.name == "postgresql"


def can_listen(engine: Engine) -> bool:
    """Whether a runner on this database can be woken by other processes (PostgreSQL through psycopg)."""
    return can_notify(engine) and engine.dialect.driver == "psycopg"


def notify_runners(queues: tuple[str, ...]) -> None:
    """Wake these queues (all when none is named) in every process's runner, on PostgreSQL; nothing
    elsewhere. Sent in its own short transaction on the session's connection (a NOTIFY is delivered
    at commit; a second connection per request would drain the pool under parallel requests): call
    it after committing the work. A failure is logged, never raised: the work is stored, and the
    runners find it on their next pass."""
    if not can_notify(db.engine):
        return
    try:
        db.session.execute(sa.select(sa.func.pg_notify(CHANNEL, ",".join(queues))))
        db.session.commit()
    except sa.exc.SQLAlchemyError as error:
        db.session.rollback()
        log.warning("Could not wake the job runners of other processes (%s)", describe_failure(error))


def queues_named(payload: str) -> tuple[str, ...]:
    """The queue names a notification carries (none: every queue)."""
    return tuple(name for name in (part.strip() for part in payload.split(",")) if name)


class WakeupListener:
    """One daemon thread holding its own psycopg connection in `LISTEN blog_jobs`, calling
    `wake(*queue_names)` for each notification. When the connection fails it listens again after
    1, 2, 4 … 30 s, and then wakes every queue, for what was notified meanwhile."""

    def __init__(self, engine: Engine, wake: Callable[..., None], stop: threading.Event):
        _, params = engine.dialect.create_connect_args(engine.url)
        params.pop("context", None)  # SQLAlchemy's type adapters: not wanted on a bare connection
        self._params = {**LISTENER_CONNECT_DEFAULTS, **params, "autocommit": True}
        self._wake = wake
        self._stop = stop
        self.listening = threading.Event()  # set while LISTEN is in force
        self.thread = threading.Thread(target=self._run, name="blog-jobs-listener", daemon=True)

    def start(self) -> None:
        self.thread.start()

    def join(self, timeout: float | None = None) -> None:
        self.thread.join(timeout)

    def _run(self) -> None:
        import psycopg

        failures = 0
        while not self._stop.is_set():
            try:
                with psycopg.connect(**self._params) as connection:
                    connection.execute(f"LISTEN {CHANNEL}")
                    self.listening.set()
                    if failures:
                        log.info("Listening for job wake-ups again")
                        failures = 0
                    self._wake()  # whatever was queued while nobody listened
                    while not self._stop.is_set():
                        for notification in connection.notifies(timeout=STOP_CHECK_SECONDS):
                            self._wake(*queues_named(notification.payload))
            except Exception as error:  # psycopg.Error above all; this thread must not die of anything
                self.listening.clear()
                failures += 1
                delay = min(2 ** (failures - 1), MAX_RECONNECT_SECONDS)
                if isinstance(error, psycopg.Error):
                    log.warning("The job wake-up listener lost the database (%s); listening again in %s s",
                                describe_failure(error), delay)
                else:
                    log.exception("The job wake-up listener failed; listening again in %s s", delay)
                self._stop.wait(delay)
        self.listening.clear()
