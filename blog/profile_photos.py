"""The author's photo: an upload checked by its content with Pillow (only real JPEG, PNG, GIF or WebP
images, within byte and pixel limits so a decompression bomb is refused before it is unpacked), cut
to a square, re-encoded without its EXIF data, and kept under the instance folder."""

from __future__ import annotations

import io
import os
import re
import secrets
import tempfile
import warnings
from pathlib import Path
from typing import IO

from flask import current_app
from PIL import Image, ImageOps, UnidentifiedImageError

FORMATS = {"JPEG", "PNG", "GIF", "WEBP"}
# What the folder holds, and all that the public route serves: "<user id>-<random>.<jpg|png>".
NAME_RULE = re.compile(r"\A\d+-[0-9a-f]{16}\.(jpg|png)\Z")


class PhotoRefused(ValueError):
    """The upload is not a photo we keep; the message says why, in words for the owner."""


def photo_folder() -> Path:
    configured = current_app.config.get("PROFILE_PHOTO_FOLDER")
    return Path(configured) if configured else Path(current_app.instance_path) / "profile-photos"


def file_size(size: int) -> str:
    """A byte count in words: "4 MB", "500 KB"."""
    if size >= 1024 * 1024:
        return f"{size / (1024 * 1024):.3g} MB"
    return f"{max(1, round(size / 1024))} KB"


def _read_capped(stream: IO[bytes], limit: int) -> bytes:
    data = stream.read(limit + 1)
    if len(data) > limit:
        raise PhotoRefused(f"The photo is larger than {file_size(limit)}. Choose a smaller one.")
    if not data:
        raise PhotoRefused("The photo file is empty.")
    return data


def _open_checked(data: bytes) -> Image.Image:
    """The decoded first frame, after its header showed a known format and a sane pixel count."""
    max_pixels = int(current_app.config["PROFILE_PHOTO_MAX_PIXELS"])
    not_an_image = "That file is not an image this blog can use: choose a JPEG, PNG, GIF or WebP photo."
    with warnings.catch_warnings():
        # Pillow only warns below twice its own limit; a bomb is refused either way.
        warnings.simplefilter("error", Image.DecompressionBombWarning)
        try:
            image = Image.open(io.BytesIO(data), formats=sorted(FORMATS))  # reads the header only
        except (UnidentifiedImageError, Image.DecompressionBombError, Image.DecompressionBombWarning) as error:
            if isinstance(error, UnidentifiedImageError):
                raise PhotoRefused(not_an_image) from error
            raise PhotoRefused(_too_many_pixels(max_pixels)) from error
        except (OSError, SyntaxError, ValueError) as error:
            raise PhotoRefused(not_an_image) from error
        width, height = image.size
        if width < 1 or height < 1:
            raise PhotoRefused(not_an_image)
        if width * height > max_pixels:
            raise PhotoRefused(_too_many_pixels(max_pixels))
        try:
            image.seek(0)
            image.load()  # decodes now: a truncated or corrupt file fails here, not later
        except (OSError, SyntaxError, ValueError, EOFError, Image.DecompressionBombError) as error:
            raise PhotoRefused("That image file is damaged or incomplete; it could not be read.") from error
    return image


def _too_many_pixels(limit: int) -> str:
    return f"The image has too many pixels (at most {limit // 1_000_000} million). Choose a smaller one."


def _square(image: Image.Image, size: int) -> tuple[Image.Image, str]:
    """The photo upright (EXIF orientation applied), cropped to its centre square and at most
    `size` pixels wide, as a new image that carries none of the file's metadata; with its format."""
    upright = ImageOps.exif_transpose(image)
    keeps_alpha = upright.mode in ("RGBA", "LA", "PA") or "transparency" in upright.info
    upright = upright.convert("RGBA" if keeps_alpha else "RGB")
    side = min(size, upright.width, upright.height)
    square = ImageOps.fit(upright, (side, side), Image.Resampling.LANCZOS)
    clean = Image.new(square.mode, square.size)
    clean.paste(square)
    return clean, "png" if keeps_alpha else "jpg"


def store_photo(stream: IO[bytes], user_id: int) -> str:
    """Check and store an uploaded photo; returns its file name in photo_folder(). PhotoRefused
    says what is wrong with it; nothing is written then."""
    config = current_app.config
    image = _open_checked(_read_capped(stream, int(config["PROFILE_PHOTO_MAX_BYTES"])))
    icc_profile = image.info.get("icc_profile")  # colour, not metadata: kept so the photo looks the same
    clean, extension = _square(image, int(config["PROFILE_PHOTO_SIZE"]))
    folder = photo_folder()
    folder.mkdir(parents=True, exist_ok=True)
    name = f"{user_id}-{secrets.token_hex(8)}.{extension}"
    fd, temporary = tempfile.mkstemp(dir=folder, prefix=".upload-")
    try:
        with os.fdopen(fd, "wb") as fh:
            options = {"icc_profile": icc_profile} if icc_profile else {}
            if extension == "jpg":
                clean.save(fh, "JPEG", quality=88, optimize=True, **options)
            else:
                clean.save(fh, "PNG", optimize=True, **options)
        os.chmod(temporary, 0o644)
        os.replace(temporary, folder / name)  # whole or not at all
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise
    return name


def delete_photo(name: str) -> None:
    """Remove a photo no longer used (a name that is not one of ours is ignored)."""
    if name and NAME_RULE.match(name):
        (photo_folder() / name).unlink(missing_ok=True)
