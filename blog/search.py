"""Searching published posts with the database's own full-text engine (blog/search_index.py): SQLite
FTS5 ranked by bm25, PostgreSQL websearch_to_tsquery ranked by ts_rank, each page of results with its
matches marked in the title and in an excerpt. Whatever is typed gets results or a plain message."""

from __future__ import annotations

import math
import re
from dataclasses import dataclass, field

import sqlalchemy as sa
from markupsafe import Markup, escape
from sqlalchemy.orm import selectinload

from .extensions import db
from .models import Post, PostStatus
from .post_text import GREATER_THAN, HIGHLIGHT_START, HIGHLIGHT_STOP, LESS_THAN
from .search_index import FTS_TABLE, PG_COLUMN, PG_CONFIG

TITLE_WEIGHT = 10.0  # bm25 weight of a word in the title against one in the text (SQLite)
SNIPPET_TOKENS = 40  # words around the matches in a result's excerpt (FTS5 allows up to 64)
PG_HEADLINE = (f'StartSel="{HIGHLIGHT_START}", StopSel="{HIGHLIGHT_STOP}", MaxWords=25, MinWords=12, '
               'MaxFragments=2, FragmentDelimiter=" … "')
PG_TITLE_HEADLINE = f'StartSel="{HIGHLIGHT_START}", StopSel="{HIGHLIGHT_STOP}", HighlightAll=TRUE'
# websearch syntax (PostgreSQL's, read the same way for SQLite): "a phrase", -left out, a or b.
TOKEN = re.compile(r'(-?)"([^"]*)"?|(-?)([^\s"]+)')


@dataclass(frozen=True)
class Term:
    text: str  # a word, or the words of a quoted phrase
    phrase: bool = False
    excluded: bool = False
    or_previous: bool = False  # joined to the term before it by "or"


@dataclass(frozen=True)
class SearchQuery:
    text: str  # what is searched for, as it will be shown ("" when nothing)
    terms: list[Term]
    notice: str = ""  # why part of what was typed was not searched for

    @property
    def is_searchable(self) -> bool:
        return any(not t.excluded for t in self.terms)

    def websearch_text(self) -> str:
        """The terms in websearch_to_tsquery's syntax (PostgreSQL)."""
        parts = []
        for term in self.terms:
            if term.or_previous:
                parts.append("or")
            word = f'"{term.text}"' if term.phrase else term.text
            parts.append(f"-{word}" if term.excluded else word)
        return " ".join(parts)

    def fts5_expression(self) -> str:
        """The terms as an FTS5 query: every word quoted as an FTS5 string, so no character typed is
        ever FTS5 syntax; "or" groups in parentheses, as FTS5 binds AND tighter than OR."""
        groups: list[list[str]] = []
        excluded = []
        for term in self.terms:
            quoted = '"' + term.text.replace('"', '""') + '"'
            if term.excluded:
                excluded.append(quoted)
            elif term.or_previous and groups:
                groups[-1].append(quoted)
            else:
                groups.append([quoted])
        expression = " AND ".join("(" + " OR ".join(group) + ")" for group in groups)
        return " NOT ".join([f"({expression})", *excluded]) if excluded else expression


def parse_query(text: str, max_chars: int = 200, max_terms: int = 20) -> SearchQuery:
    """What a visitor typed, read as a search: at most `max_chars` characters and `max_terms` words
    or phrases; terms with no letter or digit (punctuation, emoji) are left out, as both engines
    would ignore them."""
    text = " ".join((text or "").replace("\x00", "").split())
    notice = ""
    if len(text) > max_chars:
        text = text[:max_chars].rsplit(" ", 1)[0] if " " in text[:max_chars] else text[:max_chars]
        notice = f"Only the first {max_chars} characters were searched for."
    terms: list[Term] = []
    pending_or = False
    for match in TOKEN.finditer(text):
        minus, phrase, minus_word, word = match.group(1), match.group(2), match.group(3), match.group(4)
        is_phrase = phrase is not None
        value = " ".join(phrase.split()) if is_phrase else word
        if not is_phrase and value.casefold() in ("or", "and"):
            # "a or b" joins two words to look for; an "or" after a left-out word means nothing
            pending_or = value.casefold() == "or" and bool(terms) and not terms[-1].excluded
            continue
        if not re.search(r"\w", value):
            continue
        if len(terms) == max_terms:
            notice = f"Only the first {max_terms} words were searched for."
            break
        excluded = bool(minus if is_phrase else minus_word)
        terms.append(Term(value, is_phrase, excluded, pending_or and not excluded))
        pending_or = False
    return SearchQuery(text, terms, notice)


@dataclass(frozen=True)
class SearchHit:
    post: Post
    title_html: Markup  # escaped, matches in <mark>
    excerpt_html: Markup  # escaped, matches in <mark>


@dataclass
class SearchResults:
    query: SearchQuery
    page: int
    per_page: int
    total: int = 0
    hits: list[SearchHit] = field(default_factory=list)

    @property
    def pages(self) -> int:
        return max(1, math.ceil(self.total / self.per_page))

    @property
    def has_prev(self) -> bool:
        return self.page > 1

    @property
    def has_next(self) -> bool:
        return self.page < self.pages

    @property
    def first_number(self) -> int:
        """The position of the first hit on this page among all results (1-based)."""
        return (self.page - 1) * self.per_page + 1


def searchable():
    """Which posts search may find: published ones. The one place to narrow it (by type, when pages
    arrive as posts of another type)."""
    return Post.status == PostStatus.PUBLISHED


def search_posts(text: str, page: int = 1, per_page: int = 10, max_chars: int = 200,
                 max_terms: int = 20) -> SearchResults:
    """One page of published posts matching what was typed, best first (then newest first)."""
    query = parse_query(text, max_chars, max_terms)
    results = SearchResults(query, max(page, 1), per_page)
    if not query.is_searchable:
        return results
    engine = _SQLITE if db.engine.dialect.name == "sqlite" else _POSTGRESQL
    # Matched first, then joined: left to itself SQLite's planner would walk the posts and run the
    # full-text query once for each of them.
    matches = engine.ranked_matches(query).cte("matches").prefix_with("MATERIALIZED")
    found = db.select(Post.id).join(matches, matches.c.id == Post.id).where(searchable())
    ranked = (
        found.add_columns(sa.func.count().over().label("total"))
        .order_by(matches.c.rank, Post.published_at.desc(), Post.id.desc())
        .limit(per_page)
        .offset((results.page - 1) * per_page)
    )
    rows = db.session.execute(ranked).all()
    if not rows:
        if results.page > 1:  # past the last page: how many there are
            results.total = db.session.execute(db.select(sa.func.count()).select_from(found.subquery())).scalar_one()
        return results
    results.total = rows[0].total
    ids = [row.id for row in rows]
    posts = {p.id: p for p in db.session.execute(
        db.select(Post).filter(Post.id.in_(ids)).options(selectinload(Post.tags), selectinload(Post.author))
    ).scalars()}
    marked = engine.highlights(query, ids)
    for post_id in ids:
        post = posts.get(post_id)
        if post is None:  # deleted between the two queries (PostgreSQL reads each at its own moment)
            continue
        title, excerpt = marked.get(post_id, (post.title, post.excerpt_text))
        results.hits.append(SearchHit(post, _marked_title(post.title, title), marked_html(excerpt)))
    return results


def marked_html(text: str) -> Markup:
    """Text as HTML: escaped, the engine's match marks turned into <mark> elements."""
    html = str(escape((text or "").replace(LESS_THAN, "<").replace(GREATER_THAN, ">")))
    return Markup(html.replace(HIGHLIGHT_START, "<mark>").replace(HIGHLIGHT_STOP, "</mark>"))


def _marked_title(title: str, highlighted: str) -> Markup:
    if any(mark in title for mark in (HIGHLIGHT_START, HIGHLIGHT_STOP, LESS_THAN, GREATER_THAN)):
        return Markup(escape(title))  # typed by the author: the marks would not pair
    return marked_html(highlighted)


class _Fts5:
    """SQLite: the FTS5 table, joined to posts by rowid."""

    table = sa.table(FTS_TABLE, sa.column("rowid"))
    name = sa.literal_column(FTS_TABLE)

    def ranked_matches(self, query: SearchQuery) -> sa.Select:
        """(id, rank) of every matching post, lower ranks better (bm25, title words weigh more)."""
        return sa.select(
            self.table.c.rowid.label("id"), sa.func.bm25(self.name, TITLE_WEIGHT, 1.0).label("rank")
        ).where(self.name.op("MATCH")(query.fts5_expression()))

    def highlights(self, query: SearchQuery, ids: list[int]) -> dict[int, tuple[str, str]]:
        rows = db.session.execute(
            sa.select(
                self.table.c.rowid,
                sa.func.highlight(self.name, 0, HIGHLIGHT_START, HIGHLIGHT_STOP),
                sa.func.snippet(self.name, 1, HIGHLIGHT_START, HIGHLIGHT_STOP, "…", SNIPPET_TOKENS),
            ).where(self.name.op("MATCH")(query.fts5_expression()), self.table.c.rowid.in_(ids))
        )
        return {row[0]: (row[1], row[2]) for row in rows}


class _TsVector:
    """PostgreSQL: the posts' generated tsvector column and its GIN index."""

    vector = sa.literal_column(f"posts.{PG_COLUMN}")
    config = sa.literal_column(f"'{PG_CONFIG}'::regconfig")

    def tsquery(self, query: SearchQuery):
        return sa.func.websearch_to_tsquery(self.config, query.websearch_text())

    def ranked_matches(self, query: SearchQuery) -> sa.Select:
        """(id, rank) of every matching post, lower ranks better (ts_rank negated; title weighs A)."""
        tsquery = self.tsquery(query)
        return sa.select(Post.id.label("id"), (-sa.func.ts_rank(self.vector, tsquery)).label("rank")).where(
            self.vector.op("@@")(tsquery)
        )

    @staticmethod
    def tagless(column):
        """The text with < and > stood in for, so that ts_headline keeps "<script>" typed in a post."""
        return sa.func.translate(column, "<>", LESS_THAN + GREATER_THAN)

    def highlights(self, query: SearchQuery, ids: list[int]) -> dict[int, tuple[str, str]]:
        tsquery = self.tsquery(query)
        rows = db.session.execute(
            sa.select(
                Post.id,
                sa.func.ts_headline(self.config, self.tagless(Post.title), tsquery, PG_TITLE_HEADLINE),
                sa.func.ts_headline(self.config, self.tagless(Post.body_text), tsquery, PG_HEADLINE),
            ).where(Post.id.in_(ids))
        )
        return {row[0]: (row[1], row[2]) for row in rows}


_SQLITE, _POSTGRESQL = _Fts5(), _TsVector()
