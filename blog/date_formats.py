"""How a date reads on a page, once it is in the blog's time zone (permalinks.local_time): in words, and as the
value of a datetime="" attribute or microformats property. The template filters and the comment list share them."""

from __future__ import annotations

from datetime import datetime

DATE_WORDS = "%B %-d, %Y"
DATETIME_WORDS = "%B %-d, %Y at %H:%M"


def attribute_value(local: datetime) -> str:
    """Whole seconds, with the zone's offset."""
    return local.replace(microsecond=0).isoformat()
