"""The moderation queue behind /admin/comments: filtered pages with counts, status changes one at a
time or in bulk, edits, allow/block lists, permanent deletion, and Undo for all but the last.

Undo stores nothing in the database: each change returns the form fields that put things back
(previous statuses, the previous text, the site's previous listing), and `undo` applies them."""

from __future__ import annotations

import enum
import json
import zlib
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import asdict, dataclass, fields
from math import ceil

from sqlalchemy.orm import joinedload

from .comment_counts import counts_by_kind_and_status
from .comments import normalize_author_url
from .extensions import db
from .models import Comment, CommentKind, CommentStatus
from .moderation import allow_site, block_site, record_status, site_key, unlist_site, word_list
from .newest_items import newest_ids
from .site_settings import get_setting
from .spam.training import learn, lesson, unlearn_last

PER_PAGE = 50
BULK_LIMIT = 200  # ids per bulk action: four pages' worth, and an Undo that still fits the session cookie
# The previous version travels in the session cookie (4 KB in all, compressed as measured here).
UNDO_EDIT_MAX_BYTES = 2000

# The kind filters, in the order the screen shows them; None means every kind.
KIND_FILTERS: dict[str, tuple[str, str | None]] = {
    "all": ("All", None),
    "comment": ("Comments", CommentKind.COMMENT),
    "pingback": ("Pingbacks", CommentKind.PINGBACK),
    "trackback": ("Trackbacks", CommentKind.TRACKBACK),
    "webmention": ("Webmentions", CommentKind.WEBMENTION),
}
NOUNS = {CommentKind.COMMENT: "Comment", CommentKind.PINGBACK: "Pingback", CommentKind.TRACKBACK: "Trackback",
         CommentKind.WEBMENTION: "Webmention"}


class QueueAction(enum.StrEnum):
    APPROVE = "approve"
    UNAPPROVE = "unapprove"
    SPAM = "spam"
    NOT_SPAM = "unspam"
    TRASH = "trash"
    RESTORE = "restore"
    DELETE = "delete"


LABELS = {
    QueueAction.APPROVE: "Approve", QueueAction.UNAPPROVE: "Unapprove", QueueAction.SPAM: "Spam",
    QueueAction.NOT_SPAM: "Not spam", QueueAction.TRASH: "Trash", QueueAction.RESTORE: "Restore",
    QueueAction.DELETE: "Delete permanently",
}
DONE = {
    QueueAction.APPROVE: "Approved {what}.", QueueAction.UNAPPROVE: "Unapproved {what}: back to pending.",
    QueueAction.SPAM: "Marked {what} as spam.", QueueAction.NOT_SPAM: "Took {what} out of spam: back to pending.",
    QueueAction.TRASH: "Moved {what} to the trash.",
    QueueAction.RESTORE: "Restored {what} from the trash: back to pending.",
    QueueAction.DELETE: "Deleted {what} permanently.",
}
# What an item in each status offers, in the order its row shows the buttons. An action sent for an
# item in another status (a stale page, a mixed bulk selection) skips that item.
ACTIONS_FOR = {
    CommentStatus.PENDING: (QueueAction.APPROVE, QueueAction.SPAM, QueueAction.TRASH),
    CommentStatus.APPROVED: (QueueAction.UNAPPROVE, QueueAction.SPAM, QueueAction.TRASH),
    CommentStatus.SPAM: (QueueAction.APPROVE, QueueAction.NOT_SPAM, QueueAction.TRASH, QueueAction.DELETE),
    CommentStatus.TRASH: (QueueAction.APPROVE, QueueAction.RESTORE, QueueAction.SPAM, QueueAction.DELETE),
}
# "Not spam" and "Restore" go back to pending: no earlier status is stored, and pending is the safe
# place (one more click approves). Undo, right after the action, restores the exact earlier status.
STATUS_AFTER = {
    QueueAction.APPROVE: CommentStatus.APPROVED, QueueAction.UNAPPROVE: CommentStatus.PENDING,
    QueueAction.SPAM: CommentStatus.SPAM, QueueAction.NOT_SPAM: CommentStatus.PENDING,
    QueueAction.TRASH: CommentStatus.TRASH, QueueAction.RESTORE: CommentStatus.PENDING,
}
DELETABLE = (CommentStatus.SPAM, CommentStatus.TRASH)
# An owner's change in the item's history, by the status it gave ("Approved by you").
OWNER_ACTION_WORDS = {
    CommentStatus.APPROVED: "Approved", CommentStatus.PENDING: "Back to pending",
    CommentStatus.SPAM: "Marked as spam", CommentStatus.TRASH: "Moved to the trash",
}
# The "All" tab, as WordPress's: pending and approved (spam and the trash have their own tabs).
ALL = "all"
IN_ALL = (CommentStatus.PENDING, CommentStatus.APPROVED)
STATUS_TABS = (ALL, *CommentStatus)


def _statuses(status: str | None) -> tuple[str, ...] | None:
    return IN_ALL if status == ALL else None if status is None else (status,)


GONE = "That item no longer exists (it was deleted permanently); nothing was changed."


class QueueError(ValueError):
    """The request cannot be carried out; the message says why, in words for the owner."""


# --- The list ---------------------------------------------------------------------------------------


@dataclass(frozen=True)
class QueueCounts:
    by_kind_status: dict[tuple[str, str], int]

    def count(self, status: str | None = None, kind: str = "all") -> int:
        wanted, statuses = KIND_FILTERS[kind][1], _statuses(status)
        return sum(n for (k, s), n in self.by_kind_status.items()
                   if (wanted is None or k == wanted) and (statuses is None or s in statuses))


@dataclass
class QueuePage:
    status: str  # a CommentStatus, or ALL
    kind: str
    page: int
    pages: int
    items: list[Comment]
    counts: QueueCounts
    through_id: int = 0  # spam and trash: the newest item's id

    @property
    def actions(self) -> tuple[QueueAction, ...]:
        """The bulk menu: what the listed statuses offer, in the rows' order."""
        offered = [action for status in _statuses(self.status) for action in ACTIONS_FOR[status]]
        return tuple(sorted(set(offered), key=list(QueueAction).index))

    @staticmethod
    def actions_for(item: Comment) -> tuple[QueueAction, ...]:
        return ACTIONS_FOR[item.status]

    @property
    def kind_noun(self) -> str:
        return "comments" if self.kind == "all" else KIND_FILTERS[self.kind][0].lower()

    @property
    def kind_filters(self) -> list[tuple[str, str, int]]:
        """(kind, label, count in this status); Webmentions only once there are any."""
        return [(kind, label, self.counts.count(self.status, kind)) for kind, (label, _) in KIND_FILTERS.items()
                if kind != "webmention" or self.kind == kind or self.counts.count(None, kind)]


def count_items() -> QueueCounts:
    """How many items there are of each kind in each status, from the counts the database keeps
    (blog/comment_counts.py): a few rows, however many comments there are."""
    return QueueCounts(counts_by_kind_and_status())


def queue_page(status: str, kind: str = "all", page: int = 1, per_page: int = PER_PAGE) -> QueuePage:
    """One page of the queue, newest first, with the counts for the tabs; ValueError for an
    unknown status or kind. A page past the end shows the last one (after a bulk action emptied it)."""
    status = ALL if status == ALL else CommentStatus(status)
    if kind not in KIND_FILTERS:
        raise ValueError(f"unknown kind {kind!r}")
    counts = count_items()
    pages = max(1, ceil(counts.count(status, kind) / per_page))
    page = min(max(1, page), pages)
    wanted = KIND_FILTERS[kind][1]
    ids = newest_ids(_statuses(status), wanted and [wanted], (page - 1) * per_page, per_page)
    items = db.session.execute(
        db.select(Comment).filter(Comment.id.in_(ids)).options(joinedload(Comment.post))
        .order_by(Comment.created_at.desc(), Comment.id.desc())
    ).scalars().all()
    # "Empty spam/trash" deletes up to the newest item now listed: what its confirmation counted.
    through_id = db.session.execute(
        db.select(db.func.max(Comment.id)).filter(Comment.status == status)
    ).scalar() if status in DELETABLE else None
    return QueuePage(status, kind, page, pages, list(items), counts, through_id or 0)


# --- Status changes ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class Outcome:
    """What a change did, in words, and the form fields of its Undo (None: nothing to undo)."""

    message: str
    undo: list[tuple[str, str]] | None = None
    changed: int = 1


def _items(ids: Iterable[int]) -> list[Comment]:
    ids = sorted(set(ids))
    if len(ids) > BULK_LIMIT:
        raise QueueError(f"Select at most {BULK_LIMIT} items at a time.")
    if not ids:
        raise QueueError("Tick at least one item first.")
    return list(db.session.execute(db.select(Comment).filter(Comment.id.in_(ids))).scalars())


def _describe(items: list[Comment], action: QueueAction) -> str:
    if len(items) == 1:
        item = items[0]
        what = f"the {NOUNS.get(item.kind, 'item').lower()} from {(item.author_name or 'Anonymous')[:60]}"
    else:
        what = f"{len(items)} items"
    return DONE[action].format(what=what)


def change_status(ids: Iterable[int], action: str) -> Outcome:
    """Apply a status action (not delete) to the items it applies to; the Undo puts each back."""
    action = QueueAction(action)
    if action not in STATUS_AFTER:
        raise QueueError(f"“{LABELS[action]}” is not a status change.")
    moved: dict[str, list[int]] = defaultdict(list)
    changed = []
    items = _items(ids)
    if not items:
        return Outcome(GONE, changed=0)
    for item in items:
        if action in ACTIONS_FOR.get(item.status, ()):
            before = item.status
            moved[before].append(item.id)
            changed.append(item)
            record_status(item, STATUS_AFTER[action], by_owner=True)
            learn(item, lesson(before, item.status))  # Approve, Spam and "Not spam" teach the spam filter
    db.session.commit()
    if not changed:
        return Outcome(f"Nothing to do: “{LABELS[action]}” does not apply to the selected items.", changed=0)
    undo = [("undo", "status")] + [("restore", f"{s}:{','.join(map(str, i))}") for s, i in sorted(moved.items())]
    return Outcome(_describe(changed, action), undo, len(changed))


def delete_permanently(ids: Iterable[int]) -> Outcome:
    """Delete the selected items that are in spam or the trash (others are kept); no Undo."""
    found = _items(ids)
    if not found:
        return Outcome(GONE, changed=0)
    items = [item for item in found if item.status in DELETABLE]
    if not items:
        return Outcome("Only items in spam or the trash can be deleted permanently.", changed=0)
    message = _describe(items, QueueAction.DELETE)
    db.session.execute(db.delete(Comment).where(Comment.id.in_([item.id for item in items])))
    db.session.commit()
    return Outcome(message, changed=len(items))


def apply_action(ids: Iterable[int], action: str) -> Outcome:
    """A row's button or the bulk menu: a status change, or deletion; QueueError if unknown."""
    try:
        action = QueueAction(action)
    except ValueError:
        raise QueueError("Choose an action first.") from None
    return delete_permanently(ids) if action == QueueAction.DELETE else change_status(ids, action)


def empty(status: str, through_id: int) -> Outcome:
    """"Empty spam" / "Empty trash": delete every item in it up to the confirmed id; no Undo."""
    if status not in DELETABLE:
        raise QueueError("Only spam and the trash can be emptied.")
    result = db.session.execute(
        db.delete(Comment).where(Comment.status == status, Comment.id <= through_id)
    )
    db.session.commit()
    where = "spam" if status == CommentStatus.SPAM else "the trash"
    return Outcome(f"Deleted {result.rowcount} item{'s' * (result.rowcount != 1)} from {where} permanently.",
                   changed=result.rowcount)


# --- Edit ---------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class CommentFields:
    author_name: str
    author_email: str
    author_url: str
    content: str


def edit_comment(comment: Comment, new: CommentFields) -> Outcome:
    """Store the owner's corrections (any kind, any status); the Undo brings the previous values
    back when they are small enough to carry."""
    previous = CommentFields(comment.author_name, comment.author_email, comment.author_url, comment.content)
    _store_fields(comment, CommentFields(
        new.author_name.strip(), new.author_email.strip(), new.author_url, new.content.strip()
    ))
    noun = NOUNS.get(comment.kind, "Item")
    if len(zlib.compress(json.dumps(asdict(previous)).encode())) > UNDO_EDIT_MAX_BYTES:
        return Outcome(f"{noun} saved. (The earlier version is too long to offer Undo.)")
    undo = [("undo", "edit"), ("comment_id", str(comment.id)), *asdict(previous).items()]
    return Outcome(f"{noun} saved.", undo)


def _store_fields(comment: Comment, fields: CommentFields) -> None:
    # Only http(s) addresses, even from a forged Undo form: the public page links to it.
    comment.author_name = fields.author_name[:250]
    comment.author_email = fields.author_email[:254]
    comment.author_url = normalize_author_url(fields.author_url)[:2000]
    comment.content = fields.content
    db.session.commit()


# --- Allow and block lists ------------------------------------------------------------------------------


class SiteListing(enum.StrEnum):
    ALLOWED = "allowed"
    BLOCKED = "blocked"
    UNLISTED = "unlisted"


def site_listing(host: str) -> SiteListing:
    """Whether the host itself is an entry of the allow or block list (broader entries not counted)."""
    def listed(setting: str) -> bool:
        return host.lower() in (entry.lower() for entry in word_list(get_setting(setting)))

    if listed("linkback_block_sites"):
        return SiteListing.BLOCKED
    if listed("linkback_allow_sites"):
        return SiteListing.ALLOWED
    return SiteListing.UNLISTED


def _list_site(url: str, listing: SiteListing) -> str:
    if listing == SiteListing.ALLOWED:
        return allow_site(url)
    if listing == SiteListing.BLOCKED:
        return block_site(url)
    return unlist_site(url)


SITE_MESSAGES = {
    SiteListing.ALLOWED: "{host} is on your allow list: its pingbacks and trackbacks skip moderation.",
    SiteListing.BLOCKED: "{host} is on your block list: its pingbacks and trackbacks go to spam.",
    SiteListing.UNLISTED: "{host} is on neither your allow list nor your block list.",
}


def list_site(comment: Comment, listing: str) -> Outcome:
    """"Always allow this site" / "Block this site" for a linkback's source; the Undo puts the host
    back on the list it was on (or none)."""
    if listing not in (SiteListing.ALLOWED, SiteListing.BLOCKED):
        raise QueueError("Choose to allow or to block the site.")
    listing = SiteListing(listing)
    host = site_key(comment.author_url)
    if not comment.is_linkback or not host:
        raise QueueError("Only a pingback, trackback or webmention with a source address names a site.")
    previous = site_listing(host)
    _list_site(comment.author_url, listing)
    undo = [("undo", "site"), ("url", comment.author_url), ("listing", previous)]
    return Outcome(SITE_MESSAGES[listing].format(host=host), undo)


# --- Undo -----------------------------------------------------------------------------------------------


DAMAGED = "That Undo button is damaged; nothing was changed."


def _undo_status(form) -> Outcome:
    groups: dict[CommentStatus, list[int]] = {}
    try:
        for value in form.getlist("restore"):  # "pending:4,5,9": these were pending
            status, _, ids = value.partition(":")
            groups[CommentStatus(status)] = [int(i) for i in ids.split(",")]
    except ValueError:
        raise QueueError(DAMAGED) from None
    back = 0
    for status, ids in groups.items():
        items = _items(ids)
        for item in items:
            record_status(item, status, by_owner=True)
            unlearn_last(item.id)  # and what the undone action taught the spam filter
        back += len(items)
    db.session.commit()
    gone = sum(len(ids) for ids in groups.values()) - back
    message = f"Undone: {back} item{'s' * (back != 1)} back where {'it was' if back == 1 else 'they were'}."
    return Outcome(message + (f" {gone} had been deleted permanently." if gone else ""), changed=back)


def _undo_edit(form) -> Outcome:
    comment = db.session.get(Comment, form.get("comment_id", type=int) or 0)
    if comment is None:
        raise QueueError("That item has been deleted permanently; there is nothing to undo.")
    _store_fields(comment, CommentFields(*(form.get(f.name, "") for f in fields(CommentFields))))
    return Outcome("Undone: the earlier version is back.")


def _undo_site(form) -> Outcome:
    url = form.get("url", "")
    try:
        listing = SiteListing(form.get("listing", ""))
    except ValueError:
        raise QueueError(DAMAGED) from None
    if not site_key(url):
        raise QueueError(DAMAGED)
    host = _list_site(url, listing)
    return Outcome("Undone: " + SITE_MESSAGES[listing].format(host=host))


UNDO = {"status": _undo_status, "edit": _undo_edit, "site": _undo_site}


def undo(form) -> Outcome:
    """Apply the Undo fields of an earlier Outcome (a form's MultiDict); QueueError if malformed."""
    apply = UNDO.get(form.get("undo", ""))
    if apply is None:
        raise QueueError("There is nothing to undo.")
    return apply(form)
