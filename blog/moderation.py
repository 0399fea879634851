"""The moderation rules: what status a new comment, pingback or trackback gets, and why.

In WordPress's order (LINKBACKS.md WP-21/22): the owner's own comments are approved; then
"Comment must be manually approved", the link count, the moderation words and "previously
approved" each hold; otherwise approved. "Disallowed comment keys" then send it to spam whatever
came before. Ours on top, checked first: the site block list sends linkbacks to spam and the allow
list ("Always accept linkbacks from these sites") approves them, disallowed keys included;
"previously approved" means, for a linkback, an approved linkback from the same site (WordPress
can never pass it for pings: they carry no email)."""

from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import urlsplit

from .extensions import db
from .models import Comment, CommentKind, CommentStatus, ModerationEvent
from .rendering import count_links
from .site_settings import get_setting, save_settings
from .spam.screening import SourceFacts, screen


@dataclass(frozen=True)
class Decision:
    status: CommentStatus
    reason: str = ""
    final: bool = False  # the owner's allow or block list decided: the spam checks leave it
    score: float | None = None  # the spam classifier's, when it is trained
    score_note: str = ""  # why the classifier scored it so
    discard: bool = False  # certain spam, and the owner asked not to keep it


def word_list(text: str) -> list[str]:
    """The non-empty, trimmed lines of a word-list setting."""
    return [line.strip() for line in (text or "").splitlines() if line.strip()]


def _matching_word(comment: Comment, words: list[str]) -> str | None:
    """The first word found (case-insensitively, inside words too) in any field WordPress checks."""
    fields = [comment.author_name, comment.author_email, comment.author_url, comment.content, comment.ip,
              comment.user_agent]
    haystack = "\n".join(f or "" for f in fields).lower()
    for word in words:
        if word.lower() in haystack:
            return word
    return None


def site_key(url: str) -> str:
    return (urlsplit(url).hostname or "").lower()


def _site_matches(url: str, entries: list[str]) -> str | None:
    """The allow/block list entry matching the URL: a host (also its subdomains) or a URL prefix."""
    host = site_key(url)
    for entry in entries:
        if "://" in entry:
            if url.lower().startswith(entry.lower()):
                return entry
        elif host == entry.lower().lstrip(".") or host.endswith("." + entry.lower().lstrip(".")):
            return entry
    return None


def _previously_approved(comment: Comment) -> bool:
    query = db.select(Comment.id).filter(Comment.status == CommentStatus.APPROVED)
    if comment.is_linkback:
        host = site_key(comment.author_url)
        if not host:
            return False
        urls = db.session.execute(
            query.with_only_columns(Comment.author_url).filter(Comment.kind != CommentKind.COMMENT)
        ).scalars()
        return any(site_key(url) == host for url in urls)
    if not comment.author_name or not comment.author_email:
        return False
    found = db.session.execute(
        query.filter(
            Comment.kind == CommentKind.COMMENT,
            Comment.author_name == comment.author_name,
            Comment.author_email == comment.author_email,
        ).limit(1)
    ).first()
    return found is not None


def decide(comment: Comment, *, by_owner: bool = False, facts: SourceFacts | None = None) -> Decision:
    """The status this new item (not yet stored) gets, with the reason: the moderation rules, then
    the spam checks (blog/spam/screening.py) with what its source check found (`facts`)."""
    if by_owner:
        return Decision(CommentStatus.APPROVED, "Written by the blog's owner.")
    return screen(comment, _rules(comment), facts)


def _rules(comment: Comment) -> Decision:
    if comment.is_linkback:
        blocked = _site_matches(comment.author_url, word_list(get_setting("linkback_block_sites")))
        allowed = _site_matches(comment.author_url, word_list(get_setting("linkback_allow_sites")))
        # Both lists may match (example.com blocked, blog.example.com allowed): the more specific wins.
        if blocked and not (allowed and len(allowed) > len(blocked)):
            return Decision(CommentStatus.SPAM, f"The site is on your block list ({blocked}).", final=True)
        if allowed:
            return Decision(CommentStatus.APPROVED, f"The site is on your allow list ({allowed}).", final=True)
    decision = _hold_rules(comment)
    disallowed = _matching_word(comment, word_list(get_setting("disallowed_keys")))
    if disallowed:
        return Decision(CommentStatus.SPAM, f"Spam: it contains “{disallowed}” from your disallowed comment keys.")
    return decision


def _hold_rules(comment: Comment) -> Decision:
    if get_setting("comment_moderation"):
        return Decision(CommentStatus.PENDING, "Held: every comment must be manually approved.")
    max_links = get_setting("comment_max_links")
    if max_links > 0 and count_links(comment.content) >= max_links:
        return Decision(CommentStatus.PENDING, f"Held: it contains {max_links} or more links.")
    word = _matching_word(comment, word_list(get_setting("moderation_keys")))
    if word:
        return Decision(CommentStatus.PENDING, f"Held: it contains “{word}” from your moderation words.")
    if get_setting("comment_previously_approved"):
        if not _previously_approved(comment):
            who = "the site has no approved linkback yet" if comment.is_linkback else "no earlier approved comment"
            return Decision(CommentStatus.PENDING, f"Held: {who}.")
        return Decision(CommentStatus.APPROVED, "Approved: the author has an approved comment already."
                        if not comment.is_linkback else "Approved: the site has an approved linkback already.")
    return Decision(CommentStatus.APPROVED, "Approved: no moderation rule applied.")


def apply_moderation(comment: Comment, *, by_owner: bool = False, facts: SourceFacts | None = None) -> Decision:
    """Give the new item its status, note and spam score; the caller adds and commits it, or, for
    a decision to discard, drops it and counts it (count_discarded)."""
    decision = decide(comment, by_owner=by_owner, facts=facts)
    comment.spam_score = decision.score
    comment.spam_score_note = decision.score_note
    record_status(comment, decision.status, decision.reason)
    return decision


def record_status(comment: Comment, status: str, note: str = "", *, by_owner: bool = False) -> None:
    """Give the item a status and add it to the item's history. A rule's note (not the owner's
    action) becomes the reason the queue shows, for as long as the item keeps that status."""
    comment.status = status
    if not by_owner:
        comment.moderation_note = note
        comment.moderation_note_status = status
    comment.moderation_events.append(ModerationEvent(status=status, by_owner=by_owner, note=note))


def _edit_site_list(setting: str, host: str, add: bool) -> None:
    entries = word_list(get_setting(setting))
    present = [e for e in entries if e.lower() == host.lower()]
    if add and not present:
        entries.append(host)
    if not add:
        entries = [e for e in entries if e.lower() != host.lower()]
    save_settings({setting: "\n".join(entries)})


def allow_site(url: str) -> str:
    """Add the URL's host to the allow list (and take it off the block list); returns the host."""
    host = site_key(url)
    _edit_site_list("linkback_block_sites", host, add=False)
    _edit_site_list("linkback_allow_sites", host, add=True)
    return host


def block_site(url: str) -> str:
    """Add the URL's host to the block list (and take it off the allow list); returns the host."""
    host = site_key(url)
    _edit_site_list("linkback_allow_sites", host, add=False)
    _edit_site_list("linkback_block_sites", host, add=True)
    return host


def unlist_site(url: str) -> str:
    """Undo allow_site/block_site: the host is on neither list."""
    host = site_key(url)
    _edit_site_list("linkback_allow_sites", host, add=False)
    _edit_site_list("linkback_block_sites", host, add=False)
    return host
