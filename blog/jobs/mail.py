"""The notification mail queue: each queued mail is sent through the configured SMTP server with
no transaction open; a failure (server down, refused) is retried with backoff, then given up and
logged."""

from __future__ import annotations

import logging
import smtplib
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime, timedelta

from flask import current_app

from ..extensions import db
from ..models import MailStatus, OutgoingMail, utcnow
from ..notifications import MailServer, mail_configured, parse_queued, send_message
from .queue import backoff_seconds, claim, holds_claim, new_worker_id, release

log = logging.getLogger(__name__)

CONCURRENCY = 2


def waiting():
    """The mail this queue works on: queued, not yet sent nor given up."""
    return OutgoingMail.status == MailStatus.QUEUED


def run_pass(now: datetime | None = None) -> int:
    """Send the mail that is due; returns how many were tried."""
    config = current_app.config
    if not mail_configured(config):
        return 0
    now = now or utcnow()
    worker_id = new_worker_id()
    ids = claim(
        OutgoingMail, waiting(), now=now, limit=CONCURRENCY,
        worker_id=worker_id, lease_seconds=4 * float(config["MAIL_TIMEOUT_SECONDS"]) + 30,
    )
    if not ids:
        return 0
    mails = db.session.execute(db.select(OutgoingMail).filter(OutgoingMail.id.in_(ids))).scalars().all()
    messages = {mail.id: parse_queued(mail) for mail in mails}
    server = MailServer.from_config(config)
    db.session.commit()  # nothing open while talking to the SMTP server
    with ThreadPoolExecutor(max_workers=CONCURRENCY) as pool:
        errors = dict(zip(messages, pool.map(lambda m: _send(m, server), messages.values()), strict=True))
    for mail in mails:
        db.session.refresh(mail)
        if holds_claim(mail, worker_id):
            _record(mail, errors[mail.id], now, server)
    db.session.commit()
    return len(ids)


def _send(message, server: MailServer) -> str | None:
    try:
        send_message(message, server)
    except (OSError, smtplib.SMTPException, ValueError) as error:  # SMTP and socket errors are OSError
        return f"{error.__class__.__name__}: {error}"
    return None


def _record(mail: OutgoingMail, error: str | None, now: datetime, server: MailServer) -> None:
    release(mail)
    if error is None:
        mail.status, mail.sent_at, mail.next_attempt_at, mail.last_error = MailStatus.SENT, now, None, ""
        return
    mail.last_error = error[:1000]
    config = current_app.config
    if mail.attempts >= config["MAIL_MAX_ATTEMPTS"]:
        mail.status, mail.next_attempt_at = MailStatus.FAILED, None
        log.error("Gave up sending the notification mail %r through %s:%s after %s attempts: %s",
                  mail.subject, server.host, server.port, mail.attempts, error)
    else:
        delay = backoff_seconds(mail.attempts, config["MAIL_RETRY_BASE_SECONDS"], config["MAIL_RETRY_MAX_SECONDS"])
        mail.next_attempt_at = now + timedelta(seconds=delay)
        log.warning("Could not send the notification mail %r through %s:%s (will retry): %s",
                    mail.subject, server.host, server.port, error)
