"""Teaching the classifier from the owner's decisions: Approve and "Not spam" teach "legitimate",
Spam teaches "spam", at once and per item (a changed mind moves the item's tokens from one side
to the other; Undo puts the previous lesson back). `retrain` rebuilds the counts from every
decision stored, including items since deleted and decisions made before the filter existed."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass

import sqlalchemy as sa
from sqlalchemy.orm import selectinload

from ..extensions import db
from ..models import Comment, CommentStatus, ModerationEvent, utcnow
from .classifier import HAM, SPAM, add_counts
from .features import tokens_of
from .tables import SpamExample, SpamToken

UNTRAINED = ""  # previous_label of an example the last action created: Undo removes it


def lesson(from_status: str, to_status: str) -> str | None:
    """What an owner's status change teaches: "spam", "ham", or None (Unapprove, Trash, Restore)."""
    if to_status == CommentStatus.SPAM:
        return SPAM
    if to_status == CommentStatus.APPROVED:
        return HAM
    if from_status == CommentStatus.SPAM and to_status == CommentStatus.PENDING:  # "Not spam"
        return HAM
    return None


def _example_of(comment_id: int | None) -> SpamExample | None:
    if comment_id is None:
        return None
    return db.session.execute(
        sa.select(SpamExample).where(SpamExample.comment_id == comment_id)
    ).scalar_one_or_none()


def learn(comment: Comment, label: str | None) -> None:
    """Train on the owner's decision about the item (in the caller's transaction). An item that no
    longer exists is nothing to learn from: a no-op."""
    if comment is None or comment.id is None or db.session.get(Comment, comment.id) is None:
        return
    example = _example_of(comment.id)
    if label is None:
        if example is not None:
            example.previous_label = example.label  # this action taught nothing: Undo changes nothing
        return
    if example is None:
        tokens = tokens_of(comment)
        db.session.add(SpamExample(comment_id=comment.id, label=label, previous_label=UNTRAINED,
                                   tokens=" ".join(tokens)))
        add_counts(tokens, label, 1)
        return
    example.previous_label = example.label
    if example.label != label:
        tokens = example.tokens.split()
        add_counts(tokens, example.label, -1)
        add_counts(tokens, label, 1)
        example.label, example.updated_at = label, utcnow()


def unlearn_last(comment_id: int) -> None:
    """Undo of the owner's last action on the item: the lesson it taught is taken back."""
    example = _example_of(comment_id)
    if example is None or example.previous_label is None or example.previous_label == example.label:
        return
    tokens = example.tokens.split()
    add_counts(tokens, example.label, -1)
    if example.previous_label == UNTRAINED:
        db.session.delete(example)
        return
    add_counts(tokens, example.previous_label, 1)
    example.label, example.previous_label, example.updated_at = example.previous_label, None, utcnow()


def label_from_history(events: list[ModerationEvent]) -> str | None:
    """The lesson of an item's stored history: its owner's last Approve, Spam or "Not spam"."""
    label, before = None, None
    for event in events:
        if event.by_owner:
            label = lesson(before, event.status) or label
        before = event.status
    return label


@dataclass(frozen=True)
class Retrained:
    spam: int
    ham: int
    tokens: int
    added: int  # decisions found in the history that had never been learned


def retrain(batch: int = 500) -> Retrained:
    """Rebuild the model from the stored decisions, in one transaction: items judged before the
    filter existed are learned from their history, the tokens of items still stored are taken
    afresh (the tokeniser may have changed), and every count is recomputed."""
    added = 0
    owned = sa.select(ModerationEvent.comment_id).where(ModerationEvent.by_owner.is_(True))
    query = (sa.select(Comment).where(Comment.id.in_(owned)).order_by(Comment.id)
             .options(selectinload(Comment.moderation_events)))
    examples = {e.comment_id: e for e in db.session.execute(
        sa.select(SpamExample).where(SpamExample.comment_id.is_not(None))).scalars()}
    last_id = 0
    while True:
        comments = db.session.execute(query.where(Comment.id > last_id).limit(batch)).scalars().all()
        if not comments:
            break
        for comment in comments:
            example = examples.get(comment.id)
            if example is None:
                label = label_from_history(comment.moderation_events)
                if label is not None:
                    db.session.add(SpamExample(comment_id=comment.id, label=label, tokens=" ".join(tokens_of(comment))))
                    added += 1
            else:
                example.tokens = " ".join(tokens_of(comment))
        last_id = comments[-1].id
        db.session.flush()
    counts: dict[str, Counter] = {SPAM: Counter(), HAM: Counter()}
    for label, tokens in db.session.execute(sa.select(SpamExample.label, SpamExample.tokens)):
        counts.get(label, Counter()).update(set(tokens.split()))
    db.session.execute(sa.delete(SpamToken))
    every = counts[SPAM].keys() | counts[HAM].keys()
    rows = [{"token": t, "spam": counts[SPAM][t], "ham": counts[HAM][t]} for t in every]
    for start in range(0, len(rows), 1000):
        db.session.execute(sa.insert(SpamToken), rows[start:start + 1000])
    totals = dict(db.session.execute(
        sa.select(SpamExample.label, sa.func.count(SpamExample.id)).group_by(SpamExample.label)).all())
    db.session.commit()
    return Retrained(totals.get(SPAM, 0), totals.get(HAM, 0), len(rows), added)
