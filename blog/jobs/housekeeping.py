"""Small clean-ups: rate-limit counters whose window is long over, spam older than the days set in
Settings -> Discussion (15, as WordPress), posts in the trash for more than TRASH_DAYS (30), and the comment
counts' added rows folded into one per kind and status."""

from __future__ import annotations

from datetime import datetime

from ..comment_counts import fold as fold_comment_counts
from ..spam.cleanup import delete_old_spam
from ..throttle import forget_old_counters
from ..trash import purge_old_trash


def run_pass(now: datetime | None = None) -> int:
    forget_old_counters(now)
    delete_old_spam(now)
    purge_old_trash(now)
    fold_comment_counts()
    return 0  # never "busy": this queue only tidies
