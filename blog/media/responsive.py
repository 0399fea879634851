"""Responsive images in rendered posts: a Markdown extension that gives every image loading="lazy"
and each of our uploads its width, height, and a srcset of its resized copies with sizes."""

from __future__ import annotations

from flask import has_app_context
from markdown.extensions import Extension
from markdown.treeprocessors import Treeprocessor

from .library import items_by_path, uploads_url_prefix, url_of
from .tables import MediaItem

# The post column is 40rem wide (--measure in blog.css) and takes the whole screen below that.
COLUMN = "40rem"


def image_sizes(item: MediaItem) -> str:
    """How wide the image shows: the column, or its own width when narrower (it is never stretched)."""
    if item.width >= 640:
        return f"(max-width: {COLUMN}) 100vw, {COLUMN}"
    return f"(max-width: {item.width}px) 100vw, {item.width}px"


def responsive_attributes(item: MediaItem) -> dict[str, str]:
    """width, height, and (when it has resized copies) srcset and sizes for an upload's <img>."""
    attributes = {"width": str(item.width), "height": str(item.height)}
    if item.variant_widths:
        candidates = [f"{url_of(item, width)} {width}w" for width in item.variant_widths]
        candidates.append(f"{url_of(item)} {item.width}w")
        attributes["srcset"] = ", ".join(candidates)
        attributes["sizes"] = image_sizes(item)
    return attributes


class _ResponsiveImages(Treeprocessor):
    def run(self, root):
        images = list(root.iter("img"))
        if not images:
            return
        prefix = uploads_url_prefix()
        paths = {id(img): img.get("src", "")[len(prefix):] for img in images if img.get("src", "").startswith(prefix)}
        items = items_by_path(list(paths.values())) if paths and has_app_context() else {}
        for img in images:
            img.set("loading", img.get("loading") or "lazy")
            item = items.get(paths.get(id(img), ""))
            if item is not None:
                for name, value in responsive_attributes(item).items():
                    img.set(name, value)


class ResponsiveImages(Extension):
    def extendMarkdown(self, md):  # noqa: N802 - Markdown's API
        # After "inline" (which makes the <img> elements), before "prettify".
        md.treeprocessors.register(_ResponsiveImages(md), "responsive_images", 5)
