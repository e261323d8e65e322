"""What a reviewer's browser is sent of an evidence item: never the stored file itself.

- The preview (the default) is made on the server: the picture is reduced to a few dozen pixels,
  made greyscale and blurred, so it shows only layout and light; the unblurred bytes never
  leave the server for it.
- The reveal rendering (only through a reveal ticket) is the picture upright, at most
  REVEAL_SIDE pixels, greyscale unless colour was asked for, re-encoded as JPEG: no metadata
  (EXIF location, camera, names) and no exotic format reaches the browser.
Both go through the one safe decoder (bastion.media) with its limits.
"""

from __future__ import annotations

import io

from PIL import Image, ImageFilter, ImageOps

from bastion.media import DEFAULT_LIMITS, Limits, MediaError, open_image, to_rgb

PREVIEW_SOURCE_SIDE = 24  # pixels on the long side before blurring: light and layout only
PREVIEW_SIDE = 480
PREVIEW_BLUR = 16
REVEAL_SIDE = 1024


class RenderingError(ValueError):
    pass


def _upright(data: bytes, limits: Limits, draft_side: int) -> Image.Image:
    try:
        with open_image(data, "evidence", limits) as (im, info):
            if info.format == "JPEG":
                im.draft("RGB", (draft_side, draft_side))
            im.load()
            upright = ImageOps.exif_transpose(to_rgb(im))
            return upright.copy()
    except MediaError as exc:
        raise RenderingError(f"this evidence cannot be shown as a picture ({exc.reason})") from None
    except Exception as exc:  # Pillow's own errors while loading pixels
        raise RenderingError(
            f"this evidence cannot be shown as a picture ({type(exc).__name__})"
        ) from None


def _jpeg(image: Image.Image, quality: int) -> bytes:
    out = io.BytesIO()
    image.save(out, format="JPEG", quality=quality)
    return out.getvalue()


def _fit(width: int, height: int, side: int) -> tuple[int, int]:
    scale = side / max(width, height)
    return max(1, round(width * scale)), max(1, round(height * scale))


def preview(data: bytes, limits: Limits = DEFAULT_LIMITS) -> bytes:
    """Greyscale, reduced to PREVIEW_SOURCE_SIDE pixels, blurred, shown at PREVIEW_SIDE."""
    image = _upright(data, limits, PREVIEW_SOURCE_SIDE * 4).convert("L")
    tiny = image.resize(_fit(*image.size, PREVIEW_SOURCE_SIDE), Image.Resampling.BOX)
    shown = tiny.resize(_fit(*image.size, PREVIEW_SIDE), Image.Resampling.BILINEAR)
    return _jpeg(shown.filter(ImageFilter.GaussianBlur(PREVIEW_BLUR)), 70)


def revealed(data: bytes, colour: bool, limits: Limits = DEFAULT_LIMITS) -> bytes:
    image = _upright(data, limits, REVEAL_SIDE)
    if not colour:
        image = image.convert("L")
    image.thumbnail((REVEAL_SIDE, REVEAL_SIDE), Image.Resampling.LANCZOS)
    return _jpeg(image, 88)
