"""Scheduled posts going live when their time comes (their linkbacks were queued when scheduled)."""

from __future__ import annotations

import logging
from datetime import datetime

from ..posts import publish_due_posts

log = logging.getLogger(__name__)


def run_pass(now: datetime | None = None) -> int:
    published = publish_due_posts(now)
    for post in published:
        log.info("scheduled post %s (%s) is now published", post.id, post.slug)
    return len(published)
