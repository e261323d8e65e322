"""The benign base pictures bench/robustness.py alters and matches.

Three sources, all benign: the reference photos (../shared/reference/pdq/images, read in
place), the natural sample images shipped inside scikit-image's wheel, and generated
photo-like scenes. The scenes must be unrelated to one another as far as PDQ can tell:
PDQ keeps the signs of 256 low-frequency DCT coefficients, so each scene mixes a different
kind of large-scale structure (smooth random field, linear or radial gradient, stripes),
shapes of many sizes, local texture and noise, each drawn from its own seed.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from PIL import Image, ImageDraw, ImageFilter

ROOT = Path(__file__).resolve().parents[1]
REFERENCE_CANDIDATES = (ROOT.parent / "shared" / "reference", Path("/work/shared/reference"))

# One file per distinct picture: the bridge (dih/bridge-1-original.jpg) stands for the
# identical bridge-mods/aaa-orig.jpg and modes/original.jpg; small.jpg is near-black (quality 0).
REFERENCE_FILES = (
    "dih/bridge-1-original.jpg",
    "misc/pen-and-coaster.png",
    "misc/c.png",
    "exif-rotn/exif-rotn-1.jpg",
    "exif-rotn/exif-rotn-3.jpg",
    "exif-rotn/exif-rotn-6.jpg",
    "exif-rotn/exif-rotn-8.jpg",
)

# scikit-image's bundled samples that are distinct photographs or scans (its stereo pair and
# its two chessboards are the same picture twice and would be true matches, not false ones).
SKIMAGE_FILES = (
    "astronaut.png",
    "brick.png",
    "camera.png",
    "cell.png",
    "chelsea.png",
    "clock_motion.png",
    "coffee.png",
    "coins.png",
    "color.png",
    "grass.png",
    "gravel.png",
    "horse.png",
    "hubble_deep_field.jpg",
    "ihc.png",
    "logo.png",
    "microaneurysms.png",
    "moon.png",
    "motorcycle_left.png",
    "page.png",
    "phantom.png",
    "retina.jpg",
    "rocket.jpg",
    "text.png",
)

SCENE_SIZES = ((640, 480), (480, 640), (640, 360), (512, 512), (600, 400))


@dataclass(frozen=True, slots=True)
class Base:
    """A base picture: its name and its RGB pixels."""

    name: str
    image: Image.Image


def reference_root() -> Path | None:
    env = os.environ.get("BASTION_REFERENCE")
    for candidate in ((Path(env),) if env else ()) + REFERENCE_CANDIDATES:
        if (candidate / "pdq" / "images").is_dir():
            return candidate
    return None


def _rgb(path: Path, max_side: int) -> Image.Image:
    """Decoded upright-as-stored RGB (alpha over black, as Bastion's decoder does), shrunk so
    the longer side is at most `max_side` to keep the bench in minutes."""
    from bastion.media import to_rgb

    with Image.open(path) as im:
        rgb = to_rgb(im).convert("RGB")
    if max(rgb.size) > max_side:
        rgb.thumbnail((max_side, max_side), Image.Resampling.BOX)
    return rgb


def reference_base(name: str, max_side: int = 1024) -> Base | None:
    """One of REFERENCE_FILES, or None when the reference set is not beside the project."""
    root = reference_root()
    path = root / "pdq" / "images" / name if root else None
    return Base(f"ref:{name}", _rgb(path, max_side)) if path and path.exists() else None


def skimage_base(name: str, max_side: int = 1024) -> Base | None:
    """One of SKIMAGE_FILES, or None without scikit-image (pip install -e '.[bench]')."""
    try:
        import skimage.data
    except ImportError:
        return None
    path = Path(skimage.data.data_dir) / name
    return Base(f"skimage:{name}", _rgb(path, max_side)) if path.exists() else None


def _field(rng: np.random.Generator, width: int, height: int) -> Image.Image:
    """The large-scale structure, which decides most of a PDQ hash."""
    kind = rng.integers(0, 4)
    if kind == 0:  # smooth random colour field at a random scale
        cells = rng.integers(2, 13, size=2)
        grid = rng.integers(0, 256, size=(cells[0], cells[1], 3), dtype=np.uint8)
        return Image.fromarray(grid, "RGB").resize((width, height), Image.Resampling.BICUBIC)
    y, x = np.mgrid[0:height, 0:width].astype(np.float32)
    x /= width
    y /= height
    if kind == 1:  # linear gradient at a random angle between random colours
        angle = rng.uniform(0, 2 * np.pi)
        t = np.cos(angle) * x + np.sin(angle) * y
    elif kind == 2:  # radial gradient about a random centre
        cx, cy = rng.uniform(-0.2, 1.2, size=2)
        t = np.hypot(x - cx, y - cy) * rng.uniform(0.7, 2.0)
    else:  # stripes or waves of random frequency and direction
        fx, fy = rng.uniform(-6, 6, size=2)
        t = 0.5 + 0.5 * np.sin(2 * np.pi * (fx * x + fy * y) + rng.uniform(0, 6.3))
    t = (t - t.min()) / max(float(np.ptp(t)), 1e-6)
    a, b = rng.integers(0, 256, size=(2, 3))
    pixels = a[None, None, :] * (1 - t[..., None]) + b[None, None, :] * t[..., None]
    return Image.fromarray(pixels.astype(np.uint8), "RGB")


def _shapes(rng: np.random.Generator, image: Image.Image) -> None:
    draw = ImageDraw.Draw(image)
    width, height = image.size
    scale = min(width, height)
    for _ in range(int(rng.integers(4, 25))):
        x0, y0 = int(rng.integers(-scale // 8, width)), int(rng.integers(-scale // 8, height))
        w, h = (int(v) for v in rng.integers(scale // 20, scale * 3 // 4, size=2))
        colour = tuple(int(c) for c in rng.integers(0, 256, size=3))
        kind = rng.integers(0, 4)
        if kind == 0:
            draw.ellipse((x0, y0, x0 + w, y0 + h), fill=colour)
        elif kind == 1:
            draw.rectangle((x0, y0, x0 + w, y0 + h), fill=colour)
        elif kind == 2:
            points = [(int(rng.integers(0, width)), int(rng.integers(0, height))) for _ in range(3)]
            draw.polygon(points, fill=colour)
        else:
            draw.line(
                (x0, y0, x0 + w, y0 + h), fill=colour, width=int(rng.integers(2, scale // 15))
            )


def _texture(rng: np.random.Generator, pixels: np.ndarray) -> np.ndarray:
    """Local detail: fine noise everywhere and, sometimes, a high-frequency pattern."""
    height, width = pixels.shape[:2]
    out = pixels.astype(np.float32)
    out += rng.normal(0, rng.uniform(2, 14), size=out.shape)
    if rng.random() < 0.5:
        y, x = np.mgrid[0:height, 0:width].astype(np.float32)
        period = rng.uniform(3, 12)
        angle = rng.uniform(0, np.pi)
        wave = np.sin((np.cos(angle) * x + np.sin(angle) * y) * 2 * np.pi / period)
        out += (rng.uniform(5, 20) * wave)[..., None]
    return np.clip(out, 0, 255).astype(np.uint8)


def scene(seed: int, size: tuple[int, int] | None = None) -> Image.Image:
    """A deterministic benign photo-like RGB picture (no people, no text)."""
    rng = np.random.default_rng([seed, 0x5CE7E])
    width, height = size or SCENE_SIZES[int(rng.integers(0, len(SCENE_SIZES)))]
    image = _field(rng, width, height)
    _shapes(rng, image)
    image = image.filter(
        ImageFilter.GaussianBlur(radius=rng.uniform(0.5, 4) * min(width, height) / 480)
    )
    return Image.fromarray(_texture(rng, np.asarray(image)), "RGB")
