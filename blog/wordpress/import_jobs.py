"""Tools → Import in the background: the uploaded file is kept in the instance folder and a
WordPressImport row queued; the job layer (blog/jobs/wordpress_imports.py) imports it while the
status page, /admin/tools/import/<token>, refreshes itself with the number of entries read so far
(kept in a small file beside the upload: the import's own transaction holds the database)."""

from __future__ import annotations

import json
import secrets
import shutil
from pathlib import Path
from typing import IO

from flask import current_app

from ..extensions import db
from ..models import ImportStatus, WordPressImport, utcnow
from .import_report import ImportReport
from .wxr_import import import_wordpress
from .wxr_reader import WxrError


def imports_folder() -> Path:
    folder = Path(current_app.instance_path) / "imports"
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def upload_path(job: WordPressImport) -> Path:
    return imports_folder() / f"{job.token}.xml"


def progress_path(job: WordPressImport) -> Path:
    return imports_folder() / f"{job.token}.progress"


def queue_import(stream: IO[bytes], filename: str) -> WordPressImport:
    """Keep the uploaded file and queue its import (the caller wakes the "imports" queue)."""
    job = WordPressImport(token=secrets.token_urlsafe(24), filename=(filename or "")[:255])
    with upload_path(job).open("wb") as out:
        shutil.copyfileobj(stream, out, 1024 * 1024)
    db.session.add(job)
    db.session.commit()
    return job


def find_import(token: str) -> WordPressImport | None:
    return db.session.execute(db.select(WordPressImport).filter_by(token=token)).scalar_one_or_none()


def entries_read(job: WordPressImport) -> int:
    try:
        return int(progress_path(job).read_text() or 0)
    except (FileNotFoundError, ValueError):
        return 0


def report_of(job: WordPressImport) -> ImportReport | None:
    return ImportReport.from_dict(json.loads(job.report)) if job.report else None


def run_import(job_id: int) -> None:
    """Import one claimed upload and record the outcome; the file is removed once it is done."""
    job = db.session.get(WordPressImport, job_id)
    job.status = ImportStatus.RUNNING
    job.started_at = utcnow()
    db.session.commit()
    progress = progress_path(job)
    try:
        with upload_path(job).open("rb") as source:
            report = import_wordpress(source, progress=lambda n: progress.write_text(str(n)))
    except WxrError as error:
        outcome = {"status": ImportStatus.FAILED, "error": f"{error} Nothing was imported."}
    except FileNotFoundError:
        outcome = {"status": ImportStatus.FAILED, "error": "The uploaded file is gone; upload it again."}
    else:
        outcome = {"status": ImportStatus.DONE, "report": json.dumps(report.as_dict())}
    job = db.session.get(WordPressImport, job_id)
    for name, value in outcome.items():
        setattr(job, name, value)
    job.finished_at = utcnow()
    job.claimed_by = job.lease_expires_at = None
    db.session.commit()
    upload_path(job).unlink(missing_ok=True)
    progress.unlink(missing_ok=True)
