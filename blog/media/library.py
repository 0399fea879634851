"""The media library: storing an accepted upload (unique file names, written whole before they are
named), finding an item by its URL, the posts that use it, the Markdown that shows it, deleting it."""

from __future__ import annotations

import os
import re
import secrets
import tempfile
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

from flask import current_app, has_request_context, request
from slugify import slugify
from werkzeug.datastructures import FileStorage

from ..extensions import db
from ..models import Post, User, utcnow
from .images import ImageLimits, ImageRejected, PreparedImage, prepare_image
from .tables import MediaItem

UPLOADS_PATH = "/uploads/"
NAME_STEM_MAX_CHARS = 60
ALT_TEXT_MAX_CHARS = 500
# The body of an upload request may exceed MAX_CONTENT_LENGTH by the image limit (and a little for
# the multipart framing), so an image at the limit is read and refused with a message, not a 413.
MULTIPART_SLACK_BYTES = 64 * 1024


class AltTextRejected(ImageRejected):
    """The alt text is missing or too long (the image itself was not looked at)."""


@dataclass
class UploadResult:
    item: MediaItem
    markdown: str


def upload_folder() -> Path:
    """Where uploads live: UPLOAD_FOLDER, relative to the instance folder (default "uploads")."""
    return Path(current_app.instance_path) / (current_app.config.get("UPLOAD_FOLDER") or "uploads")


def image_limits() -> ImageLimits:
    config = current_app.config
    return ImageLimits(
        max_bytes=int(config["UPLOAD_MAX_BYTES"]),
        max_pixels=int(config["UPLOAD_MAX_PIXELS"]),
        max_frames=int(config["UPLOAD_MAX_FRAMES"]),
        variant_widths=tuple(int(width) for width in config["UPLOAD_VARIANT_WIDTHS"]),
    )


def upload_request_limit() -> int:
    """The largest request body a view taking an upload reads (set as request.max_content_length)."""
    config = current_app.config
    return int(config["MAX_CONTENT_LENGTH"] or 0) + int(config["UPLOAD_MAX_BYTES"]) + MULTIPART_SLACK_BYTES


def uploads_url_prefix() -> str:
    """The URL path uploads are served under, behind the app's script root if it has one."""
    root = request.script_root if has_request_context() else ""
    return root + UPLOADS_PATH


def url_of(item: MediaItem, width: int | None = None) -> str:
    return uploads_url_prefix() + (item.variant_path(width) if width else item.path)


def check_alt_text(alt_text: str | None) -> str:
    """The alt text, folded to one line; raises ImageRejected when it is missing or too long."""
    text = " ".join((alt_text or "").split())
    if not text:
        raise AltTextRejected(
            "Please describe the image in “Alt text” (what a reader who cannot see it should know)."
        )
    if len(text) > ALT_TEXT_MAX_CHARS:
        raise AltTextRejected(f"Alt text can have at most {ALT_TEXT_MAX_CHARS} characters; this one has {len(text)}.")
    return text


def markdown_for(item: MediaItem, alt_text: str | None = None) -> str:
    """![alt text](/uploads/...): what the editor inserts into Content."""
    alt = re.sub(r"([\\\[\]*_`<>])", r"\\\1", alt_text if alt_text is not None else item.alt_text)
    return f"![{alt}]({url_of(item)})"


def append_markdown(text: str | None, markdown: str) -> str:
    """Content with the image's Markdown added as a paragraph of its own at the end."""
    text = (text or "").rstrip()
    return f"{text}\n\n{markdown}\n" if text else f"{markdown}\n"


def read_upload(storage: FileStorage, max_bytes: int) -> bytes:
    """The uploaded file's bytes, reading at most one byte past the limit (enough to refuse it)."""
    return storage.stream.read(max_bytes + 1)


def name_stem(filename: str | None) -> str:
    """A safe, readable file name stem from what the author's computer called the file: the last
    path segment only, transliterated to lower-case ASCII words ("Été à Paris.JPG" -> "ete-a-paris")."""
    last = PurePosixPath((filename or "").replace("\\", "/")).name
    stem = last.rsplit(".", 1)[0] if "." in last.lstrip(".") else last
    return slugify(stem, max_length=NAME_STEM_MAX_CHARS, word_boundary=True) or "image"


def store_upload(storage: FileStorage | None, alt_text: str | None, uploader: User | None) -> UploadResult:
    """Check, re-encode and store an uploaded image with its resized copies; returns the new item and
    its Markdown. Raises ImageRejected (nothing stored) when the file or the alt text is refused."""
    if storage is None or not storage.filename:
        raise ImageRejected("Choose an image file to upload.")
    alt = check_alt_text(alt_text)
    limits = image_limits()
    prepared = prepare_image(read_upload(storage, limits.max_bytes), limits)
    now = utcnow()
    folder = f"{now:%Y}/{now:%m}"
    written = _write_files(folder, name_stem(storage.filename), prepared)
    item = MediaItem(
        path=written,
        original_name=(storage.filename or "")[:255],
        mime_type=prepared.mime_type,
        width=prepared.original.width,
        height=prepared.original.height,
        byte_size=len(prepared.original.data),
        variant_widths=sorted(prepared.variants),
        alt_text=alt,
        uploaded_at=now,
        uploader_id=uploader.id if uploader is not None and uploader.is_authenticated else None,
    )
    db.session.add(item)
    try:
        db.session.commit()
    except Exception:
        db.session.rollback()
        _remove_files(item.file_paths)
        raise
    return UploadResult(item, markdown_for(item, alt))


def _write_files(folder: str, stem: str, prepared: PreparedImage) -> str:
    """Write the image and its variants under a name no other upload has; returns its path.

    Each file is written whole to a temporary name, then linked to its final name, which fails if
    that name exists: two uploads at once can never share (or half-overwrite) a file."""
    directory = upload_folder() / folder
    directory.mkdir(parents=True, exist_ok=True)
    for _ in range(10):
        path = f"{folder}/{stem}-{secrets.token_hex(4)}.{prepared.extension}"
        probe = MediaItem(path=path, variant_widths=sorted(prepared.variants))
        try:
            _link_new(upload_folder() / path, prepared.original.data)
        except FileExistsError:
            continue
        done = [path]
        try:
            for width, variant in prepared.variants.items():
                _link_new(upload_folder() / probe.variant_path(width), variant.data)
                done.append(probe.variant_path(width))
        except BaseException:
            _remove_files(done)
            raise
        return path
    raise RuntimeError("no free name for the upload after ten tries")


def _link_new(target: Path, data: bytes) -> None:
    fd, temporary = tempfile.mkstemp(dir=target.parent, prefix=".upload-")
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
        os.chmod(temporary, 0o644)  # read by nginx when it serves /uploads/ itself
        os.link(temporary, target)
    finally:
        os.unlink(temporary)


def _remove_files(paths: list[str]) -> None:
    folder = upload_folder()
    for path in paths:
        (folder / path).unlink(missing_ok=True)


def items_by_path(paths: list[str]) -> dict[str, MediaItem]:
    """The media items stored at these paths (relative to /uploads/), by path: one query."""
    if not paths:
        return {}
    rows = db.session.execute(db.select(MediaItem).where(MediaItem.path.in_(set(paths)))).scalars()
    return {item.path: item for item in rows}


def posts_using(item: MediaItem) -> list[Post]:
    """The posts whose Markdown shows this image or one of its resized copies (any URL form:
    relative, absolute, on another host name of the blog)."""
    stem, _, extension = item.path.rpartition(".")
    needle = f"uploads/{stem}"
    exact = re.compile(re.escape(needle) + r"(?:-\d+w)?\." + re.escape(extension) + r"(?![\w.-])")
    candidates = db.session.execute(
        db.select(Post).where(Post.body_markdown.contains(needle, autoescape=True)).order_by(Post.id.desc())
    ).scalars()
    return [post for post in candidates if exact.search(post.body_markdown or "")]


def delete_media(item: MediaItem) -> None:
    """Remove the item and its files (the row first: a file never outlives its row by more than a moment,
    and a failed commit deletes nothing)."""
    paths = item.file_paths
    db.session.delete(item)
    db.session.commit()
    _remove_files(paths)


