"""How known pictures come back altered: the edits bench/robustness.py applies, one pure
function each (Pillow image in, Pillow image out), plus the named, graded list it runs.

Every edit is one that re-sharing produces without intent to evade: recompression and
resizing by apps, mirrored selfie cameras, rotated phones, crops to a feed's aspect ratio,
letterbox and blurred bars to fit a story, a channel's logo, colour and tone filters, and
screenshots inside an app's frame.
"""

from __future__ import annotations

import io
from collections.abc import Callable
from dataclasses import dataclass

from PIL import Image, ImageDraw, ImageEnhance, ImageFilter, ImageOps

Edit = Callable[[Image.Image], Image.Image]


def jpeg(image: Image.Image, quality: int) -> Image.Image:
    """The picture after one JPEG round trip at `quality` (1-95)."""
    if not 1 <= quality <= 95:
        raise ValueError(f"JPEG quality must be 1-95, got {quality}")
    buffer = io.BytesIO()
    image.convert("RGB").save(buffer, format="JPEG", quality=quality)
    buffer.seek(0)
    with Image.open(buffer) as decoded:
        return decoded.convert("RGB")


def resize(image: Image.Image, factor: float) -> Image.Image:
    """Scaled by `factor` on both sides (area filter, as apps downscale)."""
    if not 0 < factor <= 4:
        raise ValueError(f"resize factor must be in (0, 4], got {factor}")
    width = max(1, round(image.width * factor))
    height = max(1, round(image.height * factor))
    return image.resize((width, height), Image.Resampling.BOX if factor < 1 else Image.BICUBIC)


def _check_share(share: float, what: str, limit: float = 0.9) -> None:
    if not 0 <= share < limit:
        raise ValueError(f"{what} must be in [0, {limit}), got {share}")


def centre_crop(image: Image.Image, share: float) -> Image.Image:
    """`share` of the width and of the height cut away, half on each side."""
    _check_share(share, "crop share")
    dx = round(image.width * share / 2)
    dy = round(image.height * share / 2)
    return image.crop((dx, dy, image.width - dx, image.height - dy))


def side_crop(image: Image.Image, share: float) -> Image.Image:
    """`share` of the width cut from the right and of the height from the bottom (a crop
    dragged from one corner)."""
    _check_share(share, "crop share")
    return image.crop(
        (0, 0, image.width - round(image.width * share), image.height - round(image.height * share))
    )


BAR_COLOURS = ("black", "white", "blurred")


def _background(image: Image.Image, size: tuple[int, int], colour: str) -> Image.Image:
    if colour == "black":
        return Image.new("RGB", size, (0, 0, 0))
    if colour == "white":
        return Image.new("RGB", size, (255, 255, 255))
    if colour == "blurred":
        fill = ImageOps.fit(image.convert("RGB"), size, Image.Resampling.BILINEAR)
        return fill.filter(ImageFilter.GaussianBlur(radius=max(size) / 25))
    raise ValueError(f"bar colour must be one of {', '.join(BAR_COLOURS)}, got {colour!r}")


def letterbox(image: Image.Image, share: float, colour: str = "black") -> Image.Image:
    """Bars above and below taking `share` of the new height (split evenly)."""
    _check_share(share, "bar share", 0.8)
    height = round(image.height / (1 - share))
    canvas = _background(image, (image.width, height), colour)
    canvas.paste(image.convert("RGB"), (0, (height - image.height) // 2))
    return canvas


def pillarbox(image: Image.Image, share: float, colour: str = "black") -> Image.Image:
    """Bars left and right taking `share` of the new width (split evenly)."""
    return letterbox(image.transpose(Image.Transpose.TRANSPOSE), share, colour).transpose(
        Image.Transpose.TRANSPOSE
    )


_ROTATIONS = {
    90: Image.Transpose.ROTATE_90,
    180: Image.Transpose.ROTATE_180,
    270: Image.Transpose.ROTATE_270,
}


def rotate(image: Image.Image, degrees: float) -> Image.Image:
    """Turned anticlockwise. Quarter turns are exact; other angles are cut to the largest
    upright rectangle inside, as a photo editor's straighten tool does (no black corners)."""
    if degrees % 360 in _ROTATIONS:
        return image.transpose(_ROTATIONS[int(degrees % 360)])
    if not -45 < degrees < 45:
        raise ValueError(f"free rotation must be within 45 degrees, got {degrees}")
    import math

    turned = image.rotate(degrees, resample=Image.Resampling.BICUBIC, expand=False)
    a = math.radians(abs(degrees))
    w, h = image.size
    # Largest axis-aligned rectangle of the same aspect inside the turned picture.
    k = min(w, h) / (min(w, h) * math.cos(a) + max(w, h) * math.sin(a))
    keep = min(1.0, k)
    dx = round(w * (1 - keep) / 2)
    dy = round(h * (1 - keep) / 2)
    return turned.crop((dx, dy, w - dx, h - dy))


def mirror(image: Image.Image) -> Image.Image:
    """Left and right swapped (a selfie camera)."""
    return ImageOps.mirror(image)


def overlay(image: Image.Image, share: float) -> Image.Image:
    """A channel's logo: an opaque badge with text in the lower right covering `share` of
    the picture."""
    _check_share(share, "overlay share", 0.5)
    out = image.convert("RGB").copy()
    w = round(out.width * share**0.5 * 1.6)
    h = round(out.height * share / (w / out.width))
    x0, y0 = out.width - w - out.width // 40, out.height - h - out.height // 40
    draw = ImageDraw.Draw(out)
    draw.rounded_rectangle((x0, y0, x0 + w, y0 + h), radius=max(2, h // 5), fill=(30, 110, 200))
    draw.ellipse((x0 + h // 6, y0 + h // 6, x0 + h - h // 6, y0 + h - h // 6), fill=(250, 250, 250))
    draw.text((x0 + h, y0 + h // 3), "@channel", fill=(255, 255, 255))
    return out


def brightness(image: Image.Image, factor: float) -> Image.Image:
    return ImageEnhance.Brightness(image.convert("RGB")).enhance(factor)


def contrast(image: Image.Image, factor: float) -> Image.Image:
    return ImageEnhance.Contrast(image.convert("RGB")).enhance(factor)


def gamma(image: Image.Image, value: float) -> Image.Image:
    """Each channel raised to `value` (below 1 lifts shadows, above 1 darkens)."""
    if value <= 0:
        raise ValueError(f"gamma must be positive, got {value}")
    table = [round(255 * (i / 255) ** value) for i in range(256)]
    return image.convert("RGB").point(table * 3)


def greyscale(image: Image.Image) -> Image.Image:
    return ImageOps.grayscale(image).convert("RGB")


def blur(image: Image.Image, share: float) -> Image.Image:
    """Gaussian blur with a radius of `share` of the shorter side."""
    _check_share(share, "blur share", 0.2)
    return image.convert("RGB").filter(ImageFilter.GaussianBlur(radius=share * min(image.size)))


def screenshot(image: Image.Image, dark: bool = False) -> Image.Image:
    """The picture as a phone screenshot of a chat: a portrait screen with a status bar (time,
    signal and battery), an app bar, the picture scaled to the screen's width inside a
    margin, and a message bar below."""
    width = max(360, image.width)
    height = round(width * 2.1)
    bg, fg, bar = (
        ((18, 18, 18), (235, 235, 235), (40, 40, 40))
        if dark
        else ((245, 245, 245), (20, 20, 20), (225, 225, 225))
    )
    screen = Image.new("RGB", (width, height), bg)
    draw = ImageDraw.Draw(screen)
    unit = width // 30
    draw.rectangle((0, 0, width, 2 * unit), fill=bar)
    draw.text((unit, unit // 2), "12:30", fill=fg)
    for i in range(3):  # signal, wifi, battery
        draw.rectangle(
            (
                width - (i + 1) * 2 * unit,
                unit // 2,
                width - (i + 1) * 2 * unit + unit,
                unit + unit // 2,
            ),
            fill=fg,
        )
    draw.rectangle((0, 2 * unit, width, 5 * unit), fill=bar)
    draw.text((3 * unit, 3 * unit), "Channel name", fill=fg)
    inner = width - 2 * unit
    shown = image.convert("RGB").resize(
        (inner, max(1, round(image.height * inner / image.width))), Image.Resampling.BICUBIC
    )
    top = 7 * unit
    screen.paste(shown, (unit, top))
    draw.text((unit, top + shown.height + unit // 2), "12:29  seen", fill=fg)
    draw.rectangle((0, height - 3 * unit, width, height), fill=bar)
    draw.rounded_rectangle(
        (unit, height - 5 * unit // 2, width - 3 * unit, height - unit // 2), radius=unit, fill=bg
    )
    return screen


@dataclass(frozen=True, slots=True)
class Transform:
    """One graded edit: family (the row group of the table), its strength as shown, and
    the JPEG quality the altered copy is shared at."""

    family: str
    strength: str
    edit: Edit
    jpeg_quality: int = 90


def _t(family: str, strength: str, edit: Edit, quality: int = 90) -> Transform:
    return Transform(family, strength, edit, quality)


def standard_transforms() -> tuple[Transform, ...]:
    """The graded set the published table reports, in table order."""
    same = lambda im: im  # noqa: E731
    out: list[Transform] = [_t("jpeg", f"q{q}", same, q) for q in (90, 70, 50, 30)]
    out += [_t("resize", f"x{f}", lambda im, f=f: resize(im, f)) for f in (0.75, 0.5, 0.25)]
    out += [
        _t("crop centre", f"{p}%", lambda im, p=p: centre_crop(im, p / 100)) for p in (2, 5, 10, 20)
    ]
    out += [
        _t("crop one side", f"{p}%", lambda im, p=p: side_crop(im, p / 100)) for p in (2, 5, 10)
    ]
    for colour in BAR_COLOURS:
        out += [
            _t("letterbox", f"{colour} {p}%", lambda im, p=p, c=colour: letterbox(im, p / 100, c))
            for p in (10, 25)
        ]
        out += [
            _t("pillarbox", f"{colour} {p}%", lambda im, p=p, c=colour: pillarbox(im, p / 100, c))
            for p in (10, 25)
        ]
    out += [_t("rotate", f"{d}°", lambda im, d=d: rotate(im, d)) for d in (90, 180, 270)]
    out += [_t("mirror", "left-right", mirror)]
    out += [_t("rotate small", f"{d}°", lambda im, d=d: rotate(im, d)) for d in (2, 5)]
    out += [_t("overlay", f"{p}%", lambda im, p=p: overlay(im, p / 100)) for p in (5, 15)]
    out += [_t("brightness", f"x{f}", lambda im, f=f: brightness(im, f)) for f in (0.7, 1.3)]
    out += [_t("contrast", f"x{f}", lambda im, f=f: contrast(im, f)) for f in (0.6, 1.5)]
    out += [_t("gamma", f"{g}", lambda im, g=g: gamma(im, g)) for g in (0.6, 1.6)]
    out += [_t("greyscale", "", greyscale)]
    out += [_t("blur", f"{p}%", lambda im, p=p: blur(im, p / 100)) for p in (0.5, 1.5)]
    out += [
        _t("screenshot", theme, lambda im, d=(theme == "dark"): screenshot(im, d))
        for theme in ("light", "dark")
    ]
    return tuple(out)
