"""Arranging a post's approved items for readers, as Settings -> Discussion asks: threaded replies
to a depth, pages of top-level comments with the first or last page shown by default, older or
newer first, and pingbacks/trackbacks either among the comments or apart as "Mentions"."""

from __future__ import annotations

from dataclasses import dataclass, field

from .models import Comment

REACTIONS = ("like", "repost", "bookmark")


@dataclass
class Node:
    item: Comment
    depth: int = 1
    children: list[Node] = field(default_factory=list)


@dataclass
class Discussion:
    nodes: list[Node]  # the top-level items of the page shown, each with its replies
    mentions: list[Comment]  # linkbacks shown apart (empty unless "separately" is on)
    page: int = 1
    pages: int = 1
    reactions: list[Comment] = field(default_factory=list)  # webmention likes, reposts, bookmarks

    @property
    def is_empty(self) -> bool:
        return not self.nodes and not self.mentions and not self.reactions


def arrange(
    items: list[Comment],
    *,
    threaded: bool = True,
    max_depth: int = 5,
    per_page: int | None = None,
    page: int | None = None,
    show_newest_page: bool = True,
    newest_first: bool = False,
    separate_mentions: bool = False,
) -> Discussion:
    """Items come oldest first. Replies beyond `max_depth` are shown at that depth, each right
    after the reply it answers (as WordPress does). `page` None means the default page."""
    reactions = [i for i in items if i.mention_type in REACTIONS]
    items = [i for i in items if i.mention_type not in REACTIONS]
    # A webmention reply reads as a comment; other linkbacks may be shown apart.
    apart = [i for i in items if i.is_linkback and i.mention_type != "reply"] if separate_mentions else []
    mentions = apart
    shown = [i for i in items if i not in apart]
    by_id = {i.id: i for i in shown}
    replies: dict[int, list[Comment]] = {}
    top: list[Comment] = []
    for item in shown:
        parent = by_id.get(item.parent_id) if threaded and item.parent_id else None
        if parent is None or item.is_linkback:
            top.append(item)
        else:
            replies.setdefault(parent.id, []).append(item)

    def build(item: Comment, depth: int) -> Node:
        node = Node(item, depth)
        for reply in replies.get(item.id, []):
            node.children.extend(place(reply, depth + 1))
        return node

    def place(item: Comment, depth: int) -> list[Node]:
        """The item at `depth`; at the deepest level its whole sub-thread follows it as siblings
        (WordPress's Walker_Comment::display_element), never nested one level deeper."""
        if depth < max_depth:
            return [build(item, depth)]
        flat = [Node(item, depth)]
        for reply in replies.get(item.id, []):
            flat.extend(place(reply, depth))
        return flat

    if newest_first:
        top.reverse()
    nodes = [build(item, 1) for item in top]
    if not per_page or per_page <= 0 or len(nodes) <= per_page:
        return Discussion(nodes, mentions, reactions=reactions)
    pages = -(-len(nodes) // per_page)
    # "Last page displayed by default" shows the newest comments, whichever end they are at.
    default = pages if (show_newest_page != newest_first) else 1
    current = min(max(page or default, 1), pages)
    return Discussion(nodes[(current - 1) * per_page : current * per_page], mentions, current, pages, reactions)
