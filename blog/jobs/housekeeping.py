"""Small clean-ups: rate-limit counters whose window is long over."""

from __future__ import annotations

from datetime import datetime

from ..throttle import forget_old_counters


def run_pass(now: datetime | None = None) -> int:
    forget_old_counters(now)
    return 0  # never "busy": this queue only tidies
