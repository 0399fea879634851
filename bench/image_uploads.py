"""How long checking and re-encoding an upload takes, and how much memory it needs: a phone photo
(12 and 24 megapixels, with EXIF and GPS), an image at the pixel limit, and a PNG bomb (refused).
Runs blog.media.images.prepare_image directly, each in a fresh process so its peak memory is its own."""

from __future__ import annotations

import io
import json
import resource
import subprocess
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tests"))

CASES = {
    "12 MP JPEG photo (4000 × 3000)": ("jpeg", 4000, 3000),
    "24 MP JPEG photo (6000 × 4000)": ("jpeg", 6000, 4000),
    "50 MP greyscale PNG at the limit (8660 × 5773)": ("png", 8660, 5773),
    "PNG bomb, 20000 × 20000 in 76 KB": ("bomb", 20000, 20000),
}


def run_one(kind: str, width: int, height: int) -> dict:
    from media_testing import jpeg_with_gps, png_bomb
    from PIL import Image

    from blog import config
    from blog.media.images import ImageLimits, ImageRejected, prepare_image

    if kind == "jpeg":
        data = jpeg_with_gps(width, height)
    elif kind == "png":
        out = io.BytesIO()
        Image.linear_gradient("L").resize((width, height)).save(out, "PNG")
        data = out.getvalue()
    else:
        data = png_bomb(width, height)
    limits = ImageLimits(config.UPLOAD_MAX_BYTES, config.UPLOAD_MAX_PIXELS, config.UPLOAD_MAX_FRAMES,
                         config.UPLOAD_VARIANT_WIDTHS)
    before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    started = time.perf_counter()
    try:
        prepared = prepare_image(data, limits)
        outcome = f"{len(prepared.variants)} copies, {len(prepared.original.data) // 1024} KB stored"
    except ImageRejected as error:
        outcome = f"refused: {str(error)[:40]}…"
    seconds = time.perf_counter() - started
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return {"upload_kb": len(data) // 1024, "seconds": round(seconds, 2),
            "extra_mb": round((peak - before) / 1024), "outcome": outcome}


def main() -> None:
    if len(sys.argv) == 5 and sys.argv[1] == "--one":
        print(json.dumps(run_one(sys.argv[2], int(sys.argv[3]), int(sys.argv[4]))))
        return
    print("| upload | size | time | memory beyond the input | result |\n|---|---|---|---|---|")
    for name, (kind, width, height) in CASES.items():
        line = subprocess.run([sys.executable, __file__, "--one", kind, str(width), str(height)],
                              capture_output=True, text=True, check=True).stdout
        result = json.loads(line)
        print(f"| {name} | {result['upload_kb']} KB | {result['seconds']} s | {result['extra_mb']} MB | "
              f"{result['outcome']} |")


if __name__ == "__main__":
    main()
