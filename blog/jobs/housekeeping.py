"""Small clean-ups: rate-limit counters whose window is long over, and spam older than the days
set in Settings -> Discussion (15, as WordPress)."""

from __future__ import annotations

from datetime import datetime

from ..spam.cleanup import delete_old_spam
from ..throttle import forget_old_counters


def run_pass(now: datetime | None = None) -> int:
    forget_old_counters(now)
    delete_old_spam(now)
    return 0  # never "busy": this queue only tidies
