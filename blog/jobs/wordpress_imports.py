"""WordPress exports uploaded on Tools → Import, imported one at a time (blog/wordpress/import_jobs.py).
An import is one transaction: a process stopped halfway leaves nothing imported, and the upload is
claimed again once its lease runs out."""

from __future__ import annotations

import logging
from datetime import datetime

from ..extensions import db
from ..models import ImportStatus, WordPressImport, utcnow
from ..wordpress.import_jobs import run_import
from .queue import claim, new_worker_id

log = logging.getLogger(__name__)

LEASE_SECONDS = 3600  # far longer than the largest import takes


def waiting():
    return WordPressImport.status.in_([ImportStatus.QUEUED, ImportStatus.RUNNING])


def run_pass(now: datetime | None = None) -> int:
    now = now or utcnow()
    ids = claim(WordPressImport, waiting(), now=now, limit=1, worker_id=new_worker_id(), lease_seconds=LEASE_SECONDS)
    for job_id in ids:
        try:
            run_import(job_id)
        except Exception:  # a bug: recorded on the import, which is not tried again
            log.exception("WordPress import %s failed", job_id)
            db.session.rollback()
            job = db.session.get(WordPressImport, job_id)
            job.status = ImportStatus.FAILED
            job.error = "The import stopped on an error (see the log). Nothing was imported."
            job.finished_at = utcnow()
            db.session.commit()
    return len(ids)
