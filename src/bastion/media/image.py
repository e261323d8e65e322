"""The one safe image decoder every hashing path uses.

Rules, in order:
1. The format is sniffed from content (`sniff`); only allow-listed Pillow plugins may open it.
2. The file-size limit is checked before reading, the pixel limit right after the header is
   parsed and before any pixel is decoded (a 40000 x 40000 PNG of a few hundred bytes is a
   decompression bomb, rejected without allocating anything).
3. Colour: every Pillow mode becomes 8-bit RGB. Transparency is composited over black, which
   equals what python-threatexchange computes (it drops the alpha channel) wherever fully
   transparent pixels store black, the usual encoder output. 16-bit grey is scaled to 8 bits
   (>> 8); 32-bit integer grey likewise when its values exceed 255; float grey in 0..1 is
   scaled by 255, otherwise clipped to 0..255; LAB goes through an sRGB colour transform.
4. Orientation: pixels are hashed as stored, ignoring EXIF Orientation, exactly as the
   reference PDQ implementations (C++, Java, python-threatexchange, HMA) do, so that hashes
   in hotline lists made with them are reproduced. The orientation tag is reported, and
   matching uses the dihedral variant that shows the image upright (`display_variant`).
5. Animated GIF and WebP: the first frame (video comes through the video decoder).
"""

from __future__ import annotations

import io
import warnings
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass

import numpy as np
from PIL import Image, ImageCms, ImageFile

from bastion.media.errors import (
    CorruptMedia,
    DecompressionBomb,
    EmptyMedia,
    MediaError,
    MediaTooLarge,
    TruncatedMedia,
    UnsupportedMedia,
)
from bastion.media.sniff import SNIFF_BYTES, sniff

# Bastion enforces its own configurable pixel limit (Limits.max_pixels) before decoding;
# Pillow's global guard would otherwise fire first with a different limit.
Image.MAX_IMAGE_PIXELS = None

_HEIF_REGISTERED = False


def _register_heif() -> None:
    global _HEIF_REGISTERED
    if not _HEIF_REGISTERED:
        from pillow_heif import register_heif_opener

        register_heif_opener()
        _HEIF_REGISTERED = True


@dataclass(frozen=True, slots=True)
class Limits:
    """Decoder limits. Defaults admit 200-megapixel phone photos and 256 MiB files."""

    max_file_bytes: int = 256 * 1024 * 1024
    max_pixels: int = 200_000_000

    def __post_init__(self) -> None:
        if self.max_file_bytes <= 0 or self.max_pixels <= 0:
            raise ValueError("limits must be positive")


DEFAULT_LIMITS = Limits()

# EXIF Orientation -> the dihedral variant (signals.pdq.DIHEDRAL_NAMES) whose hash is that of
# the image as displayed. Checked against Pillow's exif_transpose in tests/test_media.py.
ORIENTATION_TO_VARIANT: dict[int, str] = {
    1: "original",
    2: "flipy",
    3: "rotate180",
    4: "flipx",
    5: "flipplus1",
    6: "rotate270",
    7: "flipminus1",
    8: "rotate90",
}


@dataclass(frozen=True, slots=True)
class ImageInfo:
    format: str
    width: int
    height: int
    mode: str
    orientation: int = 1
    animated: bool = False

    @property
    def display_variant(self) -> str:
        return ORIENTATION_TO_VARIANT.get(self.orientation, "original")


def _orientation(im: Image.Image) -> int:
    try:
        value = im.getexif().get(0x0112, 1)
    except Exception:  # broken EXIF must not stop hashing of the pixels
        return 1
    return value if isinstance(value, int) and 1 <= value <= 8 else 1


def _classify_pillow_error(source: str, exc: BaseException) -> MediaError:
    text = str(exc)
    if isinstance(exc, Image.DecompressionBombError):
        return DecompressionBomb(source, text)
    if isinstance(exc, EOFError) or "truncated" in text.lower():
        return TruncatedMedia(source, "image data ends before the picture is complete")
    if isinstance(exc, MemoryError):
        return DecompressionBomb(source, "decoding needs more memory than is available")
    detail = text.splitlines()[0][:200] if text else type(exc).__name__
    return CorruptMedia(source, f"cannot decode: {detail}")


@contextmanager
def open_image(
    data: bytes, source: str, limits: Limits = DEFAULT_LIMITS
) -> Iterator[tuple[Image.Image, ImageInfo]]:
    """Open an image from bytes after the format and size checks; pixels are not decoded yet."""
    if not data:
        raise EmptyMedia(source, "file is empty (0 bytes)")
    if len(data) > limits.max_file_bytes:
        raise MediaTooLarge(
            source, f"{len(data):,} bytes exceeds the {limits.max_file_bytes:,}-byte limit"
        )
    kind = sniff(data[:SNIFF_BYTES])
    if kind.kind == "video":
        raise UnsupportedMedia(source, f"{kind.format} video: use the video hasher")
    if not kind.is_image:
        raise UnsupportedMedia(source, "not a recognised image format (checked by content)")
    if kind.format == "HEIF":
        _register_heif()
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            im = Image.open(io.BytesIO(data), formats=[kind.format])
    except MediaError:
        raise
    except Exception as exc:
        raise _classify_pillow_error(source, exc) from None
    try:
        width, height = im.size
        if width <= 0 or height <= 0:
            raise CorruptMedia(source, f"declares an empty picture ({width}x{height})")
        if width * height > limits.max_pixels:
            raise DecompressionBomb(
                source,
                f"declares {width}x{height} = {width * height:,} pixels, over the "
                f"{limits.max_pixels:,}-pixel limit",
            )
        info = ImageInfo(
            format=kind.format,
            width=width,
            height=height,
            mode=im.mode,
            orientation=_orientation(im),
            animated=bool(getattr(im, "is_animated", False)),
        )
        yield im, info
    finally:
        im.close()


def _has_transparency(im: Image.Image) -> bool:
    return im.mode in ("RGBA", "LA", "PA", "RGBa", "La") or "transparency" in im.info


def _scaled_to_uint8(values: np.ndarray, bits16: bool) -> np.ndarray:
    if bits16:
        return (values.astype(np.uint32) >> 8).astype(np.uint8)
    return np.clip(values, 0, 255).astype(np.uint8)


def to_rgb(im: Image.Image) -> Image.Image:
    """8-bit RGB by the rules in the module docstring."""
    mode = im.mode
    if mode == "RGB" and "transparency" not in im.info:
        return im
    if _has_transparency(im):
        rgba = im.convert("RGBA")
        black = Image.new("RGBA", rgba.size, (0, 0, 0, 255))
        return Image.alpha_composite(black, rgba).convert("RGB")
    if mode.startswith("I;16"):
        grey = _scaled_to_uint8(np.asarray(im), bits16=True)
        return Image.fromarray(grey, "L").convert("RGB")
    if mode == "I":
        values = np.asarray(im)
        grey = _scaled_to_uint8(values, bits16=bool(values.max(initial=0) > 255))
        return Image.fromarray(grey, "L").convert("RGB")
    if mode == "F":
        values = np.asarray(im, dtype=np.float32)
        if values.size and np.nanmax(values) <= 1.0:
            values = values * 255.0
        grey = np.clip(np.nan_to_num(values), 0, 255).round().astype(np.uint8)
        return Image.fromarray(grey, "L").convert("RGB")
    if mode == "LAB":
        transform = ImageCms.buildTransform(
            ImageCms.createProfile("LAB"), ImageCms.createProfile("sRGB"), "LAB", "RGB"
        )
        return ImageCms.applyTransform(im, transform)
    return im.convert("RGB")


def _load(im: Image.Image, source: str) -> None:
    # Some libraries (WeasyPrint among them) switch on Pillow's process-wide permission to
    # decode truncated files; Bastion must report truncation, so it switches it back off.
    ImageFile.LOAD_TRUNCATED_IMAGES = False
    try:
        im.load()
    except MediaError:
        raise
    except Exception as exc:
        raise _classify_pillow_error(source, exc) from None


def decode_rgb(
    data: bytes, source: str, limits: Limits = DEFAULT_LIMITS
) -> tuple[np.ndarray, ImageInfo]:
    """Full-resolution 8-bit RGB pixels (H, W, 3), as the reference PDQ hashers decode."""
    with open_image(data, source, limits) as (im, info):
        _load(im, source)
        try:
            rgb = np.asarray(to_rgb(im))
        except MediaError:
            raise
        except Exception as exc:
            raise _classify_pillow_error(source, exc) from None
        return rgb, info


# The fast path decodes so the shorter side stays at or above this many pixels: PDQ's filter
# averages over n/64 pixels, so 256 keeps 4 reduced pixels per output cell. Measured on the
# reference images: at most 2 bits from the full-resolution hash (128 gives up to 6).
FAST_MIN_SIDE = 256


def decode_luma(
    data: bytes, source: str, limits: Limits = DEFAULT_LIMITS, min_side: int = FAST_MIN_SIDE
) -> tuple[np.ndarray, tuple[float, float], ImageInfo]:
    """Luminance (0.299 R + 0.587 G + 0.114 B) decoded as cheaply as possible.

    Returns the plane, the (x, y) reduction factors full/decoded, and the image info.
    JPEG uses libjpeg's DCT scaling and, for YCbCr and grey files, takes the Y channel
    directly (JFIF's Y uses PDQ's luma weights), skipping chroma entirely.
    """
    with open_image(data, source, limits) as (im, info):
        try:
            if info.format == "JPEG":
                short = min(info.width, info.height)
                size = (min_side, min_side) if short >= 2 * min_side else None
                target_mode = "L" if im.mode in ("RGB", "L", "YCbCr") else im.mode
                if size is not None or target_mode != im.mode:
                    im.draft(target_mode, size or im.size)
            _load(im, source)
            if im.mode == "L" and "transparency" not in im.info:
                plane = im
            else:
                plane = to_rgb(im)
                factor = min(plane.width, plane.height) // min_side
                if factor >= 2:
                    plane = plane.reduce(factor)
                plane = plane.convert("L")
            luma = np.asarray(plane)
        except MediaError:
            raise
        except Exception as exc:
            raise _classify_pillow_error(source, exc) from None
        rows, cols = luma.shape
        scale = (
            _reduction_factor(info.width, cols),
            _reduction_factor(info.height, rows),
        )
        return luma, scale, info


def _reduction_factor(full: int, reduced: int) -> float:
    """The integer factor k with ceil(full / k) == reduced (DCT scaling and reduce() both
    round up); 1.0 when not reduced."""
    if reduced >= full:
        return 1.0
    k = max(1, round(full / reduced))
    while k > 1 and -(-full // k) != reduced:
        k -= 1
    return float(k) if -(-full // k) == reduced else full / reduced
