"""The one background-work layer: queues of rows in the database (linkback deliveries, incoming
webmentions, linkback source checks, notification mail, scheduled posts), claimed with a lease
(queue.py) and run concurrently (runner.py)."""

from .runner import JobRunner, run_queues_once, run_until_idle, wake_jobs

run_due_jobs = run_queues_once  # one pass of every queue

__all__ = ["JobRunner", "run_due_jobs", "run_queues_once", "run_until_idle", "wake_jobs"]
