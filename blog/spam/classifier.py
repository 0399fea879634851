"""The statistical classifier: Gary Robinson's token probabilities combined with Fisher's
chi-squared method, as SpamBayes and bogofilter do. Its counts are rows of the database
(spam_tokens, spam_examples), so the web processes and every worker score with the same model,
and each owner decision updates it at once with atomic increments."""

from __future__ import annotations

import math
from dataclasses import dataclass

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite

from ..extensions import db
from .features import LINK_TEXT, LINKED_SITE, SITE, TITLE, WORD
from .tables import SpamExample, SpamToken

SPAM, HAM = "spam", "ham"
# Robinson's prior: an unknown token counts as 0.5, worth 0.45 of one observation (SpamBayes' values).
UNKNOWN_PROBABILITY = 0.5
UNKNOWN_STRENGTH = 0.45
MIN_STRENGTH = 0.1  # tokens closer than this to 0.5 say nothing and are left out
MAX_CLUES = 150


@dataclass(frozen=True)
class TokenCounts:
    spam: int
    ham: int


@dataclass(frozen=True)
class Score:
    """How spammy an item looks (0..1) and the tokens that said so most strongly."""

    value: float
    clues: tuple[tuple[str, float, TokenCounts], ...]  # (token, probability, counts), strongest first

    def explain(self) -> str:
        """"Spam score 0.97: words “casino”, “cheap”; site seen in 12 spam items"."""
        spammy = self.value >= 0.5
        words = [token.split(":", 1)[1] for token, p, _ in self.clues
                 if token[:2] in (WORD, TITLE, LINK_TEXT) and (p >= 0.5) == spammy][:5]
        parts = []
        if words:
            parts.append(f"{'words' if spammy else 'legitimate words'} " + ", ".join(f"“{w}”" for w in words))
        for token, _, counts in self.clues:
            if token.startswith(SITE):
                parts.append(f"site {token[2:]} seen in {counts.spam} spam and {counts.ham} legitimate items")
                break
        for token, p, counts in self.clues:
            if token.startswith(LINKED_SITE) and p >= 0.5:
                parts.append(f"links to {token[2:]}, seen in {counts.spam} spam items")
                break
        return f"Spam score {self.value:.2f}" + (": " + "; ".join(parts) if parts else "") + "."


@dataclass(frozen=True)
class Totals:
    spam: int
    ham: int


def trained_totals() -> Totals:
    """How many spam and legitimate decisions the model has learned from."""
    rows = dict(db.session.execute(
        sa.select(SpamExample.label, sa.func.count(SpamExample.id)).group_by(SpamExample.label)
    ).all())
    return Totals(rows.get(SPAM, 0), rows.get(HAM, 0))


def _chi2_survival(chi: float, degrees: int) -> float:
    """P(χ² >= chi) for an even number of degrees of freedom."""
    m = chi / 2.0
    total = term = math.exp(-m)
    for i in range(1, degrees // 2):
        term *= m / i
        total += term
    return min(total, 1.0)


def token_probability(counts: TokenCounts, totals: Totals) -> float:
    """Robinson's f(w): the token's spam probability, pulled towards 0.5 while it is rarely seen."""
    spam_ratio = counts.spam / totals.spam if totals.spam else 0.0
    ham_ratio = counts.ham / totals.ham if totals.ham else 0.0
    seen = counts.spam + counts.ham
    raw = spam_ratio / (spam_ratio + ham_ratio) if spam_ratio + ham_ratio else UNKNOWN_PROBABILITY
    return (UNKNOWN_STRENGTH * UNKNOWN_PROBABILITY + seen * raw) / (UNKNOWN_STRENGTH + seen)


def _counts_of(tokens: list[str]) -> dict[str, TokenCounts]:
    if not tokens:
        return {}
    rows = db.session.execute(
        sa.select(SpamToken.token, SpamToken.spam, SpamToken.ham).where(SpamToken.token.in_(tokens))
    )
    return {token: TokenCounts(max(spam, 0), max(ham, 0)) for token, spam, ham in rows}


def score_tokens(tokens: list[str], totals: Totals | None = None) -> Score:
    """The item's spam score from the stored counts (one query for all its tokens)."""
    totals = totals or trained_totals()
    counts = _counts_of(tokens)
    clues = []
    for token, token_counts in counts.items():
        probability = token_probability(token_counts, totals)
        if abs(probability - 0.5) >= MIN_STRENGTH:
            clues.append((token, probability, token_counts))
    clues.sort(key=lambda clue: abs(clue[1] - 0.5), reverse=True)
    clues = clues[:MAX_CLUES]
    if not clues:
        return Score(0.5, ())
    n = len(clues)
    ham_evidence = 1.0 - _chi2_survival(-2.0 * sum(math.log(p) for _, p, _ in clues), 2 * n)
    spam_evidence = 1.0 - _chi2_survival(-2.0 * sum(math.log(1.0 - p) for _, p, _ in clues), 2 * n)
    return Score((spam_evidence - ham_evidence + 1.0) / 2.0, tuple(clues))


def _upsert():
    return postgresql.insert if db.engine.dialect.name == "postgresql" else sqlite.insert


def add_counts(tokens: list[str], label: str, delta: int) -> None:
    """Count the tokens once more (delta 1) or once less (-1) under the label, atomically per
    token, in the caller's transaction."""
    if not tokens:
        return
    column = SPAM if label == SPAM else HAM
    table = SpamToken.__table__
    insert = _upsert()(table)
    statement = insert.on_conflict_do_update(
        index_elements=[table.c.token], set_={column: table.c[column] + insert.excluded[column]}
    )
    other = HAM if column == SPAM else SPAM
    db.session.execute(statement, [{"token": t, column: delta, other: 0} for t in tokens])
    if delta < 0:
        db.session.execute(sa.delete(table).where(table.c.token.in_(tokens), table.c.spam <= 0, table.c.ham <= 0))
