"""Images for the media tests, made in the test: photos with GPS EXIF, noise that does not compress,
a PNG decompression bomb written chunk by chunk (never decoded here), broken and hostile files."""

from __future__ import annotations

import io
import struct
import zlib

from PIL import Image

GPS_IFD = 0x8825
ORIENTATION = 0x0112


def jpeg_with_gps(width: int = 2000, height: int = 1000, orientation: int = 1) -> bytes:
    """A JPEG photo whose EXIF holds a GPS position (Amsterdam), a camera and an orientation."""
    image = Image.linear_gradient("L").resize((width, height)).convert("RGB")
    exif = Image.Exif()
    exif[0x010F] = "PhoneMaker"  # Make
    exif[ORIENTATION] = orientation
    exif[GPS_IFD] = {1: "N", 2: (52.0, 22.0, 12.5), 3: "E", 4: (4.0, 53.0, 30.0)}
    out = io.BytesIO()
    image.save(out, "JPEG", exif=exif, quality=80)
    data = out.getvalue()
    assert Image.open(io.BytesIO(data)).getexif().get_ifd(GPS_IFD), "the test photo must carry GPS data"
    return data


def image_bytes(width: int = 300, height: int = 200, image_format: str = "PNG", mode: str = "RGB") -> bytes:
    image = Image.new(mode, (width, height), "teal" if mode != "1" else 1)
    out = io.BytesIO()
    image.save(out, image_format)
    return out.getvalue()


def noise_png(byte_count: int) -> bytes:
    """A PNG of random pixels at least byte_count bytes long (noise does not compress)."""
    import os

    side = int((byte_count / 3) ** 0.5) + 8
    image = Image.frombytes("RGB", (side, side), os.urandom(side * side * 3))
    out = io.BytesIO()
    image.save(out, "PNG")
    assert len(out.getvalue()) >= byte_count
    return out.getvalue()


def _chunk(kind: bytes, data: bytes) -> bytes:
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)


def png_bomb(width: int = 20000, height: int = 20000) -> bytes:
    """A valid 1-bit PNG of width × height white pixels, a few dozen KB on disk: 400 megapixels
    (1.2 GB as RGB) once decoded. Written row by row with zlib, so the test never holds it decoded."""
    row = b"\x00" + b"\xff" * ((width + 7) // 8)
    compressor = zlib.compressobj(9)
    idat = b"".join(compressor.compress(row) for _ in range(height)) + compressor.flush()
    header = struct.pack(">IIBBBBB", width, height, 1, 0, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + _chunk(b"IHDR", header) + _chunk(b"IDAT", idat) + _chunk(b"IEND", b"")


SVG = b'<svg xmlns="http://www.w3.org/2000/svg" width="10" height="10"><script>alert(1)</script></svg>'
