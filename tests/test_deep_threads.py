"""Very long reply chains: a post whose replies each answer the previous one still renders, every
reply shown once, in order, nested no deeper than Settings -> Discussion's thread depth (the rest
flat at the last level, as WordPress shows them), with paging on or off."""

from __future__ import annotations

import random
from datetime import timedelta

import pytest
import sqlalchemy as sa
from bs4 import BeautifulSoup

from blog.extensions import db
from blog.models import Comment, CommentKind, CommentStatus, utcnow
from blog.site_settings import save_settings
from blog.threads import MAX_THREAD_DEPTH, Node, arrange

CHAIN = 1200


def add_chain(app, post, length: int, *, after: int = 0) -> list[int]:
    """`length` approved comments, each replying to the previous one (the first at the top level),
    written in one bulk insert; `after` more top-level comments follow it. Returns the chain's ids."""
    start = utcnow() - timedelta(days=1)
    with app.app_context():
        first = (db.session.scalar(sa.select(sa.func.max(Comment.id))) or 0) + 1
        rows = [
            {
                "id": first + n,
                "post_id": post.id,
                "parent_id": first + n - 1 if 0 < n < length else None,
                "kind": CommentKind.COMMENT,
                "status": CommentStatus.APPROVED,
                "author_name": f"Replier {n}",
                "content": f"Reply number {n}",
                "created_at": start + timedelta(seconds=n),
            }
            for n in range(length + after)
        ]
        db.session.execute(sa.insert(Comment), rows)
        db.session.commit()
    return list(range(first, first + length))


def set_discussion(app, **values) -> None:
    with app.app_context():
        save_settings(values)


def page_of(client, author, post, query: str = "") -> BeautifulSoup:
    response = client.get(author.url_of(post) + query)
    assert response.status_code == 200
    return BeautifulSoup(response.get_data(as_text=True), "html.parser")


def shown_ids(page: BeautifulSoup) -> list[int]:
    return [int(li["id"].removeprefix("comment-")) for li in page.select(".comment-list li.comment")]


def nesting_depths(page: BeautifulSoup) -> list[tuple[int, int]]:
    """For each comment shown: how many comments enclose it in the HTML, plus one, and its depth class."""
    return [
        (
            len(li.find_parents("li", class_="comment")) + 1,
            int(next(c for c in li["class"] if c.startswith("depth-"))[6:]),
        )
        for li in page.select(".comment-list li.comment")
    ]


@pytest.fixture
def post(author):
    return author.publish("A long conversation", "Reply to the reply to the reply.")


def test_chain_of_1200_replies_renders_flat_past_the_thread_depth(app, author, client, post):
    """Issue: a chain of 1,200 nested replies made the post page fail with RecursionError."""
    chain = add_chain(app, post, CHAIN)
    page = page_of(client, author, post)
    assert shown_ids(page) == chain
    depths = nesting_depths(page)
    assert max(nested for nested, _ in depths) == 5  # thread_comments_depth defaults to 5
    assert all(nested == depth for nested, depth in depths)
    assert [depth for _, depth in depths[:6]] == [1, 2, 3, 4, 5, 5]
    # Replies past the limit follow the reply they answer, side by side in the fourth reply's list.
    fourth = page.select_one(f"#comment-{chain[3]} > ol.children")
    assert [int(li["id"][8:]) for li in fourth.find_all("li", recursive=False)] == chain[4:]
    assert len(page.select(".comment-list .reply-link")) == 4  # none at the deepest level


def test_chain_of_1200_replies_with_thread_depth_10(app, author, client, post):
    chain = add_chain(app, post, CHAIN)
    set_discussion(app, thread_comments_depth=10)
    page = page_of(client, author, post)
    assert shown_ids(page) == chain
    depths = nesting_depths(page)
    assert max(nested for nested, _ in depths) == 10
    assert all(nested == depth for nested, depth in depths)


def test_chain_of_1200_replies_with_paging_on(app, author, client, post):
    chain = add_chain(app, post, CHAIN, after=4)  # five top-level comments: three pages of two
    set_discussion(app, page_comments=True, comments_per_page=2, thread_comments_depth=3)
    newest = page_of(client, author, post)
    assert shown_ids(newest) == [chain[-1] + 4]
    first = page_of(client, author, post, "?cpage=1")
    assert shown_ids(first) == [*chain, chain[-1] + 1]
    depths = nesting_depths(first)
    assert max(nested for nested, _ in depths) == 3
    assert all(nested == depth for nested, depth in depths)


def make_comments(parents: list[int | None]) -> list[Comment]:
    """Transient comments 1..n, oldest first; comment n replies to parents[n - 1] (None: top level)."""
    return [
        Comment(id=n, parent_id=parent, kind=CommentKind.COMMENT, status=CommentStatus.APPROVED)
        for n, parent in enumerate(parents, start=1)
    ]


def walk(nodes: list[Node]) -> list[tuple[int, int, int]]:
    """(id, depth, nesting level) of every node in reading order, without recursion."""
    seen, stack = [], [(node, 1) for node in reversed(nodes)]
    while stack:
        node, level = stack.pop()
        seen.append((node.item.id, node.depth, level))
        stack.extend((child, level + 1) for child in reversed(node.children))
    return seen


def test_arrange_handles_a_chain_of_5000_replies():
    items = make_comments([None, *range(1, 5000)])
    for max_depth in (2, 5, 10):
        (root,) = arrange(items, max_depth=max_depth).nodes
        seen = walk([root])
        assert [item_id for item_id, _, _ in seen] == list(range(1, 5001))
        assert all(depth == level == min(n, max_depth) for n, (_, depth, level) in enumerate(seen, start=1))


def test_arrange_never_nests_deeper_than_the_deepest_setting():
    items = make_comments([None, *range(1, 50)])
    seen = walk(arrange(items, max_depth=1000).nodes)
    assert max(level for _, _, level in seen) == MAX_THREAD_DEPTH


def arrange_recursively(items: list[Comment], max_depth: int) -> list[tuple[int, int, int]]:
    """The recursive arrangement arrange() replaced (small threads only), as walk() reports it."""
    ids = {i.id for i in items}
    replies: dict[int, list[Comment]] = {}
    top = []
    for item in items:
        if item.parent_id in ids:
            replies.setdefault(item.parent_id, []).append(item)
        else:
            top.append(item)

    def build(item, depth):
        node = Node(item, depth)
        for reply in replies.get(item.id, []):
            node.children.extend(place(reply, depth + 1))
        return node

    def place(item, depth):
        if depth < max_depth:
            return [build(item, depth)]
        flat = [Node(item, depth)]
        for reply in replies.get(item.id, []):
            flat.extend(place(reply, depth))
        return flat

    return walk([build(item, 1) for item in top])


def test_arrange_keeps_the_order_of_the_recursive_arrangement():
    randomness = random.Random(20240102)
    for _ in range(200):
        count = randomness.randint(1, 60)
        parents = [
            None if n == 1 or randomness.random() < 0.2 else randomness.randint(1, n - 1) for n in range(1, count + 1)
        ]
        items = make_comments(parents)
        for max_depth in (1, 2, 3, 5, 10):
            assert walk(arrange(items, max_depth=max_depth).nodes) == arrange_recursively(items, max_depth)
