"""Building small WordPress exports (WXR 1.2, as WordPress 6.1 writes them) for the import tests,
and importing a file through the command line as the owner would."""

from __future__ import annotations

from dataclasses import dataclass, field

HEADER = """<?xml version="1.0" encoding="UTF-8" ?>
<rss version="2.0"
	xmlns:excerpt="http://wordpress.org/export/1.2/excerpt/"
	xmlns:content="http://purl.org/rss/1.0/modules/content/"
	xmlns:wfw="http://wellformedweb.org/CommentAPI/"
	xmlns:dc="http://purl.org/dc/elements/1.1/"
	xmlns:wp="http://wordpress.org/export/1.2/"
>
<channel>
	<title>Old Blog</title>
	<link>http://old.example</link>
	<description>Just another WordPress site</description>
	<language>en-US</language>
	<wp:wxr_version>1.2</wp:wxr_version>
	<wp:base_site_url>http://old.example</wp:base_site_url>
	<wp:base_blog_url>http://old.example</wp:base_blog_url>
	<wp:author><wp:author_id>1</wp:author_id><wp:author_login><![CDATA[olduser]]></wp:author_login>
		<wp:author_email><![CDATA[old@example.com]]></wp:author_email>
		<wp:author_display_name><![CDATA[Old User]]></wp:author_display_name></wp:author>
	<wp:category><wp:term_id>1</wp:term_id><wp:category_nicename><![CDATA[uncategorized]]></wp:category_nicename><wp:category_parent><![CDATA[]]></wp:category_parent><wp:cat_name><![CDATA[Uncategorized]]></wp:cat_name></wp:category>
	<wp:tag><wp:term_id>2</wp:term_id><wp:tag_slug><![CDATA[python]]></wp:tag_slug><wp:tag_name><![CDATA[Python]]></wp:tag_name></wp:tag>
	<generator>https://wordpress.org/?v=6.1.9</generator>
"""
FOOTER = "</channel>\n</rss>\n"


@dataclass
class C:
    """A comment in the file."""

    id: int
    content: str = "Nice post!"
    author: str = "Reader"
    url: str = ""
    ip: str = "192.0.2.7"
    date: str = "2020-01-03 10:00:00"
    approved: str = "1"
    type: str = "comment"
    parent: int = 0
    meta: dict = field(default_factory=dict)


@dataclass
class P:
    """A post (or page, attachment...) in the file."""

    id: int
    title: str = "Hello"
    slug: str = "hello"
    content: str = "First paragraph.\n\nSecond paragraph."
    date: str = "2020-01-02 09:30:00"  # GMT
    status: str = "publish"
    type: str = "post"
    tags: list = field(default_factory=list)
    categories: list = field(default_factory=lambda: ["Uncategorized"])
    comments: list = field(default_factory=list)
    comment_status: str = "open"
    ping_status: str = "open"
    creator: str = "olduser"
    meta: dict = field(default_factory=dict)
    password: str = ""


def cdata(text: str) -> str:
    return "<![CDATA[" + text.replace("]]>", "]]]]><![CDATA[>") + "]]>"


def comment_xml(c: C) -> str:
    metas = "".join(f"<wp:commentmeta><wp:meta_key>{cdata(k)}</wp:meta_key><wp:meta_value>{cdata(v)}"
                    "</wp:meta_value></wp:commentmeta>" for k, v in c.meta.items())
    return (f"<wp:comment><wp:comment_id>{c.id}</wp:comment_id><wp:comment_author>{cdata(c.author)}</wp:comment_author>"
            f"<wp:comment_author_email>{cdata('r@example.com')}</wp:comment_author_email>"
            f"<wp:comment_author_url>{c.url}</wp:comment_author_url><wp:comment_author_IP>{cdata(c.ip)}"
            f"</wp:comment_author_IP><wp:comment_date>{cdata(c.date)}</wp:comment_date><wp:comment_date_gmt>"
            f"{cdata(c.date)}</wp:comment_date_gmt><wp:comment_content>{cdata(c.content)}</wp:comment_content>"
            f"<wp:comment_approved>{cdata(c.approved)}</wp:comment_approved><wp:comment_type>{cdata(c.type)}"
            f"</wp:comment_type><wp:comment_parent>{c.parent}</wp:comment_parent>"
            f"<wp:comment_user_id>0</wp:comment_user_id>{metas}</wp:comment>\n")


def item_xml(p: P) -> str:
    gmt = "0000-00-00 00:00:00" if p.status == "draft" else p.date
    cats = "".join(f'<category domain="category" nicename="{n.lower()}">{cdata(n)}</category>' for n in p.categories)
    tags = "".join(f'<category domain="post_tag" nicename="{n.lower()}">{cdata(n)}</category>' for n in p.tags)
    metas = "".join(f"<wp:postmeta><wp:meta_key>{cdata(k)}</wp:meta_key><wp:meta_value>{cdata(v)}"
                    "</wp:meta_value></wp:postmeta>" for k, v in p.meta.items())
    return (f"<item><title>{cdata(p.title)}</title><link>http://old.example/?p={p.id}</link>"
            f"<dc:creator>{cdata(p.creator)}</dc:creator><guid isPermaLink=\"false\">http://old.example/?p={p.id}</guid>"
            f"<description></description><content:encoded>{cdata(p.content)}</content:encoded>"
            f"<excerpt:encoded>{cdata('')}</excerpt:encoded><wp:post_id>{p.id}</wp:post_id>"
            f"<wp:post_date>{cdata(p.date)}</wp:post_date><wp:post_date_gmt>{cdata(gmt)}</wp:post_date_gmt>"
            f"<wp:post_modified>{cdata(p.date)}</wp:post_modified><wp:post_modified_gmt>{cdata(p.date)}</wp:post_modified_gmt>"
            f"<wp:comment_status>{cdata(p.comment_status)}</wp:comment_status><wp:ping_status>{cdata(p.ping_status)}"
            f"</wp:ping_status><wp:post_name>{cdata(p.slug)}</wp:post_name><wp:status>{cdata(p.status)}</wp:status>"
            f"<wp:post_parent>0</wp:post_parent><wp:menu_order>0</wp:menu_order><wp:post_type>{cdata(p.type)}"
            f"</wp:post_type><wp:post_password>{cdata(p.password)}</wp:post_password><wp:is_sticky>0</wp:is_sticky>"
            f"{cats}{tags}{metas}\n{''.join(comment_xml(c) for c in p.comments)}</item>\n")


def wxr(*items: P) -> bytes:
    return (HEADER + "".join(item_xml(p) for p in items) + FOOTER).encode()
