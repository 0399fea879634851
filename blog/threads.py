"""Arranging a post's approved items for readers, as Settings -> Discussion asks: threaded replies
to a depth, pages of top-level comments with the first or last page shown by default, older or
newer first, and pingbacks/trackbacks either among the comments or apart as "Mentions"."""

from __future__ import annotations

from dataclasses import dataclass, field

from .models import Comment

REACTIONS = ("like", "repost", "bookmark")
# The deepest nesting Settings -> Discussion offers (WordPress's 10); templates nest no deeper.
MAX_THREAD_DEPTH = 10


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
    default_page: int = 1  # the page shown when the address names none

    @property
    def mention_nodes(self) -> list[Node]:
        """The mentions shown apart, each as a top-level node without replies."""
        return [Node(mention) for mention in self.mentions]

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
    showing: int | None = None,
) -> Discussion:
    """Items come oldest first. Replies beyond `max_depth` (at most MAX_THREAD_DEPTH) are shown at
    that depth, each right after the reply it answers (as WordPress does), however long the chain.
    `page` None means the default page; `showing` (an item's id) picks the page that holds it."""
    reactions = [i for i in items if i.mention_type in REACTIONS]
    items = [i for i in items if i.mention_type not in REACTIONS]
    # A webmention reply reads as a comment; other linkbacks may be shown apart.
    apart = [i for i in items if i.is_linkback and i.mention_type != "reply"] if separate_mentions else []
    mentions = apart
    shown = [i for i in items if i not in apart]
    max_depth = min(max_depth, MAX_THREAD_DEPTH)
    by_id = {i.id: i for i in shown}
    replies: dict[int, list[Comment]] = {}
    top: list[Comment] = []
    for item in shown:
        parent = by_id.get(item.parent_id) if threaded and item.parent_id else None
        if parent is None or item.is_linkback:
            top.append(item)
        else:
            replies.setdefault(parent.id, []).append(item)

    if newest_first:
        top.reverse()
    nodes = [thread(item, replies, max_depth) for item in top]
    if not per_page or per_page <= 0 or len(nodes) <= per_page:
        return Discussion(nodes, mentions, reactions=reactions)
    pages = -(-len(nodes) // per_page)
    # "Last page displayed by default" shows the newest comments, whichever end they are at.
    default = pages if (show_newest_page != newest_first) else 1
    holding = next((n for n, node in enumerate(nodes) if _holds(node, showing)), None) if showing else None
    current = holding // per_page + 1 if holding is not None else min(max(page or default, 1), pages)
    return Discussion(
        nodes[(current - 1) * per_page : current * per_page], mentions, current, pages, reactions, default
    )


def _holds(node: Node, item_id: int) -> bool:
    todo = [node]
    while todo:
        current = todo.pop()
        if current.item.id == item_id:
            return True
        todo.extend(current.children)
    return False


def thread(item: Comment, replies: dict[int, list[Comment]], max_depth: int) -> Node:
    """The top-level `item` with its replies nested below it, oldest first. A reply that would
    nest deeper than `max_depth` is placed at that depth with its whole sub-thread following it
    as siblings (WordPress's Walker_Comment::display_element). Walked with an explicit stack, so a
    chain of thousands of replies costs no Python recursion."""
    root = Node(item)
    # Each entry: a node still open for children, and the replies it has yet to place.
    stack = [(root, iter(replies.get(item.id, ())))]
    while stack:
        parent, pending = stack[-1]
        reply = next(pending, None)
        if reply is None:
            stack.pop()
        elif parent.depth + 1 < max_depth:
            child = Node(reply, parent.depth + 1)
            parent.children.append(child)
            stack.append((child, iter(replies.get(reply.id, ()))))
        else:
            parent.children.extend(flattened(reply, replies, parent.depth + 1))
    return root


def flattened(item: Comment, replies: dict[int, list[Comment]], depth: int) -> list[Node]:
    """`item` and its whole sub-thread in reading order (each reply right after the one it
    answers), all as childless nodes at `depth`."""
    flat: list[Node] = []
    todo = [item]
    while todo:
        current = todo.pop()
        flat.append(Node(current, depth))
        todo.extend(reversed(replies.get(current.id, ())))
    return flat
