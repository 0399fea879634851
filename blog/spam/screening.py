"""The spam checks a new item meets after the moderation rules: its sender and page (linkbacks,
from what the source check found) and its classifier score. They can only make a decision
stricter (approved -> held -> spam), never looser, and an allow or block list entry stands."""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import TYPE_CHECKING

import sqlalchemy as sa
from flask import current_app
from sqlalchemy.dialects import postgresql, sqlite

from ..extensions import db
from ..models import Comment, CommentKind, CommentStatus, utcnow
from ..site_settings import get_setting
from .classifier import Score, score_tokens, trained_totals
from .features import tokens_of
from .tables import SpamCounter

if TYPE_CHECKING:
    from ..moderation import Decision

DISCARDED = "discarded"


@dataclass(frozen=True)
class SourceFacts:
    """What the worker's source check found about a linkback's sender and page."""

    sender_ip: str = ""
    sender_addresses: tuple[str, ...] = ()  # the source host's addresses; empty: not resolved
    sender_matches: bool | None = None  # None: could not tell (no sender address, no resolution)
    is_html: bool = True
    outbound_links: int = 0
    context_empty: bool = False


def score_item(comment: Comment) -> Score | None:
    """The classifier's score for the item, or None while the filter is off or has learned from
    fewer than SPAM_FILTER_MIN_EXAMPLES spam and as many legitimate decisions."""
    if not get_setting("spam_filter"):
        return None
    totals = trained_totals()
    wanted = current_app.config["SPAM_FILTER_MIN_EXAMPLES"]
    if totals.spam < wanted or totals.ham < wanted:
        return None
    return score_tokens(tokens_of(comment), totals)


def _page_hold(comment: Comment, facts: SourceFacts | None) -> str | None:
    if facts is None:
        return None
    limit = get_setting("spam_link_farm_links")
    if get_setting("spam_hold_link_farms") and facts.outbound_links > limit:
        return (f"Held: its page links to {facts.outbound_links} other pages (more than {limit}), "
                "as a link farm does.")
    if comment.kind in (CommentKind.PINGBACK, CommentKind.TRACKBACK) and get_setting("spam_hold_contextless"):
        if not facts.is_html:
            return "Held: its page is not an HTML page."
        if facts.context_empty:
            return "Held: its page has no text around the link to this post."
    return None


def _sender_spam(comment: Comment, facts: SourceFacts | None) -> str | None:
    if (facts is None or facts.sender_matches is not False or not get_setting("spam_check_sender")
            or comment.kind not in (CommentKind.PINGBACK, CommentKind.TRACKBACK)):
        return None
    host = (comment.author_url.split("//", 1)[-1].split("/", 1)[0])[:100]
    return (f"Spam: it was sent from {facts.sender_ip}, which is not an address of {host} "
            f"({', '.join(facts.sender_addresses[:4])}).")


def screen(comment: Comment, decision: Decision, facts: SourceFacts | None = None) -> Decision:
    """The rules' decision, made stricter by the sender and page checks and the classifier score."""
    score = score_item(comment)
    if score is not None:
        decision = replace(decision, score=score.value, score_note=score.explain())
    if decision.final or decision.status == CommentStatus.SPAM:
        return decision
    sender = _sender_spam(comment, facts)
    if sender:
        return replace(decision, status=CommentStatus.SPAM, reason=sender)
    percent = score.value * 100 if score is not None else None
    if percent is not None and percent >= get_setting("spam_threshold"):
        discard = get_setting("spam_discard") and percent >= get_setting("spam_discard_threshold")
        return replace(decision, status=CommentStatus.SPAM, reason=score.explain(), discard=discard)
    if decision.status != CommentStatus.APPROVED:
        return decision
    held = _page_hold(comment, facts)
    if held:
        return replace(decision, status=CommentStatus.PENDING, reason=held)
    if percent is not None and percent >= get_setting("spam_hold_threshold"):
        return replace(decision, status=CommentStatus.PENDING, reason=f"Held: {score.explain()}")
    return decision


def count_discarded(n: int = 1) -> None:
    """Count certain spam discarded unseen (atomically, in the caller's transaction)."""
    table = SpamCounter.__table__
    insert = (postgresql.insert if db.engine.dialect.name == "postgresql" else sqlite.insert)(table)
    now = utcnow()
    db.session.execute(insert.values(name=DISCARDED, count=n, updated_at=now).on_conflict_do_update(
        index_elements=[table.c.name], set_={"count": table.c.count + n, "updated_at": now}))


def discarded_count() -> int:
    return db.session.execute(
        sa.select(SpamCounter.count).where(SpamCounter.name == DISCARDED)
    ).scalar() or 0


@dataclass(frozen=True)
class FilterSummary:
    """What the dashboard and the Spam tab say about the filter."""

    spam: int
    ham: int
    needed: int
    discarded: int
    discarding: bool

    @property
    def learning(self) -> bool:
        return self.spam < self.needed or self.ham < self.needed


def filter_summary() -> FilterSummary:
    totals = trained_totals()
    return FilterSummary(totals.spam, totals.ham, current_app.config["SPAM_FILTER_MIN_EXAMPLES"],
                         discarded_count(), get_setting("spam_discard"))
