"""Checking an uploaded image by its content and re-encoding it with Pillow: only JPEG, PNG, GIF and
WebP; size, pixel and frame limits (decompression bombs are refused before any pixel is decoded);
orientation applied and every piece of metadata (EXIF with its GPS location, XMP, comments) left out."""

from __future__ import annotations

import io
import warnings
from dataclasses import dataclass, field

from PIL import Image, ImageFile, ImageOps, UnidentifiedImageError

# Pillow's own guard against decompression bombs (a warning past this many pixels, an error past
# twice as many). Our limit (UPLOAD_MAX_PIXELS) is checked first and may be lower; this only makes
# sure no caller anywhere in the process decodes a bigger image than an upload could be.
Image.MAX_IMAGE_PIXELS = 100_000_000
# A truncated file is an error, never an image with a grey bottom half.
ImageFile.LOAD_TRUNCATED_IMAGES = False

# Pillow format name -> (file extension, MIME type). Nothing else is accepted: no SVG (scripts), no
# TIFF/BMP/ICO and the other formats Pillow can read but browsers may not show.
FORMATS = {
    "JPEG": ("jpg", "image/jpeg"),
    "PNG": ("png", "image/png"),
    "GIF": ("gif", "image/gif"),
    "WEBP": ("webp", "image/webp"),
}
# What survives re-encoding besides pixels: colour profile, transparency, animation timing. No EXIF,
# XMP, comments or text chunks.
KEPT_INFO = ("icc_profile", "transparency", "duration", "loop", "background", "disposal")
JPEG_QUALITY = 85
WEBP_QUALITY = 85


class ImageRejected(ValueError):
    """An upload that is not stored; the message says why, in words for the author. `status` is the
    HTTP status an answer about it carries (413 for a file over the size limit)."""

    status = 400

    def __init__(self, message: str, status: int = 400):
        super().__init__(message)
        self.status = status


@dataclass
class EncodedImage:
    data: bytes
    width: int
    height: int


@dataclass
class PreparedImage:
    """An accepted image: the file to store (re-encoded, no metadata) and its resized variants."""

    format: str
    extension: str
    mime_type: str
    original: EncodedImage
    variants: dict[int, EncodedImage] = field(default_factory=dict)  # width -> smaller copy


@dataclass(frozen=True)
class ImageLimits:
    max_bytes: int
    max_pixels: int
    max_frames: int
    variant_widths: tuple[int, ...]


def describe_size(byte_count: int) -> str:
    """1536 -> "1.5 KB"; what the Media page and the error messages show."""
    size = float(byte_count)
    for unit in ("bytes", "KB", "MB"):
        if size < 1024 or unit == "MB":
            return f"{int(size)} {unit}" if unit == "bytes" else f"{size:.1f} {unit}".replace(".0 ", " ")
        size /= 1024
    return f"{size:.1f} GB"


def prepare_image(data: bytes, limits: ImageLimits) -> PreparedImage:
    """The upload checked and re-encoded, with variants at each configured width smaller than the
    image (never upscaled); raises ImageRejected with a message for the author."""
    if not data:
        raise ImageRejected("The file is empty. Choose a JPEG, PNG, GIF or WebP image.")
    if len(data) > limits.max_bytes:
        raise ImageRejected(
            f"The file is {describe_size(len(data))}; images can be at most {describe_size(limits.max_bytes)}. "
            "Make it smaller (fewer pixels or more compression) and upload it again.",
            status=413,
        )
    with warnings.catch_warnings():
        warnings.simplefilter("error", Image.DecompressionBombWarning)
        try:
            return _prepare(data, limits)
        except (Image.DecompressionBombError, Image.DecompressionBombWarning) as error:
            raise _too_many_pixels(limits) from error


def _too_many_pixels(limits: ImageLimits, width: int | None = None, height: int | None = None) -> ImageRejected:
    size = f" ({width} × {height} pixels)" if width else ""
    return ImageRejected(
        f"The image is too large{size}: at most {limits.max_pixels / 1_000_000:g} megapixels are accepted. "
        "Scale it down and upload it again."
    )


def _open(data: bytes) -> Image.Image:
    try:
        return Image.open(io.BytesIO(data), formats=list(FORMATS))
    except UnidentifiedImageError as error:
        raise ImageRejected(
            "This file is not an image this blog accepts: upload a JPEG, PNG, GIF or WebP image "
            "(SVG and other formats are not accepted)."
        ) from error


def _prepare(data: bytes, limits: ImageLimits) -> PreparedImage:
    # First look: the header only. The pixel and frame limits are checked before anything is decoded.
    image = _open(data)
    width, height = image.size
    if width < 1 or height < 1:
        raise ImageRejected("The image has no pixels.")
    if width * height > limits.max_pixels:
        raise _too_many_pixels(limits, width, height)
    frames = getattr(image, "n_frames", 1)
    if frames > limits.max_frames or width * height * frames > limits.max_pixels * 4:
        raise ImageRejected(
            f"The animation has too many frames ({frames} of {width} × {height} pixels). "
            "Shorten it or make it smaller, then upload it again."
        )
    try:
        image.verify()  # the file's structure (PNG checksums, ...)
        image = _open(data)  # verify() leaves the image unusable: open it again to decode
        image.load()  # every pixel: a truncated or damaged file fails here
    except ImageRejected:
        raise
    except (OSError, SyntaxError, ValueError, EOFError) as error:
        raise ImageRejected(
            "The image file is damaged or incomplete (perhaps the upload was cut short). "
            "Open it on your computer to check it, then upload it again."
        ) from error
    return _reencode(image, limits)


def _reencode(image: Image.Image, limits: ImageLimits) -> PreparedImage:
    source_format = image.format
    extension, mime_type = FORMATS[source_format]
    kept = {key: image.info[key] for key in KEPT_INFO if key in image.info}
    if getattr(image, "n_frames", 1) > 1:
        # Animations are kept whole, frame by frame, without variants (resizing would re-time them).
        frames = [_pixels_only(frame, ("transparency", "duration", "disposal")) for frame in _frames(image)]
        encoded = _encode(frames[0], source_format, kept, append=frames[1:])
        return PreparedImage(source_format, extension, mime_type, encoded)
    clean = _pixels_only(ImageOps.exif_transpose(image), ("transparency",))  # orientation applied to the pixels
    prepared = PreparedImage(source_format, extension, mime_type, _encode(clean, source_format, kept))
    for width in sorted(set(limits.variant_widths)):
        if width >= clean.width:
            continue  # never upscaled: the original serves the widest slot
        height = max(1, round(clean.height * width / clean.width))
        converted = clean.mode not in ("RGB", "RGBA", "L", "LA")
        source = clean.convert("RGBA") if converted else clean
        smaller = source.resize((width, height), Image.Resampling.LANCZOS, reducing_gap=3.0)
        # A profile describes the original's colour space (CMYK's, say), not converted pixels.
        variant_info = {"icc_profile": kept["icc_profile"]} if "icc_profile" in kept and not converted else {}
        prepared.variants[width] = _encode(smaller, source_format, variant_info)
    return prepared


def _pixels_only(image: Image.Image, keep: tuple[str, ...]) -> Image.Image:
    """A copy holding the pixels (and palette), with no metadata but the named keys: Pillow's
    writers pick EXIF, XMP and comments up from `info`, so it is emptied."""
    copy = image.copy()
    copy.info = {key: image.info[key] for key in keep if key in image.info}
    return copy


def _frames(image: Image.Image):
    for index in range(image.n_frames):
        image.seek(index)
        yield image


def _encode(image: Image.Image, image_format: str, info: dict, append: list | None = None) -> EncodedImage:
    options = dict(info)
    if append:
        options.update(save_all=True, append_images=append)
    if image_format == "JPEG":
        if image.mode not in ("RGB", "L", "CMYK"):
            image = image.convert("RGB")
        options.update(quality=JPEG_QUALITY, optimize=True, progressive=True)
        options.pop("transparency", None)
    elif image_format == "WEBP":
        options.update(quality=WEBP_QUALITY, method=4)
    elif image_format == "PNG":
        options.update(optimize=True)
    out = io.BytesIO()
    image.save(out, image_format, **options)
    return EncodedImage(out.getvalue(), image.width, image.height)
