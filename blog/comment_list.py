"""The approved items under a post as HTML: each comment, pingback, trackback or webmention with its replies.

Built here in Python rather than by a template included once per item: a post page with 100 comments spent
half its rendering time in that include (the template engine's attribute lookups, escaping calls and one
settings and time-zone lookup per date), and this is the part of the page that grows with the discussion.
Every value from a visitor or a remote site is escaped with markupsafe, as the template engine would; the
comment text is its stored HTML (blog/comment_html.py)."""

from __future__ import annotations

from collections.abc import Iterable

from markupsafe import Markup, escape

from .comment_html import comment_html
from .date_formats import DATETIME_WORDS, attribute_value
from .models import CommentKind, CommentStatus
from .site_settings import blog_timezone, get_settings
from .threads import Node


def comment_list_html(nodes: Iterable[Node], *, comments_open: bool, link_rel: str, text_rel: str) -> Markup:
    """The `<li>` of each node (with its replies in an `<ol class="children">`), in order. Reply links are
    given where Settings -> Discussion threads comments, to items above the deepest level (as WordPress:
    a reply there could nest no deeper), never to linkbacks or to a comment awaiting moderation."""
    settings = get_settings()
    renderer = _Renderer(
        zone=blog_timezone(),
        reply_below=settings["thread_comments_depth"] if comments_open and settings["thread_comments"] else 0,
        link_rel=escape(link_rel),
        text_rel=text_rel,
    )
    parts: list[str] = []
    for node in nodes:
        renderer.node(node, parts)
    return Markup("".join(parts))


class _Renderer:
    def __init__(self, zone, reply_below: int, link_rel: str, text_rel: str):
        self.zone = zone
        self.reply_below = reply_below
        self.link_rel = link_rel
        self.text_rel = text_rel

    def node(self, node: Node, parts: list[str]) -> None:
        item = node.item
        item_id = int(item.id)
        kind = item.kind
        pending = item.status == CommentStatus.PENDING
        linkback = kind != CommentKind.COMMENT
        name = escape(item.author_name or "Anonymous")
        url = item.author_url
        moment = item.created_at.astimezone(self.zone)

        if kind == CommentKind.WEBMENTION:
            label = f'<span class="comment-kind">{escape((item.mention_type or "mention").capitalize())}:</span>'
        elif linkback:
            label = f'<span class="comment-kind">{escape(kind.capitalize())}:</span>'
        else:
            label = ""
        author = f'<a href="{escape(url)}" rel="{self.link_rel}">{name}</a>' if url else name
        # A linkback cites the page that links here; a comment is cited at its place here.
        cites_source = linkback and bool(url)
        parts.append(
            f'<li class="comment comment-{escape(kind)} depth-{int(node.depth)}'
            f'{" comment-pending" if pending else ""}" id="comment-{item_id}">\n'
            # Each a p-comment of the post's h-entry (replies too: the h-cite is the article, not the li).
            f'  <article class="p-comment h-cite">\n'
            f'    <header class="comment-meta">\n'
            f'      {label}<span class="comment-author p-author h-card">{author}</span>\n'
            + (f'      <data class="u-url" value="{escape(url)}"></data>\n' if cites_source else "")
            + f'      <a class="comment-date{"" if cites_source else " u-url"}" href="#comment-{item_id}">'
            # As the datetime_attr and datetime filters, with the zone looked up once for the whole list.
            f'<time class="dt-published" datetime="{attribute_value(moment)}">'
            f'{moment.strftime(DATETIME_WORDS)}</time></a>\n'
            f'    </header>\n'
        )
        if pending:  # only the browser that wrote it is given it (public.render_post)
            parts.append('    <p class="comment-awaiting-moderation" role="status">'
                         'Your comment is awaiting moderation.</p>\n')
        parts.append(f'    <div class="comment-text p-content">{comment_html(item, self.text_rel)}</div>\n')
        if not linkback and not pending and node.depth < self.reply_below:
            parts.append(f'    <p class="reply"><a class="reply-link" href="?replytocom={item_id}#respond" '
                         f'rel="nofollow">Reply to {name}</a></p>\n')
        parts.append("  </article>\n")
        if node.children:
            parts.append('  <ol class="children">\n')
            for child in node.children:  # as deep as the thread depth setting, at most MAX_THREAD_DEPTH
                self.node(child, parts)
            parts.append("  </ol>\n")
        parts.append("</li>\n")
